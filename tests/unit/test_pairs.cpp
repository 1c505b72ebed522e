// Explicit connectivity (rule = "one_to_one" and "pairs", and the edge-list builder behind
// them): exactly the listed synapses with their weights and delays, the same arrays on any
// number of ranks, gap junctions both ways, and a pairs deck that lists a rule deck's
// synapses builds that deck's arrays bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"
#include "plain_rows.hpp"

using namespace cajal;

namespace {

const std::string decks = std::string(CAJAL_SOURCE_DIR) + "/tests/decks/";

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Deck deck_file(const std::string& path) { return Deck::parse(slurp(path), path); }

/// One synapse as the simulation sees it: source id, target id (population-local), the
/// weight delivered and the delay in steps.
struct Syn {
  std::uint64_t pre, post;
  double weight;
  int delay;
  bool operator==(const Syn& o) const {
    return pre == o.pre && post == o.post && weight == o.weight && delay == o.delay;
  }
};

/// The synapses of one rank's projection, in storage order.
std::vector<Syn> synapses(const Projection& pj, const Partition& part) {
  std::vector<std::uint64_t> src, row;
  plain_rows(pj, src, row);
  const HostTargets tgt = pj.target.on_host();
  auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.weight);
  auto d = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.delay);
  auto pw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.plastic_weight);
  std::vector<Syn> out;
  for (std::size_t k = 0; k < src.size(); ++k)
    for (std::uint64_t j = row[k]; j < row[k + 1]; ++j)
      out.push_back({src[k], part.local(pj.post)[tgt(j)],
                     pw.extent(0) ? pw(j) : w.extent(0) ? double(w(j)) : pj.weight_value,
                     d.extent(0) ? int(d(j)) : pj.delay_steps});
  return out;
}

/// Every rank's synapses of projection `index` on `nranks` ranks, by target: each target's
/// incoming synapses in storage order (source ascending, then list order).
std::map<std::uint64_t, std::vector<Syn>> by_target(const Deck& d, int index, int nranks) {
  std::map<std::uint64_t, std::vector<Syn>> out;
  for (int r = 0; r < nranks; ++r) {
    const Partition part(d, nranks, r);
    for (const Syn& s : synapses(build_projection(d, part, index), part)) out[s.post].push_back(s);
  }
  return out;
}

std::string two_pops(const std::string& projection, int n_a = 5, int n_b = 4) {
  return "[simulation]\nt_stop = 1.0\nseed = 5\nbox = [200.0, 200.0, 200.0]\n"
         "[[population]]\nname = \"a\"\nmodel = \"iaf_psc_delta\"\nn = " + std::to_string(n_a) +
         "\n[[population]]\nname = \"b\"\nmodel = \"iaf_psc_delta\"\nn = " + std::to_string(n_b) +
         "\n[[projection]]\n" + projection + "\n";
}

/// The deck's synapses as the CSV that lists them (storage order on one rank): columns
/// source,target and, where the deck draws them, weight (as the float stored, %.9g: exact)
/// and delay (steps × dt).
std::string as_csv(const Deck& d, int index) {
  const Partition part(d, 1, 0);
  const Projection pj = build_projection(d, part, index);
  const bool w = pj.weight.extent(0) > 0, dl = pj.delay.extent(0) > 0;
  std::string out = std::string("source,target") + (w ? ",weight" : "") + (dl ? ",delay" : "") + "\n";
  char buf[128];
  for (const Syn& s : synapses(pj, part)) {
    std::snprintf(buf, sizeof buf, "%llu,%llu", static_cast<unsigned long long>(s.pre),
                  static_cast<unsigned long long>(s.post));
    out += buf;
    if (w) std::snprintf(buf, sizeof buf, ",%.9g", s.weight), out += buf;
    if (dl) std::snprintf(buf, sizeof buf, ",%.10g", s.delay * d.simulation.dt), out += buf;
    out += "\n";
  }
  return out;
}

}  // namespace

