// The STDP rules against their analytic pair windows.
//
// One presynaptic spike at stamp t1, one postsynaptic spike at t2 = t1 + offset, and a
// late presynaptic spike at t3 = t1 + 2000 steps that reads out the facilitation (NEST
// updates a synapse only when a presynaptic spike arrives). With the whole delay d
// dendritic, the pair interval at the synapse is Δ = (offset + d)·dt, and
//   Δ > 0:  w <- facilitate(w, e^{-Δ/τ+}),   Δ < 0:  w <- depress(w, e^{Δ/τ-}),   Δ = 0: none,
// followed by the read-out spike's depression with K- = e^{-(t3 - d - t2)·dt/τ-}.
// facilitate/depress are written out below from NEST's definitions (Guetig et al. 2003 for
// stdp_synapse, Morrison et al. 2007 for stdp_pl_synapse_hom), independently of the code
// under test, which composes them from its history and trace bookkeeping.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "synapse/stdp.hpp"

namespace {

constexpr double dt = 0.1, tau_plus = 16.8, tau_minus = 33.7;

cajal::StdpRule rule(int kind, double mu_plus, double mu_minus) {
  cajal::StdpRule r;
  r.kind = kind;
  r.lambda = 0.01;
  r.alpha = 1.05;
  r.mu_plus = mu_plus;
  r.mu_minus = mu_minus;
  r.Wmax = 100.0;
  r.mu = 0.4;
  r.plus = cajal::Decay::make(dt, tau_plus);
  return r;
}

// NEST's formulas, written out.
double fac(const cajal::StdpRule& r, double w, double k) {
  if (r.kind == cajal::StdpRule::power_law) return w + r.lambda * std::pow(w, r.mu) * k;
  return std::min(1.0, w / r.Wmax + r.lambda * std::pow(1 - w / r.Wmax, r.mu_plus) * k) * r.Wmax;
}
double dep(const cajal::StdpRule& r, double w, double k) {
  if (r.kind == cajal::StdpRule::power_law) return std::max(0.0, w - r.lambda * r.alpha * w * k);
  return std::max(0.0, w / r.Wmax - r.alpha * r.lambda * std::pow(w / r.Wmax, r.mu_minus) * k) * r.Wmax;
}

// Runs the three spikes through the code under test; returns the final weight.
double simulate(const cajal::StdpRule& r, double w0, std::int64_t t1, std::int64_t t2, std::int64_t t3, int d) {
  auto h = cajal::PostHistory::make(1, dt, tau_minus);
  h.record(0, t2);
  double kp = 0;
  std::int64_t tl = 0;
  int lost = 0;
  double w = r.on_pre_spike(h, 0, w0, kp, tl, t1, d, lost);
  r.advance_trace(kp, tl, t1);
  w = r.on_pre_spike(h, 0, w, kp, tl, t3, d, lost);
  EXPECT_EQ(lost, 0);
  return w;
}

void check_window(int kind, double mu_plus, double mu_minus, double w0) {
  const auto r = rule(kind, mu_plus, mu_minus);
  for (const int d : {1, 15, 40}) {
    double worst = 0;
    int potentiated = 0, depressed = 0;
    for (int offset = -500; offset <= 500; ++offset) {  // -50 .. +50 ms
      const std::int64_t t1 = 1000, t2 = t1 + offset, t3 = t1 + 2000;
      const double delta = (offset + d) * dt;
      double expect = w0;
      if (delta > 0) {
        expect = fac(r, expect, std::exp(-delta / tau_plus));
        ++potentiated;
      } else if (delta < 0) {
        expect = dep(r, expect, std::exp(delta / tau_minus));
        ++depressed;
      }
      expect = dep(r, expect, std::exp(-((t3 - d - t2) * dt) / tau_minus));
      const double got = simulate(r, w0, t1, t2, t3, d);
      worst = std::max(worst, std::fabs(got - expect) / std::fabs(expect));
      if (offset == 100) EXPECT_GT(got, w0) << "post 10 ms after pre potentiates";
      if (offset == -100 - d) EXPECT_LT(got, w0) << "post 10 ms before pre depresses";
    }
    EXPECT_LT(worst, 1e-12) << "delay " << d << " steps";
    EXPECT_EQ(potentiated, 500 + d);  // offset > -d
    EXPECT_EQ(depressed, 500 - d);
  }
}

}  // namespace

TEST(Stdp, AdditiveWindowIsExact) { check_window(cajal::StdpRule::stdp, 0.0, 0.0, 50.0); }
TEST(Stdp, MultiplicativeWindowIsExact) { check_window(cajal::StdpRule::stdp, 1.0, 1.0, 50.0); }
TEST(Stdp, PowerLawWindowIsExact) { check_window(cajal::StdpRule::power_law, 0.0, 0.0, 45.6); }

