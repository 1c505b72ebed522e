#pragma once
// Owning handles and checked calls for the HDF5 C API: every hid_t is closed by RAII,
// every negative return becomes a cajal::h5_error naming the file.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cajal/util/error.hpp"

namespace cajal {
namespace h5 {

class Handle {
public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept {
    reset();
    id_ = std::exchange(o.id_, -1);
    close_ = o.close_;
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }

private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

/// The innermost description on HDF5's error stack (often the system's reason, such as
/// "No space left on device"), or "".
inline std::string reason() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        if (e && e->desc && *e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  return out;
}

/// Throws h5_error(path, what) when id < 0; returns an owning handle otherwise.
inline Handle check(hid_t id, herr_t (*close)(hid_t), const std::string& path, const std::string& what) {
  if (id < 0) {
    const std::string r = reason();
    throw h5_error(path, what + (r.empty() ? "" : " (" + r + ")"));
  }
  return Handle(id, close);
}
inline void check(herr_t rc, const std::string& path, const std::string& what) {
  if (rc < 0) {
    const std::string r = reason();
    throw h5_error(path, what + (r.empty() ? "" : " (" + r + ")"));
  }
}

/// A fixed-length string attribute `name` = `value` on `obj` (e.g. "units").
inline void write_string_attr(hid_t obj, const char* name, const std::string& value, const std::string& path) {
  Handle type = check(H5Tcopy(H5T_C_S1), H5Tclose, path, "H5Tcopy");
  check(H5Tset_size(type, value.size()), path, "H5Tset_size");
  Handle space = check(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  Handle attr = check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, path,
                      std::string("create attribute ") + name);
  check(H5Awrite(attr, type, value.data()), path, std::string("write attribute ") + name);
}

/// A float64 attribute `name` = `value` on `obj` (e.g. "time_ms").
inline void write_double_attr(hid_t obj, const char* name, double value, const std::string& path) {
  Handle space = check(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  Handle attr = check(H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, path,
                      std::string("create attribute ") + name);
  check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), path, std::string("write attribute ") + name);
}

/// Selects, in a [rows, n] (two_d) or [n] dataspace, the columns `cols` (ascending) of the
/// `rows` rows from `first_row` on: each run of consecutive columns becomes one hyperslab.
inline void select_columns(hid_t space, const std::vector<std::uint64_t>& cols, hsize_t rows, bool two_d,
                           hsize_t first_row = 0) {
  H5Sselect_none(space);
  for (std::size_t k = 0; k < cols.size();) {
    std::size_t e = k + 1;
    while (e < cols.size() && cols[e] == cols[e - 1] + 1) ++e;
    if (two_d) {
      const hsize_t start[2] = {first_row, cols[k]}, count[2] = {rows, e - k};
      H5Sselect_hyperslab(space, H5S_SELECT_OR, start, nullptr, count, nullptr);
    } else {
      const hsize_t start[1] = {cols[k]}, count[1] = {e - k};
      H5Sselect_hyperslab(space, H5S_SELECT_OR, start, nullptr, count, nullptr);
    }
    k = e;
  }
}

/// Selects rows [first, first + count) of a 1-D or 2-D dataspace, every column.
inline void select_rows(hid_t space, hsize_t first, hsize_t count) {
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_ndims(space);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  const hsize_t start[2] = {first, 0}, cnt[2] = {count, rank == 2 ? dims[1] : 1};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, cnt, nullptr);
}

/// This rank's part of a transfer (write or read) between dataset `d` and the `count`
/// contiguous values at `buf`: `select(file_space)` picks the `count` values in the file.
/// A rank with nothing to move (count 0) selects none on both sides and still takes part,
/// as a collective transfer list (`xfer`) requires of every rank.
template <class Select>
void transfer(bool write, hid_t d, hid_t memtype, hsize_t count, const Select& select, hid_t xfer, void* buf,
              const std::string& path, const std::string& what) {
  Handle fs = check(H5Dget_space(d), H5Sclose, path, "H5Dget_space");
  const hsize_t one = count > 0 ? count : 1;
  Handle ms = check(H5Screate_simple(1, &one, nullptr), H5Sclose, path, "H5Screate_simple");
  if (count == 0) {
    check(H5Sselect_none(fs), path, "select none");
    check(H5Sselect_none(ms), path, "select none");
  } else {
    select(static_cast<hid_t>(fs));
  }
  if (write) check(H5Dwrite(d, memtype, ms, fs, xfer, buf), path, what);
  else check(H5Dread(d, memtype, ms, fs, xfer, buf), path, what);
}

/// File access for one file shared by all ranks of `comm`, written collectively. Every rank
/// takes part in every raw-data transfer (H5FD_MPIO_COLLECTIVE; a rank with nothing to
/// write selects none), so MPI-IO's collective buffering can merge the ranks' pieces into
/// few large, aligned writes by a few aggregators instead of one stream per rank, and
/// HDF5's metadata is read by one rank and written collectively at flush instead of by
/// every rank (the metadata storms of parallel file systems). Datasets of 32 MiB or more
/// start at multiples of 1 MiB (a stripe on Lustre/GPFS-like file systems); the padding,
/// under 1 MiB each, stays within 3 % of the file (the checkpoint's free-space check allows
/// 5 %). Hints that the file system does not know are ignored; more may be
/// given at run time through ROMIO_HINTS or Open MPI's io_ompio_* parameters.
inline Handle collective_fapl(MPI_Comm comm, const std::string& path) {
  Handle fapl = check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "H5Pcreate");
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "romio_cb_write", "enable");   // two-phase aggregation of collective writes
  MPI_Info_set(info, "romio_ds_write", "disable");  // no read-modify-write data sieving
  MPI_Info_set(info, "cb_buffer_size", "16777216");
  MPI_Info_set(info, "striping_unit", "1048576");   // new files on Lustre: 1 MiB stripes
  const herr_t rc = H5Pset_fapl_mpio(fapl, comm, info);  // HDF5 keeps its own copy of info
  MPI_Info_free(&info);
  check(rc, path, "H5Pset_fapl_mpio");
  check(H5Pset_all_coll_metadata_ops(fapl, true), path, "H5Pset_all_coll_metadata_ops");
  check(H5Pset_coll_metadata_write(fapl, true), path, "H5Pset_coll_metadata_write");
  check(H5Pset_alignment(fapl, 32 << 20, 1 << 20), path, "H5Pset_alignment");
  return fapl;
}

/// Collective raw-data transfers (see collective_fapl).
inline Handle collective_dxpl(const std::string& path) {
  Handle dxpl = check(H5Pcreate(H5P_DATASET_XFER), H5Pclose, path, "H5Pcreate");
  check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), path, "H5Pset_dxpl_mpio");
  return dxpl;
}

/// HDF5 prints its own error stack by default; Cajal reports errors itself.
inline void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace h5
}  // namespace cajal
