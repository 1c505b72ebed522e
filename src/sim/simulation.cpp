#include "cajal/sim/simulation.hpp"
#include "cajal/field/field.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <Kokkos_Core.hpp>
#include <Kokkos_ScatterView.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <type_traits>

#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/util/error.hpp"
#include "cajal/version.hpp"
#include "exchange/spike_exchange.hpp"
#include "io/checkpoint_file.hpp"
#include "io/spike_writer.hpp"
#include "io/state_report.hpp"
#include "io/weight_recorder.hpp"
#include "model/population.hpp"
#include "network/connectivity.hpp"

namespace cajal {

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

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

/// fsync of a file or folder; true on success.
bool fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string fmt_bytes(std::uint64_t b) {
  char buf[64];
  if (b < (10u << 20)) std::snprintf(buf, sizeof buf, "%llu KiB", static_cast<unsigned long long>(b >> 10));
  else std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(b >> 20));
  return buf;
}

std::string fmt_duration(double s) {
  char buf[64];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

}  // namespace

struct Simulation::Impl {
  const Communicator& comm;
  const Deck& deck;
  Partition part;
  std::vector<std::unique_ptr<Population>> pops;
  std::vector<Projection> projections;
  std::vector<RingScatter> scatter;  // per population
  std::unique_ptr<SpikeExchange> exchange;
  SpikeBuffer buffer;
  Kokkos::View<std::uint64_t*>::HostMirror buffer_host;
  // Astrocyte SIC output: its own exchange when any sic_connection. A record is one
  // astrocyte's interval, 1 + m words: pack_spike(gid, 0), then its SIC at each step (the
  // bits of a double). Astrocytes whose SIC is 0 over the whole interval send nothing.
  std::unique_ptr<SpikeExchange> sic_exchange;
  struct SicSource {  // a population that sends SIC, with host views of its output and ids
    std::size_t pop = 0;
    Kokkos::View<double**, Kokkos::LayoutRight>::HostMirror out;
    Kokkos::View<std::uint64_t*>::HostMirror gid;
  };
  std::vector<SicSource> sic_sources;
  std::vector<std::uint64_t> sic_local;
  Kokkos::View<std::uint64_t*> sic_incoming;
  Kokkos::View<std::uint64_t*>::HostMirror sic_incoming_host;
  // SIC projections with one weight and one delay are delivered by gathering at the
  // targets. A SicTable holds an interval's values w × SIC in fixed point, by source
  // (astrocyte) and step, for every such projection with that source population and
  // weight (a tripartite rule makes one projection per target population, all with the
  // same third_out weight: the table is filled once for all of them). Each target then
  // sums its sources' columns into its ring slots: the same integers as the scatter, no
  // atomics, contiguous sums. A target usually has many sic_connections from few
  // astrocytes (one per third-party synapse, drawn from a pool of a few): its list holds
  // each source once, with the number of connections, and adds count x value (an integer
  // product, so the sums are the same integers as one add per connection).
  struct SicTable {
    int pre = 0;
    double weight = 0.0;
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight> F;  // (row, step)
    Kokkos::View<std::int64_t*> filled;                   // interval (t0) whose values F(row, .) holds
    // Records name their astrocyte by id: row_of(id - id_lo) is its row, or -1, over the
    // ids the table's sources span (a binary search per record was 40 % of the delivery).
    Kokkos::View<std::int32_t*> row_of;
    std::uint64_t id_lo = 0;
    KOKKOS_INLINE_FUNCTION std::int64_t row(std::uint64_t id) const {
      const std::uint64_t x = id - id_lo;  // wraps to a huge value below id_lo
      return x < row_of.extent(0) ? row_of(x) : -1;
    }
  };
  std::vector<SicTable> sic_tables;
  struct SicGather {
    std::size_t proj = 0, table = 0;
    Kokkos::View<std::uint64_t*> toff;  // target li's table rows: trow(toff(li) .. toff(li+1)-1)
    Kokkos::View<std::uint32_t*> trow;
    Kokkos::View<std::uint32_t*> tcount;  // connections from that row
  };
  std::vector<SicGather> sic_gather;
  static bool gathered_sic(const Projection& pj) { return pj.weight.extent(0) == 0 && pj.delay.extent(0) == 0; }
  // Astrocyte gap junctions: IP3 of every coupled cell goes to its neighbours' ranks once per
  // interval (records of two words), fluxes are summed in fixed point per cell.
  std::unique_ptr<SpikeExchange> gap_exchange;
  std::vector<int> gap_pops;
  std::vector<Kokkos::View<std::uint64_t*>::HostMirror> gap_gids;
  std::vector<Kokkos::View<double*>::HostMirror> gap_ip3;  // host copies, made once
  std::map<int, Kokkos::View<std::int64_t*>> gap_fixed;
  std::vector<std::uint64_t> gap_local;
  Kokkos::View<std::uint64_t*> gap_incoming;
  Kokkos::View<std::uint64_t*>::HostMirror gap_incoming_host;
  // Gliotransmission: per astrocyte_gchi population that modulates synapses, the sorted
  // ids of the astrocytes this rank needs (every local one too), their Gamma_S snapshots
  // (refreshed at each interval start, exchanged like spikes with two-word records), and
  // the exchange, built from a projection whose sources are those ids.
  struct GlioTable {
    int pop = -1;
    std::vector<std::uint64_t> ids;
    Kokkos::View<double*> values;
    Kokkos::View<double*>::HostMirror values_host, snapshot_host;
    Projection link;
    std::unique_ptr<SpikeExchange> exchange;
    std::vector<std::uint64_t> records;
  };
  std::vector<GlioTable> glio;
  // Couplings between astrocytes and synapses are refreshed once per astrocyte step, at the
  // first interval edge at or after it: every gap_every / glio_every steps (multiples of m).
  int gap_every = 1, glio_every = 1;
  // State reports, and for each population the reports that sample it.
  std::vector<StateReport> reports;
  std::vector<std::vector<int>> reports_of;
  // The extracellular field ([field]): solved at every multiple of `field_every` steps,
  // inside update (every population advances to the field step, the field solves with the
  // spikes released so far, E_L shifts follow, then the populations go on).
  std::unique_ptr<Field> field;
  std::int64_t field_every = 0;
  std::vector<std::vector<std::int64_t>> voxel_of;  // [pop][local cell]: local voxel, or empty
  std::vector<Kokkos::View<double*>::HostMirror> leak_shift_host;  // [pop], made once
  std::vector<char> releases, feeds_back;           // [pop]
  int field_scanned = 0;                            // spikes of the buffer already counted
  double field_s = 0;
  std::function<void(std::int64_t)> after_field_step;  // snapshots (set by run)
  // Adaptive integration can fail (model/ode.hpp): checked collectively every interval.
  bool any_can_fail = false;
  std::string failure;  // the first integration failure on this rank
  Kokkos::View<std::uint64_t*> incoming;
  Kokkos::View<std::uint64_t*>::HostMirror incoming_host;
  int m = 1, ring_size = 1;
  double build_s = 0;
  // Plastic projections: host copies of their source lists (to group spikes by row) and
  // the grouping buffers, reused every interval.
  bool any_plastic = false, any_stateful = false;
  std::vector<Kokkos::View<std::uint64_t*>::HostMirror> plastic_sources;
  Kokkos::View<std::uint64_t*> group_first, group_last, group_row;
  Kokkos::View<std::uint64_t*>::HostMirror group_first_h, group_last_h, group_row_h;
  Kokkos::View<std::int64_t> stdp_lost;
  // Where a restored run continues from.
  std::int64_t start_step = 0;
  std::vector<std::uint64_t> restored_spikes, restored_written;
  std::uint64_t restored_events = 0;
  std::string restored_output_dir;
  double restore_s = 0;

