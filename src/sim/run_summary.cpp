#include "sim/run_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "cajal/util/error.hpp"
#include "cajal/version.hpp"

namespace cajal {

namespace {

nlohmann::json field_json(const Deck& deck, const RunFacts& facts) {
  const FieldStats& fs = facts.field_stats;
  const auto& shape = deck.field.shape;
  const double voxels = double(shape[0] * shape[1] * shape[2]);
  const double v = deck.field.voxel;
  nlohmann::json fj = {{"shape", shape},
                       {"voxel_um", v},
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
                       {"dof_per_s", fs.solve_s > 0 ? double(shape[0] * shape[1] * shape[2]) * fs.solves / fs.solve_s : 0.0},
                       {"total_potassium_amol", facts.field_total},
                       {"mean_mM", facts.field_total / (deck.field.alpha * v * v * v * voxels)},
                       {"min_mM", facts.field_min},
                       {"max_mM", facts.field_max}};
  if (fs.bytes_per_cycle > 0) {
    fj["model_bytes_per_vcycle"] = fs.bytes_per_cycle;
    fj["model_bytes_per_solve"] = fs.solves ? (fs.model_bytes + fs.model_bytes_vectors) / fs.solves : 0.0;
    fj["model_bytes_multigrid_per_solve"] = fs.solves ? fs.model_bytes / fs.solves : 0.0;
    fj["model_bytes_vectors_per_solve"] = fs.solves ? fs.model_bytes_vectors / fs.solves : 0.0;
    fj["vcycles_per_solve"] = fs.solves ? double(fs.vcycles) / fs.solves : 0.0;
    fj["fmg_cycles_per_solve"] = fs.solves ? double(fs.fmg_cycles) / fs.solves : 0.0;
  }
  if (!deck.field.manufactured.empty())
    fj["manufactured_error"] = {{"max_mM", facts.field_err_max}, {"rms_mM", facts.field_err_rms}};
  return fj;
}

nlohmann::json summary_json(const Deck& deck, const RunSummary& sum, const RunFacts& facts) {
  const double dt = deck.simulation.dt;
  nlohmann::json j;
  j["cajal_version"] = CAJAL_VERSION;
  j["deck"] = deck.file;
  j["overrides"] = deck.overrides;
  j["ranks"] = sum.ranks;
  j["threads_per_rank"] = sum.threads_per_rank;
  j["backend"] = sum.backend;
  j["dt_ms"] = dt;
  j["t_stop_ms"] = deck.simulation.t_stop;
  j["steps"] = deck.steps();
  j["interval_steps"] = sum.interval_steps;
  if (sum.start_step > 0) j["restarted_at_ms"] = sum.start_step * dt;
  for (std::size_t q = 0; q < sum.populations.size(); ++q) {
    const auto& p = sum.populations[q];
    j["populations"][p.name] = {{"n", p.n},
                                {"spikes", p.spikes},
                                {"rate_hz", p.rate_hz},
                                {"branching_factor", facts.branching[q].first},
                                {"branching_factor_last_quarter", facts.branching[q].second}};
  }
  j["synapses"] = sum.synapses;
  j["synaptic_events"] = sum.synaptic_events;
  j["time_s"] = {{"build", sum.build_s},       {"simulate", sum.simulate_s}, {"update", sum.update_s},
                 {"exchange", sum.exchange_s}, {"deliver", sum.deliver_s},   {"io", sum.io_s},
                 {"checkpoint", sum.checkpoint_write_s}, {"restore", facts.restore_s}, {"field", sum.field_s}};
  j["real_time_factor"] = sum.real_time_factor;
  j["events_per_second"] = sum.events_per_second;
  j["memory"] = {{"peak_rss_bytes_max_rank", sum.peak_rss_max_rank},
                 {"peak_rss_bytes_all_ranks", sum.peak_rss_total},
                 {"bytes_per_synapse", sum.synapses ? double(sum.peak_rss_total) / sum.synapses : 0.0},
                 {"synapse_storage_bytes_per_synapse", sum.synapses ? double(sum.synapse_storage_bytes) / sum.synapses : 0.0}};
  for (const RankFigures& f : sum.per_rank) j["per_rank"].push_back(rank_json(f));
  if (facts.plastic)
    j["stdp"] = {{"plastic_synapses", facts.plastic_synapses}, {"history_lost", facts.stdp_history_lost}};
  if (facts.field) j["field"] = field_json(deck, facts);
  for (const auto& kv : facts.outputs.items()) j["outputs"][kv.key()] = kv.value();
  if (!sum.last_checkpoint.empty()) {
    j["outputs"]["last_checkpoint"] = sum.last_checkpoint;
    j["checkpoint"] = {{"last", sum.last_checkpoint}, {"bytes", sum.checkpoint_bytes}};
  }
  return j;
}

}  // namespace

nlohmann::json rank_json(const RankFigures& f) {
  const double n = f.intervals ? static_cast<double>(f.intervals) : 1.0;
  nlohmann::json j;
  j["rank"] = f.rank;
  j["cells"] = f.local_cells;
  j["synapses"] = f.local_synapses;
  j["memory_bytes"] = {{"cells", f.cells},
                       {"synapses", f.synapses},
                       {"ring_buffers", f.ring_buffers},
                       {"exchange_buffers", f.exchange_buffers},
                       {"exchange_tables", f.exchange_tables},
                       {"field", f.field},
                       {"library_baseline", f.baseline},
                       {"peak_rss", f.peak_rss},
                       {"peak_rss_network_built", f.build_peak_rss}};
  if (f.standin) j["memory_bytes"]["dry_run_standin"] = f.standin;
  j["exchange"] = {{"intervals", f.intervals},
                   {"messages_sent", f.messages_sent},
                   {"messages_received", f.messages_received},
                   {"bytes_sent", f.bytes_sent},
                   {"bytes_received", f.bytes_received},
                   {"messages_sent_per_interval", f.messages_sent / n},
                   {"messages_received_per_interval", f.messages_received / n},
                   {"bytes_sent_per_interval", f.bytes_sent / n},
                   {"bytes_received_per_interval", f.bytes_received / n}};
  j["time_s"] = {{"build", f.build_s}, {"simulate", f.simulate_s}};
  return j;
}

void write_dry_run(const Deck& deck, const RunSummary& sum, int ranks, const std::string& chosen, double replay_s,
                   std::uint64_t possible, std::uint64_t replayed, double setup_s, const std::string& out_dir) {
  const RankFigures& f = sum.per_rank.at(0);
  const double bio_s = static_cast<double>(sum.end_step - sum.start_step) * sum.dt_ms * 1e-3;
  const double sim_per_bio = bio_s > 0 ? f.simulate_s / bio_s : 0.0;
  const double build_s = std::max(0.0, f.build_s - replay_s);  // a real rank does not replay the others' draws
  const double t_stop_s = deck.simulation.t_stop * 1e-3;
  const double n = f.intervals ? static_cast<double>(f.intervals) : 1.0;
  const double wall = build_s + sim_per_bio * t_stop_s;
  // A real rank holds what was measured less the stand-in's own tables, or the build's
  // peak where that is higher (the stand-ins come after the build: at 10^4 ranks the
  // builder's counters can outweigh the exchange setup's lists).
  const std::uint64_t per_rank = std::max(f.build_peak_rss, f.peak_rss - std::min(f.peak_rss, f.standin));
  const bool exact = replayed >= possible;
  nlohmann::json d;
  d["ranks"] = ranks;
  d["rank"] = f.rank;
  d["rank_chosen"] = chosen;
  d["simulated_ms"] = bio_s * 1e3;
  d["interval_steps"] = sum.interval_steps;
  d["per_rank"] = rank_json(f);
  d["per_rank"]["time_s"] = {{"build", build_s},          {"exchange_setup", setup_s},
                             {"replay_subscriptions", replay_s}, {"simulate", f.simulate_s},
                             {"simulate_per_biological_second", sim_per_bio}};
  d["subscriptions"] = {{"possible_ranks", possible}, {"replayed_ranks", replayed}, {"exact", exact}};
  d["projected_job"] = {{"ranks", ranks},
                        {"t_stop_ms", deck.simulation.t_stop},
                        {"memory_bytes_per_rank", per_rank},
                        {"memory_bytes_total", static_cast<double>(per_rank) * ranks},
                        {"build_s", build_s},
                        {"simulate_s", sim_per_bio * t_stop_s},
                        {"wall_s", wall},
                        {"core_hours", wall * ranks * sum.threads_per_rank / 3600.0},
                        {"messages_per_interval", f.messages_sent / n * ranks},
                        {"bytes_per_interval", f.bytes_sent / n * ranks}};
  nlohmann::json j;
  j["cajal_version"] = CAJAL_VERSION;
  j["deck"] = deck.file;
  j["overrides"] = deck.overrides;
  j["dry_run"] = d;

  auto mib = [](double b) { return b / (1 << 20); };
  std::printf("cajal dry run: rank %d of %d (%s), %.6g ms simulated\n", f.rank, ranks, chosen.c_str(), bio_s * 1e3);
  std::printf("  cells %llu, synapses %llu\n", static_cast<unsigned long long>(f.local_cells),
              static_cast<unsigned long long>(f.local_synapses));
  std::printf("  memory of this rank (MiB)\n");
  const std::pair<const char*, std::uint64_t> rows[] = {{"cells", f.cells},
                                                        {"synapses", f.synapses},
                                                        {"ring buffers", f.ring_buffers},
                                                        {"exchange buffers", f.exchange_buffers},
                                                        // the part of them that does not follow the traffic
                                                        {"  (subscription tables, O(P))", f.exchange_tables},
                                                        {"field", f.field},
                                                        {"library baseline", f.baseline},
                                                        {"peak measured", f.peak_rss}};
  for (const auto& r : rows) std::printf("    %-28s %12.3f\n", r.first, mib(static_cast<double>(r.second)));
  std::printf("    %-28s %12.3f\n", "(dry-run stand-in, in peak)", mib(static_cast<double>(f.standin)));
  std::printf("    %-28s %12.3f\n", "(peak after the build)", mib(static_cast<double>(f.build_peak_rss)));
  std::printf("  time of this rank (s)\n");
  std::printf("    %-28s %12.3f\n", "build", build_s);
  std::printf("    %-28s %12.3f\n", "  (exchange setup, in build)", setup_s);
  std::printf("    %-28s %12.3f\n", "simulate per biological s", sim_per_bio);
  std::printf("  exchange per interval (%d steps)      sent     received\n", sum.interval_steps);
  if (exact)
    std::printf("    (subscribers exact: replayed all %llu ranks that may subscribe)\n",
                static_cast<unsigned long long>(possible));
  else
    std::printf("    (subscribers estimated: replayed %llu of the %llu ranks that may subscribe)\n",
                static_cast<unsigned long long>(replayed), static_cast<unsigned long long>(possible));
  std::printf("    %-28s %12.1f %12.1f\n", "messages", f.messages_sent / n, f.messages_received / n);
  std::printf("    %-28s %12.1f %12.1f\n", "bytes", f.bytes_sent / n, f.bytes_received / n);
  std::printf("  projected job: %d ranks, t_stop %.6g ms\n", ranks, deck.simulation.t_stop);
  std::printf("    %-28s %12.3f\n", "memory per rank (MiB)", mib(static_cast<double>(per_rank)));
  std::printf("    %-28s %12.3f\n", "memory, all ranks (MiB)", mib(static_cast<double>(per_rank) * ranks));
  std::printf("    %-28s %12.3f\n", "wall time (s)", wall);
  std::printf("    %-28s %12.4f\n", "core hours", wall * ranks * sum.threads_per_rank / 3600.0);
  std::printf("    %-28s %12.1f\n", "messages per interval", f.messages_sent / n * ranks);
  std::fflush(stdout);

  const std::string path = out_dir + "/summary.json";
  std::ofstream o(path + ".incomplete");
  o << j.dump(2) << "\n";
  o.close();
  if (!o || std::rename((path + ".incomplete").c_str(), path.c_str()) != 0)
    throw usage_error(path + ": cannot write the run summary");
}

void write_summary(const Communicator& comm, const Deck& deck, const RunSummary& sum, const RunFacts& facts,
                   const std::string& out_dir) {
  std::string problem;
  if (comm.is_root()) {
    const std::string path = out_dir + "/summary.json";
    std::ofstream f(path + ".incomplete");
    f << summary_json(deck, sum, facts).dump(2) << "\n";
    f.close();
    if (!f || std::rename((path + ".incomplete").c_str(), path.c_str()) != 0)
      problem = path + ": cannot write the run summary";
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
}

}  // namespace cajal
