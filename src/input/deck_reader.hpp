#pragma once
// What every section reader of the deck shares: `Reader`, a view of one TOML table whose
// getters report a bad value as `FILE:LINE: key: what is wrong; what is allowed`, and the
// readers of values that appear in several sections (distributions, lists of populations,
// names). Internal to src/input/.
//
// A Reader remembers every key it was asked about (has, at, and the typed getters), and
// that memory is part of its messages: `finish()` lists those keys as the ones allowed,
// and `require()` suggests an unknown key close to a missing one only among keys not yet
// asked about. A section reader must therefore ask for its keys in a fixed order.
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <toml.hpp>

#include "cajal/input/deck.hpp"

namespace cajal::input {

using tvalue = toml::value;

/// "a, b, c".
std::string join(const std::vector<std::string>& v);
/// A number as messages print it (12 significant digits).
std::string num(double x);
/// Whether `x` is a whole multiple of `dt` (to 1e-9, relative).
bool multiple_of(double x, double dt);
/// Where `v` was written; values that toml11 cannot place (those from --set) get `fallback_file`.
SourceLoc loc_of(const tvalue& v, const std::string& fallback_file);
/// "no KIND named 'NAME'", with "(did you mean '...'?)" when one of `names` is close.
std::string not_found(const std::string& kind, const std::string& name, const std::vector<std::string>& names);
/// The names of the populations read so far, in deck order.
std::vector<std::string> population_names(const Deck& deck);

/// Reads one TOML table: typed getters that report with the key's full dotted name and
/// line, and a final check that every key present was one the reader asked for.
class Reader {
public:
  /// `prefix` is the table's dotted name in messages ("population.exc"); `file` names
  /// values without a location of their own.
  Reader(const tvalue& table, std::string prefix, std::string file);

  /// Throws input_error at `at`'s line for key `key` of this table.
  [[noreturn]] void fail(const tvalue& at, const std::string& key, const std::string& why) const;
  /// Throws input_error at this table's line.
  [[noreturn]] void fail_here(const std::string& key, const std::string& why) const;
  /// The dotted name of `key` in this table.
  std::string full(const std::string& key) const;
  SourceLoc loc() const { return loc_of(t_, file_); }
  /// The key's location, or the table's when the key is absent.
  SourceLoc loc(const std::string& key) const { return has(key) ? loc_of(at(key), file_) : loc(); }
  bool has(const std::string& key) const;
  const tvalue& at(const std::string& key) const;

  /// A finite number (an integer is taken as one).
  double number(const std::string& key) const;
  double number(const std::string& key, double def) const { return has(key) ? number(key) : def; }
  std::int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key, bool def) const;
  std::string string(const std::string& key) const;
  std::string string(const std::string& key, const std::string& def) const {
    return has(key) ? string(key) : def;
  }
  /// One of `allowed`; an empty `def` makes the key required.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed, const std::string& def) const;
  /// [x, y, z] in µm.
  std::array<double, 3> triple(const std::string& key) const;
  /// A missing required key; when an unknown key is spelled close to it, that is the
  /// likelier mistake, and the message names it.
  void require(const std::string& key, const std::string& what) const;
  /// Every key present must have been asked for (or be one of `extra_allowed`).
  void finish(const std::vector<std::string>& extra_allowed = {}) const;

  /// "a number", "a string", ... for messages.
  static std::string type_name(const tvalue& v);

  const std::string& file() const { return file_; }

private:
  const tvalue& t_;
  std::string prefix_;
  std::string file_;
  mutable std::set<std::string> seen_;
};

/// Key `key` of `parent`: a constant number, or a table {dist = "normal"|"uniform", ...}.
Distribution read_distribution(const Reader& parent, const std::string& key, const std::string& unit);
/// A list of population names (key `key` of `r`) that must exist in the deck.
std::vector<std::string> population_list(const Reader& r, const std::string& key, const Deck& deck);
/// A population or projection name: it names an HDF5 group.
void check_name(const Reader& r, const std::string& key, const std::string& name);

}  // namespace cajal::input
