// Cajal issue 17 (cluster scale): a rank's network build needs memory O(its own targets and
// synapses), not O(all sources). The same local targets, drawing the same number of
// synapses from a source population 100 times larger, must not make the build's peak heap
// use grow with the sources. The heap is counted by replacing the global operator new
// (this binary only): the build's scratch (drawn-id sets, per-source counters, spatial
// bins) lives in std containers. Before the fix, a flag per source (fixed_indegree without
// multapses), a counter per source and chunk, and every source's position and bin were
// allocated on every rank: about 9 and 40 bytes per source, which these tests catch.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"

namespace {
std::atomic<long long> g_live{0}, g_peak{0};

void* counted(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  const long long now = g_live += static_cast<long long>(malloc_usable_size(p));
  long long peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}
void uncounted(void* p) {
  if (!p) return;
  g_live -= static_cast<long long>(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void operator delete(void* p) noexcept { uncounted(p); }
void operator delete[](void* p) noexcept { uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { uncounted(p); }

using namespace cajal;

namespace {

/// Peak heap bytes above the start while building projection 0 of `text` on rank 0 of 1.
long long build_peak(const std::string& text, std::uint64_t* synapses) {
  const Deck d = Deck::parse(text, "t.toml");
  const Partition part(d, 1, 0);
  const long long before = g_live.load();
  g_peak = before;
  {
    const Projection pj = build_projection(d, part, 0);
    *synapses = pj.synapses;
  }
  return g_peak.load() - before;
}

/// Targets "b": 100 cells in the box's corner [0, 100]^3; sources "a": n_pre cells, `a_place`.
std::string deck(std::uint64_t n_pre, double box_x, const std::string& a_place, const std::string& rule) {
  return "[simulation]\nt_stop = 1.0\nseed = 5\nbox = [" + std::to_string(box_x) +
         ", 100.0, 100.0]\n"
         "[[population]]\nname = \"a\"\nmodel = \"iaf_psc_delta\"\nn = " +
         std::to_string(n_pre) + "\n" + a_place +
         "[[population]]\nname = \"b\"\nmodel = \"iaf_psc_delta\"\nn = 100\n"
         "placement = { min = [0.0, 0.0, 0.0], max = [100.0, 100.0, 100.0] }\n"
         "[[projection]]\npre = \"a\"\npost = \"b\"\nweight = 1.0\n" +
         rule + "\n";
}

}  // namespace

// fixed_indegree without multapses: 10 distinct sources per target, 1,000 synapses, from
// 1,000 or 100,000 sources. Old build: 9 bytes per source (900 kB at 100x).
TEST(ConnScale, FixedIndegreeBuildMemoryIndependentOfSources) {
  const std::string rule = "rule = \"fixed_indegree\"\nindegree = 10\nmultapses = false";
  std::uint64_t s_small = 0, s_big = 0;
  const long long small = build_peak(deck(1000, 1000.0, "", rule), &s_small);
  const long long big = build_peak(deck(100000, 1000.0, "", rule), &s_big);
  EXPECT_EQ(s_small, 1000u);
  EXPECT_EQ(s_big, 1000u);
  EXPECT_LT(big, 2 * small + 64 * 1024) << "peak heap of the build: " << small << " B from 1,000 sources, " << big
                                        << " B from 100,000";
}

// distance rule: the sources fill a box 100 times longer at the same density, so the
// targets in its corner see the same neighbourhood. Old build: every source's position
// and bin on every rank (about 40 bytes per source, 8 MB at 100x).
TEST(ConnScale, DistanceBuildMemoryIndependentOfFarSources) {
  const std::string rule = "rule = \"distance\"\np = 0.5\nkernel = \"gaussian\"\nsigma = 20.0\ncutoff = 50.0";
  std::uint64_t s_small = 0, s_big = 0;
  const long long small = build_peak(deck(2000, 1000.0, "", rule), &s_small);
  const long long big = build_peak(deck(200000, 100000.0, "", rule), &s_big);
  EXPECT_GT(s_small, 0u);
  EXPECT_GT(s_big, 0u);
  EXPECT_LT(big, 2 * small + 64 * 1024) << "peak heap of the build: " << small << " B from 2,000 sources, " << big
                                        << " B from 200,000";
}

// The sparse regime of large jobs (hpc_benchmark at 10^4 ranks): almost every synapse of a
// rank comes from a source of its own, so the per-source counters, not the synapses, set the
// build's peak. 100 targets x 100 synapses from 10^6 sources: ~9,950 distinct sources. The
// counters' hash table is now sized once from the expected number of sources (with 4
// standard deviations of room), at most 70 % full, with 32-bit keys and counts: 11 bytes
// per source, and the list that sorts them (32-bit ids) is reserved exactly (4 bytes per
// source); measured 16 bytes per synapse (35 with 64-bit keys and counts, 2026-12-05).
// Before, the table started at 16 slots and doubled whenever half full (up to 64 bytes per
// source, 96 while a doubling held both tables) and the list grew by doubling: 81 bytes per
// synapse. (The projection's own arrays are Kokkos allocations, not counted here.)
TEST(ConnScale, SparseBuildPeakPerSynapse) {
  const std::string rule = "rule = \"fixed_indegree\"\nindegree = 100";
  std::uint64_t syn = 0;
  const long long peak = build_peak(deck(1000000, 1000.0, "", rule), &syn);
  EXPECT_EQ(syn, 10000u);
  std::printf("peak heap of the build: %lld B for %llu synapses\n", peak, static_cast<unsigned long long>(syn));
  EXPECT_LT(peak, 24 * static_cast<long long>(syn)) << "peak heap of the build: " << peak << " B for " << syn
                                                    << " synapses";
}
