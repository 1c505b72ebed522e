// Connectivity rules: exact in-degrees, no autapses/multapses when excluded, Bernoulli and
// distance-dependent probabilities within statistical bounds, nothing beyond the cutoff,
// and the CSR storage holding exactly the drawn pairs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"
#include "network/row_fill.hpp"
#include "network/source_counts.hpp"
#include "plain_rows.hpp"
#include "random/distribution.hpp"
#include "random/philox.hpp"

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

namespace {

// (source, target, delay steps) of every synapse of projection `index` stored by the ranks
// of a P-rank partition, each rank's storage built in turn (targets as population ids);
// checks on the way the CSR's own structure: sources strictly ascending, every row
// non-empty, rows ordered by local target, targets local.
std::multiset<std::tuple<std::uint64_t, std::uint64_t, int>> stored_by_ranks(const Deck& d, int P, int index) {
  std::multiset<std::tuple<std::uint64_t, std::uint64_t, int>> out;
  for (int r = 0; r < P; ++r) {
    const Partition part(d, P, r);
    const Projection pj = build_projection(d, part, index);
    std::vector<std::uint64_t> sources, row;
    plain_rows(pj, sources, row);
    const HostTargets target = pj.target.on_host();
    auto delay = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.delay);
    const auto& local = part.local(pj.post);
    EXPECT_EQ(row.size(), sources.size() + 1);
    EXPECT_EQ(row[0], 0u);
    EXPECT_EQ(row[sources.size()], pj.synapses);
    for (std::size_t k = 0; k < sources.size(); ++k) {
      if (k > 0) EXPECT_LT(sources[k - 1], sources[k]) << "P = " << P << ", rank " << r;
      EXPECT_LT(row[k], row[k + 1]) << "an empty row";
      for (std::uint64_t j = row[k]; j < row[k + 1]; ++j) {
        EXPECT_LT(target(j), local.size());
        if (j > row[k]) EXPECT_LE(target(j - 1), target(j)) << "a row out of target order";
        out.insert({sources[k], local[target(j)], delay.extent(0) ? int{delay(j)} : pj.delay_steps});
      }
    }
  }
  return out;
}

}  // namespace

// Targets are 16-bit up to 65,536 local cells of the post population and 32-bit above
// (Targets): 65,536 cells on one rank are narrow, 65,537 wide, and on two ranks narrow
// again; the stored synapses are the same either way (the helper reads through Targets).
TEST(Connectivity, TargetsAreSixteenBitUpTo65536LocalCells) {
  for (const int n : {65536, 65537}) {
    const Deck d = Deck::parse(deck_text("pre = \"b\"\npost = \"a\"\nrule = \"fixed_indegree\"\nindegree = 2\nweight = 1.0", n),
                               "t.toml");
    for (const int P : {1, 2}) {
      const Partition part(d, P, 0);
      const Projection pj = build_projection(d, part, 0);
      const bool narrow = part.local(pj.post).size() <= 65536;
      EXPECT_EQ(narrow, n == 65536 || P == 2) << n << " cells on " << P << " ranks";
      EXPECT_EQ(pj.target.narrow.extent(0), narrow ? pj.synapses : 0u);
      EXPECT_EQ(pj.target.wide.extent(0), narrow ? 0u : pj.synapses);
    }
    EXPECT_EQ(stored_by_ranks(d, 1, 0), stored_by_ranks(d, 2, 0)) << n << " cells";
  }
}

