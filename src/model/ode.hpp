#pragma once
// Adaptive integration of a small ODE system over one time step, inside a kernel: the
// Dormand-Prince 5(4) embedded pair (Dormand & Prince 1980) with per-component error
// control err_i = |e_i| / (tol (1 + |y_i|)), step growth 0.2 .. 5 (safety 0.9, with
// Gustafsson's predictive control within a step: dopri_growth), as NEST integrates its
// conductance-based neurons with GSL (RKF45, tolerance 1e-6). The cell's last sub-step
// (`hint`) carries over between steps, as NEST's IntegrationStep_.
//
// `sys` supplies begin_substep(t, hs) (the sub-step about to be tried starts at t within
// the step and is hs long), rhs(stage, y, f) (stage 0..6 at t + c_stage hs, c = 0, 1/5,
// 3/10, 4/5, 8/9, 1, 1: a system whose right-hand side depends on time takes it from
// there) and after_substep(double* y) -> bool (the threshold and reset logic; true when
// the sub-step produced a spike). Returns the
// number of spikes in the step, or -1 when the step cannot be completed within the
// tolerance within 10^5 sub-steps: a sub-step whose
// error exceeds the tolerance is never accepted (NEST/GSL stop with an error there too).
// The error norm is |e_i| / (tol (1 + |y_i| + h |y_i'|)): absolute for small components,
// relative for large ones, and relative to the change over the sub-step, as NEST's GSL
// control for aeif models (tol (1 + h |y_i'|)). The last term lets a spike upstroke, whose
// derivative explodes near V_peak, pass with a few sub-steps instead of thousands. At the
// default tol = 1e-6, spike steps match a converged reference (tests/unit/test_aeif.cpp).
#include "util/kmath.hpp"
#include "util/lanes.hpp"

namespace cajal {

/// One trial sub-step of length hs from y: writes the 5th-order solution to y5 and returns
/// the error norm (the largest err_i; NaN when the right-hand side is). T is double, or a
/// lanes::Pack of cells: a model that runs cells in SIMD lanes tries the whole time step
/// for all of them at once, with the arithmetic of a scalar trial (util/lanes.hpp).
/// `k1_given`, when given, is the right-hand side at (t, y), which the caller knows (first same
/// as last); it must be what sys.rhs(0, y) would give, bit for bit.
template <int N, class T, class Sys>
KOKKOS_INLINE_FUNCTION T dopri_trial(const Sys& sys, const T y[N], T hs, double tol, T y5[N],
                                     const T* k1_given = nullptr) {
  constexpr double a21 = 1.0 / 5;
  constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
  constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
  constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729;
  constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                   a65 = -5103.0 / 18656;
  constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84;
  constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                   e6 = 22.0 / 525, e7 = -1.0 / 40;
  T k1[N], k2[N], k3[N], k4[N], k5[N], k6[N], k7[N], z[N];
  if (k1_given) {
    for (int i = 0; i < N; ++i) k1[i] = k1_given[i];
  } else {
    sys.rhs(0, y, k1);
  }
  for (int i = 0; i < N; ++i) z[i] = y[i] + hs * a21 * k1[i];
  sys.rhs(1, z, k2);
  for (int i = 0; i < N; ++i) z[i] = y[i] + hs * (a31 * k1[i] + a32 * k2[i]);
  sys.rhs(2, z, k3);
  for (int i = 0; i < N; ++i) z[i] = y[i] + hs * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i]);
  sys.rhs(3, z, k4);
  for (int i = 0; i < N; ++i) z[i] = y[i] + hs * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i]);
  sys.rhs(4, z, k5);
  for (int i = 0; i < N; ++i) z[i] = y[i] + hs * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i]);
  sys.rhs(5, z, k6);
  for (int i = 0; i < N; ++i) y5[i] = y[i] + hs * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i]);
  sys.rhs(6, y5, k7);
  T err = lanes::splat<T>(0.0);
  for (int i = 0; i < N; ++i) {
    const T e = hs * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]);
    const T sc = tol * (1.0 + lanes::abs(y[i]) + hs * lanes::abs(k1[i]));
    const T q = lanes::abs(e) / sc;
    err = lanes::select(q > err, q, err);
  }
  return err;
}

