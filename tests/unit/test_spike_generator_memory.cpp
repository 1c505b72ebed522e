// spike_generator times are held per rank (Cajal issue 17, per-rank memory O(local)):
// the deck keeps no list per cell (a two-column spike_file stays in the file), and each
// rank's population reads only its own cells' times, bit for bit the lists the whole file
// gives. Reference: the file's own (node_id, time) lines, sorted per cell.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/util/error.hpp"
#include "model/population.hpp"

namespace {

constexpr int kM = 10;  // steps per interval

/// (node_id, time) lines, deliberately not sorted.
const std::vector<std::pair<int, double>> kLines{{700, 3.0}, {3, 1.5}, {999, 0.1}, {3, 0.7}, {0, 9.9}, {700, 0.2}};

std::string write_csv(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string sparse_file() {
  std::string text = "node_id,time_ms\n";
  for (const auto& l : kLines) text += std::to_string(l.first) + "," + std::to_string(l.second) + "\n";
  return write_csv("cajal_sparse_spikes.csv", text);
}

std::string deck_text(long long n, const std::string& path) {
  return "[simulation]\ndt = 0.1\nt_stop = 10.0\n[[population]]\nname = \"g\"\nmodel = \"spike_generator\"\nn = " +
         std::to_string(n) + "\nspike_file = \"" + path + "\"\n";
}

}  // namespace

// The deck's size does not grow with n: 10^3, 10^5 and 10^8 generators with the same
// six spikes hold the same (one row offset, no list per cell).
TEST(SpikeGeneratorMemory, DeckHoldsNoListPerCell) {
  const std::string path = sparse_file();
  std::vector<std::size_t> stored;
  for (long long n : {1000LL, 100000LL, 100000000LL}) {
    const cajal::Deck d = cajal::Deck::parse(deck_text(n, path), "t.toml");
    const auto& st = d.populations[0].spike_times;
    EXPECT_FALSE(st.shared);
    EXPECT_EQ(st.file, path);
    EXPECT_EQ(st.file_spikes, kLines.size());
    stored.push_back(st.stored());
  }
  std::remove(path.c_str());
  EXPECT_EQ(stored[0], 1u);  // row = {0}: the times stay in the file
  EXPECT_EQ(stored[1], stored[0]);
  EXPECT_EQ(stored[2], stored[0]);
}

// Inline lists per cell keep only the cells that have spikes.
TEST(SpikeGeneratorMemory, InlineListsKeepOnlyCellsWithSpikes) {
  std::string lists;
  for (int c = 0; c < 1000; ++c) lists += c == 5 ? "[2.0, 1.0]," : c == 900 ? "[0.3]," : "[],";
  const cajal::Deck d = cajal::Deck::parse(
      "[simulation]\ndt = 0.1\nt_stop = 10.0\n[[population]]\nname = \"g\"\nmodel = \"spike_generator\"\nn = 1000\n"
      "spike_times = [" + lists + "]\n",
      "t.toml");
  const auto& st = d.populations[0].spike_times;
  EXPECT_FALSE(st.shared);
  EXPECT_EQ(st.cell, std::vector<std::uint64_t>({5, 900}));
  EXPECT_EQ(st.row, std::vector<std::uint64_t>({0, 2, 3}));
  EXPECT_EQ(st.time, std::vector<double>({1.0, 2.0, 0.3}));  // sorted per cell
}

// On 3 ranks each rank's population emits exactly its own cells' spikes of the file,
// and together they emit every line once, at the step each time ends.
TEST(SpikeGeneratorMemory, EachRankReadsItsOwnCellsOnly) {
  const std::string path = sparse_file();
  const cajal::Deck deck = cajal::Deck::parse(deck_text(1000, path), "t.toml");
  cajal::check_models(deck);
  std::map<std::uint64_t, std::vector<std::int64_t>> got, want;
  for (const auto& l : kLines) want[static_cast<std::uint64_t>(l.first)].push_back(deck.to_steps(l.second) - 1);
  for (auto& w : want) std::sort(w.second.begin(), w.second.end());
  const int ranks = 3;
  for (int r = 0; r < ranks; ++r) {
    const cajal::Partition part(deck, ranks, r);
    auto pop = cajal::make_population(deck, part, 0, kM);
    const auto& ids = part.local(0);
    cajal::SpikeBuffer out;
    out.spikes = Kokkos::View<std::uint64_t*>("spikes", pop->local_size * kM + 1);
    out.count = Kokkos::View<int>("count");
    out.failures = Kokkos::View<int>("failures");
    for (std::int64_t t0 = 0; t0 < deck.to_steps(10.0); t0 += kM) {
      Kokkos::deep_copy(out.count, 0);
      pop->advance(t0, 0, kM, out);
      int n = 0;
      Kokkos::deep_copy(n, out.count);
      auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out.spikes);
      for (int j = 0; j < n; ++j) {
        const std::uint64_t gid = cajal::spike_gid(s(j));
        EXPECT_TRUE(std::binary_search(ids.begin(), ids.end(), gid)) << "rank " << r << " emitted cell " << gid;
        got[gid].push_back(t0 + cajal::spike_offset(s(j)));
      }
    }
  }
  std::remove(path.c_str());
  for (auto& g : got) std::sort(g.second.begin(), g.second.end());
  EXPECT_EQ(got, want);
}

// The streaming check reports what a check of every cell in ascending order reports: the
// lowest cell with a problem; within it a time off the grid before a time listed twice.
TEST(SpikeGeneratorMemory, StreamingCheckNamesTheLowestBadCell) {
  auto message = [](const std::string& text) {
    const std::string path = write_csv("cajal_bad_spikes.csv", text);
    std::string what;
    try {
      cajal::Deck::parse(deck_text(1000, path), "t.toml");
    } catch (const cajal::input_error& e) {
      what = e.why();
    }
    std::remove(path.c_str());
    return what;
  };
  // Unsorted, a duplicate on cell 7 (found by the second look) below an off-grid time on cell 9.
  EXPECT_EQ(message("9,0.15\n7,2.0\n8,1.0\n7,1.0\n7,2.0\n"),
            "spike time 2 ms of cell 7 appears twice; allowed: each time once per cell");
  // The off-grid time on cell 7 wins over cell 7's duplicate and cell 9's duplicate.
  EXPECT_EQ(message("9,1.0\n9,1.0\n7,2.0\n7,2.0\n7,0.15\n7,0.25\n"),
            "spike time 0.15 ms of cell 7: allowed: times > 0 that are multiples of dt = 0.1 ms (a spike is "
            "stamped at the end of a step)");
  // Sorted by (node_id, time): no second look; a repeated line breaks the strict order and is found.
  EXPECT_EQ(message("1,1.0\n2,3.0\n2,3.0\n"), "spike time 3 ms of cell 2 appears twice; allowed: each time once per cell");
  EXPECT_EQ(message("1,1.0\n2,3.0\n2,4.0\n"), "");
}
