#pragma once
/// Stage "couple" (gap junctions): astrocytes coupled by IP3 gap junctions exchange their
/// IP3 at the start of every astrocyte step (two-word records, gid and the value's bits, to
/// the ranks of their neighbours); the flux into every coupled cell is summed in fixed
/// point (exact, order-free) and held for the coming step. The coupling step is the
/// astrocytes' own, never the communication interval: update splits the interval there.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "exchange/spike_exchange.hpp"
#include "sim/local_network.hpp"

namespace cajal {

class GapJunctions {
public:
  /// Collective: builds the exchange over the gap_junction projections (none: inactive).
  GapJunctions(const Communicator& comm, LocalNetwork& net);

  bool active() const { return exchange_ != nullptr; }
  /// Time steps per coupling step: the greatest common divisor of the coupled populations'
  /// own steps (1 for astrocyte_lr_1994, dt_astro / dt for astrocyte_gchi), so that every
  /// astrocyte step starts at one. Since junctions join cells of one population, a
  /// population coupled again inside its own step gets the same fluxes, bit for bit.
  std::int64_t every() const { return every_; }
  /// Due at the start of each coupling step (after a restart inside one, the checkpoint's
  /// fluxes hold).
  bool due(std::int64_t step) const { return active() && step % every_ == 0; }
  /// Collective: the gap-junction flux into every coupled astrocyte for the coming
  /// astrocyte step, from the IP3 of both ends now.
  void couple();

private:
  LocalNetwork& net_;
  std::unique_ptr<SpikeExchange> exchange_;
  std::vector<int> pops_;  ///< coupled populations
  std::vector<Kokkos::View<std::uint64_t*>::HostMirror> gids_;
  std::vector<Kokkos::View<double*>::HostMirror> ip3_;  // host copies, made once
  std::map<int, Kokkos::View<std::int64_t*>> fixed_;   // flux sums by population
  std::vector<std::uint64_t> local_;
  Kokkos::View<std::uint64_t*> incoming_;
  Kokkos::View<std::uint64_t*>::HostMirror incoming_host_;
  std::int64_t every_ = 1;
};

}  // namespace cajal
