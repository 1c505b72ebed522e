#pragma once
/// The simulation: builds the network of a deck on every rank, then runs it.
///
/// Lifecycle: construct collectively after the Environment, from a validated Deck (the
/// build is collective: partition, local connectivity, spike subscriptions); call `run`
/// collectively once. This header compiles without Kokkos, PETSc or HDF5 (pimpl).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

struct RunOptions {
  std::string output_dir;  ///< prepared beforehand with prepare_output_dir
  bool progress = true;    ///< progress lines on stderr from rank 0, at most one a second
  /// The dry run (`cajal run --dry-run`, on a DryRunCommunicator): no outputs, no
  /// checkpoints, no summary.json (the driver writes its own); ends at `stop_step`.
  bool dry_run = false;
  std::int64_t stop_step = -1;  ///< end the loop at the first interval end at or after it; -1: t_stop
};

/// What one rank held and sent (summary.json "per_rank"; the dry run's figures). Memory by
/// category, from the byte counts of the built structures: cells (ids, model state,
/// stimulus tables, STDP history), synapses (LocalNetwork::synapse_storage_bytes), ring
/// buffers, exchange buffers (subscription tables and send/receive buffers of every
/// exchange, at their high-water mark), field (512 B per local voxel, as the memory
/// estimate counts it), library baseline (resident memory when the build began: MPI,
/// Kokkos, PETSc, HDF5, the deck); and the measured peak resident memory.
struct RankFigures {
  int rank = 0;
  std::uint64_t cells = 0, synapses = 0, ring_buffers = 0, exchange_buffers = 0, field = 0, baseline = 0;
  std::uint64_t peak_rss = 0;
  /// The peak when the network was built, before any exchange's setup (so before a dry
  /// run's stand-in tables exist): the build's own peak, the counters of the connection
  /// builder among it.
  std::uint64_t build_peak_rss = 0;
  std::uint64_t standin = 0;  ///< the dry run's stand-in tables (not part of a real rank)
  /// Of exchange_buffers, the subscription tables (per cell its subscribers, per neighbour
  /// its counts): O(P) per cell at most, reported apart from the traffic's buffers.
  std::uint64_t exchange_tables = 0;
  std::uint64_t local_cells = 0, local_synapses = 0;
  std::uint64_t intervals = 0;  ///< communication intervals simulated
  std::uint64_t messages_sent = 0, messages_received = 0, bytes_sent = 0, bytes_received = 0;  ///< totals
  double build_s = 0, simulate_s = 0;  ///< this rank's own
};

/// Everything `summary.json` reports, reduced over ranks.
struct RunSummary {
  struct Pop {
    std::string name;
    std::uint64_t n = 0, spikes = 0;
    double rate_hz = 0;
  };
  int ranks = 1;
  int threads_per_rank = 1;  ///< the Kokkos default execution space's concurrency, max over ranks
  std::string backend;       ///< that execution space's name ("Serial", "OpenMP", ...)
  std::vector<Pop> populations;
  std::uint64_t synapses = 0, synaptic_events = 0;
  double build_s = 0, simulate_s = 0, update_s = 0, exchange_s = 0, deliver_s = 0, io_s = 0, field_s = 0;
  double real_time_factor = 0, events_per_second = 0;
  std::uint64_t peak_rss_max_rank = 0, peak_rss_total = 0, synapse_storage_bytes = 0;
  int interval_steps = 0;
  std::int64_t start_step = 0, end_step = 0;
  double dt_ms = 0;
  bool stopped_early = false;   ///< a stop signal ended the run before t_stop
  std::string last_checkpoint;  ///< the newest checkpoint this run wrote, if any
  double checkpoint_write_s = 0;
  std::uint64_t checkpoint_bytes = 0;
  std::vector<RankFigures> per_rank;  ///< every rank's, in rank order
};

/// How each rank computes: the threads (concurrency) of the Kokkos default execution
/// space and its name. Collective: threads is the maximum over ranks.
struct Threading {
  int threads_per_rank = 1;
  std::string backend;
};
Threading threading(const Communicator& comm);

/// "N ranks × T threads (BACKEND)", for the run's header line.
std::string describe_parallelism(int ranks, const Threading& t);

class Simulation {
public:
  /// Collective: builds the network. Throws build_stopped, on every rank at the same
  /// point, when a stop signal reaches any rank before the build ends.
  Simulation(const Communicator& comm, const Deck& deck);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Collective: loads the state saved in the checkpoint at `path`, which must come from
  /// the same network (same deck, up to the keys check_restart_overrides allows). The run
  /// then continues from its step, and its outputs continue those of the run that wrote
  /// it. Throws usage_error naming the file and dataset when the file is corrupt; the
  /// simulation must not be run after a failed restore, except after another successful one.
  void restore(const std::string& path);

  /// Collective: runs from 0 (or the restored step) to t_stop, writing checkpoints as the
  /// deck asks and when a stop signal arrives, then writes the outputs; returns the summary.
  RunSummary run(const RunOptions& options);

  /// Steps per communication interval (the minimum delay, at most 64 steps).
  int interval_steps() const;
  /// Synapses whose target lives on this rank.
  std::uint64_t local_synapses() const;
  /// Membrane potentials (mV) of the local cells of population `pop`, with their global
  /// ids: for tests.
  void membrane(int pop, std::vector<std::uint64_t>& gids, std::vector<double>& v) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Installs handlers for SIGTERM and SIGUSR1 (what batch schedulers send before the
/// wall-time limit): the run finishes its interval, writes a checkpoint and returns with
/// RunSummary::stopped_early; the driver exits with status 3. A signal during the network
/// build makes the Simulation constructor throw build_stopped on every rank (status 4).
void install_stop_handlers();

/// Collective: makes `dir` ready for a run's output, or throws usage_error with one
/// clear sentence (unwritable, not a folder, or holding an earlier run without overwrite).
/// Returns the outermost folder it created (`dir` or a parent of it), "" when `dir` existed.
std::string prepare_output_dir(const Communicator& comm, const std::string& dir, bool overwrite);

/// Collective: removes `dir` and its parents up to `created` (what prepare_output_dir
/// returned), each only while it is empty: after a run that ended before writing anything.
/// Returns whether `dir` is gone.
bool remove_created_output_dir(const Communicator& comm, const std::string& dir, const std::string& created);

/// Reads a deck file on rank 0, broadcasts its text, parses and checks it on every rank.
Deck load_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides);

}  // namespace cajal
