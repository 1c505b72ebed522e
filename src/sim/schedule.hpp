#pragma once
/// The schedule of a run, derived from the deck alone (never from what a rank drew).
///
/// Time advances one communication interval at a time: an Epoch is the half-open step
/// range [t0, t1) of one interval, m = t1 - t0 steps where m is the smallest synaptic
/// delay in steps (at most 64). No spike emitted inside an epoch can reach any cell before
/// the epoch ends, so within it the populations advance without communication. Epochs end
/// at multiples of m (and at t_stop), also after a restart from a step that is not one:
/// the first epoch is then shorter, and the edges are the same as in an uninterrupted run.
#include <algorithm>
#include <cstdint>

#include "cajal/input/deck.hpp"

namespace cajal {

struct Epoch {
  std::int64_t t0 = 0, t1 = 0;  ///< steps [t0, t1)
  int steps() const { return static_cast<int>(t1 - t0); }
  bool empty() const { return t1 <= t0; }
};

class Schedule {
public:
  explicit Schedule(const Deck& deck) : nsteps_(deck.steps()) {
    std::int64_t min_delay = 64, max_delay = 1;
    for (const auto& pj : deck.projections) {
      if (pj.synapse.gap()) continue;  // no delay: coupled at each astrocyte step (GapJunctions)
      min_delay = std::min<std::int64_t>(min_delay, std::max<std::int64_t>(1, deck.to_steps(pj.delay.lower_bound())));
      max_delay = std::max<std::int64_t>(max_delay, deck.to_steps(pj.delay.upper_bound()));
    }
    m_ = static_cast<int>(min_delay);
    ring_size_ = static_cast<int>(max_delay) + m_;
  }

  /// Steps per interval (the minimum delay, at most 64).
  int interval() const { return m_; }
  /// Slots of each cell's ring buffer: input is due up to max_delay + m steps ahead.
  int ring_size() const { return ring_size_; }
  /// Steps of the whole run (t_stop / dt).
  std::int64_t steps() const { return nsteps_; }

  /// The epoch that starts at `t0`: up to the next multiple of m, or t_stop.
  Epoch epoch_at(std::int64_t t0) const {
    return {t0, t0 + std::min<std::int64_t>(m_ - t0 % m_, nsteps_ - t0)};
  }
  /// How many epochs run from step `t0` to t_stop: one per multiple of m in (t0, t_stop),
  /// plus the last one.
  std::int64_t epochs_from(std::int64_t t0) const {
    return t0 >= nsteps_ ? 0 : (nsteps_ + m_ - 1) / m_ - t0 / m_;
  }
  /// A period in steps rounded up to whole intervals (couplings refreshed at interval edges).
  std::int64_t whole_intervals(std::int64_t steps) const { return (steps + m_ - 1) / m_ * m_; }

private:
  std::int64_t nsteps_ = 0;
  int m_ = 1, ring_size_ = 1;
};

}  // namespace cajal
