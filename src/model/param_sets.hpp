#pragma once
// Per-cell parameters as parameter sets: the local cells of a population reference a small
// table of the model's parameter struct (propagators included), one entry per distinct
// combination of the per-cell parameter values the deck gives (PopulationSpec::params,
// Param::per_cell). Memory grows with the distinct sets, not with the cells times the
// parameters, and a kernel pays one indirect load per cell per interval.
//
// When every local cell shares one set (always, when the deck gives no per-cell
// parameter), the table and the index are empty and `one` is that set: the kernel reads it
// from its own functor, as before per-cell values existed. Built by make_param_sets
// (model/registry.hpp).
#include <Kokkos_Core.hpp>
#include <cstddef>
#include <cstdint>

namespace cajal {

template <class M>
struct ParamSets {
  M one;                                      ///< the set of every local cell when they share one
  Kokkos::View<const M*> table;               ///< every set; empty when one
  Kokkos::View<const std::uint32_t*> index;   ///< set of each local cell; empty when one

  KOKKOS_INLINE_FUNCTION bool varies() const { return index.extent(0) != 0; }
  /// The parameters of local cell i.
  KOKKOS_INLINE_FUNCTION const M& of(std::size_t i) const { return varies() ? table(index(i)) : one; }
  /// Whether cells i0 .. i0 + L - 1 share one set: a kernel advances cells in SIMD lanes
  /// only then (its block path reads one struct), else each cell by its scalar path, which
  /// gives the same bits.
  KOKKOS_INLINE_FUNCTION bool shared(std::size_t i0, int L) const {
    if (!varies()) return true;
    for (int l = 1; l < L; ++l)
      if (index(i0 + l) != index(i0)) return false;
    return true;
  }
};

}  // namespace cajal
