// The memory a rank needs, from the deck alone (cajal/sim/memory.hpp). Counted, per rank,
// from the layouts that hold it:
//   synapses  network/connectivity.hpp: per synapse the target (2 B up to 65,536 local
//             cells of the post population, else 4 B), a float weight when
//             drawn, a uint16 delay when drawn, the double weight of plastic synapses, u x y
//             of short-term ones, u x and the astrocyte of tripartite ones; per source row
//             its coded id and offset (util/id_set.hpp: a few bits); delivery's split
//             tables when there are threads; the spike routing of each row (a byte at the
//             owner, SpikeExchange::Subscribers); per local cell feeding stateful synapses, its
//             last spike and STDP trace (sim/presynaptic_state.hpp)
//   cells     gid and partition id, the model's state (at most one double per parameter
//             and recordable, and four more), ring buffers (receptors x slots x 8 B), the
//             interval's spike buffer, the STDP spike history of plastic targets
//   build     the largest transient of one projection's build: the per-thread counters
//             (4 B per source per thread where dense, else ~15 B per distinct source a
//             thread draws), each thread's source list of one target, the
//             spatial bins of a distance rule, third_in's gathered pairs
//   field     the local voxels, 512 B each (PETSc vectors and matrix, multigrid levels)
// plus 10 % and the process itself (MPI, HDF5, PETSc, Kokkos and I/O buffers: 44 MiB
// measured for a 20-cell network; 48 MiB counted).
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/sim/memory.hpp"
#include "cajal/util/error.hpp"
#include "network/connectivity.hpp"
#include "sim/schedule.hpp"
#include "synapse/stdp.hpp"

