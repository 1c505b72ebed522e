#include "sim/run_summary.hpp"

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
