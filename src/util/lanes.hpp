#pragma once
// SIMD lanes over cells. A model kernel on the host advances `cell_lanes` cells at once:
// its arithmetic is written once, as a template on the number type T, and runs as T =
// double (one cell) or T = Pack (simd_width cells in a GCC/Clang vector, which the compiler
// maps onto the widest registers -march allows). Each lane performs exactly the IEEE
// operations of the scalar code, in the same order, and no multiply-add is fused
// (-ffp-contract=off, src/CMakeLists.txt), so a cell's bits do not depend on whether it ran
// in a lane or alone, nor on which cells shared its lanes: the rank-count invariance holds.
//
// The helpers here are the few operations the two types spell differently: a broadcast,
// a per-lane choice, and exp() and log(), which are Cajal's own (libm's are neither
// vectorisable nor the same on every machine).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "util/backend.hpp"

namespace cajal {

/// Doubles per host vector (Pack): 8 fill an AVX-512 register (two AVX2 registers).
constexpr int simd_width = 8;

/// Cells per block on execution space E, a property of the backend: a host backend
/// advances simd_width cells in one thread's vector lanes; a device backend (CUDA, HIP) has
/// no GCC vectors and gets its lanes from its threads, so a block there is one cell.
template <class E>
constexpr int lanes_for = Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::accessible ? simd_width : 1;

/// Cells per block of the kernels (which run on the default execution space).
constexpr int cell_lanes = lanes_for<Kokkos::DefaultExecutionSpace>;

/// Functions whose signature or body holds a host vector type (Pack, IntPack): callable in
/// kernels on host backends, host-only on a device backend (CUDA, HIP), where nvcc rejects
/// vector types in device code, even in functions no kernel calls. Member functions that
/// advance a block of cells in lanes (step_block and its helpers) are in addition templates,
/// instantiated only by the block path (lanes > 1): the host-device templates they call
/// (dopri_trial, exp, ...) are then never instantiated on Pack in a device build, whose
/// blocks are one cell (cell_lanes).
#ifdef CAJAL_DEVICE_BACKEND
#define CAJAL_PACK_FUNCTION inline
#else
#define CAJAL_PACK_FUNCTION KOKKOS_FORCEINLINE_FUNCTION
#endif

/// Asks the cache for the line at p, to be written (a hint; nothing on a device backend).
KOKKOS_FORCEINLINE_FUNCTION void prefetch(const void* p) {
#ifdef CAJAL_DEVICE_BACKEND
  (void)p;
#else
  __builtin_prefetch(p, 1);
#endif
}

namespace lanes {

typedef double Pack __attribute__((vector_size(simd_width * sizeof(double))));
typedef std::int64_t IntPack __attribute__((vector_size(simd_width * sizeof(std::int64_t))));
typedef std::uint64_t UPack __attribute__((vector_size(simd_width * sizeof(std::uint64_t))));

/// The integers holding the bits of T (double or Pack): a type that depends on T, so that
/// a device build, which instantiates the functions below on double only, never meets a
/// vector type.
template <class T>
using Bits = std::conditional_t<sizeof(T) == sizeof(double), std::int64_t, IntPack>;

/// The number type of a block of L cells: double for one, Pack for cell_lanes.
template <int L>
using Number = std::conditional_t<L == 1, double, Pack>;

/// The L values at p (unaligned), and back.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T load(const double* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION void store(double* p, const T& v) {
  std::memcpy(p, &v, sizeof v);
}

/// T holding `v` in every lane.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T splat(double v) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return v;
  } else {
    return T{} + v;
  }
}

/// Per lane: m ? a : b. For T = double, m is a bool; for Pack, a lane mask (a comparison).
KOKKOS_FORCEINLINE_FUNCTION double select(bool m, double a, double b) { return m ? a : b; }
CAJAL_PACK_FUNCTION Pack select(IntPack m, Pack a, Pack b) { return m ? a : b; }
CAJAL_PACK_FUNCTION IntPack select(IntPack m, IntPack a, IntPack b) { return m ? a : b; }
KOKKOS_FORCEINLINE_FUNCTION std::int64_t select(bool m, std::int64_t a, std::int64_t b) { return m ? a : b; }

/// Whether any lane of a mask (a comparison) is set; for one cell, the bool.
KOKKOS_FORCEINLINE_FUNCTION bool any(bool m) { return m; }
CAJAL_PACK_FUNCTION bool any(IntPack m) {
  bool set = false;
  for (int l = 0; l < simd_width; ++l) set = set || m[l] != 0;
  return set;
}

/// Whether every lane of a mask is set.
CAJAL_PACK_FUNCTION bool all(IntPack m) {
  bool set = true;
  for (int l = 0; l < simd_width; ++l) set = set && m[l] != 0;
  return set;
}

/// Per lane: the smaller (larger) of a and b, a when equal: `a < b ? a : b` of scalar code.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T min(T a, T b) {
  return select(a < b, a, b);
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T max(T a, T b) {
  return select(a > b, a, b);
}
/// Per lane: `x < lo ? lo : (x > hi ? hi : x)` (NaN passes through).
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T clamp(T x, double lo, double hi) {
  return select(x < lo, splat<T>(lo), select(x > hi, splat<T>(hi), x));
}
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T abs(T a) {
  return select(a < 0.0, -a, a);
}

