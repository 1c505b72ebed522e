#include "exchange/spike_exchange.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "exchange/round_ids.hpp"
#include "util/scratch.hpp"
#include "model/population.hpp"

namespace cajal {

namespace {
SpikeExchange::Traffic g_traffic;
double g_setup_seconds = 0;
std::vector<const SpikeExchange*>& live() {
  static std::vector<const SpikeExchange*> v;
  return v;
}
}  // namespace

void SpikeExchange::Subscribers::add_row(const std::uint32_t* slots, std::size_t n) {
  const auto put = [this](std::uint8_t b) { bytes_.push_back(b); };
  const auto gap = [slots](std::size_t k) { return slots[k] - (k ? slots[k - 1] + 1 : 0); };
  if (n > 0) {
    std::uint64_t as_gaps = 1;
    for (std::size_t k = 0; k < n; ++k) as_gaps += leb128::size(gap(k));
    const std::uint64_t as_bitmap = 1 + leb128::size(slots[0]) + (slots[n - 1] - slots[0]) / 8 + 1;
    if (as_bitmap < as_gaps) {
      bytes_.push_back(bitmap);
      leb128::write(slots[0], put);
      const std::size_t at = bytes_.size();
      bytes_.resize(at + (slots[n - 1] - slots[0]) / 8 + 1, 0);
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t bit = slots[k] - slots[0];
        bytes_[at + bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
      }
    } else {
      bytes_.push_back(gaps);
      for (std::size_t k = 0; k < n; ++k) leb128::write(gap(k), put);
    }
  }
  row_.push_back(bytes_.size());
}

const SpikeExchange::Traffic& SpikeExchange::traffic() { return g_traffic; }

double SpikeExchange::setup_seconds() { return g_setup_seconds; }

std::uint64_t SpikeExchange::tables() const {
  auto b = [](const auto& v) { return static_cast<std::uint64_t>(v.size() * sizeof(v[0])); };
  return b(dest_) + b(src_) + b(pop_offset_) + subscribers_.bytes() + b(scount_) + b(sdispl_) + b(sround_) +
         b(slice_lo_) + b(rcount_) + b(rround_) + b(rdispl_) + b(chunk_at_) + b(chunk_next_);
}

SpikeExchange::Buffers& SpikeExchange::buffers() {
  static Buffers b;
  return b;
}

std::uint64_t SpikeExchange::buffer_bytes() {
  // The tables at their size; the shared buffers at the most an exchange held in them (not
  // their capacity: the headroom of sendbuf_ and the vectors' growth would make the figure
  // jump with the spike count of one interval).
  std::uint64_t tables = 0, sent = 0, held = 0, local = 0;
  for (const SpikeExchange* x : live()) {
    tables += x->tables();
    sent = std::max(sent, x->most_sent_);
    held = std::max(held, x->most_held_);
    local = std::max(local, x->most_local_);
  }
  return tables + 8 * (sent + held + local);
}

std::uint64_t SpikeExchange::table_bytes() {
  std::uint64_t n = 0;
  for (const SpikeExchange* x : live()) n += x->tables();
  return n;
}

std::uint64_t SpikeExchange::standin_bytes() {
  std::uint64_t n = 0;
  for (const SpikeExchange* x : live()) {
    n += x->fake_row_.capacity() * sizeof(std::uint32_t) + x->fake_gid_.capacity() * sizeof(std::uint64_t);
    for (const auto& p : x->past_) n += (p.records.capacity() + p.cells.capacity()) * sizeof(std::uint64_t);
  }
  return n;
}

SpikeExchange::Sources::Sources(const std::vector<const Projection*>& projections) {
  for (const Projection* pj : projections) {
    rows_.push_back(pj->rows.on_host());
    base_.push_back(pj->pre_first_gid);
  }
  at_.resize(rows_.size());
  gid_.resize(rows_.size());
  restart();
}

std::uint64_t SpikeExchange::setup_gids() {
  constexpr std::uint64_t most = std::uint64_t(1) << 22;
  static const std::uint64_t n = [most] {
    const char* v = std::getenv("CAJAL_TEST_SETUP_GIDS");
    const std::uint64_t x = v && *v ? std::strtoull(v, nullptr, 10) : most;
    return x > 0 ? std::min(x, most) : most;
  }();
  return n;
}

std::uint64_t SpikeExchange::local_below(std::uint64_t gid) const {
  std::uint64_t n = 0;
  for (int p = 0; p < part_.populations(); ++p) {
    const std::uint64_t first = part_.first_gid(p);
    if (gid <= first) continue;
    const auto& ids = part_.local(p);
    n += static_cast<std::uint64_t>(std::lower_bound(ids.begin(), ids.end(), gid - first) - ids.begin());
  }
  return n;
}

void SpikeExchange::count(std::uint64_t local, std::uint64_t records_sent, std::uint64_t records_received,
                          std::uint64_t rounds, std::uint64_t most_sent, std::uint64_t most_held) {
  const std::uint64_t W = 8 * static_cast<std::uint64_t>(width_);
  most_sent_ = std::max<std::uint64_t>(most_sent_, most_sent * width_);
  most_held_ = std::max<std::uint64_t>(most_held_, most_held * width_);
  most_local_ = std::max<std::uint64_t>(most_local_, local);
  g_traffic.messages_sent += (1 + rounds) * dest_.size();
  g_traffic.messages_received += (1 + rounds) * src_.size();
  g_traffic.bytes_sent += 4 * dest_.size() + W * records_sent;
  g_traffic.bytes_received += 4 * src_.size() + W * records_received;
}

std::uint64_t SpikeExchange::local_index(std::uint64_t gid) const {
  const int pop = part_.population_of(gid);
  const auto& ids = part_.local(pop);
  const std::uint64_t id = gid - part_.first_gid(pop);
  return pop_offset_[pop] + static_cast<std::uint64_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
}

SpikeExchange::SpikeExchange(const Communicator& comm, const Partition& part,
                             const std::vector<const Projection*>& projections, int width, Replay replay)
    : part_(part), width_(width), dry_(dynamic_cast<const DryRunCommunicator*>(&comm) != nullptr) {
  live().push_back(this);
  const auto t_setup = std::chrono::steady_clock::now();
  const double replay_before = replay_figures().seconds;
  const int P = comm.size(), me = comm.rank();
  ranks_ = P;
  pop_offset_.assign(part.populations() + 1, 0);
  for (int p = 0; p < part.populations(); ++p) pop_offset_[p + 1] = pop_offset_[p] + part.local(p).size();

  // The subscriptions, in rounds over the gid space (the same on every rank: from the
  // number of cells), each round one all-to-all of the sources this rank needs whose ids
  // fall in the round's range, by owner (its own cells need no subscription). At 10^4
  // ranks a rank's synapses have ~10^8 distinct sources: sent in one piece, that list and
  // the subscriptions received for it held ~16 bytes per synapse at once, the peak of the
  // build; a round holds at most setup_gids() ids of each.
  const std::uint64_t total = part.total_cells();
  const std::uint64_t per_round = setup_gids();
  const std::uint64_t rounds = std::max<std::uint64_t>(1, (total + per_round - 1) / per_round);
  Sources sources(projections);
  Partition::Owners owners(part);  // the sources come ascending: one tree walk per tile
  const auto owner_of = [&](std::uint64_t g) {
    const int pop = part.population_of(g);
    return owners(pop, g - part.first_gid(pop));
  };

  // First, counts only: how many sources this rank asks each owner for, and (dry run, for
  // the stand-ins) of which population.
  std::vector<std::uint64_t> n_want(P, 0);
  std::vector<std::vector<std::uint64_t>> per_pop(dry_ ? P : 0, std::vector<std::uint64_t>(part.populations(), 0));
  sources.each_below(total, [&](std::uint64_t g) {
    const int o = owner_of(g);
    if (o == me) return;
    ++n_want[o];
    if (dry_) ++per_pop[o][part.population_of(g)];
  });
  for (int r = 0; r < P; ++r)
    if (n_want[r] > 0) src_.push_back(r);
  // How many of this rank's cells each rank asks for: an all-to-all of the counts (the dry
  // run: the replayed ranks' draws).
  std::vector<std::uint64_t> counts;
  std::vector<Block> blocks;
  if (dry_) {
    blocks = replay_subscriptions(comm, projections, replay, counts);
    start_standins(std::move(per_pop));
    past_.resize(dry_lags);
  } else {
    std::vector<std::vector<std::uint64_t>> n(P);
    for (int r = 0; r < P; ++r) n[r] = {n_want[r]};
    counts = comm.alltoallv(n);
  }
  std::vector<std::uint32_t> slot(P, 0);
  std::uint64_t subscriptions = 0;
  for (int r = 0; r < P; ++r)
    if (counts[r] > 0) {
      slot[r] = static_cast<std::uint32_t>(dest_.size());
      dest_.push_back(r);
      subscriptions += counts[r];
    }

  // Per local cell: the destination slots that subscribed to it (a row per cell, slots
  // ascending). Local cells are numbered in gid order, so each round adds the rows of the
  // cells in its range, after those of the rounds before.
  sources.restart();
  std::vector<std::vector<std::uint64_t>> want(P);
  std::vector<int> owner_in_round;  // the count pass's owners, read back by the fill pass
  std::vector<RoundIds::List> list(P);
  std::uint64_t c0 = 0;  // the first local cell of this round
  for (std::uint64_t k = 0; k < rounds; ++k) {
    const std::uint64_t lo = k * per_round, hi = std::min(total, lo + per_round);
    // The round's lists, each allocated once at its size (counted first, then filled from
    // the same position of the merge): grown by doubling they held up to twice as much.
    // The owners found while counting are kept for the fill (4 bytes per source of the
    // round, at most 2^22, gone before the requests come): an owner costs a placement
    // draw, ~a third of the setup at 10^4 ranks.
    const Sources::Position start = sources.position();
    std::fill(list.begin(), list.end(), RoundIds::List());
    owner_in_round.clear();
    owner_in_round.reserve(hi - lo);  // room only: the pages are touched as owners come
    sources.each_below(hi, [&](std::uint64_t g) {
      const int o = owner_of(g);
      owner_in_round.push_back(o);
      if (o != me) list[o].count(g - lo);
    });
    for (int r = 0; r < P; ++r) want[r].reserve(list[r].words());
    std::fill(list.begin(), list.end(), RoundIds::List());
    sources.seek(start);
    const int* next_owner = owner_in_round.data();
    sources.each_below(hi, [&](std::uint64_t g) {
      const int o = *next_owner++;
      if (o != me) list[o].push(want[o], g - lo);
    });
    std::vector<int>().swap(owner_in_round);
    std::vector<std::uint64_t> got;  // per rank, words
    const std::vector<std::uint64_t> asked = dry_ ? replayed_in(blocks, lo, hi, got) : comm.alltoallv(want, &got);
    if (dry_) add_standins(want, lo);
    for (auto& w : want) std::vector<std::uint64_t>().swap(w);
    // After the first round's lists are freed: with one round, never beside them.
    if (k == 0) subscribers_.reserve(subscriptions, pop_offset_.back(), dest_.size());
    // The round's rows, in cell order. `asked` is each rank's requests (got[r] words of
    // RoundIds, ascending), one rank after another, ranks ascending. A cell's subscribers are the
    // ranks whose next request names it, read off in rank (so slot) order with a reader per
    // rank: nothing per subscription is held beside the requests themselves. (A table of
    // slots by cell, 4 bytes a subscription, was a third of the setup's peak at 10^4 ranks.)
    const std::uint64_t c1 = local_below(hi);
    std::vector<int> from;               // the ranks that asked for cells of this round
    std::vector<RoundIds::Reader> next;  // and their requests not yet read off
    for (std::uint64_t r = 0, at = 0; r < static_cast<std::uint64_t>(P); at += got[r], ++r)
      if (got[r] > 0) {
        from.push_back(static_cast<int>(r));
        next.emplace_back(asked.data() + at, got[r]);
      }
    std::vector<std::uint32_t> row;
    row.reserve(from.size());
    int p = 0;
    for (std::uint64_t i = c0; i < c1; ++i) {
      while (i >= pop_offset_[p + 1]) ++p;
      const std::uint64_t g = part.first_gid(p) + part.local(p)[i - pop_offset_[p]] - lo;
      row.clear();
      for (std::size_t q = 0; q < from.size(); ++q)
        if (!next[q].done() && next[q].value() == g) {
          row.push_back(slot[from[q]]);
          next[q].advance();
        }
      subscribers_.add_row(row.data(), row.size());
    }
    for (std::size_t q = 0; q < from.size(); ++q)
      if (!next[q].done())
        throw std::logic_error("SpikeExchange: rank " + std::to_string(from[q]) + " asked for gid " +
                               std::to_string(lo + next[q].value()) +
                               ", not a cell of this rank in the round's range");
    c0 = c1;
  }
  if (dry_) {
    std::vector<std::uint32_t>().swap(standin_next_);
    standin_m_.clear();
    standin_k_.clear();
  }

  if (P > 1 && !dry_) {
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
  sround_.assign(dest_.size() + 1, 0);
  slice_lo_.assign(dest_.size() + 1, 0);
  chunks_ = static_cast<std::size_t>(std::max(1, Kokkos::DefaultHostExecutionSpace().concurrency()));
  chunk_at_.assign(chunks_ * dest_.size() + 1, 0);
  chunk_next_.assign(chunks_ * dest_.size() + 1, 0);
  rcount_.assign(src_.size() + 1, 0);
  rround_.assign(src_.size() + 1, 0);
  rdispl_.assign(src_.size() + 1, 0);
  g_setup_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count() -
                     (replay_figures().seconds - replay_before);
}

SpikeExchange::~SpikeExchange() {
  live().erase(std::find(live().begin(), live().end(), this));
  if (live().empty()) buffers() = Buffers();  // the last exchange gives the shared buffers back
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && graph_ != MPI_COMM_NULL) MPI_Comm_free(&graph_);
  if (!finalized && record_ != MPI_DATATYPE_NULL) MPI_Type_free(&record_);
}

/// Packing, pass 1: cell_ (each record's local cell), scount_ (the interval's records per
/// destination), and chunk_at_ (per chunk and destination: the chunk's first place in the
/// destination's block). The records are split into contiguous chunks (one per host
/// thread); a chunk's places follow those of the chunks before it (destination-major
/// scan), so each block holds its records in input order whatever the number of chunks: a
/// cell subscribes to a destination at most once.
std::uint64_t SpikeExchange::count_records(const std::uint64_t* local, std::size_t n) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  const std::size_t W = static_cast<std::size_t>(width_), D = dest_.size();
  const std::size_t C = std::max<std::size_t>(1, std::min(n, chunks_));
  resize_scratch(cell_, n);
  std::uint64_t* const cell = cell_.data();
  int* const at = chunk_at_.data();
  const Subscribers* const subs = &subscribers_;
  const SpikeExchange* const self = this;
  auto first = [n, C](std::size_t c) { return n * c / C; };
  Kokkos::parallel_for(
      "cajal::exchange::count", Kokkos::RangePolicy<Host>(0, C), [=](const std::size_t c) {
        int* const count = at + c * D;
        for (std::size_t d = 0; d < D; ++d) count[d] = 0;
        for (std::size_t k = first(c); k < first(c + 1); ++k) {
          const std::uint64_t li = cell[k] = self->local_index(spike_gid(local[k * W]));
          subs->each(li, [&](std::uint32_t d) { ++count[d]; });
        }
      });
  Host().fence();
  std::uint64_t total = 0;
  for (std::size_t d = 0; d < D; ++d) {
    int in_block = 0;
    for (std::size_t c = 0; c < C; ++c) {
      const int k = at[c * D + d];
      at[c * D + d] = in_block;
      in_block += k;
    }
    scount_[d] = in_block;
    total += static_cast<std::uint64_t>(in_block);
  }
  used_chunks_ = C;
  return total;
}

