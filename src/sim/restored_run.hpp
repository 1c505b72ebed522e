#pragma once
/// What a restarted run takes over from the checkpoint it continues (empty for a run from 0).
#include <cstdint>
#include <string>
#include <vector>

namespace cajal {

struct RestoredRun {
  std::int64_t step = 0;                       ///< where the run continues
  std::vector<std::uint64_t> spikes, written;  ///< per population: spikes so far, spikes in the spike file
  std::uint64_t events = 0;                    ///< synaptic events so far
  std::string output_dir;                      ///< the output folder of the run that wrote it
  double seconds = 0;                          ///< time spent reading the checkpoint

  bool restarted() const { return step > 0; }
};

}  // namespace cajal
