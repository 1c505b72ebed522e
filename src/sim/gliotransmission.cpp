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
    t.link.sources = Kokkos::View<std::uint64_t*>("cajal::glio::ids", t.ids.size());
    auto hs = Kokkos::create_mirror_view(t.link.sources);
    for (std::size_t k = 0; k < t.ids.size(); ++k) hs(k) = t.ids[k];
    Kokkos::deep_copy(t.link.sources, hs);
    tables_.push_back(std::move(t));
  }
  int every = 1;
  for (auto& t : tables_) {
    t.exchange = std::make_unique<SpikeExchange>(comm, part, std::vector<const Projection*>{&t.link}, 2);
    every = std::max(every, pops[t.pop]->own_step());
  }
  every_ = schedule.whole_intervals(every);
}

void Gliotransmission::share(std::int64_t t0) {
  const bool take = t0 % every_ == 0;
  const Partition& part = net_.part;
  for (auto& t : tables_) {
    Population& p = *net_.pops[t.pop];
    if (take) p.take_snapshot();
    auto& v = t.snapshot_host;
    Kokkos::deep_copy(v, p.gamma_s_snapshot());
    const auto& mine = part.local(t.pop);
    t.records.clear();
    for (std::size_t i = 0; i < mine.size(); ++i) {
      std::uint64_t bits;
      std::memcpy(&bits, &v(i), 8);
      t.records.push_back(pack_spike(part.first_gid(t.pop) + mine[i], 0));
      t.records.push_back(bits);
    }
    const std::vector<std::uint64_t>& got = t.exchange->exchange(t.records.data(), t.records.size() / 2);
    for (std::size_t k = 0; k + 1 < got.size(); k += 2) {
      const std::uint64_t id = spike_gid(got[k]) - part.first_gid(t.pop);
      const auto it = std::lower_bound(t.ids.begin(), t.ids.end(), id);
      if (it != t.ids.end() && *it == id) std::memcpy(&t.values_host(it - t.ids.begin()), &got[k + 1], 8);
    }
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
