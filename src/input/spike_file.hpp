#pragma once
// A spike_generator's CSV spike file, read one line at a time: the deck reader checks it
// in one streaming pass (and keeps only its path), and each rank's population build reads
// it again, keeping the times of its own cells only. So no process holds every cell's
// times (a generator population may have 10^8 cells).
//
// The format: one column (times in ms, for every cell) or two (node_id, time in ms); a
// first line that is not numeric is a header; blank lines and lines starting with '#' are
// skipped. Errors name the CSV's line.
#include <cstdint>
#include <fstream>
#include <string>

namespace cajal::input {

/// One data line of a spike file.
struct SpikeCsvLine {
  int line = 0;       ///< 1-based line number in the file
  std::int64_t node = 0;  ///< the population-local cell (two columns), else 0
  double time = 0.0;  ///< ms
};

class SpikeCsvReader {
public:
  /// Opens `path` for a population of `n` cells; input_error when it cannot be opened.
  SpikeCsvReader(const std::string& path, std::int64_t n);
  /// The next data line; false at the end. input_error (FILE:LINE) on a malformed line, a
  /// column count that differs from the first data line's, or a node_id out of range.
  bool next(SpikeCsvLine& out);
  /// 1 or 2 once a data line was read; 0 before (and for a file without data lines).
  int columns() const { return columns_; }

private:
  std::string path_;
  std::int64_t n_;
  std::ifstream f_;
  std::string line_;
  int lineno_ = 0, columns_ = 0;
  bool first_ = true;
};

}  // namespace cajal::input
