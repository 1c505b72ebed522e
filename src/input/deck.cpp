// Deck parsing and validation. toml11 gives every value a source location; each check
// below turns a bad value into `FILE:LINE: key: what is wrong; what is allowed`.
#include "cajal/input/deck.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "cajal/util/error.hpp"

namespace cajal {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and transpositions of
  // neighbours ("tua_m" -> "tau_m") each cost one edit.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest(const std::string& word, const std::vector<std::string>& options) {
  // Close: at most a third of the word edited (at least one edit), never the whole word;
  // or the word is a prefix of at least 3 characters ("gauss" -> "gaussian").
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const auto& o : options) {
    const std::size_t d = edit_distance(word, o);
    if (d < best_d && d < word.size()) best_d = d, best = o;
  }
  if (best.empty() && word.size() >= 3)
    for (const auto& o : options)
      if (o.compare(0, word.size(), word) == 0) return o;
  return best;
}

namespace {

using tvalue = toml::value;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

std::string num(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}

SourceLoc loc_of(const tvalue& v, const std::string& fallback_file) {
  const auto l = v.location();
  SourceLoc s;
  s.file = l.file_name().empty() || l.file_name() == "unknown file" ? fallback_file : l.file_name();
  s.line = static_cast<int>(l.line());
  return s;
}

/// Reads one TOML table: typed getters that report with the key's full dotted name and
/// line, and a final check that every key present was one the reader asked for.
class Reader {
public:
  Reader(const tvalue& table, std::string prefix, std::string file)
      : t_(table), prefix_(std::move(prefix)), file_(std::move(file)) {
    if (!t_.is_table()) fail(t_, "", "must be a table");
  }

  [[noreturn]] void fail(const tvalue& at, const std::string& key, const std::string& why) const {
    const SourceLoc l = loc_of(at, file_);
    throw input_error(l.file, l.line, full(key), why);
  }
  [[noreturn]] void fail_here(const std::string& key, const std::string& why) const {
    fail(t_, key, why);
  }
  std::string full(const std::string& key) const {
    if (key.empty()) return prefix_;
    return prefix_.empty() ? key : prefix_ + "." + key;
  }
  SourceLoc loc() const { return loc_of(t_, file_); }
  SourceLoc loc(const std::string& key) const { return has(key) ? loc_of(at(key), file_) : loc(); }
  bool has(const std::string& key) const {
    seen_.insert(key);
    return t_.as_table().count(key) != 0;
  }
  const tvalue& at(const std::string& key) const {
    seen_.insert(key);
    return t_.as_table().at(key);
  }

  double number(const std::string& key) const {
    const tvalue& v = at(key);
    if (v.is_floating()) {
      if (!std::isfinite(v.as_floating())) fail(v, key, "must be a finite number; got " + toml::format(v));
      return v.as_floating();
    }
    if (v.is_integer()) return static_cast<double>(v.as_integer());
    fail(v, key, "must be a number; got " + type_name(v));
  }
  double number(const std::string& key, double def) const { return has(key) ? number(key) : def; }

  std::int64_t integer(const std::string& key) const {
    const tvalue& v = at(key);
    if (v.is_integer()) return v.as_integer();
    fail(v, key, "must be an integer; got " + type_name(v) + (v.is_floating() ? " (" + toml::format(v) + ")" : ""));
  }
  bool boolean(const std::string& key, bool def) const {
    if (!has(key)) return def;
    const tvalue& v = at(key);
    if (v.is_boolean()) return v.as_boolean();
    fail(v, key, "must be true or false; got " + type_name(v));
  }
  std::string string(const std::string& key) const {
    const tvalue& v = at(key);
    if (v.is_string()) return v.as_string().str;
    fail(v, key, "must be a string; got " + type_name(v));
  }
  std::string string(const std::string& key, const std::string& def) const {
    return has(key) ? string(key) : def;
  }
  std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                     const std::string& def) const {
    if (!has(key) && def.empty()) fail_here(key, "missing; allowed: " + join(allowed));
    const std::string s = has(key) ? string(key) : def;
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      std::string why = "unknown value '" + s + "'";
      const std::string c = closest(s, allowed);
      if (!c.empty()) why += " (did you mean '" + c + "'?)";
      fail(at(key), key, why + "; allowed: " + join(allowed));
    }
    return s;
  }
  std::array<double, 3> triple(const std::string& key) const {
    const tvalue& v = at(key);
    if (!v.is_array() || v.as_array().size() != 3)
      fail(v, key, "must be an array of three numbers [x, y, z] (µm)");
    std::array<double, 3> out{};
    for (int i = 0; i < 3; ++i) {
      const tvalue& e = v.as_array()[i];
      if (e.is_floating() && std::isfinite(e.as_floating())) out[i] = e.as_floating();
      else if (e.is_integer()) out[i] = static_cast<double>(e.as_integer());
      else fail(v, key, "must be an array of three finite numbers [x, y, z]; element " +
                            std::to_string(i) + " is " + type_name(e));
    }
    return out;
  }
  /// A missing required key; when an unknown key is spelled close to it, that is the
  /// likelier mistake, and the message names it.
  void require(const std::string& key, const std::string& what) const {
    if (has(key)) return;
    for (const auto& kv : t_.as_table())
      if (!seen_.count(kv.first) && closest(kv.first, {key}) == key)
        fail(kv.second, kv.first, "unknown key (did you mean '" + key + "'?); " + key + " is required: " + what);
    fail_here(key, "missing; " + what);
  }

  /// Every key present must have been asked for.
  void finish(const std::vector<std::string>& extra_allowed = {}) const {
    std::vector<std::pair<int, std::string>> unknown;
    for (const auto& kv : t_.as_table())
      if (!seen_.count(kv.first) &&
          std::find(extra_allowed.begin(), extra_allowed.end(), kv.first) == extra_allowed.end())
        unknown.emplace_back(loc_of(kv.second, file_).line, kv.first);
    if (unknown.empty()) return;
    std::sort(unknown.begin(), unknown.end());
    const std::string& key = unknown.front().second;
    std::vector<std::string> allowed(seen_.begin(), seen_.end());
    allowed.insert(allowed.end(), extra_allowed.begin(), extra_allowed.end());
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string why = "unknown key";
    const std::string c = closest(key, allowed);
    if (!c.empty()) why += " (did you mean '" + c + "'?)";
    fail(t_.as_table().at(key), key, why + "; allowed here: " + join(allowed));
  }

  static std::string type_name(const tvalue& v) {
    switch (v.type()) {
      case toml::value_t::boolean: return "a boolean";
      case toml::value_t::integer: return "an integer";
      case toml::value_t::floating: return "a number";
      case toml::value_t::string: return "a string";
      case toml::value_t::array: return "an array";
      case toml::value_t::table: return "a table";
      default: return "a date or time";
    }
  }

  const std::string& file() const { return file_; }