// The storage holds exactly the synapses the rule defines, compared with an enumeration
// written here from the rule's definition through the stream API, not with the drawer:
// fixed_indegree with multapses (the default) gives target t of b, global id
// g = first_gid(b) + t, the sources of K = 30 draws below(n_pre) of the stream
// (seed, connectivity, projection 0; id g), in order; the q-th of them gets the delay
// llround(U_q / dt) steps, U_q = 0.1 + 2.9 u_q with u_q the q-th uniform of the stream
// (seed, delay, projection 0; id g). Built as on 1, 2, 3 and 4 ranks (rank by rank, in
// this process): the union of the ranks' storage is that set exactly. K = 30 takes the
// builder's dense counters (a counter per source); K = 1 its sparse regime, the path of
// 10^4 ranks, where with one host thread the fill places synapses by coded row: 300
// synapses from 400 sources are counted in four bits per source, from 20,000 in a
// hash of the drawn ones (SourceCounts).
TEST(Connectivity, StorageHoldsExactlyTheDrawnPairs) {
  for (const auto& [K, n_pre] : {std::pair<int, std::uint64_t>{30, 400}, {1, 400}, {1, 20000}}) {
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = " +
                                             std::to_string(K) +
                                             "\nweight = 2.0\ndelay = { dist = \"uniform\", low = 0.1, high = 3.0 }",
                                         static_cast<int>(n_pre)),
                               "t.toml");
    std::multiset<std::tuple<std::uint64_t, std::uint64_t, int>> expected;
    const std::uint64_t first_b = n_pre;  // population b follows the cells of a
    for (std::uint64_t t = 0; t < 300; ++t) {
      rng::Stream conn(rng::Key(3, rng::purpose::connectivity, 0), first_b + t);
      rng::Stream del(rng::Key(3, rng::purpose::delay, 0), first_b + t);
      for (int q = 0; q < K; ++q) {
        const std::uint64_t s = conn.below(n_pre);
        const double ms = 0.1 + (3.0 - 0.1) * del.uniform();
        expected.insert({s, t, static_cast<int>(std::llround(ms / d.simulation.dt))});
      }
    }
    ASSERT_EQ(expected.size(), 300u * K);
    {
      const Partition part(d, 1, 0);
      ASSERT_EQ(part.first_gid(1), first_b);
      const Projection pj = build_projection(d, part, 0);
      EXPECT_EQ(pj.weight.extent(0), 0u) << "a constant weight is not stored per synapse";
      EXPECT_EQ(pj.weight_fixed, to_fixed(2.0));
      EXPECT_EQ(pj.delay.extent(0), pj.synapses);
      EXPECT_EQ(pj.synapses, 300u * K);
    }
    for (int P : {1, 2, 3, 4})
      EXPECT_TRUE(stored_by_ranks(d, P, 0) == expected) << "K = " << K << ", " << n_pre << " sources, P = " << P;
  }
}

// The builder draws the targets in chunks on the host threads; whatever their number, the
// arrays are those of a single sweep over the local targets: each source's row lists its
// targets ascending, each target's synapses in its draw order (the delays, one draw per
// synapse from the target's own stream, tell multapses apart). Run with OMP_NUM_THREADS > 1
// to exercise more than one chunk.
TEST(Connectivity, StorageIsTheSingleSweepLayoutOnAnyThreadCount) {
  const std::string delay = "\ndelay = { dist = \"uniform\", low = 0.1, high = 3.0 }";
  for (const std::string rule : {"rule = \"fixed_indegree\"\nindegree = 60\nmultapses = true",
                                 "rule = \"fixed_indegree\"\nindegree = 60\nmultapses = false",
                                 "rule = \"pairwise_bernoulli\"\np = 0.2",
                                 "rule = \"distance\"\np = 0.8\nkernel = \"gaussian\"\nsigma = 60.0\ncutoff = 120.0"}) {
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\n" + rule + "\nweight = 1.0" + delay), "t.toml");
    for (int P : {1, 2}) {
      for (int r = 0; r < P; ++r) {
        const Partition part(d, P, r);
        const auto& local = part.local(1);
        // One sweep: (source, local target, delay steps), stably sorted by source.
        std::vector<std::tuple<std::uint64_t, std::uint32_t, int>> sweep;
        std::vector<std::uint64_t> src;
        for (std::size_t li = 0; li < local.size(); ++li) {
          draw_sources(d, part, 0, local[li], src);
          rng::Stream ds(rng::Key(3, rng::purpose::delay, 0), part.first_gid(1) + local[li]);
          for (const auto j : src) {
            const auto steps = std::max<std::int64_t>(1, d.to_steps(draw_value(d.projections[0].delay, ds)));
            sweep.emplace_back(j, static_cast<std::uint32_t>(li), static_cast<int>(steps));
          }
        }
        std::stable_sort(sweep.begin(), sweep.end(),
                         [](const auto& x, const auto& y) { return std::get<0>(x) < std::get<0>(y); });
        const Projection pj = build_projection(d, part, 0);
        std::vector<std::uint64_t> sources, row;
        plain_rows(pj, sources, row);
        const HostTargets target = pj.target.on_host();
        auto del = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.delay);
        ASSERT_EQ(pj.synapses, sweep.size()) << rule;
        ASSERT_EQ(del.extent(0), sweep.size());
        ASSERT_GT(sweep.size(), 1000u) << rule;
        std::size_t k = 0;
        for (std::size_t q = 0; q < sweep.size(); ++q) {
          if (q == 0 || std::get<0>(sweep[q]) != std::get<0>(sweep[q - 1])) {
            ASSERT_LT(k, sources.size());
            ASSERT_EQ(sources[k], std::get<0>(sweep[q])) << rule;
            ASSERT_EQ(row[k], q) << rule;
            ++k;
          }
          ASSERT_EQ(target(q), std::get<1>(sweep[q])) << rule << ", synapse " << q;
          ASSERT_EQ(int{del(q)}, std::get<2>(sweep[q])) << rule << ", synapse " << q;
        }
        EXPECT_EQ(k, sources.size());
        EXPECT_EQ(row[k], sweep.size());
      }
    }
  }
}