/// Packing, pass 2, for round r of R: into sendbuf_, per destination d, the records whose
/// places in d's block lie in the round's slice of it, [scount_[d] r / R, scount_[d] (r+1) / R)
/// (in order: the block split into R consecutive pieces). Sets sround_ and sdispl_.
void SpikeExchange::place_round(const std::uint64_t* local, std::size_t n, std::uint64_t r, std::uint64_t R) {
  using Host = Kokkos::DefaultHostExecutionSpace;
  const std::size_t W = static_cast<std::size_t>(width_), D = dest_.size();
  const std::size_t C = used_chunks_;
  int total = 0;
  for (std::size_t d = 0; d < D; ++d) {
    const int lo = slice(scount_[d], r, R), hi = slice(scount_[d], r + 1, R);
    slice_lo_[d] = lo;
    sdispl_[d] = total;
    sround_[d] = hi - lo;
    total += hi - lo;
  }
  sdispl_[D] = total;
  // Every word placed is written below: the buffer is only ever grown (never zeroed again
  // for a smaller round), a quarter more than asked, unwritten (util/scratch.hpp).
  const std::size_t words = static_cast<std::size_t>(total) * W;
  if (sendbuf_.size() < words) resize_scratch(sendbuf_, words);
  std::uint64_t* const buf = sendbuf_.data();
  const std::uint64_t* const cell = cell_.data();
  const int* const at = chunk_at_.data();
  int* const next_all = chunk_next_.data();
  const int *const lo = slice_lo_.data(), *const len = sround_.data(), *const displ = sdispl_.data();
  const Subscribers* const subs = &subscribers_;
  auto first = [n, C](std::size_t c) { return n * c / C; };
  Kokkos::parallel_for(
      "cajal::exchange::place", Kokkos::RangePolicy<Host>(0, C), [=](const std::size_t c) {
        int* const next = next_all + c * D;
        for (std::size_t d = 0; d < D; ++d) next[d] = at[c * D + d];
        for (std::size_t k = first(c); k < first(c + 1); ++k)
          subs->each(cell[k], [&](std::uint32_t d) {
            // The record's place in the round's piece of d's block (unsigned: below the
            // slice wraps past its length).
            const unsigned in_slice = static_cast<unsigned>(next[d]++ - lo[d]);
            if (in_slice >= static_cast<unsigned>(len[d])) return;
            std::uint64_t* const rec = buf + (static_cast<std::size_t>(displ[d]) + in_slice) * W;
            for (std::size_t w = 0; w < W; ++w) rec[w] = local[k * W + w];
          });
      });
  Host().fence();
}

