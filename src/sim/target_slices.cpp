#include <algorithm>

#include "sim/delivery_kernels.hpp"

namespace cajal {

TargetSlices target_slices(const Projection& pj, std::uint64_t cells) {
  const auto threads = static_cast<std::uint64_t>(Kokkos::DefaultExecutionSpace().concurrency());
  TargetSlices sl;
  sl.cells = cells;
#ifdef CAJAL_DEVICE_BACKEND
  (void)pj;
  (void)threads;
  sl.count = device_slices;  // interleaved: no table
  return sl;
#endif
  sl.count = static_cast<int>(std::max<std::uint64_t>(1, std::min(threads, cells)));
  if (sl.count == 1) return sl;
  const std::size_t rows = pj.rows.rows();
  Kokkos::View<std::uint32_t**, Kokkos::LayoutRight> split(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::delivery::split"), rows, sl.count - 1);
  const SourceRows src = pj.rows;
  const Targets target = pj.target;
  const TargetSlices s = sl;
  Kokkos::parallel_for(
      "cajal::delivery::split", Kokkos::RangePolicy<>(0, rows), KOKKOS_LAMBDA(const std::size_t r) {
        // Targets ascend within a row (connectivity.cpp fills rows target by target).
        const auto span = src.span(r);
        const std::uint64_t first = span.b, e = span.e;
        std::uint64_t b = first;
        for (int k = 1; k < s.count; ++k) {
          const std::uint32_t t = s.lo(k);
          std::uint64_t lo = b, hi = e;
          while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (target(mid) < t) lo = mid + 1;
            else hi = mid;
          }
          split(r, k - 1) = static_cast<std::uint32_t>(lo - first);
          b = lo;
        }
      });
  sl.split = split;
  return sl;
}

}  // namespace cajal
