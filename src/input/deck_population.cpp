// [[population]]: name, model and size, then each sub-table (params, placement,
// background) and a spike_generator's spike times, inline or from a CSV file.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cajal/util/error.hpp"
#include "input/deck_sections.hpp"
#include "input/spike_file.hpp"

namespace cajal::input {
namespace {

/// Splits a CSV line at commas, trimming blanks around each field.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');) {
    const auto a = c.find_first_not_of(" \t"), b = c.find_last_not_of(" \t");
    out.push_back(a == std::string::npos ? std::string() : c.substr(a, b - a + 1));
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

/// A finite number written in `s`, or false.
bool parse_number(const std::string& s, double& x) {
  char* end = nullptr;
  x = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0' && std::isfinite(x);
}

/// Per-cell values from a file: one number per line, or (with `column`) the column of
/// that name in a CSV file whose first line is the header. Blank lines and lines starting
/// with '#' are skipped. Errors name the file's line; there must be exactly n values.
std::vector<double> read_value_file(const std::string& path, const std::string& column, std::int64_t n,
                                    const std::string& key, const std::string& given_at) {
  const std::string from = " (the file of " + given_at + ")";
  std::ifstream f(path);
  std::vector<double> out;
  std::string line;
  int lineno = 0, col = -1;
  std::size_t width = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto fields = csv_fields(line);
    if (!column.empty() && col < 0) {  // the header
      const auto it = std::find(fields.begin(), fields.end(), column);
      if (it == fields.end())
        throw input_error(path, lineno, key, not_found("column", column, fields) + "; allowed: a column of the header '" +
                                                 line + "'" + from);
      col = static_cast<int>(it - fields.begin());
      width = fields.size();
      continue;
    }
    if (column.empty() && fields.size() != 1)
      throw input_error(path, lineno, key, "has " + std::to_string(fields.size()) +
                                               " columns; allowed: one number per line, or name a CSV column with "
                                               "column = \"NAME\"" + from);
    if (!column.empty() && fields.size() != width)
      throw input_error(path, lineno, key, "has " + std::to_string(fields.size()) + " columns, the header " +
                                               std::to_string(width) + "; allowed: the same number on every line" + from);
    double x = 0;
    const std::string& v = fields[column.empty() ? 0 : col];
    if (!parse_number(v, x))
      throw input_error(path, lineno, key, "'" + v + "' is not a finite number; allowed: one number per cell" + from);
    out.push_back(x);
  }
  if (!column.empty() && col < 0) throw input_error(path, lineno, key, "has no header line naming column '" + column + "'" + from);
  if (static_cast<std::int64_t>(out.size()) != n)
    throw input_error(path, lineno, key, "has " + std::to_string(out.size()) + " values; allowed: exactly n = " +
                                             std::to_string(n) + " (one per cell, in id order)" + from);
  return out;
}

/// A parameter given per cell: an array of exactly n numbers, or { file = "...", column =
/// "..." } (the path relative to the deck's folder).
void read_per_cell(const Reader& t, const std::string& name, std::int64_t n, Param& prm) {
  const tvalue& v = t.at(name);
  const std::string key = t.full(name);
  if (v.is_array()) {
    const auto& a = v.as_array();
    if (static_cast<std::int64_t>(a.size()) != n)
      t.fail(v, name, "has " + std::to_string(a.size()) + " values; allowed: exactly n = " + std::to_string(n) +
                          " (one per cell, in id order), or one number for every cell");
    prm.per_cell.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      double x = 0;
      if (a[i].is_floating()) x = a[i].as_floating();
      else if (a[i].is_integer()) x = static_cast<double>(a[i].as_integer());
      else t.fail(v, name + "[" + std::to_string(i) + "]", "must be a number; got " + Reader::type_name(a[i]));
      if (!std::isfinite(x)) t.fail(v, name + "[" + std::to_string(i) + "]", "must be finite");
      prm.per_cell.push_back(x);
    }
  } else {
    const Reader fr(v, key, t.file());
    std::string path = fr.string("file");
    const std::string column = fr.string("column", "");
    fr.finish();
    if (path.empty()) fr.fail(fr.at("file"), "file", "must not be empty");
    namespace fs = std::filesystem;
    if (fs::path(path).is_relative()) path = (fs::path(t.file()).parent_path() / path).lexically_normal().string();
    if (!std::ifstream(path))
      fr.fail(fr.at("file"), "file",
              path + ": cannot open the file of per-cell values (missing or unreadable); a relative path starts at "
                     "the deck's folder");
    const SourceLoc at = t.loc(name);
    prm.per_cell = read_value_file(path, column, n, key, at.file + ":" + std::to_string(at.line));
  }
  prm.value = prm.per_cell[0];
}

