// reportcheck: checks of state reports (report_<variable>.h5, see src/io/state_report.hpp).
//
//   reportcheck reference FILE POPULATION CSV COLUMN FRACTION
//       column 0 of /report/POPULATION/data in FILE against column COLUMN of the CSV (header
//       line with names, one row per sample, same sampling): exit 0 when every sample lies
//       within FRACTION × (max - min of the reference column); prints the largest error.
//   reportcheck conserved FILE POPULATION TOLERANCE
//       the sum over cells of /report/POPULATION/data stays within TOLERANCE (relative) of
//       its first sample at every sample (mass balance), and the spread of the values
//       (max - min) at the end is below half of the first (the coupling did something).
//   reportcheck period FILE POPULATION DISCARD_MS EXPECTED_MS TOL_MS
//       column 0 oscillates with the given period: intervals between upward crossings of
//       the mid-range (min and max after DISCARD_MS), located by linear interpolation;
//       their mean must lie within TOL_MS of EXPECTED_MS.
//   reportcheck layout FILE POPULATION CELLS SAMPLES STEP_MS
//       the SONATA report layout: /report/POPULATION/data [SAMPLES, CELLS] with a units
//       attribute, mapping/node_ids = 0 .. CELLS-1, index_pointers = 0 .. CELLS,
//       element_ids all 0, time = {0, SAMPLES·STEP_MS, STEP_MS}.
//   reportcheck equal A B
//       the report files A and B hold the same populations with bit-identical node ids,
//       times and data; otherwise prints the first difference and exits 1. Also exits 1
//       when a population's data are empty or one value throughout (all zero, say): equal
//       files of that kind would prove nothing.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "h5read.hpp"

namespace {

std::vector<std::string> groups(hid_t f) { return h5read::groups(f, "/report"); }
using h5read::read;

int reference(const char* file, const std::string& pop, const char* csv, const std::string& column, double fraction) {
  const hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    std::fprintf(stderr, "reportcheck: cannot open %s\n", file);
    return 1;
  }
  std::vector<unsigned char> raw;
  std::vector<hsize_t> dims;
  if (!read(f, "/report/" + pop + "/data", raw, dims) || dims.size() != 2) {
    std::fprintf(stderr, "reportcheck: %s has no 2-D /report/%s/data\n", file, pop.c_str());
    return 1;
  }
  H5Fclose(f);
  const double* data = reinterpret_cast<const double*>(raw.data());
  std::ifstream in(csv);
  std::string line;
  if (!in || !std::getline(in, line)) {
    std::fprintf(stderr, "reportcheck: cannot read %s\n", csv);
    return 1;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> names;
  {
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) names.push_back(c);
  }
  const auto it = std::find(names.begin(), names.end(), column);
  if (it == names.end()) {
    std::fprintf(stderr, "reportcheck: %s has no column %s\n", csv, column.c_str());
    return 1;
  }
  const std::size_t col = static_cast<std::size_t>(it - names.begin());
  std::vector<double> ref;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string c;
    for (std::size_t k = 0; k <= col && std::getline(ss, c, ','); ++k) {
    }
    ref.push_back(std::stod(c));
  }
  if (ref.size() != dims[0]) {
    std::fprintf(stderr, "reportcheck: %llu samples in the report, %zu in the reference\n",
                 static_cast<unsigned long long>(dims[0]), ref.size());
    return 1;
  }
  const double range = *std::max_element(ref.begin(), ref.end()) - *std::min_element(ref.begin(), ref.end());
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t s = 0; s < ref.size(); ++s) {
    const double e = std::fabs(data[s * dims[1]] - ref[s]);
    if (!(e <= worst)) worst = e, at = s;
  }
  std::printf("reportcheck: %s vs %s: %zu samples, range %.6g, largest error %.3g (%.3g of the range) at sample %zu\n",
              pop.c_str(), column.c_str(), ref.size(), range, worst, worst / range, at);
  if (!(worst <= fraction * range)) {
    std::fprintf(stderr, "reportcheck: error above %.3g of the range\n", fraction);
    return 1;
  }
  return 0;
}

