#pragma once
// Where the connection builder's fill pass places each row's next synapse (see
// build_projection in connectivity.cpp).
#include <cstdint>
#include <cstring>
#include <vector>

#include "util/huge_pages.hpp"

namespace cajal {

/// Per row, where the fill places the row's next synapse: a 32-bit base per block of 64
/// rows (the block's first synapse), and per row its next place counted from there, in 1,
/// 2 or 4 bytes as the widest block needs. At 10^4 ranks a block spans ~80 synapses, so a
/// byte a row; the row's start from the coded offsets instead would cost a second select
/// per synapse, at random (the fill's time is such lookups).
class RowFill {
public:
  static constexpr std::uint64_t block = 64;
  RowFill() = default;
  /// `rows` rows; `widest`: the most synapses of one block (its end less its base).
  RowFill(std::uint64_t rows, std::uint64_t widest)
      : width_(widest <= 0xff ? 1 : widest <= 0xffff ? 2 : 4), base_((rows + block - 1) / block, 0) {
    bytes_.reserve(rows * width_);  // one access per synapse, at random
    prefer_huge_pages(bytes_.data(), rows * width_);
    bytes_.assign(rows * width_, 0);
  }
  /// Row r (rows in order) starts at synapse `first`.
  void start(std::uint64_t r, std::uint64_t first) {
    if (r % block == 0) base_[r / block] = static_cast<std::uint32_t>(first);
    const std::uint64_t from_base = first - base_[r / block];
    switch (width_) {
      case 1: return put<std::uint8_t>(r, from_base);
      case 2: return put<std::uint16_t>(r, from_base);
      default: return put<std::uint32_t>(r, from_base);
    }
  }
  /// The next free place of row r.
  std::uint64_t take(std::uint64_t r) {
    const std::uint64_t base = base_[r / block];
    switch (width_) {
      case 1: return base + bump<std::uint8_t>(r);
      case 2: return base + bump<std::uint16_t>(r);
      default: return base + bump<std::uint32_t>(r);
    }
  }

private:
  std::size_t width_ = 4;
  std::vector<std::uint32_t> base_;
  std::vector<unsigned char> bytes_;
  template <class T>
  void put(std::uint64_t r, std::uint64_t v) {
    const T x = static_cast<T>(v);
    std::memcpy(bytes_.data() + r * sizeof(T), &x, sizeof(T));
  }
  template <class T>
  std::uint64_t bump(std::uint64_t r) {
    T n;
    std::memcpy(&n, bytes_.data() + r * sizeof(T), sizeof(T));
    put<T>(r, static_cast<std::uint64_t>(n) + 1);
    return n;
  }
};

}  // namespace cajal
