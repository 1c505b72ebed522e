#pragma once
// Small HDF5 readers shared by the checking tools (no MPI, no Cajal code): the names of
// the groups below a path, and a whole dataset as raw bytes with its dimensions.
#include <hdf5.h>

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

}  // namespace h5read
