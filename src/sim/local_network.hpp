#pragma once
/// The part of the network one rank holds: its share of every population (the cells whose
/// positions lie in its brick) and the incoming synapses of those cells (target-side CSR,
/// one Projection per deck projection). Built collectively from the deck.
///
/// Its state (cell state, ring buffers of pending input, plastic synapse state) saves
/// itself into a checkpoint by global id and loads back on any number of ranks
/// (local_network_state.cpp).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"
#include "model/population.hpp"
#include "network/connectivity.hpp"
#include "sim/delivery_kernels.hpp"
#include "sim/presynaptic_state.hpp"
#include "sim/schedule.hpp"

namespace cajal {

class CheckpointFile;

struct LocalNetwork {
  /// `poll`: called between the rounds of each projection's build (network/connectivity.hpp).
  LocalNetwork(const Communicator& comm, const Deck& deck, const Schedule& schedule, const BuildPoll& poll = {});

  const Communicator& comm;
  const Deck& deck;
  Partition part;
  int ring_size = 1;
  std::vector<std::unique_ptr<Population>> pops;
  std::vector<Projection> projections;
  /// Per projection: how delivery cuts its targets among threads (delivery_kernels.hpp).
  std::vector<TargetSlices> slices;
  /// Plastic or short-term synapses (stateful), STDP among them (plastic).
  bool any_plastic = false, any_stateful = false;
  /// The rows of stateful projections, readable on the host (to group spikes by row; the
  /// rows themselves on host backends, a copy on a device).
  std::vector<HostSourceRows> host_rows;
  /// The presynaptic state of this rank's cells for the stateful projections they feed,
  /// sent with their spikes.
  std::unique_ptr<PresynapticState> presynaptic;
  /// Facilitations or depressions that needed a postsynaptic spike older than the kept history.
  Kokkos::View<std::int64_t> stdp_lost;

  /// Synapses whose target lives on this rank.
  std::uint64_t local_synapses() const;
  /// Bytes of this rank's synapse storage (with the presynaptic state of its cells).
  std::uint64_t synapse_storage_bytes() const;

  /// Collective: bytes the network's part of a checkpoint takes, about.
  std::uint64_t checkpoint_bytes() const;
  /// Collective: every population's state and ring buffer, and the stateful synapses.
  void save(CheckpointFile& f) const;
  void load(CheckpointFile& f);

private:
  void save_synapses(CheckpointFile& f, std::size_t i) const;
  void load_synapses(CheckpointFile& f, std::size_t i);
  void by_target(std::size_t i, std::vector<std::uint64_t>& off, std::vector<std::uint64_t>& perm) const;
  int widest_row(const std::vector<std::uint64_t>& off) const;
};

}  // namespace cajal
