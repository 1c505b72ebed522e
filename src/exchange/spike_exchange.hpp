#pragma once
// Spike exchange: once per communication interval, every rank sends each spike of a
// local cell to exactly the ranks that host targets of that cell.
//
// Lifecycle (collective): at construction every rank lists the sources its local synapses
// need, and tells each source's owner (all-to-alls at build time: the counts, then the ids
// in rounds of at most 2^22 gids, so the lists never hold the whole). The owners keep, per
// local cell, the list of subscribing ranks. A distributed-graph communicator over
// the pairs of ranks that exchange anything carries the per-interval traffic with
// neighbourhood collectives (a count, then the spikes), so local connectivity costs local
// traffic and dense random connectivity becomes all-to-all.
//
// A rank's own spikes never go through MPI: they are always part of what it delivers.
//
// A record is `width` 64-bit words whose first word is a packed spike (gid, offset): 1 for
// spikes into static synapses, 2 and more for spikes into stateful ones (the source's
// presynaptic state follows, sim/presynaptic_state.hpp), 1 + m for the graded SIC output
// of astrocytes (the values' bits follow). One object per kind of record, each built from
// the projections that carry that kind.
//
// Dry run (`cajal run --dry-run P`, on a DryRunCommunicator: rank r of P in one process):
// no MPI. The subscriptions to this rank's cells are found by replaying the other ranks'
// draws (projection_sources on each rank's partition, one rank at a time: O(local)
// memory), so the neighbour lists, and with them the messages per interval, are those of
// the real rank; what it sends is packed exactly as in a real run. At most
// DryRunCommunicator::peers() ranks are replayed (see replay_subscriptions: exact while
// the ranks that may subscribe fit, else each replayed rank stands for a block). What it
// would receive is made up, as Arbor's dry run does: every source this rank subscribes to
// stands in for one local cell of its population (spread evenly), and each local spike is
// copied, with the stand-in's id, for every source it stands in for (from this interval or
// the one before, see standin_interval). The received volume is then that of a job whose ranks
// all fire like this one, and delivery does that much work.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "cajal/parallel/communicator.hpp"

#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "network/connectivity.hpp"
#include "util/leb128.hpp"

namespace cajal {

class SpikeExchange {
public:
  /// Dry run: the global ids whose records rank `other` (its partition) needs, for an
  /// exchange whose projections are not the deck's own (gliotransmission's link).
  using Replay = std::function<std::vector<std::uint64_t>(const Partition& other)>;

  /// `replay`: used by a dry run only; empty: the deck's projections with the populations
  /// and kind of record of `projections` are replayed.
  SpikeExchange(const Communicator& comm, const Partition& part, const std::vector<const Projection*>& projections,
                int width = 1, Replay replay = {});
  ~SpikeExchange();
  SpikeExchange(const SpikeExchange&) = delete;
  SpikeExchange& operator=(const SpikeExchange&) = delete;

  /// Collective. `local` holds this rank's n records of the interval; returns them
  /// followed by every record received from other ranks (n_total × width words), in one
  /// round whatever its size. The returned buffer stays valid until the next call of any
  /// exchange of the process (they share their buffers, see Buffers), and the caller may
  /// reorder it in place (delivery sorts it instead of copying it).
  std::vector<std::uint64_t>& exchange(const std::uint64_t* local, std::size_t n);

  /// Collective. The same records in rounds of about round_bytes() at most, sent and
  /// received by each rank (set_round_bytes; one round when it is 0): `take` is called once
  /// a round with that round's records (this rank's own lead the first), which it may
  /// reorder in place. The rounds are as many as the busiest rank needs (an MPI_Allreduce
  /// per interval agrees on them). Each pair of ranks splits its block of the interval
  /// into that many consecutive pieces, so a source's records come in time order across
  /// the rounds, and delivery that takes each round as it comes gives the bits of a single
  /// round: static synapses add in fixed point, a stateful one sees its spikes in time
  /// order. Without the bound, a rank's send and receive buffers follow the traffic of
  /// its busiest interval (~100 MB at 10^4 ranks for hpc_benchmark, more in a burst).
  using Take = std::function<void(std::vector<std::uint64_t>&)>;
  void exchange(const std::uint64_t* local, std::size_t n, const Take& take);
  /// Bytes a round of exchange(local, n, take) may hold sent, and received, at most (0:
  /// unbounded), give or take a record per neighbour.
  void set_round_bytes(std::uint64_t bytes) { round_words_ = bytes / 8; }
  std::uint64_t round_bytes() const { return 8 * round_words_; }
  int width() const { return width_; }

