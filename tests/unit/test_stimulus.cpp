// Stimulus devices ([[stimulus]], model/stimulus.hpp) against analytic responses. Each test
// builds a population from a deck and drives it through its kernel, as the simulation does
// (StimulusInput::fill, then Population::advance), in intervals of kM steps.
//
// With a current I piecewise constant over steps, iaf_psc_delta and iaf_psc_exp (no
// synaptic input) integrate exactly: between changes V relaxes to E_L + I tau_m / C_m
// with time constant tau_m (Rotter & Diesmann 1999). So
//   - dc_generator: V_inf = E_L + I tau_m / C_m and the period in steps
//     round(t_ref/h) + ceil(tau_m ln((V_inf - V_reset)/(V_inf - V_th)) / h) (the first
//     grid point at or past the crossing, NEST's semantics on the grid);
//   - step_current_generator: the closed-form piecewise exponential at every step;
//   - ac_generator: the exact solution of the sampled sine V_{k+1} = P33 V_k + P30 I_k,
//     I_k = offset + a sin(w (k + 1) h + phi), whose gain tends to the continuous
//     tau/C / sqrt(1 + (w tau)^2) as h -> 0;
//   - inhomogeneous_poisson_generator: counts per cell and window are Poisson with mean
//     rate x window: sample mean and variance within 4.5 standard errors (two-sided
//     significance 7e-6 each).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "model/population.hpp"
#include "util/fixed_point.hpp"

namespace {

constexpr double kH = 0.1;
constexpr int kM = 15;  // steps per interval (the ring size too): devices must not care

struct Driven {
  std::vector<std::vector<double>> v;       // recordable of every cell after each step
  std::vector<std::vector<double>> spikes;  // spike times (ms) per cell
};

/// Runs `deck_text` (one population, index 0) for `steps` steps, recording `var`.
Driven drive(const std::string& deck_text, int steps, const std::string& var) {
  const cajal::Deck deck = cajal::Deck::parse(deck_text, "t.toml");
  cajal::check_models(deck);
  const cajal::Partition part(deck, 1, 0);
  auto pop = cajal::make_population(deck, part, 0, kM);
  cajal::SpikeBuffer out;
  out.spikes = Kokkos::View<std::uint64_t*>("spikes", pop->local_size * kM + 1);
  out.count = Kokkos::View<int>("count");
  out.failures = Kokkos::View<int>("failures");
  const auto rec = pop->recordable(var);
  Driven d;
  d.spikes.resize(pop->local_size);
  for (std::int64_t t0 = 0; t0 < steps; t0 += kM) {
    Kokkos::deep_copy(out.count, 0);
    for (int k = 0; k < kM && t0 + k < steps; ++k) {  // step by step, as state reports split it
      pop->stimulus.fill(*pop, t0, k, k + 1);
      pop->advance(t0, k, k + 1, out);
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), rec.view);
      std::vector<double> row(h.extent(0));
      for (std::size_t i = 0; i < row.size(); ++i) row[i] = h(i) + rec.offset;
      d.v.push_back(row);
    }
    int n = 0;
    Kokkos::deep_copy(n, out.count);
    auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out.spikes);
    for (int j = 0; j < n; ++j) {
      const std::uint64_t gid = cajal::spike_gid(s(j));
      d.spikes[gid].push_back((t0 + cajal::spike_offset(s(j)) + 1) * kH);
    }
  }
  for (auto& v : d.spikes) std::sort(v.begin(), v.end());
  return d;
}

const char* kHead = "[simulation]\ndt = 0.1\nt_stop = 100.0\n";

}  // namespace

