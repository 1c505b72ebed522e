// mg_dry_run: the field's multigrid as rank r of a P-rank job holds and runs it, in one
// process (a DryRunCommunicator, counted): memory of its levels and buffers, and the
// messages and bytes one V-cycle moves, halos and coarse-level gather/scatter apart. The
// figures are the real rank's (tests/unit/test_mg_agglomerate.cpp checks them against MPI
// runs on 1-4 ranks). For the cluster-scale benchmark (issue 17): a 1024^3 field on 4096
// ranks, the aggregator (rank 0, the heaviest) and any other rank.
//
//   mg_dry_run NX NY NZ P [RANK]     (RANK: default 0, the aggregator)
//
// Also printed, computed from the level sizes: what the coarse levels cost before they were
// agglomerated, when every rank allgathered the last distributed level's residual at each
// visit and held and smoothed every gathered level itself.
#include <Kokkos_Core.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cajal/network/partition.hpp"
#include "field/multigrid.hpp"
#include "parallel/counting_communicator.hpp"
#include "util/system.hpp"

namespace {

double cells_with_ghosts(const cajal::field::Index3& n) {
  return static_cast<double>(n[0] + 2) * static_cast<double>(n[1] + 2) * static_cast<double>(n[2] + 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || argc > 6) {
    std::fprintf(stderr, "usage: mg_dry_run NX NY NZ P [RANK]\n");
    return 2;
  }
  const cajal::field::Index3 N{std::atoll(argv[1]), std::atoll(argv[2]), std::atoll(argv[3])};
  const int P = std::atoi(argv[4]), rank = argc > 5 ? std::atoi(argv[5]) : 0;
  if (N[0] < 1 || N[1] < 1 || N[2] < 1 || P < 1 || rank < 0 || rank >= P) {
    std::fprintf(stderr, "mg_dry_run: need N >= 1, P >= 1, 0 <= RANK < P\n");
    return 2;
  }
  Kokkos::ScopeGuard kokkos(argc, argv);
  {
    const cajal::DryRunCommunicator dry(rank, P);
    const cajal::CountingCommunicator comm(dry);
    const cajal::Bricks bricks = cajal::field_bricks(N, 1.0, P);
    // potassium_column's faces: no flux on x and y, the bath (Dirichlet) below and above.
    const std::array<bool, 6> dirichlet{false, false, false, false, true, true};
    const double before_build = static_cast<double>(cajal::current_rss_bytes());
    cajal::field::Multigrid mg(comm, N, bricks, rank, dirichlet, 0.05, 1.0, cajal::field::Multigrid::Options{});
    const double held = static_cast<double>(cajal::current_rss_bytes()) - before_build;
    comm.reset();
    mg.vcycle();

    const int fg = mg.first_gathered(), L = mg.levels();
    const auto& own = mg.level(0).n;
    std::printf("mg_dry_run: field %lldx%lldx%lld on %d ranks (bricks %dx%dx%d), rank %d%s\n", (long long)N[0],
                (long long)N[1], (long long)N[2], P, bricks.dims[0], bricks.dims[1], bricks.dims[2], rank,
                rank == cajal::field::Multigrid::aggregator ? " (the aggregator)" : "");
    std::printf("  brick %lldx%lldx%lld cells; %d levels, levels 0-%d distributed, %d-%d gathered\n", (long long)own[0],
                (long long)own[1], (long long)own[2], L, fg - 1, fg, L - 1);
    std::printf("  memory of the multigrid on this rank (measured, resident): %.3f MiB\n", held / (1 << 20));
    std::printf("  per V-cycle                       sent          received\n");
    std::printf("    messages                  %12lld  %12lld\n", (long long)comm.messages_sent,
                (long long)comm.messages_received);
    std::printf("    halo bytes                %12lld  %12lld\n", (long long)(8 * comm.halo_sent),
                (long long)(8 * comm.halo_recv));
    std::printf("    coarse gather/scatter B   %12lld  %12lld\n", (long long)(8 * comm.coll_sent),
                (long long)(8 * comm.coll_recv));
    if (fg < L) {
      // Before agglomeration (computed): every rank received the whole level fg - 1 but its
      // own part at each visit (allgatherv), and held that whole level and u, b, r of every
      // gathered level (p, q too on the coarsest), as the aggregator holds them now.
      const auto& last = mg.level(fg - 1);
      const double whole = static_cast<double>(last.N[0] * last.N[1] * last.N[2]);
      const double mine = static_cast<double>(last.n[0] * last.n[1] * last.n[2]);
      double gathered = cells_with_ghosts(last.N);
      for (int l = fg; l < L; ++l) gathered += (l == L - 1 ? 5 : 3) * cells_with_ghosts(mg.level(l).N);
      std::printf("  before agglomeration (computed): every rank received %.0f B per V-cycle by allgather and "
                  "held %.3f MiB of gathered levels\n",
                  8 * (whole - mine), 8 * gathered / (1 << 20));
    }
  }
  return 0;
}
