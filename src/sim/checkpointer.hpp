#pragma once
/// Stage "checkpoint": when a checkpoint is due, and writing one safely.
///
/// Due at the first interval edge at or after each multiple of [checkpoint] interval, at
/// t_stop with `at_end`, and whenever a stop signal reached any rank. A checkpoint is
/// written as `checkpoint_<step>.h5.incomplete`, flushed to the disk (fsync) and renamed:
/// the rename is the commit point, so a crash while writing never destroys the newest
/// complete one. Then the oldest beyond `keep` are deleted. Each stateful part of the
/// simulation saves itself into the file (the callback); this class writes the header.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

class CheckpointFile;

/// The `--set` values as a checkpoint stores them (`deck/overrides`): one per line. A
/// restart compares its own with them.
std::string overrides_text(const std::vector<std::string>& sets);

/// Whether a file name is a complete checkpoint's, `checkpoint_<step>.h5`.
bool is_checkpoint_name(const std::string& name);

class Checkpointer {
public:
  Checkpointer(const Communicator& comm, const Deck& deck, const std::string& out_dir, std::int64_t start);

  /// Whether the interval ending at `t_end` ends with a checkpoint (`stop`: a stop signal).
  bool due(std::int64_t t_end, bool stop) const;

  /// Counters of the whole run up to the checkpoint, the same on every rank.
  struct Counters {
    std::vector<std::uint64_t> spikes, written;  ///< per population: spikes, spikes in the spike file
    std::uint64_t events = 0;
  };
  /// Collective: writes the checkpoint of `step`. `state_bytes`: about what `save_state`
  /// writes (for the free-space check). Throws usage_error (earlier checkpoints untouched).
  void write(std::int64_t step, const Counters& counters, std::uint64_t state_bytes,
             const std::function<void(CheckpointFile&)>& save_state);

  /// The newest checkpoint this run wrote (empty if none) and its size in bytes (rank 0).
  const std::string& last() const { return last_; }
  std::uint64_t last_bytes() const { return last_bytes_; }

private:
  void check_room(std::uint64_t estimate) const;
  void commit(const std::string& tmp, const std::string& final_path) const;

  const Communicator& comm_;
  const Deck& deck_;
  std::string out_dir_, dir_;
  std::int64_t every_ = 0, next_due_ = -1, nsteps_ = 0;
  std::string last_;
  std::uint64_t last_bytes_ = 0;
};

}  // namespace cajal
