#include <cmath>
#include <cstring>

#include "cajal/util/error.hpp"
#include "io/checkpoint_file.hpp"
#include "sim/local_network.hpp"

// The network's part of a checkpoint: every piece of state by population-local id, so that
// any number of ranks reads its share back.

namespace cajal {

namespace {

// One state array as rows of 8-byte elements (width = 1 for a 1-D view, extent(1) for a
// 2-D LayoutRight one); `int` state travels as int64.
std::uint64_t to_bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, 8);
  return b;
}
std::uint64_t to_bits(std::int64_t x) { return static_cast<std::uint64_t>(x); }
std::uint64_t to_bits(int x) { return static_cast<std::uint64_t>(static_cast<std::int64_t>(x)); }
void from_bits(std::uint64_t b, double& x) { std::memcpy(&x, &b, 8); }
void from_bits(std::uint64_t b, std::int64_t& x) { x = static_cast<std::int64_t>(b); }
void from_bits(std::uint64_t b, int& x) { x = static_cast<int>(static_cast<std::int64_t>(b)); }
template <class V>
int width_of(const V& v) {
  return V::rank == 2 ? static_cast<int>(v.extent(1)) : 1;
}

template <class V>
void save_array(CheckpointFile& f, const std::string& g, const std::string& name, hid_t type, const V& v,
                       const std::vector<std::uint64_t>& ids) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  const int w = width_of(v);
  f.write_rows(g, name, type, w, ids, [&](std::size_t k, std::uint64_t* row) {
    for (int q = 0; q < w; ++q) row[q] = to_bits(h.data()[k * w + q]);
  });
}
template <class V>
void load_array(CheckpointFile& f, const std::string& g, const std::string& name, std::uint64_t n, const V& v,
                       const std::vector<std::uint64_t>& ids, const CheckpointFile::OwnerFn& owner) {
  // With the view's values: a row the file does not give keeps them, on any backend.
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  const int w = width_of(v);
  f.read_rows(g, name, n, w, ids, owner, [&](std::size_t k, std::uint64_t* row) {
    for (int q = 0; q < w; ++q) from_bits(row[q], h.data()[k * w + q]);
  });
  Kokkos::deep_copy(v, h);
}

}  // namespace

std::uint64_t LocalNetwork::checkpoint_bytes() const {
  std::uint64_t e = 0;
  for (std::size_t p = 0; p < pops.size(); ++p) {
    std::uint64_t w = static_cast<std::uint64_t>(pops[p]->receptors * ring_size);
    for (const auto& a : pops[p]->all_state()) w += a.width();
    e += part.size(static_cast<int>(p)) * 8 * w;
  }
  for (const auto& pj : projections)
    if (pj.stateful())
      e += comm.sum<unsigned long long>(pj.synapses) * 8 * pj.synapse_state().size() +
           part.size(pj.pre) * 8 * (pj.plastic ? 2 : 1);
  return e;
}

void LocalNetwork::save(CheckpointFile& f) const {
  f.make_group("populations");
  for (std::size_t p = 0; p < pops.size(); ++p) {
    Population& pop = *pops[p];
    const std::string g = "populations/" + pop.name;
    const auto& ids = part.local(static_cast<int>(p));
    f.write_ids(g, ids);
    for (const auto& a : pop.all_state()) {
      switch (a.kind()) {
        case Population::StateArray::real_kind: save_array(f, g, a.name, H5T_IEEE_F64LE, a.real, ids); break;
        case Population::StateArray::integer_kind: save_array(f, g, a.name, H5T_STD_I64LE, a.integer, ids); break;
        case Population::StateArray::real_rows_kind: save_array(f, g, a.name, H5T_IEEE_F64LE, a.real_rows, ids); break;
        case Population::StateArray::int_rows_kind: save_array(f, g, a.name, H5T_STD_I64LE, a.int_rows, ids); break;
      }
    }
    // Pending input: row = cell, columns = (receptor, slot) with slot = step % ring_size.
    auto ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.ring);
    const int R = ring_size;
    const int W = pop.receptors * R;
    f.write_rows(g, "ring", H5T_STD_I64LE, W, ids,
                 CheckpointFile::RowsFn([&](std::size_t first, std::size_t count, std::uint64_t* rows) {
                   // Tiles of 64 cells: reads run along cells, writes stay in cache.
                   for (std::size_t t0 = 0; t0 < count; t0 += 64) {
                     const std::size_t t1 = std::min(count, t0 + 64);
                     for (int r = 0; r < pop.receptors; ++r)
                       for (int sl = 0; sl < R; ++sl)
                         for (std::size_t k = t0; k < t1; ++k)
                           rows[k * W + r * R + sl] = static_cast<std::uint64_t>(ring(r, sl, first + k));
                   }
                 }));
  }
  bool any = false;
  for (const auto& pj : projections) any = any || pj.stateful();
  if (!any) return;
  f.make_group("projections");
  for (std::size_t i = 0; i < projections.size(); ++i)
    if (projections[i].stateful()) save_synapses(f, i);
}