std::vector<std::uint64_t>& SpikeExchange::exchange(const std::uint64_t* local, std::size_t n) {
  std::vector<std::uint64_t>* all = nullptr;
  run(local, n, false, [&](std::vector<std::uint64_t>& records) { all = &records; });
  return *all;
}

void SpikeExchange::exchange(const std::uint64_t* local, std::size_t n, const Take& take) { run(local, n, true, take); }

std::uint64_t SpikeExchange::rounds_for(std::uint64_t sent, std::uint64_t received) const {
  if (round_words_ == 0) return 1;
  const std::uint64_t most = std::max(sent, received) * static_cast<std::uint64_t>(width_);
  return std::max<std::uint64_t>(1, (most + round_words_ - 1) / round_words_);
}

void SpikeExchange::run(const std::uint64_t* local, std::size_t n, bool bounded, const Take& take) {
  const std::size_t W = static_cast<std::size_t>(width_);
  const bool standin = dry_ && ranks_ > 1;
  if (!standin && graph_ == MPI_COMM_NULL) {
    incoming_.assign(local, local + n * W);
    take(incoming_);
    return;
  }
  const std::uint64_t sent = count_records(local, n);
  const std::uint64_t received = standin ? standin_interval(local, n) : receive_counts();
  // The rounds: as many as the rank that needs the most (every rank takes part in each
  // round's neighbour collective); the dry run's its own (its job's ranks all fire like it).
  std::uint64_t R = bounded ? rounds_for(sent, received) : 1;
  if (bounded && !standin)
    detail::check(MPI_Allreduce(MPI_IN_PLACE, &R, 1, MPI_UINT64_T, MPI_MAX, graph_), "MPI_Allreduce");
  std::uint64_t most_sent = 0, most_held = 0;
  for (std::uint64_t r = 0; r < R; ++r) {
    place_round(local, n, r, R);
    const std::size_t mine = r == 0 ? n : 0;  // this rank's own records lead the first round
    const std::uint64_t got = standin ? receive_standins(local, mine, received * r / R, received * (r + 1) / R)
                                      : receive_round(local, mine, r, R);
    most_sent = std::max<std::uint64_t>(most_sent, static_cast<std::uint64_t>(sdispl_[dest_.size()]));
    most_held = std::max<std::uint64_t>(most_held, mine + got);
    take(incoming_);
  }
  count(n, sent, received, R, most_sent, most_held);
}

