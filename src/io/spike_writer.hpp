#pragma once
// Spikes in the SONATA layout, written collectively with parallel HDF5 into one file:
//   /spikes/<population>/timestamps   float64, ms, attribute units = "ms"
//   /spikes/<population>/node_ids     uint64, population-local ids
//   /spikes/<population>              attribute sorting = by_time (enum none/by_id/by_time)
//
// Lifecycle (collective throughout): opened at the start of the run under a temporary
// name; `append` is called at fixed points of the schedule with the spikes of a window of
// steps; `close` renames the file to its final name, so a run that dies leaves no
// spikes.h5 that looks complete.
//
// Order: within a window, spikes are sorted by (time, node id) across all ranks: each rank
// sends every record to the rank that owns its slice of the window's steps (a sample sort
// with equal slices), sorts, and writes at the offset given by an exclusive scan. The
// file's datasets are therefore the same, bit for bit, whatever the number of ranks.
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/parallel/mpi_communicator.hpp"
#include "io/h5.hpp"

namespace cajal {

struct SpikeRecord {
  std::uint64_t step;  ///< the step in which the cell fired; stamped at (step + 1) * dt
  std::uint64_t node;  ///< population-local id
  std::uint64_t pop;   ///< index into the writer's population list
};

class SpikeWriter {
public:
  /// Collective. When `continue_from` names a spike file, its first counts[p] spikes of
  /// each population are copied first (a restarted run continues the earlier output).
  SpikeWriter(const Communicator& comm, const std::string& path, const std::vector<std::string>& populations,
              double dt, const std::string& continue_from = "", const std::vector<std::uint64_t>& counts = {});
  /// Collective. Every record of steps [first, last) must be passed by exactly one rank.
  void append(std::vector<SpikeRecord>& local, std::int64_t first, std::int64_t last);
  /// Collective: flushes and closes; a finished run's file gets its final name, an
  /// unfinished one keeps its temporary name (a restart continues it).
  void close(bool finished = true);
  /// Collective: pushes everything written so far to the disk.
  void flush();
  /// Spikes written so far, per population.
  const std::vector<std::uint64_t>& written() const { return written_; }
  const std::string& path() const { return path_; }

private:
  void copy_from(const std::string& src, const std::vector<std::string>& populations,
                 const std::vector<std::uint64_t>& counts);
  const Communicator& comm_;
  std::string path_, tmp_;
  double dt_;
  h5::Handle file_;
  std::vector<h5::Handle> times_, nodes_;
  std::vector<std::uint64_t> written_;
  std::vector<std::uint64_t> sendbuf_;
};

}  // namespace cajal