// The listed pairs, weights and delays, exactly; duplicates are kept (two synapses), in list
// order; 1 and 3 ranks give each target the same synapses in the same order.
TEST(Pairs, InlineListIsExact) {
  const Deck d = Deck::parse(two_pops("pre = \"a\"\npost = \"b\"\nrule = \"pairs\"\n"
                                      "sources = [4, 0, 2, 0, 4, 1]\n"
                                      "targets = [3, 1, 0, 1, 0, 3]\n"
                                      "weights = [0.5, 1.25, -0.0, 2.0, 3.5, 0.75]\n"
                                      "delays = [0.2, 1.0, 0.1, 3.0, 0.5, 0.2]"),
                             "t.toml");
  EXPECT_TRUE(d.projections[0].edge_weights);
  EXPECT_TRUE(d.projections[0].edge_delays);
  // Per target: source ascending, then list order (the two 0 -> 1 synapses).
  const std::map<std::uint64_t, std::vector<Syn>> want = {
      {0, {{2, 0, -0.0, 1}, {4, 0, 3.5, 5}}},
      {1, {{0, 1, 1.25, 10}, {0, 1, 2.0, 30}}},
      {3, {{1, 3, 0.75, 2}, {4, 3, 0.5, 2}}},
  };
  for (int n : {1, 3}) {
    const auto got = by_target(d, 0, n);
    EXPECT_EQ(got.size(), want.size()) << n << " ranks";
    for (const auto& [t, syns] : want) {
      ASSERT_TRUE(got.count(t)) << "target " << t << ", " << n << " ranks";
      EXPECT_EQ(got.at(t), syns) << "target " << t << ", " << n << " ranks";
    }
  }
}

// The same pairs from a CSV file (header naming the columns in another order, a comment,
// a blank line, CRLF) as from the deck's arrays.
TEST(Pairs, CsvFileIsExact) {
  const std::string dir = testing::TempDir();
  {
    std::ofstream f(dir + "/pairs_unit.csv");
    f << "# a comment\r\ntarget, source ,delay,weight\r\n3,4,0.2,0.5\n1,0,1.0,1.25\n\n0,2,0.1,-0.0\n1,0,3.0,2.0\n"
         "0,4,0.5,3.5\n3,1,0.2,0.75\n";
  }
  const Deck csv = Deck::parse(two_pops("pre = \"a\"\npost = \"b\"\nrule = \"pairs\"\nfile = \"pairs_unit.csv\""),
                               dir + "/t.toml");
  const Deck inl = Deck::parse(two_pops("pre = \"a\"\npost = \"b\"\nrule = \"pairs\"\n"
                                        "sources = [4, 0, 2, 0, 4, 1]\n"
                                        "targets = [3, 1, 0, 1, 0, 3]\n"
                                        "weights = [0.5, 1.25, -0.0, 2.0, 3.5, 0.75]\n"
                                        "delays = [0.2, 1.0, 0.1, 3.0, 0.5, 0.2]"),
                               "t.toml");
  for (int n : {1, 3}) EXPECT_EQ(by_target(csv, 0, n), by_target(inl, 0, n)) << n << " ranks";
  // Without a header the columns are source,target,weight,delay.
  {
    std::ofstream f(dir + "/pairs_unit_plain.csv");
    f << "4,3,0.5,0.2\n0,1,1.25,1.0\n2,0,-0.0,0.1\n0,1,2.0,3.0\n4,0,3.5,0.5\n1,3,0.75,0.2\n";
  }
  const Deck plain = Deck::parse(
      two_pops("pre = \"a\"\npost = \"b\"\nrule = \"pairs\"\nfile = \"pairs_unit_plain.csv\""), dir + "/t.toml");
  EXPECT_EQ(by_target(plain, 0, 1), by_target(inl, 0, 1));
}

// one_to_one: cell i -> cell i, one synapse each, with the deck's weight and delay.
TEST(Pairs, OneToOneIsExact) {
  const Deck d = Deck::parse(two_pops("pre = \"a\"\npost = \"b\"\nrule = \"one_to_one\"\nweight = 0.7\ndelay = 0.3",
                                      40, 40),
                             "t.toml");
  for (int n : {1, 3}) {
    const auto got = by_target(d, 0, n);
    ASSERT_EQ(got.size(), 40u);
    for (const auto& [t, syns] : got) EXPECT_EQ(syns, (std::vector<Syn>{{t, t, 0.7, 3}})) << n << " ranks";
  }
}

// Pairs without their own weights take the deck's distribution, drawn per target: the same
// values on 1 and 3 ranks, and within the distribution's bounds.
TEST(Pairs, DeckDistributionDrawnPerTarget) {
  const Deck d = Deck::parse(two_pops("pre = \"a\"\npost = \"b\"\nrule = \"pairs\"\n"
                                      "sources = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2]\n"
                                      "targets = [0, 0, 1, 1, 2, 2, 3, 3, 0, 1, 2, 3]\n"
                                      "weight = { dist = \"uniform\", low = 1.0, high = 2.0 }\n"
                                      "delay = { dist = \"uniform\", low = 0.5, high = 2.0 }"),
                             "t.toml");
  const auto one = by_target(d, 0, 1);
  EXPECT_EQ(one, by_target(d, 0, 3));
  std::size_t n = 0;
  for (const auto& [t, syns] : one)
    for (const Syn& s : syns) {
      ++n;
      EXPECT_GE(s.weight, 1.0);
      EXPECT_LE(s.weight, 2.0);
      EXPECT_GE(s.delay, 5);
      EXPECT_LE(s.delay, 20);
    }
  EXPECT_EQ(n, 12u);
}

