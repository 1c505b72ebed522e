#pragma once
// Fixed-point accumulation of synaptic input: a kernel-level header (Kokkos only), read by
// the cell models (ring buffers), the connectivity (constant weights) and delivery.
#include <Kokkos_Core.hpp>
#include <cstdint>

namespace cajal {

/// Synaptic input is summed in fixed point (2^-32 units of the model's weight unit): the
/// sum of integers is exact, so the order of delivery (ranks, threads, atomics) cannot
/// change a single bit of the result.
constexpr double fixed_scale = 4294967296.0;  // 2^32
KOKKOS_INLINE_FUNCTION std::int64_t to_fixed(double w) { return static_cast<std::int64_t>(w * fixed_scale); }
KOKKOS_INLINE_FUNCTION double from_fixed(std::int64_t x) { return static_cast<double>(x) * (1.0 / fixed_scale); }

}  // namespace cajal
