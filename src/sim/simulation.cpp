#include "cajal/sim/simulation.hpp"

#include <Kokkos_Core.hpp>
#include <cmath>
#include <memory>
#include <type_traits>

#include "cajal/util/error.hpp"
#include "exchange/spike_exchange.hpp"
#include "io/checkpoint_file.hpp"
#include "sim/checkpointer.hpp"
#include "sim/clock.hpp"
#include "sim/event_delivery.hpp"
#include "sim/field_coupling.hpp"
#include "sim/gap_junctions.hpp"
#include "sim/gliotransmission.hpp"
#include "sim/local_network.hpp"
#include "sim/progress.hpp"
#include "sim/recorders.hpp"
#include "sim/restored_run.hpp"
#include "sim/run_summary.hpp"
#include "sim/schedule.hpp"
#include "sim/sic_coupling.hpp"
#include "sim/spike_counts.hpp"
#include "sim/stop_signal.hpp"
#include "sim/update.hpp"
#include "util/system.hpp"

namespace cajal {

namespace {

/// Collective: every rank's figures, in rank order (one allgather per figure).
std::vector<RankFigures> gather_ranks(const Communicator& comm, const RankFigures& f) {
  std::vector<RankFigures> all(static_cast<std::size_t>(comm.size()));
  const auto each = [&](auto member) {
    using T = std::decay_t<decltype(f.*member)>;
    using W = std::conditional_t<std::is_same<T, double>::value, double,
                                 std::conditional_t<std::is_same<T, int>::value, int, unsigned long long>>;
    const std::vector<W> v = comm.allgather<W>(static_cast<W>(f.*member));
    for (std::size_t r = 0; r < all.size(); ++r) all[r].*member = static_cast<T>(v[r]);
  };
  each(&RankFigures::rank);
  each(&RankFigures::cells);
  each(&RankFigures::synapses);
  each(&RankFigures::ring_buffers);
  each(&RankFigures::exchange_buffers);
  each(&RankFigures::field);
  each(&RankFigures::baseline);
  each(&RankFigures::peak_rss);
  each(&RankFigures::build_peak_rss);
  each(&RankFigures::standin);
  each(&RankFigures::exchange_tables);
  each(&RankFigures::local_cells);
  each(&RankFigures::local_synapses);
  each(&RankFigures::intervals);
  each(&RankFigures::messages_sent);
  each(&RankFigures::messages_received);
  each(&RankFigures::bytes_sent);
  each(&RankFigures::bytes_received);
  each(&RankFigures::build_s);
  each(&RankFigures::simulate_s);
  return all;
}

/// The projections whose synapses take spikes: static ones (`stateful` false), or those
/// that take records with the source's state (true).
std::vector<const Projection*> spike_projections(const LocalNetwork& net, bool stateful) {
  std::vector<const Projection*> v;
  for (const auto& pj : net.projections)
    if (!pj.sic && !pj.gap && pj.stateful() == stateful) v.push_back(&pj);
  return v;
}

/// The exchange of records for stateful synapses; none when the deck has no such synapses
/// (the same on every rank).
std::unique_ptr<SpikeExchange> record_exchange(const Communicator& c, const LocalNetwork& net) {
  if (!net.presynaptic->active()) return nullptr;
  return std::make_unique<SpikeExchange>(c, net.part, spike_projections(net, true), net.presynaptic->width());
}

}  // namespace

/// The parts of a simulation, built in this order (the build is collective: every rank
/// builds the same parts in the same order).
struct Simulation::Impl {
  const Communicator& comm;
  const Deck& deck;
  std::uint64_t baseline_rss;  // resident memory before the build: the libraries and the deck
  clock_type::time_point t_build;
  BuildStop build_stop;  // a stop signal ends the build on every rank (exit status 4)
  Schedule schedule;
  LocalNetwork net;
  std::uint64_t build_peak_rss;  // the peak once the network is built, before the exchanges
  Gliotransmission glio;
  SpikeExchange exchange;  // spikes for static synapses; SIC and gap-junction records have their own
  std::unique_ptr<SpikeExchange> stateful;  // spikes with their source's state, for stateful synapses
  SicCoupling sic;
  GapJunctions gap;
  Update update;
  EventDelivery delivery;
  std::unique_ptr<FieldCoupling> field;
  StateSampling sampling;
  double build_s = 0, build_local_s = 0;
  RestoredRun restored;

