// The spike exchange's owner-side tables: the subscriber rows (gaps in 7-bit groups) give
// back every slot, and the presynaptic state sent with each spike of a stateful source is
// the state before that spike (STDP's trace K+ from NEST's recursion, synapse/stdp.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "exchange/round_ids.hpp"
#include "exchange/spike_exchange.hpp"
#include "model/population.hpp"
#include "network/connectivity.hpp"
#include "sim/presynaptic_state.hpp"

using namespace cajal;

TEST(SpikeExchange, SubscriberRowsGiveBackEverySlot) {
  // Gaps of one and of several 7-bit groups (127 / 128, 2^14 - 1 / 2^14, 2^31), empty rows.
  const std::vector<std::vector<std::uint32_t>> rows = {
      {}, {0}, {0, 1, 2, 3}, {127}, {128}, {5, 133, 134, 16517}, {}, {16383, 16384, 32768}, {2147483648u, 4294967294u}, {}};
  SpikeExchange::Subscribers subs;
  for (const auto& r : rows) subs.add_row(r.data(), r.size());
  for (std::size_t c = 0; c < rows.size(); ++c) {
    std::vector<std::uint32_t> got;
    subs.each(c, [&](std::uint32_t s) { got.push_back(s); });
    EXPECT_EQ(got, rows[c]) << "cell " << c;
  }
  // Dense rows go as a bitmap from their first slot: every other of 1000 slots from 300 on
  // takes a code byte, the first slot in two LEB128 bytes and 125 bytes of bits, where the
  // gaps would take 1 + 2 + 499 bytes.
  SpikeExchange::Subscribers dense;
  std::vector<std::uint32_t> every_other;
  for (std::uint32_t s = 300; s < 1300; s += 2) every_other.push_back(s);
  dense.add_row(every_other.data(), every_other.size());
  EXPECT_EQ(dense.bytes(), 2 * sizeof(std::uint64_t) + 1 + 2 + 125);
  // Sparse rows go as gaps, a byte each while they stay below 128.
  SpikeExchange::Subscribers sparse;
  std::vector<std::uint32_t> every_100th;
  for (std::uint32_t s = 0; s < 10000; s += 100) every_100th.push_back(s);
  sparse.add_row(every_100th.data(), every_100th.size());
  EXPECT_EQ(sparse.bytes(), 2 * sizeof(std::uint64_t) + 1 + every_100th.size());
  // Rows of every density, each in whichever code is shorter, give back their slots.
  SpikeExchange::Subscribers mixed;
  std::vector<std::vector<std::uint32_t>> want;
  std::uint64_t state = 12345;
  for (const std::uint32_t every : {1u, 2u, 3u, 7u, 8u, 9u, 64u, 200u, 5000u})
    for (int k = 0; k < 4; ++k) {
      std::vector<std::uint32_t> row;
      for (std::uint32_t s = 0; s < 20000; ++s) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        if ((state >> 33) % every == 0) row.push_back(s);
      }
      mixed.add_row(row.data(), row.size());
      want.push_back(row);
    }
  for (std::size_t c = 0; c < want.size(); ++c) {
    std::vector<std::uint32_t> got;
    mixed.each(c, [&](std::uint32_t s) { got.push_back(s); });
    EXPECT_EQ(got, want[c]) << "row " << c;
  }
}

TEST(RoundIds, ListsGiveBackTheirOffsetsInFourBitsAGapBelowEight) {
  // Lists that end inside a word, on a word's last group, and empty; gaps of every group
  // count up to the round's largest offset (2^22 - 1); then, as counted, the words written.
  const std::uint64_t last = (std::uint64_t(1) << 22) - 1;
  std::vector<std::vector<std::uint64_t>> lists = {{}, {0}, {1}, {0, 1, 2, 3, 4, 5}, {2, 5, 6, 100, 101, 4096, last}, {last}};
  std::vector<std::uint64_t> run;  // 16 gaps of 0 to 7: a group each, one word exactly
  for (std::uint64_t k = 0, at = 0; k < 16; ++k, at += 1 + k % 8) run.push_back(at);
  lists.push_back(run);
  RoundIds::List full;
  for (const std::uint64_t id : run) full.count(id);
  EXPECT_EQ(full.words(), 1u);
  std::vector<std::uint64_t> mixed;  // gaps growing threefold, up to the largest offset
  for (std::uint64_t at = 0, gap = 0; at + gap <= last; at += gap + 1, gap = gap * 3 + 1) mixed.push_back(at + gap);
  lists.push_back(mixed);
  for (const auto& ids : lists) {
    RoundIds::List counted, written;
    std::vector<std::uint64_t> words;
    for (const std::uint64_t id : ids) {
      counted.count(id);
      written.push(words, id);
    }
    EXPECT_EQ(words.size(), counted.words());
    std::vector<std::uint64_t> got;
    for (RoundIds::Reader r(words.data(), words.size()); !r.done(); r.advance()) got.push_back(r.value());
    EXPECT_EQ(got, ids);
  }
  // Every other id of a run (gap 1): a 4-bit group each, 16 to a word; a gap of 8 takes two.
  RoundIds::List half, eighth;
  for (std::uint64_t id = 0; id < 2 * 320; id += 2) half.count(id);
  EXPECT_EQ(half.words(), 20u);
  for (std::uint64_t id = 8; id < 9 * 160; id += 9) eighth.count(id);
  EXPECT_EQ(eighth.words(), 20u);
}

