#pragma once
/// The extracellular field ([field]) coupled to the cells: neurons of `release_from`
/// release K+ into their voxel when they spike, astrocytes of `uptake_by` take it up, and
/// the leak reversal of `feedback_to` cells follows the Nernst shift of their voxel.
///
/// The field is solved at every multiple of `every()` steps, inside the update stage: every
/// population advances to the field step, the spikes released so far are counted into their
/// voxels, the field solves, the leak shifts follow, then the populations go on.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cajal/field/field.hpp"
#include "sim/local_network.hpp"

namespace cajal {

class FieldCoupling {
public:
  /// Collective: the field on the ranks' bricks and the voxel of every involved local cell.
  FieldCoupling(const Communicator& comm, LocalNetwork& net);

  Field& field() { return *field_; }
  const Field& field() const { return *field_; }
  /// Steps per field step.
  std::int64_t every() const { return every_; }

  /// A new interval: its spikes are counted from the buffer's start.
  void begin_interval() { scanned_ = 0; }
  /// Counts the spikes appended to the buffer since the last call into their voxels.
  void count_spikes(const SpikeBuffer& buffer, const Kokkos::View<std::uint64_t*>::HostMirror& buffer_host);
  /// Collective: the field step ending at `step`, then the leak shifts and `after_step`.
  void solve(std::int64_t step);
  /// Called after each field step (snapshots); set by the recorders.
  std::function<void(std::int64_t)> after_step;
  /// Seconds spent in field steps on this rank.
  double seconds() const { return seconds_; }

  /// Bytes the field's part of a checkpoint takes, about (three doubles per voxel).
  std::uint64_t checkpoint_bytes() const;
  /// Collective: the field's part of a checkpoint.
  void save(CheckpointFile& f) const;
  void load(CheckpointFile& f);

private:
  void refresh_leak_shifts();

  LocalNetwork& net_;
  std::unique_ptr<Field> field_;
  std::int64_t every_ = 0;
  std::vector<std::vector<std::int64_t>> voxel_of_;                 // [pop][local cell]: local voxel, or empty
  std::vector<Kokkos::View<double*>::HostMirror> leak_shift_host_;  // [pop], made once
  std::vector<char> releases_, feeds_back_;                         // [pop]
  int scanned_ = 0;                                                 // spikes of the buffer already counted
  double seconds_ = 0;
};

}  // namespace cajal