// dc_generator into iaf_psc_delta (NEST's defaults: C_m 250 pF, tau_m 10 ms, E_L = V_reset
// = -70 mV, V_th = -55 mV, t_ref 2 ms): 500 pA gives V_inf = -50 mV, crossing after
// 10 ln(20/5) = 13.863 ms, so 139 steps, then 20 refractory steps: period 15.9 ms.
// Cell 0 is driven from start = 5 ms, cell 1 not at all (cells = [0]).
TEST(Stimulus, DcIntoIafPscDeltaFiresWithTheAnalyticPeriod) {
  const std::string deck = std::string(kHead) +
                           "[[population]]\nname = \"n\"\nmodel = \"iaf_psc_delta\"\nn = 2\n"
                           "[[stimulus]]\nname = \"dc\"\nmodel = \"dc_generator\"\npopulation = \"n\"\n"
                           "cells = [0]\namplitude = 500.0\nstart = 5.0\n";
  const Driven d = drive(deck, 1000, "V_m");
  const double V_inf = -70.0 + 500.0 * 10.0 / 250.0;
  const int cross = static_cast<int>(std::ceil(10.0 * std::log((V_inf + 70.0) / (V_inf + 55.0)) / kH));
  ASSERT_EQ(cross, 139);
  const double period = (20 + cross) * kH;
  ASSERT_GE(d.spikes[0].size(), 5u);
  EXPECT_NEAR(d.spikes[0][0], 5.0 + cross * kH, 1e-9);
  for (std::size_t k = 1; k < d.spikes[0].size(); ++k) EXPECT_NEAR(d.spikes[0][k] - d.spikes[0][k - 1], period, 1e-9);
  EXPECT_TRUE(d.spikes[1].empty());
  EXPECT_EQ(d.v[49][0], -70.0);  // nothing before start (step 49 ends at 5 ms)
}

// The steady state itself, below threshold: 250 pA (V_inf = -60 mV) reached to 1e-9 mV.
TEST(Stimulus, DcIntoIafPscDeltaReachesTheSteadyState) {
  const std::string deck = std::string(kHead) +
                           "[[population]]\nname = \"n\"\nmodel = \"iaf_psc_delta\"\nn = 1\n"
                           "[[stimulus]]\nname = \"dc\"\nmodel = \"dc_generator\"\npopulation = \"n\"\namplitude = 250.0\n";
  const Driven d = drive(deck, 3000, "V_m");
  EXPECT_NEAR(d.v.back()[0], -60.0, 1e-9);
  EXPECT_NEAR(d.v[99][0], -70.0 + 10.0 * (1.0 - std::exp(-1.0)), 1e-12);  // at t = tau_m
}

/// The exact membrane potential under a piecewise-constant current (E_L = -70 mV, V(0) =
/// E_L, tau 10 ms, C 250 pF) at time t: the current `values[j]` from `times[j]` on, 0
/// outside [start, stop).
double piecewise(double t, const std::vector<double>& times, const std::vector<double>& values, double stop) {
  double V = 0.0, s = 0.0;  // relative to E_L, at time s
  std::vector<double> edges = times;
  edges.push_back(stop);
  for (std::size_t j = 0; j < times.size() && times[j] < t; ++j) {
    const double end = std::min(t, edges[j + 1]);
    const double Vinf = values[j] * 10.0 / 250.0;
    V = Vinf + (V - Vinf) * std::exp(-(end - times[j]) / 10.0);
    s = end;
  }
  V *= std::exp(-(t - s) / 10.0);  // after stop
  return -70.0 + V;
}

// step_current_generator: 300 pA from 2 ms, -100 pA from 6.5 ms, 400 pA from 9 ms, the
// device stopping at 12 ms; V_th high. iaf_psc_delta and iaf_psc_exp follow the exact
// piecewise solution at every step.
TEST(Stimulus, StepCurrentGivesTheExactPiecewiseSolution) {
  const std::vector<double> times{2.0, 6.5, 9.0}, values{300.0, -100.0, 400.0};
  for (const char* model : {"iaf_psc_delta", "iaf_psc_exp"}) {
    const std::string deck = std::string(kHead) + "[[population]]\nname = \"n\"\nmodel = \"" + model +
                             "\"\nn = 19\nparams = { V_th = 100.0 }\n"
                             "[[stimulus]]\nname = \"s\"\nmodel = \"step_current_generator\"\npopulation = \"n\"\n"
                             "amplitude_times = [2.0, 6.5, 9.0]\namplitude_values = [300.0, -100.0, 400.0]\n"
                             "stop = 12.0\n";
    const Driven d = drive(deck, 200, "V_m");
    double worst = 0;
    for (std::size_t k = 0; k < d.v.size(); ++k)
      for (double v : d.v[k]) worst = std::max(worst, std::abs(v - piecewise((k + 1) * kH, times, values, 12.0)));
    EXPECT_LT(worst, 1e-12) << model;
  }
}