int conserved(const char* file, const std::string& pop, double tol) {
  const hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  std::vector<unsigned char> raw;
  std::vector<hsize_t> dims;
  if (f < 0 || !read(f, "/report/" + pop + "/data", raw, dims) || dims.size() != 2 || dims[0] < 2) {
    std::fprintf(stderr, "reportcheck: %s has no 2-D /report/%s/data with two samples or more\n", file, pop.c_str());
    return 1;
  }
  H5Fclose(f);
  const double* d = reinterpret_cast<const double*>(raw.data());
  auto row_sum = [&](hsize_t s) {
    long double t = 0;
    for (hsize_t c = 0; c < dims[1]; ++c) t += d[s * dims[1] + c];
    return static_cast<double>(t);
  };
  auto spread = [&](hsize_t s) {
    const double* r = d + s * dims[1];
    return *std::max_element(r, r + dims[1]) - *std::min_element(r, r + dims[1]);
  };
  const double s0 = row_sum(0);
  double worst = 0;
  for (hsize_t s = 1; s < dims[0]; ++s) worst = std::max(worst, std::fabs(row_sum(s) - s0) / std::fabs(s0));
  const double sp0 = spread(0), sp1 = spread(dims[0] - 1);
  std::printf("reportcheck: %s: %llu cells, %llu samples: total %.17g, largest relative change %.3g; spread %.4g -> %.4g\n",
              pop.c_str(), static_cast<unsigned long long>(dims[1]), static_cast<unsigned long long>(dims[0]), s0, worst,
              sp0, sp1);
  if (!(worst <= tol)) {
    std::fprintf(stderr, "reportcheck: the total changed by more than %.3g\n", tol);
    return 1;
  }
  if (!(sp1 < 0.5 * sp0)) {
    std::fprintf(stderr, "reportcheck: the spread did not halve: no coupling?\n");
    return 1;
  }
  return 0;
}

int period(const char* file, const std::string& pop, double discard, double expected, double tol) {
  const hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  std::vector<unsigned char> raw, traw;
  std::vector<hsize_t> dims, tdims;
  if (f < 0 || !read(f, "/report/" + pop + "/data", raw, dims) || dims.size() != 2 ||
      !read(f, "/report/" + pop + "/mapping/time", traw, tdims) || tdims[0] != 3) {
    std::fprintf(stderr, "reportcheck: %s has no /report/%s/data and mapping/time\n", file, pop.c_str());
    return 1;
  }
  H5Fclose(f);
  const double* d = reinterpret_cast<const double*>(raw.data());
  const double* t = reinterpret_cast<const double*>(traw.data());
  const hsize_t n = dims[0], w = dims[1];
  const hsize_t first = static_cast<hsize_t>(std::ceil((discard - t[0]) / t[2]));
  if (first + 2 >= n) {
    std::fprintf(stderr, "reportcheck: nothing left after the discard\n");
    return 1;
  }
  double lo = d[first * w], hi = lo;
  for (hsize_t s = first; s < n; ++s) lo = std::min(lo, d[s * w]), hi = std::max(hi, d[s * w]);
  const double mid = 0.5 * (lo + hi);
  std::vector<double> up;
  for (hsize_t s = first + 1; s < n; ++s) {
    const double a = d[(s - 1) * w], b = d[s * w];
    if (a < mid && b >= mid) up.push_back(t[0] + (s - 1 + (mid - a) / (b - a)) * t[2]);
  }
  if (up.size() < 3) {
    std::fprintf(stderr, "reportcheck: %zu upward crossings of %.6g: no oscillation\n", up.size(), mid);
    return 1;
  }
  const double mean = (up.back() - up.front()) / static_cast<double>(up.size() - 1);
  std::printf("reportcheck: %s: range %.6g .. %.6g, %zu periods, mean %.6f ms (expected %.6f ms)\n", pop.c_str(), lo, hi,
              up.size() - 1, mean, expected);
  if (!(std::fabs(mean - expected) <= tol)) {
    std::fprintf(stderr, "reportcheck: the period differs by more than %.3g ms\n", tol);
    return 1;
  }
  return 0;
}

