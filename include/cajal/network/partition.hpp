#pragma once
/// Where every cell is and which rank owns it: plain data, computed from the deck alone.
///
/// Global ids: populations in deck order, each a contiguous range
/// [first_gid, first_gid + n). Positions are a pure function of the deck (random
/// placement: of the seed and the gid, see Tiling; grid placement: of the id; file
/// placement: the file's), so every rank can answer "where is cell g and who owns it" for
/// any g without communication. The tissue box is cut into one brick per rank (brick_grid:
/// MPI_Dims_create's factorisation, x fastest as in a PETSc DMDA); a cell belongs to the
/// brick that holds its position.
///
/// Cost: random placement visits only the tiles that overlap the rank's brick (O(local
/// cells + cells of the tiles on the brick's surface), plus a fixed 2^18-node top of each
/// population's tree); position() and owner() of any cell are O(log tiles) without a scan.
/// Grid and file placement scan their population once per rank. Memory is O(local cells).
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "cajal/input/deck.hpp"

namespace cajal {

using Point = std::array<double, 3>;

struct Bricks {
  std::array<int, 3> dims{1, 1, 1};
  std::array<double, 3> box{1, 1, 1};
  /// With a [field]: the bricks are whole voxels, the DMDA's ownership ranges.
  /// voxel_cuts[d] holds dims[d] + 1 voxel indices (0 .. shape[d]), every one a multiple
  /// of 2^aligned_levels, so that the multigrid's levels 0 .. aligned_levels coarsen
  /// inside each brick (field/multigrid.hpp). Empty without a field.
  double voxel = 0.0;
  std::array<std::vector<std::int64_t>, 3> voxel_cuts;
  int aligned_levels = 0;
  /// Rank whose brick holds `p` (points on the far faces belong to the last brick).
  int rank_of(const Point& p) const;
  /// The brick coordinate along d of coordinate x (rank_of's, one axis at a time; it never
  /// decreases as x grows, so a box's cells lie in the bricks between its corners').
  int coord_along(double x, int d) const;
  /// The brick of `rank` as coordinates in the grid of bricks (x fastest), and back.
  std::array<int, 3> coord(int rank) const {
    return {rank % dims[0], (rank / dims[0]) % dims[1], rank / (dims[0] * dims[1])};
  }
  int rank_at(const std::array<int, 3>& c) const { return c[0] + dims[0] * (c[1] + dims[1] * c[2]); }
  /// With a field: the first voxel of `rank`'s brick along d, and its number of voxels.
  std::int64_t voxel_start(int rank, int d) const { return voxel_cuts[d][coord(rank)[d]]; }
  std::int64_t voxel_count(int rank, int d) const {
    return voxel_cuts[d][coord(rank)[d] + 1] - voxel_cuts[d][coord(rank)[d]];
  }
  /// With a field: the rank that owns voxel (i, j, k).
  int rank_of_voxel(const std::array<std::int64_t, 3>& v) const;
  /// With a field: the voxel holding `p` (points on or beyond the far faces belong to the
  /// last voxel). The one rule both the bricks and the field's grid use.
  std::array<std::int64_t, 3> voxel_of(const Point& p) const;
};

/// Voxel-aligned cuts of `n` voxels into `parts` bricks (see Bricks::voxel_cuts): blocks of
/// 2^k voxels, k as large as keeps at least 4 blocks per brick (load balance within 25 %),
/// dealt out as evenly as possible. Returns the cuts; `k` receives the block exponent.
std::vector<std::int64_t> voxel_cuts(std::int64_t n, int parts, int& k);

/// The bricks of `nranks` ranks over a field of `shape` voxels of `voxel` µm (box: shape x
/// voxel), cut along voxel_cuts: what a Partition of a deck with a [field] holds (its
/// tissue box may be larger than the grid's), for the multigrid's tests and tools.
Bricks field_bricks(const std::array<std::int64_t, 3>& shape, double voxel, int nranks);

/// Random placement of one population, built so that a rank finds its own cells without
/// visiting the others'. The placement region is cut into a lattice of equal tiles that
/// depends on the deck alone (about cells_per_tile cells expected per tile, near-cubic).
/// The number of cells in each tile is drawn down a fixed binary tree over the tiles
/// (padded to 2^depth leaves; heap numbering, root 1): a node's cells go left by one
/// binomial draw with p = its left half's share of its tiles, from the stream
/// (seed, placement, 1 + population index) at counter (node, ·) -- the multinomial split of
/// n uniform cells, as connectivity's total_number_counts splits fixed_total_number.
/// Population-local ids are dealt out tile by tile (tile index x fastest), and a cell is
/// uniform inside its tile from Philox (seed, placement, 0) at counter (gid, 0). So the
/// cells stay independent and uniform in the region, and every quantity is a pure function
/// of the deck, whatever the number of ranks.
struct Tiling {
  static constexpr double cells_per_tile = 256;  // the cells drawn one by one: a ~6-cell shell on the faces
  static constexpr int cached_levels = 18;  // starts: 2^18 + 1 entries (2 MiB) at most
  std::array<double, 3> min{0, 0, 0}, extent{1, 1, 1};
  std::array<std::uint64_t, 3> shape{1, 1, 1};
  std::uint64_t tiles = 1, cells = 0, first_gid = 0;
  std::uint64_t seed = 0;
  std::uint32_t stream = 0;
  int depth = 0;   ///< 2^depth >= tiles leaves
  int cached = 0;  ///< min(depth, cached_levels): the level whose nodes' first ids are kept
  /// First id of each of the 2^cached nodes of level `cached`, and `cells` at the end, so
  /// that finding a cell's tile starts with a binary search, not at the root.
  std::vector<std::uint64_t> starts;
  /// Coordinate along d of fraction f (0 .. shape[d]) of the tiles: tile i spans
  /// [at(d, i), at(d, i + 1)], and its cells' coordinates at(d, i + u), u in (0, 1), lie
  /// inside, rounding included (the map is monotone).
  double at(int d, double f) const { return min[d] + extent[d] * (f / static_cast<double>(shape[d])); }
};

/// Bricks per dimension for `nranks` ranks (x, y, z; the largest first), as Open MPI's
/// MPI_Dims_create gives them.
std::array<int, 3> brick_grid(int nranks);

class Partition {
public:
  Partition(const Deck& deck, int nranks, int rank);

