#pragma once
// One checkpoint file, read and written collectively with parallel HDF5.
//
// Every piece of state is a dataset of rows indexed by global (population-local) id, so a
// file written on P ranks is read on any other number. Rows travel to contiguous blocks
// (rank r holds rows [n r / P, n (r+1) / P)) before a collective write, and are read back
// by block and sent to their owners, so the file is written and read in large contiguous
// pieces whatever the placement of cells.
//
// Every dataset carries a checksum attribute: the sum (mod 2^64) over rows of a 64-bit hash
// of (row index, row content). It is independent of the number of ranks and of the order
// of summation, and verified on every read: a flipped byte or a truncated file is
// reported with the file and dataset name.
//
// Every element is 8 bytes (float64, int64 or uint64); rows of `width` elements.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cajal/parallel/communicator.hpp"
#include "io/h5.hpp"

namespace cajal {

constexpr std::int64_t checkpoint_format_version = 1;

class CheckpointFile {
public:
  enum class Mode { create, read };
  /// Collective. `create` truncates `path`; `read` opens it read-only and checks that it
  /// is a Cajal checkpoint of this format version (usage_error otherwise).
  CheckpointFile(const Communicator& comm, const std::string& path, Mode mode);

  /// Produces (write) or takes (read) the `width` elements of the k-th row this rank holds.
  using RowFn = std::function<void(std::size_t k, std::uint64_t* row)>;

  /// Collective: writes n rows of `width` elements; this rank holds the rows `ids`
  /// (population-local ids, ascending); fill(k, row) writes the elements of row ids[k].
  /// Rows travel and are written in rounds of at most `round_bytes` per rank, so a
  /// checkpoint needs little memory beyond the state itself.
  void write_rows(const std::string& name, hid_t type, std::uint64_t n, int width,
                  const std::vector<std::uint64_t>& ids, const RowFn& fill);
  /// Collective: reads the rows `ids` (ascending) of dataset `name` (n rows of `width`
  /// elements); store(k, row) receives row ids[k]. The checksum is verified at the end:
  /// on a mismatch rows have been stored already, and the caller must not use them.
  void read_rows(const std::string& name, std::uint64_t n, int width, const std::vector<std::uint64_t>& ids,
                 const RowFn& store);

  /// Convenience for small arrays held whole.
  void write_rows(const std::string& name, hid_t type, std::uint64_t n, int width,
                  const std::vector<std::uint64_t>& ids, const std::vector<std::uint64_t>& words);
  std::vector<std::uint64_t> read_rows(const std::string& name, std::uint64_t n, int width,
                                       const std::vector<std::uint64_t>& ids);

  static constexpr std::uint64_t round_bytes = 64ull << 20;

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
  std::vector<std::uint64_t> block_starts(std::uint64_t n) const;
  /// Throws on every rank when any rank has a problem (the lowest rank's message).
  void agree(const std::string& problem) const;
};

}  // namespace cajal
