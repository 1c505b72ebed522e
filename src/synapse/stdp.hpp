#pragma once
// Spike-timing-dependent plasticity with NEST's semantics (stdp_synapse,
// stdp_pl_synapse_hom), computed on the target side at delivery.
//
// Times are integer steps; a spike emitted in step s has the stamp s + 1 (NEST's spike
// time (s + 1)·dt). The whole delay d is dendritic (NEST's default): the presynaptic spike
// reaches the synapse at its stamp, the postsynaptic spike reaches it d steps after its
// stamp. When a presynaptic spike with stamp t is delivered, its synapse
//   1. facilitates once for each postsynaptic spike t_post with t_last - d < t_post <= t - d,
//      in time order: w <- facilitate(w, K+ · e^{-(t_post + d - t_last)·dt/τ+}),
//   2. depresses once: w <- depress(w, K-(t - d)), where K-(u) is the postsynaptic trace
//      from spikes strictly before u,
//   3. delivers w, and the presynaptic trace becomes K+ <- K+ e^{-(t - t_last)·dt/τ+} + 1.
// K+ and t_last depend only on the presynaptic spike train, so the source's owner keeps
// them, once per cell, and sends them with each spike (sim/presynaptic_state.hpp); a
// synapse stores only its weight (double) and target.
// A source that has never spiked has K+ = 0 and skips step 1 (NEST runs it with K+ = 0,
// which changes nothing for stdp_pl_synapse_hom and can round w/Wmax·Wmax for stdp_synapse).
//
// The postsynaptic side keeps, per cell, the stamps of its last `capacity` spikes and the
// trace K- just after each (PostHistory). Every quantity is computed from integers and the
// same decay tables on every rank, so weights are identical for any number of ranks.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>

#include "util/kmath.hpp"

namespace cajal {

/// e^{-n·dt/τ} for integer n ≥ 0: tabulated for small n, computed beyond; both paths use
/// the same expression, so a value never depends on which one served it.
struct Decay {
  static constexpr int table_len = 8192;
  Kokkos::View<double*> table;
  Kokkos::View<double*>::HostMirror host;  // the same values on the host (the same view on host backends)
  double dt_over_tau = 0;

  static Decay make(double dt, double tau) {
    Decay d;
    d.dt_over_tau = dt / tau;
    d.table = Kokkos::View<double*>("cajal::stdp::decay", table_len);
    auto h = Kokkos::create_mirror_view(d.table);
    for (int n = 0; n < table_len; ++n) h(n) = std::exp(-(static_cast<double>(n) * d.dt_over_tau));
    Kokkos::deep_copy(d.table, h);
    d.host = h;
    return d;
  }
  KOKKOS_INLINE_FUNCTION double operator()(std::int64_t n) const {
    return n < table_len ? table(n) : kmath::exp(-(static_cast<double>(n) * dt_over_tau));
  }
  /// The same on the host, for a backend whose memory the host cannot read.
  double on_host(std::int64_t n) const {
    return n < table_len ? host(n) : kmath::exp(-(static_cast<double>(n) * dt_over_tau));
  }
};

/// The recent spikes of every cell of one population, for plastic synapses onto it.
struct PostHistory {
  static constexpr int capacity = 32;
  Kokkos::View<std::int64_t**, Kokkos::LayoutRight> t;  // (cell, capacity): stamps, a ring
  Kokkos::View<double**, Kokkos::LayoutRight> kminus;   // K- just after that spike
  Kokkos::View<std::int64_t**, Kokkos::LayoutRight> total;  // (cell, 1): spikes recorded so far
  Decay minus;                                          // e^{-n dt/τ-}
  bool on = false;  // the same on every rank, also one without cells

  bool enabled() const { return on; }
  static PostHistory make(std::size_t cells, double dt, double tau_minus) {
    PostHistory h;
    h.t = decltype(h.t)("cajal::stdp::post_t", cells, capacity);
    h.kminus = decltype(h.kminus)("cajal::stdp::post_kminus", cells, capacity);
    h.total = decltype(h.total)("cajal::stdp::post_total", cells, 1);
    h.minus = Decay::make(dt, tau_minus);
    h.on = true;
    return h;
  }

  /// Cell i spiked with stamp `stamp` (later than any recorded before).
  KOKKOS_INLINE_FUNCTION void record(std::size_t i, std::int64_t stamp) const {
    const std::int64_t n = total(i, 0);
    double k = 1.0;
    if (n > 0) {
      const int last = static_cast<int>((n - 1) % capacity);
      k = kminus(i, last) * minus(stamp - t(i, last)) + 1.0;
    }
    const int s = static_cast<int>(n % capacity);
    t(i, s) = stamp;
    kminus(i, s) = k;
    total(i, 0) = n + 1;
  }

