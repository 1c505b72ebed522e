#pragma once
// What the current-based integrate-and-fire models (iaf_psc_delta, iaf_psc_exp,
// iaf_psc_alpha) share: NEST's common parameters, their checks, and the population base
// that keeps V relative to E_L with a refractory count.
#include <limits>
#include <vector>

#include "model/interval.hpp"
#include "model/lif.hpp"
#include "model/registry.hpp"

namespace cajal {

/// NEST's defaults for iaf_psc_delta / iaf_psc_exp.
inline std::vector<ParamInfo> iaf_params() {
  return {
      {"C_m", 250.0, "pF", "membrane capacitance"},
      {"tau_m", 10.0, "ms", "membrane time constant"},
      {"t_ref", 2.0, "ms", "absolute refractory period (rounded to steps)"},
      {"E_L", -70.0, "mV", "resting potential"},
      {"V_reset", -70.0, "mV", "reset potential"},
      {"V_th", -55.0, "mV", "spike threshold"},
      {"I_e", 0.0, "pA", "constant external current"},
      {"V_m", -70.0, "mV", "initial membrane potential (default E_L)", true},
      tau_minus_param(),
  };
}

inline ParamInfo iaf_v_min_param() {
  return {"V_min", -std::numeric_limits<double>::infinity(), "mV", "lower bound of the membrane potential"};
}

/// The membrane's checks: C_m, tau_m, t_ref, V_reset below V_th.
inline void check_iaf_membrane(const ModelCheck& c) {
  c.positive("C_m", "pF");
  c.positive("tau_m", "ms");
  if (!(c.at("t_ref") >= 0)) c.fail("t_ref", "must be ≥ 0 ms (got " + param_num(c.at("t_ref")) + ")");
  if (!(c.at("V_reset") < c.at("V_th")))
    c.fail(c.pop.params.count("V_reset") ? "V_reset" : "V_th",
           "V_reset (" + param_num(c.at("V_reset")) + " mV) must be below V_th (" + param_num(c.at("V_th")) + " mV)");
}

/// The synaptic time constants of the models with excitatory and inhibitory currents.
inline void check_iaf_synapses(const ModelCheck& c) {
  c.positive("tau_syn_ex", "ms");
  c.positive("tau_syn_in", "ms");
}

/// The lower bound V_min (a model that has one).
inline void check_iaf_floor(const ModelCheck& c) {
  if (!(c.at("V_min") < c.at("V_th"))) c.fail("V_min", "must be below V_th (" + param_num(c.at("V_th")) + " mV)");
}

/// Integrate-and-fire populations: membrane potential (relative to E_L) and refractory count.
template <class Model>
struct IafPopulation : Population {
  Model model;
  Kokkos::View<double*> V;
  Kokkos::View<int*> refractory;

  Kokkos::View<double*>::HostMirror membrane() const override {
    auto h = Kokkos::create_mirror_view(V);
    Kokkos::deep_copy(h, V);
    for (std::size_t i = 0; i < h.extent(0); ++i) h(i) += model.E_L;
    return h;
  }
  int max_spikes(int m) const override { return (m + model.ref_steps) / (model.ref_steps + 1); }
  std::vector<StateArray> state() override { return {{"V", V, {}, {}, {}}, {"refractory", {}, refractory, {}, {}}}; }
  Recordable recordable(const std::string& name) const override {
    return name == "V_m" ? Recordable{V, model.E_L} : extra(name);
  }
  virtual Recordable extra(const std::string&) const { return {}; }
};

/// Integrate-and-fire populations: V starts at V_m (default E_L), relative to E_L.
template <class P>
void init_iaf(P& p, const ModelBuild& b, double E_L) {
  init_base(p, b);
  p.V = Kokkos::View<double*>("cajal::population::V", p.local_size);
  fill_initial(p.V, b, "V_m", 0, E_L, E_L);
  p.refractory = Kokkos::View<int*>("cajal::population::refractory", p.local_size);
}

}  // namespace cajal
