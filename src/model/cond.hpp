#pragma once
// iaf_cond_exp (NEST's model of that name; Meffin et al. 2004; the neurons of Stimberg et
// al. 2019's networks): leaky integrate-and-fire with exponentially decaying conductances,
//   C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e,
//   dg/dt = -g/tau_syn,
// integrated over each step with dopri_step (model/ode.hpp). After the step, in NEST's
// order: a refractory cell counts down and V is held at V_reset; otherwise V >= V_th is a
// spike (V <- V_reset, refractory for t_ref). Then the spikes arriving in the step raise
// g_ex by w (nS), g_in by -w for negative weights.
#include <map>
#include <string>

#include "model/ode.hpp"

namespace cajal {

struct IafCondExp {
  double C_m = 0, g_L = 0, E_L = 0, V_th = 0, V_reset = 0, E_ex = 0, E_in = 0, tau_ex = 0, tau_in = 0, I_e = 0;
  double h = 0, tol = 1e-6;
  int ref_steps = 0;

  static IafCondExp make(const std::map<std::string, double>& p, double dt);

  KOKKOS_INLINE_FUNCTION void begin_substep(double, double) const {}
  /// y = (V, g_ex, g_in).
  KOKKOS_INLINE_FUNCTION void rhs(int, const double* y, double* f) const {
    f[0] = (-g_L * (y[0] - E_L) - y[1] * (y[0] - E_ex) - y[2] * (y[0] - E_in) + I_e) / C_m;
    f[1] = -y[1] / tau_ex;
    f[2] = -y[2] / tau_in;
  }
  KOKKOS_INLINE_FUNCTION bool after_substep(double*) const { return false; }

  /// Returns 1 for a spike, 0 for none, -1 when the integration failed.
  KOKKOS_INLINE_FUNCTION int step(double y[3], int& r, double& hint, double in_ex, double in_in) const {
    if (dopri_step<3>(*this, y, h, hint, tol) < 0 || !(y[0] >= -1e3)) return -1;
    int spike = 0;
    if (r > 0) {
      --r;
      y[0] = V_reset;
    } else if (y[0] >= V_th) {
      r = ref_steps;
      y[0] = V_reset;
      spike = 1;
    }
    y[1] += in_ex;
    y[2] -= in_in;  // inhibitory weights arrive negative
    return spike;
  }
};

}  // namespace cajal
