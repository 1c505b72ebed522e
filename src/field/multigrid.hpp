#pragma once
// Cajal's geometric multigrid for the field operator, matrix-free, every operator a Kokkos
// kernel.
//
// The operator (one per level l, cell-centred finite volumes, 7-point stencil):
//   (A u)_i = a0 u_i + c_l * sum over the 6 faces of (u_i - u_neighbour),   c_l = c_0 / 4^l,
// where a face on the box boundary sees a ghost value: -u_i for a Dirichlet face (the value
// is 0 on the wall: corrections and the fine operator with the bath moved to the right-hand
// side) and u_i for a Neumann face (no flux). Levels halve the grid in every dimension
// (while all sides are even and at least 4); restriction averages the 8 children (full
// weighting for cell-centred volumes), prolongation is trilinear (cell-centred weights
// 3/4, 1/4 per dimension), the smoother red-black Gauss-Seidel (colour = parity of the
// global i + j + k; on a level with no neighbour both colours go in one pass over the
// planes, the second one plane behind), and the coarsest grid is solved by conjugate
// gradients. A full-multigrid cycle (fmg) starts solves from a zero guess.
//
// Bits that do not depend on the number of ranks. Every value a kernel produces is a fixed
// formula of fixed neighbours, evaluated in the same order whatever the partition, and
// there is no reduction inside a cycle: levels 0 .. aligned-1 are distributed over the
// ranks' bricks (whose cuts are multiples of 2^aligned voxels, so a coarse cell never
// straddles two ranks), and from the first level that could straddle (first_gathered) the
// hierarchy is agglomerated onto one rank, the aggregator (rank 0): the residual of the
// last distributed level is gathered there (gatherv), the aggregator alone computes the
// rest of the hierarchy on the whole grid, the coarse CG included (its dot products run in
// one global order), and sends each rank back only the window of the coarse correction its
// brick's prolongation reads: its coarse cells and one ghost layer (scatterv). One rank
// and four ranks thus run the same arithmetic on every cell.
//
// Why one aggregator (HPGMG's and PETSc's PCTELESCOPE's agglomeration, taken to one rank):
// the gathered levels are what cannot be split along the bricks' cuts, at most 8^-aligned
// of the fine grid; one rank solves them in the one order that gives the bits of one rank,
// with no message inside the coarse cycle. Every other rank then holds and moves per
// V-cycle O(its brick) (its residual up, its window down), instead of the whole gathered
// level that an allgather gave every rank, and computes nothing on the coarse levels; the
// aggregator holds and moves O(gathered level). A set of aggregators would need the
// coarse levels' halos and the CG's dot products across them, in a fixed order again: not
// worth it while the gathered levels are 8^aligned times smaller than the fine grid.
//
// Halos: each distributed level exchanges one ghost layer with the 6 face neighbours of
// the brick (the DMDA's neighbours), dimension by dimension over the already-filled ghost
// layers, so edges and corners (which trilinear prolongation reads) arrive too.
//
// Messages: the multigrid calls no MPI itself. Halo exchange, the gather of the residual,
// the scatter of the correction and the norm's reductions go through the communicator
// interface (sendrecv, gatherv, scatterv, max, sum_each), so it runs on the serial
// communicator as well as on MPI.
#include <Kokkos_Core.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal::field {

struct RedBlackRows;

/// A level's array with one ghost layer: (z, y, x), x fastest.
using Grid = Kokkos::View<double***, Kokkos::LayoutRight>;
using Index3 = std::array<std::int64_t, 3>;

/// A zeroed grid of n owned cells plus one ghost layer; on host memory backed by huge
/// pages where the kernel grants them (see multigrid.cpp).
Grid make_grid(const char* label, const Index3& n);

struct Level {
  Index3 N{}, s{}, n{};  ///< global cells, first owned cell, owned cells (x, y, z)
  bool gathered = false;  ///< the whole level, on the aggregator alone (empty grids elsewhere)
  double a0 = 0.0, c = 0.0;
  Grid u, b, r;
  Grid r_full;  ///< the whole residual, gathered on the aggregator, when the next level is gathered
  Grid p, q;    ///< coarse CG only
};

class Multigrid {
public:
  struct Options {
    int pre = 3, post = 3;        ///< red-black sweeps before and after the coarse correction
    double omega = 1.0;           ///< over-relaxation of the red-black sweeps
    int gamma = 1;                ///< coarse visits per level: 1 V-cycle, 2 W-cycle
    bool fmg = true;              ///< Richardson from a zero guess starts with a full-multigrid cycle
    double coarse_rtol = 1e-13;   ///< relative residual of the coarse CG
    int coarse_max_it = 2000;
  };
  /// Collective over `comm`, whose rank `rank` owns brick `rank` of `bricks` (voxel cuts
  /// in multiples of 2^bricks.aligned_levels: levels up to that stay distributed).
  Multigrid(const Communicator& comm, const Index3& N, const Bricks& bricks, int rank, const std::array<bool, 6>& dirichlet,
            double a0, double c0, const Options& opt);

