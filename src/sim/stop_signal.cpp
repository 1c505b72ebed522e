#include "sim/stop_signal.hpp"

#include <csignal>

#include "cajal/sim/simulation.hpp"
#include "cajal/util/error.hpp"

namespace cajal {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

[[noreturn]] void throw_build_stopped() {
  throw build_stopped("stopped by signal while building the network, before the first interval: nothing was "
                      "simulated and no checkpoint written; run it again");
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

bool stop_requested() { return g_stop_signal != 0; }

void BuildStop::poll() {
  const bool stop = comm_.size() > 1 ? flag_.exchange(stop_requested()) : stop_requested();
  if (stop) throw_build_stopped();
}

void BuildStop::finish() {
  // The answer of the reduction in flight (the same on every rank), then a blocking one:
  // a rank signalled since the last poll still has its flag set.
  const bool earlier = comm_.size() > 1 && flag_.exchange(false);
  flag_.finish();
  if (comm_.any(earlier || stop_requested())) throw_build_stopped();
}

}  // namespace cajal
