#pragma once
/// The presynaptic side of stateful synapses (STDP, short-term plasticity), kept by each
/// source's owner and sent with its spikes.
///
/// What a stateful synapse needs of its source depends on the source's spike train alone
/// (synapse/stdp.hpp): the stamp of its previous spike (t_last) and, for STDP, the trace K+
/// just after it. Receivers used to keep both per source row; at 10^4 ranks and more a row
/// holds 1-2 synapses, so they cost 16 bytes per synapse on every rank (1.3 GB of the
/// record-sized network's 4.4 GB). The owner keeps them once per local cell instead, and
/// each spike of a population with stateful outgoing projections travels as a record:
///
///   word 0: the packed spike (gid, offset), as for static synapses;
///   word 1: t_last before this spike (the stamp of the previous one, 0 if none);
///   word slot(i): K+ before this spike for plastic projection i, as the bits of a double.
///
/// A projection's slots follow from the deck alone, so every rank reads the same words.
/// The owner advances the state over its spikes in time order, with the arithmetic the
/// receivers used (StdpRule::advance_trace), so the values are the same bits for any
/// number of ranks; a checkpoint keeps them by source, as before (local_network_state.cpp).
#include <cstdint>
#include <vector>

#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"

namespace cajal {

class PresynapticState {
public:
  PresynapticState(const Partition& part, const std::vector<Projection>& projections);

  /// Whether any projection is stateful (else there are no records).
  bool active() const { return width_ > 0; }
  /// Words per record: 2, plus the most plastic projections any population feeds.
  int width() const { return width_; }
  /// The word of projection i's K+ in a record; 0 when projection i is not plastic.
  int slot(std::size_t i) const { return slot_[i]; }

  /// Stage exchange, owner side: the records of this interval's local spikes (the first n of
  /// `spikes`, packed, for the interval starting at step t0) of populations with stateful
  /// outgoing projections, by cell and time; advances the state over them. The buffer is
  /// reused every interval; records() of them are valid.
  const std::vector<std::uint64_t>& records_of(const std::uint64_t* spikes, std::size_t n, std::int64_t t0);
  std::size_t records() const { return records_.size() / static_cast<std::size_t>(width_ > 0 ? width_ : 1); }

  /// The state of this rank's cells of population `pop` (in the order of part.local(pop)):
  /// t_last, and K+ of plastic projection i (checkpoints read and write them).
  std::vector<std::int64_t>& t_last(int pop) { return t_last_[pop]; }
  const std::vector<std::int64_t>& t_last(int pop) const { return t_last_[pop]; }
  std::vector<double>& kplus(std::size_t i) { return kplus_[i]; }
  const std::vector<double>& kplus(std::size_t i) const { return kplus_[i]; }

  /// Bytes held: the state and the largest interval's records so far.
  std::uint64_t bytes() const;

private:
  const Partition& part_;
  std::vector<StdpRule> rule_;        // per projection (plastic ones)
  std::vector<int> slot_;             // per projection
  std::vector<std::vector<std::size_t>> plastic_of_;  // per population: its plastic projections
  std::vector<std::vector<std::int64_t>> t_last_;     // per population with state: per local cell
  std::vector<std::vector<double>> kplus_;            // per plastic projection: per local cell of pre
  int width_ = 0;
  std::vector<std::uint64_t> order_, records_;        // reused every interval
};

}  // namespace cajal
