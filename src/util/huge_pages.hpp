#pragma once
/// Transparent huge pages for large arrays that are read or written at random.
#include <cstddef>
#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cajal {

/// Asks for transparent huge pages behind `bytes` bytes at `data`, before they are first
/// written (advice only: errors are ignored, and the content is unaffected). Only the
/// 2 MiB-aligned inside of the range is advised. With the kernel's "madvise" mode (the
/// common default) a large array gets 4 KiB pages otherwise, and an access at random in
/// one of 10^8 bytes or more misses the TLB nearly every time: the build's fill and count
/// passes at 10^4 ranks are such accesses, once per synapse.
inline void prefer_huge_pages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
  std::uintptr_t b = reinterpret_cast<std::uintptr_t>(data);
  std::uintptr_t e = b + bytes;
  b = (b + huge - 1) & ~(huge - 1);
  e &= ~(huge - 1);
  if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace cajal
