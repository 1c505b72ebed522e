#pragma once
/// Stage "couple" (gliotransmitter sharing): the Gamma_S of every astrocyte_gchi cell that
/// modulates synapses (tripartite_synapse, astrocyte-gated STDP) reaches the ranks holding
/// those synapses once per astrocyte step, as a snapshot taken at the step's first interval
/// edge (two-word records through a SpikeExchange of its own).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "exchange/spike_exchange.hpp"
#include "sim/local_network.hpp"

namespace cajal {

class Gliotransmission {
public:
  /// Collective. Remaps the third-party indices of the modulated synapses (astrocyte ids)
  /// to rows of this rank's table of the astrocytes it needs.
  Gliotransmission(const Communicator& comm, LocalNetwork& net, const Schedule& schedule);

  bool active() const { return !tables_.empty(); }
  /// Sharing is due at the first interval of each astrocyte step, and at the start of a
  /// run (after a restart inside an astrocyte step, the checkpoint's snapshots are shared again).
  bool due(std::int64_t t0, std::int64_t start) const { return active() && (t0 % every_ == 0 || t0 == start); }
  /// Collective: shares the snapshots; takes new ones first when `t0` starts an astrocyte step.
  void share(std::int64_t t0);

  /// The Gamma_S table of astrocyte population `pop` (empty when none modulates synapses).
  Kokkos::View<const double*> values_of(int pop) const;

private:
  // One per astrocyte_gchi population that modulates synapses: the sorted ids of the
  // astrocytes this rank needs (every local one too), their Gamma_S snapshots, and the
  // exchange, built from a projection whose sources are those ids.
  struct Table {
    int pop = -1;
    std::vector<std::uint64_t> ids;
    Kokkos::View<double*> values;
    Kokkos::View<double*>::HostMirror values_host, snapshot_host;
    Projection link;
    std::unique_ptr<SpikeExchange> exchange;
    std::vector<std::uint64_t> records;
  };
  LocalNetwork& net_;
  std::vector<Table> tables_;
  std::int64_t every_ = 1;  ///< steps per astrocyte step, in whole intervals
};

}  // namespace cajal