// ac_generator into iaf_psc_delta below threshold: offset 100 pA, amplitude 200 pA, 40 Hz,
// phase 30 deg; exact against the sampled-sine recursion's closed form, and its gain
// within 2 % of the continuous one (h = 0.1 ms, w tau = 2.5).
TEST(Stimulus, AcGeneratorFollowsTheExactLinearResponse) {
  const std::string deck = std::string(kHead) +
                           "[[population]]\nname = \"n\"\nmodel = \"iaf_psc_delta\"\nn = 1\nparams = { V_th = 100.0 }\n"
                           "[[stimulus]]\nname = \"ac\"\nmodel = \"ac_generator\"\npopulation = \"n\"\n"
                           "offset = 100.0\namplitude = 200.0\nfrequency = 40.0\nphase = 30.0\n";
  const Driven d = drive(deck, 1000, "V_m");
  const double pi = 3.14159265358979323846, w = 2 * pi * 40.0e-3, phi = 30.0 * pi / 180.0;
  const double P33 = std::exp(-kH / 10.0), P30 = 10.0 / 250.0 * (1 - P33);
  const std::complex<double> C = P30 / (1.0 - P33 * std::exp(std::complex<double>(0, -w * kH)));
  auto part = [&](int k) { return std::imag(C * std::exp(std::complex<double>(0, w * k * kH + phi))); };
  double worst = 0;
  for (std::size_t i = 0; i < d.v.size(); ++i) {
    const int k = static_cast<int>(i) + 1;
    const double decay = std::pow(P33, k);
    const double exact = -70.0 + 100.0 * P30 * (1 - decay) / (1 - P33) + 200.0 * (part(k) - part(0) * decay);
    worst = std::max(worst, std::abs(d.v[i][0] - exact));
  }
  EXPECT_LT(worst, 1e-10);
  const double continuous = 10.0 / 250.0 / std::sqrt(1 + (w * 10.0) * (w * 10.0));
  EXPECT_NEAR(std::abs(C) / continuous, 1.0, 0.02);
}

