#pragma once
/// The stop signal: SIGTERM or SIGUSR1 (what batch schedulers send before the wall-time
/// limit) sets a flag; the loop agrees on it collectively one interval later and ends with
/// a checkpoint (install_stop_handlers is in cajal/sim/simulation.hpp).

namespace cajal {

/// Whether a stop signal has reached this process.
bool stop_requested();

}  // namespace cajal
