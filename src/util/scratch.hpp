#pragma once
/// Scratch buffers that follow the traffic (the spike exchange's rounds, delivery's sort
/// order): rewritten whole each time they are used, so growing one need not keep its old
/// contents.
#include <cstddef>
#include <vector>

namespace cajal {

/// Makes `v` hold `n` elements, zero where new, without ever holding two blocks: when it
/// must grow, the old block is freed before the larger one is taken (a vector's own growth
/// copies the old block into the new one, both resident at once: at 10^4 ranks, tens of MB
/// on top of the run's peak), and its old contents are lost. A quarter of headroom is
/// reserved, not written: pages never touched cost no resident memory, so the resident
/// size follows the most ever asked for.
template <class T>
void resize_scratch(std::vector<T>& v, std::size_t n) {
  if (v.capacity() < n) {
    std::vector<T>().swap(v);
    v.reserve(n + n / 4);
  }
  v.resize(n);
}

}  // namespace cajal
