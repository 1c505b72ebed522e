#pragma once
/// The input deck: a TOML file, read into typed, validated structs.
///
/// Lifecycle: `Deck::parse` is called on every rank with the same text (rank 0 reads the
/// file and broadcasts it), so every rank reaches the same verdict without talking.
/// Every error is a `cajal::input_error` naming `FILE:LINE: key: what is wrong; what is
/// allowed`. The deck knows the shape of every section, not the meaning of a model's
/// parameters: those are checked by the model module (`model/catalogue.hpp`), with the
/// locations kept here.
///
/// Units are fixed: ms, mV, pA, pF, nS, Hz, µm, µM. Every key is documented in inputs/README.md.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cajal {

/// Where a value came from, for messages.
struct SourceLoc {
  std::string file;
  int line = 0;
};

/// A value that is either a constant or drawn per synapse.
struct Distribution {
  enum class Kind { constant, normal, uniform };
  Kind kind = Kind::constant;
  double value = 0.0;                  ///< constant
  double mean = 0.0, stddev = 0.0;     ///< normal
  double low = -1e300, high = 1e300;   ///< uniform bounds, or normal clip bounds
  SourceLoc loc;
  bool is_constant() const { return kind == Kind::constant; }
  double lower_bound() const { return kind == Kind::constant ? value : low; }
  double upper_bound() const { return kind == Kind::constant ? value : high; }
};

struct Placement {
  enum class Kind { random, grid, file };
  Kind kind = Kind::random;
  std::array<double, 3> min{0, 0, 0}, max{0, 0, 0};  ///< µm; defaults to the whole box
  std::array<std::int64_t, 3> shape{0, 0, 0};        ///< grid only
  /// file (a SONATA node file): every cell's position, held on every rank.
  std::vector<std::array<double, 3>> positions;
  SourceLoc loc;
};

/// Independent Poisson input to every neuron of a population.
struct Background {
  double rate_hz = 0.0;
  double weight = 0.0;  ///< in the model's synaptic unit (mV for delta, pA for current)
  SourceLoc loc;
};

/// A model parameter: a number, (for initial values only, which the model catalogue
/// checks) a distribution drawn once per cell, or one value per cell.
///
/// Per-cell values: `per_cell` is empty unless the value is given per cell; then it holds
/// exactly the population's n values in population-local id order (id 0 .. n-1), and
/// `value` is per_cell[0] (the number messages and defaults derived from it see). Any
/// reader (a deck array, a file, a SONATA node attribute) only has to fill `per_cell` (and
/// `loc`): the model catalogue checks every value like the scalar one (errors name the
/// cell id: `params.V_th[37]`), and the models use it for parameters and initial values
/// alike (model/registry.hpp: ParamSets, fill_initial).
struct Param {
  double value = 0.0;  ///< the number; for a distribution, its centre (mean, or mid-range)
  Distribution dist;   ///< constant unless the deck gives a table
  std::vector<double> per_cell;  ///< empty, or one value per cell of the population
  SourceLoc loc;
  bool is_per_cell() const { return !per_cell.empty(); }
};

/// A spike_generator's spike times, held without one entry per cell: a population of 10^8
/// generators must not cost every rank 10^8 lists.
///  - shared: one list (`time`, ascending) for every cell (a flat `spike_times`, or a
///    one-column spike_file);
///  - per cell, inline: cell[k] (ascending) emits time[row[k] .. row[k+1]) (ascending);
///    cells without spikes are not listed;
///  - per cell, from a two-column spike_file: only the file's path (`file`) and the number
///    of spikes it holds; the times stay in the file, and each rank's population build
///    reads it again keeping its own cells' times only.
struct SpikeTimes {
  bool shared = true;
  std::vector<std::uint64_t> cell;
  std::vector<std::uint64_t> row{0};
  std::vector<double> time;
  std::string file;  ///< a two-column spike_file (resolved path), else ""
  std::uint64_t file_spikes = 0;
  /// Entries the deck holds (cells, row offsets and times): bounded by the deck's text or
  /// a one-column file, never by the number of cells.
  std::size_t stored() const { return cell.size() + row.size() + time.size(); }
};

