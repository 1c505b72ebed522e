#include "network/connectivity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <memory>
#include <type_traits>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "model/synapses/rules.hpp"
#include "random/distribution.hpp"
#include "random/philox.hpp"
#include "network/row_fill.hpp"
#include "network/source_counts.hpp"
#include "util/huge_pages.hpp"
#include "util/system.hpp"

namespace cajal {

std::size_t Projection::bytes() const {
  return rows.bytes() + target.bytes() + weight.extent(0) * sizeof(float) +
         delay.extent(0) * sizeof(std::uint16_t) + plastic_weight.extent(0) * sizeof(double) +
         (stp_u.extent(0) + stp_x.extent(0) + stp_y.extent(0)) * sizeof(double) +
         third.extent(0) * sizeof(std::int64_t);
}

double expected_in_degree(const Deck& deck, int index) {
  const ProjectionSpec& spec = deck.projections[index];
  const auto n_of = [&](const std::string& pop) {
    return static_cast<double>(deck.populations[deck.population_index(pop)].n);
  };
  const double n_pre = n_of(spec.pre);
  const bool skip_self = spec.pre == spec.post && !spec.autapses;
  switch (spec.rule) {
    case ProjectionSpec::Rule::fixed_indegree:
      return static_cast<double>(spec.indegree);
    case ProjectionSpec::Rule::pairwise_bernoulli:
      return spec.p * std::max(0.0, n_pre - (skip_self ? 1 : 0));
    case ProjectionSpec::Rule::fixed_total_number:  // targets uniform: n / n_post each, in expectation
      return static_cast<double>(spec.total) / std::max(1.0, n_of(spec.post));
    case ProjectionSpec::Rule::distance: {
      // Upper bound: p times the pre cells expected within the kernel, for a target whose
      // cutoff ball lies inside the pre population's placement region (uniform density);
      // targets near the edges see fewer. Never above p n_pre.
      const Placement& pl = deck.populations[deck.population_index(spec.pre)].placement;
      double volume = 1;
      for (int d = 0; d < 3; ++d) volume *= pl.max[d] - pl.min[d];
      constexpr int steps = 256;
      const double h = spec.cutoff / steps, pi = 3.14159265358979323846;
      double integral = 0;  // 4 pi int_0^cutoff kernel(r) r^2 dr, midpoint rule
      for (int k = 0; k < steps; ++k) {
        const double r = (k + 0.5) * h;
        const double kern = spec.kernel == ProjectionSpec::Kernel::gaussian ? std::exp(-r * r / (2 * spec.scale * spec.scale))
                                                                            : std::exp(-r / spec.scale);
        integral += 4 * pi * kern * r * r * h;
      }
      return spec.p * std::min(n_pre, volume > 0 ? n_pre / volume * integral : n_pre);
    }
    case ProjectionSpec::Rule::one_to_one:
      return 1;
    case ProjectionSpec::Rule::sonata:
      return static_cast<double>(spec.sonata_count) / std::max(1.0, n_of(spec.post));
    case ProjectionSpec::Rule::pairs:  // the mean over the targets (gap junctions count both ways)
      return static_cast<double>(spec.pair_sources.size()) * (spec.synapse.gap() ? 2 : 1) / std::max(1.0, n_of(spec.post));
    case ProjectionSpec::Rule::tripartite: {
      const ProjectionSpec& prim = spec.role == ProjectionSpec::Role::primary ? spec : deck.projections[spec.primary];
      const double primary = prim.p * n_of(prim.pre);  // per neuron target of the primary
      switch (spec.role) {
        case ProjectionSpec::Role::third_out: return primary * prim.p_third;
        case ProjectionSpec::Role::third_in: return primary * prim.p_third * n_of(prim.post) / std::max(1.0, n_of(prim.astrocytes));
        default: return primary;
      }
    }
  }
  return 0;
}

std::size_t build_rounds(double synapses_per_rank) {
  const double r = std::ceil(synapses_per_rank / double(1 << 19));
  return static_cast<std::size_t>(std::max(1.0, std::min(r, 65536.0)));
}

namespace {

/// Asks for transparent huge pages behind a per-synapse host array before it is first
/// written (util/huge_pages.hpp). The fill writes each target's synapses into as many
/// rows, one 4 KiB page apart or more, so with small pages nearly every store misses the
/// TLB and the first one in each page faults (together more than the draws themselves:
/// hpc_benchmark).
template <class View>
void prefer_huge_pages(const View& v) {
  if constexpr (std::is_same_v<typename View::memory_space, Kokkos::HostSpace>)
    cajal::prefer_huge_pages(v.data(), v.span() * sizeof(typename View::value_type));
}

/// Contiguous chunks of `n` items, one per thread of the host execution space (Serial: one
/// chunk), run side by side: chunk c holds items [first(c), first(c + 1)).
struct Chunks {
  std::size_t n, count;
  explicit Chunks(std::size_t items)
      : n(items),
        count(static_cast<std::size_t>(std::max<std::int64_t>(
            1, std::min<std::int64_t>(Kokkos::DefaultHostExecutionSpace().concurrency(), static_cast<std::int64_t>(items))))) {}
  std::size_t first(std::size_t c) const { return n * c / count; }
  /// Round r of R of chunk c: its items [first_in(c, r, R), first_in(c, r + 1, R)), so that
  /// the rounds visit each chunk's items in order.
  std::size_t first_in(std::size_t c, std::size_t r, std::size_t rounds) const {
    return first(c) + (first(c + 1) - first(c)) * r / rounds;
  }
  template <class F>
  void run(const char* label, const F& f) const {
    Kokkos::parallel_for(label, Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, count),
                         [&](const std::int64_t c) { f(static_cast<std::size_t>(c)); });
  }
};

/// A per-synapse state array holding `value` everywhere, written once, by the execution
/// space's threads (a labelled View is first zeroed, here by one memset, then filled).
Kokkos::View<double*> filled(const std::string& label, std::uint64_t n, double value) {
  Kokkos::View<double*> v(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), n);
  prefer_huge_pages(v);
  Kokkos::deep_copy(v, value);
  return v;
}

/// Pre positions binned on a grid of cells at least `cutoff` wide, so that the candidates
/// within the cutoff of a point lie in the 27 surrounding cells. Only the pre cells that may
/// lie within the cutoff of a local target are kept (those in the targets' bounding box
/// grown by the cutoff), and only the grid cells that window spans are stored: memory
/// O(sources near this rank), whatever the population's size. The grid itself (its cells'
/// width) is the whole box's, so the candidates found are the same as with every source.
struct SpatialBins {
  double cell[3];
  int n[3];                           // cells of the whole box's grid, per dimension
  int lo[3] = {0, 0, 0}, w[3] = {0, 0, 0};  // the stored window: cells lo .. lo + w - 1
  std::vector<std::uint32_t> start;   // window cell -> first entry
  std::vector<std::uint64_t> ids;     // pre ids grouped by cell, ascending within a cell
  std::vector<Point> pos;             // their positions

