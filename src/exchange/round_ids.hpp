#pragma once
// The ids of the subscription setup's rounds as they travel (SpikeExchange's constructor
// sends them; the dry run codes the replayed ranks' requests the same way).
#include <cstdint>
#include <vector>

#include "util/leb128.hpp"

namespace cajal {

/// A setup round's ids as sent: each id's offset from the round's first gid (below
/// setup_gids() = 2^22) as its gap from the id before (the first: from 0) in 7-bit groups,
/// low group first, the high bit set on all but the last (LEB128); the bytes packed eight
/// to a word, low byte first. A list's unused bytes at the end of its last word are 0x80,
/// which no value ends with. The ids a rank asks one owner for lie in runs (a tile's cells
/// have consecutive gids), so a request costs about a byte where a 32-bit offset took 4: at
/// 10^4 ranks a rank's cells draw tens of millions of requests (63 M for the most loaded
/// rank of hpc_benchmark's E->E at P = 16,384), the setup's largest transient.
struct RoundIds {
  static constexpr std::uint64_t pad_word = 0x8080808080808080ull;
  /// A list being written, or counted: the next offset without a gap, and its bytes.
  struct List {
    std::uint64_t next = 0, bytes = 0;
    std::uint64_t words() const { return (bytes + 7) / 8; }
    /// Counts `offset`'s bytes only.
    void count(std::uint64_t offset) { bytes += leb128::size(gap_to(offset)); }
    /// Appends `offset` to `words`, the list's words so far.
    void push(std::vector<std::uint64_t>& words, std::uint64_t offset) {
      leb128::write(gap_to(offset), [&](std::uint8_t b) { put(words, b); });
    }

  private:
    std::uint64_t gap_to(std::uint64_t offset) {
      const std::uint64_t gap = offset - next;
      next = offset + 1;
      return gap;
    }
    void put(std::vector<std::uint64_t>& words, std::uint64_t b) {
      if (bytes % 8 == 0) words.push_back(pad_word);
      const unsigned s = 8 * static_cast<unsigned>(bytes % 8);
      words.back() = (words.back() & ~(std::uint64_t(0xff) << s)) | (b << s);
      ++bytes;
    }
  };
  /// The offsets of a list of n words, in order.
  class Reader {
  public:
    Reader(const std::uint64_t* w, std::uint64_t n) : w_(w), end_(8 * n) { advance(); }
    bool done() const { return done_; }
    std::uint64_t value() const { return value_; }
    void advance() {
      std::uint64_t gap = 0;
      for (unsigned shift = 0;; shift += 7) {
        if (at_ == end_) {  // the padding, or the end of the last byte
          done_ = true;
          return;
        }
        const std::uint64_t b = (w_[at_ / 8] >> (8 * (at_ % 8))) & 0xff;
        ++at_;
        gap |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      value_ = next_ + gap;
      next_ = value_ + 1;
    }

  private:
    const std::uint64_t* w_;
    std::uint64_t end_, at_ = 0, next_ = 0, value_ = 0;
    bool done_ = false;
  };
};

}  // namespace cajal
