#include "field/multigrid.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cajal::field {

namespace {

using Rows = Kokkos::RangePolicy<Kokkos::IndexType<std::int64_t>>;

/// Levels of fewer cells run their kernels as a plain loop on the calling thread when the
/// grids live in host memory: a V-cycle launches a dozen kernels per level (one per plane
/// in rbgs_one_pass) and the coarse CG five per iteration, and on small grids forking them
/// over the host threads costs more than the rows (measured: potassium_column's field,
/// 1 rank, took 1.40 s on 2 OpenMP threads against 0.69 s on one). Rows are independent in
/// every kernel, so the bits do not depend on which way they run.
constexpr std::int64_t threaded_from_cells = std::int64_t{1} << 15;

template <class Level, class F>
void for_rows(const Level& level, const char* label, const Rows& rows, const F& f) {
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, Grid::memory_space>::accessible) {
    if (level.n[0] * level.n[1] * level.n[2] < threaded_from_cells) {
      for (std::int64_t q = rows.begin(); q < rows.end(); ++q) f(q);
      return;
    }
  }
  Kokkos::parallel_for(label, rows, f);
}

/// Asks the kernel to back the 2 MiB-aligned interior of [p, p + bytes) with huge pages
/// (transparent huge pages in "madvise" mode, the common default, give them only on
/// request). A grid sweep touches five rows of u that lie a plane apart: with 4 KiB pages
/// each row costs TLB misses; measured on the 128^3 sweep, 15-25 % of its time. Host
/// memory only; a no-op where the advice does not apply.
void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (!Kokkos::SpaceAccessibility<Kokkos::HostSpace, Grid::memory_space>::accessible) return;
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const std::uintptr_t lo = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const std::uintptr_t hi = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // advice: failure is harmless
#else
  (void)p;
  (void)bytes;
#endif
}

/// Boundary term of a cell's diagonal along one dimension: +1 per Dirichlet face it
/// touches (ghost -u), -1 per Neumann face (ghost u), 0 inside.
KOKKOS_INLINE_FUNCTION double face_term(std::int64_t g, std::int64_t N, double lo, double hi) {
  return (g == 0 ? lo : 0.0) + (g == N - 1 ? hi : 0.0);
}

/// m = max(m, |x|), keeping a NaN (which no comparison would let through).
KOKKOS_INLINE_FUNCTION void keep_max_abs(double& m, double x) {
  const double a = x < 0 ? -x : x;
  m = (a > m || a != a) ? a : m;
}

/// The 7-point operator at one cell, in the one order every kernel uses.
KOKKOS_INLINE_FUNCTION double stencil(const Grid& u, std::int64_t k, std::int64_t j, std::int64_t i, double diag,
                                      double c) {
  const double nb = ((u(k, j, i - 1) + u(k, j, i + 1)) + (u(k, j - 1, i) + u(k, j + 1, i))) +
                    (u(k - 1, j, i) + u(k + 1, j, i));
  return diag * u(k, j, i) - c * nb;
}

/// (A u) over row (k, j), cells 1 .. nx, the same formula as stencil() on row pointers (the
/// compiler then sees plain loads); `put(i, Au)` takes each value. Arguments, not members
/// of a kernel, so a store in `put` cannot make the compiler reload diag and c.
template <class Put>
KOKKOS_INLINE_FUNCTION void stencil_row(const Grid& u, std::int64_t k, std::int64_t j, std::int64_t nx, double diag,
                                        double c, const Put& put) {
  const double* uc = &u(k, j, 0);
  const double *us = &u(k, j - 1, 0), *un = &u(k, j + 1, 0), *ud = &u(k - 1, j, 0), *uu = &u(k + 1, j, 0);
  for (std::int64_t i = 1; i <= nx; ++i) {
    const double nb = ((uc[i - 1] + uc[i + 1]) + (us[i] + un[i])) + (ud[i] + uu[i]);
    put(i, diag * uc[i] - c * nb);
  }
}

/// The sum of a b over the owned cells, in one fixed order (z, then y, then x).
KOKKOS_INLINE_FUNCTION double serial_dot(const Grid& a, const Grid& b, std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  double acc = 0;
  for (std::int64_t k = 1; k <= nz; ++k)
    for (std::int64_t j = 1; j <= ny; ++j)
      for (std::int64_t i = 1; i <= nx; ++i) acc += a(k, j, i) * b(k, j, i);
  return acc;
}

}  // namespace

Grid make_grid(const char* label, const Index3& n) {
  Grid g(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing), static_cast<std::size_t>(n[2] + 2),
         static_cast<std::size_t>(n[1] + 2), static_cast<std::size_t>(n[0] + 2));
  advise_huge_pages(g.data(), g.span() * sizeof(double));
  Kokkos::deep_copy(g, 0.0);  // the first touch: after the advice, so the pages come huge
  return g;
}

