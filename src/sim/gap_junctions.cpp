#include "sim/gap_junctions.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace cajal {

GapJunctions::GapJunctions(const Communicator& comm, LocalNetwork& net) : net_(net) {
  std::vector<const Projection*> gap_pj;
  for (const auto& pj : net.projections)
    if (pj.gap) gap_pj.push_back(&pj);
  if (gap_pj.empty()) return;
  int every = 0;  // gcd(0, n) = n
  exchange_ = std::make_unique<SpikeExchange>(comm, net.part, gap_pj, 2);
  for (const Projection* pj : gap_pj) {
    Population& p = *net.pops[pj->post];
    if (p.gap_flux.label().empty()) {
      p.gap_flux = Kokkos::View<double*>("cajal::astrocyte::gap_flux", p.local_size);
      fixed_.emplace(pj->post, Kokkos::View<std::int64_t*>("cajal::astrocyte::gap_fixed", p.local_size));
      pops_.push_back(pj->post);
      every = std::gcd(every, p.own_step());
      gids_.push_back(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.gid));
      ip3_.push_back(Kokkos::create_mirror_view(p.recordable("IP3").view));
    }
  }
  every_ = every;
  std::size_t cells = 0;
  for (const int p : pops_) cells += net.pops[p]->local_size;
  local_.assign(2 * cells, 0);
}

void GapJunctions::couple() {
  using Host = Kokkos::DefaultHostExecutionSpace;
  auto& pops = net_.pops;
  std::size_t n_local = 0;  // records so far: every coupled cell, population after population
  for (std::size_t q = 0; q < pops_.size(); ++q) {
    const Population& p = *pops[pops_[q]];
    Kokkos::deep_copy(ip3_[q], p.recordable("IP3").view);
    const auto ip3 = ip3_[q];
    const auto gid = gids_[q];
    std::uint64_t* const rec = local_.data() + 2 * n_local;
    Kokkos::parallel_for(
        "cajal::astrocyte::gap_pack", Kokkos::RangePolicy<Host>(0, p.local_size), [=](const std::size_t i) {
          rec[2 * i] = pack_spike(gid(i), 0);
          std::memcpy(&rec[2 * i + 1], &ip3(i), 8);
        });
    n_local += p.local_size;
  }
  Host().fence();
  const std::vector<std::uint64_t>& recs = exchange_->exchange(local_.data(), n_local);
  if (incoming_.extent(0) < recs.size()) {
    incoming_ = Kokkos::View<std::uint64_t*>("cajal::sim::gap_incoming", 2 * recs.size() + 2);
    incoming_host_ = Kokkos::create_mirror_view(incoming_);
  }
  std::copy(recs.begin(), recs.end(), incoming_host_.data());
  const auto sub = std::make_pair(std::size_t(0), recs.size());
  Kokkos::deep_copy(Kokkos::subview(incoming_, sub), Kokkos::subview(incoming_host_, sub));
  for (auto& kv : fixed_) Kokkos::deep_copy(kv.second, 0);
  const std::size_t n = recs.size() / 2;
  for (const auto& pj : net_.projections) {
    if (!pj.gap || n == 0) continue;
    const auto rec = incoming_;
    const SourceRows rows = pj.rows;
    const auto target = pj.target;
    const auto acc = fixed_.at(pj.post);
    const auto ip3 = pops[pj.post]->recordable("IP3").view;
    const GapJunction gj = pj.gj;
    const double w = pj.weight_value;
    const std::uint64_t first = pj.pre_first_gid, n_pre = net_.part.size(pj.pre);
    Kokkos::parallel_for(
        "cajal::astrocyte::gap_junctions", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(const std::size_t k) {
          const std::uint64_t g = spike_gid(rec(2 * k));
          if (g < first || g - first >= n_pre) return;
          const std::int64_t r = rows.find(g - first);
          if (r < 0) return;
          const auto span = rows.span(static_cast<std::uint64_t>(r));
          const std::uint64_t bits = rec(2 * k + 1);
          double other;
          memcpy(&other, &bits, sizeof other);
          for (std::uint64_t j = span.b; j < span.e; ++j) {
            const std::uint32_t t = target(j);
            Kokkos::atomic_add(&acc(t), to_fixed(w * gj.flux(other - ip3(t))));
          }
        });
  }
  for (const int p : pops_) {
    const auto acc = fixed_.at(p);
    const auto flux = pops[p]->gap_flux;
    Kokkos::parallel_for(
        "cajal::astrocyte::gap_flux", Kokkos::RangePolicy<>(0, flux.extent(0)),
        KOKKOS_LAMBDA(const std::size_t i) { flux(i) = from_fixed(acc(i)); });
  }
  Kokkos::fence();
}

}  // namespace cajal
