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

// Astrocyte-gated STDP: the gate scales potentiation by g and depression by 2 - g; g = 1 is
// the plain rule, bit for bit.
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
  const double w0 = 50.0, kp = 1.0;
  // A presynaptic spike at 150 after one at 50: potentiation by the post spike at 100 (d =
  // 0), then depression by K- at 150.
  const double plain = r.on_pre_spike(h, 0, w0, kp, 50, 150, 0, lost);
  EXPECT_EQ(plain, r.on_pre_spike(h, 0, w0, kp, 50, 150, 0, lost, 1.0));
  const double kplus = kp * r.plus(50), kminus = h.kminus_at(0, 150, lost);
  for (const double g : {0.0, 0.5, 1.5, 2.0}) {
    const double up = std::min(1.0, w0 / 100.0 + 0.01 * g * kplus);
    const double want = std::max(0.0, up - 0.01 * (2.0 - g) * kminus) * 100.0;
    EXPECT_NEAR(r.on_pre_spike(h, 0, w0, kp, 50, 150, 0, lost, g), want, 1e-12) << "gate " << g;
  }
  EXPECT_EQ(lost, 0);
}
