#include "cajal/network/partition.hpp"

#include <algorithm>
#include <cmath>

#include "cajal/util/error.hpp"
#include "random/distribution.hpp"
#include "random/philox.hpp"

namespace cajal {

namespace {

/// Tiles [lo, hi) of the padded leaf range, those beyond the lattice removed.
std::uint64_t real_tiles(const Tiling& t, std::uint64_t lo, std::uint64_t hi) {
  return std::min(hi, t.tiles) - std::min(lo, t.tiles);
}

/// Of the m cells of node `node` (at `level`), those in its left child.
std::uint64_t left_cells(const Tiling& t, std::uint64_t node, int level, std::uint64_t m) {
  if (m == 0) return 0;
  const int below = t.depth - level;
  const std::uint64_t lo = (node - (std::uint64_t{1} << level)) << below;
  const std::uint64_t mid = lo + (std::uint64_t{1} << (below - 1)), hi = lo + (std::uint64_t{1} << below);
  const std::uint64_t left = real_tiles(t, lo, mid), all = real_tiles(t, lo, hi);
  if (left == all) return m;
  rng::Stream s(rng::Key(t.seed, rng::purpose::placement, t.stream), node);
  if (2 * left == all && m <= 4096) {
    // Binomial(m, 1/2), exactly: the ones among m random bits, a Philox block per 128
    // cells. The levels that owner() and position() walk below the cached top hold a few
    // hundred cells each, where binomial()'s lgamma and search would cost ten times more.
    std::uint64_t ones = 0, k = m;
    for (; k >= 64; k -= 64) ones += static_cast<std::uint64_t>(__builtin_popcountll(s.next64()));
    if (k > 0) ones += static_cast<std::uint64_t>(__builtin_popcountll(s.next64() & ((std::uint64_t{1} << k) - 1)));
    return ones;
  }
  return binomial(m, static_cast<double>(left) / static_cast<double>(all), s);
}

/// The tiling of population `pop` placed at random in `pl`, and the top of its tree.
Tiling make_tiling(const Placement& pl, std::uint64_t n, std::uint64_t first_gid, std::uint64_t seed, int pop) {
  Tiling t;
  t.cells = n;
  t.first_gid = first_gid;
  t.seed = seed;
  t.stream = 1 + static_cast<std::uint32_t>(pop);
  double volume = 1;
  for (int d = 0; d < 3; ++d) {
    t.min[d] = pl.min[d];
    t.extent[d] = pl.max[d] - pl.min[d];
    volume *= t.extent[d];
  }
  // Near-cubic tiles of about cells_per_tile expected cells; at most 2^20 per axis.
  const double edge = std::cbrt(volume * Tiling::cells_per_tile / std::max<double>(1, static_cast<double>(n)));
  t.tiles = 1;
  for (int d = 0; d < 3; ++d) {
    const double s = std::floor(t.extent[d] / edge + 0.5);
    t.shape[d] = static_cast<std::uint64_t>(std::min(double(1 << 20), std::max(1.0, s)));
    t.tiles *= t.shape[d];
  }
  while ((std::uint64_t{1} << t.depth) < t.tiles) ++t.depth;
  t.cached = std::min(t.depth, Tiling::cached_levels);
  std::vector<std::uint64_t> count{n}, next;
  for (int level = 0; level < t.cached; ++level) {
    next.resize(2 * count.size());
    for (std::size_t j = 0; j < count.size(); ++j) {
      const std::uint64_t node = (std::uint64_t{1} << level) + j;
      next[2 * j] = left_cells(t, node, level, count[j]);
      next[2 * j + 1] = count[j] - next[2 * j];
    }
    count.swap(next);
  }
  t.starts.assign(count.size() + 1, 0);
  for (std::size_t j = 0; j < count.size(); ++j) t.starts[j + 1] = t.starts[j] + count[j];
  return t;
}

}  // namespace

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

int Bricks::coord_along(double x, int d) const {
  if (voxel > 0) {
    const auto& cut = voxel_cuts[d];
    const std::int64_t v = std::min(cut.back() - 1, std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(x / voxel))));
    return static_cast<int>(std::upper_bound(cut.begin(), cut.end(), v) - cut.begin()) - 1;
  }
  const double f = x / box[d] * dims[d];
  return std::min(dims[d] - 1, std::max(0, static_cast<int>(std::floor(f))));
}