/// `params`: numbers, per-cell values (an array or a file), or (for initial values,
/// checked by the model catalogue) distributions.
void read_params(const Reader& r, PopulationSpec& p) {
  p.params_loc = r.loc();
  if (!r.has("params")) return;
  const tvalue& t = r.at("params");
  if (!t.is_table()) r.fail(t, "params", "must be a table of model parameters, e.g. { tau_m = 20.0 }");
  p.params_loc = loc_of(t, r.file());
  const Reader pr(t, r.full("params"), r.file());
  for (const auto& kv : t.as_table()) {
    Param prm;
    prm.loc = loc_of(kv.second, r.file());
    if (kv.second.is_floating()) prm.value = kv.second.as_floating();
    else if (kv.second.is_integer()) prm.value = static_cast<double>(kv.second.as_integer());
    else if (kv.second.is_array() || (kv.second.is_table() && kv.second.as_table().count("file")))
      read_per_cell(pr, kv.first, p.n, prm);
    else if (kv.second.is_table()) {
      prm.dist = read_distribution(pr, kv.first, "the parameter's unit");
      prm.value = prm.dist.kind == Distribution::Kind::normal ? prm.dist.mean : 0.5 * (prm.dist.low + prm.dist.high);
    } else
      throw input_error(prm.loc.file, prm.loc.line, r.full("params." + kv.first),
                        "must be a number (or, for an initial value, a distribution table); got " +
                            Reader::type_name(kv.second) +
                            "; per cell: an array of n numbers, or { file = \"...\", column = \"...\" }");
    prm.dist.loc = prm.loc;
    if (!std::isfinite(prm.value))
      throw input_error(prm.loc.file, prm.loc.line, r.full("params." + kv.first), "must be finite");
    p.params[kv.first] = prm;
  }
}

/// `placement`: random (the default) or a grid, in a region of simulation.box.
void read_placement(const Reader& r, PopulationSpec& p, const Deck& deck) {
  p.placement.max = deck.simulation.box;
  p.placement.loc = r.loc();
  if (!r.has("placement")) return;
  const Reader pl(r.at("placement"), r.full("placement"), r.file());
  p.placement.loc = pl.loc();
  const std::string kind = pl.choice("kind", {"random", "grid"}, "random");
  if (pl.has("min")) p.placement.min = pl.triple("min");
  if (pl.has("max")) p.placement.max = pl.triple("max");
  const auto& box = deck.simulation.box;
  for (int d = 0; d < 3; ++d) {
    if (!(p.placement.min[d] < p.placement.max[d]))
      pl.fail_here("min", "must be below max in every dimension (dimension " + std::to_string(d) + ": " +
                              num(p.placement.min[d]) + " vs " + num(p.placement.max[d]) + ")");
    if (p.placement.min[d] < 0 || p.placement.max[d] > box[d])
      pl.fail_here(p.placement.min[d] < 0 ? "min" : "max", "the placement region must lie inside simulation.box [0, " +
                                                              num(box[0]) + "] x [0, " + num(box[1]) + "] x [0, " +
                                                              num(box[2]) + "] µm");
  }
  if (kind == "grid") {
    p.placement.kind = Placement::Kind::grid;
    pl.require("shape", "a grid placement needs shape = [nx, ny, nz]");
    const tvalue& s = pl.at("shape");
    if (!s.is_array() || s.as_array().size() != 3) pl.fail(s, "shape", "must be an array of three integers [nx, ny, nz]");
    std::int64_t prod = 1;
    for (int d = 0; d < 3; ++d) {
      const tvalue& e = s.as_array()[d];
      if (!e.is_integer() || e.as_integer() < 1) pl.fail(s, "shape", "must be three integers ≥ 1");
      p.placement.shape[d] = e.as_integer();
      prod *= p.placement.shape[d];
    }
    if (prod != p.n) pl.fail(s, "shape", "nx*ny*nz = " + std::to_string(prod) + " must equal n = " + std::to_string(p.n));
  }
  pl.finish();
}

