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
// With dt_astro > dt the cell steps every dt_astro, with the input of those time steps, and
// its SIC holds in between; the default dt_astro = dt is NEST's scheme.
//
// aeif_cond_alpha_astro (NEST's model; Brette & Gerstner 2005 with alpha conductances):
//   C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_th)/Delta_T) - g_ex (V - E_ex)
//             - g_in (V - E_in) - w + I_e + I_SIC
//   tau_w dw/dt = a (V - E_L) - w,   g = alpha functions (dg' = -dg/tau, g' = dg - g/tau)
// In the right-hand side V is min(V, V_peak), and V_reset while refractory (dV/dt = 0).
// The conductances are propagated exactly; (V, w) are integrated with the Dormand-Prince
// 5(4) pair and error control inside each step (NEST: GSL's RKF45 on all six variables;
// model/ode.hpp says how the error norms differ); after each accepted
// sub-step V >= V_peak is a spike (V <- V_reset, w <- w + b, refractory for t_ref).
// After the step, the spikes arriving in
// it raise dg by e/tau per nS, and I_SIC takes the value arriving in it: it acts over the
// next step, as in NEST.
#include <cstdint>
#include <map>
#include <string>

#include "model/ode.hpp"
#include "util/kmath.hpp"
#include "util/lanes.hpp"

namespace cajal {

struct AstrocyteLR1994 {
  double Ca_tot = 0, IP3_0 = 0, Kd_IP3_1 = 0, Kd_IP3_2 = 0, Kd_act = 0, Kd_inh = 0, Km_SERCA = 0;
  double SIC_scale = 0, SIC_th = 0, delta_IP3 = 0, k_IP3R = 0, rate_IP3R = 0, rate_L = 0, rate_SERCA = 0;
  double ratio_ER_cyt = 0, tau_IP3 = 0;
  double inv_ratio_ER_cyt = 0, inv_tau_IP3 = 0;
  double h = 0;  // integration sub-step (ms)
  int substeps = 1;
  int every = 1;  // time steps per astrocyte step (dt_astro / dt)

  static AstrocyteLR1994 make(const std::map<std::string, double>& p, double dt);

  /// `j_gap`: IP3 flux through gap junctions (µM/ms), constant over the step. T is double
  /// or a lanes::Pack of cells (util/lanes.hpp).
  template <class T>
  KOKKOS_INLINE_FUNCTION void rhs(const T y[3], T f[3], T j_gap) const {
    const T ip3 = y[0], hh = y[2];
    const T c = lanes::clamp(y[1], 0.0, Ca_tot);
    const T alpha_h = k_IP3R * Kd_inh * (ip3 + Kd_IP3_1) / (ip3 + Kd_IP3_2);
    const T beta_h = k_IP3R * c;
    const T J_pump = rate_SERCA * c * c / (Km_SERCA * Km_SERCA + c * c);
    // m_inf n_inf in one division, and constant divisors as reciprocals: 3 divisions
    // instead of 6 (the costliest operations of the step).
    const T mn_inf = ip3 * c / ((ip3 + Kd_IP3_1) * (c + Kd_act));
    const T ca_er = (Ca_tot - c) * inv_ratio_ER_cyt;
    const T J_leak = ratio_ER_cyt * rate_L * (ca_er - c);
    const T mnh = mn_inf * hh;
    const T J_channel = ratio_ER_cyt * rate_IP3R * mnh * mnh * mnh * (ca_er - c);
    f[0] = (IP3_0 - ip3) * inv_tau_IP3 + j_gap;
    f[1] = J_channel - J_pump + J_leak;
    f[2] = alpha_h * (1.0 - hh) - beta_h * hh;
  }

  /// One step of the cell, y = (IP3, Ca, h): the RK4 sub-steps, then finish(). `input` is
  /// the summed weight of the spikes arriving in the step, `j_gap` the gap-junction flux.
  /// T is double (one cell) or lanes::Pack (cells in SIMD lanes, each lane with the
  /// scalar bits: the arithmetic is branch-free).
  template <class T>
  KOKKOS_INLINE_FUNCTION void step(T y[3], T input, T j_gap) const {
    for (int s = 0; s < substeps; ++s) substep(y, j_gap);
    finish(y, input);
  }

