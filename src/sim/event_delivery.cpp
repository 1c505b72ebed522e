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
std::uint64_t EventDelivery::deliver(const std::vector<std::uint64_t>& spikes, std::int64_t t0) {
  if (spikes.empty() || net_.projections.empty()) return 0;
  if (incoming_.extent(0) < spikes.size()) {  // grows rarely: capacity doubles
    incoming_ = Kokkos::View<std::uint64_t*>("cajal::sim::incoming", 2 * spikes.size());
    incoming_host_ = Kokkos::create_mirror_view(incoming_);
  }
  std::copy(spikes.begin(), spikes.end(), incoming_host_.data());
  // Plastic synapses need each source's spikes together and in time order: sorting the
  // packed (gid, offset) values gives both. Static delivery does not care about order.
  if (net_.any_stateful) std::sort(incoming_host_.data(), incoming_host_.data() + spikes.size());
  Kokkos::deep_copy(Kokkos::subview(incoming_, std::make_pair(std::size_t(0), spikes.size())),
                    Kokkos::subview(incoming_host_, std::make_pair(std::size_t(0), spikes.size())));
  auto in = Kokkos::subview(incoming_, std::make_pair(std::size_t(0), spikes.size()));
  std::uint64_t events = 0;
  for (std::size_t i = 0; i < net_.projections.size(); ++i) {
    const Projection& pj = net_.projections[i];
    std::uint64_t e = 0;
    if (pj.sic || pj.gap) continue;  // graded values: SicCoupling, GapJunctions
    if (pj.stateful()) {
      events += deliver_stateful(i, spikes.size(), in, t0);
      continue;
    }
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

/// The stateful part of deliver for projection i: groups the sorted spikes by source row
/// (host), then one kernel over the groups.
std::uint64_t EventDelivery::deliver_stateful(std::size_t i, std::size_t n, Kokkos::View<std::uint64_t*> in, std::int64_t t0) {
  Projection& pj = net_.projections[i];
  const auto& src = net_.plastic_sources[i];
  const std::uint64_t first = pj.pre_first_gid, n_pre = net_.part.size(pj.pre);
  const std::size_t nsrc = src.extent(0);
  if (group_first_.extent(0) < n) {  // grows rarely: capacity doubles
    group_first_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_first", 2 * n);
    group_last_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_last", 2 * n);
    group_row_ = Kokkos::View<std::uint64_t*>("cajal::stdp::group_row", 2 * n);
    group_first_h_ = Kokkos::create_mirror_view(group_first_);
    group_last_h_ = Kokkos::create_mirror_view(group_last_);
    group_row_h_ = Kokkos::create_mirror_view(group_row_);
  }
  auto &hf = group_first_h_, &hl = group_last_h_, &hr = group_row_h_;
  std::size_t groups = 0;
  for (std::size_t k = 0; k < n;) {
    const std::uint64_t g = spike_gid(incoming_host_(k));
    std::size_t end = k + 1;
    while (end < n && spike_gid(incoming_host_(end)) == g) ++end;
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
  const auto& ring = net_.pops[pj.post]->ring;
  const TargetSlices slices = net_.slices[i];
  const auto policy = Kokkos::RangePolicy<>(0, slices.count);
  std::uint64_t e = 0;
  auto short_term = [&](const auto& dyn) {
    using D = std::decay_t<decltype(dyn)>;
    DeliverShortTerm<D> f{in,     gf,     gl, gr,     pj.row,          pj.target,       pj.delay,       pj.weight,
                          pj.t_last, dyn, ring, slices, t0, pj.weight_value, pj.delay_steps, net_.ring_size, pj.receptor};
    Kokkos::parallel_reduce("cajal::exchange::deliver_short_term", policy, f, e);
  };
  if (pj.glio) {
    const Kokkos::View<const double*> gamma = glio_.values_of(pj.third_pop);
    short_term(GlioDynamics{pj.gr, pj.stp_u, pj.stp_x, pj.third, gamma});
  } else if (pj.stp) {
    short_term(TsodyksDynamics{pj.tm, pj.stp_u, pj.stp_x, pj.stp_y});
  } else {
    const Kokkos::View<const double*> gate = glio_.values_of(pj.third_pop);
    DeliverPlastic f{in,        gf,           gl,          gr,       pj.row,         pj.target,
                     pj.delay,  pj.plastic_weight,           pj.kplus, pj.t_last,      net_.stdp_lost,
                     pj.rule,   net_.pops[pj.post]->history, ring,     slices,         t0,
                     pj.delay_steps, net_.ring_size,         pj.receptor, pj.third,    gate};
    Kokkos::parallel_reduce("cajal::exchange::deliver_plastic", policy, f, e);
  }
  Kokkos::parallel_for("cajal::exchange::advance_source_clock", Kokkos::RangePolicy<>(0, groups),
                       AdvanceSourceClock{in, gf, gl, gr, pj.plastic ? pj.kplus : Kokkos::View<double*>(), pj.t_last,
                                          pj.rule, t0});
  return e;
}

}  // namespace cajal
