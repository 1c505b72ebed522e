#pragma once
/// Wall-clock helpers of the time loop: each stage times itself with a Stopwatch and the
/// run summary reports the per-phase totals.
#include <chrono>

namespace cajal {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// Adds the time between its construction and its end of scope to `total`.
class Stopwatch {
public:
  explicit Stopwatch(double& total) : total_(total), start_(clock_type::now()) {}
  ~Stopwatch() { total_ += seconds_since(start_); }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

private:
  double& total_;
  clock_type::time_point start_;
};

/// Seconds per phase of the time loop on this rank (reduced with max for summary.json).
struct PhaseTimes {
  double update = 0, exchange = 0, deliver = 0, io = 0, field = 0;
};

}  // namespace cajal
