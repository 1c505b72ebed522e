// Counter-based streams: independence of purposes and ids, uniformity, and the Poisson
// background's moments.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "model/population.hpp"
#include "random/philox.hpp"

using namespace cajal;

TEST(Random, StreamsDifferByPurposeSubAndId) {
  std::set<std::uint64_t> first;
  for (auto p : {rng::purpose::placement, rng::purpose::connectivity, rng::purpose::weight, rng::purpose::delay,
                 rng::purpose::background})
    for (std::uint32_t sub = 0; sub < 4; ++sub)
      for (std::uint64_t id = 0; id < 16; ++id) {
        rng::Stream s(rng::Key(42, p, sub), id);
        first.insert(s.next64());
      }
  EXPECT_EQ(first.size(), 5u * 4u * 16u);
}

TEST(Random, StreamIsAPureFunctionOfItsKey) {
  rng::Stream a(rng::Key(9, rng::purpose::weight, 3), 1234), b(rng::Key(9, rng::purpose::weight, 3), 1234);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next32(), b.next32());
}

TEST(Random, UniformMomentsAndBelow) {
  rng::Stream s(rng::Key(1, rng::purpose::connectivity), 0);
  const int n = 400000;
  double sum = 0, sum2 = 0;
  std::vector<int> bins(10, 0);
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
    ++bins[s.below(10)];
  }
  // 5 standard errors: mean 1/2 (sd 0.289/sqrt(n)), variance 1/12.
  EXPECT_NEAR(sum / n, 0.5, 5 * 0.2887 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12, 5 * 0.0745 / std::sqrt(n));
  for (int b : bins) EXPECT_NEAR(b, n / 10.0, 5 * std::sqrt(n * 0.1 * 0.9));
}

// The Poisson background has mean and variance rate*dt, for a small mean (one table) and
// a large one (split into chunks).
TEST(Random, PoissonBackgroundMoments) {
  for (const double rate : {20000.0, 400000.0}) {
    Background bg;
    bg.rate_hz = rate;
    bg.weight = 1.0;
    const double lambda = rate * 0.1e-3;
    const PoissonDrive d = PoissonDrive::make(bg, 0.1, 5, false);
    ASSERT_EQ(d.chunks, static_cast<int>(std::ceil(lambda / 16)));
    double sum = 0, sum2 = 0;
    const int n = 200000;
    std::int64_t cached = -1;
    rng::Block blk{};
    for (int k = 0; k < n; ++k) {
      const std::uint64_t gid = k % 50;
      if (k % 50 == 0) cached = -1;
      cached = -1;
      const double e = static_cast<double>(d.events(gid, k / 50, cached, blk));
      sum += e;
      sum2 += e * e;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)) << rate;
    EXPECT_NEAR(var, lambda, 5 * lambda * std::sqrt(2.0 / n) + 5 * std::sqrt(lambda / n)) << rate;
  }
}
