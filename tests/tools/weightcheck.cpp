// weightcheck equal A B: exit 0 when the weight files A and B (weights.h5, see
// src/io/weight_recorder.hpp) record the same projections with bit-identical synapse ids,
// sample times and weights; otherwise print the first difference and exit 1. Also exit 1
// when a projection's recorded weights are empty or one value throughout (no plasticity
// seen): equal files of that kind would prove nothing.
#include <hdf5.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "h5read.hpp"

namespace {

std::vector<std::string> groups(hid_t f) { return h5read::groups(f, "/weights"); }
using h5read::read;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::string(argv[1]) != "equal") {
    std::fprintf(stderr, "usage: weightcheck equal A B\n");
    return 2;
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t a = H5Fopen(argv[2], H5F_ACC_RDONLY, H5P_DEFAULT), b = H5Fopen(argv[3], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (a < 0 || b < 0) {
    std::fprintf(stderr, "weightcheck: cannot open %s\n", a < 0 ? argv[2] : argv[3]);
    return 1;
  }
  const auto ga = groups(a), gb = groups(b);
  if (ga != gb || ga.empty()) {
    std::fprintf(stderr, "weightcheck: the files record different projections (or none)\n");
    return 1;
  }
  std::size_t values = 0;
  for (const auto& g : ga)
    for (const char* name : {"source_node_ids", "target_node_ids", "time", "data"}) {
      const std::string p = "/weights/" + g + "/" + name;
      std::vector<unsigned char> x, y;
      std::vector<hsize_t> dx, dy;
      if (!read(a, p, x, dx) || !read(b, p, y, dy)) {
        std::fprintf(stderr, "weightcheck: %s missing or unreadable\n", p.c_str());
        return 1;
      }
      if (dx != dy || x != y) {
        std::fprintf(stderr, "weightcheck: %s differs\n", p.c_str());
        return 1;
      }
      if (std::string(name) == "data") {
        std::size_t n = 1;
        for (auto v : dx) n *= static_cast<std::size_t>(v);
        const std::size_t size = n ? x.size() / n : 0;
        if (!h5read::informative(x, size)) {
          std::fprintf(stderr, "weightcheck: %s: %s holds %s: the comparison would prove nothing\n", argv[2], p.c_str(),
                       h5read::describe_uninformative(x, size).c_str());
          return 1;
        }
        values += n;
      }
    }
  std::printf("weightcheck: identical, %zu weight samples in %zu projections\n", values, ga.size());
  H5Fclose(a);
  H5Fclose(b);
  return 0;
}
