#pragma once
/// Unsigned LEB128: an integer in 7-bit groups, low group first, the high bit set on every
/// byte but the last. Small values (gaps between sorted ids) take one byte.
#include <cstdint>

namespace cajal::leb128 {

/// Bytes of v.
inline unsigned size(std::uint64_t v) {
  unsigned n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

/// Calls put(byte) for each byte of v, in order.
template <class Put>
void write(std::uint64_t v, const Put& put) {
  for (; v >= 0x80; v >>= 7) put(static_cast<std::uint8_t>(0x80 | (v & 0x7f)));
  put(static_cast<std::uint8_t>(v));
}

/// The value at p, which is left past its last byte.
inline std::uint64_t read(const std::uint8_t*& p) {
  std::uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const std::uint8_t b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

}  // namespace cajal::leb128