private:
  const tvalue& t_;
  std::string prefix_;
  std::string file_;
  mutable std::set<std::string> seen_;
};

bool multiple_of(double x, double dt) {
  const double r = x / dt;
  return std::fabs(r - std::round(r)) <= 1e-9 * std::max(1.0, std::fabs(r));
}

Distribution read_distribution(const Reader& parent, const std::string& key, const std::string& unit) {
  Distribution d;
  d.loc = parent.loc(key);
  const tvalue& v = parent.at(key);
  if (v.is_floating() || v.is_integer()) {
    d.value = parent.number(key);
    return d;
  }
  if (!v.is_table())
    parent.fail(v, key, "must be a number (" + unit + ") or a table {dist = \"normal\"|\"uniform\", ...}");
  Reader r(v, parent.full(key), parent.file());
  const std::string kind = r.choice("dist", {"normal", "uniform"}, "");
  if (kind == "normal") {
    d.kind = Distribution::Kind::normal;
    r.require("mean", "a normal distribution needs mean and std");
    r.require("std", "a normal distribution needs mean and std");
    d.mean = r.number("mean");
    d.stddev = r.number("std");
    if (d.stddev < 0) r.fail(r.at("std"), "std", "must be ≥ 0 (got " + num(d.stddev) + ")");
    d.low = r.number("min", -1e300);
    d.high = r.number("max", 1e300);
    if (d.low >= d.high)
      r.fail_here("min", "must be below max (got min " + num(d.low) + ", max " + num(d.high) + ")");
  } else {
    d.kind = Distribution::Kind::uniform;
    r.require("low", "a uniform distribution needs low and high");
    r.require("high", "a uniform distribution needs low and high");
    d.low = r.number("low");
    d.high = r.number("high");
    if (!(d.low < d.high))
      r.fail(r.at("low"), "low", "must be below high (got low " + num(d.low) + ", high " + num(d.high) + ")");
  }
  r.finish();
  return d;
}

/// A list of population names (key `key` of `r`) that must exist in the deck.
std::vector<std::string> population_list(const Reader& r, const std::string& key, const Deck& deck) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  const tvalue& a = r.at(key);
  if (!a.is_array()) r.fail(a, key, "must be an array of population names");
  std::vector<std::string> popnames;
  for (const auto& p : deck.populations) popnames.push_back(p.name);
  for (const auto& e : a.as_array()) {
    if (!e.is_string()) r.fail(a, key, "must be an array of population names (strings)");
    const std::string& nm = e.as_string().str;
    if (deck.population_index(nm) < 0) {
      std::string why = "no population named '" + nm + "'";
      const std::string c = closest(nm, popnames);
      if (!c.empty()) why += " (did you mean '" + c + "'?)";
      r.fail(a, key, why + "; populations: " + (popnames.empty() ? std::string("none") : join(popnames)));
    }
    out.push_back(nm);
  }
  return out;
}

