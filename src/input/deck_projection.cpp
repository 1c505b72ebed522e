// [[projection]]: source and target, the connection rule and its parameters, the synapse
// part (weight, delay, synapse model), and the tripartite rule's third-party tables.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "cajal/util/error.hpp"
#include "input/deck_sections.hpp"

namespace cajal::input {
namespace {

/// A constant delay must be a multiple of dt, ≥ dt; a drawn one must be bounded to
/// [dt/2, 65535 dt]. `self` is the projection's table, for messages about a default delay.
void check_delay(const Reader& r, const tvalue& self, const Distribution& delay, double dt) {
  if (delay.is_constant()) {
    if (delay.value < dt * (1 - 1e-9))
      r.fail(r.has("delay") ? r.at("delay") : self, "delay",
             "must be ≥ dt = " + num(dt) + " ms (got " + num(delay.value) + ")");
    if (!multiple_of(delay.value, dt))
      r.fail(r.has("delay") ? r.at("delay") : self, "delay",
             "must be a multiple of dt = " + num(dt) + " ms (got " + num(delay.value) +
                 (r.has("delay") ? ")" : ", the default; set delay explicitly)"));
  } else {
    const std::string bound = delay.kind == Distribution::Kind::uniform ? "low" : "min";
    // A drawn delay is rounded to the nearest step, so any draw ≥ dt/2 is at least one
    // step (NEST's PD14 model redraws normal delays below resolution/2 for this reason).
    if (delay.low < 0.5 * dt * (1 - 1e-9))
      r.fail(r.at("delay"), "delay",
             "the smallest delay the distribution can draw (" + bound + " = " +
                 (delay.low < -1e299 ? std::string("unbounded") : num(delay.low)) +
                 ") must be ≥ dt/2 = " + num(0.5 * dt) + " ms (each draw is rounded to the nearest step, which must be ≥ 1); set " +
                 bound + " ≥ " + num(0.5 * dt));
  }
  if (delay.upper_bound() < 1e299 && delay.upper_bound() / dt > 65535)
    r.fail(r.has("delay") ? r.at("delay") : self, "delay", "longer than 65535 steps; allowed: delay ≤ 65535·dt");
  if (!delay.is_constant() && delay.upper_bound() >= 1e299)
    r.fail(r.at("delay"), "delay", "a normal delay distribution needs a finite max");
}

/// `synapse`: a model name, or a table { model = "...", parameter = number, ... } whose
/// parameters the model catalogue checks.
void read_synapse_model(const Reader& r, SynapseSpec& syn) {
  const tvalue& sv = r.at("synapse");
  syn.loc = loc_of(sv, r.file());
  syn.model_loc = syn.loc;
  if (sv.is_string()) {
    syn.model = sv.as_string().str;
    return;
  }
  if (!sv.is_table())
    r.fail(sv, "synapse", "must be a synapse model name, or a table { model = \"stdp_synapse\", ... }; got " +
                              Reader::type_name(sv));
  const Reader sr(sv, r.full("synapse"), r.file());
  sr.require("model", "the synapse model, e.g. \"stdp_synapse\"");
  syn.model = sr.string("model");
  syn.model_loc = sr.loc("model");
  for (const auto& kv : sv.as_table()) {
    if (kv.first == "model") continue;
    Param prm;
    prm.loc = loc_of(kv.second, r.file());
    if (kv.second.is_floating()) prm.value = kv.second.as_floating();
    else if (kv.second.is_integer()) prm.value = static_cast<double>(kv.second.as_integer());
    else
      throw input_error(prm.loc.file, prm.loc.line, sr.full(kv.first),
                        "must be a number; got " + Reader::type_name(kv.second));
    if (!std::isfinite(prm.value)) throw input_error(prm.loc.file, prm.loc.line, sr.full(kv.first), "must be finite");
    prm.dist.loc = prm.loc;
    syn.params[kv.first] = prm;
  }
}

/// The range of the per-edge values `v` as a Distribution (kind uniform, low = min, high =
/// max), which the checks, the receptor choice and the schedule read; the builder takes each
/// edge's own value (ProjectionSpec::edge_weights / edge_delays).
Distribution edge_range(const std::vector<double>& v, const SourceLoc& loc) {
  Distribution d;
  d.kind = Distribution::Kind::uniform;
  d.low = v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
  d.high = v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  d.loc = loc;
  return d;
}

/// Per-pair values that are all equal become the deck's constant (kept once, in fixed
/// point, as a `weight` / `delay` key would be): the edges then carry none.
void fold_constant_edges(ProjectionSpec& pj) {
  const auto all_equal = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
  };
  if (pj.edge_weights && all_equal(pj.pair_weights)) {
    pj.edge_weights = false;
    pj.weight = Distribution{};
    pj.weight.value = pj.pair_weights.empty() ? 0.0 : pj.pair_weights.front();
    pj.weight.loc = pj.pairs_loc;
    pj.pair_weights.clear();
  }
  if (pj.edge_delays && all_equal(pj.pair_delays)) {
    pj.edge_delays = false;
    pj.delay = Distribution{};
    pj.delay.value = pj.pair_delays.empty() ? 1.0 : pj.pair_delays.front();
    pj.delay.loc = pj.pairs_loc;
    pj.pair_delays.clear();
  }
}

/// The synapse part of a projection (or of a tripartite rule's third_in / third_out
/// table): weight, delay (default 1 ms) and synapse model. `self` is the table itself.
void read_synapse_part(const Reader& r, const tvalue& self, ProjectionSpec& pj, const Deck& deck,
                       bool weight_required = true, bool synapse_allowed = true) {
  if (pj.edge_weights) {
    if (r.has("weight"))
      r.fail(r.at("weight"), "weight", "the pairs carry their own weights; give weight (one for every pair) or per-pair weights, not both");
    pj.weight = edge_range(pj.pair_weights, pj.pairs_loc);
  } else if (weight_required || r.has("weight")) {
    r.require("weight", "the synaptic weight in the target model's unit (mV: iaf_psc_delta, izhikevich; pA: "
                        "iaf_psc_exp, iaf_psc_alpha; nS: aeif_cond_alpha_astro; 1: astrocytes)");
    pj.weight = read_distribution(r, "weight", "model's weight unit");
  } else {
    pj.weight.value = 1.0;
    pj.weight.loc = r.loc();
  }
  if (pj.edge_delays) {
    if (r.has("delay"))
      r.fail(r.at("delay"), "delay", "the pairs carry their own delays; give delay (one for every pair) or per-pair delays, not both");
    pj.delay = edge_range(pj.pair_delays, pj.pairs_loc);  // each checked when read
  } else {
    if (r.has("delay")) {
      pj.delay = read_distribution(r, "delay", "ms");
    } else {
      pj.delay.value = 1.0;
      pj.delay.loc = r.loc();
    }
    check_delay(r, self, pj.delay, deck.simulation.dt);
  }
  pj.synapse.loc = r.loc();
  pj.synapse.model_loc = r.loc();
  if (synapse_allowed && r.has("synapse")) read_synapse_model(r, pj.synapse);
}

/// The count `key` of a counting rule (fixed_indegree, fixed_total_number), ≥ 0, and
/// `multapses`. Returns the sources a target may draw from (n_pre, less the target itself
/// without autapses), refusing a positive count when there are none.
std::int64_t read_rule_count(const Reader& r, ProjectionSpec& pj, const std::string& key, const std::string& what,
                             std::int64_t n_pre, std::int64_t& count) {
  r.require(key, what);
  count = r.integer(key);
  pj.multapses = r.boolean("multapses", true);
  if (count < 0) r.fail(r.at(key), key, "must be ≥ 0 (got " + std::to_string(count) + ")");
  const std::int64_t avail = n_pre - ((!pj.autapses && pj.pre == pj.post) ? 1 : 0);
  if (avail == 0 && count > 0)
    r.fail(r.at(key), key,
           "population '" + pj.pre + "' offers no source (its only cell is the target and autapses = false); "
           "allowed: " + key + " = 0, or autapses = true");
  return avail;
}

/// fixed_indegree: `indegree` sources per target, which the source population must offer.
void read_fixed_indegree(const Reader& r, ProjectionSpec& pj, std::int64_t n_pre) {
  pj.rule = ProjectionSpec::Rule::fixed_indegree;
  const std::int64_t avail =
      read_rule_count(r, pj, "indegree", "the number of incoming connections per target neuron", n_pre, pj.indegree);
  if (!pj.multapses && pj.indegree > avail)
    r.fail(r.at("indegree"), "indegree",
           std::to_string(pj.indegree) + " distinct sources per target, but population '" + pj.pre +
               "' offers only " + std::to_string(avail) + "; allowed: indegree ≤ " + std::to_string(avail) +
               " without multapses, or multapses = true");
}

/// fixed_total_number (NEST's rule, key `n` for NEST's N): exactly n synapses between the
/// two populations, sources and targets drawn uniformly. Without multapses the pairs are
/// distinct, so n can be at most the number of pairs.
void read_fixed_total_number(const Reader& r, ProjectionSpec& pj, std::int64_t n_pre, std::int64_t n_post) {
  pj.rule = ProjectionSpec::Rule::fixed_total_number;
  const std::int64_t avail =
      read_rule_count(r, pj, "n", "the total number of synapses of the projection (NEST's N)", n_pre, pj.total);
  if (!pj.multapses && static_cast<__int128>(avail) * n_post < pj.total)
    r.fail(r.at("n"), "n",
           std::to_string(pj.total) + " distinct pairs, but there are only " + std::to_string(avail * n_post) +
               "; allowed: n ≤ " + std::to_string(avail * n_post) + " without multapses, or multapses = true");
}

/// tripartite_bernoulli_with_pool: the astrocyte population and each target's pool in it.
void read_tripartite_pool(const Reader& r, ProjectionSpec& pj, const Deck& deck) {
  pj.rule = ProjectionSpec::Rule::tripartite;
  pj.role = ProjectionSpec::Role::primary;
  r.require("astrocytes", "the astrocyte population that pairs with the synapses");
  pj.astrocytes = r.string("astrocytes");
  const int a = deck.population_index(pj.astrocytes);
  if (a < 0) {
    const std::vector<std::string> popnames = population_names(deck);
    r.fail(r.at("astrocytes"), "astrocytes",
           not_found("population", pj.astrocytes, popnames) + "; populations: " + join(popnames));
  }
  const std::int64_t na = deck.populations[a].n, npost = deck.populations[deck.population_index(pj.post)].n;
  pj.p_third = r.number("p_third_if_primary", 1.0);
  if (!(pj.p_third >= 0 && pj.p_third <= 1))
    r.fail(r.at("p_third_if_primary"), "p_third_if_primary", "must lie in [0, 1] (got " + num(pj.p_third) + ")");
  pj.pool_size = r.has("pool_size") ? r.integer("pool_size") : na;
  if (pj.pool_size < 1 || pj.pool_size > na)
    r.fail(r.at("pool_size"), "pool_size",
           "must lie in [1, " + std::to_string(na) + "], the size of population '" + pj.astrocytes + "' (got " +
               std::to_string(pj.pool_size) + ")");
  pj.pool_block = r.choice("pool_type", {"random", "block"}, "random") == "block";
  if (pj.pool_block && !(npost * pj.pool_size == na || (pj.pool_size == 1 && npost % na == 0)))
    r.fail(r.at("pool_type"), "pool_type",
           "\"block\" needs n(post) × pool_size = n(astrocytes) (" + std::to_string(npost) + " × " +
               std::to_string(pj.pool_size) + " ≠ " + std::to_string(na) +
               "), or pool_size = 1 with n(post) a multiple of n(astrocytes); allowed: pool_type = \"random\"");
}

/// distance: a gaussian or exponential kernel, cut off at `cutoff`.
void read_distance_kernel(const Reader& r, ProjectionSpec& pj) {
  pj.rule = ProjectionSpec::Rule::distance;
  const std::string kernel = r.choice("kernel", {"gaussian", "exponential"}, "gaussian");
  pj.kernel = kernel == "gaussian" ? ProjectionSpec::Kernel::gaussian : ProjectionSpec::Kernel::exponential;
  const std::string skey = kernel == "gaussian" ? "sigma" : "lambda";
  r.require(skey, "the kernel's length scale in µm");
  pj.scale = r.number(skey);
  if (!(pj.scale > 0)) r.fail(r.at(skey), skey, "must be > 0 µm (got " + num(pj.scale) + ")");
  r.require("cutoff", "the distance in µm beyond which no connection is made");
  pj.cutoff = r.number("cutoff");
  if (!(pj.cutoff > 0)) r.fail(r.at("cutoff"), "cutoff", "must be > 0 µm (got " + num(pj.cutoff) + ")");
}

/// one_to_one: pre cell i -> post cell i, populations of equal size.
void read_one_to_one(const Reader& r, ProjectionSpec& pj, const Deck& deck) {
  pj.rule = ProjectionSpec::Rule::one_to_one;
  const std::int64_t n_pre = deck.populations[deck.population_index(pj.pre)].n;
  const std::int64_t n_post = deck.populations[deck.population_index(pj.post)].n;
  if (n_pre != n_post)
    r.fail(r.at("rule"), "rule",
           "one_to_one connects cell i of '" + pj.pre + "' to cell i of '" + pj.post + "', but they have " +
               std::to_string(n_pre) + " and " + std::to_string(n_post) +
               " cells; allowed: populations of equal size, or rule = \"pairs\"");
  if (pj.pre == pj.post && !pj.autapses)
    r.fail(r.at("autapses"), "autapses",
           "one_to_one within one population connects every cell to itself, which autapses = false forbids; "
           "allowed: autapses = true, or another rule");
}

/// Where pair k came from, for messages: the deck's arrays (each key's line) or the CSV's
/// line. `key` is the array the value came from: sources, targets, weights or delays.
struct PairOrigin {
  std::string file, prefix;       // prefix: "projection.NAME."
  std::map<std::string, int> line;  // deck arrays: the line of each key
  std::vector<int> lines;           // CSV: the line of each pair
  [[noreturn]] void fail(std::size_t k, const std::string& key, const std::string& why) const {
    if (!lines.empty()) throw input_error(file, lines[k], prefix + "file", "pair on this line: " + why);
    const auto it = line.find(key);
    throw input_error(file, it == line.end() ? 0 : it->second, prefix + key,
                      "entry " + std::to_string(k) + " (counting from 0): " + why);
  }
};

/// A CSV field as a number; false if it is not one (or not finite).
bool csv_number(const std::string& field, double& x) {
  char* end = nullptr;
  x = std::strtod(field.c_str(), &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  return !field.empty() && end && *end == '\0' && end != field.c_str() && std::isfinite(x);
}

/// The pairs of a CSV file: columns source,target[,weight[,delay]] (population-local ids,
/// the target model's weight unit, ms). A first line that is not numeric is a header naming
/// the columns (source and target required, weight and delay optional, any order); blank
/// lines and lines starting with '#' are skipped. Errors name the CSV's line.
void read_pairs_csv(const std::string& path, ProjectionSpec& pj, PairOrigin& origin) {
  std::ifstream f(path);
  const std::string key = origin.prefix + "file";
  if (!f) throw input_error(path, 0, key, "cannot open the pairs file (missing or unreadable)");
  const std::vector<std::string> names = {"source", "target", "weight", "delay"};
  std::vector<int> col;  // column of source, target, weight, delay (-1: absent)
  std::string line;
  int lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    if (!line.empty() && line.back() == ',') cols.push_back("");
    std::vector<double> v(cols.size());
    bool numeric = true;
    for (std::size_t c = 0; c < cols.size(); ++c) numeric = csv_number(cols[c], v[c]) && numeric;
    if (col.empty() && !numeric) {  // the header
      col.assign(4, -1);
      for (std::size_t c = 0; c < cols.size(); ++c) {
        std::string name = cols[c];
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end() || col[static_cast<std::size_t>(it - names.begin())] >= 0)
          throw input_error(path, lineno, key,
                            "header column '" + name + "' is unknown or repeated; allowed: source, target, weight, delay");
        col[static_cast<std::size_t>(it - names.begin())] = static_cast<int>(c);
      }
      if (col[0] < 0 || col[1] < 0)
        throw input_error(path, lineno, key, "the header needs the columns source and target");
      pj.edge_weights = col[2] >= 0;
      pj.edge_delays = col[3] >= 0;
      continue;
    }
    if (col.empty()) {  // no header: source,target[,weight[,delay]]
      if (cols.size() < 2 || cols.size() > 4)
        throw input_error(path, lineno, key,
                          "expected 'source,target[,weight[,delay]]' (numbers); got '" + line + "'");
      col = {0, 1, cols.size() > 2 ? 2 : -1, cols.size() > 3 ? 3 : -1};
      pj.edge_weights = col[2] >= 0;
      pj.edge_delays = col[3] >= 0;
    }
    const std::size_t width = static_cast<std::size_t>(*std::max_element(col.begin(), col.end()) + 1);
    if (!numeric || cols.size() != width)
      throw input_error(path, lineno, key,
                        "expected " + std::to_string(width) + " numbers separated by commas (source,target" +
                            (pj.edge_weights ? ",weight" : "") + (pj.edge_delays ? ",delay" : "") +
                            " as the first line set); got '" + line + "'");
    for (int c : {col[0], col[1]})
      if (v[static_cast<std::size_t>(c)] < 0 || v[static_cast<std::size_t>(c)] != std::floor(v[static_cast<std::size_t>(c)]) ||
          v[static_cast<std::size_t>(c)] > 9.007199254740992e15)
        throw input_error(path, lineno, key,
                          (c == col[0] ? "source " : "target ") + num(v[static_cast<std::size_t>(c)]) +
                              " is not a cell id; allowed: integers ≥ 0 (population-local ids)");
    pj.pair_sources.push_back(static_cast<std::uint64_t>(v[static_cast<std::size_t>(col[0])]));
    pj.pair_targets.push_back(static_cast<std::uint64_t>(v[static_cast<std::size_t>(col[1])]));
    if (pj.edge_weights) pj.pair_weights.push_back(v[static_cast<std::size_t>(col[2])]);
    if (pj.edge_delays) pj.pair_delays.push_back(v[static_cast<std::size_t>(col[3])]);
    origin.lines.push_back(lineno);
  }
}

