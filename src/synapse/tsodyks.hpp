#pragma once
// Tsodyks-Markram short-term plasticity, as NEST's tsodyks_synapse (Tsodyks, Uziel &
// Markram 2000): each synapse holds the fraction of resources recovered x, active y and
// inactive z = 1 - x - y, and the utilisation u. At a presynaptic spike, Δ after the
// previous one (t_last starts at 0, as in NEST):
//   u <- u e^{-Δ/tau_fac}  (0 when tau_fac = 0)
//   x <- x + Pxy y + (1 - e^{-Δ/tau_rec}) z,   Pxy = ((e^{-Δ/tau_rec} - 1) tau_rec - (e^{-Δ/tau_psc} - 1) tau_psc) / (tau_psc - tau_rec)
//   y <- y e^{-Δ/tau_psc}
//   u <- u + U (1 - u);   δ = u x;   x <- x - δ;   y <- y + δ
// and the synapse transmits δ × weight. Every synapse of one source sees the same Δ, so
// the factors are computed once per spike and row (Factors), then applied per synapse.
#include <cstdint>

#include "util/kmath.hpp"

namespace cajal {

struct TsodyksRule {
  double U = 0.5, tau_psc = 3.0, tau_rec = 800.0, tau_fac = 0.0, dt = 0.1;

  struct Factors {
    double Puu, Pyy, Pxy, Pxz;
  };
  KOKKOS_INLINE_FUNCTION Factors factors(std::int64_t steps_since_last) const {
    const double d = static_cast<double>(steps_since_last) * dt;
    const double Pyy = kmath::exp(-d / tau_psc), Pzz = kmath::exp(-d / tau_rec);
    return {tau_fac == 0.0 ? 0.0 : kmath::exp(-d / tau_fac), Pyy,
            ((Pzz - 1.0) * tau_rec - (Pyy - 1.0) * tau_psc) / (tau_psc - tau_rec), 1.0 - Pzz};
  }
  /// Updates one synapse at a spike; returns the fraction δ of the weight transmitted.
  KOKKOS_INLINE_FUNCTION double on_spike(const Factors& f, double& u, double& x, double& y) const {
    const double z = 1.0 - x - y;
    u *= f.Puu;
    x += f.Pxy * y + f.Pxz * z;
    y *= f.Pyy;
    u += U * (1.0 - u);
    const double delta = u * x;
    x -= delta;
    y += delta;
    return delta;
  }
};

/// The tripartite synapse of Stimberg et al. 2019 (De Pittà et al. 2011, 2016): a two-state
/// Tsodyks-Markram synapse whose release probability is modulated by the gliotransmitter
/// its astrocyte releases. Between spikes u decays with Omega_f and x recovers with
/// Omega_d; at a spike, with Gamma_S the activation of its presynaptic receptors,
///   U_0 = (1 - Gamma_S) U_0* + alpha Gamma_S;   u <- u + U_0 (1 - u);   r = u x;   x <- x - r
/// and it transmits r × weight.
struct GlioRule {
  double U_0 = 0.6, Omega_f = 3.33e-3, Omega_d = 2e-3, alpha = 0.0, dt = 0.1;

  struct Factors {
    double du, dx;
  };
  KOKKOS_INLINE_FUNCTION Factors factors(std::int64_t steps_since_last) const {
    const double d = static_cast<double>(steps_since_last) * dt;
    return {kmath::exp(-Omega_f * d), kmath::exp(-Omega_d * d)};
  }
  KOKKOS_INLINE_FUNCTION double on_spike(const Factors& f, double& u, double& x, double gamma_s) const {
    u *= f.du;
    x = 1.0 - (1.0 - x) * f.dx;
    u += ((1.0 - gamma_s) * U_0 + alpha * gamma_s) * (1.0 - u);
    const double r = u * x;
    x -= r;
    return r;
  }
};

}  // namespace cajal
