// Random placement by tiles (network/partition.hpp, Tiling): the local sets of all ranks
// partition every population exactly for P = 1 .. 7, owner() and position() agree with
// local(), positions do not depend on the number of ranks, and the cells are independent
// and uniform in their region (Pearson's chi-square over sub-boxes, both tails: a tiling
// that dealt cells out evenly would be under-dispersed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"

using namespace cajal;

namespace {

// Two random populations: one in the whole (not cubic) box, one in a sub-region; a grid
// population between them keeps its own ids and positions.
Deck make_deck(int n_a, int n_c) {
  return Deck::parse("[simulation]\nt_stop = 1.0\nseed = 11\nbox = [300.0, 200.0, 120.0]\n"
                     "[[population]]\nname = \"a\"\nmodel = \"iaf_psc_delta\"\nn = " +
                         std::to_string(n_a) +
                         "\n[[population]]\nname = \"b\"\nmodel = \"iaf_psc_delta\"\nn = 60\n"
                         "placement = { kind = \"grid\", shape = [5, 4, 3] }\n"
                         "[[population]]\nname = \"c\"\nmodel = \"iaf_psc_delta\"\nn = " +
                         std::to_string(n_c) +
                         "\nplacement = { min = [20.0, 50.0, 10.0], max = [170.0, 90.0, 115.0] }\n",
                     "t.toml");
}

/// Pearson's statistic of the cells of `x` counted in a grid of nb boxes over [lo, hi].
double chi_square(const std::vector<Point>& x, const Point& lo, const Point& hi, const std::array<int, 3>& nb) {
  std::vector<double> count(static_cast<std::size_t>(nb[0] * nb[1] * nb[2]), 0.0);
  for (const Point& p : x) {
    int c[3];
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(p[d], lo[d]);
      EXPECT_LE(p[d], hi[d]);
      c[d] = std::min(nb[d] - 1, static_cast<int>((p[d] - lo[d]) / (hi[d] - lo[d]) * nb[d]));
    }
    count[static_cast<std::size_t>(c[0] + nb[0] * (c[1] + nb[1] * c[2]))] += 1;
  }
  const double e = static_cast<double>(x.size()) / static_cast<double>(count.size());
  double chi2 = 0;
  for (double k : count) chi2 += (k - e) * (k - e) / e;
  return chi2;
}

}  // namespace

TEST(Partition, LocalSetsPartitionEveryPopulationOnAnyNumberOfRanks) {
  const Deck d = make_deck(30000, 5000);
  const Partition one(d, 1, 0);
  for (int P = 1; P <= 7; ++P) {
    std::vector<std::vector<int>> owners(3);
    std::vector<std::vector<std::uint64_t>> counted(3, std::vector<std::uint64_t>(static_cast<std::size_t>(P), 0));
    for (int pop = 0; pop < 3; ++pop) owners[pop].assign(one.size(pop), 0);
    for (int r = 0; r < P; ++r) {
      const Partition part(d, P, r);
      for (int pop = 0; pop < 3; ++pop) {
        const auto& mine = part.local(pop);
        ASSERT_TRUE(std::is_sorted(mine.begin(), mine.end()));
        for (const std::uint64_t id : mine) {
          ASSERT_LT(id, part.size(pop));
          ++owners[pop][id];
          ASSERT_EQ(part.owner(pop, id), r) << "P = " << P << ", pop " << pop << ", id " << id;
          const Point x = part.position(pop, id);
          ASSERT_EQ(part.bricks().rank_of(x), r) << "P = " << P << ", pop " << pop << ", id " << id;
          ASSERT_EQ(x, one.position(pop, id)) << "P = " << P << ", pop " << pop << ", id " << id;
        }
        if (r == 0) counted[pop] = part.cells_per_rank(pop);
        EXPECT_EQ(counted[pop][static_cast<std::size_t>(r)], mine.size()) << "P = " << P << ", pop " << pop;
      }
    }
    for (int pop = 0; pop < 3; ++pop)
      for (std::size_t id = 0; id < owners[pop].size(); ++id)
        ASSERT_EQ(owners[pop][id], 1) << "P = " << P << ", pop " << pop << ", id " << id;
  }
}

TEST(Partition, OwnerAndPositionOfEveryCellAgreeWithTheLocalSets) {
  // Every id (not only the local ones): owner() is the rank whose local() holds it, and
  // positions() is position() id by id.
  const Deck d = make_deck(20000, 3000);
  const int P = 6;
  std::vector<Partition> parts;
  parts.reserve(P);
  for (int r = 0; r < P; ++r) parts.emplace_back(d, P, r);
  for (int pop = 0; pop < 3; ++pop) {
    std::vector<int> owner(parts[0].size(pop), -1);
    for (int r = 0; r < P; ++r)
      for (const std::uint64_t id : parts[r].local(pop)) owner[id] = r;
    const std::vector<Point> all = parts[3].positions(pop);
    ASSERT_EQ(all.size(), owner.size());
    for (std::uint64_t id = 0; id < owner.size(); ++id) {
      ASSERT_EQ(parts[1].owner(pop, id), owner[id]) << "pop " << pop << ", id " << id;
      ASSERT_EQ(all[id], parts[5].position(pop, id)) << "pop " << pop << ", id " << id;
    }
  }
}