/// A deck array of cell ids (`sources`, `targets`).
std::vector<std::uint64_t> read_ids(const Reader& r, const std::string& key) {
  const tvalue& a = r.at(key);
  if (!a.is_array()) r.fail(a, key, "must be an array of cell ids (integers ≥ 0); got " + Reader::type_name(a));
  std::vector<std::uint64_t> v;
  for (const auto& e : a.as_array()) {
    if (!e.is_integer() || e.as_integer() < 0)
      r.fail(a, key, "entry " + std::to_string(v.size()) + " is not a cell id; allowed: integers ≥ 0 (population-local ids)");
    v.push_back(static_cast<std::uint64_t>(e.as_integer()));
  }
  return v;
}

/// A deck array of numbers (`weights`, `delays`), one per pair.
std::vector<double> read_numbers(const Reader& r, const std::string& key, std::size_t n) {
  const tvalue& a = r.at(key);
  if (!a.is_array()) r.fail(a, key, "must be an array of numbers, one per pair; got " + Reader::type_name(a));
  std::vector<double> v;
  for (const auto& e : a.as_array()) {
    if (e.is_floating() && std::isfinite(e.as_floating())) v.push_back(e.as_floating());
    else if (e.is_integer()) v.push_back(static_cast<double>(e.as_integer()));
    else r.fail(a, key, "entry " + std::to_string(v.size()) + " is not a finite number");
  }
  if (v.size() != n)
    r.fail(a, key, "has " + std::to_string(v.size()) + " entries but there are " + std::to_string(n) +
                       " pairs (sources); allowed: one per pair");
  return v;
}