// inhomogeneous_poisson_generator: 0 Hz until 10 ms, 200 Hz on [10, 60), 1000 Hz on
// [60, 90), 250 kHz on [90, 92) (25 events per step: two inversions per draw), stopping
// at 92 ms. Counts of 4000 cells per window: Poisson(rate x window).
TEST(Stimulus, InhomogeneousPoissonCountsHaveTheRightMeanAndVariance) {
  const int n = 4000;
  const std::string text = std::string(kHead) + "[[population]]\nname = \"n\"\nmodel = \"iaf_psc_delta\"\nn = " +
                           std::to_string(n) +
                           "\n[[stimulus]]\nname = \"p\"\nmodel = \"inhomogeneous_poisson_generator\"\n"
                           "population = \"n\"\nrate_times = [10.0, 60.0, 90.0]\nrate_values = [200.0, 1000.0, 250000.0]\n"
                           "stop = 92.0\nweight = 0.5\n";
  const cajal::Deck deck = cajal::Deck::parse(text, "t.toml");
  cajal::check_models(deck);
  const cajal::Partition part(deck, 1, 0);
  auto pop = cajal::make_population(deck, part, 0, kM);
  const std::vector<double> edges{0.0, 10.0, 60.0, 90.0, 92.0, 100.0};
  const std::vector<double> rates{0.0, 200.0, 1000.0, 250000.0, 0.0};
  std::vector<std::vector<double>> counts(rates.size(), std::vector<double>(n, 0.0));
  const std::int64_t w = cajal::to_fixed(0.5);
  for (std::int64_t t0 = 0; t0 < 1000; t0 += kM) {
    const int to = static_cast<int>(std::min<std::int64_t>(kM, 1000 - t0));
    pop->stimulus.fill(*pop, t0, 0, to);
    auto ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop->ring);
    for (int k = 0; k < to; ++k) {
      const double t = (t0 + k) * kH + 1e-9;
      std::size_t win = 0;
      while (t > edges[win + 1]) ++win;
      for (int i = 0; i < n; ++i) {
        const std::int64_t x = ring(0, (t0 + k) % kM, i);
        ASSERT_EQ(x % w, 0);
        counts[win][i] += static_cast<double>(x / w);
      }
    }
    Kokkos::deep_copy(pop->ring, 0);
  }
  for (std::size_t win = 0; win < rates.size(); ++win) {
    const double lambda = rates[win] * (edges[win + 1] - edges[win]) * 1e-3;
    double mean = 0, var = 0;
    for (double c : counts[win]) mean += c;
    mean /= n;
    for (double c : counts[win]) var += (c - mean) * (c - mean);
    var /= n - 1;
    if (lambda == 0) {
      EXPECT_EQ(mean, 0.0) << "window " << win;
      continue;
    }
    EXPECT_NEAR(mean, lambda, 4.5 * std::sqrt(lambda / n)) << "window " << win;
    EXPECT_NEAR(var, lambda, 4.5 * std::sqrt((lambda + 2 * lambda * lambda) / n)) << "window " << win;
  }
}

// A current into an astrocyte is IP3 production: astrocyte_lr_1994's IP3 then relaxes to
// IP3_0 + j tau_IP3 (dIP3/dt = (IP3_0 - IP3)/tau_IP3 + j; RK4 on a linear equation). With
// j = 1e-5 µM/ms and tau_IP3 = 7142 ms: IP3 after 100 ms = 0.16 + j tau (1 - e^{-100/tau}).
TEST(Stimulus, DcIntoAnAstrocyteIsIp3Production) {
  const std::string deck = std::string(kHead) +
                           "[[population]]\nname = \"a\"\nmodel = \"astrocyte_lr_1994\"\nn = 1\n"
                           "[[stimulus]]\nname = \"dc\"\nmodel = \"dc_generator\"\npopulation = \"a\"\namplitude = 1e-5\n";
  const Driven d = drive(deck, 1000, "IP3");
  const double expect = 0.16 + 1e-5 * 7142.0 * (1 - std::exp(-100.0 / 7142.0));
  EXPECT_NEAR(d.v.back()[0], expect, 1e-12);
  EXPECT_GT(d.v.back()[0] - 0.16, 9e-4);  // the drive acted (about 9.9e-4 µM)
}