Multigrid::Multigrid(const Communicator& comm, const Index3& N, const Bricks& bricks, int rank,
                     const std::array<bool, 6>& dirichlet, double a0, double c0, const Options& opt)
    : comm_(comm), rank_(rank), size_(comm.size()), bricks_(bricks), dirichlet_(dirichlet), opt_(opt) {
  const int aligned = std::min(bricks.aligned_levels, 60);
  for (int d = 0; d < 3; ++d) {
    std::array<int, 3> lo = bricks.coord(rank), hi = lo;
    --lo[d];
    ++hi[d];
    nbr_[2 * d] = lo[d] < 0 ? Communicator::no_rank : bricks.rank_at(lo);
    nbr_[2 * d + 1] = hi[d] >= bricks.dims[d] ? Communicator::no_rank : bricks.rank_at(hi);
  }
  // The hierarchy is a function of the global grid alone: halve while every side is even
  // and at least 4.
  std::vector<Index3> sizes{N};
  for (;;) {
    const Index3& g = sizes.back();
    bool ok = true;
    for (int d = 0; d < 3; ++d) ok = ok && g[d] % 2 == 0 && g[d] >= 4;
    if (!ok) break;
    sizes.push_back({g[0] / 2, g[1] / 2, g[2] / 2});
  }
  const int L = static_cast<int>(sizes.size());
  // Distributed while the bricks' cuts stay whole cells (levels 0 .. aligned); the coarsest
  // level is always gathered, so the coarse CG never reduces across ranks.
  first_gathered_ = L == 1 ? 1 : std::max(1, std::min(aligned + 1, L - 1));
  std::size_t face = 0;
  for (int l = 0; l < L; ++l) {
    Level lv;
    lv.N = sizes[l];
    lv.gathered = l >= first_gathered_;
    for (int d = 0; d < 3; ++d) {
      if (lv.gathered) {
        lv.s[d] = 0;
        lv.n[d] = lv.N[d];
      } else {
        lv.s[d] = bricks.voxel_start(rank, d) >> l;
        lv.n[d] = bricks.voxel_count(rank, d) >> l;
      }
    }
    lv.a0 = a0;
    lv.c = c0 / std::pow(4.0, l);
    const bool here = !lv.gathered || rank_ == aggregator;  // a gathered level: the aggregator's alone
    if (!here) lv.n = {0, 0, 0};
    if (here) {
      lv.u = make_grid("cajal::field::mg::u", lv.n);
      lv.b = make_grid("cajal::field::mg::b", lv.n);
      lv.r = make_grid("cajal::field::mg::r", lv.n);
    }
    if (l + 1 == first_gathered_ && l + 1 < L) {
      r_host_ = Kokkos::create_mirror_view(lv.r);  // the gather's staging, made once
      if (rank_ == aggregator) {
        lv.r_full = make_grid("cajal::field::mg::r_full", lv.N);
        r_full_host_ = Kokkos::create_mirror_view(lv.r_full);
      }
    }
    if (l == L - 1 && L > 1 && here) {
      lv.p = make_grid("cajal::field::mg::p", lv.n);
      lv.q = make_grid("cajal::field::mg::q", lv.n);
    }
    const std::size_t nx = lv.n[0] + 2, ny = lv.n[1] + 2, nz = lv.n[2] + 2;
    if (!lv.gathered) face = std::max({face, ny * nz, nx * nz, nx * ny});
    lv_.push_back(lv);
  }
  send_ = Kokkos::View<double*>("cajal::field::mg::halo_send", 2 * face);
  recv_ = Kokkos::View<double*>("cajal::field::mg::halo_recv", 2 * face);
  send_host_ = Kokkos::create_mirror_view(send_);
  recv_host_ = Kokkos::create_mirror_view(recv_);
  if (first_gathered_ < L) {
    // Up: every rank's residual of level l, whole, to the aggregator. Down: every rank's
    // window of level l + 1 (the counts and displacements only the aggregator reads).
    const int l = first_gathered_ - 1;
    auto cells_of = [&](int q) {
      std::int64_t cells = 1;
      for (int d = 0; d < 3; ++d) cells *= bricks.voxel_count(q, d) >> l;
      return cells;
    };
    auto window_cells_of = [&](int q) {
      Index3 ws, wn;
      window_of(q, ws, wn);
      return (wn[0] + 2) * (wn[1] + 2) * (wn[2] + 2);
    };
    gather_send_.resize(static_cast<std::size_t>(cells_of(rank_)));
    Index3 wn;
    window_of(rank_, window_s_, wn);
    window_ = make_grid("cajal::field::mg::window", wn);
    window_host_ = Kokkos::create_mirror_view(window_);
    if (rank_ == aggregator) coarse_host_ = Kokkos::create_mirror_view(lv_[first_gathered_].u);
    scatter_recv_.resize(static_cast<std::size_t>(window_cells_of(rank_)));
    if (rank_ == aggregator) {
      gather_counts_.resize(size_);
      gather_displs_.resize(size_ + 1, 0);
      scatter_counts_.resize(size_);
      scatter_displs_.resize(size_ + 1, 0);
      for (int q = 0; q < size_; ++q) {
        gather_counts_[q] = static_cast<int>(cells_of(q));
        gather_displs_[q + 1] = gather_displs_[q] + gather_counts_[q];
        scatter_counts_[q] = static_cast<int>(window_cells_of(q));
        scatter_displs_[q + 1] = scatter_displs_[q] + scatter_counts_[q];
      }
      gather_recv_.resize(gather_displs_[size_]);
      scatter_send_.resize(scatter_displs_[size_]);
    }
  }
}

