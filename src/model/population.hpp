#pragma once
// The local cells of one population on one rank: struct-of-arrays state in Kokkos Views,
// the ring buffers of pending synaptic input, the Poisson background, and one kernel that
// advances every local cell through one communication interval.
//
// Lifecycle: built once by the simulation after the partition; `advance` is called once
// per interval. Within an interval no input from other cells can arrive (every delay is at
// least the interval), so each cell runs all the interval's steps in one kernel launch,
// with its state in registers.
//
// Ring buffers: ring(receptor, slot, cell) holds the fixed-point sum of input due at
// steps s with s % ring_size == slot. Delivery writes future slots; advance reads and
// clears the slots of the current interval.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "model/stimulus.hpp"
#include "random/philox.hpp"
#include "synapse/stdp.hpp"
#include "util/lanes.hpp"

namespace cajal {

class Partition;

/// What the local cells emit during one interval on this rank: spikes, each packed as
/// (gid << 16 | step in interval); the capacity is the most the local cells can emit in
/// one interval. (The graded SIC output of astrocytes goes to Population::sic_out.)
struct SpikeBuffer {
  Kokkos::View<std::uint64_t*> spikes;
  Kokkos::View<int> count;
  /// Cells whose adaptive integration failed in the interval (conductance models).
  Kokkos::View<int> failures;
};
constexpr int spike_offset_bits = 16;
KOKKOS_INLINE_FUNCTION std::uint64_t pack_spike(std::uint64_t gid, int offset) {
  return (gid << spike_offset_bits) | static_cast<std::uint64_t>(offset);
}
KOKKOS_INLINE_FUNCTION std::uint64_t spike_gid(std::uint64_t s) { return s >> spike_offset_bits; }
KOKKOS_INLINE_FUNCTION int spike_offset(std::uint64_t s) { return static_cast<int>(s & 0xFFFF); }

/// Independent Poisson input per cell and step, drawn by inversion of a tabulated CDF from
/// the stream (seed, background, gid). A mean above 16 events per step is split into equal
/// chunks, each drawn from its own table.
struct PoissonDrive {
  static constexpr int max_table = 64;
  int chunks = 0;  // 0: no background
  int table_len = 0;
  std::uint32_t threshold[max_table] = {};
  std::int64_t weight_fixed = 0;
  int receptor = 0;
  rng::Key key;

  static PoissonDrive make(const Background& bg, double dt, std::uint64_t seed, bool two_ports);
  /// Number of events of step `step` of cell `gid`; `cached`/`blk` memoise the last block.
  /// Also for a block of cells in SIMD lanes: gid a lanes::UPack, blk an rng::BlockLanes,
  /// the counts a lanes::IntPack, each lane the count of its cell (one `cached` for all:
  /// the lanes share the step).
  template <class Gid, class Blk>
  KOKKOS_INLINE_FUNCTION auto events(Gid gid, std::int64_t step, std::int64_t& cached, Blk& blk) const {
    using Count = lanes::Bits<Gid>;  // int64 for one cell, IntPack for a block (a device build sees only the first)
    Count total{};
    for (int c = 0; c < chunks; ++c) {
      const std::int64_t j = step * chunks + c;
      if ((j >> 2) != cached) {
        cached = j >> 2;
        blk = rng::draw(key, gid, static_cast<std::uint64_t>(cached));
      }
      const auto u = blk.w[j & 3];
      // K = number of thresholds at or below u. Counted without an early exit: the exit
      // would be a data-dependent branch, mispredicted about once per draw.
      for (int t = 0; t < table_len; ++t) total += lanes::select(u >= threshold[t], Count{} + 1, Count{});
    }
    return total;
  }
};

class Population {
public:
  virtual ~Population() = default;

