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
#include "util/lanes.hpp"

namespace cajal {
namespace rng {

enum class purpose : std::uint32_t {
  placement = 1,
  connectivity = 2,
  weight = 3,
  delay = 4,
  background = 5,
  initial = 6,  // initial values of state variables, drawn per cell
  total_number = 7,  // fixed_total_number: the split of N over the targets
  stimulus = 8,      // inhomogeneous_poisson_generator events, sub-stream = the [[stimulus]] index
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

/// draw() for the counters (a[l], b) of simd_width lanes at once, as vectors (a kernel that
/// advances cells in SIMD lanes draws their background for all of them). Word w of lane l
/// is block.w[w][l], in the low 32 bits; the same words as draw(key, a[l], b), by the same
/// ten Philox-4x32 rounds (Salmon et al. 2011; Random123's philox4x32 with its constants),
/// tested in tests/unit/test_lanes.cpp.
struct BlockLanes {
  lanes::UPack w[4];
};
CAJAL_PACK_FUNCTION BlockLanes draw(const Key& key, lanes::UPack a, std::uint64_t b) {
  constexpr std::uint64_t lo = 0xFFFFFFFFu;
  const lanes::UPack zero{};
  lanes::UPack c0 = a & lo, c1 = a >> 32, c2 = zero + (b & lo), c3 = zero + (b >> 32);
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;  // PHILOX_W32_0
      k1 += 0xBB67AE85u;  // PHILOX_W32_1
    }
    // 32 x 32 -> 64-bit products of the low halves (the high halves are zero).
    const lanes::UPack p0 = c0 * 0xD2511F53u, p1 = c2 * 0xCD9E8D57u;  // PHILOX_M4x32_0, _1
    const lanes::UPack n0 = (p1 >> 32) ^ c1 ^ k0, n2 = (p0 >> 32) ^ c3 ^ k1;
    c1 = p1 & lo;
    c3 = p0 & lo;
    c0 = n0;
    c2 = n2;
  }
  return BlockLanes{{c0, c1, c2, c3}};
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