  Impl(const Communicator& c, const Deck& d, clock_type::time_point t)
      : comm(c), deck(d), part(d, c.size(), c.rank()) {
    // Interval and ring size come from the deck alone (never from what a rank drew).
    std::int64_t min_delay = 64, max_delay = 1;
    for (const auto& pj : deck.projections) {
      if (pj.synapse.gap()) continue;  // no delay: coupled once per interval
      min_delay = std::min<std::int64_t>(min_delay, std::max<std::int64_t>(1, deck.to_steps(pj.delay.lower_bound())));
      max_delay = std::max<std::int64_t>(max_delay, deck.to_steps(pj.delay.upper_bound()));
    }
    m = static_cast<int>(min_delay);
    ring_size = static_cast<int>(max_delay) + m;

    for (int p = 0; p < part.populations(); ++p) pops.push_back(make_population(deck, part, p, ring_size));
    for (auto& p : pops) scatter.emplace_back(p->ring);
    for (int i = 0; i < static_cast<int>(deck.projections.size()); ++i)
      projections.push_back(build_projection(deck, part, i));
    // Models that average their input over their synapses learn their in-degree.
    for (std::size_t p = 0; p < pops.size(); ++p) {
      std::vector<std::uint32_t> n(pops[p]->local_size, 0);
      for (const auto& pj : projections) {
        if (pj.post != static_cast<int>(p) || pj.sic || pj.gap) continue;
        auto tgt = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
        for (std::size_t j = 0; j < tgt.extent(0); ++j) ++n[tgt(j)];
      }
      pops[p]->set_in_degree(n);
    }
    // Plastic synapses read the spike history of their targets.
    plastic_sources.resize(projections.size());
    stdp_lost = Kokkos::View<std::int64_t>("cajal::stdp::lost");
    for (std::size_t i = 0; i < projections.size(); ++i) {
      const auto& pj = projections[i];
      if (!pj.stateful()) continue;
      any_stateful = true;
      plastic_sources[i] = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.sources);
      if (!pj.plastic) continue;
      any_plastic = true;
      Population& post = *pops[pj.post];
      if (!post.history.enabled())
        post.history = PostHistory::make(post.local_size, deck.simulation.dt,
                                         resolve_params(deck.populations[pj.post]).at("tau_minus"));
    }
    // Gliotransmission tables, one per astrocyte population named by tripartite synapses (the
    // same list on every rank: it comes from the deck), and the synapses' table indices.
    for (std::size_t p = 0; p < pops.size(); ++p) {
      bool used = false;
      for (const auto& pj : projections)
        used = used || ((pj.glio || pj.plastic) && pj.third_pop == static_cast<int>(p));
      if (!used) continue;
      GlioTable t;
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
      glio.push_back(std::move(t));
    }
    for (auto& t : glio) {
      t.exchange = std::make_unique<SpikeExchange>(comm, part, std::vector<const Projection*>{&t.link}, 2);
      glio_every = std::max(glio_every, pops[t.pop]->own_step());
    }
    std::vector<const Projection*> spike_pj, sic_pj, gap_pj;
    for (const auto& pj : projections) (pj.sic ? sic_pj : pj.gap ? gap_pj : spike_pj).push_back(&pj);
    exchange = std::make_unique<SpikeExchange>(comm, part, spike_pj);
    if (!sic_pj.empty()) sic_exchange = std::make_unique<SpikeExchange>(comm, part, sic_pj, 1 + m);
    for (const Projection* pj : sic_pj) {
      Population& p = *pops[pj->pre];
      if (!p.sends_sic() || !p.sic_out.label().empty()) continue;
      p.sic_out = Kokkos::View<double**, Kokkos::LayoutRight>("cajal::astrocyte::sic_out", p.local_size, m);
      sic_sources.push_back({static_cast<std::size_t>(pj->pre), Kokkos::create_mirror_view(p.sic_out),
                             Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.gid)});
    }
    build_sic_gather();
    if (!gap_pj.empty()) {
      gap_exchange = std::make_unique<SpikeExchange>(comm, part, gap_pj, 2);
      for (const Projection* pj : gap_pj) {
        Population& p = *pops[pj->post];
        if (p.gap_flux.label().empty()) {
          p.gap_flux = Kokkos::View<double*>("cajal::astrocyte::gap_flux", p.local_size);
          gap_fixed.emplace(pj->post, Kokkos::View<std::int64_t*>("cajal::astrocyte::gap_fixed", p.local_size));
          gap_pops.push_back(pj->post);
          gap_every = std::max(gap_every, p.own_step());
          gap_gids.push_back(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.gid));
          gap_ip3.push_back(Kokkos::create_mirror_view(p.recordable("IP3").view));
        }
      }
    }

    std::size_t cap = 0;
    for (const auto& p : pops) cap += p->local_size * static_cast<std::size_t>(p->max_spikes(m));
    buffer.spikes = Kokkos::View<std::uint64_t*>("cajal::sim::spikes", std::max<std::size_t>(cap, 1));
    buffer.count = Kokkos::View<int>("cajal::sim::spike_count");
    buffer_host = Kokkos::create_mirror_view(buffer.spikes);
    incoming = Kokkos::View<std::uint64_t*>("cajal::sim::incoming", std::max<std::size_t>(cap, 1024));
    incoming_host = Kokkos::create_mirror_view(incoming);
    buffer.failures = Kokkos::View<int>("cajal::sim::failures");
    for (const auto& p : pops) any_can_fail = any_can_fail || p->can_fail();
    reports_of.resize(pops.size());
    gap_every = (gap_every + m - 1) / m * m;
    glio_every = (glio_every + m - 1) / m * m;
    if (deck.field.enabled) build_field();
    Kokkos::fence();
    build_s = comm.max(seconds_since(t));
  }

  /// The SicTables and SicGathers of the sic_connection projections with one weight and
  /// one delay (see SicTable).
  void build_sic_gather() {
    auto upload = [](const auto& dst, const auto& src) {
      using T = typename std::decay_t<decltype(src)>::value_type;
      Kokkos::deep_copy(dst, Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(src.data(), src.size()));
    };
    // Tables: one per (source population, weight), its rows the union of the sources.
    std::vector<std::vector<std::uint64_t>> table_ids;
    for (std::size_t i = 0; i < projections.size(); ++i) {
      const Projection& pj = projections[i];
      if (!pj.sic || !gathered_sic(pj)) continue;
      std::size_t t = 0;
      while (t < sic_tables.size() && !(sic_tables[t].pre == pj.pre && sic_tables[t].weight == pj.weight_value)) ++t;
      if (t == sic_tables.size()) {
        sic_tables.emplace_back();
        sic_tables.back().pre = pj.pre;
        sic_tables.back().weight = pj.weight_value;
        table_ids.emplace_back();
      }
      auto src = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.sources);
      table_ids[t].insert(table_ids[t].end(), src.data(), src.data() + src.extent(0));
      SicGather gth;
      gth.proj = i;
      gth.table = t;
      sic_gather.push_back(gth);
    }
    for (std::size_t t = 0; t < sic_tables.size(); ++t) {
      auto& ids = table_ids[t];
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      SicTable& tab = sic_tables[t];
      tab.F = Kokkos::View<std::int64_t**, Kokkos::LayoutRight>("cajal::sic::F", ids.size(), m);
      tab.filled = Kokkos::View<std::int64_t*>("cajal::sic::filled", ids.size());
      Kokkos::deep_copy(tab.filled, -1);
      if (!ids.empty()) {
        tab.id_lo = ids.front();
        tab.row_of = Kokkos::View<std::int32_t*>("cajal::sic::row_of", ids.back() - ids.front() + 1);
        auto map = Kokkos::create_mirror_view(tab.row_of);
        Kokkos::deep_copy(map, -1);
        for (std::size_t r = 0; r < ids.size(); ++r) map(ids[r] - tab.id_lo) = static_cast<std::int32_t>(r);
        Kokkos::deep_copy(tab.row_of, map);
      }
    }
    // Per projection: each target's table rows, ascending, with their connection counts.
    for (SicGather& gth : sic_gather) {
      const Projection& pj = projections[gth.proj];
      const auto& ids = table_ids[gth.table];
      auto row = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.row);
      auto tgt = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
      auto src = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.sources);
      const std::size_t nt = pops[pj.post]->local_size, nsrc = src.extent(0);
      std::vector<std::uint64_t> off(nt + 1, 0);
      std::vector<std::uint32_t> tr(tgt.extent(0));
      for (std::size_t j = 0; j < tgt.extent(0); ++j) ++off[tgt(j) + 1];
      for (std::size_t li = 0; li < nt; ++li) off[li + 1] += off[li];
      std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
      for (std::size_t r = 0; r < nsrc; ++r) {
        // Sources ascend, and so do table rows: each target's rows come out ascending.
        const auto tab_row = static_cast<std::uint32_t>(std::lower_bound(ids.begin(), ids.end(), src(r)) - ids.begin());
        for (std::uint64_t j = row(r); j < row(r + 1); ++j) tr[fill[tgt(j)]++] = tab_row;
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

  /// The field and its couplings: the voxel of every local cell of a population that
  /// releases K+, takes it up or feels it.
  void build_field() {
    const auto& k = deck.field.potassium;
    field = std::make_unique<Field>(comm, deck, part.bricks());
    field_every = deck.field.every;
    voxel_of.assign(pops.size(), {});
    releases.assign(pops.size(), 0);
    feeds_back.assign(pops.size(), 0);
    leak_shift_host.assign(pops.size(), {});
    auto involved = [&](const std::vector<std::string>& names, int p) {
      return std::find(names.begin(), names.end(), deck.populations[p].name) != names.end();
    };
    for (int p = 0; p < static_cast<int>(pops.size()); ++p) {
      const bool rel = involved(k.release_from, p), up = involved(k.uptake_by, p), fb = involved(k.feedback_to, p);
      if (!(rel || up || fb)) continue;
      const auto& ids = part.local(p);
      auto& vox = voxel_of[p];
      vox.resize(ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        vox[i] = field->local_voxel(part.position(p, ids[i]));
        if (vox[i] < 0) throw error("field: a cell's voxel lies on another rank (a bug: bricks and grid disagree)", exit_internal);
        if (up) field->add_uptake_site(vox[i]);
      }
      releases[p] = rel;
      feeds_back[p] = fb;
      if (fb) {
        pops[p]->leak_shift = Kokkos::View<double*>("cajal::field::leak_shift", ids.size());
        leak_shift_host[p] = Kokkos::create_mirror_view(pops[p]->leak_shift);
      }
    }
    refresh_leak_shifts();
  }

  /// E_L of every feeding-back cell from the concentration in its voxel.
  void refresh_leak_shifts() {
    for (std::size_t p = 0; p < pops.size(); ++p) {
      if (!feeds_back[p]) continue;
      auto& h = leak_shift_host[p];
      for (std::size_t i = 0; i < voxel_of[p].size(); ++i) h(i) = field->nernst_shift(field->at(voxel_of[p][i]));
      Kokkos::deep_copy(pops[p]->leak_shift, h);
    }
  }

  /// Counts the spikes appended to the buffer since the last call into their voxels.
  void count_field_spikes() {
    int n = 0;
    Kokkos::deep_copy(n, buffer.count);
    if (n > field_scanned) {
      const auto range = std::make_pair(field_scanned, n);
      Kokkos::deep_copy(Kokkos::subview(buffer_host, range), Kokkos::subview(buffer.spikes, range));
      for (int q = field_scanned; q < n; ++q) {
        const std::uint64_t g = spike_gid(buffer_host(q));
        const int p = part.population_of(g);
        if (!releases[p]) continue;
        const auto& ids = part.local(p);
        const std::size_t i = static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), g - part.first_gid(p)) - ids.begin());
        field->add_spike(voxel_of[p][i]);
      }
    }
    field_scanned = n;
  }

  // ---- checkpoint content: every piece of state, by population-local id -----------

  /// Bytes a checkpoint will take, about (for the free-space check).
  std::uint64_t checkpoint_estimate() {
    std::uint64_t e = 64 << 10;
    for (std::size_t p = 0; p < pops.size(); ++p) {
      std::uint64_t w = static_cast<std::uint64_t>(pops[p]->receptors * ring_size);
      for (const auto& a : pops[p]->all_state()) w += a.width();
      e += part.size(static_cast<int>(p)) * 8 * w;
    }
    for (const auto& pj : projections)
      if (pj.stateful())
        e += comm.sum<unsigned long long>(pj.synapses) * 8 * pj.synapse_state().size() +
             part.size(pj.pre) * 8 * (pj.source_state().size() + 1);
    if (field) e += static_cast<std::uint64_t>(deck.field.shape[0] * deck.field.shape[1] * deck.field.shape[2]) * 24;
    return e + deck.text.size() * 2;
  }

  // One state array as rows of 8-byte elements (width = 1 for a 1-D view, extent(1) for a
  // 2-D LayoutRight one); `int` state travels as int64.
  static std::uint64_t to_bits(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, 8);
    return b;
  }
  static std::uint64_t to_bits(std::int64_t x) { return static_cast<std::uint64_t>(x); }
  static std::uint64_t to_bits(int x) { return static_cast<std::uint64_t>(static_cast<std::int64_t>(x)); }
  static void from_bits(std::uint64_t b, double& x) { std::memcpy(&x, &b, 8); }
  static void from_bits(std::uint64_t b, std::int64_t& x) { x = static_cast<std::int64_t>(b); }
  static void from_bits(std::uint64_t b, int& x) { x = static_cast<int>(static_cast<std::int64_t>(b)); }
  template <class V>
  static int width_of(const V& v) {
    return V::rank == 2 ? static_cast<int>(v.extent(1)) : 1;
  }

  template <class V>
  static void save_array(CheckpointFile& f, const std::string& g, const std::string& name, hid_t type, const V& v,
                         const std::vector<std::uint64_t>& ids) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    const int w = width_of(v);
    f.write_rows(g, name, type, w, ids, [&](std::size_t k, std::uint64_t* row) {
      for (int q = 0; q < w; ++q) row[q] = to_bits(h.data()[k * w + q]);
    });
  }
  template <class V>
  static void load_array(CheckpointFile& f, const std::string& g, const std::string& name, std::uint64_t n, const V& v,
                         const std::vector<std::uint64_t>& ids, const CheckpointFile::OwnerFn& owner) {
    auto h = Kokkos::create_mirror_view(v);
    const int w = width_of(v);
    f.read_rows(g, name, n, w, ids, owner, [&](std::size_t k, std::uint64_t* row) {
      for (int q = 0; q < w; ++q) from_bits(row[q], h.data()[k * w + q]);
    });
    Kokkos::deep_copy(v, h);
  }

  void save_state(CheckpointFile& f) {
    if (field) field->save(f);
    f.make_group("populations");
    for (std::size_t p = 0; p < pops.size(); ++p) {
      Population& pop = *pops[p];
      const std::string g = "populations/" + pop.name;
      const auto& ids = part.local(static_cast<int>(p));
      f.write_ids(g, ids);
      for (const auto& a : pop.all_state()) {
        switch (a.kind()) {
          case Population::StateArray::real_kind: save_array(f, g, a.name, H5T_IEEE_F64LE, a.real, ids); break;
          case Population::StateArray::integer_kind: save_array(f, g, a.name, H5T_STD_I64LE, a.integer, ids); break;
          case Population::StateArray::real_rows_kind: save_array(f, g, a.name, H5T_IEEE_F64LE, a.real_rows, ids); break;
          case Population::StateArray::int_rows_kind: save_array(f, g, a.name, H5T_STD_I64LE, a.int_rows, ids); break;
        }
      }
      // Pending input: row = cell, columns = (receptor, slot) with slot = step % ring_size.
      auto ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.ring);
      const int R = ring_size;
      const int W = pop.receptors * R;
      f.write_rows(g, "ring", H5T_STD_I64LE, W, ids,
                   CheckpointFile::RowsFn([&](std::size_t first, std::size_t count, std::uint64_t* rows) {
                     // Tiles of 64 cells: reads run along cells, writes stay in cache.
                     for (std::size_t t0 = 0; t0 < count; t0 += 64) {
                       const std::size_t t1 = std::min(count, t0 + 64);
                       for (int r = 0; r < pop.receptors; ++r)
                         for (int sl = 0; sl < R; ++sl)
                           for (std::size_t k = t0; k < t1; ++k)
                             rows[k * W + r * R + sl] = static_cast<std::uint64_t>(ring(r, sl, first + k));
                     }
                   }));
    }
    bool any = false;
    for (const auto& pj : projections) any = any || pj.stateful();
    if (!any) return;
    f.make_group("projections");
    for (std::size_t i = 0; i < projections.size(); ++i)
      if (projections[i].stateful()) save_plastic(f, i);
  }

  /// Each local target's incoming synapses of projection i in canonical order (by source,
  /// then as drawn): perm lists synapse indices, target li owns perm[off[li] .. off[li+1]).
  /// The order is the same on any number of ranks, so a checkpoint stores weights by target.
  void by_target(std::size_t i, std::vector<std::uint64_t>& off, std::vector<std::uint64_t>& perm) {
    const Projection& pj = projections[i];
    auto row = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.row);
    auto tgt = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
    const std::size_t n = part.local(pj.post).size();
    off.assign(n + 1, 0);
    for (std::size_t j = 0; j < tgt.extent(0); ++j) ++off[tgt(j) + 1];
    for (std::size_t li = 0; li < n; ++li) off[li + 1] += off[li];
    std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
    perm.resize(tgt.extent(0));
    for (std::size_t r = 0; r + 1 < row.extent(0); ++r)
      for (std::uint64_t j = row(r); j < row(r + 1); ++j) perm[fill[tgt(j)]++] = j;
  }

  int widest_row(const std::vector<std::uint64_t>& off) const {
    std::uint64_t w = 1;
    for (std::size_t li = 0; li + 1 < off.size(); ++li) w = std::max<std::uint64_t>(w, off[li + 1] - off[li]);
    return static_cast<int>(comm.max<unsigned long long>(w));
  }

  /// Synapse state of projection i (STDP: weights and traces; STP: u, x, y): per-synapse
  /// arrays by target (rows padded with NaN to the widest in-degree), and per-source
  /// arrays (the real ones, then t_last) written by the source's owner.
  void save_plastic(CheckpointFile& f, std::size_t i) {
    const Projection& pj = projections[i];
    const std::string g = "projections/" + deck.projections[i].name;
    f.make_group(g);
    std::vector<std::uint64_t> off, perm;
    by_target(i, off, perm);
    const int W = widest_row(off);
    const auto& targets = part.local(pj.post);
    f.write_ids(g + "/targets", targets);
    for (const auto& arr : pj.synapse_state()) {
      auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), arr.second);
      f.write_rows(g + "/targets", arr.first, H5T_IEEE_F64LE, W, targets, [&](std::size_t k, std::uint64_t* row) {
        double* out = reinterpret_cast<double*>(row);
        const std::uint64_t n = off[k + 1] - off[k];
        for (std::uint64_t q = 0; q < n; ++q) out[q] = w(perm[off[k] + q]);
        for (std::uint64_t q = n; q < static_cast<std::uint64_t>(W); ++q) out[q] = std::nan("");
      });
    }
    // Per source: every rank with a row for a source holds the same values; the owner
    // writes them. Message per row: source id, the real arrays' bits, t_last.
    const auto reals = pj.source_state();
    const std::size_t R = reals.size(), words = R + 2;
    const int P = comm.size();
    auto src = plastic_sources[i];
    std::vector<Kokkos::View<double*>::HostMirror> rh;
    for (const auto& a : reals) rh.push_back(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.second));
    auto tl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.t_last);
    std::vector<std::vector<std::uint64_t>> send(P);
    for (std::size_t r = 0; r < src.extent(0); ++r) {
      auto& v = send[part.owner(pj.pre, src(r))];
      v.push_back(src(r));
      for (std::size_t q = 0; q < R; ++q) v.push_back(to_bits(rh[q](r)));
      v.push_back(static_cast<std::uint64_t>(tl(r)));
    }
    const std::vector<std::uint64_t> got = comm.alltoallv(send);
    const auto& owned = part.local(pj.pre);
    std::vector<std::uint64_t> own(owned.size() * (words - 1), 0);
    std::vector<char> seen(owned.size(), 0);
    std::string problem;
    for (std::size_t k = 0; k + words - 1 < got.size(); k += words) {
      const std::size_t li = static_cast<std::size_t>(std::lower_bound(owned.begin(), owned.end(), got[k]) - owned.begin());
      for (std::size_t q = 0; q + 1 < words; ++q) {
        if (seen[li] && own[li * (words - 1) + q] != got[k + 1 + q])
          problem = "internal error: ranks disagree on the synapse state of source " + std::to_string(got[k]);
        own[li * (words - 1) + q] = got[k + 1 + q];
      }
      seen[li] = 1;
    }
    if (comm.any(!problem.empty()))
      throw error(problem.empty() ? std::string("internal error: synapse source state disagrees") : problem, exit_internal);
    f.write_ids(g + "/sources", owned);
    for (std::size_t q = 0; q + 1 < words; ++q)
      f.write_rows(g + "/sources", q < R ? reals[q].first : std::string("t_last"), q < R ? H5T_IEEE_F64LE : H5T_STD_I64LE, 1,
                   owned, [&](std::size_t k, std::uint64_t* row) { row[0] = own[k * (words - 1) + q]; });
  }

  void load_plastic(CheckpointFile& f, std::size_t i) {
    Projection& pj = projections[i];
    const std::string g = "projections/" + deck.projections[i].name;
    std::vector<std::uint64_t> off, perm;
    by_target(i, off, perm);
    const int W = widest_row(off);
    const auto& targets = part.local(pj.post);
    for (const auto& arr : pj.synapse_state()) {
      auto w = Kokkos::create_mirror_view(arr.second);
      std::string problem;
      f.read_rows(g + "/targets", arr.first, part.size(pj.post), W, targets,
                  [&](std::uint64_t id) { return part.owner(pj.post, id); },
                  [&](std::size_t k, std::uint64_t* row) {
                    const double* in = reinterpret_cast<const double*>(row);
                    const std::uint64_t n = off[k + 1] - off[k];
                    for (std::uint64_t q = 0; q < n; ++q) w(perm[off[k] + q]) = in[q];
                    if ((n < static_cast<std::uint64_t>(W) && !std::isnan(in[n])) || (n > 0 && std::isnan(in[n - 1])))
                      problem = f.path() + ": projection '" + deck.projections[i].name + "': target " +
                                std::to_string(targets[k]) + " has a different number of synapses than in this network";
                  });
      problem = comm.first_problem(problem);
      if (!problem.empty()) throw usage_error(problem);
      Kokkos::deep_copy(arr.second, w);
    }
    // Per source: read by owner, then each rank asks the owners for the sources of its rows.
    const auto reals = pj.source_state();
    const std::size_t R = reals.size(), words = R + 1;
    const auto& owned = part.local(pj.pre);
    std::vector<std::uint64_t> own(owned.size() * words);
    const auto owner = [&](std::uint64_t id) { return part.owner(pj.pre, id); };
    for (std::size_t q = 0; q < words; ++q)
      f.read_rows(g + "/sources", q < R ? reals[q].first : std::string("t_last"), part.size(pj.pre), 1, owned, owner,
                  [&](std::size_t k, std::uint64_t* row) { own[k * words + q] = row[0]; });
    const int P = comm.size();
    auto src = plastic_sources[i];
    std::vector<std::vector<std::uint64_t>> ask(P);
    for (std::size_t r = 0; r < src.extent(0); ++r) ask[part.owner(pj.pre, src(r))].push_back(src(r));
    std::vector<int> counts;
    const std::vector<std::uint64_t> asked = comm.alltoallv(ask, &counts);
    std::vector<std::vector<std::uint64_t>> reply(P);
    std::size_t k = 0;
    for (int r = 0; r < P; ++r)
      for (int c = 0; c < counts[r]; ++c, ++k) {
        const std::size_t li = static_cast<std::size_t>(std::lower_bound(owned.begin(), owned.end(), asked[k]) - owned.begin());
        reply[r].insert(reply[r].end(), own.begin() + li * words, own.begin() + (li + 1) * words);
      }
    const std::vector<std::uint64_t> answers = comm.alltoallv(reply);
    // Answers arrive by owner rank, each in the order asked.
    std::vector<std::size_t> at(P + 1, 0);
    for (int r = 0; r < P; ++r) at[r + 1] = at[r] + words * ask[r].size();
    std::vector<Kokkos::View<double*>::HostMirror> rh;
    for (const auto& a : reals) rh.push_back(Kokkos::create_mirror_view(a.second));
    auto tl = Kokkos::create_mirror_view(pj.t_last);
    for (std::size_t r = 0; r < src.extent(0); ++r) {
      std::size_t& a = at[part.owner(pj.pre, src(r))];
      for (std::size_t q = 0; q < R; ++q) from_bits(answers[a + q], rh[q](r));
      tl(r) = static_cast<std::int64_t>(answers[a + R]);
      a += words;
    }
    for (std::size_t q = 0; q < R; ++q) Kokkos::deep_copy(reals[q].second, rh[q]);
    Kokkos::deep_copy(pj.t_last, tl);
  }

  void load_state(CheckpointFile& f) {
    if (field) {
      if (!f.has("field")) throw usage_error(f.path() + ": the checkpoint holds no field (the file is corrupt)");
      field->restore(f);
      refresh_leak_shifts();
    }
    for (std::size_t p = 0; p < pops.size(); ++p) {
      Population& pop = *pops[p];
      const std::string g = "populations/" + pop.name;
      const auto& ids = part.local(static_cast<int>(p));
      const std::uint64_t n = part.size(static_cast<int>(p));
      const auto owner = [&](std::uint64_t id) { return part.owner(static_cast<int>(p), id); };
      for (const auto& a : pop.all_state()) {
        switch (a.kind()) {
          case Population::StateArray::real_kind: load_array(f, g, a.name, n, a.real, ids, owner); break;
          case Population::StateArray::integer_kind: load_array(f, g, a.name, n, a.integer, ids, owner); break;
          case Population::StateArray::real_rows_kind: load_array(f, g, a.name, n, a.real_rows, ids, owner); break;
          case Population::StateArray::int_rows_kind: load_array(f, g, a.name, n, a.int_rows, ids, owner); break;
        }
      }
      auto ring = Kokkos::create_mirror_view(pop.ring);
      const int R = ring_size;
      f.read_rows(g, "ring", n, pop.receptors * R, ids, owner, [&](std::size_t k, std::uint64_t* row) {
        for (int r = 0; r < pop.receptors; ++r)
          for (int sl = 0; sl < R; ++sl) ring(r, sl, k) = static_cast<std::int64_t>(row[r * R + sl]);
      });
      Kokkos::deep_copy(pop.ring, ring);
    }
    for (std::size_t i = 0; i < projections.size(); ++i)
      if (projections[i].stateful()) load_plastic(f, i);
  }

  // ---- the stages of one interval ------------------------------------------------

  /// update: every population advances through [t0, t0 + steps); returns local spikes
  /// (in buffer_host) and fills sic_local with the astrocytes' SIC records. A population
  /// with state reports advances in pieces that end at its sampling steps, and is sampled
  /// there.
  std::size_t update(std::int64_t t0, int steps) {
    Kokkos::deep_copy(buffer.count, 0);
    field_scanned = 0;
    // Segments end at field steps (one segment without a field).
    for (int seg = 0; seg < steps;) {
      int seg_end = steps;
      if (field) seg_end = static_cast<int>(std::min<std::int64_t>(steps, ((t0 + seg) / field_every + 1) * field_every - t0));
      advance_all(t0, seg, seg_end);
      if (field) {
        count_field_spikes();
        if ((t0 + seg_end) % field_every == 0) {
          const auto tf = clock_type::now();
          field->solve(t0 + seg_end);
          refresh_leak_shifts();
          if (after_field_step) after_field_step(t0 + seg_end);
          field_s += seconds_since(tf);
        }
      }
      seg = seg_end;
    }
    Kokkos::fence();
    int n = 0;
    Kokkos::deep_copy(n, buffer.count);
    Kokkos::deep_copy(Kokkos::subview(buffer_host, std::make_pair(0, n)), Kokkos::subview(buffer.spikes, std::make_pair(0, n)));
    if (sic_exchange) pack_sic(steps);
    return static_cast<std::size_t>(n);
  }

  /// sic_local: a record for each local astrocyte with a non-zero SIC in the interval's
  /// `steps` steps (see sic_exchange); steps beyond them (a short last interval) send 0.
  void pack_sic(int steps) {
    const std::size_t W = 1 + static_cast<std::size_t>(m);
    sic_local.clear();
    for (const SicSource& src : sic_sources) {
      Kokkos::deep_copy(src.out, pops[src.pop]->sic_out);
      const auto& out = src.out;
      const auto& gid = src.gid;
      for (std::size_t i = 0; i < out.extent(0); ++i) {
        bool any = false;
        for (int k = 0; k < steps; ++k) any = any || out(i, k) != 0.0;
        if (!any) continue;
        const std::size_t at = sic_local.size();
        sic_local.resize(at + W, 0);
        sic_local[at] = pack_spike(gid(i), 0);
        std::memcpy(&sic_local[at + 1], &out(i, 0), static_cast<std::size_t>(steps) * sizeof(double));
      }
    }
  }

  /// Every population through steps [seg, seg_end) of the interval at t0, split at the
  /// sampling steps of its state reports.
  void advance_all(std::int64_t t0, int seg, int seg_end) {
    for (std::size_t p = 0; p < pops.size(); ++p) {
      for (int from = seg; from < seg_end;) {
        int to = seg_end;
        for (const int r : reports_of[p]) {
          const std::int64_t e = reports[r].every(), next = ((t0 + from) / e + 1) * e;
          to = static_cast<int>(std::min<std::int64_t>(to, next - t0));
        }
        pops[p]->advance(t0, from, to, buffer);
        if (pops[p]->can_fail()) {
          int failed = 0;
          Kokkos::deep_copy(failed, buffer.failures);
          if (failed && failure.empty()) {
            char when[96];
            std::snprintf(when, sizeof when, "between t = %g and %g ms", (t0 + from) * deck.simulation.dt,
                          (t0 + to) * deck.simulation.dt);
            failure = "population '" + pops[p]->name + "': the integration failed " + std::to_string(failed) +
                      " time(s) " + when +
                      " (no sub-step met the error tolerance, or V fell below -1000 mV or |w| exceeded 1e6 pA, "
                      "NEST's bounds): the parameters make the model numerically unstable (a steep Delta_T, "
                      "extreme weights or currents); the run stops here, without summary.json";
          }
          Kokkos::deep_copy(buffer.failures, 0);
        }
        for (const int r : reports_of[p])
          if ((t0 + to) % reports[r].every() == 0) reports[r].sample(t0 + to, *pops[p]);
        from = to;
      }
    }
  }

  /// couple: the gap-junction flux into every coupled astrocyte for the coming interval,
  /// from the IP3 of both ends at its start.
  void couple() {
    gap_local.clear();
    for (std::size_t q = 0; q < gap_pops.size(); ++q) {
      const Population& p = *pops[gap_pops[q]];
      auto& ip3 = gap_ip3[q];
      Kokkos::deep_copy(ip3, p.recordable("IP3").view);
      for (std::size_t i = 0; i < p.local_size; ++i) {
        std::uint64_t bits;
        std::memcpy(&bits, &ip3(i), 8);
        gap_local.push_back(pack_spike(gap_gids[q](i), 0));
        gap_local.push_back(bits);
      }
    }
    const std::vector<std::uint64_t>& recs = gap_exchange->exchange(gap_local.data(), gap_local.size() / 2);
    if (gap_incoming.extent(0) < recs.size()) {
      gap_incoming = Kokkos::View<std::uint64_t*>("cajal::sim::gap_incoming", 2 * recs.size() + 2);
      gap_incoming_host = Kokkos::create_mirror_view(gap_incoming);
    }
    std::copy(recs.begin(), recs.end(), gap_incoming_host.data());
    const auto sub = std::make_pair(std::size_t(0), recs.size());
    Kokkos::deep_copy(Kokkos::subview(gap_incoming, sub), Kokkos::subview(gap_incoming_host, sub));
    for (auto& kv : gap_fixed) Kokkos::deep_copy(kv.second, 0);
    const std::size_t n = recs.size() / 2;
    for (const auto& pj : projections) {
      if (!pj.gap || n == 0) continue;
      const auto rec = gap_incoming;
      const auto sources = pj.sources;
      const auto row = pj.row;
      const auto target = pj.target;
      const auto acc = gap_fixed.at(pj.post);
      const auto ip3 = pops[pj.post]->recordable("IP3").view;
      const GapJunction gj = pj.gj;
      const double w = pj.weight_value;
      const std::uint64_t first = pj.pre_first_gid, n_pre = part.size(pj.pre);
      Kokkos::parallel_for(
          "cajal::astrocyte::gap_junctions", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(const std::size_t k) {
            const std::uint64_t g = spike_gid(rec(2 * k));
            if (g < first || g - first >= n_pre) return;
            const std::int64_t r = source_row(sources, n_pre, g - first);
            if (r < 0) return;
            const std::size_t lo = static_cast<std::size_t>(r);
            const std::uint64_t bits = rec(2 * k + 1);
            double other;
            memcpy(&other, &bits, sizeof other);
            for (std::uint64_t j = row(lo); j < row(lo + 1); ++j) {
              const std::uint32_t t = target(j);
              Kokkos::atomic_add(&acc(t), to_fixed(w * gj.flux(other - ip3(t))));
            }
          });
    }
    for (const int p : gap_pops) {
      const auto acc = gap_fixed.at(p);
      const auto flux = pops[p]->gap_flux;
      Kokkos::parallel_for(
          "cajal::astrocyte::gap_flux", Kokkos::RangePolicy<>(0, flux.extent(0)),
          KOKKOS_LAMBDA(const std::size_t i) { flux(i) = from_fixed(acc(i)); });
    }
    Kokkos::fence();
  }

  /// gliotransmission: the Gamma_S snapshots of the interval (taken at its start, or restored
  /// from the checkpoint after a restart inside an interval) into each rank's tables.
  void share_gamma_s(bool take) {
    for (auto& t : glio) {
      Population& p = *pops[t.pop];
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

  /// deliver (SIC): every SIC record this rank needs into the SIC port of its targets.
  void deliver_sic(const std::vector<std::uint64_t>& recs, std::int64_t t0) {
    const std::size_t W = 1 + static_cast<std::size_t>(m), n = recs.size() / W;
    if (n == 0) return;
    if (sic_incoming.extent(0) < recs.size()) {  // grows rarely: capacity doubles
      sic_incoming = Kokkos::View<std::uint64_t*>("cajal::sim::sic_incoming", 2 * recs.size());
      sic_incoming_host = Kokkos::create_mirror_view(sic_incoming);
    }
    std::copy(recs.begin(), recs.end(), sic_incoming_host.data());
    const auto sub = std::make_pair(std::size_t(0), recs.size());
    Kokkos::deep_copy(Kokkos::subview(sic_incoming, sub), Kokkos::subview(sic_incoming_host, sub));
    const auto rec = sic_incoming;
    const int M = m;
    // 1. each table: the interval's values w x SIC by row and step
    for (const SicTable& table : sic_tables) {
      const SicTable tab = table;  // by value into the kernel
      const std::uint64_t first = part.first_gid(tab.pre), n_pre = part.size(tab.pre);
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
    for (const SicGather& gth : sic_gather) {
      const Projection& pj = projections[gth.proj];
      const auto F = sic_tables[gth.table].F;
      const auto filled = sic_tables[gth.table].filled;
      const auto toff = gth.toff;
      const auto trow = gth.trow;
      const auto tcount = gth.tcount;
      const auto ring = pops[pj.post]->ring;
      const int port = pj.receptor;
      const std::size_t nt = pops[pj.post]->local_size;
      struct Slots {
        int at[64];
      } slot;
      for (int q = 0; q < M; ++q) slot.at[q] = static_cast<int>((t0 + pj.delay_steps + q) % ring_size);
      Kokkos::parallel_for(
          "cajal::exchange::sic_gather", Kokkos::RangePolicy<>(0, nt), KOKKOS_LAMBDA(const std::size_t li) {
            // The M ring rows are M streams, a population apart: more than the hardware
            // prefetcher follows.
            if (li % 8 == 0 && li + 32 < nt)
              for (int q = 0; q < M; ++q) __builtin_prefetch(&ring(port, slot.at[q], li + 32), 1);
            std::int64_t acc[64] = {};  // m <= 64: Impl caps the interval
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
    for (const auto& pj : projections) {
      if (!pj.sic || gathered_sic(pj)) continue;
      DeliverSic f{sic_incoming, pj.sources, pj.row, pj.target, pj.weight, pj.delay, scatter[pj.post],
                   pj.pre_first_gid, part.size(pj.pre), t0, pj.weight_value, pj.delay_steps, ring_size, pj.receptor, m};
      Kokkos::parallel_for("cajal::exchange::deliver_sic", Kokkos::RangePolicy<>(0, n), f);
      Kokkos::Experimental::contribute(pops[pj.post]->ring, scatter[pj.post]);
    }
  }

  /// The plastic part of deliver for projection i: groups the sorted spikes by source row
  /// (host), then one kernel over the groups.
  std::uint64_t deliver_plastic(std::size_t i, std::size_t n, Kokkos::View<std::uint64_t*> in, std::int64_t t0) {
    Projection& pj = projections[i];
    const auto& src = plastic_sources[i];
    const std::uint64_t first = pj.pre_first_gid, n_pre = part.size(pj.pre);
    const std::size_t nsrc = src.extent(0);
    if (group_first.extent(0) < n) {  // grows rarely: capacity doubles
      group_first = Kokkos::View<std::uint64_t*>("cajal::stdp::group_first", 2 * n);
      group_last = Kokkos::View<std::uint64_t*>("cajal::stdp::group_last", 2 * n);
      group_row = Kokkos::View<std::uint64_t*>("cajal::stdp::group_row", 2 * n);
      group_first_h = Kokkos::create_mirror_view(group_first);
      group_last_h = Kokkos::create_mirror_view(group_last);
      group_row_h = Kokkos::create_mirror_view(group_row);
    }
    auto &hf = group_first_h, &hl = group_last_h, &hr = group_row_h;
    std::size_t groups = 0;
    for (std::size_t k = 0; k < n;) {
      const std::uint64_t g = spike_gid(incoming_host(k));
      std::size_t end = k + 1;
      while (end < n && spike_gid(incoming_host(end)) == g) ++end;
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
    Kokkos::deep_copy(Kokkos::subview(group_first, sub), Kokkos::subview(hf, sub));
    Kokkos::deep_copy(Kokkos::subview(group_last, sub), Kokkos::subview(hl, sub));
    Kokkos::deep_copy(Kokkos::subview(group_row, sub), Kokkos::subview(hr, sub));
    std::uint64_t e = 0;
    auto short_term = [&](const auto& dyn) {
      using D = std::decay_t<decltype(dyn)>;
      DeliverShortTerm<D> f{in,     group_first,     group_last, group_row, pj.row,    pj.target,
                            pj.delay, pj.weight,     pj.t_last, dyn,       scatter[pj.post],
                            t0,     pj.weight_value, pj.delay_steps, ring_size, pj.receptor};
      Kokkos::parallel_reduce("cajal::exchange::deliver_short_term", Kokkos::RangePolicy<>(0, groups), f, e);
    };
    if (pj.glio) {
      Kokkos::View<const double*> gamma;
      for (const auto& t : glio)
        if (t.pop == pj.third_pop) gamma = t.values;
      short_term(GlioDynamics{pj.gr, pj.stp_u, pj.stp_x, pj.third, gamma});
    } else if (pj.stp) {
      short_term(TsodyksDynamics{pj.tm, pj.stp_u, pj.stp_x, pj.stp_y});
    } else {
      Kokkos::View<const double*> gate;
      for (const auto& t : glio)
        if (t.pop == pj.third_pop) gate = t.values;
      DeliverPlastic f{in,         group_first,     group_last,   group_row,  pj.row,
                       pj.target,  pj.delay,        pj.plastic_weight, pj.kplus, pj.t_last,
                       stdp_lost,  pj.rule,         pops[pj.post]->history,   scatter[pj.post],
                       t0,         pj.delay_steps,  ring_size,    pj.receptor, pj.third, gate};
      Kokkos::parallel_reduce("cajal::exchange::deliver_plastic", Kokkos::RangePolicy<>(0, groups), f, e);
    }
    Kokkos::Experimental::contribute(pops[pj.post]->ring, scatter[pj.post]);
    return e;
  }

  /// deliver: every spike this rank needs into the ring buffers of its local targets.
  std::uint64_t deliver(const std::vector<std::uint64_t>& spikes, std::int64_t t0) {
    if (spikes.empty() || projections.empty()) return 0;
    if (incoming.extent(0) < spikes.size()) {  // grows rarely: capacity doubles
      incoming = Kokkos::View<std::uint64_t*>("cajal::sim::incoming", 2 * spikes.size());
      incoming_host = Kokkos::create_mirror_view(incoming);
    }
    std::copy(spikes.begin(), spikes.end(), incoming_host.data());
    // Plastic synapses need each source's spikes together and in time order: sorting the
    // packed (gid, offset) values gives both. Static delivery does not care about order.
    if (any_stateful) std::sort(incoming_host.data(), incoming_host.data() + spikes.size());
    Kokkos::deep_copy(Kokkos::subview(incoming, std::make_pair(std::size_t(0), spikes.size())),
                      Kokkos::subview(incoming_host, std::make_pair(std::size_t(0), spikes.size())));
    auto in = Kokkos::subview(incoming, std::make_pair(std::size_t(0), spikes.size()));
    std::uint64_t events = 0;
    for (std::size_t i = 0; i < projections.size(); ++i) {
      const Projection& pj = projections[i];
      std::uint64_t e = 0;
      if (pj.sic || pj.gap) continue;  // graded values: deliver_sic, couple
      if (pj.stateful()) {
        events += deliver_plastic(i, spikes.size(), in, t0);
        continue;
      }
      const bool cw = pj.weight.extent(0) == 0, cd = pj.delay.extent(0) == 0;
      const auto policy = Kokkos::RangePolicy<>(0, spikes.size());
      auto run = [&](auto functor) {
        functor.spikes = in;
        functor.sources = pj.sources;
        functor.row = pj.row;
        functor.target = pj.target;
        functor.weight = pj.weight;
        functor.delay = pj.delay;
        functor.ring = scatter[pj.post];
        functor.first = pj.pre_first_gid;
        functor.n_pre = part.size(pj.pre);
        functor.t0 = t0;
        functor.weight_fixed = pj.weight_fixed;
        functor.delay_steps = pj.delay_steps;
        functor.ring_size = ring_size;
        functor.receptor = pj.receptor;
        Kokkos::parallel_reduce("cajal::exchange::deliver", policy, functor, e);
      };
      if (cw && cd) run(Deliver<true, true>{});
      else if (cw) run(Deliver<true, false>{});
      else if (cd) run(Deliver<false, true>{});
      else run(Deliver<false, false>{});
      Kokkos::Experimental::contribute(pops[pj.post]->ring, scatter[pj.post]);
      events += e;
    }
    Kokkos::fence();
    return events;
  }
};

Simulation::Simulation(const Communicator& comm, const Deck& deck)
    : impl_(std::make_unique<Impl>(comm, deck, clock_type::now())) {}
Simulation::~Simulation() = default;

int Simulation::interval_steps() const { return impl_->m; }

std::uint64_t Simulation::local_synapses() const {
  std::uint64_t n = 0;
  for (const auto& pj : impl_->projections) n += pj.synapses;
  return n;
}

void Simulation::membrane(int pop, std::vector<std::uint64_t>& gids, std::vector<double>& v) const {
  const auto& p = *impl_->pops[pop];
  auto hv = p.membrane();
  auto hg = Kokkos::create_mirror_view(p.gid);
  Kokkos::deep_copy(hg, p.gid);
  gids.assign(hg.data(), hg.data() + hg.extent(0));
  v.assign(hv.data(), hv.data() + hv.extent(0));
}

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

std::string checkpoint_name(std::int64_t step) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "checkpoint_%012lld.h5", static_cast<long long>(step));
  return buf;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

/// The spike file a restarted run continues: the first of the previous run's files that
/// holds every spike recorded before the checkpoint. Rank 0 looks; all ranks get the path.
std::string find_spike_source(const Communicator& comm, const std::string& dir, const std::vector<std::string>& pops,
                              const std::vector<std::uint64_t>& counts) {
  std::string chosen;
  if (comm.is_root()) {
    h5::silence_errors();
    for (const char* name : {"spikes.h5.incomplete", "spikes.h5", "spikes.h5.interrupted"}) {
      const std::string path = dir + "/" + name;
      if (!std::filesystem::exists(path)) continue;
      const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      if (f < 0) continue;
      bool enough = true;
      for (std::size_t p = 0; p < pops.size() && enough; ++p) {
        const hid_t d = H5Dopen2(f, ("/spikes/" + pops[p] + "/node_ids").c_str(), H5P_DEFAULT);
        hsize_t n = 0;
        if (d >= 0) {
          const hid_t sp = H5Dget_space(d);
          H5Sget_simple_extent_dims(sp, &n, nullptr);
          H5Sclose(sp);
          H5Dclose(d);
        }
        enough = d >= 0 && n >= counts[p];
      }
      H5Fclose(f);
      if (enough) {
        chosen = path;
        break;
      }
    }
    h5::reason();
  }
  return comm.broadcast(chosen);
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

void Simulation::restore(const std::string& path) {
  Impl& s = *impl_;
  const auto t = clock_type::now();
  CheckpointFile f(s.comm, path, CheckpointFile::Mode::read);
  const std::int64_t step = f.read_scalar("step");
  if (f.read_text("deck/text") != s.deck.text)
    throw usage_error(path + ": the checkpoint comes from another deck than the one being restored");
  const std::string overrides = f.read_text("deck/overrides");
  if (join_lines(s.deck.overrides).compare(0, overrides.size(), overrides) != 0)
    throw usage_error(path + ": the checkpoint was written with other --set values than the ones being restored");
  const std::uint64_t npop = s.deck.populations.size();
  s.restored_spikes = f.read_small("counters/spikes");
  s.restored_written = f.read_small("counters/spikes_written");
  if (s.restored_spikes.size() != npop || s.restored_written.size() != npop)
    throw usage_error(path + ": the counters do not match the deck's populations (the file is corrupt)");
  s.restored_events = static_cast<std::uint64_t>(f.read_scalar("synaptic_events"));
  s.restored_output_dir = f.read_text("output_dir");
  if (step < 0) throw usage_error(path + ": invalid step " + std::to_string(step));
  s.load_state(f);
  f.close();
  s.start_step = step;
  s.restore_s = s.comm.max(seconds_since(t));
}

RunSummary Simulation::run(const RunOptions& opt) {
  Impl& s = *impl_;
  const Deck& deck = s.deck;
  const Communicator& comm = s.comm;
  const std::int64_t nsteps = deck.steps();
  const std::int64_t start = s.start_step;
  const double dt = deck.simulation.dt;
  const std::size_t npop = deck.populations.size();
  if (start >= nsteps && start > 0)
    throw usage_error("simulation.t_stop = " + std::to_string(nsteps * dt) + " ms: the checkpoint is at " +
                      std::to_string(start * dt) + " ms; a restart needs a later t_stop (--set simulation.t_stop=...)");

  // Which populations are recorded, in deck order.
  std::vector<int> rec_index(npop, -1);
  std::vector<std::string> rec_names;
  for (const auto& r : deck.records)
    if (r.what == "spikes")
      for (const auto& name : r.populations) rec_index[deck.population_index(name)] = 0;
  for (std::size_t p = 0; p < npop; ++p)
    if (rec_index[p] >= 0) {
      rec_index[p] = static_cast<int>(rec_names.size());
      rec_names.push_back(deck.populations[p].name);
    }

  const std::string out_dir = opt.output_dir.empty() ? deck.output.dir : opt.output_dir;
  const std::string ckpt_dir = deck.checkpoint.dir.empty() ? out_dir + "/checkpoints" : deck.checkpoint.dir;
  double t_update = 0, t_exchange = 0, t_deliver = 0, t_io = 0, t_field = 0;
  const auto t_open = clock_type::now();
  std::unique_ptr<SpikeWriter> writer;
  std::string spike_source;
  if (!rec_names.empty()) {
    std::vector<std::uint64_t> counts;
    for (std::size_t p = 0; p < npop; ++p)
      if (rec_index[p] >= 0) counts.push_back(s.restored_written.empty() ? 0 : s.restored_written[p]);
    const std::string dest = out_dir + "/spikes.h5";
    if (start > 0) {
      spike_source = find_spike_source(comm, s.restored_output_dir, rec_names, counts);
      if (spike_source.empty())
        throw usage_error(s.restored_output_dir + "/spikes.h5: cannot continue the spike output: no spikes.h5 (or "
                          "spikes.h5.incomplete) there holds the spikes recorded before the checkpoint");
      // Never read and write one file: keep the interrupted run's file under another name.
      if (spike_source == dest + ".incomplete") {
        const std::string kept = dest + ".interrupted";
        int ok = 1;
        if (comm.is_root()) ok = std::rename(spike_source.c_str(), kept.c_str()) == 0;
        if (comm.any(!ok)) throw usage_error(spike_source + ": cannot rename it to " + kept);
        spike_source = kept;
      }
    }
    writer = std::make_unique<SpikeWriter>(comm, dest, rec_names, dt, spike_source, counts);
  }
  t_io += seconds_since(t_open);

  // Plastic weights: sampled at t = 0 and at the first interval edge at or after each
  // multiple of the record's interval; weights.h5 is rewritten at every checkpoint and at
  // the end, and a restart reads back what was sampled up to its checkpoint.
  std::vector<WeightRecorder> weight_recs;
  std::vector<int> weight_proj;
  std::vector<std::int64_t> weight_every, weight_due;
  for (const auto& r : deck.records) {
    if (r.what != "weights") continue;
    int i = 0;
    while (deck.projections[i].name != r.projection) ++i;
    weight_recs.emplace_back(comm, s.part, s.projections[i], r.projection, static_cast<std::uint64_t>(r.targets));
    weight_proj.push_back(i);
    const std::int64_t every_w = std::max<std::int64_t>(1, deck.to_steps(r.interval_ms));
    weight_every.push_back(every_w);
    if (start > 0) {
      // Samples up to the checkpoint; one at the checkpoint itself only when it lies on the
      // interval grid (else it was the end of the interrupted run, not a regular sample).
      weight_recs.back().continue_from(comm, s.restored_output_dir + "/weights.h5",
                                       start % s.m == 0 ? start : start - 1, dt);
      // Due next: as after the last sample kept (the sampling rule below, replayed).
      const std::int64_t last = weight_recs.back().last_step();
      weight_due.push_back(last < 0 ? 0 : (last / every_w + 1) * every_w);
    } else {
      weight_recs.back().sample(0, s.projections[i]);
      weight_due.push_back(every_w);
    }
  }
  const std::string weights_path = out_dir + "/weights.h5";
  // State reports: sampled at t = 0 and every `interval` after (inside update), written like
  // weights.h5; a restart reads back the samples up to its checkpoint.
  s.reports.clear();
  for (auto& v : s.reports_of) v.clear();
  for (const auto& r : deck.records) {
    if (r.what != "state") continue;
    const int p = deck.population_index(r.populations[0]);
    const std::uint64_t cells = r.cells < 0 ? s.part.size(p) : static_cast<std::uint64_t>(r.cells);
    for (const auto& var : r.variables) {
      s.reports_of[p].push_back(static_cast<int>(s.reports.size()));
      s.reports.emplace_back(s.part, p, deck.populations[p].name, var, recordable_unit(var), cells,
                             std::max<std::int64_t>(1, deck.to_steps(r.interval_ms)));
      if (start > 0) s.reports.back().continue_from(comm, s.restored_output_dir, start);
      else s.reports.back().sample(0, *s.pops[p]);
    }
  }
  // Field snapshots: field.h5, one dataset per snapshot, written as they are taken; a
  // restart keeps the snapshots up to its checkpoint and goes on appending.
  std::int64_t field_rec_every = 0;
  for (const auto& r : deck.records)
    if (r.what == "field") field_rec_every = std::max<std::int64_t>(1, deck.to_steps(r.interval_ms));
  const std::string field_path = out_dir + "/field.h5";
  s.after_field_step = nullptr;
  if (field_rec_every) {
    const auto t = clock_type::now();
    if (start > 0) Field::continue_snapshots(comm, s.restored_output_dir + "/field.h5", field_path, start);
    else s.field->write_snapshot(field_path, true, 0, 0.0);
    s.after_field_step = [&, field_rec_every](std::int64_t step) {
      if (step % field_rec_every == 0) s.field->write_snapshot(field_path, false, step, step * dt);
    };
    t_io += seconds_since(t);
  }
  std::vector<std::string> report_files;
  auto write_outputs = [&] {
    if (!weight_recs.empty()) WeightRecorder::write(comm, weights_path, weight_recs, dt);
    if (!s.reports.empty()) report_files = StateReport::write(comm, out_dir, s.reports, dt);
  };

  std::vector<std::uint64_t> spike_count(npop, 0);
  // Spikes per population and interval (local; summed over ranks at the end) for the
  // branching factor in summary.json.
  std::vector<std::uint32_t> interval_counts;
  std::vector<SpikeRecord> records;
  // Spikes reach the file once per window of about one biological second (whole intervals).
  const std::int64_t window = std::max<std::int64_t>(1, static_cast<std::int64_t>(1000.0 / (s.m * dt))) * s.m;
  std::int64_t window_start = start;
  std::uint64_t events = 0;

  // Checkpoints: at the first interval edge at or after each multiple of the interval.
  const std::int64_t every = deck.checkpoint.interval_ms > 0
                                 ? std::max<std::int64_t>(1, deck.to_steps(deck.checkpoint.interval_ms))
                                 : 0;
  std::int64_t next_due = every ? (start / every + 1) * every : -1;
  RunSummary sum;

  auto write_checkpoint = [&](std::int64_t step) {
    const auto t = clock_type::now();
    if (writer) {
      // Everything recorded before the checkpoint reaches the disk before the checkpoint
      // exists: a restart continues this file up to here.
      writer->append(records, window_start, step);
      writer->flush();
      window_start = step;
    }
    write_outputs();
    // Counters of the whole run so far, the same on every rank.
    std::vector<std::uint64_t> spikes_so_far(npop), written(npop, 0);
    for (std::size_t p = 0; p < npop; ++p) {
      spikes_so_far[p] = comm.sum<unsigned long long>(spike_count[p]) + (s.restored_spikes.empty() ? 0 : s.restored_spikes[p]);
      if (rec_index[p] >= 0) written[p] = writer->written()[rec_index[p]];
    }
    const std::uint64_t events_so_far = comm.sum<unsigned long long>(events) + s.restored_events;
    // Room for it? A clear error now beats a half-written file.
    const std::uint64_t estimate = s.checkpoint_estimate();
    std::string problem;
    if (comm.is_root()) {
      namespace fs = std::filesystem;
      std::error_code ec;
      fs::create_directories(ckpt_dir, ec);
      if (ec) {
        problem = ckpt_dir + ": cannot create the checkpoint folder (" + ec.message() + ")";
      } else {
        const auto space = fs::space(ckpt_dir, ec);
        if (!ec && space.available < estimate + estimate / 20)
          problem = ckpt_dir + ": not enough free space for a checkpoint (needs about " + fmt_bytes(estimate) +
                    ", " + fmt_bytes(space.available) + " free)";
      }
    }
    problem = comm.broadcast(problem);
    if (!problem.empty()) throw usage_error(problem + "; earlier checkpoints are untouched");

    const std::string final_path = ckpt_dir + "/" + checkpoint_name(step), tmp = final_path + ".incomplete";
    try {
      CheckpointFile f(comm, tmp, CheckpointFile::Mode::create);
      f.write_scalar("step", step);
      f.make_group("deck");
      f.write_text("deck/text", deck.text);
      f.write_text("deck/file", deck.file);
      f.write_text("deck/overrides", join_lines(deck.overrides));
      f.write_text("output_dir", out_dir);
      f.make_group("counters");
      f.write_small("counters/spikes", spikes_so_far);
      f.write_small("counters/spikes_written", written);
      f.write_scalar("synaptic_events", static_cast<std::int64_t>(events_so_far));
      s.save_state(f);
      // Test hook: stop inside the write so that tests can kill the run mid-checkpoint.
      if (const char* hook = std::getenv("CAJAL_TEST_PAUSE_IN_CHECKPOINT"))
        if (std::atoll(hook) == step) {
          std::fprintf(stderr, "cajal: test hook: pausing inside checkpoint %s\n", tmp.c_str());
          std::this_thread::sleep_for(std::chrono::seconds(60));
        }
      f.close();
    } catch (const error& e) {
      problem = e.what();
    }
    problem = comm.first_problem(problem);
    if (!problem.empty()) {
      if (comm.is_root()) std::remove(tmp.c_str());
      throw usage_error(problem + "; earlier checkpoints are untouched");
    }
    // The rename is the commit point: before it the previous checkpoint is the newest. The
    // data is on the disk (fsync) before the rename, and the rename before we go on.
    if (comm.is_root()) {
      if (!fsync_path(tmp)) problem = tmp + ": cannot flush the checkpoint to the disk (fsync failed)";
      else if (std::rename(tmp.c_str(), final_path.c_str()) != 0) problem = tmp + ": cannot rename to " + final_path;
      else fsync_path(ckpt_dir);
      std::vector<std::string> old;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(ckpt_dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("checkpoint_", 0) == 0 && n.size() > 3 && n.compare(n.size() - 3, 3, ".h5") == 0) old.push_back(n);
      }
      std::sort(old.rbegin(), old.rend());
      for (std::size_t k = static_cast<std::size_t>(deck.checkpoint.keep); k < old.size(); ++k)
        std::filesystem::remove(ckpt_dir + "/" + old[k], ec);
    }
    problem = comm.broadcast(problem);
    if (!problem.empty()) throw usage_error(problem);
    sum.last_checkpoint = final_path;
    sum.checkpoint_write_s += seconds_since(t);
    std::error_code ec;
    sum.checkpoint_bytes = comm.is_root() ? std::filesystem::file_size(final_path, ec) : 0;
  };

  const auto t_start = clock_type::now();
  auto t_last_progress = t_start;
  bool stopped = false;
  DeferredAny stop_flag(comm), fail_flag(comm);
  std::int64_t t_end = start;

  // The schedule. Time advances one communication interval [t0, t0 + m) at a time, where
  // m is the smallest delay in steps; no spike emitted inside an interval can reach any
  // cell before the interval ends, so the stages below may run in this order:
  //   0. couple      astrocytes: gap-junction fluxes and Gamma_S snapshots for the coming
  //                  astrocyte step (only at its first interval), exchanged with neighbours
  //   1. update      each population advances all its local cells m steps (one kernel;
  //                  split at the sampling steps of state reports); cells read and clear
  //                  their ring-buffer slots, spikes and SIC values are collected
  //   2. exchange    the interval's spikes (and SIC records) go to the ranks that
  //                  subscribed to their sources
  //   3. deliver     every spike (SIC value) a rank needs is added, in fixed point, into the
  //                  ring slots of its local targets at step t_spike + delay (>= t0 + m)
  //   4. record      spikes of recorded populations are kept and written once per window
  //   5. checkpoint  when due, or when a stop signal reached any rank (agreed collectively,
  //                  one interval after it arrived)
  //   6. progress    a line on stderr from rank 0, at most once a second
  // Intervals end at multiples of m (and at t_stop), also after a restart from a step that
  // is not one: the first interval is then shorter. The edges are thus the same in a
  // restarted run as in an uninterrupted one, and so is everything sampled at them.
  for (std::int64_t t0 = start; t0 < nsteps; t0 = t_end) {
    const int steps = static_cast<int>(std::min<std::int64_t>(s.m - t0 % s.m, nsteps - t0));
    t_end = t0 + steps;

    auto t = clock_type::now();
    // Gap junctions: fluxes from the IP3 at the start of the astrocyte step (every gap_every
    // steps; after a restart inside one, the checkpoint's fluxes hold). Gliotransmission:
    // Gamma_S snapshots to the synapses' ranks, likewise (after a restart inside an
    // astrocyte step, the checkpoint's snapshots are shared again).
    if (s.gap_exchange && t0 % s.gap_every == 0) s.couple();
    if (!s.glio.empty() && (t0 % s.glio_every == 0 || t0 == start)) s.share_gamma_s(t0 % s.glio_every == 0);
    const double field_before = s.field_s;
    const std::size_t nlocal = s.update(t0, steps);
    t_field += s.field_s - field_before;
    t += std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.field_s - field_before));
    if (s.any_can_fail) {
      // Never continue silently past a failed integration: the ranks learn of a failure one
      // interval later without waiting (as for stop signals), then stop together.
      const bool failed = comm.size() > 1 ? fail_flag.exchange(!s.failure.empty()) : !s.failure.empty();
      if (failed) {
        fail_flag.finish();
        const std::string problem = comm.first_problem(s.failure);
        throw error(problem.empty() ? std::string("a model integration failed") : problem, exit_user);
      }
    }
    t_update += seconds_since(t);

    t = clock_type::now();
    const std::vector<std::uint64_t>& all = s.exchange->exchange(s.buffer_host.data(), nlocal);
    t_exchange += seconds_since(t);

    if (s.sic_exchange) {
      t = clock_type::now();
      const std::vector<std::uint64_t>& sic_all = s.sic_exchange->exchange(s.sic_local.data(), s.sic_local.size() / s.sic_exchange->width());
      t_exchange += seconds_since(t);
      t = clock_type::now();
      s.deliver_sic(sic_all, t0);
      t_deliver += seconds_since(t);
    }

    t = clock_type::now();
    events += s.deliver(all, t0);
    t_deliver += seconds_since(t);

    t = clock_type::now();
    interval_counts.resize(interval_counts.size() + npop, 0);
    for (std::size_t k = 0; k < nlocal; ++k) {
      const std::uint64_t sp = s.buffer_host(k);
      const std::uint64_t g = spike_gid(sp);
      const int p = s.part.population_of(g);
      ++spike_count[p];
      ++interval_counts[interval_counts.size() - npop + static_cast<std::size_t>(p)];
      if (rec_index[p] >= 0)
        records.push_back({static_cast<std::uint64_t>(t0 + spike_offset(sp)), g - s.part.first_gid(p),
                           static_cast<std::uint64_t>(rec_index[p])});
    }
    if (writer && (t_end - window_start >= window || t_end == nsteps)) {
      writer->append(records, window_start, t_end);
      window_start = t_end;
    }
    for (std::size_t w = 0; w < weight_recs.size(); ++w)
      if (t_end >= weight_due[w]) {
        weight_recs[w].sample(t_end, s.projections[weight_proj[w]]);
        weight_due[w] = (t_end / weight_every[w] + 1) * weight_every[w];
      }
    t_io += seconds_since(t);

    // Stop signals: ranks learn of one another's one interval later, without waiting.
    const bool stop = comm.size() > 1 ? stop_flag.exchange(g_stop_signal != 0) : g_stop_signal != 0;
    if (stop || (every && t_end >= next_due) || (deck.checkpoint.at_end && t_end == nsteps)) {
      write_checkpoint(t_end);
      if (every) next_due = (t_end / every + 1) * every;
    }
    if (stop && t_end < nsteps) {
      stopped = true;
      break;
    }

    if (opt.progress && comm.is_root()) {
      const auto now = clock_type::now();
      if (std::chrono::duration<double>(now - t_last_progress).count() >= 1.0 || t_end == nsteps) {
        t_last_progress = now;
        const double wall = seconds_since(t_start), frac = double(t_end - start) / double(nsteps - start);
        const double bio_s = (t_end - start) * dt * 1e-3;
        std::fprintf(stderr, "cajal: t = %.1f of %.1f ms (%5.1f %%), %.2f s per biological second, %s left\n",
                     t_end * dt, nsteps * dt, 100.0 * t_end / nsteps, bio_s > 0 ? wall / bio_s : 0.0,
                     fmt_duration(frac > 0 ? wall * (1 - frac) / frac : 0).c_str());
      }
    }
  }
  stop_flag.finish();
  fail_flag.finish();
  if (s.any_can_fail) {  // a failure in the last interval
    const std::string problem = comm.first_problem(s.failure);
    if (!problem.empty()) throw error(problem, exit_user);
  }
  const double simulate_local = seconds_since(t_start);
  if (writer) {
    const auto t = clock_type::now();
    writer->close(!stopped);
    t_io += seconds_since(t);
  }
  if (!stopped) {
    const auto t = clock_type::now();
    write_outputs();
    t_io += seconds_since(t);
  }
  // The interrupted run's spike file is now contained in the new one.
  if (!stopped && comm.is_root() && !spike_source.empty() && spike_source == out_dir + "/spikes.h5.interrupted")
    std::remove(spike_source.c_str());

  sum.ranks = comm.size();
  sum.interval_steps = s.m;
  sum.start_step = start;
  sum.end_step = t_end;
  sum.dt_ms = dt;
  sum.stopped_early = stopped;
  const double t_bio = t_end * dt * 1e-3;
  for (std::size_t p = 0; p < npop; ++p) {
    RunSummary::Pop pp;
    pp.name = deck.populations[p].name;
    pp.n = static_cast<std::uint64_t>(deck.populations[p].n);
    pp.spikes = comm.sum<unsigned long long>(spike_count[p]) + (s.restored_spikes.empty() ? 0 : s.restored_spikes[p]);
    pp.rate_hz = t_bio > 0 ? pp.spikes / (pp.n * t_bio) : 0.0;
    sum.populations.push_back(pp);
  }
  // Branching factor per population (Haldeman & Beggs 2005): the mean over intervals t with
  // n_t > 0 of n_{t+1} / n_t, n the population's spikes per communication interval (bins
  // of m steps: a spike can only cause spikes in later intervals). Over this run's
  // intervals, and over the last quarter of them.
  std::vector<std::pair<double, double>> branching(npop, {0.0, 0.0});
  if (!interval_counts.empty()) {
    comm.sum_each(interval_counts);
    const std::size_t T = interval_counts.size() / npop;
    for (std::size_t p = 0; p < npop; ++p) {
      auto sigma = [&](std::size_t from) {
        double sum = 0;
        std::size_t n = 0;
        for (std::size_t t = from; t + 1 < T; ++t) {
          const double a = interval_counts[t * npop + p];
          if (a > 0) sum += interval_counts[(t + 1) * npop + p] / a, ++n;
        }
        return n ? sum / static_cast<double>(n) : 0.0;
      };
      branching[p] = {sigma(0), sigma(T - T / 4)};
    }
  }
  std::uint64_t storage = 0;
  for (const auto& pj : s.projections) storage += pj.bytes();
  sum.synapses = comm.sum<unsigned long long>(local_synapses());
  // Facilitations or depressions that needed a postsynaptic spike older than the kept
  // history (PostHistory::capacity spikes per cell); 0 in every deck we ship.
  std::int64_t stdp_lost = 0;
  Kokkos::deep_copy(stdp_lost, s.stdp_lost);
  stdp_lost = comm.sum<long long>(stdp_lost);
  std::uint64_t plastic_synapses = 0;
  for (const auto& pj : s.projections)
    if (pj.plastic) plastic_synapses += pj.synapses;
  plastic_synapses = comm.sum<unsigned long long>(plastic_synapses);
  sum.synapse_storage_bytes = comm.sum<unsigned long long>(storage);
  const std::uint64_t segment_events = comm.sum<unsigned long long>(events);
  sum.synaptic_events = segment_events + s.restored_events;
  sum.build_s = s.build_s;
  sum.simulate_s = comm.max(simulate_local);
  sum.update_s = comm.max(t_update);
  sum.exchange_s = comm.max(t_exchange);
  sum.deliver_s = comm.max(t_deliver);
  sum.io_s = comm.max(t_io);
  const double segment_bio = (t_end - start) * dt * 1e-3;
  sum.real_time_factor = segment_bio > 0 ? sum.simulate_s / segment_bio : 0.0;
  sum.events_per_second = sum.simulate_s > 0 ? segment_events / sum.simulate_s : 0.0;
  const std::uint64_t rss = peak_rss_bytes();
  sum.peak_rss_max_rank = comm.max<unsigned long long>(rss);
  sum.peak_rss_total = comm.sum<unsigned long long>(rss);
  sum.checkpoint_write_s = comm.max(sum.checkpoint_write_s);
  sum.field_s = comm.max(t_field);
  FieldStats field_stats;
  double field_total = 0, field_err_max = 0, field_err_rms = 0, field_min = 0, field_max = 0;
  if (s.field) {
    field_stats = s.field->stats();
    field_stats.solve_s = comm.max(field_stats.solve_s);
    field_total = s.field->total_amount();
    s.field->extremes(field_min, field_max);
    if (!deck.field.manufactured.empty()) s.field->manufactured_error(field_err_max, field_err_rms);
  }
  if (stopped) return sum;  // not finished: no summary.json

  // summary.json is written last: its presence marks a finished run.
  std::string problem;
  if (comm.is_root()) {
    nlohmann::json j;
    j["cajal_version"] = CAJAL_VERSION;
    j["deck"] = deck.file;
    j["overrides"] = deck.overrides;
    j["ranks"] = sum.ranks;
    j["dt_ms"] = dt;
    j["t_stop_ms"] = deck.simulation.t_stop;
    j["steps"] = nsteps;
    j["interval_steps"] = sum.interval_steps;
    if (start > 0) j["restarted_at_ms"] = start * dt;
    for (std::size_t q = 0; q < sum.populations.size(); ++q) {
      const auto& p = sum.populations[q];
      j["populations"][p.name] = {{"n", p.n}, {"spikes", p.spikes}, {"rate_hz", p.rate_hz},
                                  {"branching_factor", branching[q].first},
                                  {"branching_factor_last_quarter", branching[q].second}};
    }
    j["synapses"] = sum.synapses;
    j["synaptic_events"] = sum.synaptic_events;
    j["time_s"] = {{"build", sum.build_s},       {"simulate", sum.simulate_s}, {"update", sum.update_s},
                   {"exchange", sum.exchange_s}, {"deliver", sum.deliver_s},   {"io", sum.io_s},
                   {"checkpoint", sum.checkpoint_write_s}, {"restore", s.restore_s}, {"field", sum.field_s}};
    j["real_time_factor"] = sum.real_time_factor;
    j["events_per_second"] = sum.events_per_second;
    j["memory"] = {{"peak_rss_bytes_max_rank", sum.peak_rss_max_rank},
                   {"peak_rss_bytes_all_ranks", sum.peak_rss_total},
                   {"bytes_per_synapse", sum.synapses ? double(sum.peak_rss_total) / sum.synapses : 0.0},
                   {"synapse_storage_bytes_per_synapse",
                    sum.synapses ? double(sum.synapse_storage_bytes) / sum.synapses : 0.0}};
    if (s.any_plastic) j["stdp"] = {{"plastic_synapses", plastic_synapses}, {"history_lost", stdp_lost}};
    if (s.field) {
      const FieldStats fs = field_stats;
      nlohmann::json fj = {{"shape", deck.field.shape},
                           {"voxel_um", deck.field.voxel},
                           {"mode", deck.field.mode == FieldSpec::Mode::reproducible ? "reproducible" : "krylov"},
                           {"ksp", fs.ksp},
                           {"pc", fs.pc == "shell" ? std::string("cajal_multigrid") : fs.pc},
                           {"levels", fs.levels},
                           {"solves", fs.solves},
                           {"iterations", fs.iterations},
                           {"iterations_per_solve", fs.solves ? double(fs.iterations) / fs.solves : 0.0},
                           {"max_iterations", fs.max_iterations},
                           {"last_relative_residual", fs.last_residual},
                           {"setup_s", fs.setup_s},
                           {"solve_s", fs.solve_s},
                           {"solve_s_per_solve", fs.solves ? fs.solve_s / fs.solves : 0.0},
                           {"dof_per_s", fs.solve_s > 0 ? double(deck.field.shape[0] * deck.field.shape[1] *
                                                                  deck.field.shape[2]) * fs.solves / fs.solve_s
                                                        : 0.0},
                           {"total_potassium_amol", field_total},
                           {"mean_mM", field_total / (deck.field.alpha * deck.field.voxel * deck.field.voxel *
                                                      deck.field.voxel * double(deck.field.shape[0] *
                                                                               deck.field.shape[1] * deck.field.shape[2]))},
                           {"min_mM", field_min},
                           {"max_mM", field_max}};
      if (fs.bytes_per_cycle > 0) {
        fj["model_bytes_per_vcycle"] = fs.bytes_per_cycle;
        fj["model_bytes_per_solve"] = fs.solves ? (fs.model_bytes + fs.model_bytes_vectors) / fs.solves : 0.0;
        fj["model_bytes_multigrid_per_solve"] = fs.solves ? fs.model_bytes / fs.solves : 0.0;
        fj["model_bytes_vectors_per_solve"] = fs.solves ? fs.model_bytes_vectors / fs.solves : 0.0;
        fj["vcycles_per_solve"] = fs.solves ? double(fs.vcycles) / fs.solves : 0.0;
        fj["fmg_cycles_per_solve"] = fs.solves ? double(fs.fmg_cycles) / fs.solves : 0.0;
      }
      if (!deck.field.manufactured.empty()) fj["manufactured_error"] = {{"max_mM", field_err_max}, {"rms_mM", field_err_rms}};
      j["field"] = fj;
      if (field_rec_every) j["outputs"]["field"] = "field.h5";
    }
    if (writer) j["outputs"]["spikes"] = "spikes.h5";
    if (!weight_recs.empty()) j["outputs"]["weights"] = "weights.h5";
    if (!report_files.empty()) j["outputs"]["reports"] = report_files;
    if (!sum.last_checkpoint.empty()) {
      j["outputs"]["last_checkpoint"] = sum.last_checkpoint;
      j["checkpoint"] = {{"last", sum.last_checkpoint}, {"bytes", sum.checkpoint_bytes}};
    }
    const std::string path = out_dir + "/summary.json";
    std::ofstream f(path + ".incomplete");
    f << j.dump(2) << "\n";
    f.close();
    if (!f || std::rename((path + ".incomplete").c_str(), path.c_str()) != 0)
      problem = path + ": cannot write the run summary";
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  return sum;
}

void prepare_output_dir(const Communicator& comm, const std::string& dir, bool overwrite) {
  std::string problem;
  if (comm.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p(dir);
    if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
      problem = dir + ": exists and is not a folder; allowed: a folder, or a path that does not exist yet";
    } else {
      fs::create_directories(p, ec);
      if (ec) {
        problem = dir + ": cannot create the output folder (" + ec.message() + ")";
      } else if (!overwrite && (fs::exists(p / "summary.json") || fs::exists(p / "spikes.h5"))) {
        problem = dir + ": holds the output of an earlier run (summary.json, spikes.h5); "
                        "pass --overwrite to replace it, or --output to choose another folder";
      } else {
        const fs::path probe = p / ".cajal-write-test";
        std::FILE* f = std::fopen(probe.c_str(), "w");
        if (!f || std::fputs("x", f) < 0 || std::fclose(f) != 0) {
          problem = dir + ": the output folder is not writable";
        } else {
          fs::remove(probe, ec);
          // A run in progress must never look finished: the old summary goes first.
          if (overwrite) fs::remove(p / "summary.json", ec);
        }
      }
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
}

Deck load_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides) {
  std::string text, problem;
  if (comm.is_root()) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      problem = path + ": cannot open the deck (missing or unreadable)";
    } else {
      std::ostringstream os;
      os << f.rdbuf();
      text = os.str();
      if (f.bad()) problem = path + ": cannot read the deck";
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  text = comm.broadcast(text);
  Deck deck = Deck::parse(text, path, overrides);
  check_models(deck);
  if (deck.field.enabled) Field::check_options(deck);
  return deck;
}

}  // namespace cajal
