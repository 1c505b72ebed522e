#pragma once
/// summary.json: written last by rank 0, its presence marks a finished run. The keys are
/// documented in inputs/README.md ("summary.json").
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cajal/field/field.hpp"
#include "cajal/sim/simulation.hpp"

namespace cajal {

/// What summary.json reports beyond RunSummary, reduced over ranks.
struct RunFacts {
  std::vector<std::pair<double, double>> branching;  ///< per population: whole run, last quarter
  double restore_s = 0;
  bool plastic = false;  ///< any STDP projection
  std::uint64_t plastic_synapses = 0;
  std::int64_t stdp_history_lost = 0;
  bool field = false;
  FieldStats field_stats;
  double field_total = 0, field_min = 0, field_max = 0, field_err_max = 0, field_err_rms = 0;
  nlohmann::json outputs = nlohmann::json::object();
};

/// Collective: rank 0 writes `out_dir`/summary.json (via summary.json.incomplete and a
/// rename); throws usage_error on every rank when it cannot.
void write_summary(const Communicator& comm, const Deck& deck, const RunSummary& sum, const RunFacts& facts,
                   const std::string& out_dir);

/// One rank's figures as summary.json writes them ("per_rank" of a real run, "rank" of a
/// dry run): memory by category in bytes, traffic in total and per interval.
nlohmann::json rank_json(const RankFigures& f);

/// The dry run's report (`cajal run --dry-run P`): a table on stdout and
/// `out_dir`/summary.json with the same figures under "dry_run". `sum` comes from the
/// short stretch simulated on a DryRunCommunicator; `chosen`: "most loaded" or "--rank".
/// `replay_s`: seconds spent replaying other ranks' draws (and building the stand-ins),
/// `possible` ranks that may subscribe to this rank's cells of which `replayed` were
/// replayed; `setup_s`: seconds of the exchanges' setup, less the replay (SpikeExchange).
void write_dry_run(const Deck& deck, const RunSummary& sum, int ranks, const std::string& chosen,
                   double replay_s, std::uint64_t possible, std::uint64_t replayed, double setup_s,
                   const std::string& out_dir);

}  // namespace cajal
