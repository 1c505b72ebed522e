#pragma once
// A non-decreasing list of integers, Elias-Fano coded (P. Elias 1974, R. Fano 1971; the
// layout and the sampled select of S. Vigna, "Quasi-succinct indices", WSDM 2013), readable
// inside kernels.
//
// Why: at 10^4 ranks and more, a rank's synapses come from ~10^8 distinct sources with one
// or two synapses each, and a projection's source rows (their ids and first synapses, two
// 32-bit words per row) cost as much as the synapses. Coded, a list of n values below U
// takes n (2 + log2(U / n)) bits plus a sampled index of ~0.5 bits per value.
//
// The code: value v_i splits into its low L = floor(log2(U / n)) bits, stored packed, and
// its high part h_i = v_i >> L, stored in unary as a set bit at position h_i + i of a bit
// vector. Bucket h (the values with high part h) is a run of set bits closed by a clear
// bit, so the i-th set bit gives v_i (select1), and the (h-1)-th clear bit is where bucket
// h starts (select0). Every 256th set and clear bit's position is kept (a 64-bit word per
// 256 bits: every 64th took 45 % of the rows' bytes at 16,384 ranks), and a select scans
// forward from the nearest one: ~4 words on average, since half the bits are set.
//
// A list that is 0, 1, ..., n-1 (every source has a target here: small runs) keeps no bits.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "util/huge_pages.hpp"

namespace cajal {

namespace bitops {
KOKKOS_FORCEINLINE_FUNCTION int popcount(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}
/// The index of the lowest set bit (x != 0).
KOKKOS_FORCEINLINE_FUNCTION int lowest_set(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(x)) - 1;
#else
  return __builtin_ctzll(x);
#endif
}
/// The index of the k-th (from 0) set bit of x, which has more than k set bits.
KOKKOS_INLINE_FUNCTION int select_in_word(std::uint64_t x, int k) {
  int base = 0;
  for (int half = 32; half >= 8; half /= 2) {
    const int c = popcount(x & ((std::uint64_t(1) << half) - 1));
    if (k >= c) {
      k -= c;
      x >>= half;
      base += half;
    }
  }
  for (; k > 0; --k) x &= x - 1;
  return base + lowest_set(x);
}
}  // namespace bitops

template <class Memory>
class EliasFanoIn {
 public:
  using Words = Kokkos::View<std::uint64_t*, Memory>;
  struct Pair {
    std::uint64_t first, second;
  };

  /// The number of values.
  KOKKOS_INLINE_FUNCTION std::uint64_t size() const { return n_; }
  /// Value i (i < size()).
  KOKKOS_INLINE_FUNCTION std::uint64_t operator()(std::uint64_t i) const {
    if (identity_) return i;
    return ((select1(i) - i) << L_) | low(i);
  }
  /// Values i and i + 1 (i + 1 < size()): the second from the next set bit, without a
  /// second select (a source row's first synapse and its end).
  KOKKOS_INLINE_FUNCTION Pair pair(std::uint64_t i) const {
    if (identity_) return {i, i + 1};
    const std::uint64_t p = select1(i), q = next_one(p + 1);
    return {((p - i) << L_) | low(i), ((q - i - 1) << L_) | low(i + 1)};
  }
  /// In a strictly increasing list: the index of value v, or -1 when v is not in it.
  KOKKOS_INLINE_FUNCTION std::int64_t find(std::uint64_t v) const {
    if (identity_) return v < n_ ? static_cast<std::int64_t>(v) : -1;
    const std::uint64_t h = v >> L_;
    if (n_ == 0 || h > top_) return -1;
    std::uint64_t p = h == 0 ? 0 : select0(h - 1) + 1;  // bucket h's first bit
    std::uint64_t i = p - h;                             // set bits before p
    const std::uint64_t want = v & low_mask();
    for (; bit(p); ++p, ++i) {  // the bucket ends at a clear bit
      const std::uint64_t l = low(i);
      if (l >= want) return l == want ? static_cast<std::int64_t>(i) : -1;
    }
    return -1;
  }
  /// Bytes held.
  std::size_t bytes() const {
    return (low_.extent(0) + high_.extent(0) + ones_.extent(0) + zeros_.extent(0)) * sizeof(std::uint64_t);
  }
  /// The same list in memory space M (no copy where Memory is M's).
  template <class M>
  EliasFanoIn<M> in() const {
    EliasFanoIn<M> m;
    m.n_ = n_;
    m.top_ = top_;
    m.L_ = L_;
    m.identity_ = identity_;
    m.low_ = Kokkos::create_mirror_view_and_copy(M(), low_);
    m.high_ = Kokkos::create_mirror_view_and_copy(M(), high_);
    m.ones_ = Kokkos::create_mirror_view_and_copy(M(), ones_);
    m.zeros_ = Kokkos::create_mirror_view_and_copy(M(), zeros_);
    return m;
  }