  Impl(const Communicator& c, const Deck& d)
      : comm(c), deck(d), baseline_rss(current_rss_bytes()), t_build(clock_type::now()), build_stop(c), schedule(d),
        net(c, d, schedule, [this] { build_stop.poll(); }), build_peak_rss(peak_rss_bytes()), glio(c, net, schedule),
        exchange(c, net.part, spike_projections(net, false)), stateful(record_exchange(c, net)), sic(c, net, schedule),
        gap(c, net),
        update(net, schedule), delivery(net, glio) {
    // The spike exchanges go in rounds of a bounded size; SIC, gap-junction and
    // gliotransmission records (a record per astrocyte or gap partner) in one.
    const auto round_bytes = static_cast<std::uint64_t>(std::llround(deck.simulation.exchange_buffer_mib * 1048576.0));
    exchange.set_round_bytes(round_bytes);
    if (stateful) stateful->set_round_bytes(round_bytes);
    sampling.of_pop.resize(net.pops.size());
    if (deck.field.enabled) field = std::make_unique<FieldCoupling>(c, net);
    Kokkos::fence();
    release_free_memory();  // the exchanges' setup lists (the builders' went after net)
    build_stop.finish();
    build_local_s = seconds_since(t_build);
    build_s = comm.max(build_local_s);
  }

  /// Stage couple: Gamma_S snapshots for the coming astrocyte step (the gap-junction fluxes
  /// are coupled inside update, at each astrocyte step).
  void couple(const Epoch& e, std::int64_t start) {
    if (glio.due(e.t0, start)) glio.share(e.t0);
  }

  /// Collective: never continue silently past a failed integration. The ranks learn of a
  /// failure one interval later without waiting (as for stop signals), then stop together.
  void check_integration(DeferredAny& fail_flag) {
    if (!update.can_fail()) return;
    const bool failed = comm.size() > 1 ? fail_flag.exchange(!update.failure().empty()) : !update.failure().empty();
    if (!failed) return;
    fail_flag.finish();
    const std::string problem = comm.first_problem(update.failure());
    throw error(problem.empty() ? std::string("a model integration failed") : problem, exit_user);
  }
  /// Collective, after the loop: a failure in the last interval.
  void check_integration_at_end() {
    if (!update.can_fail()) return;
    const std::string problem = comm.first_problem(update.failure());
    if (!problem.empty()) throw error(problem, exit_user);
  }

  /// Stages exchange and deliver: the epoch's SIC records, then its spikes, to the ranks
  /// that subscribed to their sources, and into the ring slots of their local targets. The
  /// spikes come in rounds of at most simulation.exchange_buffer_mib (SpikeExchange), each
  /// delivered as it comes: neither the buffers nor delivery's arrays grow with an
  /// interval's traffic, and the results are those of one round.
  std::uint64_t exchange_and_deliver(const Epoch& e, std::size_t nlocal, PhaseTimes& times) {
    if (sic.active()) {
      const std::vector<std::uint64_t>* records;
      {
        Stopwatch w(times.exchange);
        records = &sic.exchange();
      }
      Stopwatch w(times.deliver);
      sic.deliver(*records, e.t0);
    }
    std::uint64_t events = 0;
    double delivering = 0;  // within the exchange's rounds
    const clock_type::time_point start = clock_type::now();
    exchange.exchange(update.spikes().data(), nlocal, [&](std::vector<std::uint64_t>& spikes) {
      Stopwatch w(delivering);
      events += delivery.deliver_spikes(spikes, e.t0);
    });
    if (stateful) {
      const auto& mine = net.presynaptic->records_of(update.spikes().data(), nlocal, e.t0);
      stateful->exchange(mine.data(), net.presynaptic->records(), [&](std::vector<std::uint64_t>& records) {
        Stopwatch w(delivering);
        events += delivery.deliver_records(records, e.t0);
      });
    }
    times.exchange += seconds_since(start) - delivering;
    times.deliver += delivering;
    return events;
  }

  /// Stage checkpoint: everything recorded reaches the disk, then the checkpoint of `step`.
  void checkpoint(std::int64_t step, Recorders& recorders, const SpikeCounts& counts, std::uint64_t events,
                  Checkpointer& checkpointer) {
    recorders.flush(step);
    Checkpointer::Counters c;
    c.spikes = counts.total(comm, restored.spikes);
    c.written = recorders.written();
    c.events = comm.sum<unsigned long long>(events) + restored.events;
    const std::uint64_t bytes = net.checkpoint_bytes() + (field ? field->checkpoint_bytes() : 0);
    checkpointer.write(step, c, bytes, [&](CheckpointFile& f) {
      if (field) field->save(f);
      net.save(f);
    });
  }

