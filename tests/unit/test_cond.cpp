// iaf_cond_exp (model/cond.hpp) against the analytic leaky integrate-and-fire:
// without synaptic input, V(t) = E_L + I_e/g_L (1 - e^{-t g_L/C_m}), and with I_e above
// rheobase the cell fires with period t_ref + tau_m ln((I_e/g_L - (V_reset - E_L)) /
// (I_e/g_L - (V_th - E_L))), tau_m = C_m/g_L (on the time grid: each spike at the end of
// the step in which V crosses V_th).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>
#include <algorithm>

#include "model/cond.hpp"

namespace {

std::map<std::string, double> nest_defaults(double I_e) {
  return {{"C_m", 250.0},  {"g_L", 16.6667},   {"E_L", -70.0},      {"V_th", -55.0},
          {"V_reset", -60.0}, {"t_ref", 2.0},  {"E_ex", 0.0},       {"E_in", -85.0},
          {"tau_syn_ex", 0.2}, {"tau_syn_in", 2.0}, {"I_e", I_e}};
}

}  // namespace

TEST(IafCondExp, SubthresholdIsTheAnalyticSolution) {
  const double dt = 0.1, I_e = 200.0;  // steady state E_L + 12 mV, below V_th
  const cajal::IafCondExp m = cajal::IafCondExp::make(nest_defaults(I_e), dt);
  double y[3] = {-70.0, 0.0, 0.0}, hint = dt;
  int r = 0;
  for (int k = 1; k <= 1000; ++k) {
    ASSERT_FALSE(m.step(y, r, hint, 0.0, 0.0));
    const double t = k * dt;
    const double want = -70.0 + I_e / 16.6667 * (1.0 - std::exp(-t * 16.6667 / 250.0));
    ASSERT_NEAR(y[0], want, 1e-6) << "t = " << t;
  }
}

TEST(IafCondExp, ConductanceInputDecaysAndDepolarises) {
  const double dt = 0.1;
  const cajal::IafCondExp m = cajal::IafCondExp::make(nest_defaults(0.0), dt);
  double y[3] = {-70.0, 0.0, 0.0}, hint = dt;
  int r = 0;
  m.step(y, r, hint, 5.0, 0.0);  // 5 nS arrive in the first step: g_ex = 5 nS from t = 0.1 ms
  EXPECT_DOUBLE_EQ(y[1], 5.0);
  EXPECT_DOUBLE_EQ(y[0], -70.0);
  double vmax = y[0];
  for (int k = 0; k < 50; ++k) {
    m.step(y, r, hint, 0.0, 0.0);
    vmax = std::max(vmax, y[0]);
  }
  EXPECT_NEAR(y[1], 5.0 * std::exp(-5.0 / 0.2), 1e-8);  // g_ex decays with tau_syn_ex
  EXPECT_GT(vmax, -70.0 + 0.05);                        // an EPSP
  EXPECT_LT(vmax, -55.0);
}

TEST(IafCondExp, FiringPeriodIsTheLifPeriod) {
  const double dt = 0.1, I_e = 500.0;
  const cajal::IafCondExp m = cajal::IafCondExp::make(nest_defaults(I_e), dt);
  double y[3] = {-60.0, 0.0, 0.0}, hint = dt;  // start at the reset: every period alike
  int r = 0;
  std::vector<int> spikes;
  for (int k = 0; k < 10000; ++k)
    if (m.step(y, r, hint, 0.0, 0.0)) spikes.push_back(k);
  const double tau = 250.0 / 16.6667, RI = I_e / 16.6667;
  const double T = tau * std::log((RI - 10.0) / (RI - 15.0));  // 0 -> threshold from the reset
  // The first spike ends the step in which V crosses: step ceil(T/dt) - 1. Then the cell is
  // held for t_ref (20 steps after the spike step) and starts again from V_reset.
  ASSERT_GE(spikes.size(), 3u);
  EXPECT_EQ(spikes[0], static_cast<int>(std::ceil(T / dt)) - 1);
  const int period = spikes[1] - spikes[0];
  EXPECT_EQ(period, 20 + static_cast<int>(std::ceil(T / dt)));
  for (std::size_t k = 2; k < spikes.size(); ++k) EXPECT_EQ(spikes[k] - spikes[k - 1], period);
}