  /// Codes a list value by value, on the host: n values, each below `universe`, in
  /// non-decreasing order (throws std::logic_error otherwise: a caller's bug).
  class Writer {
   public:
    Writer(std::uint64_t n, std::uint64_t universe) : n_(n), universe_(universe) {
      if (n > 0 && universe == 0) throw std::logic_error("EliasFano: values in an empty universe");
      const int L = low_bits(n, universe);
      L_ = L;
      top_ = n > 0 ? (universe - 1) >> L : 0;
      const std::uint64_t high_bits = n > 0 ? n + top_ + 1 : 0;
      low_ = zeroed("cajal::elias_fano::low", (n * static_cast<std::uint64_t>(L) + 63) / 64);
      high_ = zeroed("cajal::elias_fano::high", (high_bits + 63) / 64);
    }
    /// The bytes the code of n values below `universe` holds, unless they are 0..n-1.
    static std::uint64_t bytes(std::uint64_t n, std::uint64_t universe) {
      if (n == 0) return 0;
      const int L = low_bits(n, universe);
      const std::uint64_t top = (universe - 1) >> L, high_bits = n + top + 1;
      return 8 * ((n * static_cast<std::uint64_t>(L) + 63) / 64 + (high_bits + 63) / 64 + (n + sample - 1) / sample +
                  (top + 1 + sample - 1) / sample);
    }
    void push(std::uint64_t v) {
      if (i_ >= n_ || v >= universe_ || (i_ > 0 && v < last_))
        throw std::logic_error("EliasFano: value " + std::to_string(v) + " out of order or range at " + std::to_string(i_));
      identity_ = identity_ && v == i_;
      const std::uint64_t p = (v >> L_) + i_;
      high_(p / 64) |= std::uint64_t(1) << (p % 64);
      if (L_ > 0) {
        const std::uint64_t b = i_ * static_cast<std::uint64_t>(L_), l = v & ((std::uint64_t(1) << L_) - 1);
        low_(b / 64) |= l << (b % 64);
        if (b % 64 + static_cast<std::uint64_t>(L_) > 64) low_(b / 64 + 1) |= l >> (64 - b % 64);
      }
      last_ = v;
      ++i_;
    }
    /// The list, once all n values are in.
    EliasFanoIn finish() {
      if (i_ != n_) throw std::logic_error("EliasFano: " + std::to_string(i_) + " of " + std::to_string(n_) + " values");
      EliasFanoIn out;
      out.n_ = n_;
      out.identity_ = identity_;
      if (identity_) return out;  // nothing to keep
      out.top_ = top_;
      out.L_ = L_;
      // Every sample-th set and clear bit, counted from 0 (the clear bits: top_ + 1 of them).
      Host ones(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::elias_fano::ones"), (n_ + sample - 1) / sample);
      Host zeros(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::elias_fano::zeros"),
                 (top_ + 1 + sample - 1) / sample);
      const std::uint64_t bits = n_ + top_ + 1;
      std::uint64_t n1 = 0, n0 = 0;
      for (std::uint64_t p = 0; p < bits; ++p) {
        if ((high_(p / 64) >> (p % 64)) & 1) {
          if (n1 % sample == 0) ones(n1 / sample) = p;
          ++n1;
        } else {
          if (n0 % sample == 0) zeros(n0 / sample) = p;
          ++n0;
        }
      }
      out.low_ = Kokkos::create_mirror_view_and_copy(Memory(), low_);
      out.high_ = Kokkos::create_mirror_view_and_copy(Memory(), high_);
      out.ones_ = Kokkos::create_mirror_view_and_copy(Memory(), ones);
      out.zeros_ = Kokkos::create_mirror_view_and_copy(Memory(), zeros);
      return out;
    }

   private:
    using Host = Kokkos::View<std::uint64_t*, Kokkos::HostSpace>;
    /// floor(log2(universe / n)): the low bits of each value.
    static int low_bits(std::uint64_t n, std::uint64_t universe) {
      int L = 0;
      while (n > 0 && L < 62 && (universe >> (L + 1)) >= n) ++L;
      return L;
    }
    /// Huge pages where the list stays in host memory: the build's fill finds a row per
    /// synapse, at random (util/huge_pages.hpp).
    static Host zeroed(const std::string& label, std::uint64_t words) {
      Host v(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), words);
      prefer_huge_pages(v.data(), words * sizeof(std::uint64_t));
      Kokkos::deep_copy(v, 0);
      return v;
    }
    std::uint64_t n_, universe_, top_ = 0, i_ = 0, last_ = 0;
    int L_ = 0;
    bool identity_ = true;
    Host low_, high_;
  };