int Bricks::rank_of(const Point& p) const {
  if (voxel > 0) return rank_of_voxel(voxel_of(p));
  return rank_at({coord_along(p[0], 0), coord_along(p[1], 1), coord_along(p[2], 2)});
}

Bricks field_bricks(const std::array<std::int64_t, 3>& shape, double voxel, int nranks) {
  Bricks b;
  b.dims = brick_grid(nranks);
  b.voxel = voxel;
  b.aligned_levels = 1 << 30;
  for (int d = 0; d < 3; ++d) {
    b.box[d] = static_cast<double>(shape[d]) * voxel;
    int k = 0;
    b.voxel_cuts[d] = voxel_cuts(shape[d], b.dims[d], k);
    if (b.dims[d] > 1) b.aligned_levels = std::min(b.aligned_levels, k);
  }
  return b;
}

Partition::Partition(const Deck& deck, int nranks, int rank) : deck_(deck) {
  const std::array<int, 3> dims = brick_grid(nranks);
  bricks_.dims = {dims[0], dims[1], dims[2]};
  bricks_.box = deck.simulation.box;
  if (deck.field.enabled) {
    const char* axis = "xyz";
    for (int d = 0; d < 3; ++d)
      if (deck.field.shape[d] < dims[d])
        throw input_error(deck.field.voxel_loc.file, deck.field.voxel_loc.line, "field.voxel",
                          "the field has " + std::to_string(deck.field.shape[d]) + " voxels along " + axis[d] +
                              ", fewer than the " + std::to_string(dims[d]) + " bricks the " + std::to_string(nranks) +
                              " ranks cut it into; allowed: smaller voxels or fewer ranks");
    bricks_ = field_bricks(deck.field.shape, deck.field.voxel, nranks);
    bricks_.box = deck.simulation.box;
  }
  for (const auto& p : deck.populations) {
    first_.push_back(total_);
    size_.push_back(static_cast<std::uint64_t>(p.n));
    total_ += static_cast<std::uint64_t>(p.n);
  }
  nranks_ = nranks;
  tiling_.resize(first_.size());
  for (int pop = 0; pop < populations(); ++pop) {
    const Placement& pl = deck.populations[pop].placement;
    if (pl.kind == Placement::Kind::random)
      tiling_[pop] = make_tiling(pl, size_[pop], first_[pop], deck.simulation.seed, pop);
    else
      tiling_[pop].tiles = 0;
  }
  local_.resize(first_.size());
  const std::array<int, 3> mine = bricks_.coord(rank);
  for (int pop = 0; pop < populations(); ++pop) {
    if (!random(pop)) {
      for (std::uint64_t id = 0; id < size_[pop]; ++id)
        if (owner(pop, id) == rank) local_[pop].push_back(id);
      continue;
    }
    // The tiles whose span along every axis reaches this rank's brick (the bricks a tile's
    // cells can fall in lie between those of its corners), ascending.
    const Tiling& t = tiling_[pop];
    std::array<std::uint64_t, 3> a{}, b{};
    for (int d = 0; d < 3; ++d) {
      a[d] = t.shape[d], b[d] = 0;
      for (std::uint64_t i = 0; i < t.shape[d]; ++i)
        if (bricks_.coord_along(t.at(d, static_cast<double>(i)), d) <= mine[d] &&
            bricks_.coord_along(t.at(d, static_cast<double>(i + 1)), d) >= mine[d])
          a[d] = std::min(a[d], i), b[d] = i + 1;
    }
    std::vector<std::uint64_t> wanted;
    for (std::uint64_t k = a[2]; k < b[2]; ++k)
      for (std::uint64_t j = a[1]; j < b[1]; ++j)
        for (std::uint64_t i = a[0]; i < b[0]; ++i) wanted.push_back(i + t.shape[0] * (j + t.shape[1] * k));
    auto& ids = local_[pop];
    visit(t, wanted, [&](const Tile& tile) {
      std::array<int, 3> lo{}, hi{};
      tile_bricks(t, tile.tile, lo, hi);
      if (lo == mine && hi == mine) {
        for (std::uint64_t id = tile.start; id < tile.start + tile.count; ++id) ids.push_back(id);
      } else {
        for (std::uint64_t id = tile.start; id < tile.start + tile.count; ++id)
          if (bricks_.rank_of(cell_position(t, tile.tile, id)) == rank) ids.push_back(id);
      }
    });
  }
}

