// Time of one rank's Partition for a large random population (issue 17, "cluster scale"):
//   partition_bench N P [rank]
// builds the partition of rank `rank` (default 0) of P for one population of N cells
// placed at random in a 1000 µm cube, and prints the time, the local cells, and the mean
// time of owner() over 10^6 ids; then, for comparison on the same machine at the same
// moment, the time of the scan the partition made before issue 17 (one Philox draw and
// one rank_of per cell of the population). Not a test: a measurement tool.
#include <Kokkos_Core.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "random/philox.hpp"

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: partition_bench N P [rank]\n");
    return 2;
  }
  const std::string n = argv[1];
  const int P = std::atoi(argv[2]), rank = argc > 3 ? std::atoi(argv[3]) : 0;
  const cajal::Deck deck = cajal::Deck::parse(
      "[simulation]\nt_stop = 1.0\nseed = 1\n[[population]]\nname = \"a\"\nmodel = \"iaf_psc_delta\"\nn = " + n + "\n",
      "bench.toml");
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const cajal::Partition part(deck, P, rank);
  const double build = std::chrono::duration<double>(clock::now() - t0).count();
  const std::uint64_t N = part.size(0), calls = 1000000;
  std::uint64_t sum = 0;
  const auto t1 = clock::now();
  for (std::uint64_t i = 0; i < calls; ++i) sum += static_cast<std::uint64_t>(part.owner(0, (i * 2654435761u) % N));
  const double owner = std::chrono::duration<double>(clock::now() - t1).count() / calls;
  std::printf("N %s P %d rank %d: partition %.3f s, local %zu cells, owner() %.1f ns (checksum %llu)\n", n.c_str(), P,
              rank, build, part.local(0).size(), owner * 1e9, static_cast<unsigned long long>(sum));
  // The scan before issue 17: every cell's position from (seed, gid), its brick, kept if ours.
  const auto t2 = clock::now();
  std::uint64_t kept = 0;
  const auto& box = deck.simulation.box;
  for (std::uint64_t id = 0; id < N; ++id) {
    const cajal::rng::Block b = cajal::rng::draw(cajal::rng::Key(deck.simulation.seed, cajal::rng::purpose::placement), id, 0);
    cajal::Point x{};
    for (int d = 0; d < 3; ++d) x[d] = box[d] * cajal::rng::u01_32(b.w[d]);
    if (part.bricks().rank_of(x) == rank) ++kept;
  }
  const double scan = std::chrono::duration<double>(clock::now() - t2).count();
  std::printf("the scan before issue 17: %.3f s, %llu local cells\n", scan, static_cast<unsigned long long>(kept));
  return 0;
}
