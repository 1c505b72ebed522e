#pragma once
/// Astrocytes' slow inward current (SIC) to neurons: stages "exchange" and "deliver" for
/// graded values.
///
/// Every interval each astrocyte with a non-zero SIC somewhere in it sends one record of
/// 1 + m words (pack_spike(gid, 0), then its SIC at each step as the bits of a double) to
/// the ranks of its targets. SIC projections with one weight and one delay are delivered by
/// gathering at the targets: a Table holds an interval's values w × SIC in fixed point, by
/// source astrocyte and step, for every projection with that source population and weight
/// (a tripartite rule makes one projection per target population, all with the same
/// weight: the table is filled once for all of them). Each target then sums its sources'
/// rows into its ring slots: the same integers as a scatter, without atomics. A target
/// usually has many sic_connections from few astrocytes, so its list holds each source
/// once with the number of connections and adds count × value (an integer product: the
/// same sums as one add per connection). Other SIC projections deliver by target slices
/// (DeliverSic).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "exchange/spike_exchange.hpp"
#include "sim/local_network.hpp"

namespace cajal {

class SicCoupling {
public:
  /// Collective: builds the exchange and the gather tables (no sic_connection: inactive).
  SicCoupling(const Communicator& comm, LocalNetwork& net, const Schedule& schedule);

  bool active() const { return exchange_ != nullptr; }
  /// After update: this rank's records of the interval's first `steps` steps (steps beyond
  /// them, in a short last interval, send 0).
  void pack(int steps);
  /// Collective: every record this rank needs (its own first).
  const std::vector<std::uint64_t>& exchange();
  /// Every record into the SIC port of its local targets, for the interval at t0.
  void deliver(const std::vector<std::uint64_t>& records, std::int64_t t0);

private:
  struct Source {  // a population that sends SIC, with host views of its output and ids
    std::size_t pop = 0;
    Kokkos::View<double**, Kokkos::LayoutRight>::HostMirror out;
    Kokkos::View<std::uint64_t*>::HostMirror gid;
  };
public:
  /// One SIC-sending population's values of the interval, by row (public only because a
  /// device lambda may not capture a private type: nvcc; not for use outside).
  struct Table {
    int pre = 0;
    double weight = 0.0;
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight> F;  // (row, step)
    Kokkos::View<std::int64_t*> filled;                   // interval (t0) whose values F(row, .) holds
    // Records name their astrocyte by id: an open-addressing hash map (linear probing,
    // load at most 1/2) from the table's source ids to their rows, so its size follows the
    // rows this rank holds, not the span of their ids (a binary search per record was 40 %
    // of the delivery). key(slot) = id, or ~0 when free; row_at(slot) its row.
    Kokkos::View<std::uint64_t*> key;
    Kokkos::View<std::int32_t*> row_at;
    int shift = 64;
    static constexpr std::uint64_t free_slot = ~std::uint64_t(0);
    KOKKOS_INLINE_FUNCTION static std::size_t slot_of(std::uint64_t id, int shift) {
      return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift);
    }
    KOKKOS_INLINE_FUNCTION std::int64_t row(std::uint64_t id) const {
      const std::size_t mask = key.extent(0) - 1;
      for (std::size_t at = slot_of(id, shift);; at = (at + 1) & mask) {
        const std::uint64_t k = key(at);
        if (k == id) return row_at(at);
        if (k == free_slot) return -1;
      }
    }
  };

private:
  struct Gather {
    std::size_t proj = 0, table = 0;
    Kokkos::View<std::uint64_t*> toff;  // target li's table rows: trow(toff(li) .. toff(li+1)-1)
    Kokkos::View<std::uint32_t*> trow;
    Kokkos::View<std::uint32_t*> tcount;  // connections from that row
  };
  static bool gathered(const Projection& pj) { return pj.weight.extent(0) == 0 && pj.delay.extent(0) == 0; }
  void build_gather();

  LocalNetwork& net_;
  int m_ = 1;
  std::unique_ptr<SpikeExchange> exchange_;
  std::vector<Source> sources_;
  std::vector<std::uint64_t> local_;  // the interval's records_ records (room for one per cell)
  std::size_t records_ = 0;
  Kokkos::View<std::uint64_t*> incoming_;
  Kokkos::View<std::uint64_t*>::HostMirror incoming_host_;
  std::vector<Table> tables_;
  std::vector<Gather> gathers_;
};

}  // namespace cajal