  /// One classic RK4 sub-step of length h.
  template <class T>
  KOKKOS_INLINE_FUNCTION void substep(T y[3], T j_gap) const {
    T k1[3], k2[3], k3[3], k4[3], t[3];
    rhs(y, k1, j_gap);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k1[i];
    rhs(t, k2, j_gap);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k2[i];
    rhs(t, k3, j_gap);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + h * k3[i];
    rhs(t, k4, j_gap);
    for (int i = 0; i < 3; ++i) y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
  }

  /// After the sub-steps: the arriving input raises IP3, Ca is clamped to [0, Ca_tot].
  template <class T>
  KOKKOS_INLINE_FUNCTION void finish(T y[3], T input) const {
    y[0] += delta_IP3 * input;
    y[1] = lanes::clamp(y[1], 0.0, Ca_tot);
  }

  template <class T>
  KOKKOS_INLINE_FUNCTION T sic(T ca) const {
    const T x = (ca - SIC_th) * 1000.0;
    const auto above = x > 1.0;
    if (!lanes::any(above)) return lanes::splat<T>(0.0);  // no log where every lane sends 0
    return lanes::select(above, SIC_scale * lanes::log(lanes::max(x, lanes::splat<T>(1.0))), lanes::splat<T>(0.0));
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

/// astrocyte_gchi: the G-ChI astrocyte (De Pittà et al. 2009) with gliotransmitter release
/// (De Pittà et al. 2011), as coded in Stimberg et al. 2019's Brian 2 examples (rates per
/// ms here). State: Gamma_A (activated metabotropic receptors), IP3 (I), Ca (C), h, x_A
/// (gliotransmitter resources), G_A (released gliotransmitter), Y (synaptic glutamate
/// seen by the astrocyte, µM).
///   dGamma_A/dt = O_N Y_tot (1 - G) - Omega_N (1 + zeta C/(C + K_KC)) G,   G = clamp(Gamma_A, 0, 1)
///   dI/dt = O_beta Gamma_A + O_delta/(1 + I/kappa_delta) C^2/(C^2 + K_delta^2)
///           - O_3K C^4/(C^4 + K_D^4) I/(I + K_3K) - Omega_5P I + J_ex + J_gap
///   dC/dt = (Omega_C m^3 h^3 + Omega_L)(C_T - (1 + rho_A) C) - O_P C^2/(C^2 + K_P^2),
///           m = I/(I + d_1) C/(C + d_5)
///   dh/dt = O_2 (Q_2 - (Q_2 + C) h),   Q_2 = d_2 (I + d_1)/(I + d_3)
///   dx_A/dt = Omega_A (1 - x_A),   dG_A/dt = -Omega_e G_A,   dY/dt = -Omega_c Y
/// with Y_tot = Y + glutamate (a constant external level) and J_ex the examples' exogenous
/// IP3 term -F_ex/2 (1 + tanh((|I - I_bias| - I_Theta)/omega_I)) sign(I - I_bias) (off by
/// default: F_ex = 0). One step of `h` ms (an astrocyte step may span several time steps):
/// RK4 on (Gamma_A, I, C, h) with Y, J_gap held (as Brian holds its summed inputs), exact
/// decay of x_A, G_A and Y; then the release rule: C > C_Theta while armed releases
/// (G_A += rho_e G_T U_A x_A, x_A -= U_A x_A) and disarms; C <= C_Theta at the start of a
/// step re-arms (Brian's threshold with refractory 'C > C_Theta'). A release is emitted
/// as a spike of the astrocyte. Arriving glutamate (the weights of spikes reaching port 0,
/// µM) is divided by the astrocyte's number of incoming synapses (the mean over its
/// synapses, as Stimberg's Y_S/N_incoming) and added to Y at the end of its time step,
/// decayed from there to the end of the astrocyte step (arrive()): Y is exact for any h.
struct AstrocyteGChI {
  double O_P, K_P, C_T, rho_A, Omega_C, Omega_L, d_1, d_2, O_2, d_3, d_5;
  double O_beta, O_N, Omega_N, K_KC, zeta, O_delta, kappa_delta, K_delta, Omega_5P, K_D, K_3K, O_3K;
  double F_ex, I_bias, I_Theta, omega_I;
  double C_Theta, Omega_A, U_A, G_T, rho_e, Omega_e, Omega_c, glutamate, O_G, Omega_G;
  double h = 0;        // astrocyte step (ms)
  int every = 1;       // time steps per astrocyte step
  double decay_A = 0, decay_e = 0, decay_c = 0;  // e^{-Omega h}
  double decay_c_dt = 0;                         // e^{-Omega_c dt}: Y's decay over one time step

  static AstrocyteGChI make(const std::map<std::string, double>& p, double dt);

  /// y = (Gamma_A, I, C, h); `Y` the glutamate, `j_gap` the gap-junction flux (µM/ms).
  KOKKOS_INLINE_FUNCTION void rhs(const double y[4], double f[4], double Y, double j_gap) const {
    const double G = y[0] < 0 ? 0 : (y[0] > 1 ? 1 : y[0]);
    const double I = y[1], C = y[2], hh = y[3];
    const double C2 = C * C, C4 = C2 * C2, KD2 = K_D * K_D;
    f[0] = O_N * (Y + glutamate) * (1.0 - G) - Omega_N * (1.0 + zeta * C / (C + K_KC)) * G;
    double j_ex = 0.0;
    if (F_ex != 0.0) {
      const double d = I - I_bias, a = d < 0 ? -d : d;
      const double j = 0.5 * F_ex * (1.0 + kmath::tanh((a - I_Theta) / omega_I));
      j_ex = d > 0 ? -j : (d < 0 ? j : 0.0);
    }
    f[1] = O_beta * y[0] + O_delta / (1.0 + I / kappa_delta) * C2 / (C2 + K_delta * K_delta) -
           O_3K * C4 / (C4 + KD2 * KD2) * I / (I + K_3K) - Omega_5P * I + j_ex + j_gap;
    const double m = I / (I + d_1) * C / (C + d_5);
    const double mh = m * hh;
    f[2] = (Omega_C * mh * mh * mh + Omega_L) * (C_T - (1.0 + rho_A) * C) - O_P * C2 / (C2 + K_P * K_P);
    const double Q2 = d_2 * (I + d_1) / (I + d_3);
    f[3] = O_2 * (Q2 - (Q2 + C) * hh);
  }

  /// One astrocyte step. s = (Gamma_A, I, C, h, x_A, G_A, Y); `armed` the release flag;
  /// `glu` the glutamate arriving during the step (µM, already divided by the in-degree).
  /// Returns true on a release.
  KOKKOS_INLINE_FUNCTION bool step(double s[7], int& armed, double glu, double j_gap) const {
    if (!(s[2] > C_Theta)) armed = 1;
    double y[4] = {s[0], s[1], s[2], s[3]}, k1[4], k2[4], k3[4], k4[4], t[4];
    const double Y = s[6];
    rhs(y, k1, Y, j_gap);
    for (int i = 0; i < 4; ++i) t[i] = y[i] + 0.5 * h * k1[i];
    rhs(t, k2, Y, j_gap);
    for (int i = 0; i < 4; ++i) t[i] = y[i] + 0.5 * h * k2[i];
    rhs(t, k3, Y, j_gap);
    for (int i = 0; i < 4; ++i) t[i] = y[i] + h * k3[i];
    rhs(t, k4, Y, j_gap);
    for (int i = 0; i < 4; ++i) s[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    s[4] = 1.0 - (1.0 - s[4]) * decay_A;
    s[5] *= decay_e;
    s[6] = s[6] * decay_c + glu;
    if (armed && s[2] > C_Theta) {
      s[5] += rho_e * G_T * U_A * s[4];
      s[4] -= U_A * s[4];
      armed = 0;
      return true;
    }
    return false;
  }

  /// The glutamate pending for the current astrocyte step after one more time step in which
  /// `glu` arrived: what arrived before decays over that time step (dY/dt = -Omega_c Y), so
  /// at the astrocyte step's end each arrival has decayed exactly since its own time step
  /// ended, and step() adds the sum undecayed. With dt_astro = dt the sum is one arrival.
  KOKKOS_INLINE_FUNCTION double arrive(double pending, double glu) const { return pending * decay_c_dt + glu; }

  /// Presynaptic receptor activation Gamma_S of the synapses the astrocyte ensheathes,
  /// advanced over `dt_ms` with G_A held: dGamma_S/dt = O_G G_A (1 - Gamma_S) - Omega_G
  /// Gamma_S, solved exactly.
  KOKKOS_INLINE_FUNCTION double gamma_s(double g, double G_A, double dt_ms) const {
    const double k = O_G * G_A + Omega_G;
    const double inf = O_G * G_A / k;
    return inf + (g - inf) * kmath::exp(-k * dt_ms);
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

  // Reciprocals, so that the right-hand side multiplies (it runs 7 times per sub-step).
  double inv_C = 0, inv_tau_ex = 0, inv_tau_in = 0, inv_tau_w = 0, inv_Delta_T = 0;

  // The alpha conductances are linear and decoupled from V: they are propagated exactly,
  //   dg(s) = dg0 e^{-s/tau},   g(s) = (g0 + dg0 s) e^{-s/tau},
  // and only (V, w) are integrated, with the conductances at the stage times of each
  // sub-step: s_i = t + c_i hs from the step's start and e^{-s_i/tau}. For a whole step
  // (the common case) they are tabulated once, in `whole`.
  static constexpr int stages = 7;
  struct Stages {
    double s[simd_width], ex[simd_width], in[simd_width];  // s_i, e^{-s_i/tau_ex}, e^{-s_i/tau_in}
  };
  Stages whole = {};
  double P_ex = 0, P_in = 0;  // e^{-h / tau}

  /// The stage times of the sub-step [t, t + hs] and the decays there, all seven stages
  /// at once in SIMD lanes (each lane the scalar formula's bits).
  /// On a device backend, one stage after the other (the same operations per stage).
  KOKKOS_INLINE_FUNCTION void stages_of(double t, double hs, Stages& out) const {
    static_assert(stages <= simd_width, "one lane per stage");
    // The Butcher nodes c_i, then 0 in the unused lanes. A local table: a static member
    // array indexed at run time has no copy in device memory.
    constexpr double c[simd_width] = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0, 0.0};
#ifdef CAJAL_DEVICE_BACKEND
    for (int i = 0; i < simd_width; ++i) {
      const double st = t + c[i] * hs;
      out.s[i] = st;
      out.ex[i] = lanes::exp(-st * inv_tau_ex);
      out.in[i] = lanes::exp(-st * inv_tau_in);
    }
#else
    const lanes::Pack st = t + lanes::load<lanes::Pack>(c) * hs;
    lanes::store(out.s, st);
    lanes::store(out.ex, lanes::exp(-st * inv_tau_ex));
    lanes::store(out.in, lanes::exp(-st * inv_tau_in));
#endif
  }

  /// The right-hand side of (V, w) at conductances g_ex, g_in, for T = double (one cell)
  /// or lanes::Pack (cells in SIMD lanes; `refractory` is then a lane mask). In it V is
  /// min(V, V_peak), and V_reset while refractory (dV/dt = 0).
  template <class T, class Mask>
  KOKKOS_FORCEINLINE_FUNCTION void rhs(T g_ex, T g_in, Mask refractory, T I_sic, const T* z, T* f) const {
    f[0] = dV(refractory, I_sic, currents(g_ex, g_in, refractory, z, f[1]));
  }
  /// rhs() in two parts: the membrane currents without I_SIC (and dw/dt into f_w), then
  /// dV/dt from them. I_SIC is added last so that a step can reuse the currents at the end
  /// of the previous one, which differ only in I_SIC (step_block).
  template <class T, class Mask>
  KOKKOS_FORCEINLINE_FUNCTION T currents(T g_ex, T g_in, Mask refractory, const T* z, T& f_w) const {
    const T V = lanes::select(refractory, lanes::splat<T>(V_reset), lanes::min(z[0], lanes::splat<T>(V_peak)));
    const T I_spike =
        Delta_T == 0.0 ? lanes::splat<T>(0.0) : g_L * Delta_T * lanes::exp((V - V_th) * inv_Delta_T);
    // The exponential term is added after the others: they do not wait for exp().
    const T I_rest = I_e - z[1] - g_L * (V - E_L) - g_ex * (V - E_ex) - g_in * (V - E_in);
    f_w = (a * (V - E_L) - z[1]) * inv_tau_w;
    return I_rest + I_spike;
  }
  template <class T, class Mask>
  KOKKOS_FORCEINLINE_FUNCTION T dV(Mask refractory, T I_sic, T currents) const {
    return lanes::select(refractory, lanes::splat<T>(0.0), (currents + I_sic) * inv_C);
  }

  /// The system dopri_step integrates: (V, w) with the conductances at the stage times, the
  /// cell's refractory state and I_SIC held, and NEST's threshold and reset after each
  /// accepted sub-step.
  struct System {
    const AeifCondAlphaAstro& m;
    int& r;
    double I_sic;
    double dge0, ge0, dgi0, gi0;  // conductances at the start of the step
    bool tabulated = false;
    Stages sub;  // a sub-step's other than the whole step: written by begin_substep before use
    KOKKOS_INLINE_FUNCTION System(const AeifCondAlphaAstro& model, int& ref, double isic, double dge, double ge,
                                  double dgi, double gi)
        : m(model), r(ref), I_sic(isic), dge0(dge), ge0(ge), dgi0(dgi), gi0(gi) {}
    KOKKOS_INLINE_FUNCTION void begin_substep(double t, double h_sub) {
      tabulated = t == 0.0 && h_sub == m.h;
      if (!tabulated) m.stages_of(t, h_sub, sub);
    }
    KOKKOS_INLINE_FUNCTION void rhs(int stage, const double* z, double* f) const {
      const Stages& st = tabulated ? m.whole : sub;
      const double s = st.s[stage];
      m.rhs((ge0 + dge0 * s) * st.ex[stage], (gi0 + dgi0 * s) * st.in[stage], r > 0, I_sic, z, f);
    }
    KOKKOS_INLINE_FUNCTION bool after_substep(double* z) const {
      if (r > 0) {
        z[0] = m.V_reset;
        return false;
      }
      if (z[0] < m.V_detect) return false;
      z[0] = m.V_reset;
      z[1] += m.b;
      r = m.ref_steps > 0 ? m.ref_steps + 1 : 0;
      return true;
    }
  };

  /// One time step of y = (V, dg_ex, g_ex, dg_in, g_in, w). `hint` is the cell's last
  /// accepted sub-step (kept between steps, as NEST keeps its integration step). Returns
  /// the number of spikes in the step, or -1 when the integration failed or the state left
  /// NEST's bounds of numerical stability (V < -1000 mV or |w| > 10^6 pA); the caller
  /// reports it. `I_stim`, a stimulus current over the step (pA), adds to I_SIC in dV/dt.
  KOKKOS_INLINE_FUNCTION int step(double y[6], double& I_sic, int& r, double& hint, double in_ex, double in_in,
                                  double in_sic, double I_stim = 0.0) const {
    System sys{*this, r, I_sic + I_stim, y[1], y[2], y[3], y[4]};
    double z[2] = {y[0], y[5]};
    const int spikes = dopri_step<2>(sys, z, h, hint, tol);
    return finish(y, z, spikes, I_sic, r, in_ex, in_in, in_sic);
  }

  /// The state of a block of simd_width cells, one vector per variable: y, I_SIC, the
  /// last sub-step and the refractory count.
  struct Block {
    lanes::Pack y[6], I_sic, hint;
    lanes::IntPack r;
    // First same as last: when every lane's last step was the whole step in the lanes, with
    // no spike and no change of refractoriness, the next step's first stage is the last
    // stage of this one (the conductances at its end are the next ones at its start,
    // bit for bit) but for I_SIC: its currents and dw/dt are kept, and its dV/dt made
    // again with the new I_SIC. This saves one of the seven right-hand sides per step.
    bool reuse = false;
    lanes::Pack last_currents, last_dw;
  };

  /// step() for a block of cells in SIMD lanes. Every cell whose first sub-step would be
  /// the whole step (dopri_first) tries it in the lanes and keeps it where dopri_step
  /// would (error within the tolerance); then the threshold (System::after_substep) and
  /// finish() run in the lanes too. The other cells, rare (sub-steps near a spike, after a
  /// rejection), run step() alone. Each lane does step()'s operations in its order, so
  /// every cell gets step()'s bits. `in` is (receptor, lane), its row 3 the stimulus
  /// current (pA), which adds to I_SIC in dV/dt.
  template <class P = lanes::Pack, class I = lanes::IntPack>  // a template: see CAJAL_PACK_FUNCTION
  CAJAL_PACK_FUNCTION void step_block(Block& cells, const double in[4][simd_width], int spikes[simd_width]) const {
    const P I_drive = cells.I_sic + lanes::load<P>(in[3]);
    const LaneSystem sys{*this, cells.y[1], cells.y[2], cells.y[3], cells.y[4], cells.r > 0, I_drive};
    const P z[2] = {cells.y[0], cells.y[5]};
    P y5[2], k1[2];
    if (cells.reuse) {
      k1[0] = dV(sys.refractory, I_drive, cells.last_currents);
      k1[1] = cells.last_dw;
    }
    const P err = dopri_trial<2, P>(sys, z, lanes::splat<P>(h), tol, y5, cells.reuse ? k1 : nullptr);
    const P first = lanes::select((cells.hint > 0.0) & (cells.hint <= h), cells.hint, lanes::splat<P>(h));
    const I whole = (first == h) & (err <= 1.0);
    // after_substep
    const I refractory = cells.r > 0;
    const I spike = ~refractory & ~(y5[0] < V_detect);
    const P V = lanes::select(refractory | spike, lanes::splat<P>(V_reset), y5[0]);
    const P w = lanes::select(spike, y5[1] + this->b, y5[1]);
    I r = lanes::select(spike, I{} + (ref_steps > 0 ? ref_steps + 1 : 0), cells.r);
    // finish
    Block out;
    out.y[0] = V;
    out.y[5] = w;
    out.y[2] = (cells.y[2] + cells.y[1] * h) * P_ex;
    out.y[1] = cells.y[1] * P_ex;
    out.y[4] = (cells.y[4] + cells.y[3] * h) * P_in;
    out.y[3] = cells.y[3] * P_in;
    const I fail = ~(V >= -1e3) | ~((w <= 1e6) & (w >= -1e6));
    out.r = lanes::select(~fail & (r > 0), r - 1, r);
    const P in_ex = lanes::load<P>(in[0]), in_in = lanes::load<P>(in[1]), in_sic = lanes::load<P>(in[2]);
    out.y[1] = lanes::select(fail, out.y[1], out.y[1] + ex_init * in_ex);
    out.y[3] = lanes::select(fail, out.y[3], out.y[3] + in_init * -in_in);
    out.I_sic = lanes::select(fail, cells.I_sic, in_sic);
    out.hint = cells.hint;
    out.last_currents = sys.last_currents;
    out.last_dw = sys.last_dw;
    out.reuse = lanes::all(whole & ~spike & ~fail & (refractory == (out.r > 0)));
    for (int l = 0; l < simd_width; ++l) {
      if (whole[l]) {
        spikes[l] = fail[l] ? -1 : (spike[l] ? 1 : 0);
        continue;
      }
      double yl[6], isic = cells.I_sic[l], hint = cells.hint[l];
      for (int j = 0; j < 6; ++j) yl[j] = cells.y[j][l];
      int rl = static_cast<int>(cells.r[l]);
      spikes[l] = step(yl, isic, rl, hint, in[0][l], in[1][l], in[2][l], in[3][l]);
      for (int j = 0; j < 6; ++j) out.y[j][l] = yl[j];
      out.I_sic[l] = isic;
      out.hint[l] = hint;
      out.r[l] = rl;
    }
    cells = out;
  }

  /// A whole-step trial of cells in lanes (dopri_trial's system): System::rhs with the
  /// tabulated stage times.
  struct LaneSystem {
    const AeifCondAlphaAstro& m;
    lanes::Pack dge0, ge0, dgi0, gi0;
    lanes::IntPack refractory;
    lanes::Pack I_sic;
    mutable lanes::Pack last_currents{}, last_dw{};  // of the last stage (Block::reuse)
    template <class P = lanes::Pack>
    CAJAL_PACK_FUNCTION void rhs(int stage, const P* z, P* f) const {
      const double s = m.whole.s[stage];
      const lanes::Pack c =
          m.currents((ge0 + dge0 * s) * m.whole.ex[stage], (gi0 + dgi0 * s) * m.whole.in[stage], refractory, z, f[1]);
      f[0] = m.dV(refractory, I_sic, c);
      if (stage == stages - 1) {
        last_currents = c;
        last_dw = f[1];
      }
    }
  };

  /// The rest of a step once (V, w) = z are integrated: the conductances propagate exactly,
  /// the state is checked, the refractory count runs down, the step's input arrives.
  KOKKOS_INLINE_FUNCTION int finish(double y[6], const double z[2], int spikes, double& I_sic, int& r, double in_ex,
                                    double in_in, double in_sic) const {
    y[0] = z[0];
    y[5] = z[1];
    y[2] = (y[2] + y[1] * h) * P_ex;
    y[1] *= P_ex;
    y[4] = (y[4] + y[3] * h) * P_in;
    y[3] *= P_in;
    if (spikes < 0 || !(y[0] >= -1e3) || !(y[5] <= 1e6 && y[5] >= -1e6)) return -1;
    if (r > 0) --r;
    y[1] += ex_init * in_ex;
    y[3] += in_init * -in_in;  // inhibitory weights arrive negative: the conductance rises by |w|
    I_sic = in_sic;
    return spikes;
  }
};

}  // namespace cajal
