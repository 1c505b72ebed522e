#pragma once
// Astrocytes and the neurons that listen to them.
//
// astrocyte_lr_1994 (NEST's model of that name: Li & Rinzel 1994 reduction of De Young &
// Keizer 1992; input and output after Nadkarni & Jung 2003). State IP3 (µM), cytosolic
// Ca (µM), IP3R inactivation h. With c = clamp(Ca, 0, Ca_tot):
//   dIP3/dt = (IP3_0 - IP3) / tau_IP3
//   dCa/dt  = J_channel - J_pump + J_leak
//   dh/dt   = alpha_h (1 - h) - beta_h h
//   J_channel = r_ER rate_IP3R m^3 n^3 h^3 (Ca_ER - c),  m = IP3/(IP3 + Kd_IP3_1), n = c/(c + Kd_act)
//   J_leak    = r_ER rate_L (Ca_ER - c),  Ca_ER = (Ca_tot - c) / r_ER   (r_ER = ratio_ER_cyt)
//   J_pump    = rate_SERCA c^2 / (Km_SERCA^2 + c^2)
//   alpha_h   = k_IP3R Kd_inh (IP3 + Kd_IP3_1)/(IP3 + Kd_IP3_2),  beta_h = k_IP3R c
// One step, in NEST's order: integrate over the step (classic RK4 with `substeps` equal
// sub-steps; NEST uses adaptive RKF45 with absolute tolerance 1e-3, which at these time
// scales also takes whole 0.1 ms steps), clamp Ca to [0, Ca_tot], add delta_IP3 × (sum of
// the weights of the spikes arriving in the step) to IP3, then emit
//   SIC = SIC_scale ln(y) when y = (Ca - SIC_th) / 1 nM > 1, else 0   (pA before the weight).
//
// aeif_cond_alpha_astro (NEST's model; Brette & Gerstner 2005 with alpha conductances):
//   C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_th)/Delta_T) - g_ex (V - E_ex)
//             - g_in (V - E_in) - w + I_e + I_SIC
//   tau_w dw/dt = a (V - E_L) - w,   g = alpha functions (dg' = -dg/tau, g' = dg - g/tau)
// In the right-hand side V is min(V, V_peak), and V_reset while refractory (dV/dt = 0).
// Integrated with the Dormand-Prince 5(4) pair and error control inside each step (NEST:
// GSL's RKF45; model/ode.hpp says how the error norms differ); after each accepted
// sub-step V >= V_peak is a spike
// (V <- V_reset, w <- w + b, refractory for t_ref). After the step, the spikes arriving in
// it raise dg by e/tau per nS, and I_SIC takes the value arriving in it: it acts over the
// next step, as in NEST.
#include <cstdint>
#include <map>
#include <string>

#include "model/ode.hpp"
#include "util/kmath.hpp"

namespace cajal {

struct AstrocyteLR1994 {
  double Ca_tot = 0, IP3_0 = 0, Kd_IP3_1 = 0, Kd_IP3_2 = 0, Kd_act = 0, Kd_inh = 0, Km_SERCA = 0;
  double SIC_scale = 0, SIC_th = 0, delta_IP3 = 0, k_IP3R = 0, rate_IP3R = 0, rate_L = 0, rate_SERCA = 0;
  double ratio_ER_cyt = 0, tau_IP3 = 0;
  double h = 0;  // integration sub-step (ms)
  int substeps = 1;

  static AstrocyteLR1994 make(const std::map<std::string, double>& p, double dt);

  /// `j_gap`: IP3 flux through gap junctions (µM/ms), constant over the step.
  KOKKOS_INLINE_FUNCTION void rhs(const double y[3], double f[3], double j_gap) const {
    const double ip3 = y[0], hh = y[2];
    const double c = y[1] < 0 ? 0 : (y[1] > Ca_tot ? Ca_tot : y[1]);
    const double alpha_h = k_IP3R * Kd_inh * (ip3 + Kd_IP3_1) / (ip3 + Kd_IP3_2);
    const double beta_h = k_IP3R * c;
    const double J_pump = rate_SERCA * c * c / (Km_SERCA * Km_SERCA + c * c);
    const double m_inf = ip3 / (ip3 + Kd_IP3_1);
    const double n_inf = c / (c + Kd_act);
    const double ca_er = (Ca_tot - c) / ratio_ER_cyt;
    const double J_leak = ratio_ER_cyt * rate_L * (ca_er - c);
    const double mnh = m_inf * n_inf * hh;
    const double J_channel = ratio_ER_cyt * rate_IP3R * mnh * mnh * mnh * (ca_er - c);
    f[0] = (IP3_0 - ip3) / tau_IP3 + j_gap;
    f[1] = J_channel - J_pump + J_leak;
    f[2] = alpha_h * (1.0 - hh) - beta_h * hh;
  }

