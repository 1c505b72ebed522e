#pragma once
/// Where every cell is and which rank owns it: plain data, computed from the deck alone.
///
/// Global ids: populations in deck order, each a contiguous range
/// [first_gid, first_gid + n). Positions are a pure function of (seed, gid) (uniform random
/// placement) or of the id (grid placement), so every rank can answer "where is cell g and
/// who owns it" for any g without communication. The tissue box is cut into one brick per
/// rank (brick_grid: MPI_Dims_create's factorisation, x fastest as in a PETSc DMDA); a cell belongs to
/// the brick that holds its position.
///
/// Cost: building the partition scans every cell of every population once per rank
/// (one Philox draw per cell for random placement); memory is O(local cells).
#include <array>
#include <cstdint>
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

/// Bricks per dimension for `nranks` ranks (x, y, z; the largest first), as Open MPI's
/// MPI_Dims_create gives them.
std::array<int, 3> brick_grid(int nranks);

class Partition {
public:
  Partition(const Deck& deck, int nranks, int rank);

  const Bricks& bricks() const { return bricks_; }
  int populations() const { return static_cast<int>(first_.size()); }
  std::uint64_t first_gid(int pop) const { return first_[pop]; }
  std::uint64_t size(int pop) const { return size_[pop]; }
  std::uint64_t total_cells() const { return total_; }
  /// Population of global id `gid`.
  int population_of(std::uint64_t gid) const;

  /// Position (µm) of cell `id` (population-local) of population `pop`.
  Point position(int pop, std::uint64_t id) const;
  int owner(int pop, std::uint64_t id) const { return bricks_.rank_of(position(pop, id)); }

  /// Population-local ids owned by this rank, ascending.
  const std::vector<std::uint64_t>& local(int pop) const { return local_[pop]; }
  /// The deck it was cut from.
  const Deck& deck() const { return deck_; }

private:
  const Deck& deck_;
  Bricks bricks_;
  std::vector<std::uint64_t> first_, size_;
  std::uint64_t total_ = 0;
  std::vector<std::vector<std::uint64_t>> local_;
};

}  // namespace cajal