/// pairs: explicit (source, target) pairs, from the deck's arrays `sources`, `targets` (and
/// optional `weights`, `delays`) or from a CSV `file` (relative to the deck's folder).
PairOrigin read_pairs(const Reader& r, ProjectionSpec& pj) {
  pj.rule = ProjectionSpec::Rule::pairs;
  PairOrigin origin;
  if (r.has("file") == r.has("sources"))
    r.fail(r.has("file") ? r.at("file") : r.at("rule"), "rule",
           "\"pairs\" needs sources = [...] and targets = [...] (population-local ids), or file = \"pairs.csv\"; "
           "give one of them");
  if (r.has("file")) {
    for (const char* k : {"targets", "weights", "delays"})
      if (r.has(k)) r.fail(r.at(k), k, "the pairs come from file; give their " + std::string(k) + " as a column there");
    std::string path = r.string("file");
    if (path.empty()) r.fail(r.at("file"), "file", "must not be empty");
    namespace fs = std::filesystem;
    if (fs::path(path).is_relative()) path = (fs::path(r.file()).parent_path() / path).string();
    if (!std::ifstream(path))
      r.fail(r.at("file"), "file", path + ": cannot open the pairs file (missing or unreadable); a relative path starts at the deck's folder");
    pj.pairs_loc = r.loc("file");
    origin.file = path;
    origin.prefix = r.full("") + ".";
    read_pairs_csv(path, pj, origin);
    return origin;
  }
  r.require("targets", "the target of each pair (population-local ids), as many as sources");
  pj.pairs_loc = r.loc("sources");
  origin.file = pj.pairs_loc.file;
  origin.prefix = r.full("") + ".";
  for (const char* k : {"sources", "targets", "weights", "delays"})
    if (r.has(k)) origin.line[k] = r.loc(k).line;
  pj.pair_sources = read_ids(r, "sources");
  pj.pair_targets = read_ids(r, "targets");
  if (pj.pair_targets.size() != pj.pair_sources.size())
    r.fail(r.at("targets"), "targets",
           "has " + std::to_string(pj.pair_targets.size()) + " entries but sources has " +
               std::to_string(pj.pair_sources.size()) + "; allowed: one target per source");
  if (r.has("weights")) {
    pj.pair_weights = read_numbers(r, "weights", pj.pair_sources.size());
    pj.edge_weights = true;
  }
  if (r.has("delays")) {
    pj.pair_delays = read_numbers(r, "delays", pj.pair_sources.size());
    pj.edge_delays = true;
  }
  return origin;
}

