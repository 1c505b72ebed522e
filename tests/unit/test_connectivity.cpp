// Connectivity rules: exact in-degrees, no autapses/multapses when excluded, Bernoulli and
// distance-dependent probabilities within statistical bounds, nothing beyond the cutoff,
// and the CSR storage holding exactly the drawn pairs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"

using namespace cajal;

namespace {
std::string deck_text(const std::string& projection, int n = 400) {
  return "[simulation]\nt_stop = 1.0\nseed = 3\nbox = [200.0, 200.0, 200.0]\n"
         "[[population]]\nname = \"a\"\nmodel = \"iaf_psc_delta\"\nn = " +
         std::to_string(n) +
         "\n[[population]]\nname = \"b\"\nmodel = \"iaf_psc_delta\"\nn = 300\n"
         "[[projection]]\n" +
         projection + "\n";
}
}  // namespace

TEST(Connectivity, FixedIndegreeIsExact) {
  for (const bool multapses : {true, false}) {
    const Deck d = Deck::parse(deck_text(std::string("pre = \"a\"\npost = \"a\"\nrule = \"fixed_indegree\"\n") +
                                             "indegree = 250\nautapses = false\nmultapses = " +
                                             (multapses ? "true" : "false") + "\nweight = 1.0"),
                               "t.toml");
    const Partition part(d, 1, 0);
    std::vector<std::uint64_t> src;
    for (std::uint64_t t = 0; t < 400; ++t) {
      draw_sources(d, part, 0, t, src);
      ASSERT_EQ(src.size(), 250u);
      for (auto s : src) {
        ASSERT_LT(s, 400u);
        ASSERT_NE(s, t) << "autapse";
      }
      if (!multapses) {
        std::set<std::uint64_t> uniq(src.begin(), src.end());
        ASSERT_EQ(uniq.size(), src.size()) << "multapse";
      }
    }
  }
}

TEST(Connectivity, PairwiseBernoulliCount) {
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"pairwise_bernoulli\"\np = 0.1\nweight = 1.0"),
                             "t.toml");
  const Partition part(d, 1, 0);
  std::vector<std::uint64_t> src;
  std::uint64_t total = 0;
  for (std::uint64_t t = 0; t < 300; ++t) {
    draw_sources(d, part, 0, t, src);
    ASSERT_TRUE(std::is_sorted(src.begin(), src.end()));
    ASSERT_EQ(std::adjacent_find(src.begin(), src.end()), src.end());
    total += src.size();
  }
  const double n = 400.0 * 300, p = 0.1;
  EXPECT_NEAR(total, n * p, 5 * std::sqrt(n * p * (1 - p)));
}

// Gaussian kernel: over all pairs at distance below the cutoff, the number connected is
// the sum of the pair probabilities p exp(-d^2/(2 sigma^2)), within 5 standard deviations.
TEST(Connectivity, DistanceRuleFollowsKernelAndCutoff) {
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"distance\"\np = 0.8\n"
                                       "kernel = \"gaussian\"\nsigma = 40.0\ncutoff = 90.0\nweight = 1.0",
                                       2000),
                             "t.toml");
  const Partition part(d, 1, 0);
  std::vector<std::uint64_t> src;
  double expected = 0, var = 0;
  std::uint64_t made = 0;
  for (std::uint64_t t = 0; t < 300; ++t) {
    draw_sources(d, part, 0, t, src);
    made += src.size();
    const Point x = part.position(1, t);
    std::set<std::uint64_t> got(src.begin(), src.end());
    for (std::uint64_t j = 0; j < 2000; ++j) {
      const Point y = part.position(0, j);
      const double dist = std::sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                                    (x[2] - y[2]) * (x[2] - y[2]));
      if (dist > 90.0) {
        ASSERT_EQ(got.count(j), 0u) << "connection beyond the cutoff at " << dist << " µm";
        continue;
      }
      const double p = 0.8 * std::exp(-dist * dist / (2 * 40.0 * 40.0));
      expected += p;
      var += p * (1 - p);
    }
  }
  EXPECT_GT(made, 1000u);
  EXPECT_NEAR(static_cast<double>(made), expected, 5 * std::sqrt(var));
}

// The CSR built for a rank holds exactly the pairs the rule draws for its local targets.
TEST(Connectivity, StorageHoldsExactlyTheDrawnPairs) {
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = 30\n"
                                       "weight = 2.0\ndelay = { dist = \"uniform\", low = 0.1, high = 3.0 }"),
                             "t.toml");
  const Partition part(d, 1, 0);
  const Projection pj = build_projection(d, part, 0);
  auto sources = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.sources);
  auto row = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.row);
  auto target = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
  auto delay = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.delay);
  EXPECT_EQ(pj.weight.extent(0), 0u) << "a constant weight is not stored per synapse";
  EXPECT_EQ(pj.weight_fixed, to_fixed(2.0));
  ASSERT_EQ(delay.extent(0), pj.synapses);
  std::multiset<std::pair<std::uint64_t, std::uint64_t>> stored, drawn;
  for (std::size_t k = 0; k < sources.extent(0); ++k)
    for (std::uint64_t j = row(k); j < row(k + 1); ++j) {
      stored.insert({sources(k), part.local(1)[target(j)]});
      ASSERT_GE(delay(j), 1);
      ASSERT_LE(delay(j), 30);
    }
  std::vector<std::uint64_t> src;
  for (std::uint64_t t : part.local(1)) {
    draw_sources(d, part, 0, t, src);
    for (auto s : src) drawn.insert({s, t});
  }
  EXPECT_EQ(pj.synapses, 300u * 30u);
  EXPECT_TRUE(stored == drawn);
}

TEST(Partition, BricksCoverTheBoxAndOwnEveryCellOnce) {
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = 1\nweight = 1.0"),
                             "t.toml");
  for (int P : {1, 2, 3, 4}) {
    std::vector<int> owners(700, 0);
    for (int r = 0; r < P; ++r) {
      const Partition part(d, P, r);
      for (int pop = 0; pop < 2; ++pop)
        for (auto id : part.local(pop)) ++owners[part.first_gid(pop) + id];
    }
    for (int c : owners) ASSERT_EQ(c, 1) << "P = " << P;
  }
}
