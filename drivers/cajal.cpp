// The `cajal` program: run or validate an input deck.
//
//   mpirun -n N cajal run DECK [--output DIR] [--set section.key=value ...] [--overwrite] [--threads T] [--plot]
//   cajal run DECK --dry-run P [--rank R] [--output DIR] [--set ...]   (one process: rank R of a P-rank job)
//   mpirun -n N cajal restart CHECKPOINT [--output DIR] [--set simulation.t_stop=...] [--plot]
//   cajal validate DECK [--set ...]
//   cajal models [NAME]
//   cajal --version
//
// Every error ends the run on every rank with the same exit status (2: the user's input
// or environment; 1: an internal failure) and one message on stderr from rank 0. A run
// stopped by SIGTERM or SIGUSR1 writes a checkpoint and exits with status 3; stopped while
// the network is being built, it writes nothing and exits with status 4.
#include <CLI/CLI.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/parallel/environment.hpp"
#include "cajal/sim/checkpoint.hpp"
#include "cajal/sim/memory.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "cajal/version.hpp"
#include "exchange/spike_exchange.hpp"
#include "io/sonata_edges.hpp"
#include "sim/run_summary.hpp"

namespace {

struct Args {
  std::string deck, output, checkpoint;
  std::vector<std::string> sets;
  bool overwrite = false, quiet = false, plot = false;
  int threads = 0;  // per rank; 0: the Kokkos backend's default
  int ranks = 0;    // validate: the ranks to estimate the memory for; 0: those it runs on
  int dry_run = 0;  // run --dry-run P: build and simulate rank `rank` of P in this one process
  int rank = -1;    // --rank: that rank; -1: the most loaded one (by the memory estimate)
  /// --dry-run-ms: the stretch a dry run simulates: by default enough intervals for steady
  /// traffic, short enough to be quick (the figures are per interval and per biological second).
  double dry_run_ms = 100.0;
  /// --dry-run-peers: the most other ranks whose draws are replayed for the subscriptions.
  int dry_run_peers = cajal::DryRunCommunicator::default_peers;
};

/// `cajal run DECK --dry-run P [--rank R]`: builds what rank R of a P-rank job holds, in
/// this one process, on a DryRunCommunicator (the exchange replaced by a stand-in of the
/// same traffic, exchange/spike_exchange.hpp), simulates a short stretch and reports memory
/// by category, build time, traffic per interval and projections for the job.
int dry_run_command(const cajal::Communicator& comm, const Args& a, const cajal::Deck& deck) {
  const int P = a.dry_run;
  if (comm.size() > 1)
    throw cajal::usage_error("command line: --dry-run " + std::to_string(P) + ": a dry run is one process standing for "
                             "one rank of the job; launch it without mpirun (here on " + std::to_string(comm.size()) +
                             " ranks)");
  if (a.rank >= P)
    throw cajal::usage_error("command line: --rank " + std::to_string(a.rank) + ": not a rank of a " + std::to_string(P) +
                             "-rank job; allowed: 0 .. " + std::to_string(P - 1));
  if (deck.field.enabled)
    throw cajal::usage_error(deck.file + ": [field]: --dry-run does not simulate the extracellular field yet (its "
                             "solver needs the job's ranks); size the job with cajal validate --ranks instead");
  const cajal::MemoryEstimate est = cajal::estimate_memory(comm, deck, P);
  const int rank = a.rank >= 0 ? a.rank : est.rank_max;
  const std::string out = a.output.empty() ? deck.output.dir : a.output;
  cajal::prepare_output_dir(comm, out, a.overwrite);
  if (!a.quiet)
    std::fprintf(stderr, "cajal %s: %s: dry run of rank %d of %d, building its share of the network\n", CAJAL_VERSION,
                 a.deck.c_str(), rank, P);
  const cajal::DryRunCommunicator dry(rank, P, a.dry_run_peers);
  cajal::Simulation sim(dry, deck);
  cajal::RunOptions opt;
  opt.output_dir = out;
  opt.progress = false;
  opt.dry_run = true;
  opt.stop_step = deck.to_steps(std::min(deck.simulation.t_stop, a.dry_run_ms));
  const cajal::RunSummary s = sim.run(opt);
  const auto& replay = cajal::SpikeExchange::replay_figures();
  cajal::write_dry_run(deck, s, P, a.rank >= 0 ? "--rank" : "most loaded", replay.seconds, replay.possible,
                       replay.replayed, cajal::SpikeExchange::setup_seconds(), out);
  return 0;
}

void report(const cajal::Communicator& comm, const cajal::RunSummary& s, const std::string& out) {
  if (!comm.is_root()) return;
  if (s.stopped_early) {
    std::fprintf(stderr, "cajal: stopped by signal at t = %g ms; checkpoint %s; resume with: cajal restart %s\n",
                 s.end_step * s.dt_ms, s.last_checkpoint.c_str(), s.last_checkpoint.c_str());
    return;
  }
  std::fprintf(stderr, "cajal: done: build %.2f s, simulate %.2f s (%.2f s per biological second); output in %s/\n",
               s.build_s, s.simulate_s, s.real_time_factor, out.c_str());
  for (const auto& p : s.populations)
    std::fprintf(stderr, "cajal:   %-12s %10llu spikes  %8.3f Hz\n", p.name.c_str(),
                 static_cast<unsigned long long>(p.spikes), p.rate_hz);
}

/// `--plot`: rank 0 runs cajal-plot on the output folder once the run has ended; it is
/// looked for beside this program (both the build tree, build/bin, and the install tree,
/// <prefix>/bin, hold it there). Pictures are an extra: when cajal-plot is missing or
/// fails, a warning says so and the run keeps its exit status (its outputs are complete).
void plot_outputs(const cajal::Communicator& comm, const std::string& out, bool quiet) {
  if (!comm.is_root()) return;
  char self[PATH_MAX];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string exe = len > 0 ? std::string(self, static_cast<std::size_t>(len)) : std::string();
  std::string plot = exe.substr(0, exe.rfind('/') + 1) + "cajal-plot";
  if (exe.empty() || access(plot.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "cajal: warning: --plot: no cajal-plot beside %s; the outputs are in %s/\n",
                 exe.empty() ? "this program" : exe.c_str(), out.c_str());
    return;
  }
  std::vector<std::string> args = {plot, out};
  if (quiet) args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& x : args) argv.push_back(&x[0]);
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  // posix_spawn (not system()): no shell, and no fork() of an MPI process's whole memory.
  pid_t pid = 0;
  int status = 0;
  const int err = posix_spawn(&pid, plot.c_str(), nullptr, nullptr, argv.data(), environ);
  std::string why;
  if (err != 0)
    why = std::strerror(err);
  else if (waitpid(pid, &status, 0) != pid)
    why = "lost its process";
  else if (!WIFEXITED(status))
    why = "killed by a signal";
  else if (WEXITSTATUS(status) != 0)
    why = "exit status " + std::to_string(WEXITSTATUS(status));
  if (!why.empty())
    std::fprintf(stderr, "cajal: warning: --plot: %s failed (%s); the run's outputs in %s/ are complete\n",
                 plot.c_str(), why.c_str(), out.c_str());
}

