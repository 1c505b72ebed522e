#include "exchange/spike_exchange.hpp"

#include <algorithm>

#include "model/population.hpp"

namespace cajal {

std::uint64_t SpikeExchange::local_index(std::uint64_t gid) const {
  const int pop = part_.population_of(gid);
  const auto& ids = part_.local(pop);
  const std::uint64_t id = gid - part_.first_gid(pop);
  return pop_offset_[pop] + static_cast<std::uint64_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
}

SpikeExchange::SpikeExchange(const Communicator& comm, const Partition& part,
                             const std::vector<const Projection*>& projections, int width)
    : part_(part), width_(width) {
  const int P = comm.size(), me = comm.rank();
  pop_offset_.assign(part.populations() + 1, 0);
  for (int p = 0; p < part.populations(); ++p) pop_offset_[p + 1] = pop_offset_[p] + part.local(p).size();

  // Sources this rank needs, by owner (its own cells need no subscription).
  std::vector<std::vector<std::uint64_t>> want(P);
  {
    std::vector<std::uint64_t> gids;
    for (const Projection* pj : projections) {
      auto h = Kokkos::create_mirror_view(pj->sources);
      Kokkos::deep_copy(h, pj->sources);
      for (std::size_t k = 0; k < h.extent(0); ++k) gids.push_back(pj->pre_first_gid + h(k));
    }
    std::sort(gids.begin(), gids.end());
    gids.erase(std::unique(gids.begin(), gids.end()), gids.end());
    for (const auto g : gids) {
      const int pop = part.population_of(g);
      const int owner = part.owner(pop, g - part.first_gid(pop));
      if (owner != me) want[owner].push_back(g);
    }
  }
  for (int r = 0; r < P; ++r)
    if (!want[r].empty()) src_.push_back(r);

  std::vector<std::uint64_t> counts;
  const std::vector<std::uint64_t> asked = comm.alltoallv(want, &counts);
  for (int r = 0; r < P; ++r)
    if (counts[r] > 0) dest_.push_back(r);

  // Per local cell: the destination slots that subscribed to it.
  const std::uint64_t nlocal = pop_offset_.back();
  std::vector<std::uint32_t> n_sub(nlocal + 1, 0);
  {
    std::size_t k = 0;
    for (int r = 0; r < P; ++r)
      for (std::uint64_t c = 0; c < counts[r]; ++c) ++n_sub[local_index(asked[k++]) + 1];
  }
  for (std::uint64_t i = 0; i < nlocal; ++i) n_sub[i + 1] += n_sub[i];
  sub_row_ = n_sub;
  sub_to_.resize(sub_row_.back());
  {
    std::vector<std::uint32_t> fill(sub_row_.begin(), sub_row_.end() - 1);
    std::size_t k = 0, slot = 0;
    for (int r = 0; r < P; ++r) {
      if (counts[r] == 0) continue;
      for (std::uint64_t c = 0; c < counts[r]; ++c) {
        const std::uint64_t li = local_index(asked[k++]);
        sub_to_[fill[li]++] = static_cast<std::uint32_t>(slot);
      }
      ++slot;
    }
  }

  if (P > 1) {
    const int dummy = 0;
    detail::check(MPI_Dist_graph_create_adjacent(
                      mpi_comm(comm), static_cast<int>(src_.size()), src_.empty() ? &dummy : src_.data(),
                      MPI_UNWEIGHTED, static_cast<int>(dest_.size()), dest_.empty() ? &dummy : dest_.data(),
                      MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &graph_),
                  "MPI_Dist_graph_create_adjacent");
    detail::check(MPI_Comm_set_errhandler(graph_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check(MPI_Type_contiguous(width_, MPI_UINT64_T, &record_), "MPI_Type_contiguous");
    detail::check(MPI_Type_commit(&record_), "MPI_Type_commit");
  }
  scount_.assign(dest_.size() + 1, 0);
  sdispl_.assign(dest_.size() + 1, 0);
  chunks_ = static_cast<std::size_t>(std::max(1, Kokkos::DefaultHostExecutionSpace().concurrency()));
  chunk_at_.assign(chunks_ * dest_.size() + 1, 0);
  rcount_.assign(src_.size() + 1, 0);
  rdispl_.assign(src_.size() + 1, 0);
}

SpikeExchange::~SpikeExchange() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && graph_ != MPI_COMM_NULL) MPI_Comm_free(&graph_);
  if (!finalized && record_ != MPI_DATATYPE_NULL) MPI_Type_free(&record_);
}

/// sendbuf_: each record once per subscribing rank, each destination's block in the order of
/// `local`. The records are split into contiguous chunks (one per host thread): each chunk
/// counts its records per destination, an exclusive scan (destination-major, then chunk)
/// gives every chunk its first slot in each block, and each chunk places its records in
/// order. A cell subscribes to a destination at most once, so each block holds its records
/// in input order whatever the number of chunks.
void SpikeExchange::pack(const std::uint64_t* local, std::size_t n) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  const std::size_t W = static_cast<std::size_t>(width_), D = dest_.size();
  const std::size_t C = std::max<std::size_t>(1, std::min(n, chunks_));
  cell_.resize(n);
  std::uint64_t* const cell = cell_.data();
  int* const at = chunk_at_.data();
  const std::uint32_t* const row = sub_row_.data();
  const std::uint32_t* const to = sub_to_.data();
  const SpikeExchange* const self = this;
  auto first = [n, C](std::size_t c) { return n * c / C; };
  Kokkos::parallel_for(
      "cajal::exchange::count", Kokkos::RangePolicy<Host>(0, C), [=](const std::size_t c) {
        int* const count = at + c * D;
        for (std::size_t d = 0; d < D; ++d) count[d] = 0;
        for (std::size_t k = first(c); k < first(c + 1); ++k) {
          const std::uint64_t li = cell[k] = self->local_index(spike_gid(local[k * W]));
          for (std::uint32_t e = row[li]; e < row[li + 1]; ++e) ++count[to[e]];
        }
      });
  int total = 0;
  for (std::size_t d = 0; d < D; ++d) {
    sdispl_[d] = total;
    for (std::size_t c = 0; c < C; ++c) {
      const int k = at[c * D + d];
      at[c * D + d] = total;
      total += k;
    }
    scount_[d] = total - sdispl_[d];
  }
  if (sendbuf_.size() < static_cast<std::size_t>(total) * W) sendbuf_.resize(2 * static_cast<std::size_t>(total) * W);
  std::uint64_t* const buf = sendbuf_.data();
  Kokkos::parallel_for(
      "cajal::exchange::place", Kokkos::RangePolicy<Host>(0, C), [=](const std::size_t c) {
        int* const next = at + c * D;
        for (std::size_t k = first(c); k < first(c + 1); ++k)
          for (std::uint32_t e = row[cell[k]]; e < row[cell[k] + 1]; ++e) {
            std::uint64_t* const rec = buf + static_cast<std::size_t>(next[to[e]]++) * W;
            for (std::size_t w = 0; w < W; ++w) rec[w] = local[k * W + w];
          }
      });
  Host().fence();
}

const std::vector<std::uint64_t>& SpikeExchange::exchange(const std::uint64_t* local, std::size_t n) {
  const std::size_t W = static_cast<std::size_t>(width_);
  incoming_.assign(local, local + n * W);
  if (graph_ == MPI_COMM_NULL) return incoming_;
  pack(local, n);

  detail::check(MPI_Neighbor_alltoall(scount_.data(), 1, MPI_INT, rcount_.data(), 1, MPI_INT, graph_),
                "MPI_Neighbor_alltoall");
  int rtotal = 0;
  for (std::size_t s = 0; s < src_.size(); ++s) {
    rdispl_[s] = rtotal;
    rtotal += rcount_[s];
  }
  incoming_.resize((n + static_cast<std::size_t>(rtotal)) * W);
  detail::check(MPI_Neighbor_alltoallv(sendbuf_.data(), scount_.data(), sdispl_.data(), record_,
                                       incoming_.data() + n * W, rcount_.data(), rdispl_.data(), record_, graph_),
                "MPI_Neighbor_alltoallv");
  return incoming_;
}

}  // namespace cajal