/// e^x to within 1.5 ulp (measured: tests/unit/test_lanes.cpp), branch-free. Cody-Waite
/// reduction x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor series to degree 13
/// (truncation below 1e-17 relative), scaled by 2^(n-1) through the exponent bits and by 2
/// (exact, and +inf past ln(DBL_MAX)). Below -708 the result is 0 (libm's are subnormals
/// there); NaN stays NaN.
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T exp(T x) {
  constexpr double log2e = 1.4426950408889634;
  constexpr double ln2_hi = 0.693145751953125;  // 20 significant bits: n ln2_hi is exact
  constexpr double ln2_lo = 1.4286068203094173e-06;
  constexpr double round = 6755399441055744.0;  // 1.5 2^52: adding it rounds to an integer
  const T xc = max(min(x, splat<T>(710.0)), splat<T>(-708.0));
  const T big = (xc * log2e + round);
  const T n = big - round;
  const T r = (xc - n * ln2_hi) - n * ln2_lo;
  // Estrin's scheme, not Horner's: the lanes' kernels wait on this chain, and Estrin's is
  // 10 operations deep instead of 26. The 1 is added last, to the small tail.
  const T r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const T q1 = 1.0 / 2 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120), q3 = 1.0 / 720 + r * (1.0 / 5040);
  const T q4 = 1.0 / 40320 + r * (1.0 / 362880), q5 = 1.0 / 3628800 + r * (1.0 / 39916800);
  const T q6 = 1.0 / 479001600 + r * (1.0 / 6227020800);
  const T s1 = q1 + q2 * r2, s2 = q3 + q4 * r2, s3 = q5 + q6 * r2;
  const T v = (s1 + s2 * r4) + s3 * r8;  // sum over k >= 2 of r^(k-2)/k!
  const T p = 1.0 + (r + r2 * v);
  // 2^(n-1): n (an integer held exactly in `big`'s low mantissa bits) minus 1 plus the
  // bias, shifted into the exponent field; n - 1 lies in [-1023, 1023].
  T scale;
  Bits<T> bits;
  std::memcpy(&bits, &big, sizeof bits);
  bits = (bits - std::int64_t{0x4338000000000000} + 1022) << 52;
  std::memcpy(&scale, &bits, sizeof scale);
  T y = p * scale * 2.0;
  y = select(x < -708.0, splat<T>(0.0), y);
  return select(x != x, x, y);
}

/// ln x for x > 0 normal, to within 1 ulp (tests/unit/test_lanes.cpp), branch-free:
/// x = 2^k m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <=
/// 0.172, by its series to s^23 (truncation below 1e-18), plus k ln2 in two parts. Zero,
/// negative, subnormal, infinite and NaN arguments give NaN (the callers never pass them).
template <class T>
KOKKOS_FORCEINLINE_FUNCTION T log(T x) {
  constexpr double ln2_hi = 0.693145751953125, ln2_lo = 1.4286068203094173e-06;
  constexpr std::int64_t sqrt_half = 0x3fe6a09e667f3bcd;  // the bits of sqrt(1/2)
  T m, k;
  Bits<T> bits;
  std::memcpy(&bits, &x, sizeof bits);
  // Exponent relative to sqrt(1/2), so that the mantissa lands in [sqrt(1/2), sqrt(2)).
  const Bits<T> e = (bits - sqrt_half) >> 52;
  bits -= e << 52;
  std::memcpy(&m, &bits, sizeof m);
  if constexpr (sizeof(T) == sizeof(double)) {
    k = static_cast<double>(e);
  } else {
    k = __builtin_convertvector(e, T);
  }
  // fdlibm's arrangement: ln m = f - (f^2/2 - s (f^2/2 + R)), f = m - 1 (exact), where
  // R = 2 (s^2/3 + s^4/5 + ...) carries only the small correction's rounding.
  const T f = m - 1.0, s = f / (2.0 + f), z = s * s;
  // R = z (a0 + a1 z + ... + a10 z^10), a_i = 2/(2i + 3), by Estrin's scheme: 6 operations
  // deep after z instead of Horner's 21 (the astrocyte kernel waits on this chain).
  const T z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  const T p0 = 2.0 / 3 + z * (2.0 / 5), p1 = 2.0 / 7 + z * (2.0 / 9), p2 = 2.0 / 11 + z * (2.0 / 13);
  const T p3 = 2.0 / 15 + z * (2.0 / 17), p4 = 2.0 / 19 + z * (2.0 / 21);
  const T q0 = p0 + p1 * z2, q1 = p2 + p3 * z2, q2 = p4 + z2 * (2.0 / 23);
  const T R = ((q0 + q1 * z4) + q2 * z8) * z;
  const T hfsq = 0.5 * f * f;
  const T y = k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
  return select((x >= 2.2250738585072014e-308) & (x <= 1.7976931348623157e308), y, splat<T>(__builtin_nan("")));
}

}  // namespace lanes
}  // namespace cajal