  /// Cells [start, start + count) of population-local ids fill tile `tile` (random placement).
  struct Tile {
    std::uint64_t tile, start, count;
  };

  const Bricks& bricks() const { return bricks_; }
  int populations() const { return static_cast<int>(first_.size()); }
  std::uint64_t first_gid(int pop) const { return first_[pop]; }
  std::uint64_t size(int pop) const { return size_[pop]; }
  std::uint64_t total_cells() const { return total_; }
  /// Population of global id `gid`.
  int population_of(std::uint64_t gid) const;

  /// Position (µm) of cell `id` (population-local) of population `pop`: O(log tiles).
  Point position(int pop, std::uint64_t id) const;
  /// Rank that owns cell `id` of `pop`: O(log tiles).
  int owner(int pop, std::uint64_t id) const;

  /// Whether this rank owns cell `id` of `pop`: a search of local(pop), no walk of the tree.
  bool owns(int pop, std::uint64_t id) const {
    return std::binary_search(local_[pop].begin(), local_[pop].end(), id);
  }

  /// owner() for many ids, best in ascending order: it keeps the last tile found, so the
  /// ids of one tile (about Tiling::cells_per_tile) cost one walk down the placement tree
  /// instead of one each (with 10^8 cells a walk draws ~30 Philox blocks). The same answer
  /// as owner() for every id, in any order.
  class Owners {
  public:
    explicit Owners(const Partition& part) : part_(part) {}
    int operator()(int pop, std::uint64_t id);

  private:
    const Partition& part_;
    int pop_ = -1;
    Tile tile_{0, 0, 0};
    std::array<int, 3> lo_{}, hi_{};
  };

  /// Population-local ids owned by this rank, ascending.
  const std::vector<std::uint64_t>& local(int pop) const { return local_[pop]; }
  /// The deck it was cut from.
  const Deck& deck() const { return deck_; }

  /// Positions of all cells of `pop`, in id order: one pass, O(n) (the spatial bins of a
  /// distance rule).
  std::vector<Point> positions(int pop) const;
  /// Calls f(id, position) for each cell of `pop` whose position lies in the closed box
  /// [lo, hi], ids ascending. Random placement visits only the tiles that meet the box
  /// (the sources near a rank's targets, for a distance rule); grid and file placement
  /// scan the population.
  void cells_in(int pop, const Point& lo, const Point& hi,
                const std::function<void(std::uint64_t, const Point&)>& f) const;
  /// The number of cells of `pop` each rank owns, [rank] (the memory estimate): random
  /// placement counts whole tiles and looks only at the cells of tiles that straddle bricks.
  std::vector<std::uint64_t> cells_per_rank(int pop) const;

private:
  bool random(int pop) const { return tiling_[pop].tiles > 0 && tiling_[pop].cells > 0; }
  Tile find_tile(const Tiling& t, std::uint64_t id) const;
  /// Calls f(Tile) for each tile of `wanted` (tile indices, ascending), in that order.
  template <class F>
  void visit(const Tiling& t, const std::vector<std::uint64_t>& wanted, const F& f) const;
  Point cell_position(const Tiling& t, std::uint64_t tile, std::uint64_t id) const;
  /// Brick coordinates of tile `tile`'s lower and upper corners, per axis.
  void tile_bricks(const Tiling& t, std::uint64_t tile, std::array<int, 3>& lo, std::array<int, 3>& hi) const;

  const Deck& deck_;
  Bricks bricks_;
  int nranks_ = 1;
  std::vector<std::uint64_t> first_, size_;
  std::uint64_t total_ = 0;
  std::vector<Tiling> tiling_;  ///< per population; tiles = 0 unless placed at random
  std::vector<std::vector<std::uint64_t>> local_;
};

}  // namespace cajal
