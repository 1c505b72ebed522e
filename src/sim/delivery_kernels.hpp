#pragma once
/// Delivery kernels: one Kokkos functor per kind of synapse, each adding the synapses of
/// the interval's incoming spikes (or SIC records) into the target populations' ring
/// buffers, in fixed point (so the sums are exact and independent of order and ranks).
/// The stages that launch them: EventDelivery (spikes) and SicCoupling (SIC records).
///
/// Threads without atomics: a kernel runs once per *target slice* (TargetSlices), a
/// contiguous range of the population's local cells, and each slice walks every spike but
/// adds only the synapses whose target it owns. No two threads write the same ring entry,
/// so no add is atomic and nothing is duplicated; the integer sums are the same for any
/// number of slices. A source row lists its targets in ascending order (connectivity.cpp
/// fills rows target by target), so each slice's part of a row is one range, found in a
/// table (TargetSlices). Measured on brunel, 1 rank, 2 OpenMP threads (deliver phase):
/// ScatterView with atomics 7.2 s, duplicated ScatterView 1.35 s (its per-interval
/// contribute sums whole rings), slices 0.58-0.71 s; one thread 0.83-0.94 s.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "model/population.hpp"
#include "network/connectivity.hpp"
#include "util/backend.hpp"
#include "util/lanes.hpp"

namespace cajal {

/// A population's ring buffer (receptor, slot, cell).
using Ring = Kokkos::View<std::int64_t***, Kokkos::LayoutRight>;

/// How delivery cuts one projection's targets among threads: `count` slices of the
/// population's `cells` local cells, slice s holding [lo(s), lo(s + 1)), and for every source row
/// r the offsets in the row where slices 1 .. count-1 begin (split(r, s - 1)). The table is
/// computed once, after the build; looking the offsets up costs one cache line per spike
/// and slice, where a search of the row cost several dependent misses (measured on brunel,
/// 1 thread, 2 slices: a binary search added 27 % to deliver, a galloping search from the
/// interpolated position 22 %).
///
/// On a device backend (CAJAL_DEVICE_BACKEND) a slice is instead every count-th synapse of
/// each row (synapse b + s, b + s + count, ...): thousands of threads would need a split
/// table thousands of columns wide, and a row is short against them. Slices then share
/// targets, so their adds to the ring are atomic (ring_add); the sums are integers, the
/// same in any order. Each synapse still belongs to exactly one slice, so synapse state
/// (STDP, STP) is updated by one thread in spike order, as on the host.
struct TargetSlices {
  int count = 1;
  std::uint64_t cells = 0;
  Kokkos::View<const std::uint32_t**, Kokkos::LayoutRight> split;  // (rows, count - 1); host backends
  KOKKOS_INLINE_FUNCTION std::uint32_t lo(int s) const { return static_cast<std::uint32_t>(cells * s / count); }

  /// The synapses of slice s in row r, whose synapses are [b, e): b, b + step, ... below e.
  struct Part {
    std::uint64_t b, e;
#ifdef CAJAL_DEVICE_BACKEND
    std::uint64_t step;
#else
    static constexpr std::uint64_t step = 1;
#endif
    KOKKOS_INLINE_FUNCTION std::uint64_t size() const { return e > b ? (e - b + step - 1) / step : 0; }
  };
  KOKKOS_INLINE_FUNCTION Part of_row(int s, std::uint64_t r, std::uint64_t b, std::uint64_t e) const {
#ifdef CAJAL_DEVICE_BACKEND
    (void)r;
    return {b + static_cast<std::uint64_t>(s), e, static_cast<std::uint64_t>(count)};
#else
    if (count == 1) return {b, e};
    return {s == 0 ? b : b + split(r, s - 1), s + 1 == count ? e : b + split(r, s)};
#endif
  }
};

/// Adds v to a ring entry: plainly on host backends (one slice per target), atomically on
/// a device backend (slices share targets; see TargetSlices).
KOKKOS_FORCEINLINE_FUNCTION void ring_add(std::int64_t& entry, std::int64_t v) {
#ifdef CAJAL_DEVICE_BACKEND
  Kokkos::atomic_add(&entry, v);
#else
  entry += v;
#endif
}

/// Slices for projection `pj` into a population of `cells` local cells: on a host backend,
/// one per thread of the default execution space (each walks all spikes, so more slices
/// than threads only add walks), at most one per cell, at least one; on a device backend,
/// device_slices interleaved slices (no table).
TargetSlices target_slices(const Projection& pj, std::uint64_t cells);

/// Interleaved slices per projection on a device backend: enough threads to fill an H100 or
/// H200's 132 SMs several times over while each still walks the interval's spikes. Not yet
/// tuned on a GPU.
constexpr int device_slices = 16384;

/// Adds every synapse of every incoming spike of one projection into the target's ring
/// buffer, for the targets of one slice (the index of the kernel). Constant weights and
/// delays are template switches, so the common case reads only the target index per
/// synapse (2 or 4 bytes: walk is a template on its width, Targets).
template <bool ConstW, bool ConstD>
struct Deliver {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> spikes;
  SourceRows rows;
  Targets target;
  Kokkos::View<const float*> weight;
  Kokkos::View<const std::uint16_t*> delay;
  Ring ring;
  TargetSlices slices;
  std::uint64_t first, n_pre;
  std::int64_t t0, weight_fixed;
  int delay_steps, ring_size, receptor;

