// A STREAM-like triad (a = b + s c) on one core: the memory bandwidth the field's
// multigrid is measured against (bench/field_benchmark.sh). Best of 10 passes over three
// arrays of 2^25 doubles (768 MiB), counting 24 bytes per element as STREAM does (the
// write-allocate read of `a` is not counted).
#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  const std::size_t n = std::size_t{1} << 25;
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  double best = 1e30;
  for (int rep = 0; rep < 10; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double s = 3.0 + rep;
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (t < best) best = t;
  }
  std::printf("triad_GBps %.2f (check %.1f)\n", 24.0 * n / best / 1e9, a[n / 2]);
  return 0;
}
