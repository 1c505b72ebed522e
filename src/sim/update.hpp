#pragma once
/// Stage "update": every population advances all its local cells through the epoch (one
/// kernel per population and piece), reading and clearing their ring-buffer slots and
/// appending their spikes to the spike buffer. A population with state reports advances in
/// pieces that end at its sampling steps and is sampled there; with a field, every piece
/// also ends at field steps, where the field solves (FieldCoupling); with gap junctions,
/// every piece ends at coupling steps, where the junctions couple (GapJunctions).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "io/state_report.hpp"
#include "sim/field_coupling.hpp"
#include "sim/gap_junctions.hpp"
#include "sim/local_network.hpp"
#include "sim/schedule.hpp"
#include "sim/sic_coupling.hpp"

namespace cajal {

/// The state reports and, for each population, the reports that sample it (filled by the
/// recorders, sampled inside update).
struct StateSampling {
  std::vector<StateReport> reports;
  std::vector<std::vector<int>> of_pop;
};

class Update {
public:
  Update(LocalNetwork& net, const Schedule& schedule);

  /// Advances every population through `epoch`; returns the number of local spikes, which
  /// are then in spikes() (packed, see pack_spike). Packs the astrocytes' SIC records when
  /// `sic` is active, and couples `gap` (collective) at every coupling step in the epoch,
  /// its first step included. Integration failures are kept in failure() (checked
  /// collectively by the loop).
  std::size_t run(const Epoch& epoch, FieldCoupling* field, SicCoupling& sic, GapJunctions& gap,
                  StateSampling& sampling);

  const Kokkos::View<std::uint64_t*>::HostMirror& spikes() const { return buffer_host_; }
  /// Whether a model with adaptive integration (which can fail) is present.
  bool can_fail() const { return any_can_fail_; }
  /// The first integration failure on this rank, or empty.
  const std::string& failure() const { return failure_; }

private:
  void advance_coupled(std::int64_t t0, int seg, int seg_end, GapJunctions& gap, StateSampling& sampling);
  void advance_all(std::int64_t t0, int seg, int seg_end, StateSampling& sampling);

  LocalNetwork& net_;
  SpikeBuffer buffer_;
  Kokkos::View<std::uint64_t*>::HostMirror buffer_host_;
  bool any_can_fail_ = false;
  std::string failure_;
};

}  // namespace cajal
