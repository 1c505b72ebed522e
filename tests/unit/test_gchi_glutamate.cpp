// astrocyte_gchi's synaptic glutamate Y_S through the population's own kernel (ring-buffer
// input, the astrocyte step dt_astro spanning several time steps), against the model's
// equation dY_S/dt = -Omega_c Y_S with a pulse g added when it arrives:
//   Y_S(t) = g exp(-Omega_c (t - t_a)),   t >= t_a.
// Input in the ring slot of time step k arrives at the end of that step, t_a = (k + 1) dt
// (with dt_astro = dt it is added to Y_S right there, undecayed). Here dt = 0.1 ms,
// Omega_c = 0.04 /ms (the catalogue's, Stimberg et al. 2019), g = 500 µM in step 50:
// t_a = 5.1 ms, and at the end of the first 10 ms astrocyte step
//   Y_S(10 ms) = 500 exp(-0.04 x 4.9) = 411.006 µM
// (before the decay within the step was applied, the kernel gave 500 µM). Y_S is linear,
// so its value may not depend on dt_astro beyond rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "model/population.hpp"
#include "util/fixed_point.hpp"

namespace {

constexpr double kDt = 0.1, kOmegaC = 0.04, kPulse = 500.0;
constexpr int kSteps = 300;  // 30 ms

/// Y_S of one astrocyte_gchi cell after each 10 ms (at 10, 20, 30 ms), with the pulse in
/// the ring slot of time step `pulse_step`, advanced in intervals of `m` steps.
std::vector<double> y_s(double dt_astro, int pulse_step, int m) {
  const std::string text = "[simulation]\ndt = 0.1\nt_stop = 30.0\n[[population]]\nname = \"a\"\n"
                           "model = \"astrocyte_gchi\"\nn = 1\nparams = { dt_astro = " +
                           std::to_string(dt_astro) + " }\n";
  const cajal::Deck deck = cajal::Deck::parse(text, "t.toml");
  cajal::check_models(deck);
  const cajal::Partition part(deck, 1, 0);
  auto pop = cajal::make_population(deck, part, 0, kSteps);  // one ring slot per step: no reuse
  auto ring = Kokkos::create_mirror_view(pop->ring);
  Kokkos::deep_copy(ring, pop->ring);
  ring(0, pulse_step, 0) = cajal::to_fixed(kPulse);
  Kokkos::deep_copy(pop->ring, ring);
  cajal::SpikeBuffer out;
  out.spikes = Kokkos::View<std::uint64_t*>("spikes", kSteps);
  out.count = Kokkos::View<int>("count");
  out.failures = Kokkos::View<int>("failures");
  const auto y = pop->recordable("Y_S").view;
  std::vector<double> samples;
  for (std::int64_t t0 = 0; t0 < kSteps; t0 += m) {
    const int to = static_cast<int>(std::min<std::int64_t>(m, kSteps - t0));
    // Pieces split at the sampling steps, as state reports split them.
    for (int from = 0; from < to;) {
      const int end = static_cast<int>(std::min<std::int64_t>(to, ((t0 + from) / 100 + 1) * 100 - t0));
      pop->advance(t0, from, end, out);
      if ((t0 + end) % 100 == 0) {
        double v = 0;
        Kokkos::deep_copy(v, Kokkos::subview(y, 0));
        samples.push_back(v);
      }
      from = end;
    }
  }
  Kokkos::fence();
  return samples;
}

double exact(double t_ms, int pulse_step) { return kPulse * std::exp(-kOmegaC * (t_ms - (pulse_step + 1) * kDt)); }

}  // namespace

// The single pulse in step 50 with dt_astro = 10 ms: 411.006 µM at 10 ms (not 500), then
// decaying exactly.
TEST(GChIGlutamate, PulseDecaysFromItsArrivalWithinTheAstrocyteStep) {
  const std::vector<double> v = y_s(10.0, 50, 7);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_NEAR(exact(10.0, 50), 411.0061, 1e-4);  // the figure of the model's equation
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(v[i] / exact(10.0 * (i + 1), 50), 1.0, 1e-12) << "at " << 10 * (i + 1) << " ms";
}

// The same pulse, at any time step of the astrocyte step (its first, middle and last), gives
// the same Y_S with dt_astro = dt, 1 ms and 10 ms, and with intervals of 1, 7 and 64 steps:
// Y_S is exact, so only rounding differs.
TEST(GChIGlutamate, YSDoesNotDependOnTheAstrocyteStep) {
  for (const int k : {0, 50, 99, 150}) {
    for (const double dta : {0.0, 1.0, 10.0}) {
      for (const int m : {1, 7, 64}) {
        const std::vector<double> v = y_s(dta, k, m);
        ASSERT_EQ(v.size(), 3u);
        for (int i = 0; i < 3; ++i) {
          const double t = 10.0 * (i + 1), want = t >= (k + 1) * kDt ? exact(t, k) : 0.0;
          EXPECT_NEAR(v[i], want, 1e-12 * kPulse) << "pulse in step " << k << ", dt_astro " << dta << ", m " << m
                                                  << ", at " << t << " ms";
        }
      }
    }
  }
}