/// The sub-step dopri_step tries first: the cell's last one, or the whole step.
KOKKOS_INLINE_FUNCTION double dopri_first(double h, double hint) { return hint > 0 && hint <= h ? hint : h; }

/// The growth of the sub-step after an accepted one of length hs with error norm err, in
/// 0.2 .. 5: the standard factor 0.9 err^{-1/5}, or, after an earlier accepted sub-step of
/// the same step (h_acc, with q_acc = max(its err, 0.01)^{-1/5}; h_acc = 0: none),
/// Gustafsson's predictive factor (hs / h_acc) 0.9 err_acc^{1/5} err^{-2/5} where it is
/// smaller (Hairer & Wanner, Solving ODEs II, IV.8, as their RADAU5). The predictive factor
/// follows the trend of the error: on a spike upstroke, where each sub-step must be shorter
/// than the last, the standard factor alone grows every accepted sub-step into a rejection
/// (measured on an AdEx neuron at 71 Hz: 52 trials per step with sub-steps, 24 % of trials
/// rejected; with the predictive factor 29 and 5 %, and the same spike steps). Updates
/// h_acc and q_acc.
KOKKOS_INLINE_FUNCTION double dopri_growth(double hs, double err, double& h_acc, double& q_acc) {
  double grow = 5.0;
  double q = 0.0;  // err^{-1/5}
  // The power is the costliest operation of an accepted sub-step. Below err = (0.9/5)^5 the
  // standard factor exceeds 5, and the predictive one can only be smaller when hs < 0.46 h_acc
  // (since q_acc <= 0.01^{-1/5}).
  if (err > 1.889568e-4 || (h_acc > 0 && hs < 0.46 * h_acc)) {
    q = kmath::pow(err, -0.2);  // +inf for err = 0: growth 5
    grow = 0.9 * q;
    if (h_acc > 0) {
      const double predictive = hs / h_acc * 0.9 * q * q / q_acc;
      if (predictive < grow) grow = predictive;
    }
    grow = grow > 5.0 ? 5.0 : (grow < 0.2 ? 0.2 : grow);
  }
  h_acc = hs;
  q_acc = err > 0.01 ? q : 2.5118864315095806;  // 0.01^{-1/5}
  return grow;
}

template <int N, class Sys>
KOKKOS_INLINE_FUNCTION int dopri_step(Sys& sys, double y[N], double h, double& hint, double tol) {
  int spikes = 0;
  double t = 0.0;
  double hs = dopri_first(h, hint);
  double h_acc = 0.0, q_acc = 0.0;  // the last accepted sub-step of this step and its err^{-1/5}
  for (int guard = 0; t < h; ++guard) {
    // No floor on the sub-step: near V_peak a steep exponential needs sub-steps far below
    // 1e-9 ms (even below the resolution of t: the upstroke then completes in V while t
    // stands still), reached by a few rejections (x 0.1 each).
    if (guard == 100000) return -1;
    if (hs > h - t) hs = h - t;
    sys.begin_substep(t, hs);
    double y5[N];
    const double err = dopri_trial<N, double>(sys, y, hs, tol, y5);
    if (!(err <= 1.0)) {  // reject (also on NaN): shrink and retry
      const double f = err != err ? 0.1 : 0.9 * kmath::pow(err, -0.2);
      hs *= f < 0.1 ? 0.1 : f;
      continue;
    }
    t += hs;
    for (int i = 0; i < N; ++i) y[i] = y5[i];
    const double grow = dopri_growth(hs, err, h_acc, q_acc);
    if (t < h) hint = hs * grow;
    hs *= grow;
    if (sys.after_substep(y)) ++spikes;
  }
  return spikes;
}

}  // namespace cajal