  /// `near`: the points (µm) whose candidates will be asked for; null: any point.
  SpatialBins(const Partition& part, int pop, const std::array<double, 3>& box, double cutoff,
              const std::vector<Point>* near) {
    for (int d = 0; d < 3; ++d) {
      n[d] = std::max(1, std::min(256, static_cast<int>(box[d] / cutoff)));
      cell[d] = box[d] / n[d];
    }
    // The kept region: the near points' bounding box grown by the cutoff (a hair more, so
    // that rounding never drops a source within the cutoff).
    double rlo[3], rhi[3];
    const double reach = cutoff * (1 + 1e-9) + 1e-9;
    for (int d = 0; d < 3; ++d) {
      rlo[d] = -std::numeric_limits<double>::infinity();
      rhi[d] = std::numeric_limits<double>::infinity();
    }
    if (near) {
      for (int d = 0; d < 3; ++d) {
        rlo[d] = std::numeric_limits<double>::infinity();
        rhi[d] = -std::numeric_limits<double>::infinity();
      }
      for (const Point& x : *near)
        for (int d = 0; d < 3; ++d) {
          rlo[d] = std::min(rlo[d], x[d] - reach);
          rhi[d] = std::max(rhi[d], x[d] + reach);
        }
    }
    // The sources in the kept region, ids ascending: random placement visits only the
    // tiles that meet it (Partition::cells_in).
    std::vector<std::pair<std::uint64_t, Point>> kept;
    part.cells_in(pop, {rlo[0], rlo[1], rlo[2]}, {rhi[0], rhi[1], rhi[2]},
                  [&](std::uint64_t i, const Point& y) { kept.emplace_back(i, y); });
    if (kept.empty()) {
      start.assign(2, 0);
      w[0] = w[1] = w[2] = 1;
      return;
    }
    int hi[3];
    for (int d = 0; d < 3; ++d) {
      lo[d] = n[d];
      hi[d] = -1;
    }
    for (const auto& e : kept)
      for (int d = 0; d < 3; ++d) {
        lo[d] = std::min(lo[d], coord(e.second[d], d));
        hi[d] = std::max(hi[d], coord(e.second[d], d));
      }
    for (int d = 0; d < 3; ++d) w[d] = hi[d] - lo[d] + 1;
    std::vector<std::uint32_t> count(static_cast<std::size_t>(w[0]) * w[1] * w[2] + 1, 0);
    for (const auto& e : kept) ++count[index(e.second) + 1];
    for (std::size_t c = 1; c < count.size(); ++c) count[c] += count[c - 1];
    start = count;
    ids.resize(kept.size());
    pos.resize(kept.size());
    for (const auto& e : kept) {  // ids ascending: ascending within a cell
      const std::uint32_t at = count[index(e.second)]++;
      ids[at] = e.first;
      pos[at] = e.second;
    }
  }
  /// Cell of coordinate x along d in the whole box's grid.
  int coord(double x, int d) const {
    return std::min(n[d] - 1, std::max(0, static_cast<int>(std::floor(x / cell[d]))));
  }
  /// Window cell of a kept position.
  std::uint32_t index(const Point& p) const {
    return static_cast<std::uint32_t>((coord(p[0], 0) - lo[0]) +
                                      w[0] * ((coord(p[1], 1) - lo[1]) + w[1] * (coord(p[2], 2) - lo[2])));
  }
};

}  // namespace

std::vector<std::uint64_t> total_number_counts(const Deck& deck, int index, std::uint64_t n_post,
                                               std::uint64_t avail, const std::vector<std::uint64_t>& ids) {
  const ProjectionSpec& spec = deck.projections[index];
  std::vector<std::uint64_t> counts(ids.size(), 0);
  const rng::Key key(deck.simulation.seed, rng::purpose::total_number, static_cast<std::uint32_t>(index));
  // Node `node` (heap numbering: root 1, children 2 node and 2 node + 1) holds targets
  // [lo, hi) and m synapses; ids[a, b) are the wanted targets inside it.
  const auto split = [&](const auto& self, std::uint64_t node, std::uint64_t lo, std::uint64_t hi, std::uint64_t m,
                         std::size_t a, std::size_t b) -> void {
    if (a == b || m == 0) return;
    if (hi - lo == 1) {
      counts[a] = m;
      return;
    }
    const std::uint64_t mid = lo + (hi - lo) / 2;
    rng::Stream s(key, node);
    const std::uint64_t left = spec.multapses
                                   ? binomial(m, static_cast<double>(mid - lo) / static_cast<double>(hi - lo), s)
                                   : hypergeometric(m, (mid - lo) * avail, (hi - mid) * avail, s);
    const std::size_t c = static_cast<std::size_t>(std::lower_bound(ids.begin() + static_cast<std::ptrdiff_t>(a),
                                                                    ids.begin() + static_cast<std::ptrdiff_t>(b), mid) -
                                                   ids.begin());
    self(self, 2 * node, lo, mid, left, a, c);
    self(self, 2 * node + 1, mid, hi, m - left, c, b);
  };
  split(split, 1, 0, n_post, static_cast<std::uint64_t>(spec.total), 0, ids.size());
  return counts;
}

namespace {

/// The distinct ids drawn so far for one target (fixed_indegree without multapses, a
/// random astrocyte pool), of K drawn from n ids, in O(K) memory: a flag per id while n is
/// at most 16 K or 2^16 (n bytes: no more than the hash set would take, or than L2 holds;
/// faster), else an open-addressing hash set of at least 2K slots. Either answers exactly "drawn before?", as a flag per
/// source did, so the draws are the same. A hash slot holds (generation << 40 | id): a
/// slot of an earlier generation is free, so clear() is O(1) (ids are below 2^40, the
/// population limit).
class DrawnSet {
 public:
  /// Empties the set, for `k` ids drawn from [0, n).
  void clear(std::uint64_t k, std::uint64_t n) {
    for (const std::uint64_t id : set_) flag_[id] = 0;
    set_.clear();
    flags_ = n <= std::max<std::uint64_t>(16 * k, std::uint64_t(1) << 16);
    if (flags_) {
      if (flag_.size() < n) flag_.assign(n, 0);
      return;
    }
    std::size_t size = 16;
    while (size < 2 * k) size *= 2;
    if (++gen_ == (std::uint64_t(1) << 24) || slot_.size() < size) {  // a fresh table
      slot_.assign(std::max(size, slot_.size()), 0);
      gen_ = 1;
      shift_ = 64;
      for (std::size_t s = slot_.size(); s > 1; s /= 2) --shift_;
    }
    tag_ = gen_ << 40;
  }
  /// Adds `id`; false when it was already there.
  bool insert(std::uint64_t id) {
    if (flags_) {
      if (flag_[id]) return false;
      flag_[id] = 1;
      set_.push_back(id);
      return true;
    }
    const std::size_t mask = slot_.size() - 1;
    const std::uint64_t key = tag_ | id;
    for (std::size_t at = static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);; at = (at + 1) & mask) {
      const std::uint64_t v = slot_[at];
      if (v == key) return false;
      if ((v >> 40) != gen_) {
        slot_[at] = key;
        return true;
      }
    }
  }

 private:
  bool flags_ = true;
  std::vector<std::uint8_t> flag_;
  std::vector<std::uint64_t> set_;   // the ids flagged
  std::vector<std::uint64_t> slot_;  // hash set: generation << 40 | id
  std::uint64_t gen_ = 0, tag_ = 0;
  int shift_ = 64;
};

/// Draws the sources of one target at a time. Copies share the read-only tables (spatial
/// bins, third_in sources) and own their scratch, so each host thread draws with its own copy.
struct Drawer {
  const Deck& deck;
  const Partition& part;
  const ProjectionSpec& spec;
  int index, pre, post;
  std::uint64_t n_pre;
  bool same;
  DrawnSet taken;  // fixed_indegree without multapses, random pools
  std::shared_ptr<const SpatialBins> bins;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> cand;  // (source, its entry in bins)

