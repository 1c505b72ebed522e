#pragma once
/// Spike counts per population: the run's totals (summary.json, checkpoint counters) and
/// the counts per communication interval, for the branching factor.
#include <cstdint>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

class SpikeCounts {
public:
  explicit SpikeCounts(std::size_t populations) : local_(populations, 0) {}

  /// Counts an interval's local spikes (packed, see pack_spike).
  void add(const Partition& part, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n);
  /// This rank's spikes per population in this run segment.
  const std::vector<std::uint64_t>& local() const { return local_; }
  /// Collective: the spikes per population of the whole run, `before` (a restored run's
  /// counts, or empty) included.
  std::vector<std::uint64_t> total(const Communicator& comm, const std::vector<std::uint64_t>& before) const;
  /// Collective: per population, the branching factor (Haldeman & Beggs 2005) over this
  /// segment's intervals and over their last quarter.
  std::vector<std::pair<double, double>> branching(const Communicator& comm) const;

private:
  std::vector<std::uint64_t> local_;
  // Spikes per population and interval (local; summed over ranks at the end).
  std::vector<std::uint32_t> per_interval_;
};

}  // namespace cajal