/// [field] and its [field.potassium] table.
void read_field(const Reader& top, Deck& deck, const std::string& file) {
  FieldSpec& f = deck.field;
  const Reader r(top.at("field"), "field", file);
  f.enabled = true;
  f.loc = r.loc();
  r.require("voxel", "the voxel edge in µm (the box must hold a whole number of voxels)");
  f.voxel_loc = r.loc("voxel");
  f.voxel = r.number("voxel");
  if (!(f.voxel > 0)) r.fail(r.at("voxel"), "voxel", "must be > 0 µm (got " + num(f.voxel) + ")");
  for (int d = 0; d < 3; ++d) {
    const double q = deck.simulation.box[d] / f.voxel;
    const double n = std::round(q);
    if (n < 1 || std::fabs(q - n) > 1e-9 * std::max(1.0, q))
      r.fail(r.at("voxel"), "voxel",
             "simulation.box[" + std::to_string(d) + "] = " + num(deck.simulation.box[d]) + " µm is not a whole number of " +
                 num(f.voxel) + " µm voxels (" + num(q) + "); allowed: a voxel that divides every side of the box");
    if (n > 1 << 20) r.fail(r.at("voxel"), "voxel", "more than 2^20 voxels along a side of the box");
    f.shape[d] = static_cast<std::int64_t>(n);
  }
  f.alpha = r.number("alpha", f.alpha);
  if (!(f.alpha > 0 && f.alpha <= 1)) r.fail(r.at("alpha"), "alpha", "the volume fraction must lie in (0, 1] (got " + num(f.alpha) + ")");
  f.tortuosity = r.number("tortuosity", f.tortuosity);
  if (!(f.tortuosity >= 1)) r.fail(r.at("tortuosity"), "tortuosity", "must be ≥ 1 (got " + num(f.tortuosity) + ")");
  f.dt_loc = r.loc("dt");
  f.dt = r.number("dt", deck.simulation.dt);
  if (!(f.dt > 0) || !multiple_of(f.dt, deck.simulation.dt))
    r.fail(r.at("dt"), "dt", "the field step must be a positive multiple of simulation.dt = " + num(deck.simulation.dt) +
                                 " ms (got " + num(f.dt) + ")");
  f.every = static_cast<std::int64_t>(std::llround(f.dt / deck.simulation.dt));
  f.steady = r.boolean("steady", false);
  f.solver_loc = r.loc("solver");
  f.solver = r.string("solver", "");
  f.rtol = r.number("rtol", f.rtol);
  if (!(f.rtol > 0 && f.rtol < 1)) r.fail(r.at("rtol"), "rtol", "must lie in (0, 1) (got " + num(f.rtol) + ")");
  if (r.has("max_it")) {
    f.max_it = r.integer("max_it");
    if (f.max_it < 1 || f.max_it > 100000) r.fail(r.at("max_it"), "max_it", "must lie in [1, 100000]");
  }
  f.manufactured = r.choice("manufactured", {"none", "sine"}, "none");
  if (f.manufactured == "none") f.manufactured.clear();
  f.amplitude = r.number("amplitude", f.amplitude);

  auto& k = f.potassium;
  k.loc = f.loc;
  if (r.has("potassium")) {
    const Reader p(r.at("potassium"), "field.potassium", file);
    k.loc = p.loc();
    k.D = p.number("D", k.D);
    if (!(k.D > 0)) p.fail(p.at("D"), "D", "the diffusion coefficient must be > 0 µm²/ms (got " + num(k.D) + ")");
    k.baseline = p.number("baseline", k.baseline);
    if (!(k.baseline >= 0)) p.fail(p.at("baseline"), "baseline", "must be ≥ 0 mM");
    k.initial = p.number("initial", k.baseline);
    if (!(k.initial >= 0)) p.fail(p.at("initial"), "initial", "must be ≥ 0 mM");
    if (p.has("boundary")) {
      const tvalue& b = p.at("boundary");
      const std::vector<std::string> kinds{"dirichlet", "neumann"};
      auto one = [&](const tvalue& v) {
        const std::string s = v.is_string() ? v.as_string().str : std::string();
        if (s != "dirichlet" && s != "neumann") {
          std::string why = "'" + s + "' is not a boundary condition";
          const std::string c = closest(s, kinds);
          if (!c.empty()) why += " (did you mean '" + c + "'?)";
          p.fail(b, "boundary", why + "; allowed: \"dirichlet\" (bath at baseline) or \"neumann\" (no flux), one for "
                                      "every face or six [xmin, xmax, ymin, ymax, zmin, zmax]");
        }
        return s == "dirichlet";
      };
      if (b.is_array()) {
        if (b.as_array().size() != 6)
          p.fail(b, "boundary", "must name 6 faces [xmin, xmax, ymin, ymax, zmin, zmax] (got " +
                                    std::to_string(b.as_array().size()) + ")");
        for (int i = 0; i < 6; ++i) k.dirichlet[i] = one(b.as_array()[i]);
      } else {
        const bool d = one(b);
        k.dirichlet.fill(d);
      }
    }
    k.release_loc = p.loc("release");
    k.release = p.number("release", 0.0);
    if (!(k.release >= 0)) p.fail(p.at("release"), "release", "must be ≥ 0 amol per spike");
    k.release_from = population_list(p, "release_from", deck);
    k.uptake_loc = p.loc("uptake_by");
    k.uptake_jmax = p.number("uptake_jmax", 0.0);
    if (!(k.uptake_jmax >= 0)) p.fail(p.at("uptake_jmax"), "uptake_jmax", "must be ≥ 0 amol/ms");
    k.uptake_km = p.number("uptake_km", k.uptake_km);
    if (!(k.uptake_km > 0)) p.fail(p.at("uptake_km"), "uptake_km", "must be > 0 mM");
    k.uptake_by = population_list(p, "uptake_by", deck);
    k.clearance_tau = p.number("clearance_tau", 0.0);
    if (!(k.clearance_tau >= 0)) p.fail(p.at("clearance_tau"), "clearance_tau", "must be ≥ 0 ms (0: none)");
    k.feedback_loc = p.loc("feedback_to");
    k.feedback_to = population_list(p, "feedback_to", deck);  // models checked by check_models
    k.k_fraction = p.number("k_fraction", k.k_fraction);
    if (!(k.k_fraction >= 0 && k.k_fraction <= 1)) p.fail(p.at("k_fraction"), "k_fraction", "must lie in [0, 1]");
    k.temperature = p.number("temperature", k.temperature);
    if (!(k.temperature > 0)) p.fail(p.at("temperature"), "temperature", "must be > 0 K");
    p.finish();
  }
  const bool any_dirichlet = std::find(k.dirichlet.begin(), k.dirichlet.end(), true) != k.dirichlet.end();
  if (f.steady && !any_dirichlet && k.clearance_tau <= 0)
    r.fail(r.at("steady"), "steady",
           "the steady state with no-flux boundaries on every face and no clearance is singular; allowed: a dirichlet "
           "face or field.potassium.clearance_tau > 0");
  if (f.steady && f.manufactured.empty())
    r.fail(r.at("steady"), "steady", "only the verification problem (manufactured = \"sine\") is solved steady");
  if (!f.manufactured.empty() && !(k.release_from.empty() && k.uptake_by.empty() && k.feedback_to.empty()))
    r.fail(r.at("manufactured"), "manufactured", "the verification problem takes no sources from cells; remove "
                                                 "release_from, uptake_by and feedback_to");
  f.mode_loc = r.loc("mode");
  const std::string def = k.feedback_to.empty() ? "krylov" : "reproducible";
  f.mode = r.choice("mode", {"reproducible", "krylov"}, def) == "reproducible" ? FieldSpec::Mode::reproducible
                                                                                : FieldSpec::Mode::krylov;
  r.finish();
}

void check_name(const Reader& r, const std::string& key, const std::string& name) {
  if (name.empty()) r.fail(r.at(key), key, "must not be empty");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      r.fail(r.at(key), key,
             "'" + name + "' has the character '" + std::string(1, c) +
                 "'; allowed: letters, digits, '_' and '-' (it names an HDF5 group)");
}

/// Spike times of a spike_generator from a CSV file: one column (times in ms, for every
/// cell) or two (node_id, time in ms); a first line that is not numeric is a header;
/// blank lines and lines starting with '#' are skipped. Errors name the CSV's line.
std::vector<std::vector<double>> read_spike_csv(const std::string& path, std::int64_t n) {
  std::ifstream f(path);
  if (!f) throw input_error(path, 0, "", "cannot open the spike file (missing or unreadable)");
  std::vector<std::vector<double>> out;
  std::string line;
  int lineno = 0, columns = 0;
  bool first = true;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
    std::vector<double> v;
    bool numeric = true;
    for (const auto& c : cols) {
      char* end = nullptr;
      const double x = std::strtod(c.c_str(), &end);
      while (end && (*end == ' ' || *end == '\t')) ++end;
      if (c.empty() || !end || *end != '\0' || !std::isfinite(x)) numeric = false;
      v.push_back(x);
    }
    if (!numeric && first) {
      first = false;
      continue;  // a header
    }
    first = false;
    if (!numeric || cols.empty() || cols.size() > 2)
      throw input_error(path, lineno, "", "expected 'time_ms' or 'node_id,time_ms' (numbers); got '" + line + "'");
    if (columns == 0) columns = static_cast<int>(cols.size());
    if (static_cast<int>(cols.size()) != columns)
      throw input_error(path, lineno, "", "has " + std::to_string(cols.size()) + " columns, earlier lines " +
                                              std::to_string(columns) + "; allowed: the same number on every line");
    if (columns == 1) {
      if (out.empty()) out.resize(1);
      out[0].push_back(v[0]);
    } else {
      if (v[0] < 0 || v[0] >= static_cast<double>(n) || v[0] != std::floor(v[0]))
        throw input_error(path, lineno, "", "node_id " + num(v[0]) + " is not a cell of the population; allowed: 0 .. " +
                                                std::to_string(n - 1));
      if (out.empty()) out.resize(static_cast<std::size_t>(n));
      out[static_cast<std::size_t>(v[0])].push_back(v[1]);
    }
  }
  if (out.empty()) out.resize(1);
  return out;
}

