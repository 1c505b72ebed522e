#include "sim/sic_coupling.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace cajal {

namespace {
/// The ring slot of each step of the interval, for a kernel (by value: a device lambda may
/// not capture a type local to a function).
struct RingSlots {
  int at[64];  // m <= 64: Schedule caps the interval
};
}  // namespace

SicCoupling::SicCoupling(const Communicator& comm, LocalNetwork& net, const Schedule& schedule)
    : net_(net), m_(schedule.interval()) {
  std::vector<const Projection*> sic_pj;
  for (const auto& pj : net.projections)
    if (pj.sic) sic_pj.push_back(&pj);
  if (sic_pj.empty()) return;
  exchange_ = std::make_unique<SpikeExchange>(comm, net.part, sic_pj, 1 + m_);
  for (const Projection* pj : sic_pj) {
    Population& p = *net.pops[pj->pre];
    if (!p.sends_sic() || !p.sic_out.label().empty()) continue;
    p.sic_out = Kokkos::View<double**, Kokkos::LayoutRight>("cajal::astrocyte::sic_out", p.local_size, m_);
    sources_.push_back({static_cast<std::size_t>(pj->pre), Kokkos::create_mirror_view(p.sic_out),
                        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.gid)});
  }
  std::size_t cells = 0;
  for (const Source& src : sources_) cells += src.out.extent(0);
  local_.assign(cells * (1 + static_cast<std::size_t>(m_)), 0);  // room for every cell's record
  build_gather();
}

const std::vector<std::uint64_t>& SicCoupling::exchange() {
  return exchange_->exchange(local_.data(), records_);
}

