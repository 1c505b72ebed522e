#pragma once
// Target-side synapse storage of one projection on one rank, and its construction.
//
// Layout (compressed rows by source): the rows list, ascending, the pre-population ids
// that have at least one target on this rank; the synapses of row r are
// begin(r) .. end(r)-1, ordered by local target. The ids and the rows' first synapses are
// Elias-Fano coded (SourceRows): at 10^4 ranks and more a rank's rows hold 1-2 synapses
// each, and as two 32-bit words a row's id and offset cost as much as its synapses. Per
// synapse only what varies is stored: the target's local index (2 bytes where the post
// population has at most 65,536 cells on the rank, else 4: Targets), plus a weight
// (float) and a delay (uint16 steps) only when the deck draws them from a distribution.
// A constant weight is kept once, in fixed point, so delivery adds exactly the same
// integer on every rank.
//
// Construction draws each target's incoming connections from a stream keyed by
// (seed, projection, target gid), twice: once to count synapses per source, once to fill.
// The second pass replays the same draws, so no temporary list of pairs is ever held.
// Both passes run on the host threads, over contiguous chunks of targets, and leave the
// same arrays on any number of threads: the draws depend on the target only, and each
// chunk writes its own slots of every row, in target order.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "synapse/stdp.hpp"
#include "synapse/tsodyks.hpp"
#include "model/astro.hpp"
#include "util/id_set.hpp"
#include "util/fixed_point.hpp"

namespace cajal {

/// A source row's id: population-local. The deck refuses a population of more than 2^32
/// cells (input/deck_population.cpp).
using SourceId = std::uint32_t;
/// A synapse's position in one projection's arrays on one rank: at most 2^32 - 1 synapses
/// per projection and rank (build_projection refuses more, as a usage_error).
using SynapseIndex = std::uint32_t;
/// The most synapses one projection may hold on one rank.
constexpr std::uint64_t max_synapses_per_rank = ~std::uint32_t(0);

/// A projection's source rows on one rank: the ids of the sources with a target here,
/// ascending, and where each row's synapses begin, both coded as an IdSet
/// (util/id_set.hpp: Elias-Fano, or a bitmap where that is smaller): under a byte a row at
/// 16,384 ranks of hpc_benchmark, where two 32-bit words took 8, and nothing at all where
/// every source has a target here.
template <class Memory>
struct SourceRowsIn {
  IdSetIn<Memory> ids;      // rows() values, below the pre population's size
  IdSetIn<Memory> offsets;  // rows() + 1 values, the last the number of synapses
  /// Row r's synapses: [b, e).
  struct Span {
    std::uint64_t b, e;
  };
  KOKKOS_INLINE_FUNCTION std::uint64_t rows() const { return ids.size(); }
  KOKKOS_INLINE_FUNCTION std::uint64_t id(std::uint64_t r) const { return ids(r); }
  /// The row of source `id` (population-local), or -1 when it has no target here.
  KOKKOS_INLINE_FUNCTION std::int64_t find(std::uint64_t id) const { return ids.find(id); }
  KOKKOS_INLINE_FUNCTION Span span(std::uint64_t r) const {
    const auto p = offsets.pair(r);
    return {p.first, p.second};
  }
  std::size_t bytes() const { return ids.bytes() + offsets.bytes(); }
  /// The same rows readable on the host (no copy on host backends).
  SourceRowsIn<Kokkos::HostSpace> on_host() const {
    return {ids.template in<Kokkos::HostSpace>(), offsets.template in<Kokkos::HostSpace>()};
  }

  /// Codes rows one at a time, ascending by id: `rows` rows of `synapses` synapses in all,
  /// from a population of `n_pre` cells.
  class Writer {
   public:
    /// Every row holds a synapse, unless there are none at all (a gliotransmission link's
    /// rows): then the offsets are all 0.
    Writer(std::uint64_t rows, std::uint64_t n_pre, std::uint64_t synapses)
        : ids_(rows, n_pre), offsets_(rows + 1, synapses + 1, synapses > 0) {}
    /// The next row: source `id`, its synapses from `first` on.
    void add(std::uint64_t id, std::uint64_t first) {
      ids_.push(id);
      offsets_.push(first);
    }
    /// The rows, given the end of the last one (the number of synapses).
    SourceRowsIn finish(std::uint64_t end) {
      offsets_.push(end);
      return {ids_.finish(), offsets_.finish()};
    }