/// Each pair's ids against the populations, its delay against dt, and what a synapse model
/// forbids: a gap junction couples two distinct cells, once per unordered pair (it couples
/// both ways); without autapses no cell of a self-projection targets itself.
void check_pairs(const ProjectionSpec& pj, const PairOrigin& o, const Deck& deck) {
  const std::uint64_t n_pre = static_cast<std::uint64_t>(deck.populations[deck.population_index(pj.pre)].n);
  const std::uint64_t n_post = static_cast<std::uint64_t>(deck.populations[deck.population_index(pj.post)].n);
  const double dt = deck.simulation.dt;
  const bool same = pj.pre == pj.post, gap = pj.synapse.gap();
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> seen;  // gap: unordered pair -> first index
  for (std::size_t k = 0; k < pj.pair_sources.size(); ++k) {
    const std::uint64_t a = pj.pair_sources[k], b = pj.pair_targets[k];
    if (a >= n_pre)
      o.fail(k, "sources", "source " + std::to_string(a) + " is not a cell of population '" + pj.pre + "'; allowed: 0 .. " +
                    std::to_string(n_pre - 1));
    if (b >= n_post)
      o.fail(k, "targets", "target " + std::to_string(b) + " is not a cell of population '" + pj.post + "'; allowed: 0 .. " +
                    std::to_string(n_post - 1));
    if (pj.edge_delays) {
      const double d = pj.pair_delays[k];
      if (!(d >= dt * (1 - 1e-9)) || !multiple_of(d, dt) || d / dt > 65535)
        o.fail(k, "delays", "delay " + num(d) + " ms; allowed: a multiple of dt = " + num(dt) + " ms, from dt to 65535·dt");
    }
    if (gap && a == b)
      o.fail(k, "targets", "couples astrocyte " + std::to_string(a) + " to itself; an ip3_gap_junction joins two distinct cells");
    if (same && !pj.autapses && a == b)
      o.fail(k, "targets", "connects cell " + std::to_string(a) + " to itself, and autapses = false; remove the pair or allow autapses");
    if (gap) {
      const auto key = std::make_pair(std::min(a, b), std::max(a, b));
      const auto ins = seen.emplace(key, k);
      if (!ins.second)
        o.fail(k, "targets", "junction " + std::to_string(a) + " - " + std::to_string(b) + " is listed again (first as pair " +
                      std::to_string(ins.first->second) +
                      "); each listed pair couples both ways, so list every junction once");
    }
  }
}