template <class F>
void Partition::visit(const Tiling& t, const std::vector<std::uint64_t>& wanted, const F& f) const {
  // Node `node` at `level` holds the cells [start, start + m) and wanted[a, b).
  const auto down = [&](const auto& self, std::uint64_t node, int level, std::uint64_t start, std::uint64_t m,
                        std::size_t a, std::size_t b) -> void {
    if (a == b) return;
    if (level == t.depth) {
      f(Tile{node - (std::uint64_t{1} << t.depth), start, m});
      return;
    }
    const std::uint64_t left = left_cells(t, node, level, m);
    const std::uint64_t mid = ((2 * node + 1) << (t.depth - level - 1)) - (std::uint64_t{1} << t.depth);
    const auto c = static_cast<std::size_t>(std::lower_bound(wanted.begin() + static_cast<std::ptrdiff_t>(a),
                                                             wanted.begin() + static_cast<std::ptrdiff_t>(b), mid) -
                                            wanted.begin());
    self(self, 2 * node, level + 1, start, left, a, c);
    self(self, 2 * node + 1, level + 1, start + left, m - left, c, b);
  };
  down(down, 1, 0, 0, t.cells, 0, wanted.size());
}

Partition::Tile Partition::find_tile(const Tiling& t, std::uint64_t id) const {
  const std::size_t j = static_cast<std::size_t>(std::upper_bound(t.starts.begin(), t.starts.end(), id) - t.starts.begin()) - 1;
  std::uint64_t start = t.starts[j], m = t.starts[j + 1] - start;
  std::uint64_t node = (std::uint64_t{1} << t.cached) + j;
  for (int level = t.cached; level < t.depth; ++level) {
    const std::uint64_t left = left_cells(t, node, level, m);
    if (id - start < left) {
      node = 2 * node, m = left;
    } else {
      node = 2 * node + 1, start += left, m -= left;
    }
  }
  return Tile{node - (std::uint64_t{1} << t.depth), start, m};
}

Point Partition::cell_position(const Tiling& t, std::uint64_t tile, std::uint64_t id) const {
  const std::uint64_t idx[3] = {tile % t.shape[0], (tile / t.shape[0]) % t.shape[1], tile / (t.shape[0] * t.shape[1])};
  const rng::Block b = rng::draw(rng::Key(t.seed, rng::purpose::placement), t.first_gid + id, 0);
  Point x{};
  for (int d = 0; d < 3; ++d) x[d] = t.at(d, static_cast<double>(idx[d]) + rng::u01_32(b.w[d]));
  return x;
}

void Partition::tile_bricks(const Tiling& t, std::uint64_t tile, std::array<int, 3>& lo, std::array<int, 3>& hi) const {
  const std::uint64_t idx[3] = {tile % t.shape[0], (tile / t.shape[0]) % t.shape[1], tile / (t.shape[0] * t.shape[1])};
  for (int d = 0; d < 3; ++d) {
    lo[d] = bricks_.coord_along(t.at(d, static_cast<double>(idx[d])), d);
    hi[d] = bricks_.coord_along(t.at(d, static_cast<double>(idx[d] + 1)), d);
  }
}

int Partition::owner(int pop, std::uint64_t id) const {
  if (!random(pop)) return bricks_.rank_of(position(pop, id));
  const Tiling& t = tiling_[pop];
  const Tile tile = find_tile(t, id);
  std::array<int, 3> lo{}, hi{};
  tile_bricks(t, tile.tile, lo, hi);
  if (lo == hi) return bricks_.rank_at(lo);  // the whole tile lies in one brick
  return bricks_.rank_of(cell_position(t, tile.tile, id));
}

