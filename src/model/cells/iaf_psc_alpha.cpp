// iaf_psc_alpha: its descriptor (parameters, checks, recordables) and its population. The step
// itself is IafPscAlpha in model/lif.hpp.
#include "model/cells/iaf_common.hpp"

namespace cajal {

namespace {

struct AlphaPopulation : IafPopulation<IafPscAlpha> {
  Kokkos::View<double*> dI_ex, I_ex, dI_in, I_in;

  std::vector<StateArray> state() override {
    auto s = IafPopulation<IafPscAlpha>::state();
    s.push_back({"dI_syn_ex", dI_ex, {}, {}, {}});
    s.push_back({"I_syn_ex", I_ex, {}, {}, {}});
    s.push_back({"dI_syn_in", dI_in, {}, {}, {}});
    s.push_back({"I_syn_in", I_in, {}, {}, {}});
    return s;
  }

  struct Cell {
    ParamSets<IafPscAlpha> sets;
    Kokkos::View<double*> V, dIe, Ie, dIi, Ii;
    Kokkos::View<int*> r;
    struct State {
      const IafPscAlpha* m;
      double v, dIe, Ie, dIi, Ii;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const {
      return {&sets.of(i), V(i), dIe(i), Ie(i), dIi(i), Ii(i), r(i)};
    }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const {
      return s.m->step(s.v, s.dIe, s.Ie, s.dIi, s.Ii, s.ref, in[0], in[1]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      dIe(i) = s.dIe;
      Ie(i) = s.Ie;
      dIi(i) = s.dIi;
      Ii(i) = s.Ii;
      r(i) = s.ref;
    }
  };
  Recordable extra(const std::string& n) const override {
    return n == "I_syn_ex" ? Recordable{I_ex, 0.0} : n == "I_syn_in" ? Recordable{I_in, 0.0} : Recordable{};
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_alpha::advance", *this,
                     Cell{sets, V, dI_ex, I_ex, dI_in, I_in, refractory}, t0, from, to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<AlphaPopulation>();
  p->receptors = 2;
  init_iaf(*p, b);
  p->dI_ex = Kokkos::View<double*>("cajal::population::dI_ex", p->local_size);
  p->I_ex = Kokkos::View<double*>("cajal::population::I_ex", p->local_size);
  p->dI_in = Kokkos::View<double*>("cajal::population::dI_in", p->local_size);
  p->I_in = Kokkos::View<double*>("cajal::population::I_in", p->local_size);
  return p;
}

void check(const ModelCheck& c) {
  check_iaf_membrane(c);
  check_iaf_synapses(c);
  check_iaf_floor(c);
}

}  // namespace

ModelInfo iaf_psc_alpha_model() {
  ModelInfo m{"iaf_psc_alpha", "leaky integrate-and-fire, alpha-shaped current synapses, exact integration", "pA",
              iaf_params()};
  m.params.push_back(iaf_v_min_param());
  m.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant (rise to peak)"});
  m.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant (rise to peak)"});
  m.receptors = 2;
  m.recordables = {"V_m", "I_syn_ex", "I_syn_in"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
