#include "cajal/network/partition.hpp"

#include <algorithm>
#include <cmath>

#include "cajal/util/error.hpp"
#include "random/philox.hpp"

namespace cajal {

std::vector<std::int64_t> voxel_cuts(std::int64_t n, int parts, int& k) {
  k = 0;
  if (parts > 1)
    while (n % (std::int64_t{2} << k) == 0 && n / (std::int64_t{2} << k) >= 4 * std::int64_t{parts}) ++k;
  else
    while (n % (std::int64_t{2} << k) == 0) ++k;
  const std::int64_t blocks = n >> k;
  std::vector<std::int64_t> cuts{0};
  for (int r = 0; r < parts; ++r) cuts.push_back(cuts.back() + ((blocks / parts + (r < blocks % parts ? 1 : 0)) << k));
  return cuts;
}

std::array<int, 3> brick_grid(int nranks) {
  // The factors of nranks, largest first, each multiplied into the dimension with the
  // fewest bricks so far (the first such one), then the dimensions sorted largest first:
  // the grid MPI_Dims_create gives with Open MPI, computed here so that core needs no
  // MPI and the decomposition does not depend on the MPI library
  // (Partition.BrickGridEqualsMpiDimsCreate holds the two together).
  std::vector<int> primes;
  int n = nranks;
  for (int f = 2; f * f <= n; ++f)
    while (n % f == 0) primes.push_back(f), n /= f;
  if (n > 1) primes.push_back(n);
  std::array<int, 3> dims{1, 1, 1};
  for (auto f = primes.rbegin(); f != primes.rend(); ++f) {
    int smallest = 0;
    for (int d = 1; d < 3; ++d)
      if (dims[d] < dims[smallest]) smallest = d;
    dims[smallest] *= *f;
  }
  std::sort(dims.begin(), dims.end(), [](int a, int b) { return a > b; });
  return dims;
}

int Bricks::rank_of_voxel(const std::array<std::int64_t, 3>& v) const {
  std::array<int, 3> c{};
  for (int d = 0; d < 3; ++d) {
    const auto& cut = voxel_cuts[d];
    c[d] = static_cast<int>(std::upper_bound(cut.begin(), cut.end(), v[d]) - cut.begin()) - 1;
  }
  return rank_at(c);
}

std::array<std::int64_t, 3> Bricks::voxel_of(const Point& p) const {
  std::array<std::int64_t, 3> v{};
  for (int d = 0; d < 3; ++d)
    v[d] = std::min(voxel_cuts[d].back() - 1, std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(p[d] / voxel))));
  return v;
}

int Bricks::rank_of(const Point& p) const {
  if (voxel > 0) return rank_of_voxel(voxel_of(p));
  std::array<int, 3> c{};
  for (int d = 0; d < 3; ++d) {
    const double f = p[d] / box[d] * dims[d];
    c[d] = std::min(dims[d] - 1, std::max(0, static_cast<int>(std::floor(f))));
  }
  return rank_at(c);
}

Partition::Partition(const Deck& deck, int nranks, int rank) : deck_(deck) {
  const std::array<int, 3> dims = brick_grid(nranks);
  bricks_.dims = {dims[0], dims[1], dims[2]};
  bricks_.box = deck.simulation.box;
  if (deck.field.enabled) {
    bricks_.voxel = deck.field.voxel;
    bricks_.aligned_levels = 1 << 30;
    const char* axis = "xyz";
    for (int d = 0; d < 3; ++d) {
      if (deck.field.shape[d] < dims[d])
        throw input_error(deck.field.voxel_loc.file, deck.field.voxel_loc.line, "field.voxel",
                          "the field has " + std::to_string(deck.field.shape[d]) + " voxels along " + axis[d] +
                              ", fewer than the " + std::to_string(dims[d]) + " bricks the " + std::to_string(nranks) +
                              " ranks cut it into; allowed: smaller voxels or fewer ranks");
      int k = 0;
      bricks_.voxel_cuts[d] = voxel_cuts(deck.field.shape[d], dims[d], k);
      if (dims[d] > 1) bricks_.aligned_levels = std::min(bricks_.aligned_levels, k);
    }
  }
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
  if (pl.kind == Placement::Kind::file) return pl.positions[id];
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