/// Each local target's incoming synapses of projection i in canonical order (by source,
/// then as drawn): perm lists synapse indices, target li owns perm[off[li] .. off[li+1]).
/// The order is the same on any number of ranks, so a checkpoint stores weights by target.
void LocalNetwork::by_target(std::size_t i, std::vector<std::uint64_t>& off, std::vector<std::uint64_t>& perm) const {
  const Projection& pj = projections[i];
  const HostSourceRows rows = pj.rows.on_host();
  const HostTargets tgt = pj.target.on_host();
  const std::size_t n = part.local(pj.post).size();
  off.assign(n + 1, 0);
  for (std::size_t j = 0; j < tgt.extent(0); ++j) ++off[tgt(j) + 1];
  for (std::size_t li = 0; li < n; ++li) off[li + 1] += off[li];
  std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
  perm.resize(tgt.extent(0));
  for (std::uint64_t r = 0; r < rows.rows(); ++r) {
    const auto span = rows.span(r);
    for (std::uint64_t j = span.b; j < span.e; ++j) perm[fill[tgt(j)]++] = j;
  }
}

int LocalNetwork::widest_row(const std::vector<std::uint64_t>& off) const {
  std::uint64_t w = 1;
  for (std::size_t li = 0; li + 1 < off.size(); ++li) w = std::max<std::uint64_t>(w, off[li + 1] - off[li]);
  return static_cast<int>(comm.max<unsigned long long>(w));
}

/// Synapse state of projection i (STDP: weights and traces; STP: u, x, y): per-synapse
/// arrays by target (rows padded with NaN to the widest in-degree), and per-source
/// arrays (K+ for STDP, t_last) written by the source's owner, who holds them.
void LocalNetwork::save_synapses(CheckpointFile& f, std::size_t i) const {
  const Projection& pj = projections[i];
  const std::string g = "projections/" + deck.projections[i].name;
  f.make_group(g);
  std::vector<std::uint64_t> off, perm;
  by_target(i, off, perm);
  const int W = widest_row(off);
  const auto& targets = part.local(pj.post);
  f.write_ids(g + "/targets", targets);
  for (const auto& arr : pj.synapse_state()) {
    auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), arr.second);
    f.write_rows(g + "/targets", arr.first, H5T_IEEE_F64LE, W, targets, [&](std::size_t k, std::uint64_t* row) {
      double* out = reinterpret_cast<double*>(row);
      const std::uint64_t n = off[k + 1] - off[k];
      for (std::uint64_t q = 0; q < n; ++q) out[q] = w(perm[off[k] + q]);
      for (std::uint64_t q = n; q < static_cast<std::uint64_t>(W); ++q) out[q] = std::nan("");
    });
  }
  // Per source (the presynaptic state, held by the source's owner): K+ (STDP), t_last.
  const auto& owned = part.local(pj.pre);
  f.write_ids(g + "/sources", owned);
  if (pj.plastic) {
    const auto& kp = presynaptic->kplus(i);
    f.write_rows(g + "/sources", "kplus", H5T_IEEE_F64LE, 1, owned,
                 [&](std::size_t k, std::uint64_t* row) { row[0] = to_bits(kp[k]); });
  }
  const auto& tl = presynaptic->t_last(pj.pre);
  f.write_rows(g + "/sources", "t_last", H5T_STD_I64LE, 1, owned,
               [&](std::size_t k, std::uint64_t* row) { row[0] = to_bits(tl[k]); });
}

