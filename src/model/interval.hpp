#pragma once
// The generic interval kernel: the part of every population's kernel that is not the
// model (ring input, Poisson background, spike output, STDP history), over blocks of cells
// in SIMD lanes. A model supplies a Cell (see AdvanceInterval); models with their own loop
// (astrocytes) use the pieces: run_block, Drive, take_input.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "model/population.hpp"
#include "random/philox.hpp"
#include "util/fixed_point.hpp"
#include "util/lanes.hpp"

namespace cajal {

/// Block `block` of a kernel over n cells in blocks of L: k.run<L>(first cell), or, for
/// the last, partial block, k.run<1>(cell) for each of its cells.
template <int L, class Kernel>
KOKKOS_INLINE_FUNCTION void run_block(const Kernel& k, std::size_t block, std::size_t n) {
  const std::size_t i0 = block * L;
  if (i0 + L <= n) {
    k.template run<L>(i0);
  } else {
    for (std::size_t i = i0; i < n; ++i) k.template run<1>(i);
  }
}

/// How many cells a Cell advances at once: Cell::lanes where it defines it (a model with a
/// step_block), else 1.
template <class Cell, class = void>
struct LanesOf {
  static constexpr int value = 1;
};
template <class Cell>
struct LanesOf<Cell, std::void_t<decltype(Cell::lanes)>> {
  static constexpr int value = Cell::lanes;
};

/// The background events of cells i0 .. i0 + L - 1, step by step, in fixed point (the
/// weight times the count): PoissonDrive::events for a block of cell_lanes cells in lanes,
/// or (Drive<1>) for one cell.
template <int L>
struct Drive {
  static_assert(L == simd_width, "a block is one vector");
  const PoissonDrive& bg;
  std::int64_t cached = -1;
  lanes::UPack gid{};
  rng::BlockLanes blk;
  KOKKOS_INLINE_FUNCTION Drive(const PoissonDrive& d, const Kokkos::View<const std::uint64_t*>& g, std::size_t i0)
      : bg(d) {
    std::memcpy(&gid, &g(i0), sizeof gid);
  }
  using Count = lanes::Bits<lanes::Number<L>>;  // IntPack, named through L: see CAJAL_PACK_FUNCTION
  KOKKOS_INLINE_FUNCTION Count events(std::int64_t step) {
    return bg.chunks ? bg.events(gid, step, cached, blk) * bg.weight_fixed : Count{};
  }
};
template <>
struct Drive<1> {
  const PoissonDrive& bg;
  std::int64_t cached = -1;
  std::uint64_t gid;
  rng::Block blk;
  KOKKOS_INLINE_FUNCTION Drive(const PoissonDrive& d, const Kokkos::View<const std::uint64_t*>& g, std::size_t i)
      : bg(d), gid(g(i)) {}
  KOKKOS_INLINE_FUNCTION std::int64_t events(std::int64_t step) {
    return bg.chunks ? bg.events(gid, step, cached, blk) * bg.weight_fixed : 0;
  }
};

/// The input of cells i0 .. i0 + L - 1 at receptor r and ring slot `slot`, plus `extra`
/// (fixed point), as doubles into in[L]; the slots are cleared. For a block, one vector
/// load, conversion and store (from_fixed's bits in every lane).
template <int L, class Extra>
KOKKOS_FORCEINLINE_FUNCTION void take_input(const Kokkos::View<std::int64_t***, Kokkos::LayoutRight>& ring, int r,
                                            int slot, std::size_t i0, Extra extra, double in[L]) {
  std::int64_t* p = &ring(r, slot, i0);
  if constexpr (L == 1) {
    in[0] = from_fixed(*p + extra);
    *p = 0;
  } else {
    static_assert(L == simd_width, "a block is one vector");
    using P = lanes::Number<L>;  // Pack and IntPack, named through L (see CAJAL_PACK_FUNCTION)
    using I = lanes::Bits<P>;
    I v;
    std::memcpy(&v, p, sizeof v);
    const P x = __builtin_convertvector(v + extra, P) * (1.0 / fixed_scale);
    lanes::store(in, x);
    const I zero{};
    std::memcpy(p, &zero, sizeof zero);
  }
}

/// The part of every population's kernel that is not the model. For each block of local
/// cells and each step of the interval: read and clear the cells' ring slots, add the
/// background, let the model step, record spikes. A model supplies a Cell: its parameters
/// and the Views of its state, with load(i) -> State, step(State&, const double* input) ->
/// fired (1, 0, or -1 for a failure), store(i, State). A Cell with `lanes` > 1 also has
/// load_block(i0) -> Block, step_block(Block&, input[Receptors][lanes], fired[lanes]) and
/// store_block(i0, Block), which advance `lanes` cells in SIMD lanes with step()'s
/// results, and shares_set(i0) (whether the block's cells share one parameter set, see
/// model/param_sets.hpp); the cells of the last, partial block, and of a block whose cells
/// do not share one set, run step() alone. `Receptors` input ports (1, 2 or 3); the input
/// has one row more, in[Receptors]: the cell's stimulus current in the step (pA,
/// StimulusInput::current; 0 without stimuli), which models with an I_e add to it
/// (ModelInfo::stimulus_unit).
template <class Cell, int Receptors>
struct AdvanceInterval {
  static constexpr int lanes = LanesOf<Cell>::value;
  Cell cell;
  PoissonDrive bg;
  PostHistory history;  // recorded only when enabled
  Kokkos::View<const std::uint64_t*> gid;
  Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
  Kokkos::View<const double**, Kokkos::LayoutRight> stim;  // (slot, cell); empty: no stimulus current
  SpikeBuffer out;
  std::int64_t t0;
  int from, to, ring_size;
  bool track;
  std::size_t n;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t block) const {
    if constexpr (lanes > 1) {
      // Cells with different parameter sets (per-cell parameters) run one by one.
      const std::size_t i0 = block * lanes;
      if (i0 + lanes <= n && !cell.shares_set(i0)) {
        for (std::size_t i = i0; i < i0 + lanes; ++i) run<1>(i);
        return;
      }
    }
    run_block<lanes>(*this, block, n);
  }

