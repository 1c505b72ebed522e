#pragma once
// The ids of the subscription setup's rounds as they travel (SpikeExchange's constructor
// sends them; the dry run codes the replayed ranks' requests the same way).
#include <cstdint>
#include <vector>

namespace cajal {

/// A setup round's ids as sent: each id's offset from the round's first gid (below
/// setup_gids() = 2^22) as its gap from the id before (the first: from 0), in groups of
/// four bits, low group first: three value bits, and above them a bit set on every group
/// but the last; the groups packed 16 to a word, low first. A list's unused groups at the
/// end of its last word are 0b1000, which no value ends with. The ids a rank asks one
/// owner for lie in runs (a tile's cells have consecutive gids), and at 10^4 ranks it asks
/// for about half of them: gaps below 8 (99 % of them) take 4 bits, where LEB128 bytes
/// took 8 and a 32-bit offset 32. At 10^4 ranks a rank's cells draw tens of millions of
/// requests (63 M for the most loaded rank of hpc_benchmark's E->E at P = 16,384),
/// received in a few rounds: the setup's largest transient (25 MiB in bytes). Groups of
/// two bits would take ~2.9 bits a request, but whether a gap takes one group or two is
/// then a coin toss, and the mispredicted branches made the setup a third slower.
struct RoundIds {
  static constexpr unsigned value_bits = 3, group_bits = value_bits + 1, per_word = 64 / group_bits;
  static constexpr std::uint64_t more = std::uint64_t(1) << value_bits;  // the group's "more" bit
  static constexpr std::uint64_t value_mask = more - 1, group_mask = (more << 1) - 1;
  static constexpr std::uint64_t pad_word = 0x8888888888888888ull;  // every group 0b1000
  /// A list being written, or counted: the next offset without a gap, and its groups.
  struct List {
    std::uint64_t next = 0, groups = 0;
    std::uint64_t words() const { return (groups + per_word - 1) / per_word; }
    /// Counts `offset`'s groups only.
    void count(std::uint64_t offset) { groups += size(gap_to(offset)); }
    /// Appends `offset` to `words`, the list's words so far.
    void push(std::vector<std::uint64_t>& words, std::uint64_t offset) {
      std::uint64_t v = gap_to(offset);
      for (; v > value_mask; v >>= value_bits) put(words, more | (v & value_mask));
      put(words, v);
    }

  private:
    static unsigned size(std::uint64_t v) {
      unsigned n = 1;
      for (; v > value_mask; v >>= value_bits) ++n;
      return n;
    }
    std::uint64_t gap_to(std::uint64_t offset) {
      const std::uint64_t gap = offset - next;
      next = offset + 1;
      return gap;
    }
    void put(std::vector<std::uint64_t>& words, std::uint64_t g) {
      if (groups % per_word == 0) words.push_back(pad_word);
      const unsigned s = group_bits * static_cast<unsigned>(groups % per_word);
      words.back() = (words.back() & ~(group_mask << s)) | (g << s);
      ++groups;
    }
  };
  /// The offsets of a list of n words, in order.
  class Reader {
  public:
    Reader(const std::uint64_t* w, std::uint64_t n) : w_(w), end_(per_word * n) { advance(); }
    bool done() const { return done_; }
    std::uint64_t value() const { return value_; }
    void advance() {
      std::uint64_t gap = 0;
      for (unsigned shift = 0;; shift += value_bits) {
        if (at_ == end_) {  // the padding, or the end of the last group
          done_ = true;
          return;
        }
        const std::uint64_t g = (w_[at_ / per_word] >> (group_bits * (at_ % per_word))) & group_mask;
        ++at_;
        gap |= (g & value_mask) << shift;
        if (!(g & more)) break;
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