void Multigrid::window_of(int p, Index3& start, Index3& cells) const {
  // Rank p's cells of level l = first_gathered - 1 are s .. s + n - 1; their prolongation
  // reads the coarse cells (s >> 1) - 1 .. ((s + n - 1) >> 1) + 1, the window's owned cells
  // and its ghost layer (the aggregator's ghosts on the box boundary).
  const int l = first_gathered_ - 1;
  for (int d = 0; d < 3; ++d) {
    const std::int64_t s = bricks_.voxel_start(p, d) >> l, n = bricks_.voxel_count(p, d) >> l;
    start[d] = s >> 1;
    cells[d] = ((s + n - 1) >> 1) - start[d] + 1;
  }
}

namespace {
/// Element (layer, a, b) of the plane normal to dimension d (a, b: the other two, x before y).
KOKKOS_INLINE_FUNCTION double& face_ref(const Grid& v, int d, std::int64_t layer, std::int64_t a, std::int64_t b) {
  if (d == 0) return v(b, a, layer);
  if (d == 1) return v(b, layer, a);
  return v(layer, b, a);
}
}  // namespace

void Multigrid::fill_ghosts(int l, Grid v) {
  const Level& L = lv_[l];
  const std::int64_t nx = L.n[0], ny = L.n[1], nz = L.n[2];
  for (int d = 0; d < 3; ++d) {
    // Extents of the face plane (the two other dimensions, ghosts included).
    const std::int64_t ea = d == 0 ? ny + 2 : nx + 2, eb = d == 2 ? ny + 2 : nz + 2, nd = L.n[d];
    const Rows plane(0, ea * eb);
    if (!L.gathered && size_ > 1 && (nbr_[2 * d] != Communicator::no_rank || nbr_[2 * d + 1] != Communicator::no_rank)) {
      const std::int64_t fs = ea * eb;
      const auto snd = send_, rcv = recv_;
      for_rows(L,
          "cajal::field::mg::halo_pack", plane, KOKKOS_LAMBDA(std::int64_t q) {
            snd(q) = face_ref(v, d, 1, q % ea, q / ea);
            snd(fs + q) = face_ref(v, d, nd, q % ea, q / ea);
          });
      Kokkos::fence();
      // Up: my top layer to the high neighbour, its top layer into my low ghost; then down.
      // MPI reads and writes host memory: the faces pass through their host copies (the
      // same memory on host backends, where deep_copy does nothing).
      const std::size_t n = static_cast<std::size_t>(fs);
      const auto both = std::make_pair(std::size_t(0), 2 * n);
      Kokkos::deep_copy(Kokkos::subview(send_host_, both), Kokkos::subview(snd, both));
      double* const hs = send_host_.data();
      double* const hr = recv_host_.data();
      comm_.sendrecv(hs + fs, n, nbr_[2 * d + 1], 40 + d, hr, nbr_[2 * d]);
      comm_.sendrecv(hs, n, nbr_[2 * d], 50 + d, hr + fs, nbr_[2 * d + 1]);
      Kokkos::deep_copy(Kokkos::subview(rcv, both), Kokkos::subview(recv_host_, both));
      const bool lo = nbr_[2 * d] != Communicator::no_rank, hi = nbr_[2 * d + 1] != Communicator::no_rank;
      for_rows(L,
          "cajal::field::mg::halo_unpack", plane, KOKKOS_LAMBDA(std::int64_t q) {
            if (lo) face_ref(v, d, 0, q % ea, q / ea) = rcv(q);
            if (hi) face_ref(v, d, nd + 1, q % ea, q / ea) = rcv(fs + q);
          });
    }
    const double slo = dirichlet_[2 * d] ? -1.0 : 1.0, shi = dirichlet_[2 * d + 1] ? -1.0 : 1.0;
    const bool lo = L.s[d] == 0, hi = L.s[d] + nd == L.N[d];
    if (lo || hi)
      for_rows(L,
          "cajal::field::mg::boundary", plane, KOKKOS_LAMBDA(std::int64_t q) {
            if (lo) face_ref(v, d, 0, q % ea, q / ea) = slo * face_ref(v, d, 1, q % ea, q / ea);
            if (hi) face_ref(v, d, nd + 1, q % ea, q / ea) = shi * face_ref(v, d, nd, q % ea, q / ea);
          });
  }
}

/// Red-black Gauss-Seidel on one level: the update of one row of one colour, and of a row
/// pair (first colour at plane k, second colour at plane k - 1, one pass). Every cell gets
/// u += (b - A u) / diag (times omega), with A u evaluated as stencil() does, on the same
/// neighbour values whichever path runs it: the bits do not depend on the path.
struct RedBlackRows {
  Grid u, b;
  std::int64_t nx, ny, sx, sy, sz, Nx, Ny, Nz;
  double diag, c, w, inv;
  double x0, x1, y0, y1, z0, z1;  // boundary terms per face (+1 Dirichlet, -1 Neumann)
  bool xlo, xhi;

