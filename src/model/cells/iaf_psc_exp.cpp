// iaf_psc_exp: its descriptor (parameters, checks, recordables) and its population. The step
// itself is IafPscExp in model/lif.hpp.
#include "model/cells/iaf_common.hpp"

namespace cajal {

namespace {

struct ExpPopulation : IafPopulation<IafPscExp> {
  Kokkos::View<double*> i_ex, i_in;

  std::vector<StateArray> state() override {
    auto s = IafPopulation<IafPscExp>::state();
    s.push_back({"i_syn_ex", i_ex, {}, {}, {}});
    s.push_back({"i_syn_in", i_in, {}, {}, {}});
    return s;
  }

  struct Cell {
    ParamSets<IafPscExp> sets;
    Kokkos::View<double*> V, ie, ii;
    Kokkos::View<int*> r;
    struct State {
      const IafPscExp* m;
      double v, ie, ii;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {&sets.of(i), V(i), ie(i), ii(i), r(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const {
      return s.m->step(s.v, s.ie, s.ii, s.ref, in[0], in[1], in[2]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      ie(i) = s.ie;
      ii(i) = s.ii;
      r(i) = s.ref;
    }

    // cell_lanes cells at once, each lane the IEEE operations of IafPscExp::step in its
    // order (util/lanes.hpp), so the bits are those of the scalar path. PD14 (one-step
    // intervals, 77,169 cells): update 8.2 s of 22 s per 1.2 s simulated on 1 rank
    // with the scalar path.
    static constexpr int lanes = cell_lanes;
    /// The block path needs one parameter set for its lanes.
    KOKKOS_INLINE_FUNCTION bool shares_set(std::size_t i0) const { return sets.shared(i0, lanes); }
    struct Block {
      const IafPscExp* m;
      lanes::Pack v, ie, ii;
      lanes::IntPack ref;
    };
    template <int L = lanes>
    CAJAL_PACK_FUNCTION Block load_block(std::size_t i0) const {
      Block b;
      b.m = &sets.of(i0);
      b.v = lanes::load<lanes::Pack>(&V(i0));
      b.ie = lanes::load<lanes::Pack>(&ie(i0));
      b.ii = lanes::load<lanes::Pack>(&ii(i0));
      for (int l = 0; l < lanes; ++l) b.ref[l] = r(i0 + l);
      return b;
    }
    template <int L = lanes>
    CAJAL_PACK_FUNCTION void step_block(Block& b, const double in[3][L], int fired[L]) const {
      const IafPscExp& m = *b.m;
      const lanes::Pack I = m.I_e + lanes::load<lanes::Pack>(in[2]);  // I_e plus the stimulus current
      const lanes::Pack v_free = b.v * m.P22 + b.ie * m.P21ex + b.ii * m.P21in + I * m.P20;
      const lanes::IntPack free = b.ref == 0;
      b.v = lanes::select(free, v_free, b.v);
      b.ref = lanes::select(free, b.ref, b.ref - 1);
      b.ie = b.ie * m.P11ex + lanes::load<lanes::Pack>(in[0]);
      b.ii = b.ii * m.P11in + lanes::load<lanes::Pack>(in[1]);
      const lanes::IntPack spike = b.v >= m.V_th;
      b.ref = lanes::select(spike, lanes::IntPack{} + m.ref_steps, b.ref);
      b.v = lanes::select(spike, lanes::splat<lanes::Pack>(m.V_reset), b.v);
      for (int l = 0; l < lanes; ++l) fired[l] = spike[l] != 0;
    }
    template <int L = lanes>
    CAJAL_PACK_FUNCTION void store_block(std::size_t i0, const Block& b) const {
      lanes::store(&V(i0), b.v);
      lanes::store(&ie(i0), b.ie);
      lanes::store(&ii(i0), b.ii);
      for (int l = 0; l < lanes; ++l) r(i0 + l) = static_cast<int>(b.ref[l]);
    }
  };
  Recordable extra(const std::string& n) const override {
    return n == "I_syn_ex" ? Recordable{i_ex, 0.0} : n == "I_syn_in" ? Recordable{i_in, 0.0} : Recordable{};
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_exp::advance", *this, Cell{sets, V, i_ex, i_in, refractory}, t0, from,
                     to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<ExpPopulation>();
  p->receptors = 2;
  init_iaf(*p, b);
  p->i_ex = Kokkos::View<double*>("cajal::population::i_ex", p->local_size);
  p->i_in = Kokkos::View<double*>("cajal::population::i_in", p->local_size);
  return p;
}

void check(const ModelCheck& c) {
  check_iaf_membrane(c);
  check_iaf_synapses(c);
}

}  // namespace

ModelInfo iaf_psc_exp_model() {
  ModelInfo m{"iaf_psc_exp", "leaky integrate-and-fire, exponential current synapses, exact integration", "pA",
              iaf_params()};
  m.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant"});
  m.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant"});
  m.receptors = 2;
  m.stimulus_unit = "pA";
  m.recordables = {"V_m", "I_syn_ex", "I_syn_in"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
