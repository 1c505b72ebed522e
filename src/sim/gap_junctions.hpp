#pragma once
/// Stage "couple" (gap junctions): astrocytes coupled by IP3 gap junctions exchange their
/// IP3 once per astrocyte step, at the step's first interval edge (two-word records, gid
/// and the value's bits, to the ranks of their neighbours); the flux into every coupled
/// cell is summed in fixed point (exact, order-free) and held for the coming step.
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
  GapJunctions(const Communicator& comm, LocalNetwork& net, const Schedule& schedule);

  bool active() const { return exchange_ != nullptr; }
  /// Due at the first interval of each astrocyte step (after a restart inside one, the
  /// checkpoint's fluxes hold).
  bool due(std::int64_t t0) const { return active() && t0 % every_ == 0; }
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
