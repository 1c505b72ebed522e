#pragma once
/// Delivery kernels: one Kokkos functor per kind of synapse, each adding the synapses of
/// the interval's incoming spikes (or SIC records) into the target populations' ring
/// buffers, in fixed point (so the sums are exact and independent of order and ranks).
/// The stages that launch them: EventDelivery (spikes) and SicCoupling (SIC records).
#include <Kokkos_Core.hpp>
#include <Kokkos_ScatterView.hpp>
#include <cstdint>
#include <cstring>

#include "model/population.hpp"
#include "network/connectivity.hpp"

namespace cajal {

/// A population's ring buffer (receptor, slot, cell) as a scatter target.
using RingScatter = Kokkos::Experimental::ScatterView<std::int64_t***, Kokkos::LayoutRight,
                                                      Kokkos::DefaultExecutionSpace, Kokkos::Experimental::ScatterSum,
                                                      Kokkos::Experimental::ScatterNonDuplicated>;

/// The row of source `id` in a projection's sorted source list, or -1 when the source has
/// no targets here: its own index when every source has targets here (dense random
/// connectivity: `sources` then holds all n_pre ids), else a binary search.
KOKKOS_INLINE_FUNCTION std::int64_t source_row(const Kokkos::View<const std::uint64_t*>& sources, std::uint64_t n_pre,
                                               std::uint64_t id) {
  std::size_t lo = 0, hi = sources.extent(0);
  if (hi == n_pre) return static_cast<std::int64_t>(id);
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (sources(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < sources.extent(0) && sources(lo) == id ? static_cast<std::int64_t>(lo) : -1;
}

/// Adds every synapse of every incoming spike of one projection into the target's ring
/// buffer. Constant weights and delays are template switches, so the common case reads
/// only the 4-byte target index per synapse.
template <bool ConstW, bool ConstD>
struct Deliver {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> spikes;
  Kokkos::View<const std::uint64_t*> sources, row;
  Kokkos::View<const std::uint32_t*> target;
  Kokkos::View<const float*> weight;
  Kokkos::View<const std::uint16_t*> delay;
  RingScatter ring;
  std::uint64_t first, n_pre;
  std::int64_t t0, weight_fixed;
  int delay_steps, ring_size, receptor;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t k, std::uint64_t& events) const {
    const std::uint64_t s = spikes(k);
    const std::uint64_t g = spike_gid(s);
    if (g < first || g - first >= n_pre) return;
    const std::int64_t r = source_row(sources, n_pre, g - first);
    if (r < 0) return;
    const std::size_t lo = static_cast<std::size_t>(r);
    auto acc = ring.access();
    const int base = static_cast<int>((t0 + spike_offset(s)) % ring_size);
    const std::uint64_t b = row(lo), e = row(lo + 1);
    events += e - b;
    if (ConstD) {
      int slot = base + delay_steps;
      if (slot >= ring_size) slot -= ring_size;
      for (std::uint64_t j = b; j < e; ++j)
        acc(receptor, slot, target(j)) += ConstW ? weight_fixed : to_fixed(weight(j));
    } else {
      for (std::uint64_t j = b; j < e; ++j) {
        int slot = base + delay(j);
        if (slot >= ring_size) slot -= ring_size;
        acc(receptor, slot, target(j)) += ConstW ? weight_fixed : to_fixed(weight(j));
      }
    }
  }
};

/// Delivers the spikes of one plastic projection, one source row at a time: the spikes of
/// a source are processed in time order (they share its trace and its synapses), each
/// updating every synapse of the row by the STDP rule before delivering its new weight.
/// `group_first/last` delimit, in the sorted spike list, the spikes of source row
/// `group_row`.
struct DeliverPlastic {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> spikes, group_first, group_last, group_row;
  Kokkos::View<const std::uint64_t*> row;
  Kokkos::View<const std::uint32_t*> target;
  Kokkos::View<const std::uint16_t*> delay;
  Kokkos::View<double*> weight, kplus;
  Kokkos::View<std::int64_t*> t_last;
  Kokkos::View<std::int64_t> lost;
  StdpRule rule;
  PostHistory history;
  RingScatter ring;
  std::int64_t t0;
  int delay_steps, ring_size, receptor;
  // Astrocyte-gated STDP: each synapse's astrocyte (table index, -1: none) and the gates.
  Kokkos::View<const std::int64_t*> third;
  Kokkos::View<const double*> gate;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t g, std::uint64_t& events) const {
    const std::uint64_t r = group_row(g), b = row(r), e = row(r + 1);
    const bool const_d = delay.extent(0) == 0;
    double kp = kplus(r);
    std::int64_t tl = t_last(r);
    int lost_here = 0;
    auto acc = ring.access();
    for (std::uint64_t k = group_first(g); k < group_last(g); ++k) {
      const int off = spike_offset(spikes(k));
      const std::int64_t stamp = t0 + off + 1;
      const int base = static_cast<int>((t0 + off) % ring_size);
      for (std::uint64_t j = b; j < e; ++j) {
        const int d = const_d ? delay_steps : delay(j);
        const std::uint32_t post = target(j);
        const double gj = third.extent(0) && third(j) >= 0 ? gate(third(j)) : 1.0;
        const double w = rule.on_pre_spike(history, post, weight(j), kp, tl, stamp, d, lost_here, gj);
        weight(j) = w;
        int slot = base + d;
        if (slot >= ring_size) slot -= ring_size;
        acc(receptor, slot, post) += to_fixed(w);
      }
      events += e - b;
      rule.advance_trace(kp, tl, stamp);
    }
    kplus(r) = kp;
    t_last(r) = tl;
    if (lost_here) Kokkos::atomic_add(&lost(), static_cast<std::int64_t>(lost_here));
  }
};

/// Delivers the spikes of one projection with short-term plasticity, one source row at a
/// time (as DeliverPlastic): each spike advances the state of every synapse of the row over
/// the time since the source's previous spike and delivers the released fraction × weight.
/// `Dynamics` is the synapse kind: factors(steps) once per spike and row, then
/// release(factors, j) per synapse.
template <class Dynamics>
struct DeliverShortTerm {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> spikes, group_first, group_last, group_row;
  Kokkos::View<const std::uint64_t*> row;
  Kokkos::View<const std::uint32_t*> target;
  Kokkos::View<const std::uint16_t*> delay;
  Kokkos::View<const float*> weight;
  Kokkos::View<std::int64_t*> t_last;
  Dynamics dyn;
  RingScatter ring;
  std::int64_t t0;
  double weight_value;
  int delay_steps, ring_size, receptor;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t g, std::uint64_t& events) const {
    const std::uint64_t r = group_row(g), b = row(r), e = row(r + 1);
    std::int64_t tl = t_last(r);
    auto acc = ring.access();
    for (std::uint64_t k = group_first(g); k < group_last(g); ++k) {
      const int off = spike_offset(spikes(k));
      const std::int64_t stamp = t0 + off + 1;
      const auto f = dyn.factors(stamp - tl);
      const int base = static_cast<int>((t0 + off) % ring_size);
      for (std::uint64_t j = b; j < e; ++j) {
        const double w = (weight.extent(0) ? static_cast<double>(weight(j)) : weight_value) * dyn.release(f, j);
        int slot = base + (delay.extent(0) ? static_cast<int>(delay(j)) : delay_steps);
        if (slot >= ring_size) slot -= ring_size;
        acc(receptor, slot, target(j)) += to_fixed(w);
      }
      events += e - b;
      tl = stamp;
    }
    t_last(r) = tl;
  }
};

