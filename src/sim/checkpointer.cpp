#include "sim/checkpointer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cajal/util/error.hpp"
#include "io/checkpoint_file.hpp"
#include "util/system.hpp"

namespace cajal {

namespace {

std::string checkpoint_name(std::int64_t step) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "checkpoint_%012lld.h5", static_cast<long long>(step));
  return buf;
}

}  // namespace

std::string overrides_text(const std::vector<std::string>& sets) {
  std::string s;
  for (const auto& x : sets) s += x + "\n";
  return s;
}

bool is_checkpoint_name(const std::string& n) {
  return n.rfind("checkpoint_", 0) == 0 && n.size() > 3 && n.compare(n.size() - 3, 3, ".h5") == 0;
}

Checkpointer::Checkpointer(const Communicator& comm, const Deck& deck, const std::string& out_dir, std::int64_t start)
    : comm_(comm), deck_(deck), out_dir_(out_dir), nsteps_(deck.steps()) {
  dir_ = deck.checkpoint.dir.empty() ? out_dir + "/checkpoints" : deck.checkpoint.dir;
  every_ = deck.checkpoint.interval_ms > 0 ? std::max<std::int64_t>(1, deck.to_steps(deck.checkpoint.interval_ms)) : 0;
  next_due_ = every_ ? (start / every_ + 1) * every_ : -1;
}

bool Checkpointer::due(std::int64_t t_end, bool stop) const {
  return stop || (every_ && t_end >= next_due_) || (deck_.checkpoint.at_end && t_end == nsteps_);
}

/// Room for it? A clear error now beats a half-written file.
void Checkpointer::check_room(std::uint64_t estimate) const {
  std::string problem;
  if (comm_.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
      problem = dir_ + ": cannot create the checkpoint folder (" + ec.message() + ")";
    } else {
      const auto space = fs::space(dir_, ec);
      if (!ec && space.available < estimate + estimate / 20)
        problem = dir_ + ": not enough free space for a checkpoint (needs about " + format_bytes(estimate) + ", " +
                  format_bytes(space.available) + " free)";
    }
  }
  problem = comm_.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem + "; earlier checkpoints are untouched");
}

void Checkpointer::write(std::int64_t step, const Counters& counters, std::uint64_t state_bytes,
                         const std::function<void(CheckpointFile&)>& save_state) {
  check_room((64 << 10) + state_bytes + deck_.text.size() * 2);
  const std::string final_path = dir_ + "/" + checkpoint_name(step), tmp = final_path + ".incomplete";
  std::string problem;
  try {
    CheckpointFile f(comm_, tmp, CheckpointFile::Mode::create);
    f.write_scalar("step", step);
    f.make_group("deck");
    f.write_text("deck/text", deck_.text);
    f.write_text("deck/file", deck_.file);
    f.write_text("deck/overrides", overrides_text(deck_.overrides));
    f.write_text("output_dir", out_dir_);
    f.make_group("counters");
    f.write_small("counters/spikes", counters.spikes);
    f.write_small("counters/spikes_written", counters.written);
    f.write_scalar("synaptic_events", static_cast<std::int64_t>(counters.events));
    save_state(f);
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
  problem = comm_.first_problem(problem);
  if (!problem.empty()) {
    if (comm_.is_root()) std::remove(tmp.c_str());
    throw usage_error(problem + "; earlier checkpoints are untouched");
  }
  commit(tmp, final_path);
  last_ = final_path;
  std::error_code ec;
  last_bytes_ = comm_.is_root() ? std::filesystem::file_size(final_path, ec) : 0;
  if (every_) next_due_ = (step / every_ + 1) * every_;
}

/// The rename is the commit point: before it the previous checkpoint is the newest. The
/// data is on the disk (fsync) before the rename, and the rename before we go on; then the
/// oldest checkpoints beyond `keep` go.
void Checkpointer::commit(const std::string& tmp, const std::string& final_path) const {
  std::string problem;
  if (comm_.is_root()) {
    if (!fsync_path(tmp)) problem = tmp + ": cannot flush the checkpoint to the disk (fsync failed)";
    else if (std::rename(tmp.c_str(), final_path.c_str()) != 0) problem = tmp + ": cannot rename to " + final_path;
    else fsync_path(dir_);
    std::vector<std::string> old;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
      const std::string n = e.path().filename().string();
      if (is_checkpoint_name(n)) old.push_back(n);
    }
    std::sort(old.rbegin(), old.rend());
    for (std::size_t k = static_cast<std::size_t>(deck_.checkpoint.keep); k < old.size(); ++k)
      std::filesystem::remove(dir_ + "/" + old[k], ec);
  }
  problem = comm_.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
}

}  // namespace cajal
