// Exactness of the LIF models against their analytic solutions.
// Reference: the solutions of the linear ODEs in model/lif.hpp (Rotter & Diesmann 1999).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "model/lif.hpp"

namespace {

std::map<std::string, double> params(double I_e, double V_th = 1e9) {
  return {{"C_m", 250.0}, {"tau_m", 10.0}, {"t_ref", 2.0},   {"E_L", -70.0},     {"V_reset", -70.0},
          {"V_th", V_th}, {"I_e", I_e},    {"V_m", -70.0},   {"V_min", -1e300},  {"tau_syn_ex", 2.0},
          {"tau_syn_in", 5.0}};
}

// Relative error, against the larger of |exact| and a floor of 1e-3 of the scale.
double rel(double got, double exact, double scale) {
  return std::fabs(got - exact) / std::max(std::fabs(exact), 1e-3 * scale);
}

}  // namespace

TEST(IafPscDelta, SubthresholdConstantCurrentIsExact) {
  const double h = 0.1, I = 300.0, C = 250.0, tau = 10.0;
  const auto m = cajal::IafPscDelta::make(params(I), h);
  double V = 0.0;  // relative to E_L
  int r = 0;
  double worst = 0;
  for (int n = 1; n <= 2000; ++n) {
    m.step(V, r, 0.0);
    const double exact = I * tau / C * (1.0 - std::exp(-n * h / tau));
    worst = std::max(worst, rel(V, exact, I * tau / C));
  }
  EXPECT_LT(worst, 1e-12);
}

TEST(IafPscExp, SubthresholdConstantCurrentIsExact) {
  const double h = 0.1, I = 300.0, C = 250.0, tau = 10.0;
  const auto m = cajal::IafPscExp::make(params(I), h);
  double V = 0.0, ie = 0.0, ii = 0.0;
  int r = 0;
  double worst = 0;
  for (int n = 1; n <= 2000; ++n) {
    m.step(V, ie, ii, r, 0.0, 0.0);
    const double exact = I * tau / C * (1.0 - std::exp(-n * h / tau));
    worst = std::max(worst, rel(V, exact, I * tau / C));
  }
  EXPECT_LT(worst, 1e-12);
}

// A current step I0 entering the synapse at t = 0 gives
// V(t) = I0/C * tau_s tau_m / (tau_m - tau_s) * (exp(-t/tau_m) - exp(-t/tau_s)).
TEST(IafPscExp, SynapticCurrentResponseIsExact) {
  const double h = 0.1, C = 250.0, tau_m = 10.0;
  for (const double tau_s : {2.0, 5.0}) {
    const auto m = cajal::IafPscExp::make(params(0.0), h);
    const bool ex = tau_s == 2.0;
    const double I0 = ex ? 500.0 : -500.0;
    double V = 0.0, ie = 0.0, ii = 0.0;
    int r = 0;
    m.step(V, ie, ii, r, ex ? I0 : 0.0, ex ? 0.0 : I0);  // arrives in step 0, acts from its end
    double worst = 0;
    const double scale = std::fabs(I0) / C * tau_s;
    for (int n = 1; n <= 2000; ++n) {
      m.step(V, ie, ii, r, 0.0, 0.0);
      const double t = n * h;
      const double exact = I0 / C * tau_s * tau_m / (tau_m - tau_s) * (std::exp(-t / tau_m) - std::exp(-t / tau_s));
      worst = std::max(worst, rel(V, exact, scale));
    }
    EXPECT_LT(worst, 1e-12) << "tau_syn = " << tau_s;
  }
}

// tau_s = tau_m: the limit V(t) = I0/C * t * exp(-t/tau).
TEST(IafPscExp, EqualTimeConstantsUseTheLimit) {
  const double h = 0.1, C = 250.0, tau = 10.0, I0 = 400.0;
  auto p = params(0.0);
  p["tau_syn_ex"] = tau;
  const auto m = cajal::IafPscExp::make(p, h);
  double V = 0.0, ie = 0.0, ii = 0.0;
  int r = 0;
  m.step(V, ie, ii, r, I0, 0.0);
  double worst = 0;
  for (int n = 1; n <= 1000; ++n) {
    m.step(V, ie, ii, r, 0.0, 0.0);
    const double t = n * h;
    worst = std::max(worst, rel(V, I0 / C * t * std::exp(-t / tau), I0 / C * tau));
  }
  EXPECT_LT(worst, 1e-12);
}

// Under constant suprathreshold current the first threshold crossing is at
// t* = tau ln(V_inf / (V_inf - theta)), V_inf = I tau / C. The model reports a spike at the
// end of the step in which V reaches theta, so it lies in [t*, t* + h].
TEST(Lif, FirstSpikeTimeWithinOneStep) {
  const double h = 0.1, I = 500.0, C = 250.0, tau = 10.0, theta = 15.0;  // V_th = -55 mV
  const double V_inf = I * tau / C, t_star = tau * std::log(V_inf / (V_inf - theta));
  const auto md = cajal::IafPscDelta::make(params(I, -55.0), h);
  const auto me = cajal::IafPscExp::make(params(I, -55.0), h);
  double Vd = 0, Ve = 0, ie = 0, ii = 0;
  int rd = 0, re = 0;
  double td = -1, te = -1;
  for (int s = 0; s < 100000 && (td < 0 || te < 0); ++s) {
    if (md.step(Vd, rd, 0.0) && td < 0) td = (s + 1) * h;
    if (me.step(Ve, ie, ii, re, 0.0, 0.0) && te < 0) te = (s + 1) * h;
  }
  EXPECT_GE(td, t_star - 1e-12);
  EXPECT_LE(td, t_star + h);
  EXPECT_GE(te, t_star - 1e-12);
  EXPECT_LE(te, t_star + h);
}

// NEST semantics: during the refractory period V is clamped at V_reset and delta input
// arriving then is discarded; after round(t_ref/h) steps the neuron integrates again.
TEST(IafPscDelta, RefractoryClampsAndDiscardsInput) {
  const double h = 0.1;
  const auto m = cajal::IafPscDelta::make(params(0.0, -55.0), h);
  ASSERT_EQ(m.ref_steps, 20);
  double V = 0.0;
  int r = 0;
  ASSERT_TRUE(m.step(V, r, 20.0));  // jump above threshold: fires
  EXPECT_EQ(V, m.V_reset);
  for (int k = 0; k < 20; ++k) {
    EXPECT_FALSE(m.step(V, r, 5.0));  // discarded
    EXPECT_EQ(V, m.V_reset);
  }
  EXPECT_FALSE(m.step(V, r, 5.0));  // integrating again
  EXPECT_DOUBLE_EQ(V, m.V_reset * m.P33 + 5.0);
}