/// rule = "sonata": the edge file, its edge population (default: the projection's name) and
/// optionally its edge types; weights, delays and the synapse model come from the files.
void read_sonata_edges(const Reader& r, ProjectionSpec& pj) {
  namespace fs = std::filesystem;
  pj.rule = ProjectionSpec::Rule::sonata;
  r.require("edges", "the SONATA edge file (edges.h5), relative to the deck's folder");
  const auto path = [&](const std::string& key) {
    std::string p = r.string(key);
    if (p.empty()) r.fail(r.at(key), key, "must not be empty");
    if (fs::path(p).is_relative()) p = (fs::path(r.file()).parent_path() / p).string();
    return p;
  };
  pj.sonata_edges = path("edges");
  pj.sonata_loc = loc_of(r.at("edges"), r.file());
  pj.sonata_population = r.has("population") ? r.string("population") : pj.name;
  if (r.has("edge_types")) pj.sonata_edge_types = path("edge_types");
  for (const char* key : {"weight", "delay"})
    if (r.has(key))
      r.fail(r.at(key), key, "not allowed with rule = \"sonata\": the edge file gives each edge's syn_weight and delay");
}

/// `rule` and its parameters; pre and post are known populations.
PairOrigin read_rule(const Reader& r, ProjectionSpec& pj, const Deck& deck) {
  const std::int64_t n_pre = deck.populations[deck.population_index(pj.pre)].n;
  const std::string rule =
      r.choice("rule", {"fixed_indegree", "fixed_total_number", "pairwise_bernoulli", "distance",
                        "tripartite_bernoulli_with_pool", "one_to_one", "pairs", "sonata"}, "");
  if (rule == "sonata") {
    read_sonata_edges(r, pj);
    return {};
  }
  pj.autapses = r.boolean("autapses", true);
  if (rule == "one_to_one") {
    read_one_to_one(r, pj, deck);
    return {};
  }
  if (rule == "pairs") return read_pairs(r, pj);
  if (rule == "fixed_indegree") {
    read_fixed_indegree(r, pj, n_pre);
    return {};
  }
  if (rule == "fixed_total_number") {
    read_fixed_total_number(r, pj, n_pre, deck.populations[deck.population_index(pj.post)].n);
    return {};
  }
  r.require("p", rule == "distance" ? "the connection probability at distance 0" : "the connection probability");
  pj.p = r.number("p");
  if (!(pj.p >= 0 && pj.p <= 1)) r.fail(r.at("p"), "p", "must lie in [0, 1] (got " + num(pj.p) + ")");
  if (rule == "pairwise_bernoulli") pj.rule = ProjectionSpec::Rule::pairwise_bernoulli;
  else if (rule == "tripartite_bernoulli_with_pool") read_tripartite_pool(r, pj, deck);
  else read_distance_kernel(r, pj);
  return {};
}

