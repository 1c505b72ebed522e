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
  EventDelivery(LocalNetwork& net, const Gliotransmission& glio);

  /// Delivers spikes of the interval at t0 (packed (gid, offset), see pack_spike) into the
  /// static projections, in any order. Returns the synaptic events delivered.
  std::uint64_t deliver_spikes(const std::vector<std::uint64_t>& spikes, std::int64_t t0);
  /// Delivers records of the interval at t0 (net.presynaptic->width() words each) into the
  /// stateful projections, which need each source's records together and in time order:
  /// `records` is sorted in place (a source's records of an interval may come in several
  /// calls, earlier ones first). Returns the synaptic events delivered.
  std::uint64_t deliver_records(std::vector<std::uint64_t>& records, std::int64_t t0);

private:
  using Words = Kokkos::View<const std::uint64_t*>;
  std::uint64_t deliver_stateful(std::size_t i, const std::uint64_t* sorted, Words in, std::size_t n, std::int64_t t0);
  /// The records (n of them), sorted in place by packed spike.
  void sort_records(std::vector<std::uint64_t>& records, std::size_t n);
  /// `words` as the kernels see them: the vector itself where the kernels run on the host,
  /// else a copy in `buffer` (grown when too small).
  static Words on_device(const std::vector<std::uint64_t>& words, Kokkos::View<std::uint64_t*>& buffer);

  LocalNetwork& net_;
  const Gliotransmission& glio_;
  Kokkos::View<std::uint64_t*> spikes_, records_;  // device copies (device backends only)
  std::vector<std::uint32_t> order_;  // sort_records: the sorted order
  std::vector<std::uint64_t> held_;   // sort_records: one record, while its cycle moves
  // Groups of equal sources among the sorted records, reused every interval: each group's
  // first record (an interval's records fit the exchange's int counts; one more entry, the
  // end) and source row (32-bit). Record-sized: ~10 bytes per record of a round.
  Kokkos::View<std::uint32_t*> group_first_, group_row_;
  Kokkos::View<std::uint32_t*>::HostMirror group_first_h_, group_row_h_;

public:
  /// Bytes of the per-record arrays kept between intervals (their size after the largest
  /// round so far): they follow the exchange's round bound, as its buffers do.
  std::uint64_t buffer_bytes() const;
};

}  // namespace cajal
