#include "input/spike_file.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "cajal/util/error.hpp"
#include "input/deck_reader.hpp"

namespace cajal::input {

SpikeCsvReader::SpikeCsvReader(const std::string& path, std::int64_t n) : path_(path), n_(n), f_(path) {
  if (!f_) throw input_error(path, 0, "", "cannot open the spike file (missing or unreadable)");
}

bool SpikeCsvReader::next(SpikeCsvLine& out) {
  std::vector<double> v;
  while (std::getline(f_, line_)) {
    ++lineno_;
    std::string& line = line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    // Fields split at commas as std::getline does (a trailing comma adds no empty field).
    v.clear();
    int cols = 0;
    bool numeric = true;
    for (std::size_t a = 0; a < line.size();) {
      std::size_t b = line.find(',', a);
      if (b == std::string::npos) b = line.size();
      const std::string c = line.substr(a, b - a);
      ++cols;
      char* end = nullptr;
      const double x = std::strtod(c.c_str(), &end);
      while (end && (*end == ' ' || *end == '\t')) ++end;
      if (c.empty() || !end || *end != '\0' || !std::isfinite(x)) numeric = false;
      v.push_back(x);
      a = b + 1;
    }
    if (!numeric && first_) {
      first_ = false;
      continue;  // a header
    }
    first_ = false;
    if (!numeric || cols == 0 || cols > 2)
      throw input_error(path_, lineno_, "", "expected 'time_ms' or 'node_id,time_ms' (numbers); got '" + line + "'");
    if (columns_ == 0) columns_ = cols;
    if (cols != columns_)
      throw input_error(path_, lineno_, "", "has " + std::to_string(cols) + " columns, earlier lines " +
                                                std::to_string(columns_) + "; allowed: the same number on every line");
    out.line = lineno_;
    if (columns_ == 1) {
      out.node = 0;
      out.time = v[0];
    } else {
      if (v[0] < 0 || v[0] >= static_cast<double>(n_) || v[0] != std::floor(v[0]))
        throw input_error(path_, lineno_, "", "node_id " + num(v[0]) + " is not a cell of the population; allowed: 0 .. " +
                                                  std::to_string(n_ - 1));
      out.node = static_cast<std::int64_t>(v[0]);
      out.time = v[1];
    }
    return true;
  }
  return false;
}

}  // namespace cajal::input