  // Tripartite rule: the primary projection's spec and index (its stream keys all three
  // connection sets), the target's pool, and for third_in the sources of each local
  // astrocyte, gathered from the draws of every target of the primary.
  const ProjectionSpec* prim = nullptr;
  int prim_index = -1;
  std::vector<std::uint64_t> pool;
  std::vector<std::int64_t> paired;
  std::shared_ptr<const std::vector<std::vector<std::uint64_t>>> third_in_sources;

  // fixed_total_number: the synapse count of each local target (as part.local(post)).
  std::shared_ptr<const std::vector<std::uint64_t>> total_counts;

  /// `any_target`: sources() may be asked for targets this rank does not own (tests);
  /// otherwise the distance rule keeps only the sources near the local targets.
  Drawer(const Deck& d, const Partition& p, int i, const BuildPoll& poll = {}, bool any_target = false)
      : deck(d), part(p), spec(d.projections[i]), index(i), pre(d.population_index(spec.pre)),
        post(d.population_index(spec.post)), n_pre(p.size(pre)), same(pre == post) {
    if (spec.rule == ProjectionSpec::Rule::distance) {
      std::vector<Point> near;
      if (!any_target)
        for (const std::uint64_t t : p.local(post)) near.push_back(p.position(post, t));
      bins = std::make_shared<const SpatialBins>(p, pre, d.simulation.box, spec.cutoff, any_target ? nullptr : &near);
    }
    if (spec.rule == ProjectionSpec::Rule::tripartite) {
      prim_index = spec.role == ProjectionSpec::Role::primary ? i : spec.primary;
      prim = &d.projections[prim_index];
    }
    if (spec.role == ProjectionSpec::Role::third_in) gather_third_in(poll);
    if (spec.rule == ProjectionSpec::Rule::fixed_total_number)
      total_counts = std::make_shared<const std::vector<std::uint64_t>>(
          total_number_counts(d, i, p.size(post), available(), p.local(post)));
  }

  /// Sources a target may draw from: all of pre, less the target itself without autapses.
  std::uint64_t available() const { return n_pre - (same && !spec.autapses ? 1 : 0); }

  /// fixed_total_number: the synapse count of target `post_id` (a local one from the table;
  /// any other by its own walk down the split tree, for tests).
  std::uint64_t total_count(std::uint64_t post_id) const {
    const auto& mine = part.local(post);
    const auto it = std::lower_bound(mine.begin(), mine.end(), post_id);
    if (it != mine.end() && *it == post_id) return (*total_counts)[static_cast<std::size_t>(it - mine.begin())];
    return total_number_counts(deck, index, part.size(post), available(), {post_id})[0];
  }

  /// K sources for target `post_id`, uniformly from pre (without the target itself when
  /// autapses are excluded); distinct unless multapses are allowed. Draw order.
  void draw_k(std::uint64_t K, std::uint64_t post_id, rng::Stream& s, std::vector<std::uint64_t>& out) {
    const bool skip_self = same && !spec.autapses;
    if (spec.multapses) {
      while (out.size() < K) {
        const std::uint64_t j = s.below(n_pre);
        if (!(skip_self && j == post_id)) out.push_back(j);
      }
      return;
    }
    const std::uint64_t avail = available();
    if (2 * K <= avail) {
      // Rejection: few draws wasted when at most half the sources are taken.
      taken.clear(K, n_pre);
      while (out.size() < K) {
        const std::uint64_t j = s.below(n_pre);
        if ((skip_self && j == post_id) || !taken.insert(j)) continue;
        out.push_back(j);
      }
    } else {
      // Selection sampling (Knuth's algorithm S): one pass over the sources.
      std::uint64_t left = avail, need = K;
      for (std::uint64_t j = 0; j < n_pre && need > 0; ++j) {
        if (skip_self && j == post_id) continue;
        if (s.uniform() * static_cast<double>(left) < static_cast<double>(need)) {
          out.push_back(j);
          --need;
        }
        --left;
      }
    }
  }

  /// Every rank replays the primary's draws for the targets whose pool holds one of its
  /// astrocytes (no other target pairs a synapse with them) and keeps the pairs whose
  /// astrocyte it owns. "block" pools give those targets in closed form; "random" pools are
  /// drawn for every target (the first K draws of its stream, O(n_post K) work, not the
  /// O(synapses of the rule) of the sources' draws). The targets are replayed in chunks on
  /// the host threads, each chunk keeping its pairs in draw order; appending them chunk
  /// after chunk lists each astrocyte's sources in the order of a single pass (targets
  /// ascending). The chunks advance in rounds, `poll` between them: as many as with every
  /// target, on every rank.
  void gather_third_in(const BuildPoll& poll) {
    const auto& mine = part.local(post);
    const std::uint64_t n_targets = part.size(deck.population_index(prim->post));
    const std::vector<std::uint64_t> replay = pooling_targets(mine, n_targets);
    const Chunks chunks(replay.size());
    // The same rounds on every rank, from the deck alone.
    const std::size_t rounds = build_rounds(expected_in_degree(deck, prim_index) * static_cast<double>(n_targets));
    std::vector<std::vector<std::pair<std::size_t, std::uint64_t>>> found(chunks.count);  // (astrocyte, source)
    std::vector<Drawer> drawers(chunks.count, *this);
    for (std::size_t r = 0; r < rounds; ++r) {
      chunks.run("cajal::connectivity::third_in", [&](std::size_t c) {
        Drawer& d = drawers[c];
        std::vector<std::uint64_t> srcs;
        for (std::size_t q = chunks.first_in(c, r, rounds); q < chunks.first_in(c, r + 1, rounds); ++q) {
          d.tripartite(replay[q], srcs);
          for (std::size_t k = 0; k < srcs.size(); ++k) {
            if (d.paired[k] < 0) continue;
            const auto a = static_cast<std::uint64_t>(d.paired[k]);
            const auto it = std::lower_bound(mine.begin(), mine.end(), a);
            if (it != mine.end() && *it == a) found[c].emplace_back(static_cast<std::size_t>(it - mine.begin()), srcs[k]);
          }
        }
      });
      if (poll) poll();
    }
    auto lists = std::make_shared<std::vector<std::vector<std::uint64_t>>>(mine.size());
    for (const auto& pairs : found)
      for (const auto& [a, j] : pairs) (*lists)[a].push_back(j);
    third_in_sources = std::move(lists);
  }

  /// The primary's targets (ascending) whose pool holds one of the astrocytes `mine`
  /// (ascending) of the primary's `nt` targets.
  std::vector<std::uint64_t> pooling_targets(const std::vector<std::uint64_t>& mine, std::uint64_t nt) {
    const std::uint64_t K = static_cast<std::uint64_t>(prim->pool_size);
    std::vector<std::uint64_t> out;
    if (prim->pool_block) {
      // The deck guarantees nt K = na (target t: astrocytes t K .. t K + K - 1), or K = 1
      // and nt a multiple of na (target t: astrocyte t / (nt / na)).
      const std::uint64_t na = part.size(deck.population_index(prim->astrocytes));
      for (const std::uint64_t a : mine) {
        if (K > 1) {
          if (out.empty() || out.back() != a / K) out.push_back(a / K);
        } else {
          const std::uint64_t q = nt / na;
          for (std::uint64_t t = a * q; t < (a + 1) * q && t < nt; ++t) out.push_back(t);
        }
      }
      return out;
    }
    const Chunks chunks(nt);
    std::vector<std::vector<std::uint64_t>> per_chunk(chunks.count);
    std::vector<Drawer> drawers(chunks.count, *this);
    chunks.run("cajal::connectivity::third_in_pools", [&](std::size_t c) {
      Drawer& d = drawers[c];
      for (std::uint64_t t = chunks.first(c); t < chunks.first(c + 1); ++t) {
        rng::Stream s = d.primary_stream(t);
        d.draw_pool(t, s);
        for (const std::uint64_t a : d.pool)
          if (std::binary_search(mine.begin(), mine.end(), a)) {
            per_chunk[c].push_back(t);
            break;
          }
      }
    });
    for (const auto& v : per_chunk) out.insert(out.end(), v.begin(), v.end());
    return out;
  }

