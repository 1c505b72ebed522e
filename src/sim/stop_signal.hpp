#pragma once
/// The stop signal: SIGTERM or SIGUSR1 (what batch schedulers send before the wall-time
/// limit) sets a flag; the loop agrees on it collectively one interval later and ends with
/// a checkpoint (install_stop_handlers is in cajal/sim/simulation.hpp). During the network
/// build the ranks agree on it at the build's rounds (BuildStop) and end without output.

#include "cajal/parallel/communicator.hpp"

namespace cajal {

/// Whether a stop signal has reached this process.
bool stop_requested();

/// A stop signal during the network build. Every rank calls poll() at the same points (the
/// rounds of each projection's passes, network/connectivity.hpp): the ranks learn of one
/// another's signal one poll later, without waiting (DeferredAny), so a signal that reaches
/// one rank only stops them all, and they throw build_stopped together. finish(), at the
/// end of the build, is a last, blocking agreement: a signal that arrives after it is the
/// time loop's (a checkpoint at the first interval edge).
class BuildStop {
public:
  explicit BuildStop(const Communicator& comm) : comm_(comm), flag_(comm) {}
  /// Collective; throws build_stopped when any rank has been signalled (one poll ago).
  void poll();
  /// Collective and blocking; throws build_stopped when any rank has been signalled.
  void finish();

private:
  const Communicator& comm_;
  DeferredAny flag_;
};

}  // namespace cajal