  /// Per-process traffic of every exchange since the start (neighbour messages: a count
  /// and a payload per round to each neighbour per call; bytes: the counts' 4 and the records'
  /// 8 × width each; a rank's own spikes are not traffic).
  struct Traffic {
    std::uint64_t messages_sent = 0, messages_received = 0, bytes_sent = 0, bytes_received = 0;
  };
  static const Traffic& traffic();
  /// Bytes of the subscription tables of every live exchange of this process and of the
  /// buffers they share (at the most any of them held so far), without the dry run's
  /// stand-in tables.
  static std::uint64_t buffer_bytes();
  /// Of those, the subscription tables: per local cell its subscribing ranks (a bit per
  /// rank where that is shorter), and per neighbour rank its counts. They grow with the
  /// ranks a cell's targets live on, up to P (the communicator's O(P) tables; 40 MiB for
  /// hpc_benchmark's most loaded rank at P = 16,384), not with the traffic.
  static std::uint64_t table_bytes();
  /// The dry run's stand-in tables (0 in a real run).
  static std::uint64_t standin_bytes();
  /// The dry run: the replay of the other ranks' draws and the stand-ins built from it
  /// (part of the build time, not spent by a real rank): seconds, ranks that may subscribe
  /// to this rank's cells, ranks replayed (the largest over the exchanges; equal when the
  /// subscriptions are exact).
  struct ReplayFigures {
    double seconds = 0;
    std::uint64_t possible = 0, replayed = 0;
  };
  static const ReplayFigures& replay_figures();
  /// Seconds this process spent in the exchanges' setup (their constructors: the
  /// subscriptions, which build the O(P) tables), less the dry run's replay and stand-ins.
  /// Part of the build time; at 10^4 ranks a sizeable part (the dry run reports it apart).
  static double setup_seconds();

  /// Per local cell, the destination slots subscribed to it, ascending, a row of bytes per
  /// cell in whichever of two codes is shorter (none for a cell without subscribers):
  ///  - gaps: a 0, then each slot as its gap from the one before in 7-bit groups (LEB128):
  ///    one byte per subscription while the gaps stay below 128;
  ///  - bitmap: a 1, the first slot (LEB128), then a bit per slot from there on, 8 to a
  ///    byte, low bit first: one bit per destination, whether it subscribed or not.
  /// At 10^4 ranks and more a rank holds ~10^8 subscriptions (32-bit slots took 400-500
  /// MB). With hpc_benchmark at P = 16,384 about half the ranks subscribe to each cell, so
  /// the bitmap takes ~2 bits per subscription where the gaps took 8.
  class Subscribers {
  public:
    static constexpr std::uint8_t gaps = 0, bitmap = 1;
    /// Appends the next cell's row: `n` slots, ascending.
    void add_row(const std::uint32_t* slots, std::size_t n);
    /// Room for `cells` rows of `subscriptions` in all to `destinations` slots: a byte per
    /// subscription or a bit per destination and cell, whichever is less (what the rows
    /// take while the gaps fit a byte), plus a code byte per row. Room never written costs
    /// no memory (the pages are not touched), so the rows are not shrunk to fit after the
    /// last: that copy was the peak of the setup at 16,384 ranks (two tables of ~18 MiB).
    void reserve(std::uint64_t subscriptions, std::uint64_t cells, std::uint64_t destinations) {
      bytes_.reserve(std::min(subscriptions, cells * (destinations / 8 + 4)) + cells);
    }
    /// Calls f(slot) for each slot subscribed to `cell`, ascending.
    template <class F>
    void each(std::uint64_t cell, const F& f) const {
      const std::uint8_t* p = bytes_.data() + row_[cell];
      const std::uint8_t* const end = bytes_.data() + row_[cell + 1];
      if (p == end) return;
      const std::uint8_t code = *p++;
      std::uint32_t next = 0;  // gaps: the smallest slot the row's next entry may be
      if (code == bitmap) {
        std::uint32_t first = static_cast<std::uint32_t>(leb128::read(p));
        for (; p < end; ++p, first += 8)
          for (unsigned b = *p; b != 0; b &= b - 1) f(first + static_cast<std::uint32_t>(__builtin_ctz(b)));
        return;
      }
      while (p < end) {
        const std::uint32_t gap = static_cast<std::uint32_t>(leb128::read(p));
        f(next + gap);
        next += gap + 1;
      }
    }
    std::uint64_t bytes() const { return row_.size() * sizeof(std::uint64_t) + bytes_.size(); }