/// tsodyks_synapse: u, x, y per synapse (NEST's three-state model).
struct TsodyksDynamics {
  TsodyksRule rule;
  Kokkos::View<double*> u, x, y;
  KOKKOS_INLINE_FUNCTION TsodyksRule::Factors factors(std::int64_t n) const { return rule.factors(n); }
  KOKKOS_INLINE_FUNCTION double release(const TsodyksRule::Factors& f, std::uint64_t j) const {
    return rule.on_spike(f, u(j), x(j), y(j));
  }
};

/// tripartite_synapse: u, x per synapse, release modulated by the Gamma_S snapshot of the
/// synapse's astrocyte (table index `third`, -1: none).
struct GlioDynamics {
  GlioRule rule;
  Kokkos::View<double*> u, x;
  Kokkos::View<const std::int64_t*> third;
  Kokkos::View<const double*> gamma;
  KOKKOS_INLINE_FUNCTION GlioRule::Factors factors(std::int64_t n) const { return rule.factors(n); }
  KOKKOS_INLINE_FUNCTION double release(const GlioRule::Factors& f, std::uint64_t j) const {
    return rule.on_spike(f, u(j), x(j), third(j) >= 0 ? gamma(third(j)) : 0.0);
  }
};

/// Adds the SIC records of one sic_connection projection with drawn weights or delays into
/// the SIC port of the targets' ring buffers: weight × value, in fixed point, at step
/// t_emit + delay. A record is one astrocyte's interval: its packed gid (offset 0), then
/// the bits of its m values, one per step. (One weight and one delay: SicGather, below.)
struct DeliverSic {
  Kokkos::View<const std::uint64_t*> records;
  Kokkos::View<const std::uint64_t*> sources, row;
  Kokkos::View<const std::uint32_t*> target;
  Kokkos::View<const float*> weight;
  Kokkos::View<const std::uint16_t*> delay;
  RingScatter ring;
  std::uint64_t first, n_pre;
  std::int64_t t0;
  double weight_value;
  int delay_steps, ring_size, receptor, m;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t k) const {
    const std::size_t at = k * static_cast<std::size_t>(m + 1);
    const std::uint64_t g = spike_gid(records(at));
    if (g < first || g - first >= n_pre) return;
    const std::int64_t r = source_row(sources, n_pre, g - first);
    if (r < 0) return;
    const std::size_t lo = static_cast<std::size_t>(r);
    auto acc = ring.access();
    const std::uint64_t b = row(lo), e = row(lo + 1);
    for (int q = 0; q < m; ++q) {
      const std::uint64_t bits = records(at + 1 + q);
      if (bits == 0) continue;  // +0.0: nothing to add
      double value;
      memcpy(&value, &bits, sizeof value);
      const int base = static_cast<int>((t0 + q) % ring_size);
      for (std::uint64_t j = b; j < e; ++j) {
        int slot = base + (delay.extent(0) ? static_cast<int>(delay(j)) : delay_steps);
        if (slot >= ring_size) slot -= ring_size;
        const double w = weight.extent(0) ? static_cast<double>(weight(j)) : weight_value;
        acc(receptor, slot, target(j)) += to_fixed(w * value);
      }
    }
  }
};
}  // namespace cajal