void LocalNetwork::load_synapses(CheckpointFile& f, std::size_t i) {
  Projection& pj = projections[i];
  const std::string g = "projections/" + deck.projections[i].name;
  std::vector<std::uint64_t> off, perm;
  by_target(i, off, perm);
  const int W = widest_row(off);
  const auto& targets = part.local(pj.post);
  for (const auto& arr : pj.synapse_state()) {
    auto w = Kokkos::create_mirror_view(arr.second);
    std::string problem;
    f.read_rows(g + "/targets", arr.first, part.size(pj.post), W, targets,
                [&, owner = Partition::Owners(part)](std::uint64_t id) mutable { return owner(pj.post, id); },
                [&](std::size_t k, std::uint64_t* row) {
                  const double* in = reinterpret_cast<const double*>(row);
                  const std::uint64_t n = off[k + 1] - off[k];
                  for (std::uint64_t q = 0; q < n; ++q) w(perm[off[k] + q]) = in[q];
                  if ((n < static_cast<std::uint64_t>(W) && !std::isnan(in[n])) || (n > 0 && std::isnan(in[n - 1])))
                    problem = f.path() + ": projection '" + deck.projections[i].name + "': target " +
                              std::to_string(targets[k]) + " has a different number of synapses than in this network";
                });
    problem = comm.first_problem(problem);
    if (!problem.empty()) throw usage_error(problem);
    Kokkos::deep_copy(arr.second, w);
  }
  // Per source: each owner reads its cells'.
  const auto& owned = part.local(pj.pre);
  // The ids of a file's block come mostly ascending: Owners walks the tree once per tile.
  auto owner = [&, o = Partition::Owners(part)](std::uint64_t id) mutable { return o(pj.pre, id); };
  if (pj.plastic) {
    auto& kp = presynaptic->kplus(i);
    f.read_rows(g + "/sources", "kplus", part.size(pj.pre), 1, owned, owner,
                [&](std::size_t k, std::uint64_t* row) { from_bits(row[0], kp[k]); });
  }
  auto& tl = presynaptic->t_last(pj.pre);
  f.read_rows(g + "/sources", "t_last", part.size(pj.pre), 1, owned, owner,
              [&](std::size_t k, std::uint64_t* row) { from_bits(row[0], tl[k]); });
}

void LocalNetwork::load(CheckpointFile& f) {
  for (std::size_t p = 0; p < pops.size(); ++p) {
    Population& pop = *pops[p];
    const std::string g = "populations/" + pop.name;
    const auto& ids = part.local(static_cast<int>(p));
    const std::uint64_t n = part.size(static_cast<int>(p));
    auto owner = [&, o = Partition::Owners(part)](std::uint64_t id) mutable { return o(static_cast<int>(p), id); };
    for (const auto& a : pop.all_state()) {
      switch (a.kind()) {
        case Population::StateArray::real_kind: load_array(f, g, a.name, n, a.real, ids, owner); break;
        case Population::StateArray::integer_kind: load_array(f, g, a.name, n, a.integer, ids, owner); break;
        case Population::StateArray::real_rows_kind: load_array(f, g, a.name, n, a.real_rows, ids, owner); break;
        case Population::StateArray::int_rows_kind: load_array(f, g, a.name, n, a.int_rows, ids, owner); break;
      }
    }
    auto ring = Kokkos::create_mirror_view(pop.ring);
    const int R = ring_size;
    f.read_rows(g, "ring", n, pop.receptors * R, ids, owner, [&](std::size_t k, std::uint64_t* row) {
      for (int r = 0; r < pop.receptors; ++r)
        for (int sl = 0; sl < R; ++sl) ring(r, sl, k) = static_cast<std::int64_t>(row[r * R + sl]);
    });
    Kokkos::deep_copy(pop.ring, ring);
  }
  for (std::size_t i = 0; i < projections.size(); ++i)
    if (projections[i].stateful()) load_synapses(f, i);
}

}  // namespace cajal