  private:
    std::vector<std::uint64_t> row_{0};
    std::vector<std::uint8_t> bytes_;
  };

private:
  const Partition& part_;
  MPI_Comm graph_ = MPI_COMM_NULL;
  MPI_Datatype record_ = MPI_DATATYPE_NULL;
  int width_ = 1;
  std::vector<int> dest_, src_;                 // neighbour ranks
  std::vector<std::uint64_t> pop_offset_;       // rank-local cell numbering per population
  Subscribers subscribers_;
  // scount_, rcount_: records per neighbour in the interval; sround_, rround_ (with
  // sdispl_, rdispl_ and slice_lo_, the first place of the round's slice of each block):
  // in the round.
  std::vector<int> scount_, sdispl_, sround_, slice_lo_, rcount_, rround_, rdispl_;
  /// The buffers that follow the traffic: a round's records to send and those received (led
  /// by this rank's own), and each local record's cell. One set serves every exchange of
  /// the process: the exchanges of an interval run one after another, and each caller is
  /// done with a round before the next call, so the buffers are as large as the largest
  /// exchange needs instead of the sum (hpc_benchmark at 16,384 ranks: the static and the
  /// stateful exchange each fill a round of simulation.exchange_buffer_mib).
  struct Buffers {
    std::vector<std::uint64_t> send, incoming, cell;
  };
  static Buffers& buffers();
  std::vector<std::uint64_t>& sendbuf_ = buffers().send;
  std::vector<std::uint64_t>& incoming_ = buffers().incoming;
  std::vector<std::uint64_t>& cell_ = buffers().cell;  // local index of each record
  std::uint64_t round_words_ = 0;  // set_round_bytes / 8
  std::size_t chunks_ = 1;         // packing: the records split into at most this many chunks (host threads)
  std::size_t used_chunks_ = 1;    // this interval's
  std::vector<int> chunk_at_;      // per chunk and destination: its first place in the destination's block
  std::vector<int> chunk_next_;    // the same, as a round's placing goes

  // Dry run: per local cell, the remote sources it stands in for (CSR).
  bool dry_ = false;
  int ranks_ = 1;
  std::vector<std::uint32_t> fake_row_;
  std::vector<std::uint64_t> fake_gid_;
  // While they are built: remote sources per source rank and population, in all and placed
  // so far; each local cell's next free entry of fake_gid_.
  std::vector<std::vector<std::uint64_t>> standin_m_, standin_k_;
  std::vector<std::uint32_t> standin_next_;
  static constexpr std::uint64_t no_cell = ~std::uint64_t(0);
  static constexpr std::size_t dry_lags = 2;  // stand-ins copy spikes of this interval or the last
  struct Past {
    std::vector<std::uint64_t> records, cells;
  };
  std::vector<Past> past_;