/// `background`: Poisson input to every cell.
void read_background(const Reader& r, PopulationSpec& p, double dt) {
  if (!r.has("background")) return;
  const Reader b(r.at("background"), r.full("background"), r.file());
  p.background.loc = b.loc();
  b.require("rate", "the Poisson rate per neuron in Hz");
  b.require("weight", "the weight of each Poisson event");
  p.background.rate_hz = b.number("rate");
  p.background.weight = b.number("weight");
  if (!(p.background.rate_hz >= 0) || !std::isfinite(p.background.rate_hz))
    b.fail(b.at("rate"), "rate", "must be ≥ 0 Hz (got " + num(p.background.rate_hz) + ")");
  if (p.background.rate_hz * dt * 1e-3 > 1e4)
    b.fail(b.at("rate"), "rate", "more than 10^4 events per step per neuron; allowed: rate (Hz) × dt (ms) / 1000 ≤ 10^4");
  b.finish();
}

/// `spike_times`: one flat list for every cell, or one list per cell (held as the cells
/// that have spikes and their times).
void read_inline_spike_times(const Reader& r, PopulationSpec& p) {
  const tvalue& a = r.at("spike_times");
  p.spikes_loc = loc_of(a, r.file());
  const std::string shape = "must be an array of times in ms, or an array of such arrays (one per cell)";
  auto numbers = [&](const tvalue& arr, std::vector<double>& v) {
    for (const auto& e : arr.as_array()) {
      if (e.is_floating()) v.push_back(e.as_floating());
      else if (e.is_integer()) v.push_back(static_cast<double>(e.as_integer()));
      else r.fail(a, "spike_times", shape);
    }
  };
  if (!a.is_array()) r.fail(a, "spike_times", shape);
  const auto& arr = a.as_array();
  SpikeTimes& st = p.spike_times;
  if (!arr.empty() && arr[0].is_array()) {
    if (static_cast<std::int64_t>(arr.size()) != p.n)
      r.fail(a, "spike_times", "has " + std::to_string(arr.size()) + " lists, one per cell; allowed: n = " +
                                   std::to_string(p.n) + " lists, or one flat list for every cell");
    st.shared = p.n == 1;  // the one cell's list
    for (std::size_t c = 0; c < arr.size(); ++c) {
      if (!arr[c].is_array())
        r.fail(a, "spike_times", "mixes numbers and lists; allowed: one flat list, or one list per cell");
      numbers(arr[c], st.time);
      if (!st.shared && st.time.size() > st.row.back()) {
        st.cell.push_back(c);
        st.row.push_back(st.time.size());
      }
    }
  } else {
    numbers(a, st.time);
  }
  p.has_spike_times = true;
}

/// Spike times must be multiples of dt, > 0, distinct per cell; `who` names the cell in
/// messages (" of cell 7", or "" for a list every cell shares).
struct SpikeTimeCheck {
  const Reader& r;
  const PopulationSpec& p;
  double dt;
  [[noreturn]] void off_grid(double t, const std::string& who) const {
    throw input_error(p.spikes_loc.file, p.spikes_loc.line, r.full("spike_times"),
                      "spike time " + num(t) + " ms" + who + ": allowed: times > 0 that are multiples of dt = " +
                          num(dt) + " ms (a spike is stamped at the end of a step)");
  }
  [[noreturn]] void twice(double t, const std::string& who) const {
    throw input_error(p.spikes_loc.file, p.spikes_loc.line, r.full("spike_times"),
                      "spike time " + num(t) + " ms" + who + " appears twice; allowed: each time once per cell");
  }
  bool bad(double t) const { return !(t > 0) || !multiple_of(t, dt); }
  bool same_step(double a, double b) const { return std::llround(a / dt) == std::llround(b / dt); }
  std::string who(std::uint64_t cell) const { return p.n > 1 ? " of cell " + std::to_string(cell) : ""; }
  /// Checks one list and sorts it.
  void list(double* begin, double* end, const std::string& who) const {
    for (const double* t = begin; t != end; ++t)
      if (bad(*t)) off_grid(*t, who);
    std::sort(begin, end);
    for (const double* t = begin + 1; t < end; ++t)
      if (same_step(*t, *(t - 1))) twice(*t, who);
  }
};

/// Spike times held in the deck (inline, or a one-column file): each list checked and
/// sorted, cells in ascending order (the first bad cell is the one reported).
void check_spike_times(const Reader& r, PopulationSpec& p, double dt) {
  const SpikeTimeCheck check{r, p, dt};
  SpikeTimes& st = p.spike_times;
  if (st.shared) return check.list(st.time.data(), st.time.data() + st.time.size(), "");
  for (std::size_t k = 0; k < st.cell.size(); ++k)
    check.list(st.time.data() + st.row[k], st.time.data() + st.row[k + 1], check.who(st.cell[k]));
}