  /// The primary's stream of target `t`: its pool's draws, then its sources'.
  rng::Stream primary_stream(std::uint64_t t) const {
    return rng::Stream(rng::Key(deck.simulation.seed, rng::purpose::connectivity, static_cast<std::uint32_t>(prim_index)),
                       part.first_gid(deck.population_index(prim->post)) + t);
  }

  /// Target `t`'s pool (in `pool`), the first draws of its stream `s`: "block" a fixed
  /// slice, "random" pool_size distinct astrocytes.
  void draw_pool(std::uint64_t t, rng::Stream& s) {
    const std::uint64_t nt = part.size(deck.population_index(prim->post));
    const std::uint64_t na = part.size(deck.population_index(prim->astrocytes));
    const std::uint64_t K = static_cast<std::uint64_t>(prim->pool_size);
    pool.clear();
    if (prim->pool_block) {
      const std::uint64_t first = K > 1 ? t * K : t / (nt / na);
      for (std::uint64_t k = 0; k < K; ++k) pool.push_back(first + k);
    } else if (2 * K <= na) {
      taken.clear(K, na);
      while (pool.size() < K) {
        const std::uint64_t a = s.below(na);
        if (!taken.insert(a)) continue;
        pool.push_back(a);
      }
    } else {
      std::uint64_t left = na, need = K;
      for (std::uint64_t a = 0; a < na && need > 0; ++a, --left)
        if (s.uniform() * static_cast<double>(left) < static_cast<double>(need)) {
          pool.push_back(a);
          --need;
        }
    }
  }

  /// The primary's draws for neuron target `t`: its pool first (draw_pool), then its
  /// sources (pairwise Bernoulli with p, geometric skipping) and, for each, the paired
  /// astrocyte or -1 (in `paired`).
  void tripartite(std::uint64_t t, std::vector<std::uint64_t>& srcs) {
    const int ppre = deck.population_index(prim->pre), ppost = deck.population_index(prim->post);
    const std::uint64_t np = part.size(ppre);
    const std::uint64_t K = static_cast<std::uint64_t>(prim->pool_size);
    rng::Stream s = primary_stream(t);
    draw_pool(t, s);
    srcs.clear();
    paired.clear();
    const bool skip_self = ppre == ppost && !prim->autapses;
    if (prim->p <= 0) return;
    const double log_q = prim->p < 1 ? std::log1p(-prim->p) : 0.0;
    for (std::uint64_t j = 0; j < np; ++j) {
      if (prim->p < 1) {
        const double gap = std::floor(std::log(s.uniform()) / log_q);
        if (gap >= static_cast<double>(np - j)) break;
        j += static_cast<std::uint64_t>(gap);
      }
      if (skip_self && j == t) continue;
      srcs.push_back(j);
      paired.push_back(s.uniform() < prim->p_third ? static_cast<std::int64_t>(pool[s.below(K)]) : -1);
    }
  }

  void sources(std::uint64_t post_id, std::vector<std::uint64_t>& out) {
    out.clear();
    if (spec.rule == ProjectionSpec::Rule::tripartite) {
      if (spec.role == ProjectionSpec::Role::third_in) {
        const auto& mine = part.local(post);
        out = (*third_in_sources)[static_cast<std::size_t>(std::lower_bound(mine.begin(), mine.end(), post_id) - mine.begin())];
        return;
      }
      tripartite(post_id, out);
      if (spec.role == ProjectionSpec::Role::third_out) {
        out.clear();
        for (const auto a : paired)
          if (a >= 0) out.push_back(static_cast<std::uint64_t>(a));
      }
      return;
    }
    const std::uint64_t post_gid = part.first_gid(post) + post_id;
    rng::Stream s(rng::Key(deck.simulation.seed, rng::purpose::connectivity, static_cast<std::uint32_t>(index)),
                  post_gid);
    const bool skip_self = same && !spec.autapses;
    switch (spec.rule) {
      case ProjectionSpec::Rule::fixed_indegree:
        draw_k(static_cast<std::uint64_t>(spec.indegree), post_id, s, out);
        break;
      case ProjectionSpec::Rule::fixed_total_number:
        draw_k(total_count(post_id), post_id, s, out);
        break;
      case ProjectionSpec::Rule::pairwise_bernoulli: {
        if (spec.p <= 0) break;
        if (spec.p >= 1) {
          for (std::uint64_t j = 0; j < n_pre; ++j)
            if (!(skip_self && j == post_id)) out.push_back(j);
          break;
        }
        // Geometric skipping: the gap to the next connected source is geometric(p), so the
        // work is proportional to the connections made, not to n_pre.
        const double log_q = std::log1p(-spec.p);
        std::uint64_t j = 0;
        for (;;) {
          const double gap = std::floor(std::log(s.uniform()) / log_q);
          if (gap >= static_cast<double>(n_pre - j)) break;
          j += static_cast<std::uint64_t>(gap);
          if (!(skip_self && j == post_id)) out.push_back(j);
          if (++j >= n_pre) break;
        }
        break;
      }
      case ProjectionSpec::Rule::tripartite:
        break;  // handled above
      case ProjectionSpec::Rule::one_to_one:
      case ProjectionSpec::Rule::pairs:
      case ProjectionSpec::Rule::sonata:
        break;  // explicit: build_from_edges, never drawn
      case ProjectionSpec::Rule::distance: {
        const Point x = part.position(post, post_id);
        const SpatialBins& b = *bins;
        cand.clear();
        int c[3];
        for (int d = 0; d < 3; ++d) c[d] = b.coord(x[d], d);
        const double cut2 = spec.cutoff * spec.cutoff;
        // The 27 cells around x, within the stored window (no source lies outside it).
        const auto from = [&](int d) { return std::max(b.lo[d], c[d] - 1) - b.lo[d]; };
        const auto to = [&](int d) { return std::min(b.lo[d] + b.w[d] - 1, c[d] + 1) - b.lo[d]; };
        for (int k = from(2); k <= to(2); ++k)
          for (int jy = from(1); jy <= to(1); ++jy)
            for (int i = from(0); i <= to(0); ++i) {
              const std::size_t cell = static_cast<std::size_t>(i + b.w[0] * (jy + b.w[1] * k));
              for (std::uint32_t e = b.start[cell]; e < b.start[cell + 1]; ++e) {
                const std::uint64_t j = b.ids[e];
                const Point& y = b.pos[e];
                const double d2 = (x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                                  (x[2] - y[2]) * (x[2] - y[2]);
                if (d2 <= cut2 && !(skip_self && j == post_id)) cand.emplace_back(j, e);
              }
            }
        std::sort(cand.begin(), cand.end());
        // One draw per pair, keyed by (target gid, source id): independent of visiting order.
        const rng::Key key(deck.simulation.seed, rng::purpose::connectivity, static_cast<std::uint32_t>(index));
        // Gap junctions are symmetric: one draw per unordered pair, and no self-coupling.
        const bool sym = spec.synapse.gap();
        for (const auto& [j, e] : cand) {
          if (sym && j == post_id) continue;
          const Point& y = b.pos[e];
          const double d = std::sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                                     (x[2] - y[2]) * (x[2] - y[2]));
          const double prob = spec.p * (spec.kernel == ProjectionSpec::Kernel::gaussian
                                            ? std::exp(-d * d / (2 * spec.scale * spec.scale))
                                            : std::exp(-d / spec.scale));
          const rng::Block blk = sym ? rng::draw(key, part.first_gid(pre) + std::min(j, post_id), std::max(j, post_id))
                                     : rng::draw(key, post_gid, j);
          if (rng::u01_64(static_cast<std::uint64_t>(blk.w[1]) << 32 | blk.w[0]) < prob) out.push_back(j);
        }
        break;
      }
    }
  }
};

}  // namespace

