#pragma once
// Leaky integrate-and-fire neurons with NEST's semantics, integrated exactly.
//
// iaf_psc_delta (Brunel 2000; NEST's iaf_psc_delta): with V relative to E_L,
//     dV/dt = -V/tau_m + I_e/C_m,   and each input spike makes V jump by its weight (mV).
// Over one step h the exact solution is V <- P33 V + P30 I_e + (jumps arriving this step)
// with P33 = exp(-h/tau_m), P30 = tau_m/C_m (1 - P33). While refractory, V is clamped at
// V_reset and arriving jumps are discarded.
//
// iaf_psc_exp (Tsodyks et al. 1998; NEST's iaf_psc_exp): exponentially decaying synaptic
// currents I_ex, I_in (pA) with tau_syn_ex/in,
//     dV/dt = -V/tau_m + (I_ex + I_in + I_e)/C_m,   dI/dt = -I/tau_syn,
// integrated exactly by the propagators of Rotter & Diesmann (1999): the current at the
// start of a step acts on V through P21 = tau_s tau_m / (C (tau_m - tau_s)) (e^{-h/tau_m} -
// e^{-h/tau_s}) (limit h/C e^{-h/tau} when tau_s = tau_m); input arriving in a step is
// added to the current after V has been advanced. While refractory V is clamped, the
// currents keep evolving.
//
// Both: after the update, V >= V_th emits a spike, V <- V_reset and the neuron stays
// refractory for round(t_ref/h) steps.
#include <cstdint>
#include <map>
#include <string>

#include "util/kmath.hpp"

namespace cajal {

struct IafPscDelta {
  double P33 = 0, P30 = 0;
  double I_e = 0, V_th = 0, V_reset = 0, V_min = 0;  // relative to E_L
  double E_L = 0;
  int ref_steps = 0;

  static IafPscDelta make(const std::map<std::string, double>& p, double h);

  /// One step; `jump` is the sum of the voltage jumps arriving in this step (mV).
  /// Returns true when the neuron fires.
  /// `I_stim`: the stimulus current in the step (pA), added to I_e.
  KOKKOS_INLINE_FUNCTION bool step(double& V, int& r, double jump, double I_stim = 0.0) const {
    if (r == 0) {
      V = P30 * (I_e + I_stim) + P33 * V + jump;
      if (V < V_min) V = V_min;
    } else {
      --r;
    }
    if (V >= V_th) {
      r = ref_steps;
      V = V_reset;
      return true;
    }
    return false;
  }
};

struct IafPscExp {
  double P22 = 0, P20 = 0, P11ex = 0, P11in = 0, P21ex = 0, P21in = 0;
  double I_e = 0, V_th = 0, V_reset = 0;  // relative to E_L
  double E_L = 0;
  int ref_steps = 0;

  static IafPscExp make(const std::map<std::string, double>& p, double h);
  /// P21 of the text above, accurate also near and at tau_s = tau_m.
  static double propagator_21(double tau_s, double tau_m, double C, double h);

  /// One step; `in_ex`, `in_in` are the currents (pA) arriving in this step.
  KOKKOS_INLINE_FUNCTION bool step(double& V, double& i_ex, double& i_in, int& r, double in_ex,
                                   double in_in, double I_stim = 0.0) const {
    if (r == 0)
      V = V * P22 + i_ex * P21ex + i_in * P21in + (I_e + I_stim) * P20;
    else
      --r;
    i_ex = i_ex * P11ex + in_ex;
    i_in = i_in * P11in + in_in;
    if (V >= V_th) {
      r = ref_steps;
      V = V_reset;
      return true;
    }
    return false;
  }
};

/// iaf_psc_alpha (NEST's iaf_psc_alpha; Rotter & Diesmann 1999): alpha-shaped synaptic
/// currents. Each input of weight w (pA) starts I(t) = w e/tau_s t exp(-t/tau_s) (peak w
/// at t = tau_s), written as dI' = -dI/tau_s, I' = dI - I/tau_s with dI jumping by
/// w e/tau_s. The exact propagators are P31 (dI -> V) and P32 (I -> V):
///   P32 = tau_s tau_m / (C (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})
///   P31 = (1/C) [e^{-h/tau_m} - e^{-h/tau_s} (1 + c h)] / c^2,   c = 1/tau_s - 1/tau_m
/// (limit h^2/(2C) e^{-h/tau} when tau_s = tau_m). Same refractoriness and order as NEST.
struct IafPscAlpha {
  double P33 = 0, P30 = 0, P11ex = 0, P21ex = 0, P31ex = 0, P32ex = 0, P11in = 0, P21in = 0, P31in = 0, P32in = 0;
  double ex_init = 0, in_init = 0;  // e / tau_s: dI per pA of weight
  double I_e = 0, V_th = 0, V_reset = 0, V_min = 0;
  double E_L = 0;
  int ref_steps = 0;

  static IafPscAlpha make(const std::map<std::string, double>& p, double h);
  static double propagator_31(double tau_s, double tau_m, double C, double h);

  KOKKOS_INLINE_FUNCTION bool step(double& V, double& dIe, double& Ie, double& dIi, double& Ii, int& r,
                                   double in_ex, double in_in, double I_stim = 0.0) const {
    if (r == 0) {
      V = P30 * (I_e + I_stim) + P31ex * dIe + P32ex * Ie + P31in * dIi + P32in * Ii + P33 * V;
      if (V < V_min) V = V_min;
    } else {
      --r;
    }
    Ie = P21ex * dIe + P11ex * Ie;
    dIe = dIe * P11ex + ex_init * in_ex;
    Ii = P21in * dIi + P11in * Ii;
    dIi = dIi * P11in + in_init * in_in;
    if (V >= V_th) {
      r = ref_steps;
      V = V_reset;
      return true;
    }
    return false;
  }
};

/// izhikevich (NEST's izhikevich; Izhikevich 2003), with NEST's "consistent integration":
/// one forward-Euler step of
///   v' = 0.04 v^2 + 5 v + 140 - u + I_e,   u' = a (b v - u)
/// from the values at the start of the step, input jumps (mV) added to v, then
/// v >= V_th: v <- c, u <- u + d. There is no refractory period.
struct Izhikevich {
  double a = 0, b = 0, c = 0, d = 0, I_e = 0, V_th = 0, V_min = 0, h = 0;

  static Izhikevich make(const std::map<std::string, double>& p, double h);

  KOKKOS_INLINE_FUNCTION bool step(double& v, double& u, double jump, double I_stim = 0.0) const {
    const double v0 = v, u0 = u;
    v = v0 + h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + I_e + I_stim) + jump;
    u = u0 + h * a * (b * v0 - u0);
    if (v < V_min) v = V_min;
    if (v >= V_th) {
      v = c;
      u += d;
      return true;
    }
    return false;
  }
};

}  // namespace cajal
