// Counter-based streams: independence of purposes and ids, uniformity, and the Poisson
// background's moments.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "model/population.hpp"
#include "random/distribution.hpp"
#include "random/philox.hpp"

using namespace cajal;

// Every stream of (seed, purpose, sub, id) is its own sequence: over the first 64 draws
// of 2 x 5 x 4 x 16 streams no 64-bit value repeats (a stream equal to, or a shifted copy
// of, another would repeat all of its values; for independent uniform 64-bit draws a
// repeat among these 40,960 has probability below 1e-10).
TEST(Random, StreamsDifferByPurposeSubAndId) {
  std::set<std::uint64_t> seen;
  std::size_t drawn = 0;
  for (const std::uint64_t seed : {42ull, 43ull})
    for (auto p : {rng::purpose::placement, rng::purpose::connectivity, rng::purpose::weight, rng::purpose::delay,
                   rng::purpose::background})
      for (std::uint32_t sub = 0; sub < 4; ++sub)
        for (std::uint64_t id = 0; id < 16; ++id) {
          rng::Stream s(rng::Key(seed, p, sub), id);
          for (int i = 0; i < 64; ++i, ++drawn) seen.insert(s.next64());
        }
  EXPECT_EQ(drawn, 2u * 5u * 4u * 16u * 64u);
  EXPECT_EQ(seen.size(), drawn);
}

// A stream depends on nothing but (key, id): two built separately from the same values,
// one of them only after other streams have been used, give the same 10,000 words, and
// those words are the Philox blocks draw(key, id, 0), draw(key, id, 1), ... in order.
TEST(Random, StreamIsAPureFunctionOfItsKey) {
  constexpr int n = 10000;
  std::vector<std::uint32_t> first(n);
  {
    rng::Stream a(rng::Key(9, rng::purpose::weight, 3), 1234);
    for (auto& w : first) w = a.next32();
  }
  rng::Stream other(rng::Key(9, rng::purpose::weight, 3), 1235);
  rng::Stream other_sub(rng::Key(9, rng::purpose::weight, 4), 1234);
  const rng::Key key(9, rng::purpose::weight, 3);
  rng::Stream b(key, 1234);
  for (int i = 0; i < n; ++i) {
    other.next32();  // interleaved use of other streams must not disturb b
    other_sub.next64();
    ASSERT_EQ(b.next32(), first[i]) << "draw " << i;
    const rng::Block blk = rng::draw(key, 1234, static_cast<std::uint64_t>(i / 4));
    ASSERT_EQ(first[i], blk.w[i % 4]) << "draw " << i;
  }
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
    // 50 cells x 4,000 steps, each cell's steps in order with one memo (`cached`, `blk`)
    // as the models use it; every memoised count must equal a fresh one.
    double sum = 0, sum2 = 0;
    const int cells = 50, steps = 4000, n = cells * steps;
    for (std::uint64_t gid = 0; gid < cells; ++gid) {
      std::int64_t cached = -1;
      rng::Block blk{};
      for (std::int64_t step = 0; step < steps; ++step) {
        const std::int64_t e = d.events(gid, step, cached, blk);
        std::int64_t fresh_cached = -1;
        rng::Block fresh_blk{};
        ASSERT_EQ(e, d.events(gid, step, fresh_cached, fresh_blk)) << "cell " << gid << ", step " << step;
        sum += static_cast<double>(e);
        sum2 += static_cast<double>(e) * static_cast<double>(e);
      }
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)) << rate;
    EXPECT_NEAR(var, lambda, 5 * lambda * std::sqrt(2.0 / n) + 5 * std::sqrt(lambda / n)) << rate;
  }
}

// The exact samplers behind fixed_total_number: sample mean and variance of many draws
// against n p and n p (1 - p) (binomial), and n K/T and n K/T (T-K)/T (T-n)/(T-1)
// (hypergeometric), within 5 standard errors; large arguments included, where the pmf at
// the mode comes from lgamma. Draws at the support's edges stay inside it.
TEST(Random, BinomialAndHypergeometricMoments) {
  struct Case {
    std::uint64_t n;
    double p;
  };
  for (const Case c : {Case{20, 0.3}, Case{1000, 0.5}, Case{100000000, 0.25}, Case{5000000000ull, 0.001}}) {
    const int draws = 20000;
    double s1 = 0, s2 = 0;
    for (int i = 0; i < draws; ++i) {
      rng::Stream s(rng::Key(11, rng::purpose::total_number, 0), static_cast<std::uint64_t>(i));
      const double x = static_cast<double>(binomial(c.n, c.p, s));
      ASSERT_LE(x, static_cast<double>(c.n));
      s1 += x;
      s2 += x * x;
    }
    const double mean = s1 / draws, var = s2 / draws - mean * mean;
    const double m = c.n * c.p, v = c.n * c.p * (1 - c.p);
    EXPECT_NEAR(mean, m, 5 * std::sqrt(v / draws)) << "n = " << c.n;
    EXPECT_NEAR(var, v, 5 * v * std::sqrt(2.0 / draws)) << "n = " << c.n;
  }
  struct HCase {
    std::uint64_t n, good, bad;
  };
  for (const HCase c : {HCase{30, 40, 60}, HCase{900, 100, 900}, HCase{40000000, 30000000, 90000000}}) {
    const int draws = 20000;
    double s1 = 0, s2 = 0;
    for (int i = 0; i < draws; ++i) {
      rng::Stream s(rng::Key(12, rng::purpose::total_number, 0), static_cast<std::uint64_t>(i));
      const auto x = hypergeometric(c.n, c.good, c.bad, s);
      ASSERT_LE(x, std::min(c.n, c.good));
      ASSERT_GE(x + c.bad, c.n);
      s1 += static_cast<double>(x);
      s2 += static_cast<double>(x) * static_cast<double>(x);
    }
    const double T = static_cast<double>(c.good + c.bad), f = c.good / T;
    const double mean = s1 / draws, var = s2 / draws - mean * mean;
    const double m = c.n * f, v = c.n * f * (1 - f) * (T - c.n) / (T - 1);
    EXPECT_NEAR(mean, m, 5 * std::sqrt(v / draws)) << "n = " << c.n;
    EXPECT_NEAR(var, v, 5 * v * std::sqrt(2.0 / draws)) << "n = " << c.n;
  }
  rng::Stream s(rng::Key(13, rng::purpose::total_number, 0), 0);
  EXPECT_EQ(binomial(0, 0.5, s), 0u);
  EXPECT_EQ(binomial(7, 1.0, s), 7u);
  EXPECT_EQ(hypergeometric(10, 10, 0, s), 10u);
  EXPECT_EQ(hypergeometric(10, 0, 10, s), 0u);
}
