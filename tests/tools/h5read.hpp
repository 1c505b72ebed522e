#pragma once
// Small HDF5 readers shared by the checking tools (no MPI, no Cajal code): the names of
// the groups below a path, a whole dataset as raw bytes with its dimensions, and whether
// data can prove anything in an equality check.
#include <hdf5.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace h5read {

/// Names of the links in group `path` (empty when it does not exist), in name order.
inline std::vector<std::string> groups(hid_t f, const char* path) {
  std::vector<std::string> out;
  const hid_t g = H5Gopen2(f, path, H5P_DEFAULT);
  if (g < 0) return out;
  H5Literate(
      g, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &out);
  H5Gclose(g);
  return out;
}

/// The dataset at `path` in its file type's bytes, and its dimensions; false when absent.
inline bool read(hid_t f, const std::string& path, std::vector<unsigned char>& out, std::vector<hsize_t>& dims) {
  const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  if (d < 0) return false;
  const hid_t sp = H5Dget_space(d), type = H5Dget_type(d);
  dims.assign(H5Sget_simple_extent_ndims(sp), 0);
  H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
  hsize_t n = 1;
  for (auto x : dims) n *= x;
  out.resize(n * H5Tget_size(type));
  const bool ok = n == 0 || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0;
  H5Tclose(type);
  H5Sclose(sp);
  H5Dclose(d);
  return ok;
}

/// The dataset at `path` converted to `memtype` (e.g. H5T_NATIVE_DOUBLE for T = double);
/// false when absent or unreadable.
template <class T>
bool values(hid_t f, const std::string& path, hid_t memtype, std::vector<T>& out) {
  const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  if (d < 0) return false;
  const hid_t sp = H5Dget_space(d);
  out.assign(static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp)), T{});
  const bool ok = out.empty() || H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0;
  H5Sclose(sp);
  H5Dclose(d);
  return ok;
}

/// Whether `raw` (elements of `size` bytes) carries information for an equality check: at
/// least two elements that differ. Empty data, all zeros or one value repeated would make
/// two runs agree whatever the code did, so the "equal" modes refuse them.
inline bool informative(const std::vector<unsigned char>& raw, std::size_t size) {
  if (size == 0) return false;
  for (std::size_t k = size; k + size <= raw.size(); k += size)
    if (std::memcmp(raw.data(), raw.data() + k, size) != 0) return true;
  return false;
}

/// A short description of uninformative data, for the refusal message: how many elements,
/// and the one value they all hold when they are 8-byte floats.
inline std::string describe_uninformative(const std::vector<unsigned char>& raw, std::size_t size) {
  if (raw.empty()) return "no values at all";
  std::string s = std::to_string(raw.size() / size) + " values, all the same";
  if (size == sizeof(double)) {
    double v = 0;
    std::memcpy(&v, raw.data(), sizeof v);
    char buf[48];
    std::snprintf(buf, sizeof buf, " (%.17g)", v);
    s += buf;
  }
  return s;
}

}  // namespace h5read
