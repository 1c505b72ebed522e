#include "sim/stop_signal.hpp"

#include <csignal>

#include "cajal/sim/simulation.hpp"

namespace cajal {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

bool stop_requested() { return g_stop_signal != 0; }

}  // namespace cajal
