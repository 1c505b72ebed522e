#include "cajal/sim/checkpoint.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "cajal/util/error.hpp"
#include "io/checkpoint_file.hpp"
#include "sim/checkpointer.hpp"

namespace cajal {

std::vector<std::string> find_checkpoints(const Communicator& comm, const std::string& path) {
  std::string problem, list;
  if (comm.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      problem = path + ": no such checkpoint file or folder";
    } else if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(path, ec)) {
        const std::string n = e.path().filename().string();
        if (is_checkpoint_name(n))
          found.push_back(n);
      }
      // Names carry the step with leading zeros: newest first is reverse name order.
      std::sort(found.rbegin(), found.rend());
      for (const auto& n : found) list += (fs::path(path) / n).string() + "\n";
      if (found.empty())
        problem = path + ": the folder holds no checkpoint (checkpoint_<step>.h5); files named *.incomplete are "
                         "unfinished and never used";
    } else {
      list = path + "\n";
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  list = comm.broadcast(list);
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

CheckpointInfo read_checkpoint_info(const Communicator& comm, const std::string& path) {
  CheckpointFile f(comm, path, CheckpointFile::Mode::read);
  CheckpointInfo info;
  info.path = path;
  info.step = f.read_scalar("step");
  info.deck_text = f.read_text("deck/text");
  info.deck_file = f.read_text("deck/file");
  info.output_dir = f.read_text("output_dir");
  std::stringstream ss(f.read_text("deck/overrides"));
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) info.overrides.push_back(line);
  f.close();
  return info;
}

void check_restart_overrides(const std::vector<std::string>& sets) {
  for (const auto& s : sets) {
    const std::string key = s.substr(0, s.find('='));
    const bool ok = key == "simulation.t_stop" || key == "simulation.exchange_buffer_mib" ||
                    key.rfind("output.", 0) == 0 || key.rfind("checkpoint.", 0) == 0;
    if (!ok)
      throw input_error("--set", 0, key,
                        "cannot change on restart: it would change the network or its recorded outputs; allowed: "
                        "simulation.t_stop, simulation.exchange_buffer_mib, output.*, checkpoint.*");
  }
}

}  // namespace cajal
