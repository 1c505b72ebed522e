// The dry run's half of SpikeExchange (exchange/spike_exchange.hpp, "Dry run"): the other
// ranks' subscriptions to this rank's cells, found by replaying their draws, and the
// stand-in records that take the place of what they would send.
#include <algorithm>
#include <chrono>
#include <string>

#include "exchange/round_ids.hpp"
#include "exchange/spike_exchange.hpp"
#include "model/population.hpp"

namespace cajal {

namespace {
SpikeExchange::ReplayFigures g_replay;
}  // namespace

const SpikeExchange::ReplayFigures& SpikeExchange::replay_figures() { return g_replay; }

std::vector<std::uint64_t> SpikeExchange::replayed_in(const std::vector<Block>& blocks, std::uint64_t lo,
                                                      std::uint64_t hi, std::vector<std::uint64_t>& got) const {
  got.assign(static_cast<std::size_t>(ranks_), 0);
  std::uint64_t n = 0;
  for (const Block& b : blocks) {
    const auto first = std::lower_bound(b.gids.begin(), b.gids.end(), lo);
    const auto end = std::lower_bound(first, b.gids.end(), hi);
    RoundIds::List list;
    for (auto it = first; it != end; ++it) list.count(*it - lo);
    n += list.words() * b.ranks.size();
  }
  std::vector<std::uint64_t> asked;  // coded as sent (RoundIds)
  asked.reserve(n);  // at its size, as the all-to-all's output is
  std::vector<std::uint64_t> one;
  for (const Block& b : blocks) {  // blocks and their ranks ascending: the order of an all-to-all
    const auto first = std::lower_bound(b.gids.begin(), b.gids.end(), lo);
    const auto end = std::lower_bound(first, b.gids.end(), hi);
    one.clear();
    RoundIds::List list;
    for (auto it = first; it != end; ++it) list.push(one, *it - lo);
    for (const int r : b.ranks) {
      got[static_cast<std::size_t>(r)] = one.size();
      asked.insert(asked.end(), one.begin(), one.end());
    }
  }
  return asked;
}

/// The ranks other than this one whose synapses of the deck's projections `specs` may have
/// a source among this rank's cells, ascending. All ranks, unless every projection is a
/// distance rule: then a target lies within the cutoff of a local cell, so its rank's brick
/// meets the bounding box of the local pre cells grown by the cutoff.
std::vector<int> SpikeExchange::possible_subscribers(const Deck& deck, const std::vector<int>& specs, int P,
                                                     int me) const {
  std::vector<char> maybe(static_cast<std::size_t>(P), 0);
  bool all = specs.empty();
  const Bricks& bricks = part_.bricks();
  for (const int j : specs) {
    const ProjectionSpec& spec = deck.projections[j];
    if (spec.rule != ProjectionSpec::Rule::distance || !(spec.cutoff > 0)) {
      all = true;
      break;
    }
    const int pre = deck.population_index(spec.pre);
    Point lo{0, 0, 0}, hi{0, 0, 0};
    bool any = false;
    for (const std::uint64_t id : part_.local(pre)) {
      const Point x = part_.position(pre, id);
      for (int d = 0; d < 3; ++d) {
        lo[d] = any ? std::min(lo[d], x[d]) : x[d];
        hi[d] = any ? std::max(hi[d], x[d]) : x[d];
      }
      any = true;
    }
    if (!any) continue;
    std::array<int, 3> c0{}, c1{};
    for (int d = 0; d < 3; ++d) {
      c0[d] = bricks.coord_along(lo[d] - spec.cutoff, d);
      c1[d] = bricks.coord_along(hi[d] + spec.cutoff, d);
    }
    for (int z = c0[2]; z <= c1[2]; ++z)
      for (int y = c0[1]; y <= c1[1]; ++y)
        for (int x = c0[0]; x <= c1[0]; ++x) maybe[static_cast<std::size_t>(bricks.rank_at({x, y, z}))] = 1;
  }
  std::vector<int> ranks;
  for (int q = 0; q < P; ++q)
    if (q != me && (all || maybe[static_cast<std::size_t>(q)])) ranks.push_back(q);
  return ranks;
}

std::vector<SpikeExchange::Block> SpikeExchange::replay_subscriptions(const Communicator& comm,
                                                                     const std::vector<const Projection*>& projections,
                                                                     const Replay& replay,
                                                                     std::vector<std::uint64_t>& counts) const {
  const auto t0 = std::chrono::steady_clock::now();
  const Deck& deck = part_.deck();
  const int P = comm.size(), me = comm.rank();
  // The deck's projections this exchange carries: the same populations and kind of record
  // (static spikes, spikes with their source's state, SIC, gap junctions).
  std::vector<int> specs;
  for (std::size_t j = 0; j < deck.projections.size(); ++j) {
    const ProjectionSpec& spec = deck.projections[j];
    const bool stateful = spec.synapse.plastic() || spec.synapse.stp() || spec.synapse.glio();
    for (const Projection* pj : projections)
      if (pj->pre == deck.population_index(spec.pre) && pj->post == deck.population_index(spec.post) &&
          pj->sic == spec.synapse.sic() && pj->gap == spec.synapse.gap() && pj->stateful() == stateful) {
        specs.push_back(static_cast<int>(j));
        break;
      }
  }
  // The gids of this rank's cells that rank q's synapses name, sorted, distinct.
  auto subscriptions_of = [&](int q) {
    const Partition other(deck, P, q);
    std::vector<std::uint64_t> gids;
    if (replay)
      for (const std::uint64_t g : replay(other)) {
        const int pop = part_.population_of(g);
        if (part_.owns(pop, g - part_.first_gid(pop))) gids.push_back(g);
      }
    for (const int j : replay ? std::vector<int>{} : specs) {
      const int pre = deck.population_index(deck.projections[j].pre);
      // A search of this rank's cells: the draws name any cell, in no order, and a walk
      // down the placement tree per draw was most of a dry run's time at 10^4 ranks.
      const auto mine = [&](std::uint64_t id) { return part_.owns(pre, id); };
      for (const std::uint64_t id : projection_sources(deck, other, j, mine)) gids.push_back(part_.first_gid(pre) + id);
    }
    std::sort(gids.begin(), gids.end());
    gids.erase(std::unique(gids.begin(), gids.end()), gids.end());
    return gids;
  };
  // Replaying one rank costs that rank's connection draws, so at most `peers` ranks are
  // replayed. When more ranks may subscribe, they are cut into `peers` consecutive blocks
  // and the middle rank of each block is replayed for the whole block: an estimate of the
  // same statistics (for random rules every rank draws alike), exact for the replayed ones.
  const auto* dry = dynamic_cast<const DryRunCommunicator*>(&comm);
  const std::vector<int> cand = possible_subscribers(deck, replay ? std::vector<int>{} : specs, P, me);
  const std::size_t C = cand.size();
  const std::size_t M = std::min<std::size_t>(C, static_cast<std::size_t>(std::max(1, dry ? dry->peers() : P)));
  std::vector<Block> blocks(M);
  counts.assign(static_cast<std::size_t>(P), 0);
  for (std::size_t b = 0; b < M; ++b) {
    const std::size_t first = (b * C + M - 1) / M, end = ((b + 1) * C + M - 1) / M;
    blocks[b].gids = subscriptions_of(cand[(first + end - 1) / 2]);
    for (std::size_t i = first; i < end; ++i) {
      counts[static_cast<std::size_t>(cand[i])] = blocks[b].gids.size();
      blocks[b].ranks.push_back(cand[i]);
    }
  }
  g_replay.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_replay.possible = std::max<std::uint64_t>(g_replay.possible, C);
  g_replay.replayed = std::max<std::uint64_t>(g_replay.replayed, M);
  return blocks;
}

/// The local cell that remote source k of population p (of m such sources from one rank)
/// stands in for: the local cells of p spread evenly, or of any population when p has none
/// here; no_cell when this rank has no cells at all.
std::uint64_t SpikeExchange::standin_cell(int p, std::uint64_t m, std::uint64_t k) const {
  const std::uint64_t np = part_.local(p).size(), nlocal = pop_offset_.back();
  const std::uint64_t base = np > 0 ? pop_offset_[p] : 0, span = np > 0 ? np : nlocal;
  return span == 0 ? no_cell : base + k * span / m;
}

void SpikeExchange::start_standins(std::vector<std::vector<std::uint64_t>> sources) {
  const auto t0 = std::chrono::steady_clock::now();  // counted with the replay: a real rank builds no stand-ins
  // Each row's length follows from the counts alone; the ids are placed round by round
  // (add_standins), so no list of every remote source is held beside the tables.
  const std::uint64_t nlocal = pop_offset_.back();
  standin_m_ = std::move(sources);
  standin_k_.assign(standin_m_.size(), std::vector<std::uint64_t>(static_cast<std::size_t>(part_.populations()), 0));
  fake_row_.assign(nlocal + 1, 0);
  for (const auto& from : standin_m_)
    for (int p = 0; p < part_.populations(); ++p)
      for (std::uint64_t k = 0; k < from[p]; ++k) {
        const std::uint64_t cell = standin_cell(p, from[p], k);
        if (cell != no_cell) ++fake_row_[cell + 1];
      }
  for (std::uint64_t i = 0; i < nlocal; ++i) fake_row_[i + 1] += fake_row_[i];
  fake_gid_.resize(fake_row_.back());
  standin_next_.assign(fake_row_.begin(), fake_row_.end() - 1);
  g_replay.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void SpikeExchange::add_standins(const std::vector<std::vector<std::uint64_t>>& want, std::uint64_t lo) {
  // By source rank, then population, then id (the ids ascend, and so do populations' gid
  // ranges): with one round, the order of a single pass over the whole lists.
  const auto t0 = std::chrono::steady_clock::now();  // counted with the replay
  for (std::size_t from = 0; from < want.size(); ++from) {
    int p = 0;
    for (RoundIds::Reader ids(want[from].data(), want[from].size()); !ids.done(); ids.advance()) {
      const std::uint64_t g = lo + ids.value();
      while (g >= part_.first_gid(p) + part_.size(p)) ++p;
      const std::uint64_t cell = standin_cell(p, standin_m_[from][p], standin_k_[from][p]++);
      if (cell != no_cell) fake_gid_[standin_next_[cell]++] = g;
    }
  }
  g_replay.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The dry run's stand-in for the neighbour collectives: the copies of local records under
/// the ids of the remote sources they stand in for, split over the rounds in the order they
/// are made (a stand-in's copies come in time order). Stand-in e copies the local records
/// of the interval `e mod dry_lags` intervals back (at their offsets in this interval):
/// copies of this interval's spikes alone would fire every remote source together with its
/// local twin and feed the burst back (it made the onset peak of brunel_small on 4 ranks
/// 1.6 times the real one); copies from up to 3 intervals back undershot it (0.88 on 8
/// ranks). Half and half: within 10 % on the decks of tests/dry_run.cmake.
std::uint64_t SpikeExchange::standin_interval(const std::uint64_t* local, std::size_t n) {
  const std::size_t W = static_cast<std::size_t>(width_);
  // past_[h]: the records (and their local cells) of the interval h back, this one at 0.
  std::rotate(past_.rbegin(), past_.rbegin() + 1, past_.rend());
  past_[0].records.assign(local, local + n * W);
  past_[0].cells.assign(cell_.begin(), cell_.begin() + static_cast<std::ptrdiff_t>(n));
  std::uint64_t copies = 0;
  for (std::size_t h = 0; h < past_.size(); ++h)
    for (const std::uint64_t c : past_[h].cells)
      for (std::uint32_t e = fake_row_[c]; e < fake_row_[c + 1]; ++e) copies += e % dry_lags == h;
  return copies;
}

std::uint64_t SpikeExchange::receive_standins(const std::uint64_t* local, std::size_t mine, std::uint64_t lo,
                                              std::uint64_t hi) {
  const std::size_t W = static_cast<std::size_t>(width_);
  std::uint64_t* rec = hold(local, mine, hi - lo);
  std::uint64_t made = 0;  // copies made so far in the interval, this round's from lo
  for (std::size_t h = 0; h < past_.size() && made < hi; ++h) {
    const auto& p = past_[h];
    for (std::size_t k = 0; k < p.cells.size() && made < hi; ++k)
      for (std::uint32_t e = fake_row_[p.cells[k]]; e < fake_row_[p.cells[k] + 1] && made < hi; ++e) {
        if (e % dry_lags != h || made++ < lo) continue;
        for (std::size_t w = 0; w < W; ++w) rec[w] = p.records[k * W + w];
        rec[0] = pack_spike(fake_gid_[e], spike_offset(p.records[k * W]));
        rec += W;
      }
  }
  return hi - lo;
}

}  // namespace cajal