   private:
    typename IdSetIn<Memory>::Writer ids_, offsets_;
  };
};
using SourceRows = SourceRowsIn<Kokkos::DefaultExecutionSpace::memory_space>;
using HostSourceRows = SourceRowsIn<Kokkos::HostSpace>;

/// Each synapse's target, the index of a local cell of the post population: 16-bit where
/// that population has at most 65,536 cells on this rank (`narrow`), else 32-bit (`wide`);
/// the other view is empty. At 10^4 ranks and more a rank holds ~10^4 cells and ~10^8
/// synapses: 2 bytes a synapse less (a sixth of an STDP synapse, a third of a static one).
template <class Memory>
struct TargetsIn {
  Kokkos::View<std::uint16_t*, Memory> narrow;
  Kokkos::View<std::uint32_t*, Memory> wide;
  /// The most local cells that narrow indices can name.
  static constexpr std::uint64_t narrow_cells = std::uint64_t(1) << 16;
  /// Synapse j's target (kernels that do much per synapse; delivery's inner loop reads
  /// the view of its width directly).
  KOKKOS_INLINE_FUNCTION std::uint32_t operator()(std::uint64_t j) const {
    return narrow.extent(0) ? std::uint32_t{narrow(j)} : wide(j);
  }
  KOKKOS_INLINE_FUNCTION std::uint64_t extent(int) const { return narrow.extent(0) + wide.extent(0); }
  std::size_t bytes() const { return narrow.extent(0) * sizeof(std::uint16_t) + wide.extent(0) * sizeof(std::uint32_t); }
  /// Views for `synapses` synapses into a population of `cells` local cells, uninitialised.
  static TargetsIn allocate(std::uint64_t synapses, std::uint64_t cells) {
    TargetsIn t;
    const auto alloc = Kokkos::view_alloc(Kokkos::WithoutInitializing, "cajal::projection::target");
    if (cells <= narrow_cells) t.narrow = Kokkos::View<std::uint16_t*, Memory>(alloc, synapses);
    else t.wide = Kokkos::View<std::uint32_t*, Memory>(alloc, synapses);
    return t;
  }
  /// The same targets readable on the host (no copy on host backends).
  TargetsIn<Kokkos::HostSpace> on_host() const {
    return {Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), narrow),
            Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), wide)};
  }
};
using Targets = TargetsIn<Kokkos::DefaultExecutionSpace::memory_space>;
using HostTargets = TargetsIn<Kokkos::HostSpace>;

struct Projection {
  int pre = 0, post = 0;  // population indices
  int receptor = 0;       // 0: excitatory / only port, 1: inhibitory, 2: SIC
  bool sic = false;       // astrocyte -> neuron SIC: carries graded values, not spikes
  bool gap = false;       // astrocyte <-> astrocyte IP3 gap junction (symmetric, no delay)
  GapJunction gj;
  std::uint64_t pre_first_gid = 0;
  SourceRows rows;
  Targets target;
  Kokkos::View<float*> weight;           // extent 0 when the weight is constant
  Kokkos::View<std::uint16_t*> delay;    // extent 0 when the delay is constant
  std::int64_t weight_fixed = 0;
  double weight_value = 0;  // the constant weight itself (SIC delivery scales values by it)
  int delay_steps = 0;
  std::uint64_t synapses = 0;

  // Plastic synapses (a synapse model other than "static"): the weight of every synapse
  // (double; `weight` stays empty). The presynaptic trace K+ and the stamp of the source's
  // last spike come with each spike from the source's owner (sim/presynaptic_state.hpp).
  bool plastic = false;
  StdpRule rule;
  Kokkos::View<double*> plastic_weight;

  // Short-term plasticity (tsodyks_synapse): u, x, y of every synapse; the weight stays in
  // `weight` / `weight_value` (the source's last spike comes with each spike, as for STDP).
  bool stp = false;
  TsodyksRule tm;
  Kokkos::View<double*> stp_u, stp_x, stp_y;

  // Tripartite synapses (tripartite_synapse): u, x in stp_u, stp_x; `third` holds, per
  // synapse, the astrocyte whose Gamma_S modulates it (population id; -1: none), which the
  // simulation turns into an index of its Gamma_S table.
  bool glio = false;
  GlioRule gr;
  int third_pop = -1;
  Kokkos::View<std::int64_t*> third;

  /// Synapses with state (STDP or STP): delivered one source row at a time, in time order.
  bool stateful() const { return plastic || stp || glio; }
  /// Per-synapse state a checkpoint keeps (by target, in canonical order).
  std::vector<std::pair<std::string, Kokkos::View<double*>>> synapse_state() const {
    if (plastic) return {{"weight", plastic_weight}};
    if (stp) return {{"u", stp_u}, {"x", stp_x}, {"y", stp_y}};
    if (glio) return {{"u", stp_u}, {"x", stp_x}};
    return {};
  }
  std::size_t bytes() const;
};

/// Called between rounds of a build, on the calling thread, the same number of times on
/// every rank (the rounds follow from the deck and the number of ranks alone, see
/// build_rounds), so that it may agree collectively; it throws to abandon the build (a
/// stop signal). Empty: no polling.
using BuildPoll = std::function<void()>;