  /// Sum of the y and z boundary terms of row (k, j): 0 for an inner row.
  KOKKOS_INLINE_FUNCTION double tyz(std::int64_t k, std::int64_t j) const {
    return face_term(sy + j - 1, Ny, y0, y1) + face_term(sz + k - 1, Nz, z0, z1);
  }
  /// First cell of row (k, j) of colour `colour` (colour = parity of global i + j + k).
  KOKKOS_INLINE_FUNCTION std::int64_t first(int colour, std::int64_t k, std::int64_t j) const {
    return 1 + ((colour ^ static_cast<int>((sx + sy + j - 1 + sz + k - 1) & 1)) & 1);
  }
  /// omega / (the true diagonal of a cell whose faces add `t`): a ghost on the box
  /// boundary holds -u (Dirichlet) or u (Neumann) of the cell itself, so it belongs to the
  /// cell's diagonal. Every update is u += res * inv_of(t), whatever path computes it.
  KOKKOS_INLINE_FUNCTION double inv_of(double t) const { return t == 0.0 ? inv : w / (diag + c * t); }
  /// The cell at the end of a row on an x face of the box (its x term joins t_yz).
  KOKKOS_INLINE_FUNCTION void x_edge_cell(std::int64_t k, std::int64_t j, std::int64_t i, double t_yz) const {
    const double res = b(k, j, i) - stencil(u, k, j, i, diag, c);
    u(k, j, i) += res * inv_of(t_yz + face_term(sx + i - 1, Nx, x0, x1));
  }
  /// The last cell the plain loop may take (a cell on the box's high x face is not).
  KOKKOS_INLINE_FUNCTION std::int64_t loop_last() const { return xhi ? nx - 1 : nx; }

  KOKKOS_INLINE_FUNCTION void row(int colour, std::int64_t k, std::int64_t j) const {
    // stencil() on row pointers, so the compiler sees plain strided loads. Locals, not
    // members: a store through uc may alias a double of this object, which would make the
    // compiler reload them every cell. Rows on a y or z face read their ghost row like any
    // neighbour and differ only in the diagonal.
    const double t_yz = tyz(k, j);
    double* uc = &u(k, j, 0);
    const double *us = &u(k, j - 1, 0), *un = &u(k, j + 1, 0), *ud = &u(k - 1, j, 0), *uu = &u(k + 1, j, 0);
    const double* bc = &b(k, j, 0);
    const double dg = diag, cc = c, iv = inv_of(t_yz);
    std::int64_t i = first(colour, k, j);
    if (xlo && i == 1) {
      x_edge_cell(k, j, i, t_yz);
      i += 2;
    }
    const std::int64_t last = loop_last();
    for (; i <= last; i += 2) {
      const double nb = ((uc[i - 1] + uc[i + 1]) + (us[i] + un[i])) + (ud[i] + uu[i]);
      uc[i] += (bc[i] - (dg * uc[i] - cc * nb)) * iv;
    }
    if (i <= nx) x_edge_cell(k, j, i, t_yz);
  }
  /// Colour `colour` on row (k, j), then the other colour on row (k - 1, j), where plane k - 1
  /// already has its first colour done (and plane k - 2 both). The two rows update the same
  /// i (the parity of i + j + k flips with k), and the second update reads the first's new
  /// value u(k, j, i) and its old u(k - 1, j, i): one loop shares those loads. Rows of
  /// different j are independent.
  KOKKOS_INLINE_FUNCTION void row_pair(int colour, std::int64_t k, std::int64_t j) const {
    const double ta = tyz(k, j), tz = tyz(k - 1, j);
    double* a = &u(k, j, 0);      // first colour's row
    double* z = &u(k - 1, j, 0);  // second colour's row, one plane down
    const double *as = &u(k, j - 1, 0), *an = &u(k, j + 1, 0), *au = &u(k + 1, j, 0);
    const double *zs = &u(k - 1, j - 1, 0), *zn = &u(k - 1, j + 1, 0), *zd = &u(k - 2, j, 0);
    const double *ba = &b(k, j, 0), *bz = &b(k - 1, j, 0);
    const double dg = diag, cc = c, iva = inv_of(ta), ivz = inv_of(tz);
    std::int64_t i = first(colour, k, j);
    if (xlo && i == 1) {
      x_edge_cell(k, j, 1, ta);
      x_edge_cell(k - 1, j, 1, tz);
      i += 2;
    }
    const std::int64_t last = loop_last();
    for (; i <= last; i += 2) {
      const double zi = z[i];
      const double na = ((a[i - 1] + a[i + 1]) + (as[i] + an[i])) + (zi + au[i]);
      const double ai = a[i] + (ba[i] - (dg * a[i] - cc * na)) * iva;
      a[i] = ai;
      const double nz = ((z[i - 1] + z[i + 1]) + (zs[i] + zn[i])) + (zd[i] + ai);
      z[i] = zi + (bz[i] - (dg * zi - cc * nz)) * ivz;
    }
    if (i <= nx) {
      x_edge_cell(k, j, i, ta);
      x_edge_cell(k - 1, j, i, tz);
    }
  }
};

