#pragma once
/// The memory a run needs, estimated from the deck before anything is built, and the check
/// that refuses a deck whose share of the network cannot fit in a rank's memory (exit
/// status 2) instead of building for minutes and being killed. README.md, "Memory
/// estimate", says what is counted and how close it comes to the measured peak.
#include <cstdint>
#include <string>

#include "cajal/input/deck.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

struct MemoryEstimate {
  int ranks = 1;                 ///< the number of ranks it was made for
  double bytes_max = 0;          ///< the most one rank needs (its peak resident memory)
  int rank_max = 0;              ///< that rank
  double synapses_max = 0;       ///< its expected synapses
  double bytes_here = 0;         ///< what this rank needs (when ranks is the communicator's size)
  /// The memory this rank may use: CAJAL_MEMORY_LIMIT when set, else MemAvailable of
  /// /proc/meminfo shared evenly among the ranks on this node; 0 when unknown.
  double available = 0;
  std::string available_from;    ///< "CAJAL_MEMORY_LIMIT", or "MemAvailable / K ranks on this node"
};

/// Collective: the estimate for `ranks` ranks (every rank makes the same, but for
/// bytes_here and available). Throws input_error where the deck cannot be cut into that
/// many ranks, usage_error for a malformed CAJAL_MEMORY_LIMIT.
MemoryEstimate estimate_memory(const Communicator& comm, const Deck& deck, int ranks);

/// "~X GB per rank ..." (one line, for `cajal validate`).
std::string describe(const MemoryEstimate& e);

/// Collective: throws usage_error, with one line from the lowest rank that lacks memory
/// ("needs ~X GB per rank, Y available; use more ranks"), when the network of `deck` on
/// this communicator's ranks cannot fit.
void check_memory(const Communicator& comm, const Deck& deck);
/// The same for an estimate already made for this communicator's ranks.
void check_memory(const Communicator& comm, const MemoryEstimate& e);

}  // namespace cajal
