#pragma once
// A non-decreasing list of integers below a universe U, readable inside kernels, in
// whichever of two codes is smaller:
//  - Elias-Fano (util/elias_fano.hpp): n (2 + log2(U / n)) bits and ~0.5 bits of samples;
//    a select or a lookup reads a sample, then two or three more cache lines;
//  - for a strictly increasing list, a bitmap with its ranks in line: U bits in lines of
//    64 bytes, each line a 64-bit count of the members before it and 448 bits of
//    membership (a rank directory as in S. Vigna's rank9, "Broadword implementation of
//    rank/select queries", WEA 2008, here kept in the line it counts for), and every
//    256th member's line (32-bit) for select. U (8/7) bits and 1/8 bit a member.
// The bitmap is smaller once n > U / 4 or so, and a lookup (find) reads one cache line.
//
// Why: at 10^4 ranks a rank's sources are ~10^8 of ~2 10^8 cells (hpc_benchmark's E -> E
// at P = 16,384: 62 M of 147 M), and the row offsets 91 M of 130 M synapse slots, both
// dense; a row is found once per synapse while the build fills them (at random: ~350 ns
// a lookup in the Elias-Fano code, and half the build) and once per received spike while
// it runs.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "util/elias_fano.hpp"
#include "util/huge_pages.hpp"

namespace cajal {

template <class Memory>
class IdSetIn {
 public:
  using Pair = typename EliasFanoIn<Memory>::Pair;

  /// The number of values.
  KOKKOS_INLINE_FUNCTION std::uint64_t size() const { return bitmap_ ? n_ : ef_.size(); }
  /// Value i (i < size()).
  KOKKOS_INLINE_FUNCTION std::uint64_t operator()(std::uint64_t i) const { return bitmap_ ? select(i) : ef_(i); }
  /// Values i and i + 1 (i + 1 < size()).
  KOKKOS_INLINE_FUNCTION Pair pair(std::uint64_t i) const {
    if (!bitmap_) return ef_.pair(i);
    const std::uint64_t a = select(i);
    return {a, next_member(a + 1)};
  }
  /// The index of value v, or -1 when v is not in the list.
  KOKKOS_INLINE_FUNCTION std::int64_t find(std::uint64_t v) const {
    if (!bitmap_) return ef_.find(v);
    if (v >= universe_) return -1;
    const std::uint64_t line = v / bits_per_line, o = v % bits_per_line, w = o / 64;
    const std::uint64_t* const at = &words_(line * words_per_line);
    const std::uint64_t x = at[1 + w];
    if (!((x >> (o % 64)) & 1)) return -1;
    std::uint64_t r = at[0];
    for (std::uint64_t k = 0; k < w; ++k) r += static_cast<std::uint64_t>(bitops::popcount(at[1 + k]));
    r += static_cast<std::uint64_t>(bitops::popcount(x & ((std::uint64_t(1) << (o % 64)) - 1)));
    return static_cast<std::int64_t>(r);
  }
  /// Whether the bitmap code was chosen.
  bool bitmap() const { return bitmap_; }
  /// Bytes held.
  std::size_t bytes() const {
    return ef_.bytes() + words_.extent(0) * sizeof(std::uint64_t) + samples_.extent(0) * sizeof(std::uint32_t);
  }
  /// The same list in memory space M (no copy where Memory is M's).
  template <class M>
  IdSetIn<M> in() const {
    IdSetIn<M> m;
    m.bitmap_ = bitmap_;
    m.n_ = n_;
    m.universe_ = universe_;
    m.ef_ = ef_.template in<M>();
    m.words_ = Kokkos::create_mirror_view_and_copy(M(), words_);
    m.samples_ = Kokkos::create_mirror_view_and_copy(M(), samples_);
    return m;
  }

  /// The bytes of the bitmap code for n values below `universe`.
  static std::uint64_t bitmap_bytes(std::uint64_t n, std::uint64_t universe) {
    return lines_for(universe) * words_per_line * 8 + (n + sample - 1) / sample * 4;
  }