/// The synapse part of a projection (or of a tripartite rule's third_in / third_out
/// table): weight, delay (default 1 ms) and synapse model. `self` is the table itself.
void read_synapse_part(const Reader& r, const tvalue& self, ProjectionSpec& pj, const Deck& deck,
                       const std::string& file, bool weight_required = true, bool synapse_allowed = true) {
  if (weight_required || r.has("weight")) {
    r.require("weight", "the synaptic weight in the target model's unit (mV: iaf_psc_delta, izhikevich; pA: "
                        "iaf_psc_exp, iaf_psc_alpha; nS: aeif_cond_alpha_astro; 1: astrocytes)");
    pj.weight = read_distribution(r, "weight", "model's weight unit");
  } else {
    pj.weight.value = 1.0;
    pj.weight.loc = r.loc();
  }
  if (r.has("delay")) {
    pj.delay = read_distribution(r, "delay", "ms");
  } else {
    pj.delay.value = 1.0;
    pj.delay.loc = r.loc();
  }
  const double dt = deck.simulation.dt;
  if (pj.delay.is_constant()) {
    if (pj.delay.value < dt * (1 - 1e-9))
      r.fail(r.has("delay") ? r.at("delay") : self, "delay",
             "must be ≥ dt = " + num(dt) + " ms (got " + num(pj.delay.value) + ")");
    if (!multiple_of(pj.delay.value, dt))
      r.fail(r.has("delay") ? r.at("delay") : self, "delay",
             "must be a multiple of dt = " + num(dt) + " ms (got " + num(pj.delay.value) +
                 (r.has("delay") ? ")" : ", the default; set delay explicitly)"));
  } else {
    const std::string bound = pj.delay.kind == Distribution::Kind::uniform ? "low" : "min";
    if (pj.delay.low < dt * (1 - 1e-9))
      r.fail(r.at("delay"), "delay",
             "the smallest delay the distribution can draw (" + bound + " = " +
                 (pj.delay.low < -1e299 ? std::string("unbounded") : num(pj.delay.low)) +
                 ") must be ≥ dt = " + num(dt) + " ms; set " + bound + " ≥ dt");
  }
  if (pj.delay.upper_bound() < 1e299 && pj.delay.upper_bound() / dt > 65535)
    r.fail(r.has("delay") ? r.at("delay") : self, "delay", "longer than 65535 steps; allowed: delay ≤ 65535·dt");
  if (!pj.delay.is_constant() && pj.delay.upper_bound() >= 1e299)
    r.fail(r.at("delay"), "delay", "a normal delay distribution needs a finite max");
  pj.synapse.loc = r.loc();
  pj.synapse.model_loc = r.loc();
  if (synapse_allowed && r.has("synapse")) {
    const tvalue& sv = r.at("synapse");
    pj.synapse.loc = loc_of(sv, file);
    pj.synapse.model_loc = pj.synapse.loc;
    if (sv.is_string()) {
      pj.synapse.model = sv.as_string().str;
    } else if (sv.is_table()) {
      const Reader sr(sv, r.full("synapse"), file);
      sr.require("model", "the synapse model, e.g. \"stdp_synapse\"");
      pj.synapse.model = sr.string("model");
      pj.synapse.model_loc = sr.loc("model");
      for (const auto& kv : sv.as_table()) {
        if (kv.first == "model") continue;
        Param prm;
        prm.loc = loc_of(kv.second, file);
        if (kv.second.is_floating()) prm.value = kv.second.as_floating();
        else if (kv.second.is_integer()) prm.value = static_cast<double>(kv.second.as_integer());
        else
          throw input_error(prm.loc.file, prm.loc.line, sr.full(kv.first),
                            "must be a number; got " + Reader::type_name(kv.second));
        if (!std::isfinite(prm.value)) throw input_error(prm.loc.file, prm.loc.line, sr.full(kv.first), "must be finite");
        prm.dist.loc = prm.loc;
        pj.synapse.params[kv.first] = prm;
      }
    } else {
      r.fail(sv, "synapse", "must be a synapse model name, or a table { model = \"stdp_synapse\", ... }; got " +
                                Reader::type_name(sv));
    }
  }
}

/// Applies one `--set path=value` to the parsed document.
void apply_override(tvalue& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("--set", 0, assignment, "expected section.key=value, e.g. simulation.t_stop=500");
  const std::string path = assignment.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  for (const auto& p : parts)
    if (p.empty()) throw input_error("--set", 0, path, "empty component in the key path");
  if (parts.size() < 2)
    throw input_error("--set", 0, path, "expected section.key=value, e.g. simulation.t_stop=500");

  tvalue parsed;
  try {
    std::istringstream is("value = " + assignment.substr(eq + 1));
    parsed = toml::parse(is, "--set");
  } catch (const std::exception&) {
    throw input_error("--set", 0, path,
                      "value '" + assignment.substr(eq + 1) +
                          "' is not a TOML value; allowed: a number, true/false, a quoted string, an array or an inline table");
  }
  tvalue value = parsed.as_table().at("value");

  auto& top = root.as_table();
  tvalue* node = nullptr;
  std::size_t i = 1;
  const std::string& section = parts[0];
  if (section == "population" || section == "projection" || section == "record") {
    if (!top.count(section) || !top.at(section).is_array())
      throw input_error("--set", 0, path, "the deck has no [[" + section + "]]");
    std::vector<std::string> names;
    auto& arr = top.at(section).as_array();
    for (std::size_t k = 0; k < arr.size(); ++k) {
      std::string name = std::to_string(k);
      if (arr[k].is_table() && arr[k].as_table().count("name") && arr[k].as_table().at("name").is_string())
        name = arr[k].as_table().at("name").as_string().str;
      else if (section == "projection" && arr[k].is_table() && arr[k].as_table().count("pre") &&
               arr[k].as_table().count("post") && arr[k].as_table().at("pre").is_string() &&
               arr[k].as_table().at("post").is_string())
        name = arr[k].as_table().at("pre").as_string().str + "_to_" + arr[k].as_table().at("post").as_string().str;
      names.push_back(name);
      if (name == parts[1]) node = &arr[k];
    }
    if (!node) {
      std::string why = "no " + section + " named '" + parts[1] + "'";
      const std::string c = closest(parts[1], names);
      if (!c.empty()) why += " (did you mean '" + c + "'?)";
      throw input_error("--set", 0, path, why + "; " + section + "s: " + join(names));
    }
    i = 2;
    if (parts.size() < 3) throw input_error("--set", 0, path, "expected " + section + ".NAME.key=value");
  } else {
    if (!top.count(section)) top[section] = toml::table{};
    node = &top.at(section);
  }
  for (; i + 1 < parts.size(); ++i) {
    if (!node->is_table()) throw input_error("--set", 0, path, "'" + parts[i - 1] + "' is not a table");
    auto& t = node->as_table();
    if (!t.count(parts[i])) t[parts[i]] = toml::table{};
    node = &t.at(parts[i]);
  }
  if (!node->is_table()) throw input_error("--set", 0, path, "'" + parts[i - 1] + "' is not a table");
  node->as_table()[parts.back()] = value;
}

}  // namespace