// Facilitation happens once per postsynaptic spike, in time order, each with the trace
// at that spike's arrival; the weight of stdp_synapse stays in [0, Wmax].
TEST(Stdp, SeveralPostSpikesFacilitateInOrder) {
  const auto r = rule(cajal::StdpRule::stdp, 1.0, 1.0);
  auto h = cajal::PostHistory::make(1, dt, tau_minus);
  const int d = 15;
  for (const std::int64_t t : {1010, 1030, 1200}) h.record(0, t);
  double kp = 0, w = 60.0;
  std::int64_t tl = 0;
  int lost = 0;
  w = r.on_pre_spike(h, 0, w, kp, tl, 1000, d, lost);  // no post spike before 1000 - d
  EXPECT_EQ(w, dep(r, 60.0, 0.0));
  r.advance_trace(kp, tl, 1000);
  const double got = r.on_pre_spike(h, 0, w, kp, tl, 1100, d, lost);
  double expect = fac(r, w, std::exp(-((1010 + d - 1000) * dt) / tau_plus));
  expect = fac(r, expect, std::exp(-((1030 + d - 1000) * dt) / tau_plus));
  // K- just before 1100 - d: the spikes at 1010 and 1030 (1200 is later).
  const double kminus = (std::exp(-(20 * dt) / tau_minus) + 1.0) * std::exp(-((1100 - d - 1030) * dt) / tau_minus);
  expect = dep(r, expect, kminus);
  EXPECT_LT(std::fabs(got - expect) / expect, 1e-12);
  EXPECT_EQ(lost, 0);
  // Saturation.
  EXPECT_EQ(fac(r, 99.99, 1e6), 100.0);
  EXPECT_EQ(r.facilitate(99.99, 1e6), 100.0);
  EXPECT_EQ(r.depress(0.01, 1e6), 0.0);
}

// More postsynaptic spikes than the history keeps since the source's last spike: the
// lost facilitations are counted, never silently dropped.
TEST(Stdp, HistoryOverflowIsCounted) {
  const auto r = rule(cajal::StdpRule::power_law, 0, 0);
  auto h = cajal::PostHistory::make(1, dt, tau_minus);
  for (int k = 0; k < cajal::PostHistory::capacity + 5; ++k) h.record(0, 2000 + 10 * k);
  int lost = 0;
  r.on_pre_spike(h, 0, 45.0, 1.0, 1500, 3000, 10, lost);
  EXPECT_EQ(lost, 1);
  lost = 0;
  r.on_pre_spike(h, 0, 45.0, 1.0, 2300, 2400, 10, lost);  // its window is still kept
  EXPECT_EQ(lost, 0);
}

// Astrocyte-gated STDP: the gate g scales potentiation by g and depression by 2 - g
// (README, "Astrocyte-gated STDP"), applied to NEST's stdp_synapse (Guetig et al. 2003,
// J Neurosci 23:3697, eqs. for the weight-dependent update, as in NEST's stdp_synapse):
//   facilitation  w~ <- min(1, w~ + lambda (1 - w~)^mu+ · g · K+),
//   depression    w~ <- max(0, w~ - alpha lambda w~^mu- · (2 - g) · K-),   w~ = w / Wmax.
// The case: additive (mu+ = mu- = 0), lambda = 0.01, alpha = 1, Wmax = 100, tau+ = tau- =
// 20 ms, dt = 0.1 ms, no delay. The source spiked at step 50 (its trace just after: K+ = 1)
// and spikes again at step 150; the target spiked once, at step 100. So the post spike
// facilitates with K+ = e^{-(100 - 50)·0.1/20} = e^{-1/4}, and the pre spike at 150
// depresses with K- = e^{-(150 - 100)·0.1/20} = e^{-1/4} = 0.778800783071405, i.e.
//   w = 100 · max(0, min(1, w0/100 + 0.01 g e^{-1/4}) - 0.01 (2 - g) e^{-1/4}).
// The expected weights below are that formula worked out by hand, not taken from the code.
TEST(Stdp, GateScalesPotentiationAndDepression) {
  cajal::StdpRule r;
  r.kind = cajal::StdpRule::stdp;
  r.lambda = 0.01;
  r.alpha = 1.0;
  r.mu_plus = 0.0;
  r.mu_minus = 0.0;
  r.Wmax = 100.0;
  r.plus = cajal::Decay::make(0.1, 20.0);
  cajal::PostHistory h = cajal::PostHistory::make(1, 0.1, 20.0);
  h.record(0, 100);  // a postsynaptic spike at step 100
  int lost = 0;
  struct Case {
    double w0, g, want;
  };
  const Case cases[] = {
      {50.0, 0.0, 48.44239843385719},   // 100 (0.5 - 0.02 e^{-1/4})
      {50.0, 0.5, 49.22119921692859},   // 100 (0.5 + 0.005 e^{-1/4} - 0.015 e^{-1/4})
      {50.0, 1.0, 50.0},                // 100 (0.5 + 0.01 e^{-1/4} - 0.01 e^{-1/4}): the plain rule
      {50.0, 1.5, 50.77880078307141},   // 100 (0.5 + 0.015 e^{-1/4} - 0.005 e^{-1/4})
      {50.0, 2.0, 51.55760156614281},   // 100 (0.5 + 0.02 e^{-1/4}): no depression at all
      {99.9, 2.0, 100.0},               // 0.999 + 0.0156 is capped at 1, then nothing to depress
      {0.5, 0.0, 0.0},                  // 0.005 - 0.0156 is floored at 0
  };
  for (const Case& c : cases) {
    const double got = r.on_pre_spike(h, 0, c.w0, 1.0, 50, 150, 0, lost, c.g);
    EXPECT_NEAR(got, c.want, 1e-12 * 100) << "w0 " << c.w0 << ", gate " << c.g;
  }
  // Without a gate argument the rule is the plain one: the g = 1 value.
  EXPECT_NEAR(r.on_pre_spike(h, 0, 50.0, 1.0, 50, 150, 0, lost), 50.0, 1e-12 * 100);
  EXPECT_EQ(lost, 0);
}
