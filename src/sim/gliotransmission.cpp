#include "sim/gliotransmission.hpp"

#include <algorithm>
#include <cstring>

namespace cajal {

Gliotransmission::Gliotransmission(const Communicator& comm, LocalNetwork& net, const Schedule& schedule) : net_(net) {
  const Partition& part = net.part;
  auto& pops = net.pops;
  auto& projections = net.projections;
  // Tables, one per astrocyte population named by tripartite synapses (the same list on
  // every rank: it comes from the deck), and the synapses' table indices.
  for (std::size_t p = 0; p < pops.size(); ++p) {
    bool used = false;
    for (const auto& pj : projections)
      used = used || ((pj.glio || pj.plastic) && pj.third_pop == static_cast<int>(p));
    if (!used) continue;
    Table t;
    t.pop = static_cast<int>(p);
    t.ids = part.local(t.pop);
    for (const auto& pj : projections) {
      if (!(pj.glio || pj.plastic) || pj.third_pop != t.pop) continue;
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.third);
      for (std::size_t j = 0; j < h.extent(0); ++j)
        if (h(j) >= 0) t.ids.push_back(static_cast<std::uint64_t>(h(j)));
    }
    std::sort(t.ids.begin(), t.ids.end());
    t.ids.erase(std::unique(t.ids.begin(), t.ids.end()), t.ids.end());
    for (auto& pj : projections) {
      if (!(pj.glio || pj.plastic) || pj.third_pop != t.pop) continue;
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.third);
      for (std::size_t j = 0; j < h.extent(0); ++j)
        if (h(j) >= 0) h(j) = std::lower_bound(t.ids.begin(), t.ids.end(), static_cast<std::uint64_t>(h(j))) - t.ids.begin();
      Kokkos::deep_copy(pj.third, h);
    }
    t.values = Kokkos::View<double*>("cajal::glio::gamma_s", t.ids.size());
    t.values_host = Kokkos::create_mirror_view(t.values);
    t.snapshot_host = Kokkos::create_mirror_view(pops[t.pop]->gamma_s_snapshot());
    t.link.pre = t.pop;
    t.link.pre_first_gid = part.first_gid(t.pop);
    // Rows without synapses: the exchange reads only their ids.
    SourceRows::Writer link(t.ids.size(), part.size(t.pop), 0);
    for (const std::uint64_t id : t.ids) link.add(id, 0);
    t.link.rows = link.finish(0);
    t.records.assign(2 * part.local(t.pop).size(), 0);
    tables_.push_back(std::move(t));
  }
  int every = 1;
  for (auto& t : tables_) {
    // A dry run learns which astrocytes another rank's table holds from that rank's
    // tripartite synapses, built and dropped one projection at a time.
    const int pop = t.pop;
    const Deck& deck = net.deck;
    std::vector<int> third_of_pop;
    for (std::size_t j = 0; j < projections.size(); ++j)
      if ((projections[j].glio || projections[j].plastic) && projections[j].third_pop == pop)
        third_of_pop.push_back(static_cast<int>(j));
    auto replay = [&deck, pop, third_of_pop](const Partition& other) {
      std::vector<std::uint64_t> gids;
      for (const int j : third_of_pop) {
        const Projection pj = build_projection(deck, other, j);
        auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.third);
        for (std::size_t k = 0; k < h.extent(0); ++k)
          if (h(k) >= 0) gids.push_back(other.first_gid(pop) + static_cast<std::uint64_t>(h(k)));
      }
      return gids;
    };
    t.exchange = std::make_unique<SpikeExchange>(comm, part, std::vector<const Projection*>{&t.link}, 2, replay);
    every = std::max(every, pops[t.pop]->own_step());
  }
  every_ = schedule.whole_intervals(every);
}

void Gliotransmission::share(std::int64_t t0) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  const bool take = t0 % every_ == 0;
  const Partition& part = net_.part;
  for (auto& t : tables_) {
    Population& p = *net_.pops[t.pop];
    if (take) p.take_snapshot();
    const auto v = t.snapshot_host;
    Kokkos::deep_copy(v, p.gamma_s_snapshot());
    const std::uint64_t* const mine = part.local(t.pop).data();
    const std::uint64_t first = part.first_gid(t.pop);
    const std::size_t n_mine = part.local(t.pop).size();
    std::uint64_t* const rec = t.records.data();
    Kokkos::parallel_for(
        "cajal::glio::pack", Kokkos::RangePolicy<Host>(0, n_mine), [=](const std::size_t i) {
          rec[2 * i] = pack_spike(first + mine[i], 0);
          std::memcpy(&rec[2 * i + 1], &v(i), 8);
        });
    Host().fence();
    const std::vector<std::uint64_t>& got = t.exchange->exchange(rec, n_mine);
    // Each astrocyte comes once (its own rank sends it, once to each subscriber): the
    // records write distinct rows.
    const std::uint64_t* const in = got.data();
    const std::uint64_t* const ids = t.ids.data();
    const std::size_t n_ids = t.ids.size();
    const auto values = t.values_host;
    Kokkos::parallel_for(
        "cajal::glio::unpack", Kokkos::RangePolicy<Host>(0, got.size() / 2), [=](const std::size_t k) {
          const std::uint64_t id = spike_gid(in[2 * k]) - first;
          const std::uint64_t* const it = std::lower_bound(ids, ids + n_ids, id);
          if (it != ids + n_ids && *it == id) std::memcpy(&values(it - ids), &in[2 * k + 1], 8);
        });
    Host().fence();
    Kokkos::deep_copy(t.values, t.values_host);
  }
}

Kokkos::View<const double*> Gliotransmission::values_of(int pop) const {
  Kokkos::View<const double*> v;
  for (const auto& t : tables_)
    if (t.pop == pop) v = t.values;
  return v;
}

}  // namespace cajal