/// The tripartite rule's two other connection sets, each from its own table (third_in:
/// pre -> astrocyte; third_out: astrocyte -> post, by SIC). `self` is the primary's table.
std::vector<ProjectionSpec> read_third_parties(const Reader& r, const tvalue& self, const ProjectionSpec& pj,
                                               std::set<std::string>& names, const Deck& deck) {
  std::vector<ProjectionSpec> thirds;
  // G-ChI astrocytes act on the synapses themselves (gliotransmission), not by SIC:
  // no third_out projection for them.
  const std::string& amodel = deck.populations[deck.population_index(pj.astrocytes)].model;
  const bool glio_astro = amodel == "astrocyte_gchi" || amodel == "astrocyte_integrator";
  if (glio_astro && r.has("third_out"))
    r.fail(r.at("third_out"), "third_out",
           amodel + " acts on its synapses (gliotransmission, or gating their STDP), not by SIC; remove third_out");
  for (const char* which : {"third_in", "third_out"}) {
    ProjectionSpec t;
    const bool in = std::string(which) == "third_in";
    if (!in && glio_astro) continue;
    t.name = pj.name + "_" + which;
    t.pre = in ? pj.pre : pj.astrocytes;
    t.post = in ? pj.astrocytes : pj.post;
    t.rule = ProjectionSpec::Rule::tripartite;
    t.role = in ? ProjectionSpec::Role::third_in : ProjectionSpec::Role::third_out;
    t.primary = static_cast<int>(deck.projections.size());
    t.astrocytes = pj.astrocytes;
    t.loc = r.loc(which);
    if (r.has(which)) {
      const Reader tr(r.at(which), r.full(which), r.file());
      read_synapse_part(tr, r.at(which), t, deck, false, in);
      tr.finish();
    } else {
      t.weight.value = 1.0;
      t.weight.loc = t.loc;
      t.delay.value = 1.0;
      t.delay.loc = t.loc;
      t.synapse.loc = t.synapse.model_loc = t.loc;
    }
    if (!in) t.synapse.model = "sic_connection";
    if (names.count(t.name))
      r.fail(self, "name", "the tripartite rule names its third-party projection '" + t.name +
                               "', which another projection already uses");
    names.insert(t.name);
    thirds.push_back(std::move(t));
  }
  return thirds;
}