/// A two-column spike file is checked without holding it: one streaming pass checks each
/// line and the times against dt, and finds the lowest cell with a time off the grid; a
/// second look for a time listed twice for a cell is needed only where the file is not
/// sorted by (node_id, time), and reads the cells below that one in ranges of at most
/// `budget` spikes (a histogram of the first pass sizes them), a pass over the file each.
/// The message is the one a check of every cell in ascending order gives.
void check_spike_file_times(const Reader& r, PopulationSpec& p, double dt, std::uint64_t budget) {
  const SpikeTimeCheck check{r, p, dt};
  const std::string& path = p.spike_times.file;
  const std::uint64_t n = static_cast<std::uint64_t>(p.n);
  const std::uint64_t width = std::max<std::uint64_t>(1, (n + 65535) / 65536);  // cells per histogram bin
  std::vector<std::uint64_t> bins((n + width - 1) / width, 0);
  std::int64_t bad_cell = -1;
  double bad_time = 0;
  bool sorted = true;
  std::int64_t prev_node = -1;
  long long prev_step = 0;
  std::uint64_t count = 0;
  SpikeCsvReader in(path, p.n);
  for (SpikeCsvLine l; in.next(l);) {
    ++count;
    ++bins[static_cast<std::uint64_t>(l.node) / width];
    if (check.bad(l.time) && (bad_cell < 0 || l.node < bad_cell)) {
      bad_cell = l.node;
      bad_time = l.time;
    }
    const long long step = std::llround(l.time / dt);
    if (l.node < prev_node || (l.node == prev_node && step <= prev_step)) sorted = false;
    prev_node = l.node;
    prev_step = step;
  }
  p.spike_times.file_spikes = count;
  const std::uint64_t limit = bad_cell >= 0 ? static_cast<std::uint64_t>(bad_cell) : n;
  for (std::uint64_t b0 = 0; !sorted && b0 < bins.size() && b0 * width < limit;) {
    std::uint64_t b1 = b0 + 1, spikes = bins[b0];
    while (b1 < bins.size() && b1 * width < limit && spikes + bins[b1] <= budget) spikes += bins[b1++];
    const std::uint64_t lo = b0 * width, hi = std::min(b1 * width, limit);
    std::vector<std::pair<std::uint64_t, double>> v;
    v.reserve(spikes);
    SpikeCsvReader again(path, p.n);
    for (SpikeCsvLine l; again.next(l);) {
      const auto c = static_cast<std::uint64_t>(l.node);
      if (c >= lo && c < hi) v.emplace_back(c, l.time);
    }
    std::sort(v.begin(), v.end());
    for (std::size_t k = 1; k < v.size(); ++k)
      if (v[k].first == v[k - 1].first && check.same_step(v[k].second, v[k - 1].second))
        check.twice(v[k].second, check.who(v[k].first));
    b0 = b1;
  }
  if (bad_cell >= 0) check.off_grid(bad_time, check.who(static_cast<std::uint64_t>(bad_cell)));
}

/// Spikes the check of a two-column file holds at once, at most (16 bytes each).
constexpr std::uint64_t spike_check_budget = std::uint64_t(1) << 21;

/// `spike_file`: a CSV file, relative to the deck's folder. One column: the list every
/// cell shares, held in the deck. Two columns: the deck keeps the path only.
void read_spike_file(const Reader& r, PopulationSpec& p, double dt) {
  p.spikes_loc = r.loc("spike_file");
  std::string path = r.string("spike_file");
  if (path.empty()) r.fail(r.at("spike_file"), "spike_file", "must not be empty");
  namespace fs = std::filesystem;
  if (fs::path(path).is_relative()) path = (fs::path(r.file()).parent_path() / path).string();
  if (!std::ifstream(path))
    r.fail(r.at("spike_file"), "spike_file",
           path + ": cannot open the spike file (missing or unreadable); a relative path starts at the deck's folder");
  p.has_spike_times = true;
  SpikeTimes& st = p.spike_times;
  // The first data line decides the form; a file without one is an empty shared list.
  SpikeCsvReader in(path, p.n);
  SpikeCsvLine l;
  if (!in.next(l)) return;
  if (in.columns() == 2) {
    st.shared = false;
    st.file = path;
    return check_spike_file_times(r, p, dt, spike_check_budget);
  }
  do st.time.push_back(l.time);
  while (in.next(l));
  check_spike_times(r, p, dt);
}