  /// Advances every local cell through steps t0 + from .. t0 + to - 1 of the interval that
  /// starts at t0, appending spikes (offsets relative to t0). An interval is usually one
  /// call (from = 0, to = m); state reports split it at their sampling steps.
  virtual void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) = 0;
  /// Most spikes one cell can emit in m steps (refractoriness bounds it).
  virtual int max_spikes(int m) const = 0;
  /// Time steps per step of the model's own integration (astrocyte_gchi: dt_astro / dt).
  virtual int own_step() const { return 1; }
  /// True for models with adaptive integration, whose steps can fail (see model/ode.hpp).
  virtual bool can_fail() const { return false; }
  /// True for models that send SIC (astrocyte_lr_1994): they write sic_out.
  virtual bool sends_sic() const { return false; }
  /// A state variable for reports: value of local cell i = view(i) + offset. Empty view when
  /// the model has no variable of that name.
  struct Recordable {
    Recordable() = default;
    Recordable(Kokkos::View<double*> v, double off, Kokkos::View<double*> offs = {})
        : view(v), offset(off), offsets(offs) {}
    Kokkos::View<double*> view;
    double offset = 0.0;
    Kokkos::View<double*> offsets;  ///< per local cell, in place of `offset` (per-cell E_L); empty: none
  };
  virtual Recordable recordable(const std::string& name) const = 0;
  /// The number of incoming synapses of each local cell, for models that average their
  /// input over them (astrocyte_gchi); others ignore it.
  virtual void set_in_degree(const std::vector<std::uint32_t>&) {}
  /// What an astrocyte shares with the synapses it modulates, as snapshot by take_snapshot()
  /// at the start of its current step: astrocyte_gchi the activation Gamma_S of their
  /// presynaptic receptors (gliotransmission), astrocyte_integrator its STDP gate. Empty
  /// for other models.
  virtual Kokkos::View<double*> gamma_s_snapshot() const { return {}; }
  virtual void take_snapshot() {}
  /// Membrane potential of every local cell (mV), for tests and reports.
  virtual Kokkos::View<double*>::HostMirror membrane() const = 0;

  /// Per-cell state a checkpoint saves and restores, besides the ring buffers: the one
  /// place that lists it (with the spike history of `all_state`). Exactly one view is set;
  /// the `*_rows` views hold several values per cell.
  struct StateArray {
    std::string name;
    Kokkos::View<double*> real;
    Kokkos::View<int*> integer;
    Kokkos::View<double**, Kokkos::LayoutRight> real_rows;
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight> int_rows;
    /// Which view is set (known also on a rank without cells: allocated views have labels).
    enum Kind { real_kind, integer_kind, real_rows_kind, int_rows_kind };
    Kind kind() const {
      if (!real.label().empty()) return real_kind;
      if (!integer.label().empty()) return integer_kind;
      return !real_rows.label().empty() ? real_rows_kind : int_rows_kind;
    }
    int width() const {
      const Kind k = kind();
      return k == real_rows_kind ? static_cast<int>(real_rows.extent(1))
                                 : k == int_rows_kind ? static_cast<int>(int_rows.extent(1)) : 1;
    }
  };
  virtual std::vector<StateArray> state() = 0;
  /// state() plus the STDP spike history when plastic synapses target the population.
  std::vector<StateArray> all_state();

  std::string name;
  std::size_t local_size = 0;
  int receptors = 1;
  int ring_size = 1;
  Kokkos::View<std::uint64_t*> gid;
  Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;  // (receptor, slot, cell)
  PoissonDrive background;
  /// Recent spikes and STDP trace, kept only when plastic synapses target the population.
  PostHistory history;
  /// IP3 flux through gap junctions into each cell (µM/ms), held over one astrocyte step;
  /// set only for astrocyte populations coupled by ip3_gap_junction.
  Kokkos::View<double*> gap_flux;
  /// Shift of each local cell's E_L (mV) from the K+ field, refreshed every field step;
  /// set only for populations in field.potassium.feedback_to, whose models read it
  /// (ModelInfo::k_feedback); derived from the field, so not checkpointed.
  Kokkos::View<double*> leak_shift;
  /// SIC (pA, before the connection weight) of each local cell at each step of the current
  /// interval: sic_out(i, k), k < m. Allocated by the simulation (local_size x m) only for
  /// populations that send SIC and have sic_connection targets; not state (a function of
  /// Ca, delivered in the interval that computes it).
  Kokkos::View<double**, Kokkos::LayoutRight> sic_out;
  /// The [[stimulus]] devices that target the population (inactive when none): their
  /// current per cell and slot, which the model kernels read, and their Poisson events.
  StimulusInput stimulus;

  std::size_t bytes() const;
};

/// Makes the population object for `deck.populations[pop]` on this rank: its model's
/// factory (ModelInfo::make; the models live in model/cells/, the kernel they share in
/// model/interval.hpp).
std::unique_ptr<Population> make_population(const Deck& deck, const Partition& part, int pop, int ring_size);

}  // namespace cajal