int layout(const char* file, const std::string& pop, hsize_t cells, hsize_t samples, double step) {
  const hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    std::fprintf(stderr, "reportcheck: cannot open %s\n", file);
    return 1;
  }
  const std::string g = "/report/" + pop;
  std::vector<unsigned char> raw;
  std::vector<hsize_t> dims;
  int bad = 0;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "reportcheck: %s: %s\n", file, what.c_str());
    ++bad;
  };
  if (!read(f, g + "/data", raw, dims) || dims != std::vector<hsize_t>{samples, cells}) fail(g + "/data: wrong shape");
  {
    const hid_t d = H5Dopen2(f, (g + "/data").c_str(), H5P_DEFAULT);
    if (d < 0 || H5Aexists(d, "units") <= 0) fail(g + "/data: no units attribute");
    if (d >= 0) H5Dclose(d);
  }
  if (!read(f, g + "/mapping/node_ids", raw, dims) || dims != std::vector<hsize_t>{cells}) {
    fail(g + "/mapping/node_ids: wrong shape");
  } else {
    const auto* v = reinterpret_cast<const std::uint64_t*>(raw.data());
    for (hsize_t k = 0; k < cells; ++k)
      if (v[k] != k) fail(g + "/mapping/node_ids: not 0 .. cells-1");
  }
  if (!read(f, g + "/mapping/index_pointers", raw, dims) || dims != std::vector<hsize_t>{cells + 1}) {
    fail(g + "/mapping/index_pointers: wrong shape");
  } else {
    const auto* v = reinterpret_cast<const std::uint64_t*>(raw.data());
    for (hsize_t k = 0; k <= cells; ++k)
      if (v[k] != k) fail(g + "/mapping/index_pointers: not 0 .. cells");
  }
  if (!read(f, g + "/mapping/element_ids", raw, dims) || dims != std::vector<hsize_t>{cells}) {
    fail(g + "/mapping/element_ids: wrong shape");
  } else {
    const auto* v = reinterpret_cast<const std::uint32_t*>(raw.data());
    for (hsize_t k = 0; k < cells; ++k)
      if (v[k] != 0) fail(g + "/mapping/element_ids: not all 0");
  }
  if (!read(f, g + "/mapping/time", raw, dims) || dims != std::vector<hsize_t>{3}) {
    fail(g + "/mapping/time: wrong shape");
  } else {
    const auto* t = reinterpret_cast<const double*>(raw.data());
    if (t[0] != 0.0 || std::fabs(t[1] - static_cast<double>(samples) * step) > 1e-9 * t[1] ||
        std::fabs(t[2] - step) > 1e-12 * step)
      fail(g + "/mapping/time: not {0, samples·step, step}");
  }
  H5Fclose(f);
  if (bad == 0) std::printf("reportcheck: %s: SONATA report layout, %llu cells x %llu samples\n", pop.c_str(),
                            static_cast<unsigned long long>(cells), static_cast<unsigned long long>(samples));
  return bad ? 1 : 0;
}

int equal(const char* fa, const char* fb) {
  const hid_t a = H5Fopen(fa, H5F_ACC_RDONLY, H5P_DEFAULT), b = H5Fopen(fb, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (a < 0 || b < 0) {
    std::fprintf(stderr, "reportcheck: cannot open %s\n", a < 0 ? fa : fb);
    return 1;
  }
  const auto ga = groups(a), gb = groups(b);
  if (ga != gb || ga.empty()) {
    std::fprintf(stderr, "reportcheck: the files report different populations (or none)\n");
    return 1;
  }
  for (const auto& g : ga)
    for (const char* name : {"mapping/node_ids", "mapping/time", "data"}) {
      const std::string path = "/report/" + g + "/" + name;
      std::vector<unsigned char> va, vb;
      std::vector<hsize_t> da, db;
      if (!read(a, path, va, da) || !read(b, path, vb, db)) {
        std::fprintf(stderr, "reportcheck: cannot read %s\n", path.c_str());
        return 1;
      }
      if (da != db || va != vb) {
        std::fprintf(stderr, "reportcheck: %s differs\n", path.c_str());
        return 1;
      }
      if (std::string(name) == "data") {
        std::size_t n = 1;
        for (auto x : da) n *= static_cast<std::size_t>(x);
        const std::size_t size = n ? va.size() / n : 0;
        if (!h5read::informative(va, size)) {
          std::fprintf(stderr, "reportcheck: %s: %s holds %s: the comparison would prove nothing\n", fa, path.c_str(),
                       h5read::describe_uninformative(va, size).c_str());
          return 1;
        }
      }
    }
  std::printf("reportcheck: %zu populations, identical\n", ga.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "reference" && argc == 7) return reference(argv[2], argv[3], argv[4], argv[5], std::atof(argv[6]));
  if (mode == "equal" && argc == 4) return equal(argv[2], argv[3]);
  if (mode == "period" && argc == 7)
    return period(argv[2], argv[3], std::atof(argv[4]), std::atof(argv[5]), std::atof(argv[6]));
  if (mode == "layout" && argc == 7)
    return layout(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10), std::strtoull(argv[5], nullptr, 10),
                  std::atof(argv[6]));
  if (mode == "conserved" && argc == 5) return conserved(argv[2], argv[3], std::atof(argv[4]));
  std::fprintf(stderr,
               "usage: reportcheck reference FILE POPULATION CSV COLUMN FRACTION\n"
               "       reportcheck conserved FILE POPULATION TOLERANCE\n"
               "       reportcheck period FILE POPULATION DISCARD_MS EXPECTED_MS TOL_MS\n"
               "       reportcheck layout FILE POPULATION CELLS SAMPLES STEP_MS\n"
               "       reportcheck equal A B\n");
  return 2;
}