  RunSummary summarize(std::int64_t end, bool stopped, const SpikeCounts& counts, std::uint64_t events,
                       const PhaseTimes& times, double simulate_local, double checkpoint_s) const;
  RunFacts facts(SpikeCounts& counts) const;
  RankFigures rank_figures(std::uint64_t intervals, double simulate_local,
                           const SpikeExchange::Traffic& before) const;
};

Simulation::Simulation(const Communicator& comm, const Deck& deck) : impl_(std::make_unique<Impl>(comm, deck)) {}
Simulation::~Simulation() = default;

int Simulation::interval_steps() const { return impl_->schedule.interval(); }

std::uint64_t Simulation::local_synapses() const { return impl_->net.local_synapses(); }

void Simulation::membrane(int pop, std::vector<std::uint64_t>& gids, std::vector<double>& v) const {
  const auto& p = *impl_->net.pops[pop];
  auto hv = p.membrane();
  auto hg = Kokkos::create_mirror_view(p.gid);
  Kokkos::deep_copy(hg, p.gid);
  gids.assign(hg.data(), hg.data() + hg.extent(0));
  v.assign(hv.data(), hv.data() + hv.extent(0));
}

void Simulation::restore(const std::string& path) {
  Impl& s = *impl_;
  const auto t = clock_type::now();
  CheckpointFile f(s.comm, path, CheckpointFile::Mode::read);
  const std::int64_t step = f.read_scalar("step");
  if (f.read_text("deck/text") != s.deck.text)
    throw usage_error(path + ": the checkpoint comes from another deck than the one being restored");
  const std::string overrides = f.read_text("deck/overrides");
  if (overrides_text(s.deck.overrides).compare(0, overrides.size(), overrides) != 0)
    throw usage_error(path + ": the checkpoint was written with other --set values than the ones being restored");
  const std::uint64_t npop = s.deck.populations.size();
  RestoredRun& r = s.restored;
  r.spikes = f.read_small("counters/spikes");
  r.written = f.read_small("counters/spikes_written");
  if (r.spikes.size() != npop || r.written.size() != npop)
    throw usage_error(path + ": the counters do not match the deck's populations (the file is corrupt)");
  r.events = static_cast<std::uint64_t>(f.read_scalar("synaptic_events"));
  r.output_dir = f.read_text("output_dir");
  if (step < 0) throw usage_error(path + ": invalid step " + std::to_string(step));
  if (s.field) s.field->load(f);
  s.net.load(f);
  f.close();
  r.step = step;
  r.seconds = s.comm.max(seconds_since(t));
}

// The loop. Time advances one epoch (communication interval [t0, t0 + m), see Schedule) at
// a time; no spike emitted inside an epoch can reach any cell before it ends, so the stages
// may run in this order:
//   couple      astrocytes: Gamma_S snapshots for the coming astrocyte step (only at its
//               first interval), exchanged with neighbours
//   update      each population advances all its local cells through the epoch (one kernel;
//               split at the sampling steps of state reports, at field steps and at
//               gap-junction coupling steps, where the IP3 fluxes are coupled); cells read
//               and clear their ring-buffer slots, spikes and SIC values are collected
//   exchange    the epoch's spikes (and SIC records) go to the ranks that subscribed to
//               their sources
//   deliver     every spike (SIC value) a rank needs is added, in fixed point, into the ring
//               slots of its local targets at step t_spike + delay (>= t1)
//   record      spikes are counted, and kept and written once per window where recorded
//   checkpoint  when due, or when a stop signal reached any rank (agreed collectively, one
//               interval after it arrived)
//   progress    a line on stderr from rank 0, at most once a second
RunSummary Simulation::run(const RunOptions& opt) {
  Impl& s = *impl_;
  const Deck& deck = s.deck;
  const Communicator& comm = s.comm;
  const std::int64_t nsteps = s.schedule.steps(), start = s.restored.step;
  const double dt = deck.simulation.dt;
  if (start >= nsteps && start > 0)
    throw usage_error("simulation.t_stop = " + std::to_string(nsteps * dt) + " ms: the checkpoint is at " +
                      std::to_string(start * dt) + " ms; a restart needs a later t_stop (--set simulation.t_stop=...)");
  const std::string out_dir = opt.output_dir.empty() ? deck.output.dir : opt.output_dir;

  PhaseTimes times;
  std::unique_ptr<Recorders> recorders;
  if (!opt.dry_run) {
    Stopwatch w(times.io);
    recorders = std::make_unique<Recorders>(comm, s.net, s.schedule, s.field.get(), s.sampling, s.restored, out_dir);
  }
  SpikeCounts counts(comm, deck.populations.size(), s.schedule.epochs_from(start));
  Checkpointer checkpointer(comm, deck, out_dir, start);
  double checkpoint_s = 0;
  std::uint64_t events = 0;
  DeferredAny stop_flag(comm), fail_flag(comm);
  Progress progress(opt.progress && comm.is_root(), start, nsteps, dt);
  const auto t_start = clock_type::now();
  bool stopped = false;
  std::int64_t t_end = start;
  std::uint64_t intervals = 0;
  const SpikeExchange::Traffic traffic_before = SpikeExchange::traffic();

  for (Epoch e = s.schedule.epoch_at(start); !e.empty(); e = s.schedule.epoch_at(e.t1)) {
    t_end = e.t1;
    ++intervals;
    std::size_t nlocal = 0;
    {
      // Field steps run inside update but are timed on their own.
      const double field_before = s.field ? s.field->seconds() : 0.0;
      const auto t = clock_type::now();
      s.couple(e, start);
      nlocal = s.update.run(e, s.field.get(), s.sic, s.gap, s.sampling);
      s.check_integration(fail_flag);
      const double field_s = s.field ? s.field->seconds() - field_before : 0.0;
      times.field += field_s;
      times.update += seconds_since(t) - field_s;
    }
    events += s.exchange_and_deliver(e, nlocal, times);
    {
      Stopwatch w(times.io);
      counts.add(s.net.part, s.update.spikes(), nlocal);
      if (recorders) recorders->record(e, s.update.spikes(), nlocal);
    }
    if (opt.dry_run) {
      if (opt.stop_step >= 0 && t_end >= opt.stop_step) break;
      continue;
    }
    // Stop signals: ranks learn of one another's one interval later, without waiting.
    const bool stop = comm.size() > 1 ? stop_flag.exchange(stop_requested()) : stop_requested();
    if (checkpointer.due(t_end, stop)) {
      Stopwatch w(checkpoint_s);
      s.checkpoint(t_end, *recorders, counts, events, checkpointer);
    }
    if (stop && t_end < nsteps) {
      stopped = true;
      break;
    }
    progress.report(t_end);
  }
  stop_flag.finish();
  fail_flag.finish();
  s.check_integration_at_end();
  const double simulate_local = seconds_since(t_start);
  if (recorders) {
    Stopwatch w(times.io);
    recorders->finish(stopped);
  }

  RunSummary sum = s.summarize(t_end, stopped, counts, events, times, simulate_local, checkpoint_s);
  const RankFigures mine = s.rank_figures(intervals, simulate_local, traffic_before);
  // A dry run is one rank: its collectives would give P copies of it.
  sum.per_rank = opt.dry_run ? std::vector<RankFigures>{mine} : gather_ranks(comm, mine);
  if (opt.dry_run) return sum;
  sum.last_checkpoint = checkpointer.last();
  sum.checkpoint_bytes = checkpointer.last_bytes();
  RunFacts facts = s.facts(counts);
  if (stopped) return sum;  // not finished: no summary.json
  recorders->describe(facts.outputs);
  write_summary(comm, deck, sum, facts, out_dir);
  return sum;
}

/// Collective: the figures of RunSummary, reduced over ranks.
RunSummary Simulation::Impl::summarize(std::int64_t end, bool stopped, const SpikeCounts& counts, std::uint64_t events,
                                       const PhaseTimes& times, double simulate_local, double checkpoint_s) const {
  const double dt = deck.simulation.dt;
  const std::int64_t start = restored.step;
  RunSummary sum;
  sum.ranks = comm.size();
  const Threading th = threading(comm);
  sum.threads_per_rank = th.threads_per_rank;
  sum.backend = th.backend;
  sum.interval_steps = schedule.interval();
  sum.start_step = start;
  sum.end_step = end;
  sum.dt_ms = dt;
  sum.stopped_early = stopped;
  const double t_bio = end * dt * 1e-3;
  const std::vector<std::uint64_t> spikes = counts.total(comm, restored.spikes);
  for (std::size_t p = 0; p < deck.populations.size(); ++p) {
    RunSummary::Pop pp;
    pp.name = deck.populations[p].name;
    pp.n = static_cast<std::uint64_t>(deck.populations[p].n);
    pp.spikes = spikes[p];
    pp.rate_hz = t_bio > 0 ? pp.spikes / (pp.n * t_bio) : 0.0;
    sum.populations.push_back(pp);
  }
  sum.synapses = comm.sum<unsigned long long>(net.local_synapses());
  sum.synapse_storage_bytes = comm.sum<unsigned long long>(net.synapse_storage_bytes());
  const std::uint64_t segment_events = comm.sum<unsigned long long>(events);
  sum.synaptic_events = segment_events + restored.events;
  sum.build_s = build_s;
  sum.simulate_s = comm.max(simulate_local);
  sum.update_s = comm.max(times.update);
  sum.exchange_s = comm.max(times.exchange);
  sum.deliver_s = comm.max(times.deliver);
  sum.io_s = comm.max(times.io);
  const double segment_bio = (end - start) * dt * 1e-3;
  sum.real_time_factor = segment_bio > 0 ? sum.simulate_s / segment_bio : 0.0;
  sum.events_per_second = sum.simulate_s > 0 ? segment_events / sum.simulate_s : 0.0;
  const std::uint64_t rss = peak_rss_bytes();
  sum.peak_rss_max_rank = comm.max<unsigned long long>(rss);
  sum.peak_rss_total = comm.sum<unsigned long long>(rss);
  sum.checkpoint_write_s = comm.max(checkpoint_s);
  sum.field_s = comm.max(times.field);
  return sum;
}

/// This rank's memory by category and its traffic (see RankFigures).
/// `before`: the process's exchange traffic when the run began (the counters are per process).
RankFigures Simulation::Impl::rank_figures(std::uint64_t intervals, double simulate_local,
                                           const SpikeExchange::Traffic& before) const {
  RankFigures f;
  f.rank = comm.rank();
  for (const auto& p : net.pops) {
    const std::uint64_t ring = p->ring.span() * sizeof(std::int64_t);
    std::uint64_t state = 0;
    for (const auto& a : p->all_state()) {
      // The spike history is in Population::bytes() already.
      if (a.name.rfind("stdp_post", 0) == 0) continue;
      state += a.real.span() * sizeof(double) + a.integer.span() * sizeof(int) + a.real_rows.span() * sizeof(double) +
               a.int_rows.span() * sizeof(std::int64_t);
    }
    state += (p->leak_shift.span() + p->sic_out.span()) * sizeof(double);
    f.ring_buffers += ring;
    f.cells += p->bytes() - ring + state;
    f.local_cells += p->local_size;
  }
  f.synapses = net.synapse_storage_bytes();
  f.local_synapses = net.local_synapses();
  f.exchange_buffers = SpikeExchange::buffer_bytes() + delivery.buffer_bytes();
  f.standin = SpikeExchange::standin_bytes();
  f.exchange_tables = SpikeExchange::table_bytes();
  if (field) {
    std::uint64_t voxels = 1;
    for (int d = 0; d < 3; ++d) voxels *= static_cast<std::uint64_t>(net.part.bricks().voxel_count(comm.rank(), d));
    f.field = 512 * voxels;
  }
  f.baseline = baseline_rss;
  f.peak_rss = peak_rss_bytes();
  f.build_peak_rss = build_peak_rss;
  const SpikeExchange::Traffic& t = SpikeExchange::traffic();
  f.intervals = intervals;
  f.messages_sent = t.messages_sent - before.messages_sent;
  f.messages_received = t.messages_received - before.messages_received;
  f.bytes_sent = t.bytes_sent - before.bytes_sent;
  f.bytes_received = t.bytes_received - before.bytes_received;
  f.build_s = build_local_s;
  f.simulate_s = simulate_local;
  return f;
}

/// Collective: what summary.json reports beyond RunSummary.
RunFacts Simulation::Impl::facts(SpikeCounts& counts) const {
  RunFacts f;
  f.branching = counts.branching();
  f.restore_s = restored.seconds;
  f.plastic = net.any_plastic;
  // Facilitations or depressions that needed a postsynaptic spike older than the kept
  // history (PostHistory::capacity spikes per cell); 0 in every deck we ship.
  std::int64_t lost = 0;
  Kokkos::deep_copy(lost, net.stdp_lost);
  f.stdp_history_lost = comm.sum<long long>(lost);
  std::uint64_t plastic = 0;
  for (const auto& pj : net.projections)
    if (pj.plastic) plastic += pj.synapses;
  f.plastic_synapses = comm.sum<unsigned long long>(plastic);
  if (field) {
    const Field& fd = field->field();
    f.field = true;
    f.field_stats = fd.stats();
    f.field_stats.solve_s = comm.max(f.field_stats.solve_s);
    f.field_total = fd.total_amount();
    fd.extremes(f.field_min, f.field_max);
    if (!deck.field.manufactured.empty()) fd.manufactured_error(f.field_err_max, f.field_err_rms);
  }
  return f;
}

}  // namespace cajal