namespace cajal {

namespace {

constexpr double process_bytes = 48.0 * (1 << 20);
constexpr double margin = 1.10;
constexpr double field_bytes_per_voxel = 512;

/// Local cells of every population on every rank of `part`'s decomposition (absent: one
/// rank, which holds them all): [rank][population]. Random placement counts whole tiles and
/// draws only the cells of tiles that straddle bricks (Partition::cells_per_rank).
std::vector<std::vector<double>> local_cells(const Deck& deck, int ranks, const Partition* part) {
  const std::size_t npop = deck.populations.size();
  std::vector<std::vector<double>> n(static_cast<std::size_t>(ranks), std::vector<double>(npop, 0.0));
  if (!part) {
    for (std::size_t p = 0; p < npop; ++p) n[0][p] = static_cast<double>(deck.populations[p].n);
    return n;
  }
  for (int p = 0; p < part->populations(); ++p) {
    const std::vector<std::uint64_t> per_rank = part->cells_per_rank(p);
    for (int r = 0; r < ranks; ++r) n[static_cast<std::size_t>(r)][p] = static_cast<double>(per_rank[static_cast<std::size_t>(r)]);
  }
  return n;
}

struct Need {
  double bytes = 0, synapses = 0;
};

/// What one rank holding `local` cells of each population (and `voxels` field voxels) needs.
Need need_of(const Deck& deck, const Schedule& schedule, double threads, const std::vector<double>& local,
             double voxels) {
  Need need;
  double held = 0, transient = 0;
  std::vector<bool> stdp_target(deck.populations.size(), false);
  for (const auto& pj : deck.projections)
    if (pj.synapse.plastic()) stdp_target[deck.population_index(pj.post)] = true;
  for (std::size_t p = 0; p < deck.populations.size(); ++p) {
    const ModelInfo* m = find_model(deck.populations[p].model);
    const double state = 8.0 * (m ? m->params.size() + m->recordables.size() + 4 : 16);
    const double ring = 8.0 * (m ? m->receptors : 1) * schedule.ring_size();
    double per_cell = 16 + state + ring + 8.0 * schedule.interval();
    if (stdp_target[p]) per_cell += PostHistory::capacity * 16.0 + 8;
    // Stimulus devices: their current per ring slot (model/stimulus.hpp) and the cell's
    // device list (an upper bound: every device on every cell).
    double devices = 0;
    for (const auto& s : deck.stimuli)
      if (s.population == deck.populations[p].name) devices += 1;
    if (devices > 0) per_cell += 8.0 * schedule.ring_size() + 4.0 * (devices + 1);
    held += per_cell * local[p];
  }
  for (int i = 0; i < static_cast<int>(deck.projections.size()); ++i) {
    const ProjectionSpec& spec = deck.projections[i];
    const int post = deck.population_index(spec.post);
    const double n_pre = static_cast<double>(deck.populations[deck.population_index(spec.pre)].n);
    const double in_degree = expected_in_degree(deck, i);
    const double synapses = in_degree * local[post];
    const double rows = n_pre > 0 ? n_pre * -std::expm1(-synapses / n_pre) : 0.0;  // distinct sources, uniform draws
    const bool plastic = spec.synapse.plastic(), stp = spec.synapse.stp(), glio = spec.synapse.glio();
    const bool gated = plastic && spec.role == ProjectionSpec::Role::primary &&
                       deck.populations[deck.population_index(spec.astrocytes)].model == "astrocyte_integrator";
    double per_synapse = local[post] <= 65536 ? 2 : 4;  // target index (Targets: 16-bit up to 2^16 local cells)
    if (!spec.weight.is_constant() && !plastic) per_synapse += 4;
    if (!spec.delay.is_constant()) per_synapse += 2;
    if (plastic) per_synapse += 8;
    if (gated) per_synapse += 8;
    if (stp) per_synapse += 24;
    if (glio) per_synapse += 24;
    // The rows' ids and offsets (util/id_set.hpp), each in the smaller of two codes:
    // Elias-Fano, 2 + log2(universe / values) bits and half a bit of select samples, or a
    // bitmap, 8/7 bits per id of the universe and 1/8 bit of samples (the ids nothing when
    // every source has a row); the spike routing, at most about a byte per row at the
    // source's owner.
    const auto coded_bits = [](double values, double universe) {
      if (!(values > 0)) return 0.0;
      const double elias_fano = 2.5 + std::max(0.0, std::floor(std::log2(universe / values)));
      return std::min(elias_fano, 8.0 / 7.0 * universe / values + 0.125);
    };
    double per_row = (rows < n_pre ? coded_bits(rows, n_pre) : 0.0) + coded_bits(rows, synapses);
    per_row = per_row / 8 + 1;
    if (threads > 1) per_row += 4 * (threads - 1);
    held += synapses * per_synapse + rows * per_row;
    // The presynaptic state of the source's own cells (sim/presynaptic_state.hpp): t_last,
    // and K+ for STDP (t_last is counted once per stateful projection: an upper bound).
    if (plastic || stp || glio) held += (plastic ? 16 : 8) * local[deck.population_index(spec.pre)];
    need.synapses += synapses;
    // The builder's per-source counters, one set per host thread (network/connectivity.cpp,
    // SourceCounts): dense (4 bytes per source) where that costs no more than half the
    // synapses' 4-byte targets, else a hash table of the sources a thread draws, sized from
    // their expected number and at most 70 % full (8 bytes a slot), plus 4 bytes a source
    // to list them in order with several threads (one sorts its map in place); one thread
    // counts in four bits per source instead where that is smaller.
    double build = 8 * threads * in_degree;
    if (n_pre * threads <= 0.5 * synapses) {
      build += 4 * n_pre * threads;
    } else {
      const double per_thread = synapses / threads;
      const double distinct = n_pre > 0 ? n_pre * -std::expm1(-per_thread / n_pre) : 0.0;
      build += threads > 1 ? threads * distinct * (8 / 0.7 + 4) : std::min(n_pre / 2, distinct * 8 / 0.7);
    }
    if (spec.rule == ProjectionSpec::Rule::distance) build += 40 * n_pre;
    if (spec.role == ProjectionSpec::Role::third_in) build += 24 * synapses;
    transient = std::max(transient, build);
  }
  held += field_bytes_per_voxel * voxels;
  need.bytes = (held + transient) * margin + process_bytes;
  return need;
}

/// MemAvailable of /proc/meminfo in bytes, 0 when unknown.
double mem_available() {
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream in(line.substr(13));
    double kb = 0;
    in >> kb;
    return kb * 1024;
  }
  return 0;
}

/// CAJAL_MEMORY_LIMIT: bytes per rank, a number with an optional suffix k, M, G or T
/// (powers of 1024). Negative when unset.
double memory_limit_from_env() {
  const char* v = std::getenv("CAJAL_MEMORY_LIMIT");
  if (!v || !*v) return -1;
  char* end = nullptr;
  double x = std::strtod(v, &end);
  const std::string unit = end ? std::string(end) : std::string();
  const std::string units = "kMGT";
  if (unit.size() == 1 && units.find(unit[0]) != std::string::npos) x *= std::pow(1024.0, 1 + units.find(unit[0]));
  else if (!unit.empty()) x = -1;
  if (end == v || !(x > 0) || !std::isfinite(x))
    throw usage_error(std::string("CAJAL_MEMORY_LIMIT=") + v +
                      ": not a size; allowed: bytes per rank, a positive number with an optional suffix k, M, G or T");
  return x;
}

std::string gb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  return buf;
}

}  // namespace