// Invariants a correct rule keeps whatever it draws, on the storage of 1-4 ranks: without
// autapses and multapses, every target of a -> a has exactly `indegree` distinct sources,
// none itself, all below n_pre (for K = 100, where the drawer rejects repeats, and
// K = 250, where it samples sources in one pass); pairwise_bernoulli never repeats a pair.
// And the storage does not depend on the number of ranks.
TEST(Connectivity, StorageKeepsTheRulesInvariantsOnAnyRankCount) {
  for (const int K : {100, 250}) {
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"a\"\nrule = \"fixed_indegree\"\nindegree = " +
                                         std::to_string(K) + "\nautapses = false\nmultapses = false\nweight = 1.0"),
                               "t.toml");
    const auto one = stored_by_ranks(d, 1, 0);
    std::vector<std::set<std::uint64_t>> in(400);
    for (const auto& [s, t, delay] : one) {
      ASSERT_LT(s, 400u);
      ASSERT_LT(t, 400u);
      ASSERT_NE(s, t) << "autapse";
      ASSERT_TRUE(in[t].insert(s).second) << "multapse " << s << " -> " << t;
    }
    for (std::uint64_t t = 0; t < 400; ++t) ASSERT_EQ(in[t].size(), static_cast<std::size_t>(K)) << "target " << t;
    for (int P : {2, 3, 4}) EXPECT_TRUE(stored_by_ranks(d, P, 0) == one) << "K = " << K << ", P = " << P;
  }
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"pairwise_bernoulli\"\np = 0.1\nweight = 1.0"),
                             "t.toml");
  const auto one = stored_by_ranks(d, 1, 0);
  std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
  for (const auto& [s, t, delay] : one) {
    ASSERT_LT(s, 400u);
    ASSERT_LT(t, 300u);
    ASSERT_TRUE(pairs.insert({s, t}).second) << "multapse " << s << " -> " << t;
  }
  EXPECT_GT(pairs.size(), 10000u);  // 400 x 300 x 0.1 = 12,000 expected
  for (int P : {2, 3, 4}) EXPECT_TRUE(stored_by_ranks(d, P, 0) == one) << "P = " << P;
}