TEST(Partition, OwnersCursorAndOwnsAnswerAsOwnerInAnyOrder) {
  // Partition::Owners keeps the last tile: ascending ids (the exchange setup), a strided
  // and a scrambled order (each id a new tile), across populations, must all give owner()'s
  // rank; owns() is "owner() is this rank". P = 7 makes tiles that straddle bricks.
  const Deck d = make_deck(20000, 3000);
  const int P = 7;
  const Partition part(d, P, 4);
  for (int pop = 0; pop < 3; ++pop) {
    const std::uint64_t n = part.size(pop);
    std::vector<std::uint64_t> orders[3];
    for (std::uint64_t id = 0; id < n; ++id) orders[0].push_back(id);
    for (std::uint64_t s = 0; s < 5; ++s)
      for (std::uint64_t id = s; id < n; id += 5) orders[1].push_back(id);
    for (std::uint64_t k = 0; k < n; ++k) orders[2].push_back((k * 7919 + 13) % n);  // 7919 prime, n not a multiple
    for (const auto& ids : orders) {
      Partition::Owners owner(part);
      for (const std::uint64_t id : ids) {
        const int r = part.owner(pop, id);
        ASSERT_EQ(owner(pop, id), r) << "pop " << pop << ", id " << id;
        ASSERT_EQ(part.owns(pop, id), r == 4) << "pop " << pop << ", id " << id;
      }
    }
  }
  // One cursor over all populations in turn, back and forth.
  Partition::Owners owner(part);
  for (std::uint64_t k = 0; k < 3000; ++k)
    for (int pop : {2, 0, 1, 0})
      ASSERT_EQ(owner(pop, k % part.size(pop)), part.owner(pop, k % part.size(pop))) << "pop " << pop << ", id " << k;
}

TEST(Partition, CellsInABoxAreThoseOfAllPositionsInIt) {
  // cells_in visits only the tiles meeting the box; it must find exactly the cells a scan
  // of all positions finds, ids ascending (boxes inside, across and outside a region).
  const Deck d = make_deck(20000, 3000);
  const Partition part(d, 4, 1);
  const std::vector<std::pair<Point, Point>> boxes = {
      {{10, 20, 30}, {60, 70, 50}}, {{0, 0, 0}, {300, 200, 120}}, {{150, 80, 100}, {400, 300, 200}},
      {{250, 0, 0}, {260, 10, 5}}, {{-5, -5, -5}, {-1, -1, -1}}};
  for (int pop = 0; pop < 3; ++pop) {
    const std::vector<Point> all = part.positions(pop);
    for (const auto& box : boxes) {
      std::vector<std::uint64_t> want, got;
      for (std::uint64_t id = 0; id < all.size(); ++id) {
        bool in = true;
        for (int c = 0; c < 3; ++c) in = in && all[id][c] >= box.first[c] && all[id][c] <= box.second[c];
        if (in) want.push_back(id);
      }
      part.cells_in(pop, box.first, box.second, [&](std::uint64_t id, const Point& x) {
        EXPECT_EQ(x, all[id]);
        got.push_back(id);
      });
      EXPECT_EQ(got, want) << "pop " << pop << ", box from " << box.first[0] << " " << box.first[1] << " "
                           << box.first[2];
    }
  }
}

TEST(Partition, RandomPlacementIsUniformInItsRegion) {
  // Chi-square with k - 1 degrees of freedom: mean k - 1, variance 2 (k - 1); 5 standard
  // deviations either side. Coarse boxes (7 x 5 x 3) and boxes about a tile's size
  // (256 cells a tile: ~470 tiles for a; 20 x 14 x 8 boxes of ~54 cells), which would
  // expose both a tile-scale pattern and counts per tile too even.
  const Deck d = make_deck(120000, 40000);
  const Partition part(d, 1, 0);
  const Point box{300, 200, 120}, zero{0, 0, 0};
  for (const std::array<int, 3>& nb : {std::array<int, 3>{7, 5, 3}, std::array<int, 3>{20, 14, 8}}) {
    const double k = nb[0] * nb[1] * nb[2], chi2 = chi_square(part.positions(0), zero, box, nb);
    EXPECT_NEAR(chi2, k - 1, 5 * std::sqrt(2 * (k - 1))) << nb[0] << " x " << nb[1] << " x " << nb[2];
  }
  const double k = 6 * 4 * 9, chi2 = chi_square(part.positions(2), {20, 50, 10}, {170, 90, 115}, {6, 4, 9});
  EXPECT_NEAR(chi2, k - 1, 5 * std::sqrt(2 * (k - 1)));
  // Each coordinate's mean over the whole population: uniform's mean, within 5 sigma.
  const auto x = part.positions(0);
  for (int c = 0; c < 3; ++c) {
    double m = 0;
    for (const Point& p : x) m += p[c];
    m /= static_cast<double>(x.size());
    EXPECT_NEAR(m, box[c] / 2, 5 * box[c] / std::sqrt(12.0 * static_cast<double>(x.size()))) << "axis " << c;
  }
}
