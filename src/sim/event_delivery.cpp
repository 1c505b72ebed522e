#include "sim/event_delivery.hpp"

#include <algorithm>
#include <type_traits>

#include "sim/delivery_kernels.hpp"
#include "util/scratch.hpp"

namespace cajal {

EventDelivery::EventDelivery(LocalNetwork& net, const Gliotransmission& glio) : net_(net), glio_(glio) {}

namespace {
/// EventDelivery::on_device for kernels whose memory is the buffer's (a template, so that only
/// the branch of the build's backend is compiled).
template <class Buffer>
Kokkos::View<const std::uint64_t*, typename Buffer::memory_space> words_in(const std::vector<std::uint64_t>& words,
                                                                           Buffer& buffer) {
  using Memory = typename Buffer::memory_space;
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, Memory>::accessible) {
    // The kernels read the exchange's buffer itself: no copy (up to 10^8 words an interval
    // at 10^4 ranks).
    return Kokkos::View<const std::uint64_t*, Memory, Kokkos::MemoryUnmanaged>(words.data(), words.size());
  } else {
    if (buffer.extent(0) < words.size()) {  // grows rarely, by a quarter more than asked
      buffer = Buffer();  // the old copy goes first (util/scratch.hpp)
      buffer = Buffer(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::sim::incoming"),
                      words.size() + words.size() / 4);
    }
    const auto sub = Kokkos::subview(buffer, std::make_pair(std::size_t(0), words.size()));
    using Host = Kokkos::View<const std::uint64_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>;
    Kokkos::deep_copy(sub, Host(words.data(), words.size()));
    return sub;
  }
}
}  // namespace

EventDelivery::Words EventDelivery::on_device(const std::vector<std::uint64_t>& words,
                                              Kokkos::View<std::uint64_t*>& buffer) {
  return words_in(words, buffer);
}

std::uint64_t EventDelivery::deliver_records(std::vector<std::uint64_t>& records, std::int64_t t0) {
  std::uint64_t events = 0;
  const std::size_t W = net_.presynaptic->active() ? static_cast<std::size_t>(net_.presynaptic->width()) : 1;
  const std::size_t n_rec = records.size() / W;
  if (n_rec == 0) return 0;
  sort_records(records, n_rec);
  const Words in = on_device(records, records_);
  for (std::size_t i = 0; i < net_.projections.size(); ++i)
    if (net_.projections[i].stateful()) events += deliver_stateful(i, records.data(), in, n_rec, t0);
  return events;
}

std::uint64_t EventDelivery::deliver_spikes(const std::vector<std::uint64_t>& spikes, std::int64_t t0) {
  if (spikes.empty()) return 0;
  std::uint64_t events = 0;
  // Static delivery does not care about the order of the spikes.
  const Words in = on_device(spikes, spikes_);
  for (std::size_t i = 0; i < net_.projections.size(); ++i) {
    const Projection& pj = net_.projections[i];
    std::uint64_t e = 0;
    if (pj.sic || pj.gap || pj.stateful()) continue;  // graded values: SicCoupling, GapJunctions
    const bool cw = pj.weight.extent(0) == 0, cd = pj.delay.extent(0) == 0;
    const auto policy = Kokkos::RangePolicy<>(0, net_.slices[i].count);
    auto run = [&](auto functor) {
      functor.spikes = in;
      functor.rows = pj.rows;
      functor.target = pj.target;
      functor.weight = pj.weight;
      functor.delay = pj.delay;
      functor.ring = net_.pops[pj.post]->ring;
      functor.slices = net_.slices[i];
      functor.first = pj.pre_first_gid;
      functor.n_pre = net_.part.size(pj.pre);
      functor.t0 = t0;
      functor.weight_fixed = pj.weight_fixed;
      functor.delay_steps = pj.delay_steps;
      functor.ring_size = net_.ring_size;
      functor.receptor = pj.receptor;
      Kokkos::parallel_reduce("cajal::exchange::deliver", policy, functor, e);
    };
    if (cw && cd) run(Deliver<true, true>{});
    else if (cw) run(Deliver<true, false>{});
    else if (cd) run(Deliver<false, true>{});
    else run(Deliver<false, false>{});
    events += e;
  }
  Kokkos::fence();
  return events;
}

std::uint64_t EventDelivery::buffer_bytes() const {
  // Where the kernels run off the host, the groups have host mirrors and the words copies.
  constexpr bool device = !Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::View<std::uint64_t*>::memory_space>::accessible;
  const std::uint64_t groups = (group_first_.span() + group_row_.span()) * sizeof(std::uint32_t);
  return order_.capacity() * sizeof(std::uint32_t) + held_.capacity() * sizeof(std::uint64_t) + groups * (device ? 2 : 1) +
         (device ? (spikes_.span() + records_.span()) * sizeof(std::uint64_t) : 0);
}