/// `cajal models [NAME]`: the catalogue: every cell and synapse model with its parameters,
/// units and defaults (NAME: only that model), from the same tables the deck is checked against.
int models_command(const cajal::Communicator& comm, const std::string& name) {
  auto print = [](const std::string& kind, const std::string& n, const std::string& doc,
                  const std::vector<cajal::ParamInfo>& params, const std::string& extra) {
    std::printf("%s %s: %s\n", kind.c_str(), n.c_str(), doc.c_str());
    if (!extra.empty()) std::printf("  %s\n", extra.c_str());
    for (const auto& p : params)
      std::printf("  %-16s %14.6g %-12s %s%s\n", p.name.c_str(), p.def, p.unit.c_str(), p.doc.c_str(),
                  p.initial ? " [initial value; may be drawn]" : "");
  };
  bool found = name.empty();
  if (comm.is_root()) {
    for (const auto& m : cajal::model_catalogue()) {
      if (!name.empty() && m.name != name) continue;
      found = true;
      std::string extra = "weight unit: " + m.weight_unit;
      if (!m.stimulus_unit.empty()) extra += "; stimulus current: " + m.stimulus_unit;
      if (!m.recordables.empty()) {
        extra += "; recordables:";
        for (const auto& r : m.recordables) extra += " " + r;
      }
      print("model", m.name, m.doc, m.params, extra);
    }
    for (const auto& m : cajal::synapse_catalogue()) {
      if (!name.empty() && m.name != name) continue;
      found = true;
      print("synapse", m.name, m.doc, m.params, "");
    }
  }
  found = comm.broadcast(std::string(found ? "1" : "")) == "1";
  if (!found) throw cajal::usage_error("no model named '" + name + "'; cajal models lists them all");
  return 0;
}