void draw_sources(const Deck& deck, const Partition& part, int index, std::uint64_t post_id,
                  std::vector<std::uint64_t>& out) {
  Drawer d(deck, part, index, {}, true);
  d.sources(post_id, out);
}

std::vector<std::uint64_t> projection_sources(const Deck& deck, const Partition& part, int index,
                                              const std::function<bool(std::uint64_t)>& keep) {
  const ProjectionSpec& spec = deck.projections[index];
  std::vector<std::uint64_t> out;
  if (spec.rule == ProjectionSpec::Rule::one_to_one || spec.rule == ProjectionSpec::Rule::pairs ||
      spec.rule == ProjectionSpec::Rule::sonata) {
    for (const LocalEdge& e : local_edges(deck, part, index))
      if (!keep || keep(e.pre)) out.push_back(e.pre);
  } else {
    Drawer d(deck, part, index);
    std::vector<std::uint64_t> src;
    // A byte per source where the sources number no more than the draws (each is drawn
    // often: few owner tests), else the kept draws themselves, sorted below: either way
    // O(the partition's synapses), never O(n_pre) for a rank with few.
    const double draws = expected_in_degree(deck, index) * static_cast<double>(part.local(d.post).size());
    if (!keep || static_cast<double>(d.n_pre) <= draws) {
      std::vector<std::uint8_t> seen(d.n_pre, 0);
      for (const std::uint64_t id : part.local(d.post)) {
        d.sources(id, src);
        for (const std::uint64_t j : src) seen[j] = 1;
      }
      for (std::uint64_t j = 0; j < d.n_pre; ++j)
        if (seen[j] && (!keep || keep(j))) out.push_back(j);
      return out;
    }
    for (const std::uint64_t id : part.local(d.post)) {
      d.sources(id, src);
      for (const std::uint64_t j : src)
        if (keep(j)) out.push_back(j);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

/// What build_projection and build_from_edges store per synapse, from the spec alone (so
/// the same on every rank): a weight unless it is one constant, a delay unless constant,
/// the paired astrocyte for astrocyte-gated STDP.
struct Layout {
  bool const_w = false, const_d = false, gated = false;
  std::uint64_t cells = 0;  // local cells of the post population (the targets' width)
};

/// The projection's fields that follow from the deck alone: populations, receptor port,
/// synapse kind and rule, the constant weight (fixed point) and delay when they are constant.
Layout projection_header(const Deck& deck, const Partition& part, int index, Projection& pj) {
  const ProjectionSpec& spec = deck.projections[index];
  pj.pre = deck.population_index(spec.pre);
  pj.post = deck.population_index(spec.post);
  pj.pre_first_gid = part.first_gid(pj.pre);
  const bool exc_inh_ports = find_model(deck.populations[pj.post].model)->sign_routed();
  pj.receptor = (exc_inh_ports && spec.weight.upper_bound() <= 0 && spec.weight.lower_bound() < 0) ? 1 : 0;
  pj.sic = spec.synapse.sic();
  pj.gap = spec.synapse.gap();
  if (pj.gap) {
    pj.gj = gap_junction_rule(resolve_synapse_params(spec.synapse));
  }
  if (pj.sic) pj.receptor = 2;  // the SIC port of the target
  pj.plastic = spec.synapse.plastic();
  Layout l;
  // Plastic weights are per synapse and double: the rule needs each synapse's own value.
  l.const_w = spec.weight.is_constant() && !pj.plastic && !spec.edge_weights;
  l.const_d = spec.delay.is_constant() && !spec.edge_delays;
  if (l.const_w) {
    pj.weight_fixed = to_fixed(spec.weight.value);
    pj.weight_value = spec.weight.value;
  }
  if (l.const_d) pj.delay_steps = static_cast<int>(deck.to_steps(spec.delay.value));
  if (pj.plastic) pj.rule = stdp_rule(spec.synapse.model, resolve_synapse_params(spec.synapse), deck.simulation.dt);
  pj.glio = spec.synapse.glio();
  // Astrocyte-gated STDP: a plastic primary synapse of a tripartite rule whose astrocytes
  // gate plasticity (astrocyte_integrator) keeps its astrocyte, as a tripartite_synapse.
  l.gated = spec.synapse.plastic() && spec.role == ProjectionSpec::Role::primary &&
            deck.populations[deck.population_index(spec.astrocytes)].model == "astrocyte_integrator";
  if (l.gated) pj.third_pop = deck.population_index(spec.astrocytes);
  if (pj.glio) {
    pj.gr = glio_rule(resolve_synapse_params(spec.synapse), deck.simulation.dt);
    if (spec.rule == ProjectionSpec::Rule::tripartite)
      pj.third_pop = deck.population_index(deck.projections[spec.role == ProjectionSpec::Role::primary ? index : spec.primary].astrocytes);
  }
  pj.stp = spec.synapse.stp();
  if (pj.stp) pj.tm = tsodyks_rule(resolve_synapse_params(spec.synapse), deck.simulation.dt);
  const auto& targets = part.local(pj.post);
  if (targets.size() >= (std::uint64_t(1) << 32))
    throw usage_error("population '" + spec.post + "' has " + std::to_string(targets.size()) +
                      " cells on one rank; at most 2^32 - 1 per rank are allowed: use more ranks");
  l.cells = targets.size();
  return l;
}

/// Non-empty when `total` synapses of projection `index` on one rank are more than the
/// 32-bit offsets hold. Found on some ranks only: the caller throws it as a usage_error at a
/// point every rank reaches (LocalNetwork then agrees on it across ranks).
std::string offsets_problem(const Deck& deck, int index, std::uint64_t total) {
  // CAJAL_TEST_MAX_SYNAPSES_PER_RANK lowers the limit (never raises it) for the test of the
  // refusal (tests/CMakeLists.txt, build_refused_np3): 2^32 synapses do not fit a test.
  static const std::uint64_t limit = [] {
    const char* v = std::getenv("CAJAL_TEST_MAX_SYNAPSES_PER_RANK");
    return v && *v ? std::min<std::uint64_t>(std::strtoull(v, nullptr, 10), max_synapses_per_rank) : max_synapses_per_rank;
  }();
  if (total <= limit) return {};
  return "projection '" + deck.projections[index].name + "': " + std::to_string(total) +
         " synapses on one rank, more than its 32-bit offsets hold (at most 2^32 - 1 per rank); use more ranks";
}

/// Allocates the storage of `total` synapses: the layout's per-synapse arrays (left to be
/// filled) and the synapse state at its initial values. (The rows are coded before, as the
/// count pass closes them.)
void allocate(const Deck& deck, int index, const Layout& l, std::uint64_t total, Projection& pj) {
  const ProjectionSpec& spec = deck.projections[index];
  pj.synapses = total;
  pj.target = Targets::allocate(total, l.cells);
  if (!l.const_w && !pj.plastic)
    pj.weight = Kokkos::View<float*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::weight"), total);
  if (pj.plastic) {
    pj.plastic_weight = Kokkos::View<double*>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::plastic_weight"), total);
  }
  if (l.gated)
    pj.third = Kokkos::View<std::int64_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::third"), total);
  if (pj.glio) {
    const auto v = resolve_synapse_params(spec.synapse);
    pj.stp_u = filled("cajal::projection::stp_u", total, v.at("u"));
    pj.stp_x = filled("cajal::projection::stp_x", total, v.at("x"));
    pj.third = Kokkos::View<std::int64_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::third"), total);
  }
  if (pj.stp) {
    const auto v = resolve_synapse_params(spec.synapse);
    pj.stp_u = filled("cajal::projection::stp_u", total, v.at("u"));
    pj.stp_x = filled("cajal::projection::stp_x", total, v.at("x"));
    pj.stp_y = filled("cajal::projection::stp_y", total, v.at("y"));
  }
  if (!l.const_d) pj.delay = Kokkos::View<std::uint16_t*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::delay"), total);
}

/// Host mirrors of a projection's per-synapse arrays, filled by a builder and copied back.
struct HostArrays {
  Kokkos::View<std::uint16_t*>::HostMirror narrow;
  Kokkos::View<std::uint32_t*>::HostMirror wide;
  Kokkos::View<float*>::HostMirror weight;
  Kokkos::View<std::uint16_t*>::HostMirror delay;
  Kokkos::View<double*>::HostMirror pweight;
  Kokkos::View<std::int64_t*>::HostMirror third;
  explicit HostArrays(const Projection& pj)
      : narrow(Kokkos::create_mirror_view(pj.target.narrow)),
        wide(Kokkos::create_mirror_view(pj.target.wide)), weight(Kokkos::create_mirror_view(pj.weight)),
        delay(Kokkos::create_mirror_view(pj.delay)), pweight(Kokkos::create_mirror_view(pj.plastic_weight)),
        third(Kokkos::create_mirror_view(pj.third)) {
    prefer_huge_pages(narrow);
    prefer_huge_pages(wide);
    prefer_huge_pages(weight);
    prefer_huge_pages(delay);
    prefer_huge_pages(pweight);
    prefer_huge_pages(third);
  }
  /// Asks for synapse j's lines, to be written, ahead of its stores: in the sparse regime
  /// the fill's stores land at random in arrays of ~10^8 synapses, and each missed store
  /// holds a slot of the core's store buffer until its line comes (half the fill's time at
  /// 10^4 ranks). A hint only: nothing changes but when the lines arrive.
  void prefetch(std::uint64_t j) const {
    if (narrow.extent(0)) __builtin_prefetch(narrow.data() + j, 1);
    if (wide.extent(0)) __builtin_prefetch(wide.data() + j, 1);
    if (weight.extent(0)) __builtin_prefetch(weight.data() + j, 1);
    if (pweight.extent(0)) __builtin_prefetch(pweight.data() + j, 1);
    if (delay.extent(0)) __builtin_prefetch(delay.data() + j, 1);
    if (third.extent(0)) __builtin_prefetch(third.data() + j, 1);
  }
  /// Synapse j's target: local cell li.
  void set_target(std::uint64_t j, std::uint32_t li) {
    if (narrow.extent(0)) narrow(j) = static_cast<std::uint16_t>(li);
    else wide(j) = li;
  }
  void copy_to(Projection& pj) const {
    if (pj.target.narrow.extent(0)) Kokkos::deep_copy(pj.target.narrow, narrow);
    if (pj.target.wide.extent(0)) Kokkos::deep_copy(pj.target.wide, wide);
    if (pj.weight.extent(0)) Kokkos::deep_copy(pj.weight, weight);
    if (pj.plastic_weight.extent(0)) Kokkos::deep_copy(pj.plastic_weight, pweight);
    if (pj.third.extent(0)) Kokkos::deep_copy(pj.third, third);
    if (pj.delay.extent(0)) Kokkos::deep_copy(pj.delay, delay);
  }
};

}  // namespace

Projection build_projection(const Deck& deck, const Partition& part, int index, const BuildPoll& poll) {
  const ProjectionSpec& spec = deck.projections[index];
  if (spec.rule == ProjectionSpec::Rule::one_to_one || spec.rule == ProjectionSpec::Rule::pairs ||
      spec.rule == ProjectionSpec::Rule::sonata)
    return build_from_edges(deck, part, index, local_edges(deck, part, index));
  Drawer drawer(deck, part, index, poll);
  Projection pj;
  const Layout layout = projection_header(deck, part, index, pj);
  const bool const_w = layout.const_w, const_d = layout.const_d, gated = layout.gated;
  const auto& targets = part.local(pj.post);

  // The targets are drawn in contiguous chunks, one per host thread (Serial: one chunk),
  // each chunk with its own Drawer copy. A source's row holds chunk 0's synapses, then
  // chunk 1's, ...: targets ascending, as a single pass over the targets would leave them,
  // whatever the number of threads.
  const std::uint64_t n_pre = drawer.n_pre;
  const Chunks chunks(targets.size());
  const std::size_t n_chunks = chunks.count;
  // Per chunk, a counter per source (see SourceCounts): dense while 4 n_pre bytes per
  // chunk cost at most half the synapses' own 4-byte targets (9,000 sources on 16 threads:
  // 0.6 MB), else a hash map of the chunk's own sources.
  const bool dense = static_cast<double>(n_pre * n_chunks) <=
                     0.5 * expected_in_degree(deck, index) * static_cast<double>(targets.size());
  // A chunk's distinct sources, expected: m = n_pre (1 - e^(-S/n_pre)) for S uniform draws,
  // with room for 4 standard deviations (at most sqrt(m)) above it, so that the table is
  // not doubled for a count just above the mean.
  const double per_chunk = expected_in_degree(deck, index) * static_cast<double>(targets.size()) / n_chunks;
  const double mean = n_pre > 0 ? static_cast<double>(n_pre) * -std::expm1(-per_chunk / n_pre) : 0.0;
  const double distinct = mean + 4 * std::sqrt(mean) + 16;
  // One chunk that would hash: four bits per source id instead, where that is fewer bytes
  // (a good part of all sources drawn; then the sources also come out sorted).
  const bool narrow = !dense && n_chunks == 1 &&
                      static_cast<double>(SourceCounts::narrow_bytes(n_pre)) < SourceCounts::hashed_bytes(distinct);
  using Kind = SourceCounts::Kind;
  const Kind kind = dense ? Kind::dense : narrow ? Kind::narrow : Kind::hashed;
  std::vector<SourceCounts> cursor;
  cursor.reserve(n_chunks);
  for (std::size_t c = 0; c < n_chunks; ++c) cursor.emplace_back(n_pre, kind, distinct);
  // Each pass runs in rounds, each chunk taking the next slice of its targets, with `poll`
  // between rounds (a stop signal ends the build within a round or two). The rounds count
  // the same on every rank: from the expected synapses of an average rank.
  const auto& dims = part.bricks().dims;
  const std::size_t rounds =
      build_rounds(expected_in_degree(deck, index) * static_cast<double>(part.size(pj.post)) / (dims[0] * dims[1] * dims[2]));
  std::vector<Drawer> drawers(n_chunks, drawer);
  const auto in_rounds = [&](const char* label, const auto& per_chunk) {
    for (std::size_t r = 0; r < rounds; ++r) {
      chunks.run(label, [&](std::size_t c) { per_chunk(c, chunks.first_in(c, r, rounds), chunks.first_in(c, r + 1, rounds)); });
      if (poll) poll();
    }
  };

  // Pass 1: synapses per source, per chunk, and per chunk in all (64-bit: the 32-bit
  // counters hold only what a projection may hold on one rank).
  std::vector<std::uint64_t> in_chunk(n_chunks, 0);
  in_rounds("cajal::connectivity::count", [&](std::size_t c, std::size_t lo, std::size_t hi) {
    Drawer& d = drawers[c];
    std::vector<std::uint64_t> src;
    SourceCounts& count = cursor[c];
    for (std::size_t li = lo; li < hi; ++li) {
      d.sources(targets[li], src);
      for (auto j : src) count.add(j);
      in_chunk[c] += src.size();
    }
  });
  // The sources with a local synapse, ascending: every id (dense, narrow), the one chunk's
  // map sorted in place, or the chunks' keys merged.
  const bool one_map = kind == Kind::hashed && n_chunks == 1;
  const bool every_id = kind != Kind::hashed;
  std::vector<SourceId> drawn;
  if (one_map) {
    cursor[0].sort_sources();
  } else if (!every_id) {
    std::size_t n = 0;
    for (const SourceCounts& count : cursor) n += count.size();
    drawn.reserve(n);
    for (const SourceCounts& count : cursor) count.for_each_source([&](SourceId j) { drawn.push_back(j); });
    std::sort(drawn.begin(), drawn.end());
    drawn.erase(std::unique(drawn.begin(), drawn.end()), drawn.end());
  }
  const std::uint64_t n_candidates = every_id ? n_pre : one_map ? cursor[0].size() : drawn.size();
  const auto candidate = [&](std::uint64_t k) -> std::uint64_t {
    return every_id ? k : one_map ? cursor[0].sorted_source(k) : drawn[k];
  };
  // Chunk c's synapses from candidate k, source j.
  const auto count_of = [&](std::size_t c, std::uint64_t k, std::uint64_t j) -> std::uint64_t {
    return one_map ? cursor[0].sorted_count(k) : cursor[c].get(j);
  };
  std::uint64_t total = 0;
  for (const std::uint64_t n : in_chunk) total += n;
  // Over the limit, the fill pass still calls `poll` between its rounds, as every rank does,
  // and the build is refused after it (the counters may have wrapped: they are not read).
  const std::string too_many = offsets_problem(deck, index, total);
  std::uint64_t nsrc = 0;
  std::uint64_t widest = 0;  // the most synapses of a block of RowFill::block rows
  if (too_many.empty())
    for (std::uint64_t k = 0, off = 0, block_first = 0; k < n_candidates; ++k) {
      const std::uint64_t j = candidate(k);
      std::uint64_t n = 0;
      for (std::size_t c = 0; c < n_chunks; ++c) n += count_of(c, k, j);
      if (n == 0) continue;
      if (nsrc % RowFill::block == 0) block_first = off;
      off += n;
      widest = std::max(widest, off - block_first);
      ++nsrc;
    }
  if (!too_many.empty()) nsrc = total = 0;
  // One chunk (one host thread) in the sparse regime: the fill finds each synapse's row in
  // the coded ids and its place from a RowFill (a byte or so a row), and the map or the
  // nibbles go before the per-synapse arrays come (at 10^4 ranks the map takes ~11 bytes a
  // row: the record rank has 80 M rows). With several chunks each keeps its own counters,
  // which hold its slot in every row it draws from.
  const bool counts_only = n_chunks == 1 && kind != Kind::dense;  // the one map, or the nibbles
  const bool by_row = counts_only && too_many.empty();
  RowFill row_fill = by_row ? RowFill(nsrc, widest) : RowFill();
  // The rows first, while the sorted source list is at hand; the list goes before the
  // per-synapse arrays come (at 10^4 ranks it is 4 bytes per row, beside the counters and
  // the arrays at the build's peak).
  SourceRows::Writer rows(nsrc, n_pre, total);
  if (too_many.empty()) {
    std::uint64_t off = 0, r = 0;
    for (std::uint64_t q = 0; q < n_candidates; ++q) {
      const std::uint64_t j = candidate(q), first = off;
      for (std::size_t c = 0; c < n_chunks; ++c) {
        const std::uint64_t n = count_of(c, q, j);
        if (n == 0) continue;  // (a hash map holds only the chunk's own sources)
        // Now chunk c's first slot in source j's row; the one map or the nibbles are not read
        // again (the fill finds rows in the coded ids).
        if (!counts_only) cursor[c][j] = static_cast<std::uint32_t>(off);
        off += n;
      }
      if (off == first) continue;
      rows.add(j, first);
      if (by_row) row_fill.start(r, first);
      ++r;
    }
  }
  std::vector<SourceId>().swap(drawn);
  pj.rows = rows.finish(total);
  HostSourceRows row_of;
  if (counts_only) {
    std::vector<SourceCounts>().swap(cursor);
    // Returned, not only freed: the arrays below need not fit the freed blocks (a heap
    // that keeps freed memory resident would put them on top of it; util/system.hpp).
    release_free_memory();
  }
  if (by_row) row_of = pj.rows.on_host();
  allocate(deck, index, layout, total, pj);
  HostArrays h(pj);
  auto& h_weight = h.weight;
  auto& h_delay = h.delay;
  auto& h_pweight = h.pweight;
  auto& h_third = h.third;

  // Pass 2: fill, each chunk its own slots. Weights and delays come from their own streams
  // keyed by the target, in the target's canonical connection order.
  in_rounds("cajal::connectivity::fill", [&](std::size_t c, std::size_t lo, std::size_t hi) {
    if (!too_many.empty()) return;
    Drawer& d = drawers[c];
    std::vector<std::uint64_t> src, row;
    SourceCounts* const next = by_row ? nullptr : &cursor[c];
    for (std::size_t li = lo; li < hi; ++li) {
      const std::uint64_t post_gid = part.first_gid(pj.post) + targets[li];
      d.sources(targets[li], src);
      rng::Stream ws(rng::Key(deck.simulation.seed, rng::purpose::weight, static_cast<std::uint32_t>(index)), post_gid);
      rng::Stream ds(rng::Key(deck.simulation.seed, rng::purpose::delay, static_cast<std::uint32_t>(index)), post_gid);
      // The target's rows first, in a loop of independent lookups (each a cache miss at
      // 10^4 ranks, so the core overlaps them), then their places (in `row`, in the same
      // order), then the stores, each synapse's lines asked for `ahead` synapses early.
      constexpr std::size_t ahead = 16;
      if (by_row) {
        row.resize(src.size());
        for (std::size_t q = 0; q < src.size(); ++q) row[q] = static_cast<std::uint64_t>(row_of.find(src[q]));
        for (std::size_t q = 0; q < src.size(); ++q) row[q] = row_fill.take(row[q]);
        for (std::size_t q = 0; q < std::min(ahead, src.size()); ++q) h.prefetch(row[q]);
      }
      for (std::size_t q = 0; q < src.size(); ++q) {
        const std::uint64_t j = src[q];
        if (by_row && q + ahead < src.size()) h.prefetch(row[q + ahead]);
        const std::uint64_t pos = by_row ? row[q] : (*next)[j]++;
        h.set_target(pos, static_cast<std::uint32_t>(li));
        if (gated) h_third(pos) = d.paired[q];
        if (pj.glio)
          h_third(pos) = pj.third_pop < 0 ? -1
                         : spec.role == ProjectionSpec::Role::third_in ? static_cast<std::int64_t>(targets[li])
                                                                        : d.paired[q];
        if (pj.plastic) h_pweight(pos) = spec.weight.is_constant() ? spec.weight.value : draw_value(spec.weight, ws);
        else if (!const_w) h_weight(pos) = static_cast<float>(draw_value(spec.weight, ws));
        if (!const_d) {
          const std::int64_t steps = deck.to_steps(draw_value(spec.delay, ds));
          h_delay(pos) = static_cast<std::uint16_t>(std::max<std::int64_t>(1, std::min<std::int64_t>(65535, steps)));
        }
      }
    }
  });
  if (!too_many.empty()) throw usage_error(too_many);
  h.copy_to(pj);
  return pj;
}

namespace {
EdgeFileReader g_edge_file_reader = nullptr;
}
void set_edge_file_reader(EdgeFileReader read) { g_edge_file_reader = read; }

std::vector<LocalEdge> local_edges(const Deck& deck, const Partition& part, int index) {
  const ProjectionSpec& spec = deck.projections[index];
  const auto& mine = part.local(deck.population_index(spec.post));  // ascending
  const auto owned = [&](std::uint64_t id) { return std::binary_search(mine.begin(), mine.end(), id); };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<LocalEdge> out;
  switch (spec.rule) {
    case ProjectionSpec::Rule::one_to_one:
      out.reserve(mine.size());
      for (const std::uint64_t id : mine) out.push_back({id, id, nan, nan});
      return out;
    case ProjectionSpec::Rule::pairs: {
      // An ip3_gap_junction couples both ways, as the distance rule's one draw per
      // unordered pair does: pair (a, b) gives a -> b and b -> a.
      const bool both = spec.synapse.gap();
      for (std::size_t k = 0; k < spec.pair_sources.size(); ++k) {
        const std::uint64_t a = spec.pair_sources[k], b = spec.pair_targets[k];
        const double w = spec.edge_weights ? spec.pair_weights[k] : nan;
        const double d = spec.edge_delays ? spec.pair_delays[k] : nan;
        if (owned(b)) out.push_back({a, b, w, d});
        if (both && owned(a)) out.push_back({b, a, w, d});
      }
      return out;
    }
    case ProjectionSpec::Rule::sonata:
      if (!g_edge_file_reader) throw usage_error(spec.sonata_edges + ": this program cannot read SONATA files");
      return g_edge_file_reader(deck, part, index);
    default:
      throw usage_error("projection '" + spec.name + "': its rule draws its synapses; it has no edge list");
  }
}

Projection build_from_edges(const Deck& deck, const Partition& part, int index, std::vector<LocalEdge> edges) {
  const ProjectionSpec& spec = deck.projections[index];
  Projection pj;
  const Layout layout = projection_header(deck, part, index, pj);
  const auto& targets = part.local(pj.post);  // ascending
  const std::uint64_t n_pre = part.size(pj.pre), n = edges.size();
  // Each edge's local target, checked: the caller gives this rank's edges only.
  std::vector<std::uint32_t> li(n);
  for (std::size_t e = 0; e < n; ++e) {
    const auto it = std::lower_bound(targets.begin(), targets.end(), edges[e].post);
    if (edges[e].pre >= n_pre || it == targets.end() || *it != edges[e].post)
      throw usage_error("projection '" + spec.name + "': edge " + std::to_string(edges[e].pre) + " -> " +
                        std::to_string(edges[e].post) + " has a source outside population '" + spec.pre +
                        "' or a target this rank does not own");
    li[e] = static_cast<std::uint32_t>(it - targets.begin());
  }
  // Weights and delays, target by target in the target's canonical order (source, then
  // list position): the deck's distributions are drawn from the target's streams, as the
  // drawn rules draw them.
  std::vector<std::size_t> order(n);
  for (std::size_t e = 0; e < n; ++e) order[e] = e;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return li[a] != li[b] ? li[a] < li[b] : edges[a].pre < edges[b].pre;
  });
  const bool per_w = !layout.const_w, per_d = !layout.const_d;
  std::vector<double> w(per_w ? n : 0);
  std::vector<std::uint16_t> d(per_d ? n : 0);
  for (std::size_t q = 0; q < n;) {
    const std::uint64_t post_gid = part.first_gid(pj.post) + edges[order[q]].post;
    rng::Stream ws(rng::Key(deck.simulation.seed, rng::purpose::weight, static_cast<std::uint32_t>(index)), post_gid);
    rng::Stream ds(rng::Key(deck.simulation.seed, rng::purpose::delay, static_cast<std::uint32_t>(index)), post_gid);
    const std::uint32_t t = li[order[q]];
    for (; q < n && li[order[q]] == t; ++q) {
      const LocalEdge& x = edges[order[q]];
      if (per_w)
        w[order[q]] = spec.edge_weights ? x.weight : spec.weight.is_constant() ? spec.weight.value : draw_value(spec.weight, ws);
      if (per_d) {
        const std::int64_t steps = deck.to_steps(spec.edge_delays ? x.delay_ms : draw_value(spec.delay, ds));
        if (spec.edge_delays && !(steps >= 1 && steps <= 65535))
          throw usage_error("projection '" + spec.name + "': edge " + std::to_string(x.pre) + " -> " +
                            std::to_string(x.post) + " has delay " + std::to_string(x.delay_ms) +
                            " ms; allowed: dt ≤ delay ≤ 65535 dt");
        d[order[q]] = static_cast<std::uint16_t>(std::max<std::int64_t>(1, std::min<std::int64_t>(65535, steps)));
      }
    }
  }
  // Storage order: source, then local target, then list position.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return edges[a].pre != edges[b].pre ? edges[a].pre < edges[b].pre : li[a] < li[b];
  });
  std::uint64_t nsrc = 0;
  for (std::size_t q = 0; q < n; ++q) nsrc += (q == 0 || edges[order[q]].pre != edges[order[q - 1]].pre) ? 1 : 0;
  const std::string too_many = offsets_problem(deck, index, n);
  if (!too_many.empty()) throw usage_error(too_many);
  allocate(deck, index, layout, n, pj);
  HostArrays h(pj);
  SourceRows::Writer rows(nsrc, n_pre, n);
  for (std::size_t q = 0; q < n; ++q) {
    const std::size_t e = order[q];
    if (q == 0 || edges[e].pre != edges[order[q - 1]].pre) rows.add(edges[e].pre, q);
    h.set_target(q, li[e]);
    if (pj.plastic) h.pweight(q) = w[e];
    else if (per_w) h.weight(q) = static_cast<float>(w[e]);
    if (per_d) h.delay(q) = d[e];
    if (pj.glio) h.third(q) = -1;  // no astrocyte modulates an explicit synapse
  }
  pj.rows = rows.finish(n);
  h.copy_to(pj);
  return pj;
}

}  // namespace cajal