// The box cut into P bricks, checked from the geometry rather than through owner():
//  - the bricks form a dims[0] x dims[1] x dims[2] grid of P equal bricks (rank r at
//    coord(r), x fastest), each [c_d L_d / dims_d, (c_d + 1) L_d / dims_d] along d;
//  - every cell a rank lists lies inside that rank's brick (the far face of the last brick
//    included), and no cell is listed by two ranks or by none;
//  - balance: positions are uniform in the box, independent per cell, so the cells of one
//    population in one brick of volume V/P are Binomial(n, 1/P); a correct partition
//    keeps each count within 5 standard deviations, sqrt(n (1/P)(1 - 1/P)), of n/P (a
//    deterministic test: for a correct placement this fails with probability ~6e-7 per
//    count; bricks of unequal size, or cells piled into one brick, move counts by a
//    sizeable fraction of n/P, e.g. 1000 +- 137 for n = 4000, P = 4, and are caught).
// inputs/neuroglial_network.toml follows Stimberg et al. 2019 (Brian 2's example 6), whose
// code pairs every E->I synapse with one astrocyte (astrocyte 0: inhibitory neurons keep
// x = y = 0, bench/stimberg2019_reference.md section 4), so that one release changes all
// E->I transmission, and gives each excitatory neuron at most one astrocyte for its E->E
// synapses, 48.1875 % of which are paired (1542 of 3200 neurons). The deck's stored pairing,
// built as on 1 and 3 ranks: every E->I synapse holds the same astrocyte; the paired E->E
// synapses of each neuron share one astrocyte, and their fraction is 0.481875 within 5
// binomial standard deviations.
TEST(Connectivity, NeuroglialNetworkPairsAsStimbergExample) {
  std::ifstream f(std::string(CAJAL_SOURCE_DIR) + "/inputs/neuroglial_network.toml");
  ASSERT_TRUE(f) << "cannot read inputs/neuroglial_network.toml";
  std::stringstream text;
  text << f.rdbuf();
  const Deck d = Deck::parse(text.str(), "neuroglial_network.toml");
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < d.projections.size(); ++i)
      if (d.projections[i].name == name) return static_cast<int>(i);
    ADD_FAILURE() << "no projection " << name;
    return 0;
  };
  const int ei = index_of("ei"), ee = index_of("ee");
  for (int P : {1, 3}) {
    std::set<std::int64_t> ei_astrocytes;
    std::uint64_t ei_synapses = 0, ee_synapses = 0, ee_paired = 0;
    for (int r = 0; r < P; ++r) {
      const Partition part(d, P, r);
      const Projection pi = build_projection(d, part, ei);
      ASSERT_TRUE(pi.glio);
      auto third = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pi.third);
      for (std::size_t k = 0; k < third.extent(0); ++k) ei_astrocytes.insert(third(k));
      ei_synapses += pi.synapses;

      const Projection pe = build_projection(d, part, ee);
      auto e_third = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pe.third);
      const HostTargets e_target = pe.target.on_host();
      std::map<std::uint32_t, std::set<std::int64_t>> of_target;
      for (std::size_t k = 0; k < e_third.extent(0); ++k)
        if (e_third(k) >= 0) {
          of_target[e_target(k)].insert(e_third(k));
          ++ee_paired;
        }
      for (const auto& [t, a] : of_target) ASSERT_EQ(a.size(), 1u) << "neuron " << t << " (local) has several astrocytes";
      ee_synapses += pe.synapses;
    }
    EXPECT_GT(ei_synapses, 100000u) << "P = " << P;  // 3200 x 800 x 0.05 = 128,000 expected
    ASSERT_EQ(ei_astrocytes.size(), 1u) << "P = " << P << ": E->I synapses on several astrocytes";
    EXPECT_GE(*ei_astrocytes.begin(), 0) << "P = " << P << ": E->I synapses without an astrocyte";
    const double n = static_cast<double>(ee_synapses), q = 0.481875;
    EXPECT_NEAR(static_cast<double>(ee_paired), n * q, 5 * std::sqrt(n * q * (1 - q))) << "P = " << P;
  }
}