  int levels() const { return static_cast<int>(lv_.size()); }
  const Options& options() const { return opt_; }
  Level& level(int l) { return lv_[l]; }
  const Level& level(int l) const { return lv_[l]; }
  /// Level at which the hierarchy becomes gathered (levels() when it never does).
  int first_gathered() const { return first_gathered_; }
  /// The rank that holds and solves the gathered levels.
  static constexpr int aggregator = 0;
  /// Whether this rank holds level l (every rank a distributed level, the aggregator all).
  bool holds(int l) const { return !lv_[l].gathered || rank_ == aggregator; }
  /// Cells of the coarse correction's window this rank receives per visit to the last
  /// distributed level (its coarse cells and one ghost layer; 0 without gathered levels).
  std::int64_t window_cells() const { return static_cast<std::int64_t>(scatter_recv_.size()); }

  /// One V-cycle on level 0: improves u for the right-hand side b (u is the whole
  /// approximation: zero it first to apply the cycle as a preconditioner).
  void vcycle() { cycle(0); }
  /// One full-multigrid cycle on level 0 from the constant `start` (u is overwritten);
  /// with Dirichlet faces, `start` should be their bath value.
  void fmg(double start);
  /// r = b - A u on level l (fills u's ghosts).
  void residual(int l);
  /// out = A in on level 0 (fills in's ghosts); `out` is the owned block, x fastest, in
  /// memory the kernels can write (a PETSc vector's array on host backends).
  void apply(Grid in, double* out);
  /// sqrt(sum of v^2 over the owned cells of level 0), independent of the partition: the
  /// squares, scaled by the global maximum, are summed in 64-bit fixed point (rounded to
  /// 2^-36 of the maximum's square per cell) and the per-rank integer sums added exactly.
  double norm(Grid v) const;
  /// residual(0) and norm() of the result, in fewer passes.
  double residual_norm();
  /// Fills the ghost layer of `v` on level l: halo from the neighbours, then the boundary.
  void fill_ghosts(int l, Grid v);

  /// Bytes one V-cycle streams (model: each sweep, residual, restriction and prolongation
  /// reads and writes its arrays once; every level but the coarsest), for the benchmark.
  double bytes_per_cycle() const;
  /// The same for one full-multigrid cycle.
  double bytes_per_fmg() const;

  // The steps of a cycle. Public only because nvcc refuses a device lambda (KOKKOS_LAMBDA)
  // inside a private or protected member function; not for use outside the multigrid.
  void rbgs(int l, int colour);           // one colour, all planes
  void rbgs_one_pass(int l, int first);   // both colours in one pass (no neighbours)
  void restrict_to(int l);  // level l's residual -> level l + 1's b (u zeroed)
  void prolong_add(int l);  // level l + 1's u, interpolated, added to level l's u
  void coarse_solve(int l);
  double dot(const Level& L, Grid a, Grid b) const;  // coarse (gathered) levels only
  double exact_norm(Grid v, double local_max) const;

private:
  void cycle(int l);
  void smooth(int l, int sweeps, bool reverse);
  struct RedBlackRows rows(int l) const;  // the smoother's row kernels for level l
  void gather_residual(int l);
  void scatter_correction(int l);  // the aggregator's level l + 1 u -> every rank's window_
  /// Rank p's window of the first gathered level: first cell (global, x y z) and cells.
  void window_of(int p, Index3& start, Index3& cells) const;
  double level_bytes(int l) const;

  const Communicator& comm_;  // outlives the multigrid (the field holds both)
  int rank_ = 0, size_ = 1;
  Bricks bricks_;
  std::array<bool, 6> dirichlet_{};
  std::array<int, 6> nbr_{};  // face neighbours (Communicator::no_rank on the box boundary)
  std::vector<Level> lv_;
  int first_gathered_ = 0;
  Options opt_;
  Kokkos::View<double*> send_, recv_;  // halo faces, both directions
  // Host copies of the halo faces, for MPI (host memory), made once: the same memory as
  // send_ and recv_ on host backends, where the copies cost nothing.
  Kokkos::View<double*>::HostMirror send_host_, recv_host_;
  // Host copies of the residual of the last distributed level and of its gathered whole
  // (gather_residual), made once; the grids themselves on host backends.
  Grid::HostMirror r_host_, r_full_host_;
  Kokkos::View<double> dot_{"cajal::field::mg::dot"};  // the coarse CG's dot on a device backend
  std::vector<double> gather_send_, gather_recv_;  // gather_recv_: the aggregator's only
  std::vector<int> gather_counts_, gather_displs_;  // the aggregator's only
  // The coarse correction's way back: the aggregator's packed windows of every rank, and
  // this rank's own window (first gathered level, cells plus one ghost layer, global start
  // window_s_ of its first owned cell), which prolong_add reads in place of the level's u.
  std::vector<double> scatter_send_, scatter_recv_;
  std::vector<int> scatter_counts_, scatter_displs_;
  Grid window_;
  Index3 window_s_{};
  Grid::HostMirror window_host_, coarse_host_;  // host copies (the grids themselves on a host backend)
};

}  // namespace cajal::field