MemoryEstimate estimate_memory(const Communicator& comm, const Deck& deck, int ranks) {
  MemoryEstimate e;
  e.ranks = ranks;
  const Schedule schedule(deck);
  const double threads = Kokkos::DefaultHostExecutionSpace().concurrency();
  // One decomposition serves the cells of every rank and the field's bricks.
  std::unique_ptr<Partition> part;
  if (ranks > 1 || deck.field.enabled) part = std::make_unique<Partition>(deck, ranks, 0);
  const auto cells = local_cells(deck, ranks, part.get());
  for (int r = 0; r < ranks; ++r) {
    double voxels = 0;
    if (deck.field.enabled) {
      voxels = 1;
      for (int d = 0; d < 3; ++d) voxels *= static_cast<double>(part->bricks().voxel_count(r, d));
    }
    const Need n = need_of(deck, schedule, threads, cells[static_cast<std::size_t>(r)], voxels);
    if (n.bytes > e.bytes_max) {
      e.bytes_max = n.bytes;
      e.rank_max = r;
      e.synapses_max = n.synapses;
    }
    if (r == comm.rank()) e.bytes_here = n.bytes;
  }
  const double limit = memory_limit_from_env();
  const int on_node = comm.ranks_on_node();  // collective: every rank asks, also with a limit set
  if (limit > 0) {
    e.available = limit;
    e.available_from = "CAJAL_MEMORY_LIMIT";
  } else if (ranks == comm.size()) {
    const double avail = mem_available();
    e.available = avail / on_node;
    if (avail > 0)
      e.available_from = "MemAvailable " + gb(avail) + " / " + std::to_string(on_node) + (on_node == 1 ? " rank" : " ranks") +
                         " on this node";
  }
  // Estimated for other ranks than these (cajal validate --ranks): their nodes are not
  // known here; only CAJAL_MEMORY_LIMIT gives something to compare with.
  return e;
}

std::string describe(const MemoryEstimate& e) {
  std::string s = "memory: ~" + gb(e.bytes_max) + " per rank on " + std::to_string(e.ranks) +
                  (e.ranks == 1 ? " rank" : " ranks") + " (the most: rank " + std::to_string(e.rank_max) + ", " +
                  std::to_string(static_cast<long long>(std::llround(e.synapses_max))) + " synapses expected)";
  if (e.available > 0) s += "; " + gb(e.available) + " available per rank (" + e.available_from + ")";
  return s;
}

void check_memory(const Communicator& comm, const MemoryEstimate& e) {
  // For other ranks than these (validate --ranks), the rank that needs the most.
  const bool here = e.ranks == comm.size();
  const double need = here ? e.bytes_here : e.bytes_max;
  std::string problem;
  if (e.available > 0 && need > e.available)
    problem = "the network needs ~" + gb(need) + " per rank (rank " + std::to_string(here ? comm.rank() : e.rank_max) +
              " of " + std::to_string(e.ranks) + "), " + gb(e.available) + " available (" + e.available_from +
              "); use more ranks or nodes (CAJAL_MEMORY_LIMIT=bytes per rank overrides the limit)";
  problem = comm.first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
}

void check_memory(const Communicator& comm, const Deck& deck) {
  check_memory(comm, estimate_memory(comm, deck, comm.size()));
}

}  // namespace cajal