// An ip3_gap_junction pair couples both ways: the ring deck gives every cell exactly its two
// neighbours as sources, on 1 and 3 ranks.
TEST(Pairs, GapJunctionRingCouplesBothWays) {
  const Deck d = deck_file(std::string(CAJAL_SOURCE_DIR) + "/inputs/astro_ring.toml");
  const std::uint64_t N = static_cast<std::uint64_t>(d.populations.at(0).n);  // 50, as the example
  for (int n : {1, 3}) {
    const auto got = by_target(d, 0, n);
    ASSERT_EQ(got.size(), N) << n << " ranks";
    for (const auto& [t, syns] : got) {
      std::vector<std::uint64_t> src;
      for (const Syn& s : syns) src.push_back(s.pre);
      std::vector<std::uint64_t> want = {(t + N - 1) % N, (t + 1) % N};
      std::sort(want.begin(), want.end());
      EXPECT_EQ(src, want) << "cell " << t << ", " << n << " ranks";
    }
  }
}

// The CSV files of pairs_explicit.toml list exactly the synapses pairs_rule.toml draws (with
// CAJAL_WRITE_PAIRS=1 in the environment the test rewrites them, after a rule change).
TEST(Pairs, CsvListsTheRuleDeck) {
  const Deck d = deck_file(decks + "pairs_rule.toml");
  for (std::size_t i = 0; i < d.projections.size(); ++i) {
    const std::string path = decks + "pairs_" + d.projections[i].name + ".csv";
    const std::string text = as_csv(d, static_cast<int>(i));
    if (std::getenv("CAJAL_WRITE_PAIRS")) std::ofstream(path) << text;
    EXPECT_EQ(slurp(path), text) << path;
  }
}

// The explicit deck builds the rule deck's arrays, bit for bit, on every rank of 1 and 3:
// sources, rows, targets, per-synapse weights and delays or their constants, receptor.
TEST(Pairs, ExplicitDeckBuildsTheRuleDecksArrays) {
  const Deck rule = deck_file(decks + "pairs_rule.toml");
  const Deck expl = deck_file(decks + "pairs_explicit.toml");
  ASSERT_EQ(rule.projections.size(), expl.projections.size());
  const auto host = [](const auto& v) { return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v); };
  const auto same = [&](const auto& a, const auto& b) {
    const auto ha = host(a), hb = host(b);
    if (ha.extent(0) != hb.extent(0)) return false;
    for (std::size_t k = 0; k < ha.extent(0); ++k)
      if (!(ha(k) == hb(k))) return false;
    return true;
  };
  for (int n : {1, 3})
    for (int r = 0; r < n; ++r) {
      const Partition pr(rule, n, r), pe(expl, n, r);
      for (std::size_t i = 0; i < rule.projections.size(); ++i) {
        const Projection a = build_projection(rule, pr, static_cast<int>(i));
        const Projection b = build_projection(expl, pe, static_cast<int>(i));
        const std::string at = rule.projections[i].name + " rank " + std::to_string(r) + "/" + std::to_string(n);
        EXPECT_GT(a.synapses, 0u) << at;
        EXPECT_EQ(a.synapses, b.synapses) << at;
        std::vector<std::uint64_t> a_ids, a_row, b_ids, b_row;
        plain_rows(a, a_ids, a_row);
        plain_rows(b, b_ids, b_row);
        EXPECT_EQ(a_ids, b_ids) << at;
        EXPECT_EQ(a_row, b_row) << at;
        EXPECT_TRUE(same(a.target.narrow, b.target.narrow)) << at;
        EXPECT_TRUE(same(a.target.wide, b.target.wide)) << at;
        EXPECT_TRUE(same(a.weight, b.weight)) << at;
        EXPECT_TRUE(same(a.delay, b.delay)) << at;
        EXPECT_EQ(a.weight_fixed, b.weight_fixed) << at;
        EXPECT_EQ(a.delay_steps, b.delay_steps) << at;
        EXPECT_EQ(a.receptor, b.receptor) << at;
      }
    }
}

// build_from_edges takes the edges in any order: reversed, the same arrays.
TEST(Pairs, EdgeOrderOnlyBreaksTies) {
  const Deck d = deck_file(decks + "pairs_explicit.toml");
  const Partition part(d, 1, 0);
  std::vector<LocalEdge> edges = local_edges(d, part, 0);
  ASSERT_GT(edges.size(), 100u);
  const std::vector<Syn> fwd = synapses(build_from_edges(d, part, 0, edges), part);
  std::reverse(edges.begin(), edges.end());
  EXPECT_EQ(synapses(build_from_edges(d, part, 0, edges), part), fwd);
}
