// Reader (one TOML table, with file:line messages), the "did you mean" suggestions, and
// the values several sections share. toml11 gives every value a source location; each
// check turns a bad value into `FILE:LINE: key: what is wrong; what is allowed`.
#include "input/deck_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

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

namespace input {

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

bool multiple_of(double x, double dt) {
  const double r = x / dt;
  return std::fabs(r - std::round(r)) <= 1e-9 * std::max(1.0, std::fabs(r));
}

SourceLoc loc_of(const tvalue& v, const std::string& fallback_file) {
  const auto l = v.location();
  SourceLoc s;
  s.file = l.file_name().empty() || l.file_name() == "unknown file" ? fallback_file : l.file_name();
  s.line = static_cast<int>(l.line());
  return s;
}

std::string not_found(const std::string& kind, const std::string& name, const std::vector<std::string>& names) {
  std::string why = "no " + kind + " named '" + name + "'";
  const std::string c = closest(name, names);
  if (!c.empty()) why += " (did you mean '" + c + "'?)";
  return why;
}

std::vector<std::string> population_names(const Deck& deck) {
  std::vector<std::string> names;
  for (const auto& p : deck.populations) names.push_back(p.name);
  return names;
}

// --- Reader --------------------------------------------------------------------------

Reader::Reader(const tvalue& table, std::string prefix, std::string file)
    : t_(table), prefix_(std::move(prefix)), file_(std::move(file)) {
  if (!t_.is_table()) fail(t_, "", "must be a table");
}

void Reader::fail(const tvalue& at, const std::string& key, const std::string& why) const {
  const SourceLoc l = loc_of(at, file_);
  throw input_error(l.file, l.line, full(key), why);
}

void Reader::fail_here(const std::string& key, const std::string& why) const { fail(t_, key, why); }

std::string Reader::full(const std::string& key) const {
  if (key.empty()) return prefix_;
  return prefix_.empty() ? key : prefix_ + "." + key;
}

bool Reader::has(const std::string& key) const {
  seen_.insert(key);
  return t_.as_table().count(key) != 0;
}

const tvalue& Reader::at(const std::string& key) const {
  seen_.insert(key);
  return t_.as_table().at(key);
}

double Reader::number(const std::string& key) const {
  const tvalue& v = at(key);
  if (v.is_floating()) {
    if (!std::isfinite(v.as_floating())) fail(v, key, "must be a finite number; got " + toml::format(v));
    return v.as_floating();
  }
  if (v.is_integer()) return static_cast<double>(v.as_integer());
  fail(v, key, "must be a number; got " + type_name(v));
}

std::int64_t Reader::integer(const std::string& key) const {
  const tvalue& v = at(key);
  if (v.is_integer()) return v.as_integer();
  fail(v, key, "must be an integer; got " + type_name(v) + (v.is_floating() ? " (" + toml::format(v) + ")" : ""));
}

bool Reader::boolean(const std::string& key, bool def) const {
  if (!has(key)) return def;
  const tvalue& v = at(key);
  if (v.is_boolean()) return v.as_boolean();
  fail(v, key, "must be true or false; got " + type_name(v));
}

std::string Reader::string(const std::string& key) const {
  const tvalue& v = at(key);
  if (v.is_string()) return v.as_string().str;
  fail(v, key, "must be a string; got " + type_name(v));
}

std::string Reader::choice(const std::string& key, const std::vector<std::string>& allowed,
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

std::array<double, 3> Reader::triple(const std::string& key) const {
  const tvalue& v = at(key);
  if (!v.is_array() || v.as_array().size() != 3) fail(v, key, "must be an array of three numbers [x, y, z] (µm)");
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

void Reader::require(const std::string& key, const std::string& what) const {
  if (has(key)) return;
  for (const auto& kv : t_.as_table())
    if (!seen_.count(kv.first) && closest(kv.first, {key}) == key)
      fail(kv.second, kv.first, "unknown key (did you mean '" + key + "'?); " + key + " is required: " + what);
  fail_here(key, "missing; " + what);
}

void Reader::finish(const std::vector<std::string>& extra_allowed) const {
  // The first unknown key in the file is the one reported.
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

std::string Reader::type_name(const tvalue& v) {
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

// --- values shared by several sections -----------------------------------------------

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

std::vector<std::string> population_list(const Reader& r, const std::string& key, const Deck& deck) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  const tvalue& a = r.at(key);
  if (!a.is_array()) r.fail(a, key, "must be an array of population names");
  const std::vector<std::string> popnames = population_names(deck);
  for (const auto& e : a.as_array()) {
    if (!e.is_string()) r.fail(a, key, "must be an array of population names (strings)");
    const std::string& nm = e.as_string().str;
    if (deck.population_index(nm) < 0)
      r.fail(a, key, not_found("population", nm, popnames) + "; populations: " +
                         (popnames.empty() ? std::string("none") : join(popnames)));
    out.push_back(nm);
  }
  return out;
}

void check_name(const Reader& r, const std::string& key, const std::string& name) {
  if (name.empty()) r.fail(r.at(key), key, "must not be empty");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      r.fail(r.at(key), key,
             "'" + name + "' has the character '" + std::string(1, c) +
                 "'; allowed: letters, digits, '_' and '-' (it names an HDF5 group)");
}

}  // namespace input
}  // namespace cajal
