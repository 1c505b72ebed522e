// iaf_cond_exp: its descriptor (parameters, checks, recordables) and its population. The
// step itself is IafCondExp in model/cond.hpp.
#include <algorithm>

#include "model/cells/conductance_common.hpp"
#include "model/cond.hpp"
#include "model/interval.hpp"

namespace cajal {

namespace {

/// iaf_cond_exp: ports 0 (excitatory, nS) and 1 (inhibitory, negative nS).
struct CondExpPopulation : Population {
  ParamSets<IafCondExp> sets;
  int min_ref_steps = 0;  // over the sets
  bool can_fail() const override { return true; }
  Kokkos::View<double*> V, g_ex, g_in, hint;
  Kokkos::View<int*> refractory;

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), V);
  }
  int max_spikes(int m) const override { return (m + min_ref_steps) / (min_ref_steps + 1); }
  std::vector<StateArray> state() override {
    return {{"V_m", V, {}, {}, {}},
            {"g_ex", g_ex, {}, {}, {}},
            {"g_in", g_in, {}, {}, {}},
            {"integration_step", hint, {}, {}, {}},
            {"refractory", {}, refractory, {}, {}}};
  }
  Recordable recordable(const std::string& n) const override {
    if (n == "V_m") return {V, 0.0};
    if (n == "g_ex") return {g_ex, 0.0};
    if (n == "g_in") return {g_in, 0.0};
    return {};
  }
  struct Cell {
    ParamSets<IafCondExp> sets;
    Kokkos::View<double*> V, ge, gi, hint;
    Kokkos::View<int*> r;
    Kokkos::View<double*> shift;  // E_L shift from the K+ field; empty without feedback
    struct State {
      const IafCondExp* m;
      double y[3];
      double hint;
      int ref;
      double E_L;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const {
      const IafCondExp& m = sets.of(i);
      return {&m, {V(i), ge(i), gi(i)}, hint(i), r(i), shift.extent(0) ? m.E_L + shift(i) : m.E_L};
    }
    KOKKOS_INLINE_FUNCTION int step(State& s, const double* in) const {
      if (s.E_L == s.m->E_L) return s.m->step(s.y, s.ref, s.hint, in[0], in[1]);
      IafCondExp m = *s.m;
      m.E_L = s.E_L;
      return m.step(s.y, s.ref, s.hint, in[0], in[1]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.y[0];
      ge(i) = s.y[1];
      gi(i) = s.y[2];
      hint(i) = s.hint;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_cond_exp::advance", *this, Cell{sets, V, g_ex, g_in, hint, refractory, leak_shift}, t0,
                     from, to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<CondExpPopulation>();
  std::vector<IafCondExp> all;
  p->sets = make_param_sets<IafCondExp>(
      b, [&](const std::map<std::string, double>& prm) { return IafCondExp::make(prm, b.dt); }, &all);
  p->min_ref_steps = all[0].ref_steps;
  for (const auto& m : all) p->min_ref_steps = std::min(p->min_ref_steps, m.ref_steps);
  p->receptors = 2;
  init_base(*p, b);
  init_conductance_state(*p, "cajal::cond_exp::", b);
  return p;
}

void check(const ModelCheck& c) {
  for (const char* p : {"C_m", "tau_syn_ex", "tau_syn_in"}) c.positive(p, "");
  for (const char* p : {"g_L", "t_ref"}) c.non_negative(p);
  if (!(c.at("V_reset") < c.at("V_th")))
    c.fail(c.pop.params.count("V_reset") ? "V_reset" : "V_th",
           "V_reset (" + param_num(c.at("V_reset")) + " mV) must be below V_th (" + param_num(c.at("V_th")) + " mV)");
}

}  // namespace

// NEST 3.9's iaf_cond_exp defaults.
ModelInfo iaf_cond_exp_model() {
  ModelInfo m{"iaf_cond_exp",
              "leaky integrate-and-fire, exponentially decaying conductances; embedded Runge-Kutta 4(5) "
              "with error control inside each step",
              "nS (negative: inhibitory)",
              {{"C_m", 250.0, "pF", "membrane capacitance"},
               {"g_L", 16.6667, "nS", "leak conductance"},
               {"E_L", -70.0, "mV", "leak reversal potential"},
               {"V_th", -55.0, "mV", "spike threshold"},
               {"V_reset", -60.0, "mV", "reset potential"},
               {"t_ref", 2.0, "ms", "absolute refractory period (rounded to steps)"},
               {"E_ex", 0.0, "mV", "excitatory reversal potential"},
               {"E_in", -85.0, "mV", "inhibitory reversal potential"},
               {"tau_syn_ex", 0.2, "ms", "decay time of the excitatory conductance"},
               {"tau_syn_in", 2.0, "ms", "decay time of the inhibitory conductance"},
               {"I_e", 0.0, "pA", "constant external current"},
               {"V_m", -70.0, "mV", "initial membrane potential (default E_L)", true},
               tau_minus_param()}};
  m.receptors = 2;
  m.k_feedback = true;
  m.recordables = {"V_m", "g_ex", "g_in"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