TEST(Partition, BricksCoverTheBoxAndOwnEveryCellOnce) {
  const int n_a = 4000;
  const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = 1\nweight = 1.0", n_a),
                             "t.toml");
  const std::uint64_t n[2] = {static_cast<std::uint64_t>(n_a), 300};
  const double L = 200.0;  // the deck's box, the same along x, y and z
  for (int P : {1, 2, 3, 4, 6, 8}) {
    std::vector<int> owners(n[0] + n[1], 0);
    for (int r = 0; r < P; ++r) {
      const Partition part(d, P, r);
      const Bricks& b = part.bricks();
      ASSERT_EQ(b.dims[0] * b.dims[1] * b.dims[2], P);
      const auto c = b.coord(r);
      for (int pop = 0; pop < 2; ++pop) {
        ASSERT_EQ(part.size(pop), n[pop]);
        const auto& mine = part.local(pop);
        ASSERT_TRUE(std::is_sorted(mine.begin(), mine.end()));
        for (auto id : mine) {
          ASSERT_LT(id, n[pop]);
          ++owners[part.first_gid(pop) + id];
          const Point x = part.position(pop, id);
          for (int k = 0; k < 3; ++k) {
            const double lo = L * c[k] / b.dims[k], hi = L * (c[k] + 1) / b.dims[k];
            ASSERT_GE(x[k], lo) << "P = " << P << ", rank " << r << ", pop " << pop << ", id " << id << ", axis " << k;
            if (c[k] + 1 < b.dims[k]) ASSERT_LT(x[k], hi) << "P = " << P << ", rank " << r << ", axis " << k;
            else ASSERT_LE(x[k], hi) << "P = " << P << ", rank " << r << ", axis " << k;
          }
        }
        const double p = 1.0 / P, mean = static_cast<double>(n[pop]) * p;
        const double sd = std::sqrt(static_cast<double>(n[pop]) * p * (1 - p));
        EXPECT_NEAR(static_cast<double>(mine.size()), mean, 5 * sd + 1e-9)
            << "P = " << P << ", rank " << r << ", pop " << pop;
      }
    }
    for (std::size_t g = 0; g < owners.size(); ++g) ASSERT_EQ(owners[g], 1) << "P = " << P << ", gid " << g;
  }
}

namespace {

// Pearson's chi-square statistic of `observed` (value -> count, of n draws) against the
// pmf, with the tails pooled so that every cell expects at least 5; the critical value at
// significance 0.001 by the Wilson–Hilferty approximation (z = 3.0902). Returns
// {statistic, critical value}.
template <class Pmf>
std::pair<double, double> chi_square(const std::vector<std::uint64_t>& observed, std::uint64_t n, const Pmf& pmf,
                                     std::uint64_t support_max) {
  std::vector<double> e, o;
  double acc_e = 0, acc_o = 0;
  for (std::uint64_t k = 0; k <= support_max; ++k) {
    acc_e += static_cast<double>(n) * pmf(k);
    acc_o += k < observed.size() ? static_cast<double>(observed[k]) : 0.0;
    if (acc_e >= 5) {
      e.push_back(acc_e);
      o.push_back(acc_o);
      acc_e = acc_o = 0;
    }
  }
  for (std::uint64_t k = support_max + 1; k < observed.size(); ++k) acc_o += static_cast<double>(observed[k]);
  e.back() += acc_e;  // the upper tail joins the last cell
  o.back() += acc_o;
  double chi2 = 0;
  for (std::size_t c = 0; c < e.size(); ++c) chi2 += (o[c] - e[c]) * (o[c] - e[c]) / e[c];
  const double dof = static_cast<double>(e.size() - 1), z = 3.0902;
  const double crit = dof * std::pow(1 - 2 / (9 * dof) + z * std::sqrt(2 / (9 * dof)), 3);
  return {chi2, crit};
}

double binomial_pmf(std::uint64_t n, double p, std::uint64_t k) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
                  (n - k) * std::log1p(-p));
}
double log_choose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

std::vector<std::uint64_t> histogram(const std::vector<std::uint64_t>& values) {
  std::vector<std::uint64_t> h;
  for (auto v : values) {
    if (v >= h.size()) h.resize(v + 1, 0);
    ++h[v];
  }
  return h;
}

}  // namespace

// fixed_total_number (NEST's rule): exactly N synapses, on any number of ranks the same
// ones, and the storage the rule defines. Rank by rank in this process, as above.
TEST(Connectivity, FixedTotalNumberIsExactOnAnyRankCount) {
  for (const std::string opts : {"autapses = true\nmultapses = true", "autapses = false\nmultapses = true",
                                 "autapses = false\nmultapses = false"}) {
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"a\"\nrule = \"fixed_total_number\"\nn = 41234\n" +
                                         opts + "\nweight = 1.0\ndelay = { dist = \"uniform\", low = 0.1, high = 3.0 }"),
                               "t.toml");
    const auto one = stored_by_ranks(d, 1, 0);
    ASSERT_EQ(one.size(), 41234u) << opts;
    std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (const auto& [s, t, steps] : one) {
      if (opts.find("autapses = false") != std::string::npos) ASSERT_NE(s, t) << "autapse, " << opts;
      pairs.insert({s, t});
    }
    if (opts.find("multapses = false") != std::string::npos) EXPECT_EQ(pairs.size(), one.size()) << "multapse";
    for (int P : {2, 3, 4}) EXPECT_TRUE(stored_by_ranks(d, P, 0) == one) << opts << ", P = " << P;
  }
}

