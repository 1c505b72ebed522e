#pragma once
// What the conductance-based neurons (iaf_cond_exp, aeif_cond_alpha_astro) share.
#include <string>
#include <vector>

#include "model/registry.hpp"

namespace cajal {

/// The state both conductance-based neurons share: V (initial V_m, may be drawn), g_ex,
/// g_in, the adaptive integrator's step hint (starts at dt) and the refractory count.
template <class P>
void init_conductance_state(P& p, const std::string& prefix, const ModelBuild& b) {
  auto view = [&](const std::string& name) { return Kokkos::View<double*>(prefix + name, p.local_size); };
  p.V = view("V");
  p.g_ex = view("g_ex");
  p.g_in = view("g_in");
  p.hint = view("hint");
  p.refractory = Kokkos::View<int*>(prefix + "refractory", p.local_size);
  fill_initial(p.V, b, "V_m", 0, b.values("V_m"), std::vector<double>(p.local_size, 0.0));
  Kokkos::deep_copy(p.hint, b.dt);
}

}  // namespace cajal
