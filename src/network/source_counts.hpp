#pragma once
// The connection builder's per-source counters (see build_projection in connectivity.cpp).
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "network/connectivity.hpp"
#include "util/huge_pages.hpp"

namespace cajal {

/// One chunk's counter per source: its synapse count from the source (pass 1 of a build),
/// then the next slot it writes in the source's row (pass 2). Dense, indexed by source id,
/// where that costs no more than the synapses themselves (fast: one increment per synapse);
/// otherwise a hash map holding only the sources the chunk draws, so that a rank's build
/// needs memory O(its synapses), not O(all sources). Either way the counts are the same.
/// Counts and slots are 32-bit, as the rows' offsets (SynapseIndex): the build checks the
/// chunks' totals in 64 bits before it trusts them (a projection that needs more is
/// refused). Keys are 32-bit source ids (SourceId); the one id equal to the empty key (the
/// last cell of a population of 2^32) has its own counter. At 10^4 ranks the map is the
/// build's peak: ~64 M sources per chunk for hpc_benchmark's E -> E at P = 16,384, where
/// 64-bit keys and counts took 2 GB with the sorted list of sources.
///
/// A map that is the build's only chunk can become its own sorted list (sort_sources), in
/// place: a sorted copy of its keys was 4 bytes per source beside it at the build's peak.
///
/// A third kind counts only (the build's only chunk, which then places synapses through a
/// RowFill): four bits per source id (`narrow`), counts of 15 and more carried on in a
/// side map. It is chosen only where a source has fewer than 2 synapses on average (else
/// the counters are dense), so the map stays nearly empty. Where a rank draws a good part
/// of all sources (hpc_benchmark's E -> E at 16,384 ranks: 62 M of 147 M), that is a tenth
/// of the hash map's bytes, an increment is one cache line at random, and the sources come
/// out sorted (the map's sort was a tenth of the build there). A byte per source made the
/// build's peak at 16,384 ranks: E -> I's 147 MB of counters beside E -> E's synapses.
class SourceCounts {
 public:
  enum class Kind { dense, hashed, narrow };
  /// `expected_sources`: about how many distinct sources the chunk will count (hash map
  /// only), so that the table is sized once instead of doubling (a doubling holds the old
  /// and the new table at once: three times the memory, the build's peak).
  SourceCounts(std::uint64_t n_pre, Kind kind, double expected_sources = 0) : kind_(kind) {
    if (kind_ == Kind::dense) value_.assign(n_pre, 0);
    else if (kind_ == Kind::narrow) {
      const std::uint64_t bytes = narrow_bytes(n_pre);
      nibble_.reserve(bytes);  // untouched: huge pages before the first write
      prefer_huge_pages(nibble_.data(), bytes);
      nibble_.assign(bytes, 0);
    } else grow(slots_for(expected_sources));
  }
  /// The bytes of four-bit counters for n_pre sources.
  static std::uint64_t narrow_bytes(std::uint64_t n_pre) { return (n_pre + 1) / 2; }
  /// The bytes of a hash map sized for `expected_sources`.
  static double hashed_bytes(double expected_sources) { return sizeof(Slot) * static_cast<double>(slots_for(expected_sources)); }
  /// Counts one synapse from source `j`.
  void add(std::uint64_t j) {
    if (kind_ != Kind::narrow) {
      ++(*this)[j];
      return;
    }
    std::uint8_t& b = nibble_[j >> 1];
    const unsigned shift = 4 * (j & 1);  // even ids in the low half
    if (((b >> shift) & full) != full) b = static_cast<std::uint8_t>(b + (1u << shift));
    else ++over_[static_cast<SourceId>(j)];
  }
  /// Hash map: the number of sources counted.
  std::size_t size() const { return size_ + (has_last_ ? 1 : 0); }
  /// The counter of source `j`, created at 0 (dense and hash map: the counts, then the
  /// slots of pass 2).
  std::uint32_t& operator[](std::uint64_t j) {
    return kind_ == Kind::dense ? value_[j] : hashed(static_cast<SourceId>(j));
  }
  /// The counter of source `j`, 0 when the chunk has none from it.
  std::uint64_t get(std::uint64_t j) const {
    if (kind_ == Kind::dense) return value_[j];
    if (kind_ == Kind::narrow) {
      const unsigned b = (nibble_[j >> 1] >> (4 * (j & 1))) & full;
      if (b != full) return b;
      const auto it = over_.find(static_cast<SourceId>(j));
      return full + (it == over_.end() ? 0 : it->second);
    }
    if (j == empty) return has_last_ ? last_ : 0;
    const std::size_t at = find_slot(static_cast<SourceId>(j));
    return slot_[at].key == empty ? 0 : slot_[at].count;
  }
  /// Hash map: the sources counted, in no order.
  template <class F>
  void for_each_source(const F& f) const {
    for (const Slot& s : slot_)
      if (s.key != empty) f(s.key);
    if (has_last_) f(empty);
  }
  /// Hash map: turns the map into its sources, ascending, with their counts, in place. From
  /// then on only sorted_source and sorted_count may be called.
  void sort_sources() {
    std::size_t n = 0;
    for (std::size_t a = 0; a < slot_.size(); ++a)
      if (slot_[a].key != empty) slot_[n++] = slot_[a];
    if (has_last_) slot_[n++] = {empty, last_};  // room: the table is at most 70 % full
    slot_.resize(n);
    std::sort(slot_.begin(), slot_.end(), [](const Slot& x, const Slot& y) { return x.key < y.key; });
  }
  /// After sort_sources: the k-th source, ascending, and its count.
  std::uint64_t sorted_source(std::size_t k) const { return slot_[k].key; }
  std::uint64_t sorted_count(std::size_t k) const { return slot_[k].count; }