/// The k-th [[projection]], and for the tripartite rule its two third-party projections,
/// appended to deck.projections. `names`: the projection names taken so far. Until its
/// name is known, messages call it projection[k]; after, projection.NAME.
void read_projection(const tvalue& table, std::size_t k, std::set<std::string>& names, Deck& deck) {
  ProjectionSpec pj;
  const Reader pre(table, "projection[" + std::to_string(k) + "]", deck.file);
  pre.require("pre", "the name of the source population");
  pre.require("post", "the name of the target population");
  pj.pre = pre.string("pre");
  pj.post = pre.string("post");
  pj.name = pre.string("name", pj.pre + "_to_" + pj.post);
  if (pre.has("name")) check_name(pre, "name", pj.name);
  if (names.count(pj.name))
    pre.fail(pre.has("name") ? pre.at("name") : table, "name",
             "duplicate projection name '" + pj.name + "'; give each projection a distinct name");
  names.insert(pj.name);
  const Reader r(table, "projection." + pj.name, deck.file);
  r.has("name");
  pj.loc = r.loc();
  const std::vector<std::string> popnames = population_names(deck);
  for (const std::string key : {"pre", "post"}) {
    const std::string& pop = key == std::string("pre") ? pj.pre : pj.post;
    if (deck.population_index(pop) < 0)
      r.fail(r.at(key), key, not_found("population", pop, popnames) + "; populations: " + join(popnames));
  }
  const PairOrigin origin = read_rule(r, pj, deck);
  read_synapse_part(r, table, pj, deck, pj.rule != ProjectionSpec::Rule::sonata);
  if (pj.rule == ProjectionSpec::Rule::pairs) {
    check_pairs(pj, origin, deck);
    fold_constant_edges(pj);
  }
  if (pj.rule == ProjectionSpec::Rule::sonata) {
    if (!edge_file_scanner())
      throw input_error(pj.sonata_loc.file, pj.sonata_loc.line, "projection." + pj.name + ".edges",
                        "this program cannot read SONATA files (no HDF5 reader registered)");
    if (!r.has("synapse")) pj.synapse.model = "";  // the edge types' model, else static
    edge_file_scanner()(deck, pj);
  }
  std::vector<ProjectionSpec> thirds;
  if (pj.role == ProjectionSpec::Role::primary) thirds = read_third_parties(r, table, pj, names, deck);
  r.finish({"name", "pre", "post"});
  deck.projections.push_back(std::move(pj));
  for (auto& t : thirds) deck.projections.push_back(std::move(t));
}

}  // namespace

void read_projections(const Reader& top, Deck& deck) {
  if (!top.has("projection")) return;
  const tvalue& pv = top.at("projection");
  if (!pv.is_array()) top.fail(pv, "projection", "must be an array of tables: write [[projection]]");
  const auto& arr = pv.as_array();
  std::set<std::string> names;
  for (std::size_t k = 0; k < arr.size(); ++k) read_projection(arr[k], k, names, deck);
}

}  // namespace cajal::input
