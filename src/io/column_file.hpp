#pragma once
// HDF5 datasets whose columns are spread over the ranks: each rank writes its own columns
// (or rank 0 a small dataset) with one collective write. write_whole writes a file whole
// (the SONATA network files), collectively, under `path.incomplete`, renamed when every
// rank has succeeded; the reports and weights.h5, which grow as the run goes, use the
// column writers inside their own files (io/sample_file.hpp).
#include <hdf5.h>
#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/util/error.hpp"
#include "io/h5.hpp"

namespace cajal {
namespace column_file {

/// Creates `path`.incomplete with MPI-IO, calls body(file, xfer, tmp) with a collective
/// transfer list, agrees on any failure across ranks (usage_error with the first rank's
/// message), and renames the file to `path` (rank 0).
template <class Body>
void write_whole(const Communicator& comm, const std::string& path, Body&& body) {
  const std::string tmp = path + ".incomplete";
  std::string problem;
  try {
    h5::silence_errors();
    h5::Handle fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, tmp, "H5Pcreate");
    h5::check(H5Pset_fapl_mpio(fapl, mpi_comm(comm), MPI_INFO_NULL), tmp, "H5Pset_fapl_mpio");
    h5::Handle file = h5::check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, tmp,
                                "cannot create the file");
    h5::Handle xfer = h5::check(H5Pcreate(H5P_DATASET_XFER), H5Pclose, tmp, "H5Pcreate");
    h5::check(H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE), tmp, "H5Pset_dxpl_mpio");
    body(static_cast<hid_t>(file), static_cast<hid_t>(xfer), tmp);
  } catch (const error& e) {
    problem = e.what();
  }
  problem = comm.first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
  if (comm.is_root() && std::rename(tmp.c_str(), path.c_str()) != 0) problem = tmp + ": cannot rename to " + path;
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
}

inline h5::Handle group(hid_t parent, const std::string& name, const std::string& tmp) {
  return h5::check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, tmp,
                   "create " + name);
}

inline h5::Handle dataset(hid_t parent, const std::string& name, hid_t type, int rank, const hsize_t* dims,
                          const std::string& tmp) {
  h5::Handle sp = h5::check(H5Screate_simple(rank, dims, nullptr), H5Sclose, tmp, "H5Screate_simple");
  return h5::check(H5Dcreate2(parent, name.c_str(), type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, tmp,
                   "create " + name);
}

/// This rank's columns `cols` (ascending) of a [n] dataset, from `buf` (cols.size() values).
inline void write_columns(hid_t d, hid_t memtype, const std::vector<std::uint64_t>& cols, const void* buf, hid_t xfer,
                          const std::string& tmp, const std::string& what);
/// This rank's columns `cols` of a [rows, n] dataset, from `buf` (rows × cols.size(), row-major).
inline void write_columns(hid_t d, hid_t memtype, const std::vector<std::uint64_t>& cols, hsize_t rows,
                          const void* buf, hid_t xfer, const std::string& tmp, const std::string& what) {
  h5::Handle space = h5::check(H5Dget_space(d), H5Sclose, tmp, "H5Dget_space");
  const bool two_d = H5Sget_simple_extent_ndims(space) == 2;
  h5::transfer(
      true, d, memtype, (two_d ? rows : 1) * cols.size(), [&](hid_t fs) { h5::select_columns(fs, cols, rows, two_d); },
      xfer, const_cast<void*>(buf), tmp, "write " + what);
}

inline void write_columns(hid_t d, hid_t memtype, const std::vector<std::uint64_t>& cols, const void* buf, hid_t xfer,
                          const std::string& tmp, const std::string& what) {
  write_columns(d, memtype, cols, 1, buf, xfer, tmp, what);
}

/// A small 1-D dataset written by rank 0 alone (the others take part with empty selections).
inline void write_root(const Communicator& comm, hid_t d, hid_t memtype, hsize_t count, const void* buf, hid_t xfer,
                       const std::string& tmp, const std::string& what) {
  h5::transfer(
      true, d, memtype, comm.is_root() ? count : 0, [&](hid_t fs) { h5::select_rows(fs, 0, count); }, xfer,
      const_cast<void*>(buf), tmp, "write " + what);
}

/// Reads the whole dataset `name` as 8-byte words in memory type `type` (a uint64 or a
/// double type); `dims` gets its shape. Throws h5_error naming `path` when it is missing.
inline void read_words(hid_t f, const std::string& name, hid_t type, std::vector<hsize_t>& dims,
                       std::vector<std::uint64_t>& out, const std::string& path) {
  h5::Handle d = h5::check(H5Dopen2(f, name.c_str(), H5P_DEFAULT), H5Dclose, path, "no " + name);
  h5::Handle sp = h5::check(H5Dget_space(d), H5Sclose, path, "H5Dget_space");
  dims.assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(sp)), 0);
  H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
  hsize_t total = 1;
  for (auto x : dims) total *= x;
  out.resize(total);
  if (total) h5::check(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path, "read " + name);
}

}  // namespace column_file
}  // namespace cajal