 private:
  static constexpr SourceId empty = ~SourceId(0);
  struct Slot {
    SourceId key;
    std::uint32_t count;
  };
  // Out of line: the dense increment stays a tight loop.
  [[gnu::noinline]] std::uint32_t& hashed(SourceId j) {
    if (j == empty) {
      has_last_ = true;
      return last_;
    }
    std::size_t at = find_slot(j);
    if (slot_[at].key == empty) {
      if (static_cast<double>(size_ + 1) > max_load * static_cast<double>(slot_.size())) {
        grow(2 * slot_.size());
        at = find_slot(j);
      }
      slot_[at].key = j;
      ++size_;
    }
    return slot_[at].count;
  }
  // Linear probing up to 70 % full; any table size (the hash is scaled to it, not masked),
  // so a table sized from the expected count wastes no power-of-two rounding.
  static constexpr double max_load = 0.7;
  static std::size_t slots_for(double sources) {
    return std::max<std::size_t>(16, static_cast<std::size_t>(sources / max_load) + 1);
  }
  std::size_t find_slot(SourceId j) const {
    const std::size_t size = slot_.size();
    const unsigned __int128 h = static_cast<unsigned __int128>(j * 0x9E3779B97F4A7C15ull) * size;
    std::size_t at = static_cast<std::size_t>(h >> 64);
    while (slot_[at].key != j && slot_[at].key != empty)
      if (++at == size) at = 0;
    return at;
  }
  void grow(std::size_t size) {
    std::vector<Slot> old;
    old.reserve(size);  // untouched: huge pages before the first write (one access per synapse, at random)
    prefer_huge_pages(old.data(), size * sizeof(Slot));
    old.assign(size, Slot{empty, 0});
    old.swap(slot_);
    for (const Slot& s : old)
      if (s.key != empty) slot_[find_slot(s.key)] = s;
  }
  static constexpr unsigned full = 15;  // narrow: a counter at 15 goes on in over_
  Kind kind_;
  std::vector<Slot> slot_;            // hash map
  std::vector<std::uint32_t> value_;  // dense
  std::vector<std::uint8_t> nibble_;  // narrow: two counters a byte, the counts above 15 in over_
  std::unordered_map<SourceId, std::uint64_t> over_;
  std::size_t size_ = 0;
  bool has_last_ = false;
  std::uint32_t last_ = 0;
};

}  // namespace cajal
