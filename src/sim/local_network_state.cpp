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
           part.size(pj.pre) * 8 * (pj.source_state().size() + 1);
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
  auto row = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.row);
  auto tgt = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
  const std::size_t n = part.local(pj.post).size();
  off.assign(n + 1, 0);
  for (std::size_t j = 0; j < tgt.extent(0); ++j) ++off[tgt(j) + 1];
  for (std::size_t li = 0; li < n; ++li) off[li + 1] += off[li];
  std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
  perm.resize(tgt.extent(0));
  for (std::size_t r = 0; r + 1 < row.extent(0); ++r)
    for (std::uint64_t j = row(r); j < row(r + 1); ++j) perm[fill[tgt(j)]++] = j;
}

int LocalNetwork::widest_row(const std::vector<std::uint64_t>& off) const {
  std::uint64_t w = 1;
  for (std::size_t li = 0; li + 1 < off.size(); ++li) w = std::max<std::uint64_t>(w, off[li + 1] - off[li]);
  return static_cast<int>(comm.max<unsigned long long>(w));
}

/// Synapse state of projection i (STDP: weights and traces; STP: u, x, y): per-synapse
/// arrays by target (rows padded with NaN to the widest in-degree), and per-source
/// arrays (the real ones, then t_last) written by the source's owner.
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
  // Per source: every rank with a row for a source holds the same values; the owner
  // writes them. Message per row: source id, the real arrays' bits, t_last.
  const auto reals = pj.source_state();
  const std::size_t R = reals.size(), words = R + 2;
  const int P = comm.size();
  auto src = plastic_sources[i];
  std::vector<Kokkos::View<double*>::HostMirror> rh;
  for (const auto& a : reals) rh.push_back(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.second));
  auto tl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.t_last);
  std::vector<std::vector<std::uint64_t>> send(P);
  Partition::Owners owner(part);  // rows ascending by source
  for (std::size_t r = 0; r < src.extent(0); ++r) {
    auto& v = send[owner(pj.pre, src(r))];
    v.push_back(src(r));
    for (std::size_t q = 0; q < R; ++q) v.push_back(to_bits(rh[q](r)));
    v.push_back(static_cast<std::uint64_t>(tl(r)));
  }
  const std::vector<std::uint64_t> got = comm.alltoallv(send);
  const auto& owned = part.local(pj.pre);
  std::vector<std::uint64_t> own(owned.size() * (words - 1), 0);
  std::vector<char> seen(owned.size(), 0);
  std::string problem;
  for (std::size_t k = 0; k + words - 1 < got.size(); k += words) {
    const std::size_t li = static_cast<std::size_t>(std::lower_bound(owned.begin(), owned.end(), got[k]) - owned.begin());
    for (std::size_t q = 0; q + 1 < words; ++q) {
      if (seen[li] && own[li * (words - 1) + q] != got[k + 1 + q])
        problem = "internal error: ranks disagree on the synapse state of source " + std::to_string(got[k]);
      own[li * (words - 1) + q] = got[k + 1 + q];
    }
    seen[li] = 1;
  }
  if (comm.any(!problem.empty()))
    throw error(problem.empty() ? std::string("internal error: synapse source state disagrees") : problem, exit_internal);
  f.write_ids(g + "/sources", owned);
  for (std::size_t q = 0; q + 1 < words; ++q)
    f.write_rows(g + "/sources", q < R ? reals[q].first : std::string("t_last"), q < R ? H5T_IEEE_F64LE : H5T_STD_I64LE, 1,
                 owned, [&](std::size_t k, std::uint64_t* row) { row[0] = own[k * (words - 1) + q]; });
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
  // Per source: read by owner, then each rank asks the owners for the sources of its rows.
  const auto reals = pj.source_state();
  const std::size_t R = reals.size(), words = R + 1;
  const auto& owned = part.local(pj.pre);
  std::vector<std::uint64_t> own(owned.size() * words);
  // The ids of a file's block come mostly ascending: Owners walks the tree once per tile.
  auto owner = [&, o = Partition::Owners(part)](std::uint64_t id) mutable { return o(pj.pre, id); };
  for (std::size_t q = 0; q < words; ++q)
    f.read_rows(g + "/sources", q < R ? reals[q].first : std::string("t_last"), part.size(pj.pre), 1, owned, owner,
                [&](std::size_t k, std::uint64_t* row) { own[k * words + q] = row[0]; });
  const int P = comm.size();
  auto src = plastic_sources[i];
  std::vector<std::vector<std::uint64_t>> ask(P);
  Partition::Owners row_owner(part);  // rows ascending by source
  for (std::size_t r = 0; r < src.extent(0); ++r) ask[row_owner(pj.pre, src(r))].push_back(src(r));
  std::vector<std::uint64_t> counts;
  const std::vector<std::uint64_t> asked = comm.alltoallv(ask, &counts);
  std::vector<std::vector<std::uint64_t>> reply(P);
  std::size_t k = 0;
  for (int r = 0; r < P; ++r)
    for (std::uint64_t c = 0; c < counts[r]; ++c, ++k) {
      const std::size_t li = static_cast<std::size_t>(std::lower_bound(owned.begin(), owned.end(), asked[k]) - owned.begin());
      reply[r].insert(reply[r].end(), own.begin() + li * words, own.begin() + (li + 1) * words);
    }
  const std::vector<std::uint64_t> answers = comm.alltoallv(reply);
  // Answers arrive by owner rank, each in the order asked.
  std::vector<std::size_t> at(P + 1, 0);
  for (int r = 0; r < P; ++r) at[r + 1] = at[r] + words * ask[r].size();
  std::vector<Kokkos::View<double*>::HostMirror> rh;
  for (const auto& a : reals) rh.push_back(Kokkos::create_mirror_view(a.second));
  auto tl = Kokkos::create_mirror_view(pj.t_last);
  for (std::size_t r = 0; r < src.extent(0); ++r) {
    std::size_t& a = at[row_owner(pj.pre, src(r))];
    for (std::size_t q = 0; q < R; ++q) from_bits(answers[a + q], rh[q](r));
    tl(r) = static_cast<std::int64_t>(answers[a + R]);
    a += words;
  }
  for (std::size_t q = 0; q < R; ++q) Kokkos::deep_copy(reals[q].second, rh[q]);
  Kokkos::deep_copy(pj.t_last, tl);
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
