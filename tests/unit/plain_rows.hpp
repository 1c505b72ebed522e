#pragma once
// A projection's coded source rows (network/connectivity.hpp) as plain arrays, for tests
// that check the storage's structure: the ids, and the rows' first synapses plus the end.
#include <cstdint>
#include <vector>

#include "network/connectivity.hpp"

namespace cajal {

inline void plain_rows(const Projection& pj, std::vector<std::uint64_t>& ids, std::vector<std::uint64_t>& row) {
  const HostSourceRows rows = pj.rows.on_host();
  ids.resize(rows.rows());
  row.assign(1, 0);
  for (std::uint64_t r = 0; r < rows.rows(); ++r) {
    ids[r] = rows.id(r);
    const auto span = rows.span(r);
    row.back() = span.b;
    row.push_back(span.e);
  }
}

}  // namespace cajal