int run_command(const cajal::Communicator& comm, const Args& a, bool validate_only) {
  if (a.rank >= 0 && a.dry_run == 0) throw cajal::usage_error("command line: --rank needs --dry-run P");
  if (a.dry_run_ms != 100.0 && a.dry_run == 0) throw cajal::usage_error("command line: --dry-run-ms needs --dry-run P");
  if (a.dry_run_peers != cajal::DryRunCommunicator::default_peers && a.dry_run == 0)
    throw cajal::usage_error("command line: --dry-run-peers needs --dry-run P");
  const cajal::Deck deck = cajal::load_deck(comm, a.deck, a.sets);
  if (a.dry_run > 0) return dry_run_command(comm, a, deck);
  if (validate_only) {
    const cajal::MemoryEstimate mem = cajal::estimate_memory(comm, deck, a.ranks > 0 ? a.ranks : comm.size());
    cajal::check_memory(comm, mem);
    if (comm.is_root()) {
      std::printf("%s: valid (%zu populations, %zu projections, %.6g ms at dt = %.6g ms)\n", a.deck.c_str(),
                  deck.populations.size(), deck.projections.size(), deck.simulation.t_stop, deck.simulation.dt);
      std::printf("%s\n", cajal::describe(mem).c_str());
    }
    return 0;
  }
  // Before the output folder is touched: a network that cannot fit leaves nothing behind.
  cajal::check_memory(comm, deck);
  cajal::RunOptions opt;
  opt.output_dir = a.output.empty() ? deck.output.dir : a.output;
  opt.progress = !a.quiet;
  const std::string created = cajal::prepare_output_dir(comm, opt.output_dir, a.overwrite);
  const std::string parallelism = cajal::describe_parallelism(comm.size(), cajal::threading(comm));
  if (comm.is_root() && !a.quiet)
    std::fprintf(stderr, "cajal %s: %s on %s, building the network\n", CAJAL_VERSION, a.deck.c_str(),
                 parallelism.c_str());
  std::unique_ptr<cajal::Simulation> sim;
  try {
    sim = std::make_unique<cajal::Simulation>(comm, deck);
  } catch (const cajal::build_stopped& e) {
    // Nothing was written yet (outputs open when the run starts): a folder this run
    // created goes, one that existed stays as it was.
    const bool removed = cajal::remove_created_output_dir(comm, opt.output_dir, created);
    throw cajal::build_stopped(std::string(e.what()) + (removed ? "; the output folder it created was removed"
                                                                : "; nothing was written to " + opt.output_dir));
  } catch (const cajal::build_refused&) {
    // Agreed by every rank, so the removal (collective) is reached by all.
    cajal::remove_created_output_dir(comm, opt.output_dir, created);
    throw;
  }
  const cajal::RunSummary s = sim->run(opt);
  report(comm, s, opt.output_dir);
  if (a.plot && !s.stopped_early) plot_outputs(comm, opt.output_dir, a.quiet);
  return s.stopped_early ? cajal::exit_stopped : 0;
}

