#pragma once
// Counter-based random numbers (Random123 Philox-4x32-10).
//
// Every draw in Cajal is a pure function of (seed, purpose, sub-stream, a, b): there is no
// generator state that depends on which rank or thread makes the draw. That is what makes
// results independent of the number of ranks (DESIGN.md §3.1):
//   key     = (low 32 bits of seed, high 32 bits of seed XOR (purpose << 24 | sub))
//   counter = (a, b) as four 32-bit words; a is normally a global id, b a draw index.
// Seeds below 2^32 therefore give streams that never overlap across purposes and
// sub-streams (sub < 2^24, e.g. the projection index).
#include <Kokkos_Core.hpp>
#include <Random123/philox.h>
#include <cmath>
#include <cstdint>

#include "util/kmath.hpp"

namespace cajal {
namespace rng {

enum class purpose : std::uint32_t {
  placement = 1,
  connectivity = 2,
  weight = 3,
  delay = 4,
  background = 5,
  initial = 6,  // initial values of state variables, drawn per cell
};

struct Key {
  std::uint32_t k0 = 0, k1 = 0;
  KOKKOS_INLINE_FUNCTION Key() = default;
  KOKKOS_INLINE_FUNCTION Key(std::uint64_t seed, purpose p, std::uint32_t sub = 0)
      : k0(static_cast<std::uint32_t>(seed)),
        k1(static_cast<std::uint32_t>(seed >> 32) ^ ((static_cast<std::uint32_t>(p) << 24) | (sub & 0xFFFFFFu))) {}
};

/// Four 32-bit words for counter (a, b).
struct Block {
  std::uint32_t w[4];
};

KOKKOS_INLINE_FUNCTION Block draw(const Key& key, std::uint64_t a, std::uint64_t b) {
  r123::Philox4x32 gen;
  r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32),
                                   static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32)}};
  r123::Philox4x32::key_type k = {{key.k0, key.k1}};
  const auto r = gen(c, k);
  return Block{{r[0], r[1], r[2], r[3]}};
}

/// Uniform in (0, 1) from 32 bits: never exactly 0 or 1.
KOKKOS_INLINE_FUNCTION double u01_32(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 2.3283064365386963e-10; }
/// Uniform in (0, 1) from 64 bits (53 used).
KOKKOS_INLINE_FUNCTION double u01_64(std::uint64_t x) {
  return (static_cast<double>(x >> 11) + 0.5) * 1.1102230246251565e-16;
}

/// A sequence of draws for one (key, a): the b-th block of 4 words, consumed in order.
/// Used on the host to build connectivity; cheap to construct, nothing shared.
class Stream {
public:
  KOKKOS_INLINE_FUNCTION Stream(const Key& key, std::uint64_t a) : key_(key), a_(a) {}

  KOKKOS_INLINE_FUNCTION std::uint32_t next32() {
    if (used_ == 4) {
      blk_ = draw(key_, a_, b_++);
      used_ = 0;
    }
    return blk_.w[used_++];
  }
  KOKKOS_INLINE_FUNCTION std::uint64_t next64() {
    const std::uint64_t lo = next32();
    return lo | (static_cast<std::uint64_t>(next32()) << 32);
  }
  KOKKOS_INLINE_FUNCTION double uniform() { return u01_64(next64()); }
  /// Integer in [0, n), by multiply-shift (bias below n / 2^64).
  KOKKOS_INLINE_FUNCTION std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next64()) * n) >> 64);
  }
  /// Standard normal, Box–Muller (one value per two uniforms; the second is discarded so
  /// that the k-th normal of a stream does not depend on how many were drawn before in
  /// pairs).
  KOKKOS_INLINE_FUNCTION double normal() {
    const double u1 = uniform(), u2 = uniform();
    return kmath::sqrt(-2.0 * kmath::log(u1)) * kmath::cos(6.283185307179586 * u2);
  }

private:
  Key key_;
  std::uint64_t a_;
  std::uint64_t b_ = 0;
  Block blk_{};
  int used_ = 4;
};

}  // namespace rng
}  // namespace cajal