  KOKKOS_INLINE_FUNCTION void operator()(const int s, std::uint64_t& events) const {
    if (target.narrow.extent(0)) events += walk(s, target.narrow.data());
    else events += walk(s, target.wide.data());
  }

  /// The slice's adds, reading targets of type Index (16- or 32-bit, Targets).
  template <class Index>
  KOKKOS_INLINE_FUNCTION std::uint64_t walk(const int s, const Index* const tgt) const {
    // Locals, not members: the stores into the ring (int64) may alias the functor's int64
    // members for all the compiler knows, which would reload them for every synapse.
    const std::int64_t w_fixed = weight_fixed;
    const int rs = ring_size, ds = delay_steps;
    std::uint64_t n = 0;
    for (std::size_t k = 0; k < spikes.extent(0); ++k) {
      const std::uint64_t sp = spikes(k);
      const std::uint64_t g = spike_gid(sp);
      if (g < first || g - first >= n_pre) continue;
      const std::int64_t r = rows.find(g - first);
      if (r < 0) continue;
      const auto lo = static_cast<std::size_t>(r);
      const auto span = rows.span(lo);
      const auto part = slices.of_row(s, lo, span.b, span.e);
      const int base = static_cast<int>((t0 + spike_offset(sp)) % rs);
      n += part.size();
      if (ConstD) {
        int slot = base + ds;
        if (slot >= rs) slot -= rs;
        std::int64_t* const dst = &ring(receptor, slot, 0);
        for (std::uint64_t j = part.b; j < part.e; j += part.step) ring_add(dst[tgt[j]], ConstW ? w_fixed : to_fixed(weight(j)));
      } else {
        // Drawn delays scatter a row's adds over many slots, each a population of cells
        // wide: nearly every add misses the cache. The entry `ahead` synapses on is
        // requested early, so that many misses are in flight at once. PD14, 2 ranks, 1.5 s,
        // deliver phase (same sitting): 8.2-8.3 s without, 7.1-7.6 s at 16, 6.2-7.0 s at 32,
        // 5.8-7.6 s at 64.
        constexpr std::uint64_t ahead = 32;
        const std::uint64_t pf_end = part.e > ahead ? part.e - ahead : 0;
        for (std::uint64_t j = part.b; j < part.e; j += part.step) {
          if (j < pf_end) {
            int pslot = base + delay(j + ahead);
            if (pslot >= rs) pslot -= rs;
            prefetch(&ring(receptor, pslot, tgt[j + ahead]));
          }
          int slot = base + delay(j);
          if (slot >= rs) slot -= rs;
          ring_add(ring(receptor, slot, tgt[j]), ConstW ? w_fixed : to_fixed(weight(j)));
        }
      }
    }
    return n;
  }
};

/// A double sent as a record's word (sim/presynaptic_state.hpp).
KOKKOS_INLINE_FUNCTION double word_to_double(std::uint64_t w) {
  double v;
  std::memcpy(&v, &w, sizeof v);
  return v;
}

/// group_row of a group whose source has no row in the projection (its records skipped).
constexpr std::uint32_t no_row = ~std::uint32_t(0);

/// Delivers the spikes of one plastic projection, one source row at a time: the spikes of
/// a source are processed in time order (they share its synapses), each updating every
/// synapse of the row by the STDP rule before delivering its new weight. `records` are
/// the interval's stateful records (`width` words each, sorted by packed spike): each
/// carries the source's t_last (word 1) and K+ (word `slot`) before that spike, from its
/// owner, so no row keeps them. Group g, the records [group_first(g), group_first(g + 1)),
/// are the spikes of source row group_row(g) (no_row: a source without a row here). The
/// kernel's index is a target slice: each updates its own synapses.
struct DeliverPlastic {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> records;
  Kokkos::View<const std::uint32_t*> group_first, group_row;  // group_first: one more than group_row
  SourceRows rows;
  Targets target;
  Kokkos::View<const std::uint16_t*> delay;
  Kokkos::View<double*> weight;
  Kokkos::View<std::int64_t> lost;
  StdpRule rule;
  PostHistory history;
  Ring ring;
  TargetSlices slices;
  std::int64_t t0;
  int width, slot, delay_steps, ring_size, receptor;
  // Astrocyte-gated STDP: each synapse's astrocyte (table index, -1: none) and the gates.
  Kokkos::View<const std::int64_t*> third;
  Kokkos::View<const double*> gate;