  /// One time step; `input` is the summed weight of the spikes arriving in it. Returns the
  /// SIC (pA, before the connection weight) after the step.
  KOKKOS_INLINE_FUNCTION double step(double& ip3, double& ca, double& hh, double input, double j_gap = 0.0) const {
    double y[3] = {ip3, ca, hh};
    for (int s = 0; s < substeps; ++s) {
      double k1[3], k2[3], k3[3], k4[3], t[3];
      rhs(y, k1, j_gap);
      for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k1[i];
      rhs(t, k2, j_gap);
      for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k2[i];
      rhs(t, k3, j_gap);
      for (int i = 0; i < 3; ++i) t[i] = y[i] + h * k3[i];
      rhs(t, k4, j_gap);
      for (int i = 0; i < 3; ++i) y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    ip3 = y[0] + delta_IP3 * input;
    ca = y[1] < 0 ? 0 : (y[1] > Ca_tot ? Ca_tot : y[1]);
    hh = y[2];
    return sic(ca);
  }

  KOKKOS_INLINE_FUNCTION double sic(double ca) const {
    const double x = (ca - SIC_th) * 1000.0;
    return x > 1.0 ? SIC_scale * kmath::log(x) : 0.0;
  }
};

/// IP3 gap junction between astrocytes (Goldberg et al. 2010, as in Stimberg et al. 2019):
/// the flux into a cell from a neighbour is
///   J = F_ex/2 (1 + tanh((|ΔI| - I_Theta)/omega_I)) sign(ΔI),   ΔI = IP3_neighbour - IP3_cell,
/// odd in ΔI, so the two directions of a junction cancel exactly and IP3 is conserved.
struct GapJunction {
  double F_ex = 0.002, I_Theta = 0.3, omega_I = 0.05;  // µM/ms, µM, µM
  KOKKOS_INLINE_FUNCTION double flux(double d) const {
    const double a = d < 0 ? -d : d;
    const double j = 0.5 * F_ex * (1.0 + kmath::tanh((a - I_Theta) / omega_I));
    return d < 0 ? -j : (d > 0 ? j : 0.0);
  }
};

struct AeifCondAlphaAstro {
  double C_m = 0, g_L = 0, E_L = 0, V_th = 0, Delta_T = 0, tau_w = 0, a = 0, b = 0, V_reset = 0, V_peak = 0;
  double E_ex = 0, E_in = 0, tau_ex = 0, tau_in = 0, I_e = 0, tol = 0;
  double V_detect = 0;          // V_peak, or V_th when Delta_T = 0 (no exponential term)
  double ex_init = 0, in_init = 0;  // e / tau: dg per nS of weight
  double h = 0;
  int ref_steps = 0;

  static AeifCondAlphaAstro make(const std::map<std::string, double>& p, double dt);

  /// y = (V, dg_ex, g_ex, dg_in, g_in, w).
  // Reciprocals, so that the right-hand side multiplies (it runs 7 times per sub-step).
  double inv_C = 0, inv_tau_ex = 0, inv_tau_in = 0, inv_tau_w = 0, inv_Delta_T = 0;

  KOKKOS_INLINE_FUNCTION void rhs(const double y[6], double f[6], bool refractory, double I_sic) const {
    const double V = refractory ? V_reset : (y[0] < V_peak ? y[0] : V_peak);
    const double I_spike = Delta_T == 0.0 ? 0.0 : g_L * Delta_T * kmath::exp((V - V_th) * inv_Delta_T);
    f[0] = refractory ? 0.0
                      : (-g_L * (V - E_L) + I_spike - y[2] * (V - E_ex) - y[4] * (V - E_in) - y[5] + I_e + I_sic) * inv_C;
    f[1] = -y[1] * inv_tau_ex;
    f[2] = y[1] - y[2] * inv_tau_ex;
    f[3] = -y[3] * inv_tau_in;
    f[4] = y[3] - y[4] * inv_tau_in;
    f[5] = (a * (V - E_L) - y[5]) * inv_tau_w;
  }

  /// The system dopri_step integrates: the right-hand side with the cell's refractory
  /// state and I_SIC held, and NEST's threshold and reset after each accepted sub-step.
  struct System {
    const AeifCondAlphaAstro& m;
    int& r;
    double I_sic;
    KOKKOS_INLINE_FUNCTION void rhs(const double* y, double* f) const { m.rhs(y, f, r > 0, I_sic); }
    KOKKOS_INLINE_FUNCTION bool after_substep(double* y) const {
      if (r > 0) {
        y[0] = m.V_reset;
        return false;
      }
      if (y[0] < m.V_detect) return false;
      y[0] = m.V_reset;
      y[5] += m.b;
      r = m.ref_steps > 0 ? m.ref_steps + 1 : 0;
      return true;
    }
  };

  /// One time step. `hint` is the cell's last accepted sub-step (kept between steps, as
  /// NEST keeps its integration step). Returns the number of spikes in the step.
  /// Returns -1 when the integration failed or the state left NEST's bounds of numerical
  /// stability (V < -1000 mV or |w| > 10^6 pA); the caller reports it.
  KOKKOS_INLINE_FUNCTION int step(double y[6], double& I_sic, int& r, double& hint, double in_ex, double in_in,
                                  double in_sic) const {
    System sys{*this, r, I_sic};
    const int spikes = dopri_step<6>(sys, y, h, hint, tol);
    if (spikes < 0 || !(y[0] >= -1e3) || !(y[5] <= 1e6 && y[5] >= -1e6)) return -1;
    if (r > 0) --r;
    y[1] += ex_init * in_ex;
    y[3] += in_init * -in_in;  // inhibitory weights arrive negative: the conductance rises by |w|
    I_sic = in_sic;
    return spikes;
  }
};

}  // namespace cajal