void EventDelivery::sort_records(std::vector<std::uint64_t>& records, std::size_t n) {
  const std::size_t W = static_cast<std::size_t>(net_.presynaptic->width());
  // By packed spike, (gid, offset): each source's spikes together and in time order. A
  // cell spikes at most once per step, so no two records tie. The order is sorted, then
  // applied in place, cycle by cycle (order_[j]: the record that goes to j; j once placed).
  resize_scratch(order_, n);
  for (std::size_t k = 0; k < n; ++k) order_[k] = static_cast<std::uint32_t>(k);
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) { return records[a * W] < records[b * W]; });
  held_.resize(W);
  std::uint64_t* const tmp = held_.data();
  std::uint64_t* const r = records.data();
  for (std::size_t i = 0; i < n; ++i) {
    if (order_[i] == i) continue;
    std::copy_n(r + i * W, W, tmp);
    std::size_t j = i;
    for (;;) {
      const std::size_t k = order_[j];
      order_[j] = static_cast<std::uint32_t>(j);
      if (k == i) {
        std::copy_n(tmp, W, r + j * W);
        break;
      }
      std::copy_n(r + k * W, W, r + j * W);
      j = k;
    }
  }
}

/// The stateful part of deliver for projection i: groups the n sorted records by source
/// row (host, from `sorted`), then one kernel over the groups (reading `in`, the same
/// records where the kernels run).
std::uint64_t EventDelivery::deliver_stateful(std::size_t i, const std::uint64_t* sorted, Words in, std::size_t n,
                                              std::int64_t t0) {
  Projection& pj = net_.projections[i];
  const HostSourceRows& src = net_.host_rows[i];
  const std::uint64_t first = pj.pre_first_gid, n_pre = net_.part.size(pj.pre);
  const std::size_t W = static_cast<std::size_t>(net_.presynaptic->width());
  if (group_row_.extent(0) < n) {  // grows rarely, by a quarter more than asked
    const std::size_t m = n + n / 4;
    // Not zeroed: only what a round writes is read, so the headroom costs no memory until
    // used. The old arrays go first (util/scratch.hpp).
    group_first_ = {};
    group_row_ = {};
    group_first_h_ = {};
    group_row_h_ = {};
    group_first_ = Kokkos::View<std::uint32_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::stdp::group_first"), m + 1);
    group_row_ = Kokkos::View<std::uint32_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::stdp::group_row"), m);
    group_first_h_ = Kokkos::create_mirror_view(group_first_);
    group_row_h_ = Kokkos::create_mirror_view(group_row_);
  }
  // Every source makes a group, in order, so a group ends where the next one starts; a
  // source without a row in this projection (its records are for another one) is skipped
  // by the kernels.
  auto &hf = group_first_h_, &hr = group_row_h_;
  const auto gid_of = [&](std::size_t k) { return spike_gid(sorted[k * W]); };
  std::size_t groups = 0, rows = 0;
  for (std::size_t k = 0; k < n;) {
    const std::uint64_t g = gid_of(k);
    std::size_t end = k + 1;
    while (end < n && gid_of(end) == g) ++end;
    const std::int64_t r = g >= first && g - first < n_pre ? src.find(g - first) : -1;
    hf(groups) = static_cast<std::uint32_t>(k);
    hr(groups) = r >= 0 ? static_cast<std::uint32_t>(r) : no_row;
    ++groups;
    rows += r >= 0;
    k = end;
  }
  hf(groups) = static_cast<std::uint32_t>(n);
  if (rows == 0) return 0;
  const auto sub = std::make_pair(std::size_t(0), groups), ends = std::make_pair(std::size_t(0), groups + 1);
  Kokkos::deep_copy(Kokkos::subview(group_first_, ends), Kokkos::subview(hf, ends));
  Kokkos::deep_copy(Kokkos::subview(group_row_, sub), Kokkos::subview(hr, sub));
  const auto gf = Kokkos::subview(group_first_, ends), gr = Kokkos::subview(group_row_, sub);
  const auto& ring = net_.pops[pj.post]->ring;
  const TargetSlices slices = net_.slices[i];
  const auto policy = Kokkos::RangePolicy<>(0, slices.count);
  const int w = static_cast<int>(W);
  std::uint64_t e = 0;
  auto short_term = [&](const auto& dyn) {
    using D = std::decay_t<decltype(dyn)>;
    DeliverShortTerm<D> f{in,  gf,    gr, pj.rows,         pj.target, pj.delay,       pj.weight,
                          dyn, ring, slices, t0, pj.weight_value, w,         pj.delay_steps, net_.ring_size, pj.receptor};
    Kokkos::parallel_reduce("cajal::exchange::deliver_short_term", policy, f, e);
  };
  if (pj.glio) {
    const Kokkos::View<const double*> gamma = glio_.values_of(pj.third_pop);
    short_term(GlioDynamics{pj.gr, pj.stp_u, pj.stp_x, pj.third, gamma});
  } else if (pj.stp) {
    short_term(TsodyksDynamics{pj.tm, pj.stp_u, pj.stp_x, pj.stp_y});
  } else {
    const Kokkos::View<const double*> gate = glio_.values_of(pj.third_pop);
    DeliverPlastic f{in,     gf,           gr,        pj.rows,  pj.target,
                     pj.delay, pj.plastic_weight, net_.stdp_lost, pj.rule, net_.pops[pj.post]->history, ring,
                     slices, t0,           w,      net_.presynaptic->slot(i), pj.delay_steps, net_.ring_size,
                     pj.receptor, pj.third, gate};
    Kokkos::parallel_reduce("cajal::exchange::deliver_plastic", policy, f, e);
  }
  return e;
}

}  // namespace cajal