struct PopulationSpec {
  std::string name;
  std::string model;
  std::int64_t n = 0;
  std::map<std::string, Param> params;
  SourceLoc params_loc;
  Placement placement;
  Background background;
  SourceLoc loc;
  SourceLoc model_loc;
  /// spike_generator only: spike times (ms, multiples of dt, > 0, distinct per cell) from
  /// `spike_times` or `spike_file`; checked when the deck is read.
  SpikeTimes spike_times;
  bool has_spike_times = false;
  SourceLoc spikes_loc;
  /// `sonata = { nodes, population, node_types }`: n, positions, and (unless the deck gives
  /// them) the model and parameters come from a SONATA node file (paths resolved against
  /// the deck's folder); per-cell values from group 0's datasets named like parameters.
  std::string sonata_nodes, sonata_population, sonata_node_types;
  SourceLoc sonata_loc;
};

/// The synapse model of a projection: "static" (the default), or a plastic model with its
/// parameters (checked by the model catalogue, like a population's params).
struct SynapseSpec {
  std::string model = "static";
  std::map<std::string, Param> params;
  SourceLoc loc, model_loc;
  /// Spike-timing-dependent plasticity (the weight changes).
  bool plastic() const { return model == "stdp_synapse" || model == "stdp_pl_synapse_hom"; }
  /// Short-term plasticity (tsodyks_synapse: the transmitted fraction changes).
  bool stp() const { return model == "tsodyks_synapse"; }
  /// Tripartite short-term plasticity with gliotransmitter modulation (tripartite_synapse).
  bool glio() const { return model == "tripartite_synapse"; }
  bool sic() const { return model == "sic_connection"; }
  /// IP3 gap junctions between astrocytes (symmetric, no delay, no spikes).
  bool gap() const { return model == "ip3_gap_junction"; }
};

struct ProjectionSpec {
  enum class Rule { fixed_indegree, fixed_total_number, pairwise_bernoulli, distance, tripartite, one_to_one, pairs, sonata };
  enum class Kernel { gaussian, exponential };
  std::string name, pre, post;
  Rule rule = Rule::fixed_indegree;
  std::int64_t indegree = 0;  ///< fixed_indegree
  std::int64_t total = 0;     ///< fixed_total_number: NEST's N, the synapses of the whole projection
  double p = 0.0;             ///< pairwise_bernoulli; peak probability for distance
  bool autapses = true;
  bool multapses = true;       ///< fixed_indegree and fixed_total_number
  Kernel kernel = Kernel::gaussian;
  double scale = 0.0;          ///< sigma (gaussian) or lambda (exponential), µm
  double cutoff = 0.0;         ///< µm; pairs further apart never connect
  Distribution weight;         ///< model's synaptic unit
  Distribution delay;          ///< ms, multiples of dt
  SynapseSpec synapse;
  SourceLoc loc;

  /// Explicit edges (rule "pairs"): population-local ids, pair k = (sources[k], targets[k]),
  /// from the deck's arrays or a CSV file (`pairs_loc` names where they came from).
  /// edge_weights / edge_delays: every edge carries its own weight / delay (pair_weights,
  /// pair_delays; ms); then `weight` / `delay` hold the edges' range (kind uniform, low =
  /// min, high = max), which the checks, the receptor choice and the schedule read, and the
  /// builder takes each edge's own value. Otherwise the deck's `weight` / `delay` apply to
  /// every edge, drawn per synapse as for the drawn rules. A SONATA edge file may set the
  /// same fields.
  std::vector<std::uint64_t> pair_sources, pair_targets;
  std::vector<double> pair_weights, pair_delays;
  bool edge_weights = false, edge_delays = false;
  SourceLoc pairs_loc;

  /// rule "sonata": the edges of population `sonata_population` of the SONATA edge file
  /// `sonata_edges` (path resolved against the deck's folder), with their syn_weight and
  /// delay (edge_weights / edge_delays, or a constant when every edge has the same value),
  /// and the synapse model of `sonata_edge_types` (a CSV) when the deck names none.
  std::string sonata_edges, sonata_population, sonata_edge_types;
  std::uint64_t sonata_count = 0;  ///< edges in the population (set by the scanner)
  SourceLoc sonata_loc;

  /// tripartite_bernoulli_with_pool (NEST's rule): one [[projection]] makes three
  /// connection sets, each a ProjectionSpec: the primary (pre -> post, pairwise Bernoulli
  /// with p), and for each primary synapse, with probability p_third, one astrocyte drawn
  /// from the target's pool: third_in (pre -> astrocyte) and third_out (astrocyte -> post,
  /// sic_connection). All three replay the draws of the primary, keyed by its target.
  enum class Role { none, primary, third_in, third_out };
  Role role = Role::none;
  int primary = -1;                          ///< index of the primary projection
  std::string astrocytes;                    ///< the astrocyte population
  double p_third = 1.0;
  std::int64_t pool_size = 0;
  bool pool_block = false;                   ///< pool_type "block" (else "random")
};

