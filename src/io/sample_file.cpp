#include "io/sample_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/util/error.hpp"

namespace cajal {

SampleFile::SampleFile(const Communicator& comm, std::string path)
    : comm_(comm), path_(std::move(path)), tmp_(path_ + ".incomplete") {
  h5::silence_errors();
  h5::Handle fapl = h5::collective_fapl(mpi_comm(comm), tmp_);
  file_ = h5::check(H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, tmp_,
                    "cannot create the file (is the output folder writable?)");
  xfer_ = h5::collective_dxpl(tmp_);
}

void SampleFile::flush() { h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), tmp_, "flush"); }

void SampleFile::close(bool finished) {
  if (file_.get() < 0) return;
  flush();
  file_.reset();
  comm_.barrier();
  if (!finished) return;
  int ok = 1;
  if (comm_.is_root()) ok = std::rename(tmp_.c_str(), path_.c_str()) == 0;
  if (comm_.any(!ok)) throw usage_error(path_ + ": cannot rename " + tmp_ + " to its final name");
}

SampleColumns::SampleColumns(hid_t parent, const std::string& name, std::uint64_t n, std::vector<std::uint64_t> cols,
                             std::uint64_t expected_rows, const std::string& path)
    : n_(n), cols_(std::move(cols)), path_(path) {
  // Chunks of about 2^17 doubles: whole rows of up to 2^17 columns, several rows when
  // narrower, no more rows than expected (a chunk is allocated whole: small reports stay
  // small files). The column extent is unlimited too, so that an empty dataset (n = 0) is legal.
  const hsize_t cc = std::min<hsize_t>(std::max<hsize_t>(n, 1), hsize_t(1) << 17);
  const hsize_t cr = std::min<hsize_t>((hsize_t(1) << 17) / cc, std::max<hsize_t>(expected_rows, 1));
  const hsize_t chunk[2] = {std::max<hsize_t>(1, cr), cc};
  const hsize_t dims[2] = {0, n}, maxdims[2] = {H5S_UNLIMITED, H5S_UNLIMITED};
  h5::Handle space = h5::check(H5Screate_simple(2, dims, maxdims), H5Sclose, path, "H5Screate_simple");
  h5::Handle dcpl = h5::check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, "H5Pcreate");
  h5::check(H5Pset_chunk(dcpl, 2, chunk), path, "H5Pset_chunk");
  // Every value is written: no fill pass over newly allocated chunks.
  h5::check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), path, "H5Pset_fill_time");
  d_ = h5::check(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                 path, "create " + name);
}

void SampleColumns::append(const double* data, std::uint64_t rows, hid_t xfer) {
  if (rows == 0) return;
  const hsize_t dims[2] = {rows_ + rows, n_};
  h5::check(H5Dset_extent(d_, dims), path_, "extend a dataset of samples");
  h5::transfer(
      true, d_, H5T_NATIVE_DOUBLE, rows * cols_.size(), [&](hid_t fs) { h5::select_columns(fs, cols_, rows, true, rows_); },
      xfer, const_cast<double*>(data), path_, "write samples");
  rows_ += rows;
}

void SampleColumns::copy_from(hid_t src, std::uint64_t rows, std::uint64_t block, hid_t xfer,
                              const std::string& src_path) {
  std::vector<double> buf;
  for (std::uint64_t r0 = 0; r0 < rows; r0 += block) {
    const std::uint64_t nr = std::min(block, rows - r0);
    buf.resize(nr * cols_.size());
    h5::transfer(
        false, src, H5T_NATIVE_DOUBLE, buf.size(), [&](hid_t fs) { h5::select_columns(fs, cols_, nr, true, r0); }, xfer,
        buf.data(), src_path, "read samples");
    append(buf.data(), nr, xfer);
  }
}

SampleTimes::SampleTimes(hid_t parent, const std::string& name, const std::string& path) : path_(path) {
  const hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = 1 << 12;
  h5::Handle space = h5::check(H5Screate_simple(1, &dims, &maxdims), H5Sclose, path, "H5Screate_simple");
  h5::Handle dcpl = h5::check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, "H5Pcreate");
  h5::check(H5Pset_chunk(dcpl, 1, &chunk), path, "H5Pset_chunk");
  d_ = h5::check(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                 path, "create " + name);
  h5::write_string_attr(d_, "units", "ms", path);
}

void SampleTimes::append(const Communicator& comm, const double* t, std::uint64_t n, hid_t xfer) {
  if (n == 0) return;
  const hsize_t size = rows_ + n;
  h5::check(H5Dset_extent(d_, &size), path_, "extend a dataset of times");
  h5::transfer(
      true, d_, H5T_NATIVE_DOUBLE, comm.is_root() ? n : 0, [&](hid_t fs) { h5::select_rows(fs, rows_, n); }, xfer,
      const_cast<double*>(t), path_, "write times");
  rows_ += n;
}

std::uint64_t rows_per_write(std::uint64_t max_cols) {
  return std::max<std::uint64_t>(1, (std::uint64_t(8) << 20) / (8 * std::max<std::uint64_t>(max_cols, 1)));
}

std::string continuation_source(const Communicator& comm, const std::string& dir, const std::string& new_dir,
                                const std::string& name, const std::function<bool(hid_t)>& holds) {
  // Rank 0 alone looks, decides and renames; the others learn the outcome by broadcast.
  // Deciding on every rank raced with rank 0's rename: a rank that looked at the file
  // while it was being renamed saw another answer, skipped the rename's agreement and
  // waited in a different collective (a hang).
  std::string chosen, failure;
  if (comm.is_root()) {
    h5::silence_errors();
    for (const std::string& file : {name + ".incomplete", name, name + ".interrupted"}) {
      const std::string path = dir + "/" + file;
      if (!std::filesystem::exists(path)) continue;
      const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      if (f < 0) continue;
      const bool ok = holds(f);
      H5Fclose(f);
      if (ok) {
        chosen = path;
        break;
      }
    }
    h5::reason();  // clears what the failed checks left on HDF5's error stack
    // The new folder's own unfinished file, under any spelling of its path (relative,
    // absolute, "dir/" or "dir", a link): the same file, not the same string.
    const std::string unfinished = new_dir + "/" + name + ".incomplete";
    std::error_code ec;
    if (!chosen.empty() && std::filesystem::equivalent(chosen, unfinished, ec)) {
      const std::string kept = new_dir + "/" + name + ".interrupted";
      if (std::rename(chosen.c_str(), kept.c_str()) == 0) chosen = kept;
      else failure = chosen + ": cannot rename it to " + kept + " (" + std::strerror(errno) + ")";
    }
  }
  failure = comm.broadcast(failure);
  if (!failure.empty()) throw usage_error(failure);
  return comm.broadcast(chosen);
}

h5::Handle open_for_copy(const Communicator& comm, const std::string& path) {
  h5::Handle fapl = h5::collective_fapl(mpi_comm(comm), path);
  return h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose, path, "cannot open the earlier output");
}

bool dataset_shape(hid_t f, const std::string& name, hsize_t& rows, hsize_t& cols) {
  rows = cols = 0;
  if (H5Lexists(f, name.c_str(), H5P_DEFAULT) <= 0) return false;
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  if (d < 0) return false;
  const hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  const bool ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 && H5Sget_simple_extent_dims(sp, dims, nullptr) == 2;
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(d);
  rows = dims[0];
  cols = dims[1];
  return ok;
}

}  // namespace cajal
