#pragma once
// What the current-based integrate-and-fire models (iaf_psc_delta, iaf_psc_exp,
// iaf_psc_alpha) share: NEST's common parameters, their checks, and the population base
// that keeps V relative to E_L with a refractory count.
#include <algorithm>
#include <limits>
#include <type_traits>
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

/// Integrate-and-fire populations: membrane potential (relative to the cell's E_L) and
/// refractory count; the parameters of each cell in `sets` (model/param_sets.hpp).
template <class Model>
struct IafPopulation : Population {
  ParamSets<Model> sets;
  int min_ref_steps = 0;      // over the sets: bounds the spikes of an interval
  Kokkos::View<double*> V;
  Kokkos::View<int*> refractory;
  Kokkos::View<double*> E_L;  // each local cell's E_L, only when the sets differ; else sets.one.E_L

  Kokkos::View<double*>::HostMirror membrane() const override {
    auto h = Kokkos::create_mirror_view(V);
    Kokkos::deep_copy(h, V);
    if (E_L.extent(0)) {
      auto e = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), E_L);
      for (std::size_t i = 0; i < h.extent(0); ++i) h(i) += e(i);
    } else {
      for (std::size_t i = 0; i < h.extent(0); ++i) h(i) += sets.one.E_L;
    }
    return h;
  }
  int max_spikes(int m) const override { return (m + min_ref_steps) / (min_ref_steps + 1); }
  std::vector<StateArray> state() override { return {{"V", V, {}, {}, {}}, {"refractory", {}, refractory, {}, {}}}; }
  Recordable recordable(const std::string& name) const override {
    return name == "V_m" ? Recordable{V, sets.one.E_L, E_L} : extra(name);
  }
  virtual Recordable extra(const std::string&) const { return {}; }
};

/// Integrate-and-fire populations: the parameter sets of the local cells, and V starting at
/// V_m (default E_L), relative to each cell's E_L.
template <class P>
void init_iaf(P& p, const ModelBuild& b) {
  using Model = std::decay_t<decltype(p.sets.one)>;
  std::vector<Model> all;
  p.sets = make_param_sets<Model>(b, [&](const std::map<std::string, double>& prm) { return Model::make(prm, b.dt); },
                                  &all);
  p.min_ref_steps = all[0].ref_steps;
  for (const auto& m : all) p.min_ref_steps = std::min(p.min_ref_steps, m.ref_steps);
  init_base(p, b);
  p.V = Kokkos::View<double*>("cajal::population::V", p.local_size);
  const std::vector<double> el = b.values("E_L");
  fill_initial(p.V, b, "V_m", 0, el, el);
  if (p.sets.varies()) {
    p.E_L = Kokkos::View<double*>("cajal::population::E_L", p.local_size);
    auto h = Kokkos::create_mirror_view(p.E_L);
    for (std::size_t i = 0; i < p.local_size; ++i) h(i) = el[i];
    Kokkos::deep_copy(p.E_L, h);
  }
  p.refractory = Kokkos::View<int*>("cajal::population::refractory", p.local_size);
}

}  // namespace cajal