namespace {
double word(std::uint64_t w) {
  double v;
  std::memcpy(&v, &w, sizeof v);
  return v;
}
}  // namespace

TEST(PresynapticState, RecordsCarryTheStateBeforeEachSpike) {
  // a feeds two plastic projections (two traces, tau+ 20 and 10 ms) and b only a static one,
  // so b's spikes carry no state.
  const Deck d = Deck::parse(
      "[simulation]\ndt = 0.1\nt_stop = 1.0\nseed = 3\n"
      "[[population]]\nname = \"a\"\nmodel = \"iaf_psc_alpha\"\nn = 10\n"
      "[[population]]\nname = \"b\"\nmodel = \"iaf_psc_alpha\"\nn = 10\n"
      "[[projection]]\nname = \"ab\"\npre = \"a\"\npost = \"b\"\nrule = \"fixed_indegree\"\nindegree = 3\nweight = 10.0\n"
      "synapse = { model = \"stdp_synapse\", tau_plus = 20.0, lambda = 0.01, alpha = 1.0, Wmax = 100.0 }\n"
      "[[projection]]\nname = \"aa\"\npre = \"a\"\npost = \"a\"\nrule = \"fixed_indegree\"\nindegree = 3\nweight = 10.0\n"
      "synapse = { model = \"stdp_synapse\", tau_plus = 10.0, lambda = 0.01, alpha = 1.0, Wmax = 100.0 }\n"
      "[[projection]]\nname = \"ba\"\npre = \"b\"\npost = \"a\"\nrule = \"fixed_indegree\"\nindegree = 3\nweight = 10.0\n",
      "t.toml");
  const Partition part(d, 1, 0);
  std::vector<Projection> pj;
  for (int i = 0; i < 3; ++i) pj.push_back(build_projection(d, part, i));
  PresynapticState state(part, pj);
  ASSERT_TRUE(state.active());
  ASSERT_EQ(state.width(), 4);  // spike, t_last, two traces
  EXPECT_EQ(state.slot(0), 2);
  EXPECT_EQ(state.slot(1), 3);
  EXPECT_EQ(state.slot(2), 0);

  const std::uint64_t a3 = part.first_gid(0) + 3, b1 = part.first_gid(1) + 1;
  // Interval at step 100: a3 at offsets 5 and 2 (out of order), b1 at 0.
  const std::vector<std::uint64_t> first = {pack_spike(a3, 5), pack_spike(b1, 0), pack_spike(a3, 2)};
  std::vector<std::uint64_t> rec = state.records_of(first.data(), first.size(), 100);
  ASSERT_EQ(state.records(), 2u);
  EXPECT_EQ(rec[0], pack_spike(a3, 2));  // in time order
  EXPECT_EQ(rec[1], 0u);                 // no spike before: t_last 0, K+ 0 (NEST)
  EXPECT_EQ(word(rec[2]), 0.0);
  EXPECT_EQ(word(rec[3]), 0.0);
  EXPECT_EQ(rec[4], pack_spike(a3, 5));
  EXPECT_EQ(rec[5], 103u);  // the first spike's stamp: step 102, stamp 103
  EXPECT_EQ(word(rec[6]), 1.0);
  EXPECT_EQ(word(rec[7]), 1.0);

  // The next interval: K+ = 1 + e^{-3 dt / tau+} (after the spikes at 103 and 106).
  const std::vector<std::uint64_t> second = {pack_spike(a3, 0)};
  rec = state.records_of(second.data(), second.size(), 200);
  ASSERT_EQ(state.records(), 1u);
  EXPECT_EQ(rec[1], 106u);
  EXPECT_DOUBLE_EQ(word(rec[2]), 1.0 + std::exp(-0.3 / 20.0));
  EXPECT_DOUBLE_EQ(word(rec[3]), 1.0 + std::exp(-0.3 / 10.0));
  // The owner's state now: after the spike at 201.
  const std::size_t li = 3;
  EXPECT_EQ(state.t_last(0)[li], 201);
  EXPECT_DOUBLE_EQ(state.kplus(0)[li], (1.0 + std::exp(-0.3 / 20.0)) * std::exp(-9.5 / 20.0) + 1.0);
  EXPECT_TRUE(state.t_last(1).empty());  // b feeds no stateful projection
}
