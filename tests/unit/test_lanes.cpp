// The SIMD-lane helpers of util/lanes.hpp and the astrocyte kernel's use of them: Cajal's exp() against the exact value (long
// double exp, 64-bit mantissa, as the reference), and the lane rule every
// lane kernel relies on: a lane of a Pack computes the bits the scalar code computes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>

#include "cajal/model/catalogue.hpp"
#include "model/astro.hpp"
#include "model/population.hpp"
#include "util/lanes.hpp"

namespace cajal {
namespace {

/// Distance in units in the last place between a double and the exact value (long double).
double ulps(double got, long double exact) {
  const double rounded = static_cast<double>(exact);
  const double ulp = std::nextafter(rounded, std::numeric_limits<double>::infinity()) - rounded;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

TEST(Lanes, ExpWithinTwoUlpOfExact) {
  std::mt19937_64 gen(7);
  // The whole normal range, and densely where the models use it (AdEx: (V - V_th)/Delta_T;
  // Tsodyks-Markram: -dt/tau).
  std::uniform_real_distribution<double> wide(-708.0, 709.7), narrow(-40.0, 30.0), tiny(-1e-3, 1e-3);
  double worst = 0;
  for (int i = 0; i < 3000000; ++i) {
    const double x = i % 3 == 0 ? wide(gen) : (i % 3 == 1 ? narrow(gen) : tiny(gen));
    const double e = ulps(lanes::exp(x), std::exp(static_cast<long double>(x)));
    if (e > worst) worst = e;
  }
  // Measured: 1.47 ulp at worst over these 3e6 points (glibc's exp: < 1 ulp). The error
  // is the rounding of the reduced argument and of Horner's last additions.
  EXPECT_LT(worst, 2.0);
}

TEST(Lanes, ExpEdges) {
  EXPECT_EQ(lanes::exp(0.0), 1.0);
  EXPECT_EQ(lanes::exp(-0.0), 1.0);
  EXPECT_EQ(lanes::exp(-708.5), 0.0);  // documented: no subnormals
  EXPECT_EQ(lanes::exp(709.79), std::numeric_limits<double>::infinity());
  EXPECT_EQ(lanes::exp(1e300), std::numeric_limits<double>::infinity());
  EXPECT_EQ(lanes::exp(-std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_TRUE(std::isnan(lanes::exp(std::nan(""))));
  EXPECT_GT(lanes::exp(709.78), 1.79e308);  // just below ln(DBL_MAX): finite
  EXPECT_LT(ulps(lanes::exp(709.78), std::exp(static_cast<long double>(709.78))), 2.0);
  EXPECT_LT(ulps(lanes::exp(-707.9), std::exp(static_cast<long double>(-707.9))), 2.0);
}

TEST(Lanes, LogWithinOneUlpOfExact) {
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> near1(0.5, 2.0), sic(1.0, 2000.0), expo(-700.0, 700.0);
  double worst = 0;
  for (int i = 0; i < 3000000; ++i) {
    const double x = i % 3 == 0 ? near1(gen) : (i % 3 == 1 ? sic(gen) : std::exp(expo(gen)));
    const double e = ulps(lanes::log(x), std::log(static_cast<long double>(x)));
    if (e > worst) worst = e;
  }
  // Measured: 0.80 ulp at worst over these 3e6 points (0.81 with Horner's scheme for R).
  EXPECT_LT(worst, 1.0) << worst;
  EXPECT_EQ(lanes::log(1.0), 0.0);
  EXPECT_EQ(lanes::log(2.0), std::log(2.0));
  EXPECT_TRUE(std::isnan(lanes::log(0.0)));
  EXPECT_TRUE(std::isnan(lanes::log(-1.0)));
  EXPECT_TRUE(std::isnan(lanes::log(std::numeric_limits<double>::infinity())));
}

TEST(Lanes, PackLanesEqualScalarBits) {
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> d(-50.0, 50.0);
  for (int rep = 0; rep < 10000; ++rep) {
    lanes::Pack x, y;
    for (int l = 0; l < cell_lanes; ++l) x[l] = d(gen) * (rep % 7 == 0 ? 20.0 : 1.0);
    const lanes::Pack e = lanes::exp(x), g = lanes::log(lanes::abs(x) + 1e-3);
    const lanes::Pack m = lanes::min(x, lanes::splat<lanes::Pack>(1.0));
    y = x * 0.5 + 3.0;
    for (int l = 0; l < cell_lanes; ++l) {
      const double s = x[l], es = lanes::exp(s), el = e[l];
      ASSERT_EQ(std::memcmp(&el, &es, sizeof(double)), 0) << s;
      const double gs = lanes::log(lanes::abs(s) + 1e-3), gl = g[l];
      ASSERT_EQ(std::memcmp(&gl, &gs, sizeof(double)), 0) << s;
      ASSERT_EQ(m[l], lanes::min(s, 1.0));
      ASSERT_EQ(y[l], s * 0.5 + 3.0);
    }
  }
}

// The Li-Rinzel astrocyte's RK4 sub-step and input rule in lanes (the astrocyte_lr_1994
// kernel) against the scalar code, bit for bit, over 1 s of 0.1 ms steps with random
// input and gap-junction flux, from catalogue defaults (delta_IP3 raised so that Ca rises
// through the SIC threshold).
TEST(Lanes, AstrocyteLR1994StepEqualsScalarBits) {
  std::map<std::string, double> p;
  for (const auto& q : find_model("astrocyte_lr_1994")->params) p[q.name] = q.def;
  p["delta_IP3"] = 0.5;
  const auto m = AstrocyteLR1994::make(p, 0.1);
  constexpr int L = cell_lanes;
  double ip3[L], ca[L], hh[L];
  for (int l = 0; l < L; ++l) ip3[l] = 0.16 + 0.1 * l, ca[l] = 0.073, hh[l] = 0.793;
  double ip3_s[L], ca_s[L], hh_s[L];
  std::memcpy(ip3_s, ip3, sizeof ip3), std::memcpy(ca_s, ca, sizeof ca), std::memcpy(hh_s, hh, sizeof hh);
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  bool crossed = false;
  for (int k = 0; k < 10000; ++k) {
    double in[L], gap[L];
    for (int l = 0; l < L; ++l) in[l] = u(gen) < 0.02 ? 1.0 : 0.0, gap[l] = 1e-4 * (u(gen) - 0.5);
    using P = lanes::Pack;
    P y[3] = {lanes::load<P>(ip3), lanes::load<P>(ca), lanes::load<P>(hh)};
    m.step(y, lanes::load<P>(in), lanes::load<P>(gap));
    lanes::store(ip3, y[0]), lanes::store(ca, y[1]), lanes::store(hh, y[2]);
    for (int l = 0; l < L; ++l) {
      double ys[3] = {ip3_s[l], ca_s[l], hh_s[l]};
      m.step(ys, in[l], gap[l]);
      ip3_s[l] = ys[0], ca_s[l] = ys[1], hh_s[l] = ys[2];
      ASSERT_EQ(std::memcmp(&ip3[l], &ip3_s[l], sizeof(double)), 0) << "step " << k << " lane " << l;
      ASSERT_EQ(std::memcmp(&ca[l], &ca_s[l], sizeof(double)), 0) << "step " << k << " lane " << l;
      ASSERT_EQ(std::memcmp(&hh[l], &hh_s[l], sizeof(double)), 0) << "step " << k << " lane " << l;
      crossed = crossed || m.sic(ca[l]) > 0;
    }
  }
  EXPECT_TRUE(crossed);
}

}  // namespace
}  // namespace cajal

namespace cajal {

// The background of a block of cells is drawn in lanes (rng::draw, population
// kernels): every lane must give Random123's Philox-4x32-10 words for its counter, or the
// drive of a cell would depend on whether it ran in a block. Random keys and counters,
// including ids and draw indices above 2^32 (both counter words used).
TEST(Lanes, PhiloxLanesEqualRandom123) {
  std::mt19937_64 gen(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const rng::Key key(gen(), rng::purpose::background, static_cast<std::uint32_t>(gen()));
    lanes::UPack a;
    for (int l = 0; l < cell_lanes; ++l) a[l] = trial % 2 ? gen() : gen() % 100000;
    const std::uint64_t b = trial % 3 ? gen() : gen() % 1000;
    const rng::BlockLanes v = rng::draw(key, a, b);
    for (int l = 0; l < cell_lanes; ++l) {
      const rng::Block s = rng::draw(key, a[l], b);
      for (int w = 0; w < 4; ++w) ASSERT_EQ(v.w[w][l], s.w[w]) << "lane " << l << " word " << w;
    }
  }
}

// PoissonDrive::events counts each lane's events as events() does, step by step
// through the cached blocks (rates that need one and several chunks per step).
TEST(Lanes, PoissonEventsInLanesEqualScalar) {
  for (const double rate : {2000.0, 90000.0, 400000.0}) {
    Background bg;
    bg.rate_hz = rate;
    bg.weight = 1.0;
    const PoissonDrive d = PoissonDrive::make(bg, 0.1, 12345, false);
    ASSERT_GT(d.chunks, 0);
    lanes::UPack gid;
    for (int l = 0; l < cell_lanes; ++l) gid[l] = 1000 + 37 * l;
    std::int64_t cached_v = -1, cached_s[cell_lanes];
    rng::BlockLanes bv;
    rng::Block bs[cell_lanes];
    for (int l = 0; l < cell_lanes; ++l) cached_s[l] = -1;
    std::int64_t sum = 0;
    for (std::int64_t step = 5; step < 2005; ++step) {
      const lanes::IntPack n = d.events(gid, step, cached_v, bv);
      for (int l = 0; l < cell_lanes; ++l) {
        ASSERT_EQ(n[l], d.events(gid[l], step, cached_s[l], bs[l])) << "rate " << rate << " step " << step;
        sum += n[l];
      }
    }
    // The counts are Poisson with mean rate dt over 2000 steps x 8 cells: within 5 sigma.
    const double mean = rate * 1e-4 * 2000 * cell_lanes;
    EXPECT_NEAR(static_cast<double>(sum), mean, 5 * std::sqrt(mean)) << "rate " << rate;
  }
}

}  // namespace cajal