RedBlackRows Multigrid::rows(int l) const {
  const Level& L = lv_[l];
  RedBlackRows R;
  R.u = L.u;
  R.b = L.b;
  R.nx = L.n[0];
  R.ny = L.n[1];
  R.sx = L.s[0];
  R.sy = L.s[1];
  R.sz = L.s[2];
  R.Nx = L.N[0];
  R.Ny = L.N[1];
  R.Nz = L.N[2];
  R.diag = L.a0 + 6 * L.c;
  R.c = L.c;
  R.w = opt_.omega;
  R.inv = opt_.omega / R.diag;
  auto term = [&](int f) { return dirichlet_[f] ? 1.0 : -1.0; };
  R.x0 = term(0);
  R.x1 = term(1);
  R.y0 = term(2);
  R.y1 = term(3);
  R.z0 = term(4);
  R.z1 = term(5);
  R.xlo = L.s[0] == 0;
  R.xhi = L.s[0] + L.n[0] == L.N[0];
  return R;
}

void Multigrid::rbgs(int l, int colour) {
  const RedBlackRows R = rows(l);
  const std::int64_t ny = R.ny;
  for_rows(lv_[l],
      "cajal::field::mg::rbgs", Rows(0, ny * lv_[l].n[2]), KOKKOS_LAMBDA(std::int64_t q) {
        R.row(colour, q / ny + 1, q % ny + 1);
      });
}

void Multigrid::rbgs_one_pass(int l, int first) {
  // Both colours in one pass over the planes, the second one plane behind: at plane k, the
  // first colour of plane k and the second of plane k - 1 (which needs the first colour's
  // values of planes k - 2 .. k, all done by then).
  const RedBlackRows R = rows(l);
  const std::int64_t ny = R.ny, nz = lv_[l].n[2];
  const int second = 1 - first;
  for (std::int64_t k = 1; k <= nz + 1; ++k) {
    for_rows(lv_[l],
        "cajal::field::mg::rbgs_pair", Rows(1, ny + 1), KOKKOS_LAMBDA(std::int64_t j) {
          if (k == 1) R.row(first, 1, j);
          else if (k == nz + 1) R.row(second, nz, j);
          else R.row_pair(first, k, j);
        });
  }
}

void Multigrid::smooth(int l, int sweeps, bool reverse) {
  const Level& L = lv_[l];
  const int first = reverse ? 1 : 0, second = 1 - first;
  const bool alone = L.gathered || size_ == 1;
  for (int s = 0; s < sweeps; ++s) {
    fill_ghosts(l, L.u);
    if (alone) {
      // No neighbour to wait for. Every cell sees the same values as in two separate
      // passes, so the bits are those of the distributed path.
      rbgs_one_pass(l, first);
      continue;
    }
    rbgs(l, first);
    fill_ghosts(l, L.u);
    rbgs(l, second);
  }
}

void Multigrid::residual(int l) {
  const Level& L = lv_[l];
  fill_ghosts(l, L.u);
  const Grid u = L.u, b = L.b, r = L.r;
  const std::int64_t nx = L.n[0], ny = L.n[1];
  const double c = L.c, diag = L.a0 + 6 * c;
  for_rows(L,
      "cajal::field::mg::residual", Rows(0, ny * L.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        const double* bc = &b(k, j, 0);
        double* rc = &r(k, j, 0);
        stencil_row(u, k, j, nx, diag, c, [&](std::int64_t i, double au) { rc[i] = bc[i] - au; });
      });
}

double Multigrid::residual_norm() {
  // The residual of level 0 and its largest magnitude in one pass; then the exact sum.
  const Level& L = lv_[0];
  fill_ghosts(0, L.u);
  const Grid u = L.u, b = L.b, r = L.r;
  const std::int64_t nx = L.n[0], ny = L.n[1];
  const double c = L.c, diag = L.a0 + 6 * c;
  double mx = 0;
  Kokkos::parallel_reduce(
      "cajal::field::mg::residual_max", Rows(0, ny * L.n[2]),
      KOKKOS_LAMBDA(std::int64_t row, double& m) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        const double* bc = &b(k, j, 0);
        double* rc = &r(k, j, 0);
        stencil_row(u, k, j, nx, diag, c, [&](std::int64_t i, double au) {
          rc[i] = bc[i] - au;
          keep_max_abs(m, rc[i]);
        });
      },
      Kokkos::Max<double>(mx));
  return exact_norm(L.r, mx);
}

void Multigrid::apply(Grid in, double* out) {
  const Level& L = lv_[0];
  fill_ghosts(0, in);
  const std::int64_t nx = L.n[0], ny = L.n[1];
  const double c = L.c, diag = L.a0 + 6 * c;
  for_rows(L,
      "cajal::field::mg::apply", Rows(0, ny * L.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        double* oc = out + row * nx - 1;  // oc[i], i = 1 .. nx
        stencil_row(in, k, j, nx, diag, c, [&](std::int64_t i, double au) { oc[i] = au; });
      });
}

