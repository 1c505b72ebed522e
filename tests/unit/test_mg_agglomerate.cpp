// The multigrid's coarse levels agglomerated onto one rank (field/multigrid.hpp): on any
// number of ranks, a V-cycle and a full-multigrid cycle give the bits of one rank on every
// cell, and per V-cycle a rank other than the aggregator receives, besides its halos, only
// the window of the coarse correction its brick reads (its cells and one ghost layer),
// never a whole gathered level; it allocates no gathered level. Run by ctest on 1 to 4
// ranks (tests/mg_agglomerate.cmake); the reference is the same multigrid on one rank
// (the serial communicator, one brick, every level but the coarse ones inside it).
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "field/multigrid.hpp"
#include "parallel/counting_communicator.hpp"

namespace {

using cajal::CountingCommunicator;
using cajal::field::Grid;
using cajal::field::Index3;
using cajal::field::Multigrid;

/// A rough right-hand side, a function of the global cell alone.
double rhs(std::int64_t gx, std::int64_t gy, std::int64_t gz) {
  return std::sin(double(gx * 7 + gy * 3 + gz)) + 0.01 * double(gz);
}

void set_rhs(Multigrid& mg) {
  const auto& L = mg.level(0);
  auto h = Kokkos::create_mirror_view(L.b);
  for (std::int64_t k = 1; k <= L.n[2]; ++k)
    for (std::int64_t j = 1; j <= L.n[1]; ++j)
      for (std::int64_t i = 1; i <= L.n[0]; ++i) h(k, j, i) = rhs(L.s[0] + i - 1, L.s[1] + j - 1, L.s[2] + k - 1);
  Kokkos::deep_copy(L.b, h);
  Kokkos::deep_copy(L.u, 0.0);
}

/// Cells of this rank's u (level 0) whose bits differ from the one-rank `ref`'s there.
std::int64_t differing(const Multigrid& mg, const Multigrid& ref) {
  const auto& L = mg.level(0);
  auto u = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), L.u);
  auto r = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ref.level(0).u);
  std::int64_t bad = 0;
  for (std::int64_t k = 1; k <= L.n[2]; ++k)
    for (std::int64_t j = 1; j <= L.n[1]; ++j)
      for (std::int64_t i = 1; i <= L.n[0]; ++i)
        if (std::memcmp(&u(k, j, i), &r(L.s[2] + k, L.s[1] + j, L.s[0] + i), sizeof(double)) != 0) ++bad;
  return bad;
}