 private:
  template <class>
  friend class EliasFanoIn;
  static constexpr std::uint64_t sample = 256;  // select's index: every sample-th bit
  std::uint64_t n_ = 0;
  std::uint64_t top_ = 0;  // the highest bucket: (universe - 1) >> L
  int L_ = 0;
  bool identity_ = true;
  Words low_, high_;
  Words ones_, zeros_;  // the positions of set / clear bits 0, sample, 2 sample, ...

  KOKKOS_INLINE_FUNCTION std::uint64_t low_mask() const { return (std::uint64_t(1) << L_) - 1; }
  KOKKOS_INLINE_FUNCTION std::uint64_t low(std::uint64_t i) const {
    if (L_ == 0) return 0;
    const std::uint64_t b = i * static_cast<std::uint64_t>(L_), w = b / 64, o = b % 64;
    std::uint64_t v = low_(w) >> o;
    if (o + static_cast<std::uint64_t>(L_) > 64) v |= low_(w + 1) << (64 - o);
    return v & low_mask();
  }
  KOKKOS_INLINE_FUNCTION bool bit(std::uint64_t p) const { return (high_(p / 64) >> (p % 64)) & 1; }
  /// The position of set bit i (Invert: of clear bit i), from the nearest sample.
  template <bool Invert>
  KOKKOS_INLINE_FUNCTION std::uint64_t select(std::uint64_t i) const {
    const std::uint64_t from = Invert ? zeros_(i / sample) : ones_(i / sample);
    int k = static_cast<int>(i % sample);
    std::uint64_t w = from / 64;
    std::uint64_t x = (Invert ? ~high_(w) : high_(w)) & (~std::uint64_t(0) << (from % 64));
    for (;;) {
      const int c = bitops::popcount(x);
      if (k < c) return w * 64 + static_cast<std::uint64_t>(bitops::select_in_word(x, k));
      k -= c;
      ++w;
      x = Invert ? ~high_(w) : high_(w);
    }
  }
  KOKKOS_INLINE_FUNCTION std::uint64_t select1(std::uint64_t i) const { return select<false>(i); }
  KOKKOS_INLINE_FUNCTION std::uint64_t select0(std::uint64_t i) const { return select<true>(i); }
  /// The first set bit at or after p (one exists).
  KOKKOS_INLINE_FUNCTION std::uint64_t next_one(std::uint64_t p) const {
    std::uint64_t w = p / 64;
    std::uint64_t x = high_(w) & (~std::uint64_t(0) << (p % 64));
    while (x == 0) x = high_(++w);
    return w * 64 + static_cast<std::uint64_t>(bitops::lowest_set(x));
  }
};

/// In the kernels' memory space, and on the host.
using EliasFano = EliasFanoIn<Kokkos::DefaultExecutionSpace::memory_space>;
using HostEliasFano = EliasFanoIn<Kokkos::HostSpace>;

}  // namespace cajal
