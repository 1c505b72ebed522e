// The coded lists that hold a projection's source rows: Elias-Fano (util/elias_fano.hpp)
// and the IdSet that picks it or a bitmap (util/id_set.hpp). Every value, every pair and
// every lookup must give back exactly the plain list's answer, read on the host and inside
// a kernel, for lists from empty to dense, with repeats (offsets of empty rows), long gaps
// (sparse sources), values on the bitmap's line boundaries and values near 2^32.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "util/elias_fano.hpp"
#include "util/id_set.hpp"

namespace cajal {
namespace {

EliasFano coded(const std::vector<std::uint64_t>& v, std::uint64_t universe) {
  EliasFano::Writer w(v.size(), universe);
  for (const std::uint64_t x : v) w.push(x);
  return w.finish();
}

IdSet id_set(const std::vector<std::uint64_t>& v, std::uint64_t universe, bool strict = true) {
  IdSet::Writer w(v.size(), universe, strict);
  for (const std::uint64_t x : v) w.push(x);
  return w.finish();
}

/// Mismatches against `v` in a kernel: every value, every pair, and find() of every value
/// in the list and of the values `absent` (not in it).
template <class List>
std::uint64_t kernel_mismatches(const List& ef, const std::vector<std::uint64_t>& v,
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

template <class List>
void check_list(const List& ef, const std::vector<std::uint64_t>& v, std::uint64_t universe, bool strict,
                const char* what) {
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
  const auto h = ef.template in<Kokkos::HostSpace>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(h(i), v[i]) << what << ", value " << i;
    if (i + 1 < v.size()) {
      const auto p = h.pair(i);
      ASSERT_EQ(p.first, v[i]) << what << ", pair " << i;
      ASSERT_EQ(p.second, v[i + 1]) << what << ", pair " << i;
    }
    if (strict) ASSERT_EQ(h.find(v[i]), static_cast<std::int64_t>(i)) << what;
  }
  for (const std::uint64_t x : absent) ASSERT_EQ(h.find(x), -1) << what << ", absent " << x;
}

void check(const std::vector<std::uint64_t>& v, std::uint64_t universe, bool strict, const char* what) {
  check_list(coded(v, universe), v, universe, strict, what);
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

/// The same lists through an IdSet, which also answers which code it took.
void check_set(const std::vector<std::uint64_t>& v, std::uint64_t universe, bool strict, bool bitmap,
               const char* what) {
  const IdSet s = id_set(v, universe, strict);
  EXPECT_EQ(s.bitmap(), bitmap) << what;
  check_list(s, v, universe, strict, what);
}

TEST(IdSet, GivesBackEveryValueAndFindsEveryMemberInEitherCode) {
  std::mt19937_64 rng(11);
  check_set({}, 1, true, false, "empty");
  check_set({0}, 1, true, false, "one value: 0..n-1");
  check_set({5}, 6, true, false, "one value at the top");
  // Sparse subsets take Elias-Fano, dense ones the bitmap: the densities of a rank's
  // sources from 10^5 to 16 ranks (at 0.55, the E -> E sources at P = 16,384).
  for (const double p : {0.001, 0.05, 0.3, 0.55, 0.9, 0.999}) {
    std::vector<std::uint64_t> v;
    std::bernoulli_distribution keep(p);
    const std::uint64_t u = 300001;  // not a whole number of 448-bit lines
    for (std::uint64_t x = 0; x < u; ++x)
      if (keep(rng)) v.push_back(x);
    check_set(v, u, true, p > 0.25, "random subset");
  }
  // Every bitmap line boundary and word boundary met, with empty lines between members
  // (select walks forward past them, pair's second value lies lines later).
  {
    std::vector<std::uint64_t> v;
    for (std::uint64_t line = 0; line < 2000; ++line) {
      if (line % 7 == 3) continue;  // an empty line
      for (std::uint64_t o = 0; o < 448; ++o) {
        const bool edge = o == 0 || o == 63 || o == 64 || o == 447;
        if (line % 5 == 0 ? o == 447 : line % 2 == 0 ? !edge : true) v.push_back(line * 448 + o);
      }
    }
    check_set(v, 2000 * 448 + 1, true, true, "line and word boundaries");
    std::vector<std::uint64_t> all_but_one;
    for (std::uint64_t x = 0; x < 5000; ++x)
      if (x != 2345) all_but_one.push_back(x);
    check_set(all_but_one, 5000, true, true, "all but one");
  }
  // A member every 256th, and the last ids below 2^32 + 1 (the largest offsets universe).
  {
    std::vector<std::uint64_t> v;
    const std::uint64_t u = (std::uint64_t(1) << 32) + 1;
    for (std::uint64_t x = u - 100000; x < u; x += 2) v.push_back(x);
    check_set(v, u, true, false, "sparse near 2^32");
    std::vector<std::uint64_t> runs;  // runs of 256 ids, gaps of 256
    for (std::uint64_t x = 0; x < 70001; ++x)
      if ((x / 256) % 3 != 1) runs.push_back(x);
    check_set(runs, 70001, true, true, "runs and gaps");
  }
  // Row offsets with empty rows (a gliotransmission link's) are not strict: Elias-Fano.
  check_set({0, 0, 0, 0}, 1, false, false, "offsets of empty rows");
  check_set({0, 1, 1, 3, 4, 4}, 5, false, false, "offsets with repeats");
}

TEST(IdSet, TakesTheSmallerCode) {
  // n values below U: the bitmap is U (8/7) bits and a 32-bit line per 256 values;
  // Elias-Fano n (2 + floor(log2(U / n))) bits and a 64-bit sample per 256 set and clear
  // bits. Each list takes the smaller, and holds exactly its bytes.
  const std::uint64_t u = std::uint64_t(1) << 22;
  for (const std::uint64_t step : {1, 2, 3, 4, 5, 8, 64}) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t x = step == 1 ? 1 : 0; x < u; x += step) v.push_back(x);
    const std::uint64_t bitmap = (u + 447) / 448 * 64 + (v.size() + 255) / 256 * 4;
    const std::uint64_t elias_fano = coded(v, u).bytes();
    const IdSet s = id_set(v, u);
    EXPECT_EQ(s.bytes(), std::min(bitmap, elias_fano)) << "every " << step;
    EXPECT_EQ(s.bitmap(), bitmap < elias_fano) << "every " << step;
    EXPECT_EQ(IdSet::bitmap_bytes(v.size(), u), bitmap);
    EXPECT_EQ(EliasFano::Writer::bytes(v.size(), u), elias_fano);
  }
  // Half the ids (about the E -> E sources at 16,384 ranks): the bitmap, 2.41 bits a value
  // (2 (8/7) + 1/8), where Elias-Fano keeps 3.5 (3 + 1/2).
  std::vector<std::uint64_t> half;
  for (std::uint64_t x = 0; x < u; x += 2) half.push_back(x);
  EXPECT_TRUE(id_set(half, u).bitmap());
  EXPECT_NEAR(8.0 * id_set(half, u).bytes() / half.size(), 2.0 * 8 / 7 + 0.125, 0.001);
  EXPECT_NEAR(8.0 * coded(half, u).bytes() / half.size(), 3.5, 0.001);
}

TEST(IdSet, RefusesValuesOutOfOrderOrRange) {
  for (const std::uint64_t n : {3, 300}) {  // Elias-Fano (3 of 10) and bitmap (300 of 400)
    IdSet::Writer w(n, n == 3 ? 10 : 400);
    w.push(4);
    EXPECT_THROW(w.push(4), std::logic_error);  // strict: no repeats
    EXPECT_THROW(w.push(3), std::logic_error);
    EXPECT_THROW(w.push(n == 3 ? 10 : 400), std::logic_error);
    w.push(5);
    EXPECT_THROW(w.finish(), std::logic_error);  // values missing
  }
}

}  // namespace
}  // namespace cajal
