#pragma once
// The stimulus devices ([[stimulus]], NEST's dc_generator, step_current_generator,
// ac_generator and inhomogeneous_poisson_generator) that act on one population's local
// cells.
//
// A device is a pure function of the step and the deck, so it has no state to save: a
// restart continues it bit for bit, and every rank evaluates it alike. Before a population
// advances through steps [from, to) of an interval, `fill` evaluates every device for
// those steps on the host (value per device and ring slot), then one kernel writes each
// local cell's summed current into `current(slot, cell)` (which the model kernel adds to
// its I_e, or, for an astrocyte, to its IP3 equation; devices with variable = "I_bias" into
// `bias(slot, cell)`, added to astrocyte_gchi's I_bias) and adds each cell's Poisson events
// into its ring slots, in fixed point like spikes (exact and order-free).
//
// Time: step s covers (s h, (s + 1) h]. A device acts in step s when start < t for all t
// in the step and the step ends no later than stop: start/h <= s < stop/h. Values:
//   dc_generator            amplitude
//   step_current_generator  amplitude_values[j] for the steps from amplitude_times[j]/h
//                           on (0 before the first time)
//   ac_generator            offset + amplitude sin(2 pi frequency (s + 1) h + phase), the
//                           sine at the step's end (NEST's rotation gives the same value)
//   inhomogeneous_poisson   rate_values[j] from rate_times[j]/h on: Poisson(rate h) events
//                           per cell and step, from the stream (seed, stimulus, device
//                           index) at counter (gid, step << 16 | block)
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <vector>

#include "cajal/input/deck.hpp"
#include "random/philox.hpp"

namespace cajal {

class Partition;
class Population;

/// Poisson(chunks * lc) events of one cell in one step: `chunks` inversions of Poisson(lc)
/// (lc <= 16, p0 = e^{-lc}), each from one 32-bit word of the stream.
KOKKOS_INLINE_FUNCTION std::int64_t stimulus_poisson(const rng::Key& key, std::uint64_t gid, std::int64_t step,
                                                     double lc, double p0, int chunks) {
  std::int64_t total = 0;
  rng::Block blk{};
  for (int c = 0; c < chunks; ++c) {
    if ((c & 3) == 0) blk = rng::draw(key, gid, (static_cast<std::uint64_t>(step) << 16) | static_cast<std::uint64_t>(c >> 2));
    const double u = (static_cast<double>(blk.w[c & 3]) + 0.5) * (1.0 / 4294967296.0);
    double p = p0, F = p0;
    int k = 0;
    while (u > F && k < 1000) {
      ++k;
      p *= lc / k;
      F += p;
    }
    total += k;
  }
  return total;
}

/// The devices that target one population, on this rank. Empty (no views) when none does.
struct StimulusInput {
  /// Builds the devices of deck.stimuli that target population `pop`, for its local cells.
  /// `two_ports`: Poisson events of negative weight go to port 1 (sign-routed models).
  void build(const Deck& deck, const Partition& part, int pop, std::size_t local_size, int ring_size,
             bool two_ports);
  bool active() const { return !devices_.empty(); }
  /// Bytes held per rank (the per-cell current and device lists, the per-device tables).
  std::size_t bytes() const {
    return (current.size() + bias.size()) * sizeof(double) + (first_.size() + member_.size()) * sizeof(int) +
           value_.size() * (3 * sizeof(double) + sizeof(int));
  }
  /// Evaluates the devices for steps t0 + from .. t0 + to - 1 into `current` and the ring
  /// slots of `p` (see the header).
  void fill(const Population& p, std::int64_t t0, int from, int to) const;

  /// Summed current of the current-like devices (pA, or µM/ms of IP3 for astrocytes) of
  /// each local cell for each ring slot of the steps being advanced: (slot, cell). Empty
  /// view when no current-like device targets the population.
  Kokkos::View<double**, Kokkos::LayoutRight> current;
  /// The same for devices with variable = "I_bias" (astrocyte_gchi: added to I_bias, µM).
  Kokkos::View<double**, Kokkos::LayoutRight> bias;

private:
  struct Device {
    const StimulusSpec* spec;
    int index;                        // in deck.stimuli (the Poisson stream's sub-stream)
    std::int64_t start = 0, stop = -1;  // steps
    std::vector<std::int64_t> times;  // steps
    rng::Key key;
    std::int64_t weight_fixed = 0;
    int receptor = 0;
  };
  double value(const Device& d, std::int64_t step) const;
  double dt_ = 0;
  std::vector<Device> devices_;
  std::size_t local_size_ = 0;
  // Per local cell, the indices (into devices_) of its devices: CSR.
  Kokkos::View<int*> first_, member_;
  // Per device and ring slot: the current, or Poisson's lc, e^{-lc} and chunks.
  Kokkos::View<double**, Kokkos::LayoutRight> value_, p0_;
  Kokkos::View<int**, Kokkos::LayoutRight> chunks_;
  Kokkos::View<double**, Kokkos::LayoutRight>::HostMirror value_host_, p0_host_;
  Kokkos::View<int**, Kokkos::LayoutRight>::HostMirror chunks_host_;
  // Per device: kind (0 current, 1 Poisson, 2 I_bias), key, fixed-point weight, receptor.
  Kokkos::View<int*> kind_, receptor_;
  Kokkos::View<std::int64_t*> weight_fixed_;
  Kokkos::View<std::uint32_t* [2]> key_;
};

}  // namespace cajal