/// Restart: the newest valid checkpoint of a folder (or the one file given), its deck
/// with the original --set values and the new ones a restart may change.
int restart_command(const cajal::Communicator& comm, const Args& a) {
  cajal::check_restart_overrides(a.sets);
  const std::vector<std::string> candidates = cajal::find_checkpoints(comm, a.checkpoint);
  std::unique_ptr<cajal::Deck> deck;
  std::unique_ptr<cajal::Simulation> sim;
  std::string used, previous_output;
  for (std::size_t k = 0; k < candidates.size() && used.empty(); ++k) {
    try {
      const cajal::CheckpointInfo info = cajal::read_checkpoint_info(comm, candidates[k]);
      std::vector<std::string> sets = info.overrides;
      sets.insert(sets.end(), a.sets.begin(), a.sets.end());
      if (!deck || deck->text != info.deck_text || deck->overrides != sets) {
        sim.reset();
        deck = std::make_unique<cajal::Deck>(cajal::Deck::parse(info.deck_text, info.deck_file, sets));
        cajal::check_models(*deck);
        sim = std::make_unique<cajal::Simulation>(comm, *deck);
      }
      sim->restore(candidates[k]);
      used = candidates[k];
      previous_output = info.output_dir;
    } catch (const cajal::input_error&) {
      throw;
    } catch (const cajal::build_stopped&) {
      throw;
    } catch (const cajal::build_refused&) {
      throw;  // the deck, not the checkpoint: an older one fares no better
    } catch (const cajal::error& e) {
      if (candidates.size() == 1) throw;
      if (comm.is_root())
        std::fprintf(stderr, "cajal: warning: %s; %s\n", e.what(),
                     k + 1 < candidates.size() ? "falling back to the next older checkpoint" : "no older checkpoint left");
    }
  }
  if (used.empty()) throw cajal::usage_error(a.checkpoint + ": no valid checkpoint");
  cajal::RunOptions opt;
  bool output_set = false;
  for (const auto& x : a.sets) output_set |= x.rfind("output.dir=", 0) == 0;
  opt.output_dir = !a.output.empty() ? a.output : output_set ? deck->output.dir : previous_output;
  opt.progress = !a.quiet;
  cajal::prepare_output_dir(comm, opt.output_dir, true);  // a restart continues the output there
  const std::string parallelism = cajal::describe_parallelism(comm.size(), cajal::threading(comm));
  if (comm.is_root() && !a.quiet)
    std::fprintf(stderr, "cajal %s: restarting from %s on %s\n", CAJAL_VERSION, used.c_str(), parallelism.c_str());
  const cajal::RunSummary s = sim->run(opt);
  report(comm, s, opt.output_dir);
  if (a.plot && !s.stopped_early) plot_outputs(comm, opt.output_dir, a.quiet);
  return s.stopped_early ? cajal::exit_stopped : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  cajal::register_sonata_readers();  // rule = "sonata" projections read HDF5 through io
  try {
    cajal::Environment env(argc, argv, false);  // Kokkos starts once --threads is known
    int rc = 0;
    {
      cajal::MpiCommunicator comm(MPI_COMM_WORLD);
      // From here on SIGTERM/SIGUSR1 ask for a checkpoint instead of killing the rank.
      cajal::install_stop_handlers();
      try {
        CLI::App app{"Cajal: distributed simulation of spiking neurons and astrocytes.\n"
                     "Launch with mpirun -n N; every rank runs the same command."};
        app.set_version_flag("--version", std::string("cajal ") + CAJAL_VERSION);
        app.require_subcommand(1);
        Args a;
        auto* run = app.add_subcommand("run", "Build the network of DECK and simulate it; writes spikes.h5 "
                                              "(SONATA) and summary.json to the output folder.");
        run->add_option("DECK", a.deck, "input deck (TOML); keys documented in inputs/README.md")->required();
        run->add_option("-o,--output", a.output, "output folder (default: [output] dir of the deck, else ./output)");
        run->add_option("-s,--set", a.sets,
                        "override a deck value, e.g. --set simulation.t_stop=500 or "
                        "--set population.exc.n=800 (repeatable; validated like the deck)");
        run->add_flag("--overwrite", a.overwrite, "replace the output of an earlier run in the output folder");
        run->add_flag("-q,--quiet", a.quiet, "no progress lines");
        const char* threads_help =
            "threads per rank (a Cajal built against a Kokkos with OpenMP; default: OMP_NUM_THREADS, else the "
            "cores the rank may use); results are the same for any number";
        run->add_option("-t,--threads", a.threads, threads_help)->check(CLI::Range(1, 4096));
        const char* plot_help =
            "at the end, draw PNGs of the outputs into OUTPUT/plots with cajal-plot (beside this program); "
            "a plot that fails is a warning, not a failed run";
        run->add_flag("--plot", a.plot, plot_help);
        run->add_option("--dry-run", a.dry_run,
                        "P: size a P-rank job from one process: build what one rank holds, simulate "
                        "min(t_stop, --dry-run-ms) with the exchange replaced by a stand-in of the same traffic, and report "
                        "its memory by category, build time, messages and bytes per interval, simulate time per "
                        "biological second and the job's projected totals (a table on stdout; summary.json, key "
                        "dry_run). Run it without mpirun. See README.md, \"Sizing a job with --dry-run\"")
            ->check(CLI::Range(1, 1 << 24));
        run->add_option("--rank", a.rank, "with --dry-run: the rank to build (default: the most loaded one)")
            ->check(CLI::Range(0, 1 << 24));
        run->add_option("--dry-run-ms", a.dry_run_ms,
                        "with --dry-run: the stretch to simulate, ms (default 100; at most t_stop): longer for "
                        "networks whose activity settles slowly, e.g. astrocytes")
            ->check(CLI::Range(1e-9, 1e12));
        run->add_option("--dry-run-peers", a.dry_run_peers,
                        "with --dry-run: the most other ranks whose connection draws are replayed to find who "
                        "subscribes to this rank's cells (default 64; exact when all that may subscribe fit, else "
                        "each replayed rank stands for a block of ranks)")
            ->check(CLI::Range(1, 1 << 24));
        auto* rst = app.add_subcommand("restart", "Continue a run from a checkpoint (a file, or a folder: its newest "
                                                  "valid checkpoint), on any number of ranks.");
        rst->add_option("CHECKPOINT", a.checkpoint, "checkpoint file or folder")->required();
        rst->add_option("-o,--output", a.output, "output folder (default: the one of the checkpointed run)");
        rst->add_option("-s,--set", a.sets,
                        "override simulation.t_stop, simulation.exchange_buffer_mib, output.* or checkpoint.* (nothing that changes the network)");
        rst->add_flag("-q,--quiet", a.quiet, "no progress lines");
        rst->add_option("-t,--threads", a.threads, threads_help)->check(CLI::Range(1, 4096));
        rst->add_flag("--plot", a.plot, plot_help);
        auto* val = app.add_subcommand("validate", "Check DECK (and any --set) without running; exit status 0 when valid, 2 otherwise.");
        val->add_option("DECK", a.deck, "input deck (TOML)")->required();
        val->add_option("-s,--set", a.sets, "override a deck value, as for run");
        val->add_option("--ranks", a.ranks,
                        "estimate the memory per rank for this many ranks (default: the ranks it runs on; for others "
                        "it is checked against CAJAL_MEMORY_LIMIT only)")
            ->check(CLI::Range(1, 1 << 24));
        std::string model_name;
        auto* mod = app.add_subcommand("models", "List every cell and synapse model with its parameters, units and "
                                                 "defaults (or only NAME).");
        mod->add_option("NAME", model_name, "a model name, e.g. astrocyte_gchi");
        app.footer("Exit status: 0 success, 2 bad input (deck, command line, files; a network that cannot fit in "
                   "memory), 3 stopped by SIGTERM/SIGUSR1 with a checkpoint written, 4 stopped by SIGTERM/SIGUSR1 "
                   "while building the network (nothing written), 1 internal error.\n"
                   "Environment: CAJAL_MEMORY_LIMIT=bytes per rank (suffix k, M, G or T allowed) replaces "
                   "MemAvailable / ranks per node in the memory check.\n"
                   "Deck reference: inputs/README.md. Each error names FILE:LINE: key: what is wrong; what is allowed.");
        try {
          app.parse(argc, argv);
        } catch (const CLI::CallForHelp&) {
          if (comm.is_root()) std::cout << app.help();
          throw cajal::error("", 0);
        } catch (const CLI::CallForAllHelp&) {
          if (comm.is_root()) std::cout << app.help("", CLI::AppFormatMode::All);
          throw cajal::error("", 0);
        } catch (const CLI::CallForVersion& e) {
          if (comm.is_root()) std::cout << e.what() << "\n";
          throw cajal::error("", 0);
        } catch (const CLI::ParseError& e) {
          throw cajal::usage_error(std::string("command line: ") + e.what() + "; see cajal --help");
        }
        env.start(a.threads);
        // CLI11 prints help of the subcommand when asked on it.
        rc = app.got_subcommand(mod)   ? models_command(comm, model_name)
             : app.got_subcommand(rst) ? restart_command(comm, a)
                                       : run_command(comm, a, app.got_subcommand(val));
      } catch (const cajal::build_stopped& e) {
        if (comm.is_root()) std::fprintf(stderr, "cajal: %s\n", e.what());
        rc = e.exit_code();
      } catch (const cajal::error& e) {
        if (comm.is_root() && e.what()[0] != '\0') std::fprintf(stderr, "cajal: error: %s\n", e.what());
        rc = e.exit_code();
      } catch (const std::exception& e) {
        if (comm.is_root()) std::fprintf(stderr, "cajal: internal error: %s\n", e.what());
        rc = cajal::exit_internal;
      }
    }
    status = rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cajal: internal error: %s\n", e.what());
    status = cajal::exit_internal;
  }
  return status;
}