void Multigrid::gather_residual(int l) {
  Level& L = lv_[l];
  const std::int64_t nx = L.n[0], ny = L.n[1], nz = L.n[2];
  const auto r = r_host_;
  Kokkos::deep_copy(r, L.r);
  std::size_t q = 0;
  for (std::int64_t k = 1; k <= nz; ++k)
    for (std::int64_t j = 1; j <= ny; ++j)
      for (std::int64_t i = 1; i <= nx; ++i) gather_send_[q++] = r(k, j, i);
  comm_.gatherv(gather_send_.data(), static_cast<int>(gather_send_.size()), gather_recv_.data(),
                gather_counts_.data(), gather_displs_.data(), aggregator);
  if (rank_ != aggregator) return;
  const auto full = r_full_host_;
  for (int p = 0; p < size_; ++p) {
    std::int64_t s[3], n[3];
    for (int d = 0; d < 3; ++d) {
      s[d] = bricks_.voxel_start(p, d) >> l;
      n[d] = bricks_.voxel_count(p, d) >> l;
    }
    const double* src = gather_recv_.data() + gather_displs_[p];
    for (std::int64_t k = 0; k < n[2]; ++k)
      for (std::int64_t j = 0; j < n[1]; ++j)
        for (std::int64_t i = 0; i < n[0]; ++i) full(s[2] + k + 1, s[1] + j + 1, s[0] + i + 1) = *src++;
  }
  Kokkos::deep_copy(L.r_full, full);
}

void Multigrid::scatter_correction(int l) {
  // The aggregator fills the ghosts of the whole level l + 1 (its box boundary) and packs
  // every rank's window, ghosts included; each rank unpacks its own.
  if (rank_ == aggregator) {
    const Level& C = lv_[l + 1];
    fill_ghosts(l + 1, C.u);
    Kokkos::deep_copy(coarse_host_, C.u);  // a no-op on a host backend
    const auto& full = coarse_host_;
    std::size_t q = 0;
    for (int p = 0; p < size_; ++p) {
      Index3 ws, wn;
      window_of(p, ws, wn);
      // Window cell (k, j, i), ghosts included, is global cell ws - 1 + (k, j, i): index
      // ws + (k, j, i) of the full grid with its ghost layer.
      for (std::int64_t k = 0; k < wn[2] + 2; ++k)
        for (std::int64_t j = 0; j < wn[1] + 2; ++j)
          for (std::int64_t i = 0; i < wn[0] + 2; ++i) scatter_send_[q++] = full(ws[2] + k, ws[1] + j, ws[0] + i);
    }
  }
  comm_.scatterv(scatter_send_.data(), scatter_counts_.data(), scatter_displs_.data(), scatter_recv_.data(),
                 static_cast<int>(scatter_recv_.size()), aggregator);
  const auto& w = window_host_;
  std::size_t q = 0;
  for (std::size_t k = 0; k < w.extent(0); ++k)
    for (std::size_t j = 0; j < w.extent(1); ++j)
      for (std::size_t i = 0; i < w.extent(2); ++i) w(k, j, i) = scatter_recv_[q++];
  Kokkos::deep_copy(window_, w);
}

void Multigrid::restrict_to(int l) {
  // The average of the 8 children (cell-centred full weighting). (The transpose of the
  // trilinear prolongation was tried: its V-cycle contracts about 0.22 against 0.15.)
  Level& C = lv_[l + 1];
  const Level& F = lv_[l];
  const bool from_full = C.gathered && !F.gathered;
  if (from_full) gather_residual(l);
  if (!holds(l + 1)) return;  // the gathered levels are the aggregator's
  const Grid src = from_full ? F.r_full : F.r, b = C.b;
  const std::int64_t fx = from_full ? 0 : F.s[0], fy = from_full ? 0 : F.s[1], fz = from_full ? 0 : F.s[2];
  const std::int64_t nx = C.n[0], ny = C.n[1], cx = C.s[0], cy = C.s[1], cz = C.s[2];
  for_rows(F,
      "cajal::field::mg::restrict", Rows(0, ny * C.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
        const std::int64_t K = row / ny + 1, J = row % ny + 1;
        const std::int64_t k = 2 * (cz + K - 1) - fz + 1, j = 2 * (cy + J - 1) - fy + 1;
        const std::int64_t i0 = 2 * cx - fx + 1;  // the fine x of coarse cell I is i0 + 2 (I - 1)
        const double *s00 = &src(k, j, i0), *s01 = &src(k, j + 1, i0), *s10 = &src(k + 1, j, i0),
                     *s11 = &src(k + 1, j + 1, i0);
        double* bc = &b(K, J, 1);
        for (std::int64_t I = 0; I < nx; ++I) {
          const std::int64_t i = 2 * I;
          bc[I] = 0.125 * (((s00[i] + s00[i + 1]) + (s01[i] + s01[i + 1])) +
                           ((s10[i] + s10[i + 1]) + (s11[i] + s11[i + 1])));
        }
      });
  Kokkos::deep_copy(C.u, 0.0);
}