void run_case(const Index3& N, const std::array<bool, 6>& dirichlet, const Multigrid::Options& opt) {
  cajal::MpiCommunicator mpi(MPI_COMM_WORLD);
  const CountingCommunicator comm(mpi);
  const int P = comm.size(), rank = comm.rank();
  const cajal::SerialCommunicator serial;
  const double a0 = 0.05, c0 = 1.0;
  Multigrid mg(comm, N, cajal::field_bricks(N, 1.0, P), rank, dirichlet, a0, c0, opt);
  Multigrid ref(serial, N, cajal::field_bricks(N, 1.0, 1), 0, dirichlet, a0, c0, opt);
  const int fg = mg.first_gathered();
  ASSERT_LT(fg, mg.levels()) << "the case should have gathered levels";

  // One V-cycle from zero, counted; then a second one on from it; then a full-multigrid cycle.
  set_rhs(mg);
  set_rhs(ref);
  comm.reset();
  mg.vcycle();
  ref.vcycle();
  const std::int64_t recv = comm.coll_recv, sent = comm.coll_sent, hrecv = comm.halo_recv, hsent = comm.halo_sent;
  const std::int64_t msent = comm.messages_sent, mrecv = comm.messages_received;
  EXPECT_EQ(differing(mg, ref), 0) << "V-cycle on rank " << rank << " of " << P;
  mg.vcycle();
  ref.vcycle();
  EXPECT_EQ(differing(mg, ref), 0) << "second V-cycle on rank " << rank << " of " << P;
  mg.fmg(0.0);
  ref.fmg(0.0);
  EXPECT_EQ(differing(mg, ref), 0) << "full-multigrid cycle on rank " << rank << " of " << P;

  // What a V-cycle moved: no allgather; a rank other than the aggregator receives its
  // window alone, and sends its residual of the last distributed level alone.
  const auto& last = mg.level(fg - 1);
  const std::int64_t own = last.n[0] * last.n[1] * last.n[2];
  const std::int64_t whole = last.N[0] * last.N[1] * last.N[2];
  const auto& first = mg.level(fg);
  const std::int64_t coarse = first.N[0] * first.N[1] * first.N[2];
  // Level fg - 1 is visited gamma^(fg - 1) times per cycle (each level above the coarsest
  // two visits the next gamma times), each visit one gather and one scatter.
  std::int64_t visits = 1;
  for (int l = 0; l + 1 < fg; ++l) visits *= opt.gamma;
  EXPECT_EQ(comm.allgathers, 0);
  if (rank == Multigrid::aggregator) {
    EXPECT_EQ(recv, visits * (whole + mg.window_cells()));
  } else {
    EXPECT_EQ(recv, visits * mg.window_cells());
    EXPECT_EQ(sent, visits * own);
    // The allgather this replaces gave every rank the whole level fg - 1 per visit.
    EXPECT_LT(recv / visits, whole) << "a rank other than the aggregator received a whole level";
    for (int l = fg; l < mg.levels(); ++l) EXPECT_EQ(mg.level(l).u.span() + mg.level(l).b.span(), 0u) << l;
  }
  // The dry run's figures (tests/tools/mg_dry_run.cpp): this rank's multigrid built on a
  // DryRunCommunicator moves per V-cycle what the real rank moved, double for double.
  const cajal::DryRunCommunicator dry(rank, P);
  const CountingCommunicator dry_count(dry);
  Multigrid stand_in(dry_count, N, cajal::field_bricks(N, 1.0, P), rank, dirichlet, a0, c0, opt);
  set_rhs(stand_in);
  dry_count.reset();
  stand_in.vcycle();
  EXPECT_EQ(dry_count.coll_recv, recv);
  EXPECT_EQ(dry_count.coll_sent, sent);
  EXPECT_EQ(dry_count.halo_recv, hrecv);
  EXPECT_EQ(dry_count.halo_sent, hsent);
  EXPECT_EQ(dry_count.messages_sent, msent);
  EXPECT_EQ(dry_count.messages_received, mrecv);

  std::printf("mg_agglomerate: %d ranks, grid %lldx%lldx%lld, first gathered level %d (%lld cells), rank %d: "
              "per cycle %lld B received and %lld B sent by gather/scatter, %lld B / %lld B by halos\n",
              P, (long long)N[0], (long long)N[1], (long long)N[2], fg, (long long)coarse, rank,
              (long long)(8 * recv), (long long)(8 * sent), (long long)(8 * hrecv), (long long)(8 * hsent));
}

}  // namespace

// Mixed faces (Dirichlet on x and the top, no flux elsewhere), a cube.
TEST(MgAgglomerate, CyclesGiveTheBitsOfOneRank) {
  run_case({32, 32, 32}, {true, true, false, false, false, true}, Multigrid::Options{});
}

// A box of unequal sides, all faces Dirichlet, W-cycles.
TEST(MgAgglomerate, WCyclesOnABoxGiveTheBitsOfOneRank) {
  Multigrid::Options opt;
  opt.gamma = 2;
  run_case({48, 32, 16}, {true, true, true, true, true, true}, opt);
}

// The two collectives the agglomeration adds: rank r sends r + 1 values to the last rank
// (the root here, not 0), which gets them in rank order and sends each rank back its own
// values doubled; the other ranks' recv, counts and displs are never read.
TEST(MgAgglomerate, GathervAndScattervRoundTrip) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const int P = comm.size(), r = comm.rank(), root = P - 1;
  std::vector<double> mine(r + 1);
  for (int i = 0; i <= r; ++i) mine[i] = 100.0 * r + i;
  std::vector<int> counts, displs;
  std::vector<double> all;
  if (r == root) {
    for (int q = 0; q < P; ++q) {
      displs.push_back(static_cast<int>(all.size()));
      counts.push_back(q + 1);
      all.resize(all.size() + q + 1, -1.0);
    }
  }
  comm.gatherv(mine.data(), r + 1, all.data(), counts.data(), displs.data(), root);
  if (r == root)
    for (int q = 0; q < P; ++q)
      for (int i = 0; i <= q; ++i) EXPECT_EQ(all[displs[q] + i], 100.0 * q + i) << q << " " << i;
  for (double& v : all) v *= 2;
  std::vector<double> back(r + 1, -1.0);
  comm.scatterv(all.data(), counts.data(), displs.data(), back.data(), r + 1, root);
  for (int i = 0; i <= r; ++i) EXPECT_EQ(back[i], 2 * (100.0 * r + i)) << i;
}