  /// Codes a list value by value, on the host: n values, each below `universe`, strictly
  /// increasing, or (`strict` false) non-decreasing and then always Elias-Fano coded (throws
  /// std::logic_error otherwise: a caller's bug). n values below n are 0..n-1, which the
  /// Elias-Fano code keeps in no bytes at all.
  class Writer {
   public:
    Writer(std::uint64_t n, std::uint64_t universe, bool strict = true)
        : n_(n),
          universe_(universe),
          strict_(strict),
          bitmap_(strict && n > 0 && n < universe &&
                  bitmap_bytes(n, universe) < EliasFanoIn<Memory>::Writer::bytes(n, universe)),
          ef_(bitmap_ ? 0 : n, bitmap_ ? 0 : universe) {
      if (!bitmap_) return;
      words_ = Host(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::id_set::words"),
                    lines_for(universe) * words_per_line);
      prefer_huge_pages(words_.data(), words_.extent(0) * sizeof(std::uint64_t));
      Kokkos::deep_copy(words_, 0);
      samples_ = Samples(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::id_set::samples"),
                         (n + sample - 1) / sample);
    }
    void push(std::uint64_t v) {
      if (i_ >= n_ || v >= universe_ || (i_ > 0 && (v < last_ || (strict_ && v == last_))))
        throw std::logic_error("IdSet: value " + std::to_string(v) + " out of order or range at " + std::to_string(i_));
      last_ = v;
      if (!bitmap_) {
        ef_.push(v);
        ++i_;
        return;
      }
      const std::uint64_t line = v / bits_per_line, o = v % bits_per_line;
      for (; lines_done_ <= line; ++lines_done_) words_(lines_done_ * words_per_line) = i_;  // members before it
      words_(line * words_per_line + 1 + o / 64) |= std::uint64_t(1) << (o % 64);
      if (i_ % sample == 0) samples_(i_ / sample) = static_cast<std::uint32_t>(line);
      ++i_;
    }
    /// The list, once all n values are in.
    IdSetIn finish() {
      if (i_ != n_) throw std::logic_error("IdSet: " + std::to_string(i_) + " of " + std::to_string(n_) + " values");
      IdSetIn out;
      out.bitmap_ = bitmap_;
      if (!bitmap_) {
        out.ef_ = ef_.finish();
        return out;
      }
      const std::uint64_t lines = words_.extent(0) / words_per_line;
      for (; lines_done_ < lines; ++lines_done_) words_(lines_done_ * words_per_line) = n_;
      out.n_ = n_;
      out.universe_ = universe_;
      out.words_ = Kokkos::create_mirror_view_and_copy(Memory(), words_);
      out.samples_ = Kokkos::create_mirror_view_and_copy(Memory(), samples_);
      return out;
    }

   private:
    using Host = Kokkos::View<std::uint64_t*, Kokkos::HostSpace>;
    using Samples = Kokkos::View<std::uint32_t*, Kokkos::HostSpace>;
    std::uint64_t n_, universe_, i_ = 0, last_ = 0, lines_done_ = 0;
    bool strict_, bitmap_;
    typename EliasFanoIn<Memory>::Writer ef_;
    Host words_;
    Samples samples_;
  };

 private:
  template <class>
  friend class IdSetIn;
  static constexpr std::uint64_t words_per_line = 8, bits_per_line = 64 * (words_per_line - 1);
  static constexpr std::uint64_t sample = 256;  // select's index: every sample-th member's line
  static std::uint64_t lines_for(std::uint64_t universe) { return (universe + bits_per_line - 1) / bits_per_line; }

  bool bitmap_ = false;
  std::uint64_t n_ = 0, universe_ = 0;
  EliasFanoIn<Memory> ef_;
  Kokkos::View<std::uint64_t*, Memory> words_;    // lines: count, then 7 words of members
  Kokkos::View<std::uint32_t*, Memory> samples_;  // the line of members 0, sample, 2 sample, ...

  /// Member i: from its sample's line, forward by the lines' counts, then within the line.
  KOKKOS_INLINE_FUNCTION std::uint64_t select(std::uint64_t i) const {
    std::uint64_t line = samples_(i / sample);
    const std::uint64_t lines = words_.extent(0) / words_per_line;
    while (line + 1 < lines && words_((line + 1) * words_per_line) <= i) ++line;
    const std::uint64_t* const at = &words_(line * words_per_line);
    int k = static_cast<int>(i - at[0]);
    for (std::uint64_t w = 0;; ++w) {
      const std::uint64_t x = at[1 + w];
      const int c = bitops::popcount(x);
      if (k < c) return line * bits_per_line + 64 * w + static_cast<std::uint64_t>(bitops::select_in_word(x, k));
      k -= c;
    }
  }
  /// The first member at or after v (one exists).
  KOKKOS_INLINE_FUNCTION std::uint64_t next_member(std::uint64_t v) const {
    std::uint64_t line = v / bits_per_line, o = v % bits_per_line;
    std::uint64_t w = o / 64;
    std::uint64_t x = words_(line * words_per_line + 1 + w) & (~std::uint64_t(0) << (o % 64));
    while (x == 0) {
      if (++w == words_per_line - 1) {
        w = 0;
        ++line;
      }
      x = words_(line * words_per_line + 1 + w);
    }
    return line * bits_per_line + 64 * w + static_cast<std::uint64_t>(bitops::lowest_set(x));
  }
};

/// In the kernels' memory space, and on the host.
using IdSet = IdSetIn<Kokkos::DefaultExecutionSpace::memory_space>;
using HostIdSet = IdSetIn<Kokkos::HostSpace>;

}  // namespace cajal