void Multigrid::prolong_add(int l) {
  if (!holds(l)) return;
  Level& C = lv_[l + 1];
  const Level& F = lv_[l];
  // From the last distributed level, the coarse correction comes as this rank's window
  // (the same values, ghosts included, that the whole level holds there).
  const bool from_window = C.gathered && !F.gathered;
  if (from_window) scatter_correction(l);
  else fill_ghosts(l + 1, C.u);
  const Grid uc = from_window ? window_ : C.u, uf = F.u;
  const std::int64_t nx = F.n[0], ny = F.n[1], sx = F.s[0], sy = F.s[1], sz = F.s[2];
  const Index3& cs = from_window ? window_s_ : C.s;
  const std::int64_t cx = cs[0], cy = cs[1], cz = cs[2];
  for_rows(F,
      "cajal::field::mg::prolong", Rows(0, ny * F.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        const std::int64_t gz = sz + k - 1, gy = sy + j - 1;
        const std::int64_t K = (gz >> 1) - cz + 1, J = (gy >> 1) - cy + 1;
        const std::int64_t oz = (gz & 1) ? 1 : -1, oy = (gy & 1) ? 1 : -1;
        // Interpolate in z and y once per coarse cell of the row (into q), then in x per
        // fine cell: 3 + 7/2 operations per fine cell instead of 21.
        constexpr std::int64_t chunk = 512;
        double q[chunk / 2 + 3];
        for (std::int64_t lo = 1; lo <= nx; lo += chunk) {
          const std::int64_t hi = lo + chunk - 1 < nx ? lo + chunk - 1 : nx;
          const std::int64_t I0 = ((sx + lo - 1) >> 1) - cx;  // first coarse cell needed, minus 1 (local)
          const std::int64_t I1 = ((sx + hi - 1) >> 1) - cx + 2;
          for (std::int64_t I = I0; I <= I1; ++I)
            q[I - I0] = 0.75 * (0.75 * uc(K, J, I) + 0.25 * uc(K, J + oy, I)) +
                        0.25 * (0.75 * uc(K + oz, J, I) + 0.25 * uc(K + oz, J + oy, I));
          for (std::int64_t i = lo; i <= hi; ++i) {
            const std::int64_t gx = sx + i - 1;
            const std::int64_t I = (gx >> 1) - cx + 1 - I0, ox = (gx & 1) ? 1 : -1;
            uf(k, j, i) += 0.75 * q[I] + 0.25 * q[I + ox];
          }
        }
      });
}

double Multigrid::dot(const Level& L, Grid a, Grid b) const {
  // One sum in one fixed order, on one thread: a parallel_reduce would associate the sum
  // by the thread count, and the coarse CG's iterates (and its stopping) would follow. The
  // coarse grid is small; its bits are those of the Serial backend.
  const std::int64_t nx = L.n[0], ny = L.n[1], nz = L.n[2];
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, Grid::memory_space>::accessible) {
    return serial_dot(a, b, nx, ny, nz);
  } else {
    // A function, not a lambda captured by the kernel's lambda (nvcc restricts extended
    // lambdas inside extended lambdas).
    const Kokkos::View<double> out = dot_;
    Kokkos::parallel_for("cajal::field::mg::dot", Kokkos::RangePolicy<>(0, 1),
                         KOKKOS_LAMBDA(int) { out() = serial_dot(a, b, nx, ny, nz); });
    double v = 0;
    Kokkos::deep_copy(v, out);
    return v;
  }
}

void Multigrid::coarse_solve(int l) {
  // Conjugate gradients on the gathered coarsest grid, on the aggregator.
  if (!holds(l)) return;
  Level& L = lv_[l];
  const std::int64_t nx = L.n[0], ny = L.n[1];
  const double c = L.c, diag = L.a0 + 6 * c;
  const Grid u = L.u, r = L.r, p = L.p, q = L.q;
  Kokkos::deep_copy(u, 0.0);
  Kokkos::deep_copy(r, L.b);
  Kokkos::deep_copy(p, L.b);
  const double bb = dot(L, L.b, L.b);
  if (!(bb > 0)) return;
  double rr = bb;
  for (int it = 0; it < opt_.coarse_max_it && rr > opt_.coarse_rtol * opt_.coarse_rtol * bb; ++it) {
    fill_ghosts(l, p);
    for_rows(L,
        "cajal::field::mg::coarse_apply", Rows(0, ny * L.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
          const std::int64_t k = row / ny + 1, j = row % ny + 1;
          double* qc = &q(k, j, 0);
          stencil_row(p, k, j, nx, diag, c, [&](std::int64_t i, double au) { qc[i] = au; });
        });
    const double pq = dot(L, p, q);
    if (!(pq > 0)) break;
    const double alpha = rr / pq;
    for_rows(L,
        "cajal::field::mg::coarse_update", Rows(0, ny * L.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
          const std::int64_t k = row / ny + 1, j = row % ny + 1;
          for (std::int64_t i = 1; i <= nx; ++i) {
            u(k, j, i) += alpha * p(k, j, i);
            r(k, j, i) -= alpha * q(k, j, i);
          }
        });
    const double rr_new = dot(L, r, r);
    const double beta = rr_new / rr;
    rr = rr_new;
    for_rows(L,
        "cajal::field::mg::coarse_direction", Rows(0, ny * L.n[2]), KOKKOS_LAMBDA(std::int64_t row) {
          const std::int64_t k = row / ny + 1, j = row % ny + 1;
          for (std::int64_t i = 1; i <= nx; ++i) p(k, j, i) = r(k, j, i) + beta * p(k, j, i);
        });
  }
}

void Multigrid::cycle(int l) {
  const int L = levels();
  if (L == 1) {  // a grid that cannot be coarsened: smoothing alone
    smooth(0, opt_.pre + opt_.post, false);
    return;
  }
  if (!holds(l)) return;  // the gathered levels are the aggregator's
  if (l == L - 1) {
    coarse_solve(l);
    return;
  }
  smooth(l, opt_.pre, false);
  residual(l);
  restrict_to(l);
  // V-cycle: one visit to the coarser level; W-cycle: two (a cycle improves the coarse
  // approximation in place, so the second one goes on from the first).
  for (int g = 0; g < (l + 2 < L ? opt_.gamma : 1); ++g) cycle(l + 1);
  prolong_add(l);
  smooth(l, opt_.post, true);
}