// Conductance-based neurons take the current too: without synaptic input and adaptation,
// V relaxes to E_L + I / g_L (iaf_cond_exp: 100 pA / 16.6667 nS = 6.0 mV; aeif_cond_alpha_astro
// with a = b = Delta_T = 0: 150 pA / 30 nS = 5 mV), here after 100 ms = 10 (resp. 6.9)
// membrane time constants from start = 20 ms, to the integrator's tolerance. 17 cells:
// aeif's SIMD lanes and its scalar rest.
TEST(Stimulus, DcIntoConductanceNeuronsReachesTheSteadyState) {
  struct Case {
    const char* model;
    const char* params;
    double E_L, I, g_L, C;
  };
  for (const Case& c : {Case{"iaf_cond_exp", "V_th = 100.0", -70.0, 100.0, 16.6667, 250.0},
                        Case{"aeif_cond_alpha_astro", "V_th = 100.0, V_peak = 200.0, a = 0.0, b = 0.0, Delta_T = 0.0",
                             -70.6, 150.0, 30.0, 281.0}}) {
    const std::string deck = std::string(kHead) + "[[population]]\nname = \"n\"\nmodel = \"" + c.model +
                             "\"\nn = 17\nparams = { " + c.params + " }\n"
                             "[[stimulus]]\nname = \"dc\"\nmodel = \"dc_generator\"\npopulation = \"n\"\namplitude = " +
                             std::to_string(c.I) + "\nstart = 20.0\n";
    const Driven d = drive(deck, 1200, "V_m");
    for (double v : d.v[199]) EXPECT_EQ(v, c.E_L) << c.model;  // at rest until start
    const double tau = c.C / c.g_L, V_inf = c.E_L + c.I / c.g_L;
    for (double v : d.v[699]) EXPECT_NEAR(v, V_inf - (c.I / c.g_L) * std::exp(-50.0 / tau), 1e-5) << c.model;
    for (double v : d.v.back()) EXPECT_NEAR(v, V_inf - (c.I / c.g_L) * std::exp(-100.0 / tau), 1e-5) << c.model;
  }
}

// astrocyte_gchi: the same IP3 production. Over the 50 ms after start IP3's own terms
// barely move (its time scales are seconds), so the stimulated cell's IP3 exceeds the
// other's by j x 50 ms = 0.01 µM to within 2 %; both cells are identical otherwise.
TEST(Stimulus, DcIntoGChIAstrocyteIsIp3Production) {
  const std::string deck = std::string(kHead) +
                           "[[population]]\nname = \"a\"\nmodel = \"astrocyte_gchi\"\nn = 2\n"
                           "[[stimulus]]\nname = \"dc\"\nmodel = \"dc_generator\"\npopulation = \"a\"\ncells = [1]\n"
                           "amplitude = 2e-4\nstart = 50.0\n";
  const Driven d = drive(deck, 1000, "IP3");
  EXPECT_EQ(d.v[499][0], d.v[499][1]);  // nothing before start
  EXPECT_NEAR((d.v.back()[1] - d.v.back()[0]) / (2e-4 * 50.0), 1.0, 0.02);
}

// variable = "I_bias" (astrocyte_gchi): the device's value is added to the cell's I_bias,
// the target of its exogenous flux J_ex (Stimberg et al. 2019, example 5). A cell driven
// with 1 µM from 0 + a population whose I_bias is 1 µM give the same bits (0 + 1 = 1).
TEST(Stimulus, IBiasOfGChIEqualsTheParameter) {
  const std::string pop = "[[population]]\nname = \"a\"\nmodel = \"astrocyte_gchi\"\nn = 2\n"
                          "params = { O_beta = 0.0, O_delta = 0.6e-3, F_ex = 0.09e-3, I_Theta = 0.3, omega_I = 0.05, "
                          "h_IP3R = 0.9, IP3 = 0.0, Ca_astro = 0.0, Gamma_A = 0.0, I_bias = ";
  const Driven driven = drive(std::string(kHead) + pop + "0.0 }\n[[stimulus]]\nname = \"b\"\nmodel = \"dc_generator\"\n"
                                                        "population = \"a\"\ncells = [1]\nvariable = \"I_bias\"\namplitude = 1.0\n",
                              1000, "IP3");
  const Driven param = drive(std::string(kHead) + pop + "1.0 }\n", 1000, "IP3");
  const Driven none = drive(std::string(kHead) + pop + "0.0 }\n", 1000, "IP3");
  for (std::size_t k = 0; k < driven.v.size(); ++k) {
    ASSERT_EQ(driven.v[k][1], param.v[k][1]) << "step " << k;
    ASSERT_EQ(driven.v[k][0], none.v[k][0]) << "step " << k;
  }
  EXPECT_GT(driven.v.back()[1], driven.v.back()[0] + 1e-3);  // the bias pulled IP3 up
}
