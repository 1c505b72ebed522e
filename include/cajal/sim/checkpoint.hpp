#pragma once
/// Checkpoints seen from outside the simulation: finding them, reading what they say
/// about the run they came from, and which deck values a restart may change.
///
/// A checkpoint is one HDF5 file `checkpoint_<step>.h5` holding every piece of state by
/// global id (so any number of ranks reads it), the deck text and its overrides, the step,
/// the Cajal version and a format version; every dataset carries a checksum. It is written
/// as `*.h5.incomplete` and renamed only when complete. See README.md, "Checkpoint and
/// restart".
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/parallel/communicator.hpp"

namespace cajal {

struct CheckpointInfo {
  std::string path;
  std::int64_t step = 0;
  std::string deck_text, deck_file;
  std::vector<std::string> overrides;  ///< --set values of the run that wrote it
  std::string output_dir;              ///< where that run wrote its outputs
};

/// Collective. `path` is a checkpoint file (returned alone) or a folder (its checkpoint
/// files, newest first). Throws usage_error when there is none.
std::vector<std::string> find_checkpoints(const Communicator& comm, const std::string& path);

/// Collective: the header of one checkpoint (usage_error when unreadable, not a Cajal
/// checkpoint, of another format version, or corrupt).
CheckpointInfo read_checkpoint_info(const Communicator& comm, const std::string& path);

/// The `--set` keys a restart may change: those that leave the network as it was
/// (simulation.t_stop, simulation.exchange_buffer_mib, output.*, checkpoint.*). Throws input_error for any other.
void check_restart_overrides(const std::vector<std::string>& sets);

}  // namespace cajal
