#include "sim/progress.hpp"

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <string>

#include "cajal/sim/simulation.hpp"
#include "util/system.hpp"

namespace cajal {

Threading threading(const Communicator& comm) {
  Threading t;
  t.threads_per_rank = comm.max<int>(Kokkos::DefaultExecutionSpace().concurrency());
  t.backend = Kokkos::DefaultExecutionSpace::name();
  return t;
}

std::string describe_parallelism(int ranks, const Threading& t) {
  return std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks") + " \u00d7 " + std::to_string(t.threads_per_rank) +
         (t.threads_per_rank == 1 ? " thread" : " threads") + " (" + t.backend + ")";
}

Progress::Progress(bool enabled, std::int64_t start, std::int64_t nsteps, double dt)
    : enabled_(enabled), start_(start), nsteps_(nsteps), dt_(dt), t_start_(clock_type::now()), t_last_(t_start_) {}

void Progress::report(std::int64_t t_end) {
  if (!enabled_) return;
  const auto now = clock_type::now();
  if (std::chrono::duration<double>(now - t_last_).count() < 1.0 && t_end != nsteps_) return;
  t_last_ = now;
  const double wall = seconds_since(t_start_), frac = double(t_end - start_) / double(nsteps_ - start_);
  const double bio_s = (t_end - start_) * dt_ * 1e-3;
  std::fprintf(stderr, "cajal: t = %.1f of %.1f ms (%5.1f %%), %.2f s per biological second, %s left\n", t_end * dt_,
               nsteps_ * dt_, 100.0 * t_end / nsteps_, bio_s > 0 ? wall / bio_s : 0.0,
               format_duration(frac > 0 ? wall * (1 - frac) / frac : 0).c_str());
}

}  // namespace cajal