  std::uint64_t local_index(std::uint64_t gid) const;
  /// Packing: pass 1 (returns the records to send in the interval), then one pass per round.
  std::uint64_t count_records(const std::uint64_t* local, std::size_t n);
  void place_round(const std::uint64_t* local, std::size_t n, std::uint64_t r, std::uint64_t R);
  /// The first k of c records in round r of R (a block's slice r is [slice(c, r), slice(c, r + 1))).
  static int slice(int c, std::uint64_t r, std::uint64_t R) {
    return static_cast<int>(static_cast<std::uint64_t>(c) * r / R);
  }
  /// The rounds this rank needs for `sent` and `received` records.
  std::uint64_t rounds_for(std::uint64_t sent, std::uint64_t received) const;
  /// Both forms of exchange (`bounded`: in rounds of round_bytes()), real or dry run.
  void run(const std::uint64_t* local, std::size_t n, bool bounded, const Take& take);
  /// The interval's records to receive: from the neighbours' counts (collective), or the
  /// dry run's stand-in copies of this interval's and the last one's local records.
  std::uint64_t receive_counts();
  std::uint64_t standin_interval(const std::uint64_t* local, std::size_t n);
  /// One round into incoming_ (this rank's `mine` records first, then `got` received), by
  /// the neighbour collective or as the dry run's stand-in copies number lo to hi of the
  /// interval; each returns the records received. hold: incoming_ sized and led by `mine`.
  std::uint64_t receive_round(const std::uint64_t* local, std::size_t mine, std::uint64_t r, std::uint64_t R);
  std::uint64_t receive_standins(const std::uint64_t* local, std::size_t mine, std::uint64_t lo, std::uint64_t hi);
  std::uint64_t* hold(const std::uint64_t* local, std::size_t mine, std::uint64_t got);
  /// Adds one call's traffic (its local records, the records sent and received in `rounds`
  /// rounds, the most a round sent and held) to traffic() and the high-water marks.
  void count(std::uint64_t local, std::uint64_t records_sent, std::uint64_t records_received, std::uint64_t rounds,
             std::uint64_t most_sent, std::uint64_t most_held);
  std::uint64_t most_sent_ = 0, most_held_ = 0, most_local_ = 0;  // words of sendbuf_, incoming_; cell_
  std::uint64_t tables() const;
  /// Ids of the subscription setup per round: at most 2^22 gids a round, so that a round's
  /// lists hold at most 2^22 ids each (sent as gaps between offsets from the round's first
  /// gid, RoundIds in spike_exchange.cpp), whatever the network's size (fewer with the test
  /// hook CAJAL_TEST_SETUP_GIDS, to run many rounds on a small network). The requests for
  /// a rank's cells come in the rounds of their gids: with hpc_benchmark at 16,384 ranks
  /// rounds of 2^24 brought all of the most loaded rank's E -> E requests at once (62 MiB
  /// of coded ids, then that rank's peak); rounds of 2^22 spread them over several. The
  /// record-sized network (1.73 × 10^9 cells) then takes 413 rounds.
  static std::uint64_t setup_gids();
  /// The distinct gids of the projections' source rows, ascending, merged from their sorted
  /// rows (their coded ids, read in place), in pieces: each_below(hi, f) calls f(gid) for those
  /// below hi not yet visited.
  class Sources {
  public:
    explicit Sources(const std::vector<const Projection*>& projections);
    template <class F>
    void each_below(std::uint64_t hi, const F& f) {
      for (;;) {
        std::uint64_t g = none;
        for (const std::uint64_t c : gid_) g = std::min(g, c);
        if (g == none || g >= hi) return;
        for (std::size_t i = 0; i < rows_.size(); ++i)
          if (gid_[i] == g) step(i, at_[i] + 1);
        f(g);
      }
    }
    void restart() { seek(Position(rows_.size(), 0)); }
    /// Where the merge stands, to visit the same ids again from there.
    using Position = std::vector<std::uint64_t>;
    Position position() const { return at_; }
    void seek(const Position& p) {
      for (std::size_t i = 0; i < rows_.size(); ++i) step(i, p[i]);
    }

  private:
    static constexpr std::uint64_t none = ~std::uint64_t(0);
    std::vector<HostSourceRows> rows_;
    std::vector<std::uint64_t> base_;
    std::vector<std::uint64_t> at_;   // per projection, the next row
    std::vector<std::uint64_t> gid_;  // and its source's gid (none: past the last)
    void step(std::size_t i, std::uint64_t r) {
      at_[i] = r;
      gid_[i] = r < rows_[i].rows() ? base_[i] + rows_[i].id(r) : none;
    }
  };
  /// Dry run: the subscriptions of one replayed rank (gids of this rank's cells, ascending),
  /// standing for the ranks `ranks` (consecutive, ascending).
  struct Block {
    std::vector<std::uint64_t> gids;
    std::vector<int> ranks;
  };
  /// Dry run: the replayed ranks' subscriptions to this rank's cells, by block, ascending
  /// by rank; `counts`[r]: how many rank r asks for.
  std::vector<Block> replay_subscriptions(const Communicator& comm, const std::vector<const Projection*>& projections,
                                          const Replay& replay, std::vector<std::uint64_t>& counts) const;
  /// Dry run: what one round's all-to-all would bring (gids in [lo, hi) as sent, coded
  /// by RoundIds in spike_exchange.cpp, concatenated by rank), `got`[r] words from rank r.
  std::vector<std::uint64_t> replayed_in(const std::vector<Block>& blocks, std::uint64_t lo, std::uint64_t hi,
                                         std::vector<std::uint64_t>& got) const;
  std::vector<int> possible_subscribers(const Deck& deck, const std::vector<int>& specs, int P, int me) const;
  /// Local cells whose gid is below `gid`.
  std::uint64_t local_below(std::uint64_t gid) const;
  /// Dry run: the stand-in rows from the number of remote sources per source rank and
  /// population, then their ids round by round (the lists of one round, by source rank, as
  /// sent: offsets from the round's first gid `lo`, coded by RoundIds).
  void start_standins(std::vector<std::vector<std::uint64_t>> sources);
  void add_standins(const std::vector<std::vector<std::uint64_t>>& want, std::uint64_t lo);
  std::uint64_t standin_cell(int p, std::uint64_t m, std::uint64_t k) const;
};

}  // namespace cajal