void Multigrid::fmg(double start) {
  // Full multigrid for the correction to the constant `start`: its residual (in which the
  // bath terms of Dirichlet faces cancel when `start` is the bath) restricted to every
  // level, the coarsest solved, then on each finer level the trilinear interpolation of
  // the coarser correction as the start of one V-cycle; level 0 ends with one V-cycle on
  // start + the interpolated correction. About one V-cycle's work to the discretisation error.
  const int L = levels();
  Kokkos::deep_copy(lv_[0].u, start);
  if (L == 1) {
    vcycle();
    return;
  }
  residual(0);
  restrict_to(0);
  for (int l = 1; l + 1 < L && holds(l); ++l) {
    Kokkos::deep_copy(lv_[l].r, lv_[l].b);
    restrict_to(l);
  }
  coarse_solve(L - 1);
  for (int l = L - 2; l >= 1; --l) {
    if (!holds(l)) continue;  // the aggregator's
    Kokkos::deep_copy(lv_[l].u, 0.0);
    prolong_add(l);
    cycle(l);
  }
  Kokkos::deep_copy(lv_[0].u, start);
  prolong_add(0);
  cycle(0);
}

double Multigrid::norm(Grid v) const {
  const Level& L = lv_[0];
  const std::int64_t nx = L.n[0], ny = L.n[1];
  double mx = 0;
  Kokkos::parallel_reduce(
      "cajal::field::mg::norm_max", Rows(0, ny * L.n[2]),
      KOKKOS_LAMBDA(std::int64_t row, double& m) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        for (std::int64_t i = 1; i <= nx; ++i) keep_max_abs(m, v(k, j, i));
      },
      Kokkos::Max<double>(mx));
  return exact_norm(v, mx);
}

double Multigrid::exact_norm(Grid v, double local_max) const {
  const Level& L = lv_[0];
  const std::int64_t nx = L.n[0], ny = L.n[1];
  double mx = std::isfinite(local_max) ? local_max : HUGE_VAL;  // MPI_MAX may drop a NaN; infinity it keeps
  mx = comm_.max(mx);
  if (!(mx > 0) || !std::isfinite(mx)) return mx;
  const int e = std::ilogb(mx);
  const double scale = std::ldexp(1.0, -e);  // |v| * scale < 2
  const double unit = std::ldexp(1.0, 36);
  // x^2 unit < 2^38: adding 2^52 leaves round(x^2 unit) in the low mantissa bits, read as
  // an integer (a conversion that vectorises, unlike a cast to int64).
  const double magic = std::ldexp(1.0, 52);
  std::int64_t magic_bits;
  std::memcpy(&magic_bits, &magic, 8);
  std::int64_t sum = 0;
  Kokkos::parallel_reduce(
      "cajal::field::mg::norm_sum", Rows(0, ny * L.n[2]),
      KOKKOS_LAMBDA(std::int64_t row, std::int64_t& acc) {
        const std::int64_t k = row / ny + 1, j = row % ny + 1;
        for (std::int64_t i = 1; i <= nx; ++i) {
          const double x = v(k, j, i) * scale;
          const double t = x * x * unit + magic;
          std::int64_t bits;
          std::memcpy(&bits, &t, 8);
          acc += bits - magic_bits;
        }
      },
      sum);
  // The exact sum over ranks, whatever their number: each rank's sum (>= 0, < 2^63) as
  // 32-bit halves, each summed in a 64-bit integer (no overflow below 2^31 ranks): one
  // fixed-size Allreduce, integer, hence the same in any order.
  std::int64_t halves[2] = {sum >> 32, sum & 0xffffffff};
  comm_.sum_each(halves, 2);
  const __int128 total = (static_cast<__int128>(halves[0]) << 32) + halves[1];
  return std::ldexp(std::sqrt(static_cast<double>(total) / unit), e);
}

double Multigrid::level_bytes(int l) const {
  // Per level of n cells: a red-black sweep reads u and b and writes u once when both
  // colours go in one pass (24 n: a level with no neighbour), twice otherwise (48 n); the
  // residual reads u and b and writes r (24 n), restriction reads r (8 n), prolongation
  // reads and writes u (16 n). The coarse CG is not counted.
  if (l + 1 >= levels()) return 0.0;
  const double n = static_cast<double>(lv_[l].N[0] * lv_[l].N[1] * lv_[l].N[2]);
  const double sweep = (lv_[l].gathered || size_ == 1) ? 24.0 : 48.0;
  return n * (sweep * (opt_.pre + opt_.post) + 24 + 8 + 16);
}

double Multigrid::bytes_per_cycle() const {
  double total = 0;
  for (int l = 0; l < levels(); ++l) total += level_bytes(l);
  return total;
}

double Multigrid::bytes_per_fmg() const {
  // A V-cycle from every level, plus the restriction of the right-hand side down.
  double total = 0;
  for (int l = 0; l < levels(); ++l)
    for (int m = l; m < levels(); ++m) total += level_bytes(m);
  return total + bytes_per_cycle() / 8.0;
}

}  // namespace cajal::field
