#include "sim/event_delivery.hpp"

#include <algorithm>
#include <type_traits>

#include "sim/delivery_kernels.hpp"

namespace cajal {

EventDelivery::EventDelivery(LocalNetwork& net, const Gliotransmission& glio, std::size_t capacity)
    : net_(net), glio_(glio) {
  incoming_ = Kokkos::View<std::uint64_t*>("cajal::sim::incoming", std::max<std::size_t>(capacity, 1024));
  incoming_host_ = Kokkos::create_mirror_view(incoming_);
}

/// deliver: every spike this rank needs into the ring buffers of its local targets.
std::uint64_t EventDelivery::deliver(const std::vector<std::uint64_t>& spikes, const std::vector<std::uint64_t>& records,
                                     std::int64_t t0) {
  if (net_.projections.empty()) return 0;
  std::uint64_t events = 0;
  const std::size_t W = net_.presynaptic->active() ? static_cast<std::size_t>(net_.presynaptic->width()) : 1;
  const std::size_t n_rec = records.size() / W;
  if (n_rec > 0) sort_records(records, n_rec);
  for (std::size_t i = 0; i < net_.projections.size(); ++i)
    if (net_.projections[i].stateful() && n_rec > 0) events += deliver_stateful(i, n_rec, t0);
  if (spikes.empty()) return events;
  if (incoming_.extent(0) < spikes.size()) {  // grows rarely: capacity doubles
    incoming_ = Kokkos::View<std::uint64_t*>("cajal::sim::incoming", 2 * spikes.size());
    incoming_host_ = Kokkos::create_mirror_view(incoming_);
  }
  // Static delivery does not care about the order of the spikes.
  std::copy(spikes.begin(), spikes.end(), incoming_host_.data());
  Kokkos::deep_copy(Kokkos::subview(incoming_, std::make_pair(std::size_t(0), spikes.size())),
                    Kokkos::subview(incoming_host_, std::make_pair(std::size_t(0), spikes.size())));
  auto in = Kokkos::subview(incoming_, std::make_pair(std::size_t(0), spikes.size()));
  for (std::size_t i = 0; i < net_.projections.size(); ++i) {
    const Projection& pj = net_.projections[i];
    std::uint64_t e = 0;
    if (pj.sic || pj.gap || pj.stateful()) continue;  // graded values: SicCoupling, GapJunctions
    const bool cw = pj.weight.extent(0) == 0, cd = pj.delay.extent(0) == 0;
    const auto policy = Kokkos::RangePolicy<>(0, net_.slices[i].count);
    auto run = [&](auto functor) {
      functor.spikes = in;
      functor.sources = pj.sources;
      functor.row = pj.row;
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

void EventDelivery::sort_records(const std::vector<std::uint64_t>& records, std::size_t n) {
  const std::size_t W = static_cast<std::size_t>(net_.presynaptic->width());
  if (records_.extent(0) < n * W) {  // grows rarely: capacity doubles
    records_ = Kokkos::View<std::uint64_t*>("cajal::sim::records", 2 * n * W);
    records_host_ = Kokkos::create_mirror_view(records_);
  }
  // By packed spike, (gid, offset): each source's spikes together and in time order. A
  // cell spikes at most once per step, so no two records tie.
  order_.resize(n);
  for (std::size_t k = 0; k < n; ++k) order_[k] = static_cast<std::uint32_t>(k);
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) { return records[a * W] < records[b * W]; });
  for (std::size_t k = 0; k < n; ++k) std::copy_n(records.data() + order_[k] * W, W, records_host_.data() + k * W);
  const auto sub = std::make_pair(std::size_t(0), n * W);
  Kokkos::deep_copy(Kokkos::subview(records_, sub), Kokkos::subview(records_host_, sub));
}

/// The stateful part of deliver for projection i: groups the n sorted records by source
/// row (host), then one kernel over the groups.
std::uint64_t EventDelivery::deliver_stateful(std::size_t i, std::size_t n, std::int64_t t0) {
  Projection& pj = net_.projections[i];
  const auto& src = net_.plastic_sources[i];
  const std::uint64_t first = pj.pre_first_gid, n_pre = net_.part.size(pj.pre);
  const std::size_t nsrc = src.extent(0), W = static_cast<std::size_t>(net_.presynaptic->width());
  if (group_first_.extent(0) < n) {  // grows rarely: capacity doubles
    group_first_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_first", 2 * n);
    group_last_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_last", 2 * n);
    group_row_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_row", 2 * n);
    group_first_h_ = Kokkos::create_mirror_view(group_first_);
    group_last_h_ = Kokkos::create_mirror_view(group_last_);
    group_row_h_ = Kokkos::create_mirror_view(group_row_);
  }
  auto &hf = group_first_h_, &hl = group_last_h_, &hr = group_row_h_;
  const auto gid_of = [&](std::size_t k) { return spike_gid(records_host_(k * W)); };
  std::size_t groups = 0;
  for (std::size_t k = 0; k < n;) {
    const std::uint64_t g = gid_of(k);
    std::size_t end = k + 1;
    while (end < n && gid_of(end) == g) ++end;
    if (g >= first && g - first < n_pre) {
      const std::uint64_t id = g - first;
      std::size_t r = nsrc == n_pre ? id : static_cast<std::size_t>(std::lower_bound(src.data(), src.data() + nsrc, id) - src.data());
      if (r < nsrc && src(r) == id) {
        hf(groups) = k;
        hl(groups) = end;
        hr(groups) = r;
        ++groups;
      }
    }
    k = end;
  }
  if (groups == 0) return 0;
  const auto sub = std::make_pair(std::size_t(0), groups);
  Kokkos::deep_copy(Kokkos::subview(group_first_, sub), Kokkos::subview(hf, sub));
  Kokkos::deep_copy(Kokkos::subview(group_last_, sub), Kokkos::subview(hl, sub));
  Kokkos::deep_copy(Kokkos::subview(group_row_, sub), Kokkos::subview(hr, sub));
  const auto gf = Kokkos::subview(group_first_, sub), gl = Kokkos::subview(group_last_, sub),
             gr = Kokkos::subview(group_row_, sub);
  const auto in = Kokkos::subview(records_, std::make_pair(std::size_t(0), n * W));
  const auto& ring = net_.pops[pj.post]->ring;
  const TargetSlices slices = net_.slices[i];
  const auto policy = Kokkos::RangePolicy<>(0, slices.count);
  const int w = static_cast<int>(W);
  std::uint64_t e = 0;
  auto short_term = [&](const auto& dyn) {
    using D = std::decay_t<decltype(dyn)>;
    DeliverShortTerm<D> f{in,  gf,    gl,     gr, pj.row,          pj.target, pj.delay,       pj.weight,
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
    DeliverPlastic f{in,     gf,           gl,     gr,        pj.row,   pj.target,
                     pj.delay, pj.plastic_weight, net_.stdp_lost, pj.rule, net_.pops[pj.post]->history, ring,
                     slices, t0,           w,      net_.presynaptic->slot(i), pj.delay_steps, net_.ring_size,
                     pj.receptor, pj.third, gate};
    Kokkos::parallel_reduce("cajal::exchange::deliver_plastic", policy, f, e);
  }
  return e;
}

}  // namespace cajal