std::int64_t Deck::steps() const { return to_steps(simulation.t_stop); }
std::int64_t Deck::to_steps(double ms) const {
  return static_cast<std::int64_t>(std::llround(ms / simulation.dt));
}
int Deck::population_index(const std::string& name) const {
  for (std::size_t i = 0; i < populations.size(); ++i)
    if (populations[i].name == name) return static_cast<int>(i);
  return -1;
}

Deck Deck::parse(const std::string& text, const std::string& file,
                 const std::vector<std::string>& overrides) {
  Deck deck;
  deck.file = file;
  deck.text = text;
  deck.overrides = overrides;

  tvalue root;
  try {
    std::istringstream is(text);
    root = toml::parse(is, file);
  } catch (const toml::syntax_error& e) {
    // toml11's message spans several lines; keep its first line, without the tag.
    std::string msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    const std::string tag = "[error] ";
    if (msg.compare(0, tag.size(), tag) == 0) msg = msg.substr(tag.size());
    const auto colon = msg.find(": ");
    if (msg.compare(0, 6, "toml::") == 0 && colon != std::string::npos) msg = msg.substr(colon + 2);
    throw input_error(file, static_cast<int>(e.location().line()), "",
                      "not valid TOML: " + msg + "; see https://toml.io for the syntax");
  } catch (const std::exception& e) {
    std::string msg = e.what();
    throw input_error(file, 0, "", "not valid TOML: " + msg.substr(0, msg.find('\n')));
  }
  for (const auto& o : overrides) apply_override(root, o);

  const Reader top(root, "", file);

  // [simulation]
  if (!top.has("simulation"))
    throw input_error(file, 0, "simulation", "missing section; every deck needs [simulation] with at least t_stop");
  {
    const Reader r(top.at("simulation"), "simulation", file);
    deck.simulation.loc = r.loc();
    deck.simulation.dt = r.number("dt", 0.1);
    if (!(deck.simulation.dt > 0) || !std::isfinite(deck.simulation.dt))
      r.fail(r.at("dt"), "dt", "must be > 0 (got " + num(deck.simulation.dt) + "); allowed: a positive time step in ms, e.g. 0.1");
    r.require("t_stop", "the simulated time in ms");
    deck.simulation.t_stop = r.number("t_stop");
    if (!(deck.simulation.t_stop >= 0) || !std::isfinite(deck.simulation.t_stop))
      r.fail(r.at("t_stop"), "t_stop", "must be ≥ 0 ms (got " + num(deck.simulation.t_stop) + ")");
    if (!multiple_of(deck.simulation.t_stop, deck.simulation.dt))
      r.fail(r.at("t_stop"), "t_stop", "must be a multiple of dt = " + num(deck.simulation.dt) + " ms (got " + num(deck.simulation.t_stop) + ")");
    if (deck.simulation.t_stop / deck.simulation.dt > 9e15)
      r.fail(r.at("t_stop"), "t_stop", "too many steps; allowed: t_stop/dt below 9e15");
    if (r.has("seed")) {
      const std::int64_t s = r.integer("seed");
      if (s < 0 || s > 4294967295LL)
        r.fail(r.at("seed"), "seed", "must lie in [0, 2^32 - 1] (got " + std::to_string(s) + ")");
      deck.simulation.seed = static_cast<std::uint64_t>(s);
    }
    if (r.has("box")) {
      deck.simulation.box = r.triple("box");
      for (double b : deck.simulation.box)
        if (!(b > 0)) r.fail(r.at("box"), "box", "every side must be > 0 µm");
    }
    r.finish();
  }

  // [[population]]
  if (top.has("population") && !top.at("population").is_array())
    top.fail(top.at("population"), "population", "must be an array of tables: write [[population]], not [population]");
  if ((!top.has("population") || top.at("population").as_array().empty()) && !top.has("field"))
    throw input_error(file, 0, "population", "the deck needs at least one [[population]] (or a [field] alone)");
  if (top.has("population")) {
    const auto& arr = top.at("population").as_array();
    for (std::size_t k = 0; k < arr.size(); ++k) {
      const Reader pre(arr[k], "population[" + std::to_string(k) + "]", file);
      pre.require("name", "every population needs a name");
      PopulationSpec p;
      p.name = pre.string("name");
      check_name(pre, "name", p.name);
      if (deck.population_index(p.name) >= 0)
        pre.fail(pre.at("name"), "name", "duplicate population name '" + p.name + "'; allowed: each name once");
      const Reader r(arr[k], "population." + p.name, file);
      r.has("name");
      p.loc = r.loc();
      r.require("model", "the neuron model, e.g. \"iaf_psc_delta\"");
      p.model = r.string("model");
      p.model_loc = r.loc("model");
      r.require("n", "the number of cells");
      p.n = r.integer("n");
      if (p.n < 1) r.fail(r.at("n"), "n", "must be ≥ 1 (got " + std::to_string(p.n) + ")");
      if (p.n > (std::int64_t(1) << 40)) r.fail(r.at("n"), "n", "must be at most 2^40");
      p.params_loc = r.loc();
      if (r.has("params")) {
        const tvalue& t = r.at("params");
        if (!t.is_table()) r.fail(t, "params", "must be a table of model parameters, e.g. { tau_m = 20.0 }");
        p.params_loc = loc_of(t, file);
        for (const auto& kv : t.as_table()) {
          Param prm;
          prm.loc = loc_of(kv.second, file);
          if (kv.second.is_floating()) prm.value = kv.second.as_floating();
          else if (kv.second.is_integer()) prm.value = static_cast<double>(kv.second.as_integer());
          else if (kv.second.is_table()) {
            const Reader pr(t, r.full("params"), file);
            prm.dist = read_distribution(pr, kv.first, "the parameter's unit");
            prm.value = prm.dist.kind == Distribution::Kind::normal ? prm.dist.mean
                                                                   : 0.5 * (prm.dist.low + prm.dist.high);
          } else
            throw input_error(prm.loc.file, prm.loc.line, r.full("params." + kv.first),
                              "must be a number (or, for an initial value, a distribution table); got " +
                                  Reader::type_name(kv.second));
          prm.dist.loc = prm.loc;
          if (!std::isfinite(prm.value))
            throw input_error(prm.loc.file, prm.loc.line, r.full("params." + kv.first), "must be finite");
          p.params[kv.first] = prm;
        }
      }
      // placement
      p.placement.max = deck.simulation.box;
      p.placement.loc = r.loc();
      if (r.has("placement")) {
        const Reader pl(r.at("placement"), r.full("placement"), file);
        p.placement.loc = pl.loc();
        const std::string kind = pl.choice("kind", {"random", "grid"}, "random");
        if (pl.has("min")) p.placement.min = pl.triple("min");
        if (pl.has("max")) p.placement.max = pl.triple("max");
        for (int d = 0; d < 3; ++d) {
          if (!(p.placement.min[d] < p.placement.max[d]))
            pl.fail_here("min", "must be below max in every dimension (dimension " + std::to_string(d) + ": " +
                                    num(p.placement.min[d]) + " vs " + num(p.placement.max[d]) + ")");
          if (p.placement.min[d] < 0 || p.placement.max[d] > deck.simulation.box[d])
            pl.fail_here(p.placement.min[d] < 0 ? "min" : "max", "the placement region must lie inside simulation.box [0, " +
                                    num(deck.simulation.box[0]) + "] x [0, " + num(deck.simulation.box[1]) +
                                    "] x [0, " + num(deck.simulation.box[2]) + "] µm");
        }
        if (kind == "grid") {
          p.placement.kind = Placement::Kind::grid;
          pl.require("shape", "a grid placement needs shape = [nx, ny, nz]");
          const tvalue& s = pl.at("shape");
          if (!s.is_array() || s.as_array().size() != 3)
            pl.fail(s, "shape", "must be an array of three integers [nx, ny, nz]");
          std::int64_t prod = 1;
          for (int d = 0; d < 3; ++d) {
            const tvalue& e = s.as_array()[d];
            if (!e.is_integer() || e.as_integer() < 1)
              pl.fail(s, "shape", "must be three integers ≥ 1");
            p.placement.shape[d] = e.as_integer();
            prod *= p.placement.shape[d];
          }
          if (prod != p.n)
            pl.fail(s, "shape", "nx*ny*nz = " + std::to_string(prod) + " must equal n = " + std::to_string(p.n));
        }
        pl.finish();
      }
      if (r.has("background")) {
        const Reader b(r.at("background"), r.full("background"), file);
        p.background.loc = b.loc();
        b.require("rate", "the Poisson rate per neuron in Hz");
        b.require("weight", "the weight of each Poisson event");
        p.background.rate_hz = b.number("rate");
        p.background.weight = b.number("weight");
        if (!(p.background.rate_hz >= 0) || !std::isfinite(p.background.rate_hz))
          b.fail(b.at("rate"), "rate", "must be ≥ 0 Hz (got " + num(p.background.rate_hz) + ")");
        if (p.background.rate_hz * deck.simulation.dt * 1e-3 > 1e4)
          b.fail(b.at("rate"), "rate", "more than 10^4 events per step per neuron; allowed: rate (Hz) × dt (ms) / 1000 ≤ 10^4");
        b.finish();
      }
      // spike_generator: explicit spike times, inline or from a CSV file.
      if (r.has("spike_times") && r.has("spike_file"))
        r.fail(r.at("spike_file"), "spike_file", "give spike_times or spike_file, not both");
      if (r.has("spike_times")) {
        const tvalue& a = r.at("spike_times");
        p.spikes_loc = loc_of(a, file);
        auto numbers = [&](const tvalue& arr) {
          std::vector<double> v;
          for (const auto& e : arr.as_array()) {
            if (e.is_floating()) v.push_back(e.as_floating());
            else if (e.is_integer()) v.push_back(static_cast<double>(e.as_integer()));
            else r.fail(a, "spike_times", "must be an array of times in ms, or an array of such arrays (one per cell)");
          }
          return v;
        };
        if (!a.is_array()) r.fail(a, "spike_times", "must be an array of times in ms, or an array of such arrays (one per cell)");
        const auto& arr = a.as_array();
        if (!arr.empty() && arr[0].is_array()) {
          if (static_cast<std::int64_t>(arr.size()) != p.n)
            r.fail(a, "spike_times", "has " + std::to_string(arr.size()) + " lists, one per cell; allowed: n = " +
                                         std::to_string(p.n) + " lists, or one flat list for every cell");
          for (const auto& e : arr) {
            if (!e.is_array()) r.fail(a, "spike_times", "mixes numbers and lists; allowed: one flat list, or one list per cell");
            p.spike_times.push_back(numbers(e));
          }
        } else {
          p.spike_times.push_back(numbers(a));
        }
        p.has_spike_times = true;
      }
      if (r.has("spike_file")) {
        p.spikes_loc = r.loc("spike_file");
        std::string path = r.string("spike_file");
        if (path.empty()) r.fail(r.at("spike_file"), "spike_file", "must not be empty");
        namespace fs = std::filesystem;
        if (fs::path(path).is_relative()) path = (fs::path(file).parent_path() / path).string();
        if (!std::ifstream(path))
          r.fail(r.at("spike_file"), "spike_file",
                 path + ": cannot open the spike file (missing or unreadable); a relative path starts at the deck's folder");
        p.spike_times = read_spike_csv(path, p.n);
        p.has_spike_times = true;
      }
      if (p.has_spike_times) {
        const double dt = deck.simulation.dt;
        for (std::size_t c = 0; c < p.spike_times.size(); ++c) {
          auto& v = p.spike_times[c];
          const std::string who = p.spike_times.size() > 1 ? " of cell " + std::to_string(c) : "";
          for (double t : v) {
            if (!(t > 0) || !multiple_of(t, dt))
              throw input_error(p.spikes_loc.file, p.spikes_loc.line, r.full("spike_times"),
                                "spike time " + num(t) + " ms" + who + ": allowed: times > 0 that are multiples of dt = " +
                                    num(dt) + " ms (a spike is stamped at the end of a step)");
          }
          std::sort(v.begin(), v.end());
          for (std::size_t k = 1; k < v.size(); ++k)
            if (std::llround(v[k] / dt) == std::llround(v[k - 1] / dt))
              throw input_error(p.spikes_loc.file, p.spikes_loc.line, r.full("spike_times"),
                                "spike time " + num(v[k]) + " ms" + who + " appears twice; allowed: each time once per cell");
        }
      }
      r.finish({"name"});
      deck.populations.push_back(std::move(p));
    }
  }

  {
    std::int64_t total = 0;
    for (const auto& p : deck.populations) total += p.n;
    if (total > (std::int64_t(1) << 47))
      throw input_error(file, deck.populations.back().loc.line, "population",
                        "the populations hold " + std::to_string(total) + " cells; allowed: at most 2^47 in all");
  }

  // [[projection]]
  if (top.has("projection")) {
    const tvalue& pv = top.at("projection");
    if (!pv.is_array()) top.fail(pv, "projection", "must be an array of tables: write [[projection]]");
    const auto& arr = pv.as_array();
    std::set<std::string> names;
    for (std::size_t k = 0; k < arr.size(); ++k) {
      ProjectionSpec pj;
      const Reader pre(arr[k], "projection[" + std::to_string(k) + "]", file);
      pre.require("pre", "the name of the source population");
      pre.require("post", "the name of the target population");
      pj.pre = pre.string("pre");
      pj.post = pre.string("post");
      pj.name = pre.string("name", pj.pre + "_to_" + pj.post);
      if (pre.has("name")) check_name(pre, "name", pj.name);
      if (names.count(pj.name))
        pre.fail(pre.has("name") ? pre.at("name") : arr[k], "name",
                 "duplicate projection name '" + pj.name + "'; give each projection a distinct name");
      names.insert(pj.name);
      const Reader r(arr[k], "projection." + pj.name, file);
      r.has("name");
      pj.loc = r.loc();
      std::vector<std::string> popnames;
      for (const auto& p : deck.populations) popnames.push_back(p.name);
      for (const std::string key : {"pre", "post"}) {
        const std::string& pop = key == std::string("pre") ? pj.pre : pj.post;
        if (deck.population_index(pop) < 0) {
          std::string why = "no population named '" + pop + "'";
          const std::string c = closest(pop, popnames);
          if (!c.empty()) why += " (did you mean '" + c + "'?)";
          r.fail(r.at(key), key, why + "; populations: " + join(popnames));
        }
      }
      const auto& pre_pop = deck.populations[deck.population_index(pj.pre)];
      const std::string rule =
          r.choice("rule", {"fixed_indegree", "pairwise_bernoulli", "distance", "tripartite_bernoulli_with_pool"}, "");
      pj.autapses = r.boolean("autapses", true);
      if (rule == "fixed_indegree") {
        pj.rule = ProjectionSpec::Rule::fixed_indegree;
        r.require("indegree", "the number of incoming connections per target neuron");
        pj.indegree = r.integer("indegree");
        pj.multapses = r.boolean("multapses", true);
        if (pj.indegree < 0) r.fail(r.at("indegree"), "indegree", "must be ≥ 0 (got " + std::to_string(pj.indegree) + ")");
        const std::int64_t avail = pre_pop.n - ((!pj.autapses && pj.pre == pj.post) ? 1 : 0);
        if (avail == 0 && pj.indegree > 0)
          r.fail(r.at("indegree"), "indegree",
                 "population '" + pj.pre + "' offers no source (its only cell is the target and autapses = false); "
                 "allowed: indegree = 0, or autapses = true");
        if (!pj.multapses && pj.indegree > avail)
          r.fail(r.at("indegree"), "indegree",
                 std::to_string(pj.indegree) + " distinct sources per target, but population '" + pj.pre +
                     "' offers only " + std::to_string(avail) + "; allowed: indegree ≤ " + std::to_string(avail) +
                     " without multapses, or multapses = true");
      } else {
        r.require("p", rule == "distance" ? "the connection probability at distance 0" : "the connection probability");
        pj.p = r.number("p");
        if (!(pj.p >= 0 && pj.p <= 1)) r.fail(r.at("p"), "p", "must lie in [0, 1] (got " + num(pj.p) + ")");
        if (rule == "pairwise_bernoulli") {
          pj.rule = ProjectionSpec::Rule::pairwise_bernoulli;
        } else if (rule == "tripartite_bernoulli_with_pool") {
          pj.rule = ProjectionSpec::Rule::tripartite;
          pj.role = ProjectionSpec::Role::primary;
          r.require("astrocytes", "the astrocyte population that pairs with the synapses");
          pj.astrocytes = r.string("astrocytes");
          const int a = deck.population_index(pj.astrocytes);
          if (a < 0) {
            std::string why = "no population named '" + pj.astrocytes + "'";
            const std::string c = closest(pj.astrocytes, popnames);
            if (!c.empty()) why += " (did you mean '" + c + "'?)";
            r.fail(r.at("astrocytes"), "astrocytes", why + "; populations: " + join(popnames));
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
        } else {
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
      }
      read_synapse_part(r, arr[k], pj, deck, file);
      // The tripartite rule's two other connection sets, each from its own table.
      std::vector<ProjectionSpec> thirds;
      if (pj.role == ProjectionSpec::Role::primary) {
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
            const Reader tr(r.at(which), r.full(which), file);
            read_synapse_part(tr, r.at(which), t, deck, file, false, in);
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
            r.fail(arr[k], "name", "the tripartite rule names its third-party projection '" + t.name +
                                       "', which another projection already uses");
          names.insert(t.name);
          thirds.push_back(std::move(t));
        }
      }
      r.finish({"name", "pre", "post"});
      deck.projections.push_back(std::move(pj));
      for (auto& t : thirds) deck.projections.push_back(std::move(t));
    }
  }

  if (top.has("field")) read_field(top, deck, file);

  // [[record]]
  if (top.has("record")) {
    const tvalue& rv = top.at("record");
    if (!rv.is_array()) top.fail(rv, "record", "must be an array of tables: write [[record]]");
    const auto& arr = rv.as_array();
    for (std::size_t k = 0; k < arr.size(); ++k) {
      const Reader r(arr[k], "record[" + std::to_string(k) + "]", file);
      RecordSpec rec;
      rec.loc = r.loc();
      rec.what = r.choice("what", {"spikes", "weights", "state", "field"}, "spikes");
      if (rec.what == "field") {
        if (!deck.field.enabled)
          r.fail(r.at("what"), "what", "\"field\" records the extracellular field; the deck has no [field]");
        rec.interval_ms = r.number("interval", deck.field.dt);
        if (!(rec.interval_ms > 0) || !multiple_of(rec.interval_ms, deck.field.dt))
          r.fail(r.has("interval") ? r.at("interval") : arr[k], "interval",
                 "must be a positive multiple of the field step " + num(deck.field.dt) + " ms (got " +
                     num(rec.interval_ms) + ")");
        r.finish();
        deck.records.push_back(std::move(rec));
        continue;
      }
      if (rec.what == "state") {
        std::vector<std::string> popnames;
        for (const auto& p : deck.populations) popnames.push_back(p.name);
        r.require("population", "the population whose state is recorded");
        const std::string nm = r.string("population");
        if (deck.population_index(nm) < 0) {
          std::string why = "no population named '" + nm + "'";
          const std::string c = closest(nm, popnames);
          if (!c.empty()) why += " (did you mean '" + c + "'?)";
          r.fail(r.at("population"), "population", why + "; populations: " + join(popnames));
        }
        rec.populations.push_back(nm);
        r.require("variables", "the state variables recorded, e.g. [\"V_m\"]");
        const tvalue& a = r.at("variables");
        rec.variables_loc = loc_of(a, file);
        if (!a.is_array() || a.as_array().empty())
          r.fail(a, "variables", "must be a non-empty array of variable names, e.g. [\"V_m\"]");
        for (const auto& e : a.as_array()) {
          if (!e.is_string()) r.fail(a, "variables", "must be an array of variable names (strings)");
          if (std::find(rec.variables.begin(), rec.variables.end(), e.as_string().str) != rec.variables.end())
            r.fail(a, "variables", "names '" + e.as_string().str + "' twice");
          rec.variables.push_back(e.as_string().str);
        }
        if (r.has("cells")) {
          rec.cells = r.integer("cells");
          if (rec.cells < 1) r.fail(r.at("cells"), "cells", "must be ≥ 1 (got " + std::to_string(rec.cells) + ")");
        }
        rec.interval_ms = r.number("interval", 1.0);
        if (!(rec.interval_ms >= deck.simulation.dt * (1 - 1e-9)) || !multiple_of(rec.interval_ms, deck.simulation.dt))
          r.fail(r.has("interval") ? r.at("interval") : arr[k], "interval",
                 "must be a multiple of dt = " + num(deck.simulation.dt) + " ms (got " + num(rec.interval_ms) + ")");
        r.finish();
        deck.records.push_back(std::move(rec));
        continue;
      }
      if (rec.what == "weights") {
        r.require("projection", "the name of a plastic projection whose weights are recorded");
        rec.projection = r.string("projection");
        std::vector<std::string> pjnames;
        const ProjectionSpec* pj = nullptr;
        for (const auto& p : deck.projections) {
          pjnames.push_back(p.name);
          if (p.name == rec.projection) pj = &p;
        }
        if (!pj) {
          std::string why = "no projection named '" + rec.projection + "'";
          const std::string c = closest(rec.projection, pjnames);
          if (!c.empty()) why += " (did you mean '" + c + "'?)";
          r.fail(r.at("projection"), "projection", why + "; projections: " + join(pjnames));
        }
        if (!pj->synapse.plastic())
          r.fail(r.at("projection"), "projection",
                 "projection '" + rec.projection + "' is static; allowed: a projection with a plastic synapse model");
        if (r.has("targets")) {
          rec.targets = r.integer("targets");
          if (rec.targets < 1)
            r.fail(r.at("targets"), "targets", "must be ≥ 1 (got " + std::to_string(rec.targets) + ")");
        }
        rec.interval_ms = r.number("interval", rec.interval_ms);
        if (!(rec.interval_ms >= deck.simulation.dt * (1 - 1e-9)))
          r.fail(r.at("interval"), "interval",
                 "must be ≥ dt = " + num(deck.simulation.dt) + " ms (got " + num(rec.interval_ms) + ")");
        r.finish();
        deck.records.push_back(std::move(rec));
        continue;
      }
      std::vector<std::string> popnames;
      for (const auto& p : deck.populations) popnames.push_back(p.name);
      if (r.has("populations")) {
        const tvalue& a = r.at("populations");
        if (!a.is_array()) r.fail(a, "populations", "must be an array of population names");
        if (a.as_array().empty())
          r.fail(a, "populations", "is empty; allowed: a list of population names, or no key to record all");
        for (const auto& e : a.as_array()) {
          if (!e.is_string()) r.fail(a, "populations", "must be an array of population names (strings)");
          const std::string& nm = e.as_string().str;
          if (deck.population_index(nm) < 0) {
            std::string why = "no population named '" + nm + "'";
            const std::string c = closest(nm, popnames);
            if (!c.empty()) why += " (did you mean '" + c + "'?)";
            r.fail(a, "populations", why + "; populations: " + join(popnames));
          }
          rec.populations.push_back(nm);
        }
      } else {
        rec.populations = popnames;
      }
      r.finish();
      deck.records.push_back(std::move(rec));
    }
  }

  // [output]
  if (top.has("output")) {
    const Reader r(top.at("output"), "output", file);
    deck.output.loc = r.loc();
    deck.output.dir = r.string("dir", deck.output.dir);
    if (deck.output.dir.empty()) r.fail(r.at("dir"), "dir", "must not be empty");
    r.finish();
  }

  // [checkpoint]
  if (top.has("checkpoint")) {
    const Reader r(top.at("checkpoint"), "checkpoint", file);
    deck.checkpoint.loc = r.loc();
    deck.checkpoint.interval_ms = r.number("interval", 0.0);
    if (!(deck.checkpoint.interval_ms >= 0))
      r.fail(r.at("interval"), "interval", "must be ≥ 0 ms (got " + num(deck.checkpoint.interval_ms) + "); 0 means none");
    if (r.has("interval") && deck.checkpoint.interval_ms > 0 && deck.checkpoint.interval_ms < deck.simulation.dt)
      r.fail(r.at("interval"), "interval", "must be ≥ dt = " + num(deck.simulation.dt) + " ms, or 0 for none");
    deck.checkpoint.dir = r.string("dir", "");
    if (r.has("dir") && deck.checkpoint.dir.empty()) r.fail(r.at("dir"), "dir", "must not be empty (omit it for <output>/checkpoints)");
    if (r.has("keep")) {
      const std::int64_t k = r.integer("keep");
      if (k < 1 || k > 1000) r.fail(r.at("keep"), "keep", "must lie in [1, 1000] (got " + std::to_string(k) + ")");
      deck.checkpoint.keep = static_cast<int>(k);
    }
    deck.checkpoint.at_end = r.boolean("at_end", false);
    r.finish();
  }

  top.finish();
  return deck;
}

}  // namespace cajal