/// Builds projection `index` of the deck for this rank's local targets, calling `poll`
/// after each round of targets of each pass. Explicit rules (one_to_one, pairs) go through
/// local_edges and build_from_edges.
Projection build_projection(const Deck& deck, const Partition& part, int index, const BuildPoll& poll = {});

/// One synapse of an explicit edge list: population-local ids of its source (pre) and
/// target (post); its own weight (the target model's unit) and delay (ms) when the
/// projection's spec says the edges carry them (spec.edge_weights / spec.edge_delays),
/// otherwise ignored (write NaN): the deck's weight / delay apply, drawn per synapse.
struct LocalEdge {
  std::uint64_t pre = 0, post = 0;
  double weight = 0, delay_ms = 0;
};

/// The edges of explicit projection `index` whose target this rank owns, in list order:
/// one case per source of edges (one_to_one: i -> i; pairs: the deck's arrays or CSV
/// file, each pair both ways for ip3_gap_junction). Throws usage_error for a rule that
/// draws its synapses.
std::vector<LocalEdge> local_edges(const Deck& deck, const Partition& part, int index);

/// rule = "sonata": the edge file is HDF5, which this layer does not link; the program
/// registers the reader (io/sonata_edges.hpp) that returns this rank's edges.
using EdgeFileReader = std::vector<LocalEdge> (*)(const Deck& deck, const Partition& part, int index);
void set_edge_file_reader(EdgeFileReader read);

/// Builds projection `index` from `edges`: exactly the edges whose target this rank owns,
/// in any order (each list position is its rank in the canonical order's tie-break). The
/// storage is build_projection's: rows by source, ascending; within a row, targets
/// ascending, then the edges' order in `edges`. Give the edges of each target in the same
/// relative order on every number of ranks (list order) and the arrays are the same.
/// Weights and delays: each edge's own with spec.edge_weights / spec.edge_delays (stored per
/// synapse; delays rounded to steps, which must lie in [1, 65535]), else the deck's: a
/// constant kept once, a distribution drawn per synapse from the target's stream, in the
/// target's canonical order (source ascending, then list order). Synapse state (STDP, STP,
/// tripartite_synapse) starts as in build_projection.
Projection build_from_edges(const Deck& deck, const Partition& part, int index, std::vector<LocalEdge> edges);

/// The pre-population ids from which `part`'s local targets of projection `index` receive,
/// ascending and distinct: build_projection's `sources`, without storing a synapse (one
/// target's draws at a time; explicit rules hold the rank's edge list). With `keep`, only
/// the ids for which keep(id) is true, and the scratch is O(those ids' draws) instead of a
/// byte per source. The dry run (exchange/spike_exchange.hpp) calls it with the partition of
/// every other rank, keeping the sources it owns, to learn which ranks subscribe to its cells.
std::vector<std::uint64_t> projection_sources(const Deck& deck, const Partition& part, int index,
                                              const std::function<bool(std::uint64_t)>& keep = {});

/// The expected number of incoming synapses of one target cell of projection `index`, from
/// the deck alone: exact in expectation for fixed_indegree (K) and pairwise_bernoulli
/// (p (n_pre - 1 without autapses)); for distance an upper bound (p times the kernel's
/// integral over the cutoff ball times the pre density, as for a target far from the
/// placement region's edges); for the tripartite sets the mean (third_in: the primary's
/// third-party synapses shared evenly among the astrocytes).
double expected_in_degree(const Deck& deck, int index);

/// Rounds each pass of a build is cut into: about 2^19 expected synapses per rank per
/// round (a few tens of milliseconds), from the deck and the number of ranks only.
std::size_t build_rounds(double synapses_per_rank);

/// fixed_total_number: how many of projection `index`'s N synapses go to each target in
/// `ids` (population-local ids, ascending), of `n_post` targets that may each draw from
/// `avail` sources. N is split down a binary tree over the target range [0, n_post): a
/// node's count goes left by one binomial draw (with multapses: each synapse's target is
/// uniform) or hypergeometric draw (without: the N pairs are distinct), from a stream keyed
/// by the projection and the node. The counts are the same on every rank, and a rank walks
/// only the nodes above its own targets: O(|ids| log n_post) draws, not O(N).
std::vector<std::uint64_t> total_number_counts(const Deck& deck, int index, std::uint64_t n_post,
                                               std::uint64_t avail, const std::vector<std::uint64_t>& ids);

/// The pre-population ids the target with global id `post_gid` (population-local id
/// `post_id`) receives from, in canonical order (multiple entries for multapses). Exposed
/// for tests; the builder uses it.
void draw_sources(const Deck& deck, const Partition& part, int index, std::uint64_t post_id,
                  std::vector<std::uint64_t>& out);

}  // namespace cajal