  /// K- of cell i at time u from its spikes strictly before u. `lost` counts a query whose
  /// spike has been overwritten (more than `capacity` spikes since): then 0 is used.
  KOKKOS_INLINE_FUNCTION double kminus_at(std::size_t i, std::int64_t u, int& lost) const {
    const std::int64_t n = total(i, 0), lo = n > capacity ? n - capacity : 0;
    for (std::int64_t e = n - 1; e >= lo; --e) {
      const int s = static_cast<int>(e % capacity);
      if (t(i, s) < u) return kminus(i, s) * minus(u - t(i, s));
    }
    if (lo > 0) ++lost;
    return 0.0;
  }

  /// The entries of cell i with a < stamp <= b, as a chronological range [first, last) of
  /// entry numbers (entry e lives in slot e % capacity). `lost` counts a range that may
  /// have lost its oldest spikes.
  KOKKOS_INLINE_FUNCTION void window(std::size_t i, std::int64_t a, std::int64_t b, std::int64_t& first,
                                     std::int64_t& last, int& lost) const {
    const std::int64_t n = total(i, 0), lo = n > capacity ? n - capacity : 0;
    std::int64_t e = n - 1;
    while (e >= lo && t(i, static_cast<int>(e % capacity)) > b) --e;
    last = e + 1;
    while (e >= lo && t(i, static_cast<int>(e % capacity)) > a) --e;
    first = e + 1;
    if (e < lo && lo > 0) ++lost;  // spikes older than the oldest kept may lie in (a, b]
  }
};

/// The weight rule of a plastic projection.
struct StdpRule {
  enum Kind { stdp = 0, power_law = 1 };
  int kind = stdp;
  double lambda = 0, alpha = 0, mu_plus = 0, mu_minus = 0, Wmax = 0, mu = 0;
  Decay plus;  // e^{-n dt/τ+}

  /// NEST stdp_synapse: w/Wmax + λ (1 - w/Wmax)^μ+ K, capped at 1; power law: w + λ w^μ K.
  KOKKOS_INLINE_FUNCTION double facilitate(double w, double k) const {
    if (kind == power_law) return w + lambda * kmath::pow(w, mu) * k;
    const double nw = w / Wmax + lambda * kmath::pow(1.0 - w / Wmax, mu_plus) * k;
    return nw < 1.0 ? nw * Wmax : Wmax;
  }
  /// NEST stdp_synapse: w/Wmax - αλ (w/Wmax)^μ- K, floored at 0; power law: w - λα w K.
  KOKKOS_INLINE_FUNCTION double depress(double w, double k) const {
    if (kind == power_law) {
      const double nw = w - lambda * alpha * w * k;
      return nw > 0.0 ? nw : 0.0;
    }
    const double nw = w / Wmax - alpha * lambda * kmath::pow(w / Wmax, mu_minus) * k;
    return nw > 0.0 ? nw * Wmax : 0.0;
  }

  /// Steps 1 and 2 of the header for one synapse onto cell `post` with dendritic delay d:
  /// the weight after the presynaptic spike with stamp t, given the source's trace
  /// (kplus, t_last) before it.
  /// `gate` (astrocyte-gated STDP, 1 otherwise) scales potentiation by gate and
  /// depression by 2 - gate: the step of each, through the trace it multiplies.
  KOKKOS_INLINE_FUNCTION double on_pre_spike(const PostHistory& h, std::size_t post, double w, double kplus,
                                             std::int64_t t_last, std::int64_t t, int d, int& lost,
                                             double gate = 1.0) const {
    if (kplus > 0) {
      std::int64_t first = 0, last = 0;
      h.window(post, t_last - d, t - d, first, last, lost);
      for (std::int64_t e = first; e < last; ++e) {
        const std::int64_t tp = h.t(post, static_cast<int>(e % PostHistory::capacity));
        const double k = kplus * plus(tp + d - t_last);
        w = facilitate(w, gate == 1.0 ? k : gate * k);
      }
    }
    const double km = h.kminus_at(post, t - d, lost);
    return depress(w, gate == 1.0 ? km : (2.0 - gate) * km);
  }
  /// Step 3: the source's trace after its spike with stamp t. Computed by the source's
  /// owner, on the host (sim/presynaptic_state.hpp), and sent with the spike.
  void advance_trace(double& kplus, std::int64_t& t_last, std::int64_t t) const {
    kplus = kplus * plus.on_host(t - t_last) + 1.0;
    t_last = t;
  }
};

}  // namespace cajal