  KOKKOS_INLINE_FUNCTION void operator()(const int s, std::uint64_t& events) const {
    const bool const_d = delay.extent(0) == 0;
    int lost_here = 0;
    for (std::size_t g = 0; g < group_row.extent(0); ++g) {
      const std::uint64_t r = group_row(g);
      if (r == no_row) continue;
      const auto span = rows.span(r);
      const auto part = slices.of_row(s, r, span.b, span.e);
      for (std::uint64_t k = group_first(g); k < group_first(g + 1); ++k) {
        const std::uint64_t* rec = &records(k * width);
        const int off = spike_offset(rec[0]);
        const std::int64_t stamp = t0 + off + 1, tl = static_cast<std::int64_t>(rec[1]);
        const double kp = word_to_double(rec[slot]);
        const int base = static_cast<int>((t0 + off) % ring_size);
        for (std::uint64_t j = part.b; j < part.e; j += part.step) {
          const int d = const_d ? delay_steps : delay(j);
          const std::uint32_t post = target(j);
          const double gj = third.extent(0) && third(j) >= 0 ? gate(third(j)) : 1.0;
          const double w = rule.on_pre_spike(history, post, weight(j), kp, tl, stamp, d, lost_here, gj);
          weight(j) = w;
          int at = base + d;
          if (at >= ring_size) at -= ring_size;
          ring_add(ring(receptor, at, post), to_fixed(w));
        }
        events += part.size();
      }
    }
    if (lost_here) Kokkos::atomic_add(&lost(), static_cast<std::int64_t>(lost_here));
  }
};

/// Delivers the spikes of one projection with short-term plasticity, one source row at a
/// time (as DeliverPlastic, slice by slice): each spike advances the state of every synapse
/// of the row over the time since the source's previous spike (word 1 of its record) and
/// delivers the released fraction x weight. `Dynamics` is the synapse kind: factors(steps)
/// once per spike and row, then release(factors, j) per synapse.
template <class Dynamics>
struct DeliverShortTerm {
  using value_type = std::uint64_t;
  Kokkos::View<const std::uint64_t*> records;
  Kokkos::View<const std::uint32_t*> group_first, group_row;  // group_first: one more than group_row
  SourceRows rows;
  Targets target;
  Kokkos::View<const std::uint16_t*> delay;
  Kokkos::View<const float*> weight;
  Dynamics dyn;
  Ring ring;
  TargetSlices slices;
  std::int64_t t0;
  double weight_value;
  int width, delay_steps, ring_size, receptor;

  KOKKOS_INLINE_FUNCTION void operator()(const int s, std::uint64_t& events) const {
    for (std::size_t g = 0; g < group_row.extent(0); ++g) {
      const std::uint64_t r = group_row(g);
      if (r == no_row) continue;
      const auto span = rows.span(r);
      const auto part = slices.of_row(s, r, span.b, span.e);
      for (std::uint64_t k = group_first(g); k < group_first(g + 1); ++k) {
        const std::uint64_t* rec = &records(k * width);
        const int off = spike_offset(rec[0]);
        const std::int64_t stamp = t0 + off + 1;
        const auto f = dyn.factors(stamp - static_cast<std::int64_t>(rec[1]));
        const int base = static_cast<int>((t0 + off) % ring_size);
        for (std::uint64_t j = part.b; j < part.e; j += part.step) {
          const double w = (weight.extent(0) ? static_cast<double>(weight(j)) : weight_value) * dyn.release(f, j);
          int slot = base + (delay.extent(0) ? static_cast<int>(delay(j)) : delay_steps);
          if (slot >= ring_size) slot -= ring_size;
          ring_add(ring(receptor, slot, target(j)), to_fixed(w));
        }
        events += part.size();
      }
    }
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
  SourceRows rows;
  Targets target;
  Kokkos::View<const float*> weight;
  Kokkos::View<const std::uint16_t*> delay;
  Ring ring;
  TargetSlices slices;
  std::uint64_t first, n_pre;
  std::int64_t t0;
  double weight_value;
  int delay_steps, ring_size, receptor, m;
  std::size_t n;  // records

  KOKKOS_INLINE_FUNCTION void operator()(const int s) const {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t at = k * static_cast<std::size_t>(m + 1);
      const std::uint64_t g = spike_gid(records(at));
      if (g < first || g - first >= n_pre) continue;
      const std::int64_t r = rows.find(g - first);
      if (r < 0) continue;
      const auto lo = static_cast<std::size_t>(r);
      const auto span = rows.span(lo);
      const auto part = slices.of_row(s, lo, span.b, span.e);
      for (int q = 0; q < m; ++q) {
        const std::uint64_t bits = records(at + 1 + q);
        if (bits == 0) continue;  // +0.0: nothing to add
        double value;
        memcpy(&value, &bits, sizeof value);
        const int base = static_cast<int>((t0 + q) % ring_size);
        for (std::uint64_t j = part.b; j < part.e; j += part.step) {
          int slot = base + (delay.extent(0) ? static_cast<int>(delay(j)) : delay_steps);
          if (slot >= ring_size) slot -= ring_size;
          const double w = weight.extent(0) ? static_cast<double>(weight(j)) : weight_value;
          ring_add(ring(receptor, slot, target(j)), to_fixed(w * value));
        }
      }
    }
  }
};
}  // namespace cajal
