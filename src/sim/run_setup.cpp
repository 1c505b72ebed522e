// What the driver does before a run: the output folder, and the deck read and checked.
#include <filesystem>
#include <fstream>

#include "cajal/field/field.hpp"
#include "cajal/input/read_deck.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/util/error.hpp"

namespace cajal {

namespace {
/// `dir` as an absolute path without a trailing separator.
std::filesystem::path absolute_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path q = std::filesystem::absolute(dir, ec).lexically_normal();
  if (!q.has_filename() && q.has_parent_path()) q = q.parent_path();
  return q;
}
}  // namespace

std::string prepare_output_dir(const Communicator& comm, const std::string& dir, bool overwrite) {
  std::string problem, created;
  if (comm.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p(dir);
    // The outermost folder that create_directories will make.
    for (fs::path q = absolute_folder(dir); !q.empty() && !fs::exists(q, ec); q = q.parent_path()) {
      created = q.string();
      if (q == q.parent_path()) break;
    }
    if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
      problem = dir + ": exists and is not a folder; allowed: a folder, or a path that does not exist yet";
    } else {
      fs::create_directories(p, ec);
      if (ec) {
        problem = dir + ": cannot create the output folder (" + ec.message() + ")";
      } else if (!overwrite && (fs::exists(p / "summary.json") || fs::exists(p / "spikes.h5"))) {
        problem = dir + ": holds the output of an earlier run (summary.json, spikes.h5); "
                        "pass --overwrite to replace it, or --output to choose another folder";
      } else {
        const fs::path probe = p / ".cajal-write-test";
        std::FILE* f = std::fopen(probe.c_str(), "w");
        if (!f || std::fputs("x", f) < 0 || std::fclose(f) != 0) {
          problem = dir + ": the output folder is not writable";
        } else {
          fs::remove(probe, ec);
          // A run in progress must never look finished: the old summary goes first.
          if (overwrite) fs::remove(p / "summary.json", ec);
        }
      }
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  return comm.broadcast(created);
}

bool remove_created_output_dir(const Communicator& comm, const std::string& dir, const std::string& created) {
  std::string gone;
  if (comm.is_root() && !created.empty()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path top(created);
    for (fs::path q = absolute_folder(dir); !q.empty(); q = q.parent_path()) {
      if (!fs::remove(q, ec)) break;  // not empty (or not removable): it and its parents stay
      if (gone.empty()) gone = "1";
      if (q == top || q == q.parent_path()) break;
    }
  }
  return comm.broadcast(gone) == "1";
}

Deck load_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides) {
  Deck deck = read_deck(comm, path, overrides);
  if (deck.field.enabled) Field::check_options(deck);
  return deck;
}

}  // namespace cajal