  template <int L>
  KOKKOS_INLINE_FUNCTION void run(const std::size_t i0) const {
    auto state = load<L>(i0);
    Drive<L> drive(bg, gid, i0);
    int slot = static_cast<int>((t0 + from) % ring_size);
    if constexpr (L > 1) prefetch_ring(i0 + 2 * L, slot);
    // The stimulus row: 0 unless the population is stimulated (decided once: tested per
    // step, the view's extent is reloaded after every ring store, which may alias it).
    const bool stimulated = stim.extent(0) > 0;
    double input[Receptors + 1][L];
    for (int l = 0; l < L; ++l) input[Receptors][l] = 0.0;
    for (int k = from; k < to; ++k) {
      const auto extra = drive.events(t0 + k);  // the background, into its receptor
      for (int r = 0; r < Receptors; ++r)
        take_input<L>(ring, r, slot, i0, r == bg.receptor ? extra : decltype(extra){}, input[r]);
      if (stimulated)
        for (int l = 0; l < L; ++l) input[Receptors][l] = stim(slot, i0 + l);
      int fired[L];
      if constexpr (L == 1) {
        double in[Receptors + 1];
        for (int r = 0; r <= Receptors; ++r) in[r] = input[r][0];
        fired[0] = cell.step(state, in);
      } else {
        cell.template step_block<L>(state, input, fired);
      }
      for (int l = 0; l < L; ++l) {
        if (fired[l] < 0) {
          Kokkos::atomic_add(&out.failures(), 1);
        } else if (fired[l]) {
          const int idx = Kokkos::atomic_fetch_add(&out.count(), 1);
          out.spikes(idx) = pack_spike(gid(i0 + l), k);
          if (track) history.record(i0 + l, t0 + k + 1);
        }
      }
      slot = slot + 1 == ring_size ? 0 : slot + 1;
    }
    if constexpr (L == 1) {
      cell.store(i0, state);
    } else {
      cell.template store_block<L>(i0, state);
    }
  }

  template <int L>
  KOKKOS_INLINE_FUNCTION auto load(const std::size_t i0) const {
    if constexpr (L == 1) {
      return cell.load(i0);
    } else {
      return cell.template load_block<L>(i0);
    }
  }

  /// Asks for the ring slots that the block starting at cell i will read, two blocks
  /// ahead. A block reads receptors x interval-steps cache lines, each in its own row of
  /// the ring (a population apart): more streams than the hardware prefetcher follows.
  /// Measured on astrocyte_brunel (1 rank, 300 ms, same sitting): update 3.4-4.2 s without,
  /// 3.2 s with.
  KOKKOS_INLINE_FUNCTION void prefetch_ring(const std::size_t i, int slot) const {
    if (i >= n) return;
    for (int k = from; k < to; ++k) {
      for (int r = 0; r < Receptors; ++r) prefetch(&ring(r, slot, i));
      slot = slot + 1 == ring_size ? 0 : slot + 1;
    }
  }
};

/// Runs AdvanceInterval<Cell, Receptors> over the local cells of `p` for steps from .. to - 1
/// of the interval that starts at t0 (the body of a model's Population::advance).
template <int Receptors, class Cell>
void advance_cells(const char* label, const Population& p, const Cell& cell, std::int64_t t0, int from, int to,
                   const SpikeBuffer& out) {
  using Kernel = AdvanceInterval<Cell, Receptors>;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<>(0, (p.local_size + Kernel::lanes - 1) / Kernel::lanes),
                       Kernel{cell, p.background, p.history, p.gid, p.ring, p.stimulus.current, out, t0, from, to, p.ring_size,
                              p.history.enabled(), p.local_size});
}

}  // namespace cajal
