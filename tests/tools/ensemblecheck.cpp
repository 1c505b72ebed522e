// ensemblecheck REFERENCE KEY T0 T1 N ALPHA MEDIAN_FRACTION SPIKES.h5...
// Compares the seed-to-seed distribution of a network's all-cell rate with another
// simulator's, when one run cannot be compared with one run (a network whose rate spreads
// widely from seed to seed, such as NEST's hpc_benchmark).
//
// Cajal's sample: for each SPIKES.h5 (one run per seed), spikes of all populations with
// T0 < t <= T1 ms / N cells / (T1 - T0). The reference sample: `seeds[*].KEY` of the JSON
// file REFERENCE (tests/reference/nest_hpc_benchmark_seeds.json: NEST 3.9, 17 seeds).
// Two checks, both must hold:
//   1. Two-sided Mann–Whitney U test (Wilcoxon rank-sum) of "same distribution": the exact
//      permutation distribution of the rank sum (ties get mid-ranks and are counted in the
//      exact distribution), p >= ALPHA.
//   2. Medians: |median(Cajal) - median(reference)| <= MEDIAN_FRACTION × the reference's
//      interquartile range (quartiles by linear interpolation between order statistics).
// Exit status 0 when both hold, 1 otherwise, 2 on bad usage or unreadable files.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "h5read.hpp"

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "ensemblecheck: %s\n", why.c_str());
  std::exit(2);
}

/// The all-population rate of one SONATA spike file over (t0, t1] ms, in Hz per cell.
double rate(const char* path, double t0, double t1, double cells) {
  const hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) die(std::string("cannot open ") + path);
  std::size_t count = 0;
  for (const auto& pop : h5read::groups(f, "/spikes")) {
    std::vector<unsigned char> raw;
    std::vector<hsize_t> dims;
    if (!h5read::read(f, "/spikes/" + pop + "/timestamps", raw, dims))
      die(std::string(path) + ": no /spikes/" + pop + "/timestamps");
    const auto* t = reinterpret_cast<const double*>(raw.data());
    for (std::size_t k = 0; k < raw.size() / sizeof(double); ++k) count += t[k] > t0 && t[k] <= t1;
  }
  H5Fclose(f);
  return static_cast<double>(count) / cells / ((t1 - t0) * 1e-3);
}

/// Quantile q of sorted `v`, linear interpolation between order statistics.
double quantile(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct MannWhitney {
  double u = 0;  ///< U of the first sample: pairs (a, b) with a > b, ties counting 1/2
  double p = 1;  ///< two-sided exact p-value
};

/// Exact two-sided Mann–Whitney test. Every assignment of the pooled values to the two
/// groups is equally likely under the null hypothesis; the number of assignments giving
/// each doubled rank sum of the first group is counted by dynamic programming over the
/// pooled values (doubled mid-ranks are integers). p = P(|R - E R| >= |R_obs - E R|).
MannWhitney mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n1 = a.size(), n = a.size() + b.size();
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.emplace_back(x, 0);
  for (double x : b) pooled.emplace_back(x, 1);
  std::sort(pooled.begin(), pooled.end());
  std::vector<long> rank2(n);  // doubled mid-ranks
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    for (std::size_t k = i; k < j; ++k) rank2[k] = static_cast<long>(i + 1 + j);  // 2 × (i+1 + j)/2
    i = j;
  }
  long r_obs = 0;
  for (std::size_t k = 0; k < n; ++k)
    if (pooled[k].second == 0) r_obs += rank2[k];
  const long max_sum = static_cast<long>(2 * n * n);
  // ways[m][s]: subsets of m of the values seen so far with doubled rank sum s.
  std::vector<std::vector<long double>> ways(n1 + 1, std::vector<long double>(static_cast<std::size_t>(max_sum) + 1, 0));
  ways[0][0] = 1;
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t m = std::min(n1, k + 1); m >= 1; --m)
      for (long s = max_sum; s >= rank2[k]; --s) ways[m][s] += ways[m - 1][s - rank2[k]];
  const long mean2 = static_cast<long>(n1 * (n + 1));  // 2 × E R = n1 (n + 1)
  const long d_obs = std::labs(r_obs - mean2);
  long double total = 0, tail = 0;
  for (long s = 0; s <= max_sum; ++s) {
    total += ways[n1][s];
    if (std::labs(s - mean2) >= d_obs) tail += ways[n1][s];
  }
  MannWhitney r;
  r.u = 0.5 * static_cast<double>(r_obs) - 0.5 * static_cast<double>(n1 * (n1 + 1));
  r.p = static_cast<double>(tail / total);
  return r;
}

void print(const char* what, std::vector<double> v) {
  std::printf("ensemblecheck: %s (%zu):", what, v.size());
  for (double x : v) std::printf(" %.3f", x);
  std::sort(v.begin(), v.end());
  std::printf("\nensemblecheck:   median %.3f Hz, quartiles %.3f - %.3f Hz, range %.3f - %.3f Hz\n", quantile(v, 0.5),
              quantile(v, 0.25), quantile(v, 0.75), v.front(), v.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9) {
    std::fprintf(stderr, "usage: ensemblecheck REFERENCE KEY T0 T1 N ALPHA MEDIAN_FRACTION SPIKES.h5...\n");
    return 2;
  }
  std::ifstream fr(argv[1]);
  if (!fr) die(std::string("cannot open ") + argv[1]);
  const auto ref = nlohmann::json::parse(fr);
  const std::string key = argv[2];
  const double t0 = std::atof(argv[3]), t1 = std::atof(argv[4]), cells = std::atof(argv[5]);
  const double alpha = std::atof(argv[6]), fraction = std::atof(argv[7]);
  if (!(t1 > t0) || !(cells > 0) || !(alpha > 0 && alpha < 1) || !(fraction > 0)) die("need T1 > T0, N > 0, 0 < ALPHA < 1, MEDIAN_FRACTION > 0");

  std::vector<double> nest, cajal;
  for (const auto& s : ref.at("seeds")) nest.push_back(s.at(key).get<double>());
  for (int k = 8; k < argc; ++k) cajal.push_back(rate(argv[k], t0, t1, cells));
  if (nest.size() < 2 || cajal.size() < 2) die("need at least two runs in each sample");

  print("Cajal rates, Hz", cajal);
  print("reference rates, Hz", nest);
  std::sort(cajal.begin(), cajal.end());
  std::sort(nest.begin(), nest.end());

  const MannWhitney mw = mann_whitney(cajal, nest);
  const bool same = mw.p >= alpha;
  std::printf("ensemblecheck: Mann-Whitney U = %.1f (of %zu pairs), exact two-sided p = %.3g (must be >= %.3g): %s\n",
              mw.u, cajal.size() * nest.size(), mw.p, alpha, same ? "ok" : "FAILED");

  const double dm = quantile(cajal, 0.5) - quantile(nest, 0.5);
  const double iqr = quantile(nest, 0.75) - quantile(nest, 0.25);
  const bool close = std::fabs(dm) <= fraction * iqr;
  std::printf("ensemblecheck: median difference %+.3f Hz (allowed %.2f x reference IQR %.3f Hz = %.3f Hz): %s\n", dm,
              fraction, iqr, fraction * iqr, close ? "ok" : "FAILED");
  return same && close ? 0 : 1;
}
