#pragma once
/// Spike counts per population: the run's totals (summary.json, checkpoint counters) and
/// the branching factor over the communication intervals.
#include <cstdint>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

class SpikeCounts {
public:
  /// Intervals the counts of which are summed over ranks in one reduction: memory and
  /// message size stay fixed however long the run.
  static constexpr std::size_t block_intervals = 256;

  /// `intervals`: how many intervals this run segment has (Schedule::epochs_from), which
  /// fixes where its last quarter starts.
  SpikeCounts(const Communicator& comm, std::size_t populations, std::int64_t intervals);

  /// Collective (every block_intervals calls): counts an interval's local spikes (packed,
  /// see pack_spike).
  void add(const Partition& part, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n);
  /// This rank's spikes per population in this run segment.
  const std::vector<std::uint64_t>& local() const { return local_; }
  /// Collective: the spikes per population of the whole run, `before` (a restored run's
  /// counts, or empty) included.
  std::vector<std::uint64_t> total(const Communicator& comm, const std::vector<std::uint64_t>& before) const;
  /// Collective: per population, the branching factor (Haldeman & Beggs 2005) over this
  /// segment's intervals and over their last quarter. Meaningful at the segment's end only
  /// (a run stopped early has a shorter last quarter than the one accumulated).
  std::vector<std::pair<double, double>> branching();

private:
  /// Sums the block's counts over ranks and folds them, interval by interval, into the
  /// running sums of the branching factor.
  void fold_block();

  /// Running mean of n_{t+1} / n_t over the intervals t with n_t > 0, the ratios added in
  /// the order of t (the same bits as summing them all at the end).
  struct Sigma {
    double sum = 0;
    std::uint64_t n = 0;
    double mean() const { return n ? sum / static_cast<double>(n) : 0.0; }
  };

  const Communicator& comm_;
  std::vector<std::uint64_t> local_;
  std::int64_t quarter_from_ = 0;  // first interval t of the last quarter's ratios
  std::int64_t folded_ = 0;        // intervals folded so far
  // Spikes per population and interval of the current block (local until folded).
  std::vector<std::uint64_t> block_;
  std::size_t in_block_ = 0;
  std::vector<std::uint64_t> previous_;  // global counts of the last folded interval
  std::vector<Sigma> all_, quarter_;
};

}  // namespace cajal