std::uint64_t SpikeExchange::receive_counts() {
  detail::check(MPI_Neighbor_alltoall(scount_.data(), 1, MPI_INT, rcount_.data(), 1, MPI_INT, graph_),
                "MPI_Neighbor_alltoall");
  std::uint64_t received = 0;
  for (std::size_t s = 0; s < src_.size(); ++s) received += static_cast<std::uint64_t>(rcount_[s]);
  return received;
}

std::uint64_t* SpikeExchange::hold(const std::uint64_t* local, std::size_t mine, std::uint64_t got) {
  const std::size_t W = static_cast<std::size_t>(width_);
  resize_scratch(incoming_, (mine + static_cast<std::size_t>(got)) * W);
  std::copy(local, local + mine * W, incoming_.begin());
  return incoming_.data() + mine * W;
}

std::uint64_t SpikeExchange::receive_round(const std::uint64_t* local, std::size_t mine, std::uint64_t r,
                                           std::uint64_t R) {
  int got = 0;
  for (std::size_t s = 0; s < src_.size(); ++s) {
    rdispl_[s] = got;
    rround_[s] = slice(rcount_[s], r + 1, R) - slice(rcount_[s], r, R);
    got += rround_[s];
  }
  std::uint64_t* const in = hold(local, mine, static_cast<std::uint64_t>(got));
  detail::check(MPI_Neighbor_alltoallv(sendbuf_.data(), sround_.data(), sdispl_.data(), record_, in, rround_.data(),
                                       rdispl_.data(), record_, graph_),
                "MPI_Neighbor_alltoallv");
  return static_cast<std::uint64_t>(got);
}

}  // namespace cajal
