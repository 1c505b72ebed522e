// The Elias-Fano coded lists that hold a projection's source rows (util/elias_fano.hpp):
// every value, every pair and every lookup must give back exactly the plain list's answer,
// read on the host and inside a kernel, for lists from empty to dense, with repeats
// (offsets of empty rows), long gaps (sparse sources) and values near 2^32.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "util/elias_fano.hpp"

namespace cajal {
namespace {

EliasFano coded(const std::vector<std::uint64_t>& v, std::uint64_t universe) {
  EliasFano::Writer w(v.size(), universe);
  for (const std::uint64_t x : v) w.push(x);
  return w.finish();
}

/// Mismatches against `v` in a kernel: every value, every pair, and find() of every value
/// in the list and of the values `absent` (not in it).
std::uint64_t kernel_mismatches(const EliasFano& ef, const std::vector<std::uint64_t>& v,
                                const std::vector<std::uint64_t>& absent, bool strict) {
  Kokkos::View<std::uint64_t*> dv("v", v.size()), da("absent", absent.size());
  auto hv = Kokkos::create_mirror_view(dv);
  auto ha = Kokkos::create_mirror_view(da);
  for (std::size_t i = 0; i < v.size(); ++i) hv(i) = v[i];
  for (std::size_t i = 0; i < absent.size(); ++i) ha(i) = absent[i];
  Kokkos::deep_copy(dv, hv);
  Kokkos::deep_copy(da, ha);
  const std::size_t n = v.size();
  std::uint64_t bad = 0;
  Kokkos::parallel_reduce(
      "test::elias_fano", Kokkos::RangePolicy<>(0, std::max(n, absent.size())),
      KOKKOS_LAMBDA(const std::size_t i, std::uint64_t& b) {
        if (i < n) {
          b += ef(i) != dv(i);
          if (i + 1 < n) {
            const auto p = ef.pair(i);
            b += p.first != dv(i) || p.second != dv(i + 1);
          }
          if (strict) b += ef.find(dv(i)) != static_cast<std::int64_t>(i);
        }
        if (strict && i < da.extent(0)) b += ef.find(da(i)) != -1;
      },
      bad);
  return bad;
}

void check(const std::vector<std::uint64_t>& v, std::uint64_t universe, bool strict, const char* what) {
  const EliasFano ef = coded(v, universe);
  ASSERT_EQ(ef.size(), v.size()) << what;
  std::vector<std::uint64_t> absent;
  if (strict) {
    // Every gap's neighbours, and the universe's ends, when they are not in the list.
    for (std::size_t i = 0; i < v.size() && absent.size() < 200000; ++i)
      for (const std::uint64_t x : {v[i] + 1, v[i] == 0 ? universe : v[i] - 1})
        if (x < universe && !std::binary_search(v.begin(), v.end(), x)) absent.push_back(x);
    if (v.empty() || v.front() != 0) absent.push_back(0);
    if (universe > 0 && (v.empty() || v.back() != universe - 1)) absent.push_back(universe - 1);
    absent.push_back(universe);  // beyond every value
  }
  EXPECT_EQ(kernel_mismatches(ef, v, absent, strict), 0u) << what;
  const HostEliasFano h = ef.in<Kokkos::HostSpace>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(h(i), v[i]) << what << ", value " << i;
    if (strict) ASSERT_EQ(h.find(v[i]), static_cast<std::int64_t>(i)) << what;
  }
  for (const std::uint64_t x : absent) ASSERT_EQ(h.find(x), -1) << what << ", absent " << x;
}

TEST(EliasFano, GivesBackEveryValueAndFindsEveryMember) {
  std::mt19937_64 rng(7);
  check({}, 1, true, "empty");
  check({0}, 1, true, "one value");
  check({5}, 6, true, "one value at the top");
  std::vector<std::uint64_t> all(1000);
  for (std::uint64_t i = 0; i < all.size(); ++i) all[i] = i;
  check(all, 1000, true, "0..n-1");
  check(all, 5000, true, "0..n-1 in a larger universe");
  // Sparse and dense subsets: the densities of a rank's sources from 16 to 10^5 ranks.
  for (const double p : {0.001, 0.05, 0.3, 0.55, 0.9}) {
    std::vector<std::uint64_t> v;
    std::bernoulli_distribution keep(p);
    const std::uint64_t u = 300000;
    for (std::uint64_t x = 0; x < u; ++x)
      if (keep(rng)) v.push_back(x);
    check(v, u, true, "random subset");
  }
  // Near 2^32: the last cells of the largest population allowed.
  {
    std::vector<std::uint64_t> v;
    const std::uint64_t u = std::uint64_t(1) << 32;
    for (std::uint64_t x = u - 5000; x < u; x += 3) v.push_back(x);
    v.insert(v.begin(), {0, 1, 1000, std::uint64_t(1) << 31});
    check(v, u, true, "ids near 2^32");
  }
  // Offsets: non-decreasing, with repeats and rows of 1 to 700 synapses.
  for (const int longest : {1, 2, 700}) {
    std::vector<std::uint64_t> v{0};
    std::uniform_int_distribution<int> len(0, longest);
    for (int r = 0; r < 50000; ++r) v.push_back(v.back() + static_cast<std::uint64_t>(len(rng)));
    check(v, v.back() + 1, false, "offsets");
  }
}

TEST(EliasFano, KeepsAboutTwoPlusLogBitsPerValue) {
  // n values below U: n (2 + floor(log2(U / n))) bits of code plus a 64-bit sample per 256
  // set and per 256 clear bits (here n of each: half a bit per value); a 0..n-1 list keeps
  // nothing.
  std::vector<std::uint64_t> v;
  const std::uint64_t u = std::uint64_t(1) << 24;
  for (std::uint64_t x = 0; x < u; x += 16) v.push_back(x + (x / 16) % 3);
  const double bits = 8.0 * coded(v, u).bytes() / static_cast<double>(v.size());
  EXPECT_LT(bits, 2 + 4 + 0.5 + 0.01);
  EXPECT_GT(bits, 2 + 4 + 0.5 - 0.01);
  std::vector<std::uint64_t> all(4096);
  for (std::uint64_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_EQ(coded(all, all.size()).bytes(), 0u);
}

TEST(EliasFano, RefusesValuesOutOfOrderOrRange) {
  EliasFano::Writer w(3, 10);
  w.push(4);
  EXPECT_THROW(w.push(3), std::logic_error);
  EXPECT_THROW(w.push(10), std::logic_error);
  w.push(4);
  EXPECT_THROW(w.finish(), std::logic_error);  // one value missing
}

}  // namespace
}  // namespace cajal
