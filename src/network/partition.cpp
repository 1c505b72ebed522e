#include "cajal/network/partition.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>

#include "random/philox.hpp"

namespace cajal {

int Bricks::rank_of(const Point& p) const {
  int c[3];
  for (int d = 0; d < 3; ++d) {
    const double f = p[d] / box[d] * dims[d];
    c[d] = std::min(dims[d] - 1, std::max(0, static_cast<int>(std::floor(f))));
  }
  return c[0] + dims[0] * (c[1] + dims[1] * c[2]);
}

Partition::Partition(const Deck& deck, int nranks, int rank) : deck_(deck) {
  int dims[3] = {0, 0, 0};
  MPI_Dims_create(nranks, 3, dims);
  bricks_.dims = {dims[0], dims[1], dims[2]};
  bricks_.box = deck.simulation.box;
  for (const auto& p : deck.populations) {
    first_.push_back(total_);
    size_.push_back(static_cast<std::uint64_t>(p.n));
    total_ += static_cast<std::uint64_t>(p.n);
  }
  local_.resize(first_.size());
  for (int pop = 0; pop < populations(); ++pop)
    for (std::uint64_t id = 0; id < size_[pop]; ++id)
      if (owner(pop, id) == rank) local_[pop].push_back(id);
}

int Partition::population_of(std::uint64_t gid) const {
  const auto it = std::upper_bound(first_.begin(), first_.end(), gid);
  return static_cast<int>(it - first_.begin()) - 1;
}

Point Partition::position(int pop, std::uint64_t id) const {
  const Placement& pl = deck_.populations[pop].placement;
  Point x{};
  if (pl.kind == Placement::Kind::grid) {
    const std::uint64_t nx = pl.shape[0], ny = pl.shape[1];
    const std::uint64_t idx[3] = {id % nx, (id / nx) % ny, id / (nx * ny)};
    for (int d = 0; d < 3; ++d)
      x[d] = pl.min[d] + (pl.max[d] - pl.min[d]) * (static_cast<double>(idx[d]) + 0.5) /
                             static_cast<double>(pl.shape[d]);
  } else {
    const rng::Block b = rng::draw(rng::Key(deck_.simulation.seed, rng::purpose::placement),
                                   first_[pop] + id, 0);
    for (int d = 0; d < 3; ++d) x[d] = pl.min[d] + (pl.max[d] - pl.min[d]) * rng::u01_32(b.w[d]);
  }
  return x;
}

}  // namespace cajal
