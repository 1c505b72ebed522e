// Tsodyks-Markram short-term plasticity (synapse/tsodyks.hpp) against a direct integration
// of its ODEs between spikes (Tsodyks, Uziel & Markram 2000, as NEST's tsodyks_synapse):
//   dy/dt = -y/tau_psc,  dz/dt = y/tau_psc - z/tau_rec,  dx/dt = z/tau_rec,
//   du/dt = -u/tau_fac (u = 0 between spikes when tau_fac = 0),
// with the jumps u += U(1-u), δ = u x, x -= δ, y += δ at each spike. The closed-form
// propagators of the implementation must agree with fine RK4 to 1e-10.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "synapse/tsodyks.hpp"

namespace {

using cajal::TsodyksRule;

/// δ of each spike of a train (spike steps), by RK4 at h = 1e-3 ms between spikes.
std::vector<double> reference(const TsodyksRule& r, const std::vector<long>& steps) {
  double x = 1, y = 0, u = 0, t = 0;
  std::vector<double> out;
  const double h = 1e-3;
  auto f = [&](const double s[3], double d[3]) {  // s = (x, y, z)
    d[0] = s[2] / r.tau_rec;
    d[1] = -s[1] / r.tau_psc;
    d[2] = s[1] / r.tau_psc - s[2] / r.tau_rec;
  };
  for (long st : steps) {
    const double T = st * r.dt;
    double s[3] = {x, y, 1 - x - y};
    const long n = std::lround((T - t) / h);
    for (long k = 0; k < n; ++k) {
      double k1[3], k2[3], k3[3], k4[3], z[3];
      f(s, k1);
      for (int i = 0; i < 3; ++i) z[i] = s[i] + 0.5 * h * k1[i];
      f(z, k2);
      for (int i = 0; i < 3; ++i) z[i] = s[i] + 0.5 * h * k2[i];
      f(z, k3);
      for (int i = 0; i < 3; ++i) z[i] = s[i] + h * k3[i];
      f(z, k4);
      for (int i = 0; i < 3; ++i) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    x = s[0];
    y = s[1];
    u = r.tau_fac > 0 ? u * std::exp(-(T - t) / r.tau_fac) : 0.0;
    u += r.U * (1 - u);
    const double d = u * x;
    x -= d;
    y += d;
    out.push_back(d);
    t = T;
  }
  return out;
}

std::vector<double> implementation(const TsodyksRule& r, const std::vector<long>& steps) {
  double x = 1, y = 0, u = 0;
  long last = 0;  // NEST: t_lastspike starts at 0
  std::vector<double> out;
  for (long st : steps) {
    out.push_back(r.on_spike(r.factors(st - last), u, x, y));
    last = st;
  }
  return out;
}

void check(const TsodyksRule& r) {
  // A 20 Hz burst of 10 spikes, a pause of 300 ms, then 3 spikes: depression, recovery.
  std::vector<long> steps;
  for (int k = 1; k <= 10; ++k) steps.push_back(k * 500);
  for (int k = 0; k < 3; ++k) steps.push_back(8000 + k * 250);
  const auto want = reference(r, steps), got = implementation(r, steps);
  for (std::size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-10) << "spike " << k;
  // Depression shows: the 10th spike of the burst transmits less than the first.
  if (r.tau_fac == 0) EXPECT_LT(got[9], 0.7 * got[0]);
}

}  // namespace

TEST(Tsodyks, DepressionMatchesOdeIntegration) { check(TsodyksRule{0.5, 3.0, 800.0, 0.0, 0.1}); }
TEST(Tsodyks, FacilitationMatchesOdeIntegration) { check(TsodyksRule{0.1, 2.0, 100.0, 1000.0, 0.1}); }
