#pragma once
// One checkpoint file, read and written with parallel HDF5.
//
// Per-cell state is stored by global (population-local) id, so a file written on P ranks
// is read on any other number: each group of per-cell datasets has an `ids` dataset, and
// row j of every dataset in the group belongs to cell ids[j]. Each rank's rows are one
// contiguous run at its offset (ranks in order), written in collective rounds of at most
// `round_bytes` per rank (h5::collective_fapl: MPI-IO aggregates the ranks' runs into few
// large writes). Reading redistributes: each rank reads a contiguous slab of rows and
// sends every row to the rank that owns its cell.
//
// Every dataset carries a checksum attribute: the sum (mod 2^64) over rows of a 64-bit hash
// of (global id, row content). It is independent of the number of ranks and of the order
// of the rows, and verified on every read: a flipped byte or a truncated file is reported
// with the file and dataset name.
//
// Every element is 8 bytes (float64, int64 or uint64); rows of `width` elements.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/parallel/mpi_communicator.hpp"
#include "io/h5.hpp"

namespace cajal {

constexpr std::int64_t checkpoint_format_version = 1;

class CheckpointFile {
public:
  enum class Mode { create, read };
  /// Collective. `create` truncates `path`; `read` opens it read-only and checks that it
  /// is a Cajal checkpoint of this format version (usage_error otherwise).
  CheckpointFile(const Communicator& comm, const std::string& path, Mode mode);
  ~CheckpointFile();
  CheckpointFile(const CheckpointFile&) = delete;
  CheckpointFile& operator=(const CheckpointFile&) = delete;

  /// Produces (write) or takes (read) the `width` elements of the k-th row this rank holds.
  using RowFn = std::function<void(std::size_t k, std::uint64_t* row)>;
  /// Produces rows first .. first + count - 1 into `rows` (row-major), for state kept in
  /// another layout that is cheaper to read in blocks.
  using RowsFn = std::function<void(std::size_t first, std::size_t count, std::uint64_t* rows)>;
  /// The rank that owns cell `id` (for reading).
  using OwnerFn = std::function<int(std::uint64_t id)>;

  /// Collective: creates `group` and its `ids` dataset from the ids of the rows each rank
  /// holds (any order). Every write_rows into the group uses the same ids, in that order.
  void write_ids(const std::string& group, const std::vector<std::uint64_t>& ids);
  /// Collective: writes dataset `group/name`; fill(k, row) writes the elements of row ids[k].
  void write_rows(const std::string& group, const std::string& name, hid_t type, int width,
                  const std::vector<std::uint64_t>& ids, const RowFn& fill);
  void write_rows(const std::string& group, const std::string& name, hid_t type, int width,
                  const std::vector<std::uint64_t>& ids, const RowsFn& fill);
  /// Collective: reads dataset `group/name` of n rows; this rank holds the cells `ids`
  /// (ascending) and store(k, row) receives the row of ids[k]. Rows travel in rounds of
  /// at most `round_bytes` per rank. The checksum is verified at the end; on a mismatch
  /// rows have been stored already and the caller must not use them.
  void read_rows(const std::string& group, const std::string& name, std::uint64_t n, int width,
                 const std::vector<std::uint64_t>& ids, const OwnerFn& owner, const RowFn& store);

  /// A small array that every rank knows (rank 0 writes it, every rank reads all of it).
  void write_small(const std::string& name, const std::vector<std::uint64_t>& values);
  std::vector<std::uint64_t> read_small(const std::string& name);

  static constexpr std::uint64_t round_bytes = 8ull << 20;

  /// Small values that every rank knows (written by all, identical).
  void write_scalar(const std::string& name, std::int64_t v);
  std::int64_t read_scalar(const std::string& name);
  /// Text that every rank knows, stored as a checksummed byte dataset.
  void write_text(const std::string& name, const std::string& text);
  std::string read_text(const std::string& name);

  void make_group(const std::string& name);
  bool has(const std::string& name);
  /// Collective: flushes and closes.
  void close();
  const std::string& path() const { return path_; }

private:
  const Communicator& comm_;
  std::string path_;
  h5::Handle file_;
  h5::Handle dxpl_;  // collective transfers (create mode)
  std::vector<std::uint64_t> block_starts(std::uint64_t n) const;
  /// Throws on every rank when any rank has a problem (the lowest rank's message).
  void agree(const std::string& problem) const;
};

}  // namespace cajal
