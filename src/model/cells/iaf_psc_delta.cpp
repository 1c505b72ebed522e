// iaf_psc_delta: its descriptor (parameters, checks, recordables) and its population. The step
// itself is IafPscDelta in model/lif.hpp.
#include "model/cells/iaf_common.hpp"

namespace cajal {

namespace {

struct DeltaPopulation : IafPopulation<IafPscDelta> {
  struct Cell {
    ParamSets<IafPscDelta> sets;
    Kokkos::View<double*> V;
    Kokkos::View<int*> r;
    struct State {
      const IafPscDelta* m;
      double v;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {&sets.of(i), V(i), r(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const { return s.m->step(s.v, s.ref, in[0]); }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::iaf_psc_delta::advance", *this, Cell{sets, V, refractory}, t0, from, to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<DeltaPopulation>();
  p->receptors = 1;
  init_iaf(*p, b);
  return p;
}

void check(const ModelCheck& c) {
  check_iaf_membrane(c);
  check_iaf_floor(c);
}

}  // namespace

ModelInfo iaf_psc_delta_model() {
  ModelInfo m{"iaf_psc_delta", "leaky integrate-and-fire, delta synapses (voltage jumps), exact integration", "mV",
              iaf_params()};
  m.params.push_back(iaf_v_min_param());
  m.recordables = {"V_m"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