/// spike_generator: explicit spike times, inline or from a CSV file.
void read_spike_times(const Reader& r, PopulationSpec& p, double dt) {
  if (r.has("spike_times") && r.has("spike_file"))
    r.fail(r.at("spike_file"), "spike_file", "give spike_times or spike_file, not both");
  if (r.has("spike_times")) {
    read_inline_spike_times(r, p);
    check_spike_times(r, p, dt);
  }
  if (r.has("spike_file")) read_spike_file(r, p, dt);
}

/// The k-th [[population]]. Until its name is known, messages call it population[k];
/// after, population.NAME.
/// `sonata = { nodes, population, node_types }`: the population from a SONATA node file.
void read_sonata_nodes(const Reader& r, PopulationSpec& p, const Deck& deck) {
  namespace fs = std::filesystem;
  const Reader sr(r.at("sonata"), r.full("sonata"), r.file());
  sr.require("nodes", "the SONATA node file (nodes.h5), relative to the deck's folder");
  const auto path = [&](const std::string& key) {
    std::string s = sr.string(key);
    if (s.empty()) sr.fail(sr.at(key), key, "must not be empty");
    if (fs::path(s).is_relative()) s = (fs::path(r.file()).parent_path() / s).string();
    return s;
  };
  p.sonata_nodes = path("nodes");
  p.sonata_loc = sr.loc();
  p.sonata_population = sr.has("population") ? sr.string("population") : p.name;
  if (sr.has("node_types")) p.sonata_node_types = path("node_types");
  sr.finish();
  if (r.has("placement"))
    r.fail(r.at("placement"), "placement", "not allowed with sonata: the node file gives the positions");
  if (p.model.empty() && p.sonata_node_types.empty())
    sr.fail(r.at("sonata"), "node_types", "missing; without a model in the deck, the node types file names it");
  if (!node_file_scanner())
    throw input_error(p.sonata_loc.file, p.sonata_loc.line, r.full("sonata"),
                      "this program cannot read SONATA files (no HDF5 reader registered)");
  node_file_scanner()(deck, p);
}

PopulationSpec read_population(const tvalue& table, std::size_t k, const Deck& deck) {
  const Reader pre(table, "population[" + std::to_string(k) + "]", deck.file);
  pre.require("name", "every population needs a name");
  PopulationSpec p;
  p.name = pre.string("name");
  check_name(pre, "name", p.name);
  if (deck.population_index(p.name) >= 0)
    pre.fail(pre.at("name"), "name", "duplicate population name '" + p.name + "'; allowed: each name once");
  const Reader r(table, "population." + p.name, deck.file);
  r.has("name");
  p.loc = r.loc();
  const bool sonata = r.has("sonata");
  if (!sonata || r.has("model")) {
    r.require("model", "the neuron model, e.g. \"iaf_psc_delta\"");
    p.model = r.string("model");
    p.model_loc = r.loc("model");
  }
  if (!sonata || r.has("n")) {
    r.require("n", "the number of cells");
    p.n = r.integer("n");
    if (p.n < 1) r.fail(r.at("n"), "n", "must be ≥ 1 (got " + std::to_string(p.n) + ")");
    // Synapses name their source by its id within its population, in 32 bits.
    if (p.n > (std::int64_t(1) << 32))
      r.fail(r.at("n"), "n", "must be at most 2^32 (got " + std::to_string(p.n) + "); split a larger population in two");
  }
  read_params(r, p);
  read_placement(r, p, deck);
  if (sonata) read_sonata_nodes(r, p, deck);
  read_background(r, p, deck.simulation.dt);
  read_spike_times(r, p, deck.simulation.dt);
  r.finish({"name"});
  return p;
}

}  // namespace

void read_populations(const Reader& top, Deck& deck) {
  if (top.has("population") && !top.at("population").is_array())
    top.fail(top.at("population"), "population", "must be an array of tables: write [[population]], not [population]");
  if ((!top.has("population") || top.at("population").as_array().empty()) && !top.has("field"))
    throw input_error(top.file(), 0, "population", "the deck needs at least one [[population]] (or a [field] alone)");
  if (top.has("population")) {
    const auto& arr = top.at("population").as_array();
    for (std::size_t k = 0; k < arr.size(); ++k) deck.populations.push_back(read_population(arr[k], k, deck));
  }
  std::int64_t total = 0;
  for (const auto& p : deck.populations) total += p.n;
  if (total > (std::int64_t(1) << 47))
    throw input_error(top.file(), deck.populations.back().loc.line, "population",
                      "the populations hold " + std::to_string(total) + " cells; allowed: at most 2^47 in all");
}

}  // namespace cajal::input