/// The extracellular field (`[field]`): one species, potassium, on a voxel grid over
/// simulation.box, solved implicitly every field step (field/field.hpp has the equation).
/// Units: µm, ms, mM, µm²/ms; amounts in amol (= mM·µm³).
struct FieldSpec {
  bool enabled = false;
  double voxel = 0.0;                       ///< µm, edge of a cubic voxel
  std::array<std::int64_t, 3> shape{0, 0, 0};  ///< voxels per dimension (box / voxel)
  double alpha = 0.2;                       ///< extracellular volume fraction
  double tortuosity = 1.6;                  ///< lambda: D* = D / lambda^2
  double dt = 0.0;                          ///< field step, ms (a multiple of simulation.dt)
  std::int64_t every = 1;                   ///< field step in time steps
  bool steady = false;                      ///< solve the steady state (no alpha/dt term)
  std::string solver;                       ///< PETSc options, each prefixed -field_
  enum class Mode { reproducible, krylov };
  Mode mode = Mode::krylov;                 ///< default: reproducible when the field feeds back
  double rtol = 1e-8;                       ///< relative residual (to ||rhs||) of each solve
  std::int64_t max_it = 200;
  std::string manufactured;                 ///< "" or "sine": verification source (field_poisson)
  double amplitude = 1.0;                   ///< mM, of the manufactured solution
  struct {
    double D = 1.96;                        ///< µm²/ms (K+ in water, 1.96e-5 cm²/s)
    double baseline = 3.0;                  ///< mM, bath and clearance target
    double initial = 3.0;                   ///< mM
    std::array<bool, 6> dirichlet{true, true, true, true, true, true};  ///< xmin xmax ymin ymax zmin zmax
    double release = 0.0;                   ///< amol per spike into the neuron's voxel
    std::vector<std::string> release_from;  ///< populations whose spikes release K+
    double uptake_jmax = 0.0;               ///< amol/ms per astrocyte (Michaelis-Menten)
    double uptake_km = 13.0;                ///< mM
    std::vector<std::string> uptake_by;     ///< astrocyte populations
    double clearance_tau = 0.0;             ///< ms; 0: no linear clearance
    std::vector<std::string> feedback_to;   ///< populations whose E_L follows [K+]o
    double k_fraction = 1.0;                ///< share of the leak that is K+ (scales the Nernst shift)
    double temperature = 310.15;            ///< K, for RT/F
    SourceLoc loc, release_loc, uptake_loc, feedback_loc;
  } potassium;
  SourceLoc loc, voxel_loc, dt_loc, solver_loc, mode_loc;
};

/// A stimulus device (`[[stimulus]]`, NEST's names and units): a current-like generator
/// (dc_generator, step_current_generator, ac_generator) adds its current I(t) to the
/// external current of its target cells (pA; for astrocytes an IP3 production flux in
/// µM/ms); an inhomogeneous_poisson_generator sends each target cell its own Poisson
/// events at a rate piecewise constant in time, each of weight `weight`. Active while
/// start < t <= stop (the steps that end after start and no later than stop).
struct StimulusSpec {
  enum class Kind { dc, step_current, ac, inhomogeneous_poisson };
  std::string name;
  Kind kind = Kind::dc;
  std::string model;                  ///< NEST's name, for messages
  std::string population;             ///< the target
  std::vector<std::int64_t> cells;    ///< population-local ids; empty: every cell
  double start = 0.0, stop = -1.0;    ///< ms; stop < 0: no end
  double amplitude = 0.0;             ///< dc, ac (pA or µM/ms)
  double offset = 0.0;                ///< ac
  double frequency = 0.0;             ///< ac, Hz
  double phase = 0.0;                 ///< ac, degrees
  std::vector<double> times;          ///< step_current: amplitude_times; poisson: rate_times (ms, ascending)
  std::vector<double> values;         ///< amplitude_values (pA) or rate_values (Hz)
  double weight = 0.0;                ///< inhomogeneous_poisson, in the target's synaptic unit
  /// Current-like devices on astrocyte_gchi: "IP3" (the default: IP3 production, µM/ms)
  /// or "I_bias" (added to the cell's I_bias, µM: the target of its exogenous flux J_ex).
  std::string variable = "IP3";
  bool current() const { return kind != Kind::inhomogeneous_poisson; }
  bool drives_bias() const { return current() && variable == "I_bias"; }
  SourceLoc loc, model_loc, population_loc, weight_loc, variable_loc;
};

