#pragma once
/// Stage "deliver" (spikes): every spike a rank needs, its own and those received, into the
/// ring buffers of its local targets at step t_spike + delay (always >= the end of the
/// interval), in fixed point. Static projections launch one Deliver kernel over the spikes;
/// stateful ones (STDP, Tsodyks–Markram, tripartite) take the records that carry each
/// spike's presynaptic state (sim/presynaptic_state.hpp) and need each source's spikes
/// together and in time order, so the records are sorted and grouped by source row first.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <vector>

#include "sim/gliotransmission.hpp"
#include "sim/local_network.hpp"

namespace cajal {

class EventDelivery {
public:
  /// `capacity`: spikes expected per interval at most (the buffer grows if exceeded).
  EventDelivery(LocalNetwork& net, const Gliotransmission& glio, std::size_t capacity);

  /// Delivers the interval at t0: `spikes` (packed (gid, offset), see pack_spike) into the
  /// static projections, `records` (net.presynaptic->width() words each) into the stateful
  /// ones; returns the synaptic events delivered.
  std::uint64_t deliver(const std::vector<std::uint64_t>& spikes, const std::vector<std::uint64_t>& records,
                        std::int64_t t0);

private:
  std::uint64_t deliver_stateful(std::size_t i, std::size_t n, std::int64_t t0);
  /// The records, sorted by packed spike, into records_ (device) and records_host_.
  void sort_records(const std::vector<std::uint64_t>& records, std::size_t n);

  LocalNetwork& net_;
  const Gliotransmission& glio_;
  Kokkos::View<std::uint64_t*> incoming_;
  Kokkos::View<std::uint64_t*>::HostMirror incoming_host_;
  Kokkos::View<std::uint64_t*> records_;
  Kokkos::View<std::uint64_t*>::HostMirror records_host_;
  std::vector<std::uint32_t> order_;
  // Groups of equal sources among the sorted records, reused every interval.
  Kokkos::View<std::uint64_t*> group_first_, group_last_, group_row_;
  Kokkos::View<std::uint64_t*>::HostMirror group_first_h_, group_last_h_, group_row_h_;
};

}  // namespace cajal