// With multapses every synapse picks its target and its source uniformly and
// independently, so a target's count is Binomial(N, 1/n_post) and a source's
// Binomial(N, 1/n_pre) (PyNN / NEST: "sources and targets drawn uniformly"). Without
// multapses the N pairs are a uniform N-subset of all pairs, so a target's count is
// hypergeometric: N draws from n_post·n_pre pairs of which n_pre are its own. Chi-square
// goodness of fit at significance 0.001 on one fixed seed.
TEST(Connectivity, FixedTotalNumberCountsFollowTheirDistributions) {
  {
    const std::uint64_t N = 120000, n_pre = 400, n_post = 300;
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_total_number\"\nn = " +
                                         std::to_string(N) + "\nweight = 1.0"),
                               "t.toml");
    const Partition part(d, 1, 0);
    std::vector<std::uint64_t> per_target, per_source(n_pre, 0), src;
    for (std::uint64_t t = 0; t < n_post; ++t) {
      draw_sources(d, part, 0, t, src);
      per_target.push_back(src.size());
      for (auto s : src) ++per_source[s];
    }
    std::uint64_t total = 0;
    for (auto c : per_target) total += c;
    ASSERT_EQ(total, N);
    const auto [c2t, critt] = chi_square(histogram(per_target), n_post,
                                         [&](std::uint64_t k) { return binomial_pmf(N, 1.0 / n_post, k); }, N);
    EXPECT_LT(c2t, critt) << "per-target counts against Binomial(N, 1/n_post)";
    const auto [c2s, crits] = chi_square(histogram(per_source), n_pre,
                                         [&](std::uint64_t k) { return binomial_pmf(N, 1.0 / n_pre, k); }, N);
    EXPECT_LT(c2s, crits) << "per-source counts against Binomial(N, 1/n_pre)";
  }
  {
    // Dense, so that the hypergeometric law (variance 9.4) and the binomial one (37) differ.
    const std::uint64_t N = 11250, n_pre = 50, n_post = 300, T = n_pre * n_post;
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_total_number\"\nn = " +
                                             std::to_string(N) + "\nmultapses = false\nweight = 1.0",
                                         static_cast<int>(n_pre)),
                               "t.toml");
    const Partition part(d, 1, 0);
    std::vector<std::uint64_t> per_target, src;
    for (std::uint64_t t = 0; t < n_post; ++t) {
      draw_sources(d, part, 0, t, src);
      per_target.push_back(src.size());
    }
    const auto pmf = [&](std::uint64_t k) {
      if (k > n_pre) return 0.0;
      return std::exp(log_choose(n_pre, k) + log_choose(T - n_pre, N - k) - log_choose(T, N));
    };
    const auto [c2, crit] = chi_square(histogram(per_target), n_post, pmf, n_pre);
    EXPECT_LT(c2, crit) << "per-target counts against the hypergeometric law";
    double mean = 0, var = 0;
    for (auto c : per_target) mean += c;
    mean /= n_post;
    for (auto c : per_target) var += (c - mean) * (c - mean);
    var /= n_post - 1;
    EXPECT_EQ(mean, 37.5);  // exact: the counts sum to N
    EXPECT_LT(var, 20.0) << "the binomial's variance (37) would mean pairs repeat";
  }
}

// projection_sources with a filter (the dry run keeps the sources it owns among another
// rank's): the same ids as filtering the whole list, both where the sources outnumber the
// partition's draws (400,000 sources, ~375 draws: the kept draws are listed and sorted) and
// where they do not (100 sources: a flag per source).
TEST(Connectivity, ProjectionSourcesKeepsTheFilteredIds) {
  for (const int n_pre : {400000, 100}) {
    const Deck d = Deck::parse(deck_text("pre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = 5\nweight = 1.0",
                                         n_pre),
                               "t.toml");
    const Partition part(d, 4, 1);
    const auto keep = [](std::uint64_t id) { return id % 3 == 0; };
    std::vector<std::uint64_t> expected;
    const std::vector<std::uint64_t> all = projection_sources(d, part, 0);
    ASSERT_FALSE(all.empty());
    for (const std::uint64_t id : all)
      if (keep(id)) expected.push_back(id);
    EXPECT_EQ(projection_sources(d, part, 0, keep), expected) << n_pre << " sources";
  }
}