/// The Tables and Gathers of the sic_connection projections with one weight and
/// one delay (see Table).
void SicCoupling::build_gather() {
  auto upload = [](const auto& dst, const auto& src) {
    using T = typename std::decay_t<decltype(src)>::value_type;
    Kokkos::deep_copy(dst, Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(src.data(), src.size()));
  };
  // Tables: one per (source population, weight), its rows the union of the sources.
  std::vector<std::vector<std::uint64_t>> table_ids;
  for (std::size_t i = 0; i < net_.projections.size(); ++i) {
    const Projection& pj = net_.projections[i];
    if (!pj.sic || !gathered(pj)) continue;
    std::size_t t = 0;
    while (t < tables_.size() && !(tables_[t].pre == pj.pre && tables_[t].weight == pj.weight_value)) ++t;
    if (t == tables_.size()) {
      tables_.emplace_back();
      tables_.back().pre = pj.pre;
      tables_.back().weight = pj.weight_value;
      table_ids.emplace_back();
    }
    const HostSourceRows src = pj.rows.on_host();
    for (std::uint64_t r = 0; r < src.rows(); ++r) table_ids[t].push_back(src.id(r));
    Gather gth;
    gth.proj = i;
    gth.table = t;
    gathers_.push_back(gth);
  }
  for (std::size_t t = 0; t < tables_.size(); ++t) {
    auto& ids = table_ids[t];
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    Table& tab = tables_[t];
    tab.F = Kokkos::View<std::int64_t**, Kokkos::LayoutRight>("cajal::sic::F", ids.size(), m_);
    tab.filled = Kokkos::View<std::int64_t*>("cajal::sic::filled", ids.size());
    Kokkos::deep_copy(tab.filled, -1);
    std::size_t slots = 16;  // a power of two, at least twice the rows: never full
    while (slots < 2 * ids.size()) slots *= 2;
    tab.shift = 64;
    for (std::size_t s = slots; s > 1; s /= 2) --tab.shift;
    tab.key = Kokkos::View<std::uint64_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::sic::key"), slots);
    tab.row_at = Kokkos::View<std::int32_t*>("cajal::sic::row_at", slots);
    auto key = Kokkos::create_mirror_view(tab.key);
    auto row_at = Kokkos::create_mirror_view(tab.row_at);
    Kokkos::deep_copy(key, Table::free_slot);
    for (std::size_t r = 0; r < ids.size(); ++r) {
      std::size_t at = Table::slot_of(ids[r], tab.shift);
      while (key(at) != Table::free_slot) at = (at + 1) & (slots - 1);
      key(at) = ids[r];
      row_at(at) = static_cast<std::int32_t>(r);
    }
    Kokkos::deep_copy(tab.key, key);
    Kokkos::deep_copy(tab.row_at, row_at);
  }
  // Per projection: each target's table rows, ascending, with their connection counts.
  for (Gather& gth : gathers_) {
    const Projection& pj = net_.projections[gth.proj];
    const auto& ids = table_ids[gth.table];
    const HostSourceRows src = pj.rows.on_host();
    const HostTargets tgt = pj.target.on_host();
    const std::size_t nt = net_.pops[pj.post]->local_size, nsrc = src.rows();
    std::vector<std::uint64_t> off(nt + 1, 0);
    std::vector<std::uint32_t> tr(tgt.extent(0));
    for (std::size_t j = 0; j < tgt.extent(0); ++j) ++off[tgt(j) + 1];
    for (std::size_t li = 0; li < nt; ++li) off[li + 1] += off[li];
    std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
    for (std::size_t r = 0; r < nsrc; ++r) {
      // Sources ascend, and so do table rows: each target's rows come out ascending.
      const auto tab_row = static_cast<std::uint32_t>(std::lower_bound(ids.begin(), ids.end(), src.id(r)) - ids.begin());
      const auto span = src.span(r);
      for (std::uint64_t j = span.b; j < span.e; ++j) tr[fill[tgt(j)]++] = tab_row;
    }
    // Merge equal neighbours.
    std::vector<std::uint64_t> uoff(nt + 1, 0);
    std::vector<std::uint32_t> urow, ucount;
    for (std::size_t li = 0; li < nt; ++li) {
      for (std::uint64_t j = off[li]; j < off[li + 1]; ++j) {
        if (j > off[li] && tr[j] == tr[j - 1]) ++ucount.back();
        else {
          urow.push_back(tr[j]);
          ucount.push_back(1);
        }
      }
      uoff[li + 1] = urow.size();
    }
    gth.toff = Kokkos::View<std::uint64_t*>("cajal::sic::toff", nt + 1);
    gth.trow = Kokkos::View<std::uint32_t*>("cajal::sic::trow", urow.size());
    gth.tcount = Kokkos::View<std::uint32_t*>("cajal::sic::tcount", ucount.size());
    upload(gth.toff, uoff);
    upload(gth.trow, urow);
    upload(gth.tcount, ucount);
  }
}


/// Records: one for each local astrocyte with a non-zero SIC in the interval's
/// `steps` steps, in cell order (a scan over the cells' flags places them); steps beyond
/// them (a short last interval) send 0.
void SicCoupling::pack(int steps) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  const std::size_t W = 1 + static_cast<std::size_t>(m_);
  std::uint64_t* const rec = local_.data();
  std::size_t n = 0;
  for (const Source& src : sources_) {
    Kokkos::deep_copy(src.out, net_.pops[src.pop]->sic_out);
    const auto out = src.out;
    const auto gid = src.gid;
    const std::size_t first = n;
    std::size_t count = 0;
    Kokkos::parallel_scan(
        "cajal::sic::pack", Kokkos::RangePolicy<Host>(0, out.extent(0)),
        [=](const std::size_t i, std::size_t& at, const bool final) {
          bool any = false;
          for (int k = 0; k < steps && !any; ++k) any = out(i, k) != 0.0;
          if (!any) return;
          if (final) {
            std::uint64_t* const r = rec + (first + at) * W;
            r[0] = pack_spike(gid(i), 0);
            std::memcpy(r + 1, &out(i, 0), static_cast<std::size_t>(steps) * sizeof(double));
            std::fill(r + 1 + steps, r + W, std::uint64_t(0));
          }
          ++at;
        },
        count);
    n += count;
  }
  records_ = n;
}

