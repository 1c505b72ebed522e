// fieldcheck: compares the field snapshots of two runs (field.h5, /potassium/<step>).
//
//   fieldcheck equal A.h5 B.h5        every snapshot of A exists in B with identical bytes,
//                                     and the snapshots together hold two different values
//                                     at least (a field uniform and constant throughout
//                                     would make the comparison prove nothing)
//   fieldcheck close A.h5 B.h5 TOL    same snapshots, max |a - b| <= TOL (mM)
//   fieldcheck count A.h5 N           A holds exactly N snapshots, each finite
//
// Prints what it compared and the largest difference; exit 0 when the check holds, 1 when
// it fails, 2 on a usage or file problem.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "h5read.hpp"

namespace {

hid_t open(const char* path) {
  const hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    std::fprintf(stderr, "fieldcheck: cannot open %s\n", path);
    std::exit(2);
  }
  return f;
}

std::vector<double> values(hid_t f, const std::string& name, std::vector<hsize_t>& dims) {
  std::vector<unsigned char> raw;
  if (!h5read::read(f, "/potassium/" + name, raw, dims)) return {};
  std::vector<double> v(raw.size() / 8);
  std::memcpy(v.data(), raw.data(), raw.size());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "count" && argc == 4) {
    const hid_t f = open(argv[2]);
    const auto names = h5read::groups(f, "/potassium");
    for (const auto& n : names) {
      std::vector<hsize_t> dims;
      for (double x : values(f, n, dims))
        if (!std::isfinite(x)) {
          std::printf("snapshot %s holds a non-finite value\n", n.c_str());
          return 1;
        }
    }
    std::printf("%zu snapshots (expected %s)\n", names.size(), argv[3]);
    return static_cast<long>(names.size()) == std::atol(argv[3]) ? 0 : 1;
  }
  if (!((mode == "equal" && argc == 4) || (mode == "close" && argc == 5))) {
    std::fprintf(stderr, "usage: fieldcheck equal A.h5 B.h5 | fieldcheck close A.h5 B.h5 TOL | fieldcheck count A.h5 N\n");
    return 2;
  }
  const hid_t a = open(argv[2]), b = open(argv[3]);
  const double tol = mode == "close" ? std::atof(argv[4]) : 0.0;
  const auto na = h5read::groups(a, "/potassium"), nb = h5read::groups(b, "/potassium");
  if (na.empty() || na != nb) {
    std::printf("the files hold different snapshot lists (%zu vs %zu)\n", na.size(), nb.size());
    return 1;
  }
  double worst = 0;
  std::vector<unsigned char> all;  // every snapshot's bytes, for the information check
  for (const auto& n : na) {
    std::vector<hsize_t> da, db;
    const auto va = values(a, n, da), vb = values(b, n, db);
    if (da != db || va.size() != vb.size()) {
      std::printf("snapshot %s: different shapes\n", n.c_str());
      return 1;
    }
    if (mode == "equal" && std::memcmp(va.data(), vb.data(), va.size() * 8) != 0) {
      for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::fabs(va[i] - vb[i]));
      std::printf("snapshot %s differs (largest difference %.3e mM)\n", n.c_str(), worst);
      return 1;
    }
    for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::fabs(va[i] - vb[i]));
    if (mode == "equal")
      all.insert(all.end(), reinterpret_cast<const unsigned char*>(va.data()),
                 reinterpret_cast<const unsigned char*>(va.data() + va.size()));
  }
  if (mode == "equal" && !h5read::informative(all, sizeof(double))) {
    std::printf("%s: the snapshots hold %s: the comparison would prove nothing\n", argv[2],
                h5read::describe_uninformative(all, sizeof(double)).c_str());
    return 1;
  }
  std::printf("%zu snapshots compared, largest difference %.3e mM%s\n", na.size(), worst,
              mode == "close" ? (" (tolerance " + std::string(argv[4]) + ")").c_str() : " (bit-identical)");
  return worst <= tol ? 0 : 1;
}
