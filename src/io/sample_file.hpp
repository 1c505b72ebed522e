#pragma once
// Files of sampled columns written as the run goes (report_<variable>.h5, weights.h5).
//
// A rank never holds a whole run's samples: a SampleFile is created under
// `path`.incomplete when the run starts, each of its SampleColumns datasets grows by
// collective appends of whole rows (samples), the file is flushed at every checkpoint and
// gets its final name when the run ends. A run that stops (a signal, the wall time) leaves
// it incomplete but flushed up to its checkpoint; the restart finds it
// (continuation_source), copies the rows up to the checkpoint into its own new file block
// by block, and appends from there. This is the spike file's lifecycle (io/spike_writer.hpp).
#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/parallel/communicator.hpp"
#include "io/h5.hpp"

namespace cajal {

/// One HDF5 file of the run, opened collectively for all of it.
class SampleFile {
public:
  /// Collective: creates `path`.incomplete (truncating an earlier one).
  SampleFile(const Communicator& comm, std::string path);
  hid_t id() const { return file_; }
  const Communicator& comm() const { return comm_; }
  /// The collective transfer property list for raw data.
  hid_t xfer() const { return xfer_; }
  /// The name the file has while the run goes (errors name it).
  const std::string& tmp() const { return tmp_; }
  /// Collective: pushes everything written so far to the disk.
  void flush();
  /// Collective: closes the file; a finished run's file gets its final name.
  void close(bool finished);

private:
  const Communicator& comm_;
  std::string path_, tmp_;
  h5::Handle file_, xfer_;
};

/// A [samples, n] float64 dataset, extendible along the samples, whose columns are spread
/// over the ranks: each rank owns the columns `cols` (ascending, distinct, < n).
class SampleColumns {
public:
  SampleColumns() = default;
  /// Collective: creates dataset `name` in `parent` with no rows. Chunks of about 1 MiB, or
  /// of all `expected_rows` rows when they take less.
  SampleColumns(hid_t parent, const std::string& name, std::uint64_t n, std::vector<std::uint64_t> cols,
                std::uint64_t expected_rows, const std::string& path);
  hid_t id() const { return d_; }
  std::uint64_t rows() const { return rows_; }
  /// Collective: appends `rows` samples; `data` holds this rank's values of them, row-major
  /// (rows × cols.size()). Every rank passes the same `rows`.
  void append(const double* data, std::uint64_t rows, hid_t xfer);
  /// Collective: appends the first `rows` samples of dataset `src` (the same columns, in an
  /// earlier run's file), at most `block` rows at a time.
  void copy_from(hid_t src, std::uint64_t rows, std::uint64_t block, hid_t xfer, const std::string& src_path);

private:
  h5::Handle d_;
  std::uint64_t n_ = 0, rows_ = 0;
  std::vector<std::uint64_t> cols_;
  std::string path_;
};

/// A 1-D float64 dataset, extendible, that rank 0 alone appends to (the times of samples).
class SampleTimes {
public:
  SampleTimes() = default;
  /// Collective: creates dataset `name` in `parent`, empty, attribute units = "ms".
  SampleTimes(hid_t parent, const std::string& name, const std::string& path);
  hid_t id() const { return d_; }
  std::uint64_t rows() const { return rows_; }
  /// Collective: appends t[0..n) (rank 0's values; every rank passes the same n).
  void append(const Communicator& comm, const double* t, std::uint64_t n, hid_t xfer);

private:
  h5::Handle d_;
  std::uint64_t rows_ = 0;
  std::string path_;
};

/// Rows of samples a rank buffers between appends: at most about 8 MiB on the rank with
/// the most columns (`max_cols`, the same value on every rank), at least 1.
std::uint64_t rows_per_write(std::uint64_t max_cols);

/// The file a restarted run continues: the first of `dir`/`name`.incomplete, `dir`/`name`
/// and `dir`/`name`.interrupted that exists and for which `holds(file)` is true (rank 0
/// opens and checks; any HDF5 failure in `holds` is a no). When it is the unfinished file
/// of `new_dir` itself (the same file, however the paths are spelled), rank 0 renames it to
/// `name`.interrupted first: a file is never read and written at once. All ranks get the
/// path, "" when none qualifies; rank 0 alone touches the file system, so every rank
/// reaches the same answer.
std::string continuation_source(const Communicator& comm, const std::string& dir, const std::string& new_dir,
                                const std::string& name, const std::function<bool(hid_t)>& holds);

/// Collective: opens `path` for reading by all ranks (the restart's copy).
h5::Handle open_for_copy(const Communicator& comm, const std::string& path);

/// Rows and columns of the 2-D dataset `name` in `f`, or {0, 0} with ok = false when it is
/// missing or not 2-D.
bool dataset_shape(hid_t f, const std::string& name, hsize_t& rows, hsize_t& cols);

}  // namespace cajal