/// deliver (SIC): every SIC record this rank needs into the SIC port of its targets.
void SicCoupling::deliver(const std::vector<std::uint64_t>& recs, std::int64_t t0) {
  const std::size_t W = 1 + static_cast<std::size_t>(m_), n = recs.size() / W;
  if (n == 0) return;
  if (incoming_.extent(0) < recs.size()) {  // grows rarely: capacity doubles
    incoming_ = Kokkos::View<std::uint64_t*>("cajal::sim::sic_incoming", 2 * recs.size());
    incoming_host_ = Kokkos::create_mirror_view(incoming_);
  }
  std::copy(recs.begin(), recs.end(), incoming_host_.data());
  const auto sub = std::make_pair(std::size_t(0), recs.size());
  Kokkos::deep_copy(Kokkos::subview(incoming_, sub), Kokkos::subview(incoming_host_, sub));
  const auto rec = incoming_;
  const int M = m_;
  // 1. each table: the interval's values w x SIC by row and step
  for (const Table& table : tables_) {
    const Table tab = table;  // by value into the kernel
    const std::uint64_t first = net_.part.first_gid(tab.pre), n_pre = net_.part.size(tab.pre);
    Kokkos::parallel_for(
        "cajal::exchange::sic_table", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(const std::size_t k) {
          const std::uint64_t g = spike_gid(rec(W * k));
          if (g < first || g - first >= n_pre) return;
          const std::int64_t r = tab.row(g - first);
          if (r < 0) return;
          for (int q = 0; q < M; ++q) {
            const std::uint64_t bits = rec(W * k + 1 + q);
            double value;
            memcpy(&value, &bits, sizeof value);
            tab.F(r, q) = to_fixed(tab.weight * value);
          }
          tab.filled(r) = t0;
        });
  }
  // 2. each projection's targets sum their rows, slot by slot
  for (const Gather& gth : gathers_) {
    const Projection& pj = net_.projections[gth.proj];
    const auto F = tables_[gth.table].F;
    const auto filled = tables_[gth.table].filled;
    const auto toff = gth.toff;
    const auto trow = gth.trow;
    const auto tcount = gth.tcount;
    const auto ring = net_.pops[pj.post]->ring;
    const int port = pj.receptor;
    const std::size_t nt = net_.pops[pj.post]->local_size;
    RingSlots slot;
    for (int q = 0; q < M; ++q) slot.at[q] = static_cast<int>((t0 + pj.delay_steps + q) % net_.ring_size);
    Kokkos::parallel_for(
        "cajal::exchange::sic_gather", Kokkos::RangePolicy<>(0, nt), KOKKOS_LAMBDA(const std::size_t li) {
          // The M ring rows are M streams, a population apart: more than the hardware
          // prefetcher follows.
          if (li % 8 == 0 && li + 32 < nt)
            for (int q = 0; q < M; ++q) prefetch(&ring(port, slot.at[q], li + 32));
          std::int64_t acc[64] = {};  // m <= 64: Schedule caps the interval
          bool any = false;
          for (std::uint64_t j = toff(li); j < toff(li + 1); ++j) {
            const std::uint32_t r = trow(j);
            if (filled(r) != t0) continue;
            any = true;
            const std::int64_t c = tcount(j);
            for (int q = 0; q < M; ++q) acc[q] += c * F(r, q);
          }
          if (!any) return;
          for (int q = 0; q < M; ++q) ring(port, slot.at[q], li) += acc[q];
        });
  }
  for (std::size_t i = 0; i < net_.projections.size(); ++i) {
    const Projection& pj = net_.projections[i];
    if (!pj.sic || gathered(pj)) continue;
    const TargetSlices slices = net_.slices[i];
    DeliverSic f{incoming_,         pj.rows,       pj.target,       pj.weight,      pj.delay,
                 net_.pops[pj.post]->ring, slices, pj.pre_first_gid, net_.part.size(pj.pre), t0,
                 pj.weight_value,   pj.delay_steps, net_.ring_size,  pj.receptor, m_,          n};
    Kokkos::parallel_for("cajal::exchange::deliver_sic", Kokkos::RangePolicy<>(0, slices.count), f);
  }
}


}  // namespace cajal