// The fill's per-row places: rows of given lengths, filled in an interleaved order, get
// each of their synapses' places exactly once, in order, from the row's start; with
// blocks that need 1, 2 and 4 bytes a row.
TEST(Connectivity, RowFillGivesEachRowItsPlacesInOrder) {
  for (const std::uint64_t long_row : {3u, 200u, 70000u}) {
    std::vector<std::uint64_t> length;
    for (std::uint64_t r = 0; r < 300; ++r) length.push_back(r % 37 == 5 ? long_row : 1 + r % 3);
    std::vector<std::uint64_t> first(length.size() + 1, 0);
    for (std::size_t r = 0; r < length.size(); ++r) first[r + 1] = first[r] + length[r];
    std::uint64_t widest = 0;
    for (std::size_t r = 0; r < length.size(); r += RowFill::block) {
      const std::size_t end = std::min(length.size(), r + RowFill::block);
      widest = std::max(widest, first[end] - first[r]);
    }
    RowFill fill(length.size(), widest);
    for (std::size_t r = 0; r < length.size(); ++r) fill.start(r, first[r]);
    std::vector<std::uint64_t> placed(length.size(), 0);
    bool more = true;
    while (more) {  // one synapse of every row that has some left, rows backwards
      more = false;
      for (std::size_t k = length.size(); k-- > 0;)
        if (placed[k] < length[k]) {
          ASSERT_EQ(fill.take(k), first[k] + placed[k]) << "row " << k << ", widest " << widest;
          ++placed[k];
          more = true;
        }
    }
  }
}

// The builder's per-source counts are the same in each of its three kinds: a 32-bit
// counter per source (dense), a hash of the drawn sources, and four bits per source whose
// counts of 15 and more go on in a side map (narrow): counts at the edges of both halves
// of a byte (14, 15 and 16 on even and odd ids, next to sources of other counts), heavy
// sources (up to 70,000 of one id), and the empty key's id (the last source of a
// population of 2^32 cells, hash only).
TEST(Connectivity, SourceCountsAgreeInEveryKind) {
  std::mt19937_64 rng(5);
  const std::uint64_t n_pre = 5000;
  std::vector<std::uint64_t> draws;
  std::uniform_int_distribution<std::uint64_t> any(0, n_pre - 1);
  for (int k = 0; k < 20000; ++k) draws.push_back(any(rng));
  for (const auto& [id, times] : {std::pair<std::uint64_t, int>{6, 14}, {7, 15}, {8, 16}, {9, 14}, {10, 15},
                                  {11, 16}, {12, 254}, {13, 256}, {4999, 70000}})
    for (int k = 0; k < times; ++k) draws.push_back(id);
  std::shuffle(draws.begin(), draws.end(), rng);
  std::vector<std::uint64_t> expected(n_pre, 0);
  for (const std::uint64_t j : draws) ++expected[j];
  using Kind = SourceCounts::Kind;
  for (const Kind kind : {Kind::dense, Kind::hashed, Kind::narrow}) {
    SourceCounts counts(n_pre, kind, 3000);
    for (const std::uint64_t j : draws) counts.add(j);
    for (std::uint64_t j = 0; j < n_pre; ++j) ASSERT_EQ(counts.get(j), expected[j]) << "kind " << int(kind) << ", source " << j;
  }
  const std::uint64_t last = (std::uint64_t(1) << 32) - 1;
  SourceCounts hashed(std::uint64_t(1) << 32, Kind::hashed, 10);
  for (int k = 0; k < 3; ++k) hashed.add(last);
  hashed.add(0);
  EXPECT_EQ(hashed.get(last), 3u);
  EXPECT_EQ(hashed.get(0), 1u);
  EXPECT_EQ(hashed.get(1), 0u);
}