int Partition::Owners::operator()(int pop, std::uint64_t id) {
  if (!part_.random(pop)) return part_.owner(pop, id);
  const Tiling& t = part_.tiling_[pop];
  if (pop != pop_ || id < tile_.start || id - tile_.start >= tile_.count) {
    pop_ = pop;
    tile_ = part_.find_tile(t, id);
    part_.tile_bricks(t, tile_.tile, lo_, hi_);
  }
  if (lo_ == hi_) return part_.bricks_.rank_at(lo_);  // as owner(): the whole tile in one brick
  // As rank_of(position): along an axis where the tile lies in one layer of bricks, every
  // cell of it does (the map from tile fraction to coordinate is monotone), so only the
  // axes it straddles are looked up (the exchange setup asks this for each of ~10^8
  // sources at 10^4 ranks).
  const Point x = part_.cell_position(t, tile_.tile, id);
  std::array<int, 3> c = lo_;
  for (int d = 0; d < 3; ++d)
    if (lo_[d] != hi_[d]) c[d] = part_.bricks_.coord_along(x[d], d);
  return part_.bricks_.rank_at(c);
}

std::vector<Point> Partition::positions(int pop) const {
  std::vector<Point> x(size_[pop]);
  if (!random(pop)) {
    for (std::uint64_t id = 0; id < size_[pop]; ++id) x[id] = position(pop, id);
    return x;
  }
  const Tiling& t = tiling_[pop];
  std::vector<std::uint64_t> all(t.tiles);
  for (std::uint64_t i = 0; i < t.tiles; ++i) all[i] = i;
  visit(t, all, [&](const Tile& tile) {
    for (std::uint64_t id = tile.start; id < tile.start + tile.count; ++id) x[id] = cell_position(t, tile.tile, id);
  });
  return x;
}

void Partition::cells_in(int pop, const Point& lo, const Point& hi,
                         const std::function<void(std::uint64_t, const Point&)>& f) const {
  const auto inside = [&](const Point& x) {
    return x[0] >= lo[0] && x[0] <= hi[0] && x[1] >= lo[1] && x[1] <= hi[1] && x[2] >= lo[2] && x[2] <= hi[2];
  };
  if (!random(pop)) {
    for (std::uint64_t id = 0; id < size_[pop]; ++id) {
      const Point x = position(pop, id);
      if (inside(x)) f(id, x);
    }
    return;
  }
  // The tiles whose span [at(i), at(i + 1)] meets [lo, hi] along every axis, ascending.
  const Tiling& t = tiling_[pop];
  std::array<std::uint64_t, 3> a{}, b{};
  for (int d = 0; d < 3; ++d) {
    a[d] = t.shape[d], b[d] = 0;
    for (std::uint64_t i = 0; i < t.shape[d]; ++i)
      if (t.at(d, static_cast<double>(i + 1)) >= lo[d] && t.at(d, static_cast<double>(i)) <= hi[d])
        a[d] = std::min(a[d], i), b[d] = i + 1;
  }
  std::vector<std::uint64_t> wanted;
  for (std::uint64_t k = a[2]; k < b[2]; ++k)
    for (std::uint64_t j = a[1]; j < b[1]; ++j)
      for (std::uint64_t i = a[0]; i < b[0]; ++i) wanted.push_back(i + t.shape[0] * (j + t.shape[1] * k));
  visit(t, wanted, [&](const Tile& tile) {
    for (std::uint64_t id = tile.start; id < tile.start + tile.count; ++id) {
      const Point x = cell_position(t, tile.tile, id);
      if (inside(x)) f(id, x);
    }
  });
}

std::vector<std::uint64_t> Partition::cells_per_rank(int pop) const {
  std::vector<std::uint64_t> n(static_cast<std::size_t>(nranks_), 0);
  if (!random(pop)) {
    for (std::uint64_t id = 0; id < size_[pop]; ++id) ++n[static_cast<std::size_t>(owner(pop, id))];
    return n;
  }
  const Tiling& t = tiling_[pop];
  std::vector<std::uint64_t> all(t.tiles);
  for (std::uint64_t i = 0; i < t.tiles; ++i) all[i] = i;
  visit(t, all, [&](const Tile& tile) {
    std::array<int, 3> lo{}, hi{};
    tile_bricks(t, tile.tile, lo, hi);
    if (lo == hi) {
      n[static_cast<std::size_t>(bricks_.rank_at(lo))] += tile.count;
      return;
    }
    for (std::uint64_t id = tile.start; id < tile.start + tile.count; ++id)
      ++n[static_cast<std::size_t>(bricks_.rank_of(cell_position(t, tile.tile, id)))];
  });
  return n;
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
  } else if (random(pop)) {
    const Tiling& t = tiling_[pop];
    x = cell_position(t, find_tile(t, id).tile, id);
  }
  return x;
}

}  // namespace cajal
