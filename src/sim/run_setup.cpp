// What the driver does before a run: the output folder, and the deck read and checked.
#include <filesystem>
#include <fstream>

#include "cajal/field/field.hpp"
#include "cajal/input/read_deck.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/util/error.hpp"

namespace cajal {

void prepare_output_dir(const Communicator& comm, const std::string& dir, bool overwrite) {
  std::string problem;
  if (comm.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p(dir);
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
}

Deck load_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides) {
  Deck deck = read_deck(comm, path, overrides);
  if (deck.field.enabled) Field::check_options(deck);
  return deck;
}

}  // namespace cajal