struct RecordSpec {
  std::string what = "spikes";           ///< "spikes", "weights", "state" or "field"
  std::vector<std::string> populations;  ///< spikes: the populations recorded; state: the one population
  std::vector<std::string> variables;    ///< state: recordable variables of the population's model
  std::int64_t cells = -1;               ///< state: population ids 0 .. cells-1 (-1: every cell)
  SourceLoc variables_loc;
  std::string projection;                ///< weights: a plastic projection
  std::int64_t targets = 10;             ///< weights: incoming synapses of target ids 0 .. targets-1
  double interval_ms = 10.0;             ///< weights: sampling period (at interval edges), from t = 0;
                                         ///< state: sampling period (a multiple of dt, default 1 ms), from t = 0
  SourceLoc loc;
};

struct Deck {
  std::string file;  ///< as given by the user
  std::string text;  ///< the deck as read, before overrides
  std::vector<std::string> overrides;

  struct {
    double dt = 0.1;
    double t_stop = 0.0;
    std::uint64_t seed = 1;  ///< [0, 2^32): streams of distinct purposes never overlap
    std::array<double, 3> box{1000.0, 1000.0, 1000.0};
    /// MiB a rank sends, and receives, in one round of the spike exchange at most: an
    /// interval whose traffic is larger goes in several rounds (same results). 8: at 10^4
    /// ranks of hpc_benchmark (24-32 MB an interval) 3-4 rounds instead of 2 at 16, and
    /// 17 MiB less per rank, which the run's peak then sees (README, "Cluster scale").
    double exchange_buffer_mib = 8.0;
    SourceLoc loc;
  } simulation;
  std::vector<PopulationSpec> populations;
  std::vector<ProjectionSpec> projections;
  std::vector<StimulusSpec> stimuli;
  std::vector<RecordSpec> records;
  FieldSpec field;
  struct {
    std::string dir = "output";
    /// Write the network as built, in SONATA's format, into <dir>/network/ at the end.
    bool network = false;
    SourceLoc loc;
  } output;
  /// Checkpoints: written at the first communication-interval edge at or after each
  /// multiple of `interval_ms` (0: none), at the end when `at_end`, and always when the
  /// run is signalled to stop (SIGTERM, SIGUSR1).
  struct {
    double interval_ms = 0.0;
    std::string dir;   ///< empty: <output dir>/checkpoints
    int keep = 2;      ///< newest checkpoints kept; older ones are deleted
    bool at_end = false;
    SourceLoc loc;
  } checkpoint;

  /// Parses `text` (named `file` in messages), applies each override `section.key=value`
  /// (arrays of tables are addressed by name: `population.exc.n=100`,
  /// `projection.exc_to_inh.weight=0.2`), then validates the result. Throws input_error.
  static Deck parse(const std::string& text, const std::string& file,
                    const std::vector<std::string>& overrides = {});

  std::int64_t steps() const;            ///< t_stop / dt
  std::int64_t to_steps(double ms) const;  ///< rounds to the nearest step
  int population_index(const std::string& name) const;  ///< -1 when absent
};

/// SONATA edge files are HDF5, which the deck's layer does not link: the program registers
/// the scanner (io/sonata_edges.hpp) that checks a rule = "sonata" projection's files when
/// the deck is parsed and sets its weight, delay and synapse model. Throws input_error or
/// usage_error (one line naming the file, the dataset and what is wrong).
using EdgeFileScanner = void (*)(const Deck& deck, ProjectionSpec& pj);
void set_edge_file_scanner(EdgeFileScanner scan);
EdgeFileScanner edge_file_scanner();

/// The same for a population with `sonata = {...}` (io/sonata_edges.hpp).
using NodeFileScanner = void (*)(const Deck& deck, PopulationSpec& pop);
void set_node_file_scanner(NodeFileScanner scan);
NodeFileScanner node_file_scanner();

/// Case-sensitive edit distance (with transpositions), for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b);
/// The closest of `options` to `word`, or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& options);

}  // namespace cajal
