#pragma once
/// Stage "progress": a line on stderr from rank 0, at most once a second and at the end:
/// simulated time, percentage, seconds per biological second, and the time left.
#include <cstdint>

#include "sim/clock.hpp"

namespace cajal {

class Progress {
public:
  /// `enabled` only on rank 0 (and not with --quiet); the run spans steps [start, nsteps).
  Progress(bool enabled, std::int64_t start, std::int64_t nsteps, double dt);
  /// The run has reached step `t_end`.
  void report(std::int64_t t_end);

private:
  bool enabled_;
  std::int64_t start_, nsteps_;
  double dt_;
  clock_type::time_point t_start_, t_last_;
};

}  // namespace cajal
