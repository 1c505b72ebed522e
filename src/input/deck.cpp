// Deck::parse: the TOML text is parsed, the --set overrides are applied to the document,
// and each section is read by its own reader (deck_sections.hpp), in an order where each
// section is read after those it refers to. The readers share input/deck_reader.hpp.
#include "cajal/input/deck.hpp"

#include <cmath>
#include <sstream>

#include "cajal/util/error.hpp"
#include "input/deck_sections.hpp"

namespace cajal {

namespace {
EdgeFileScanner g_edge_file_scanner = nullptr;
}
void set_edge_file_scanner(EdgeFileScanner scan) { g_edge_file_scanner = scan; }
EdgeFileScanner edge_file_scanner() { return g_edge_file_scanner; }
namespace {
NodeFileScanner g_node_file_scanner = nullptr;
}
void set_node_file_scanner(NodeFileScanner scan) { g_node_file_scanner = scan; }
NodeFileScanner node_file_scanner() { return g_node_file_scanner; }
namespace input {

tvalue parse_toml(const std::string& text, const std::string& file) {
  try {
    std::istringstream is(text);
    return toml::parse(is, file);
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
}

void read_simulation(const Reader& top, Deck& deck) {
  if (!top.has("simulation"))
    throw input_error(top.file(), 0, "simulation", "missing section; every deck needs [simulation] with at least t_stop");
  auto& s = deck.simulation;
  const Reader r(top.at("simulation"), "simulation", top.file());
  s.loc = r.loc();
  s.dt = r.number("dt", 0.1);
  if (!(s.dt > 0) || !std::isfinite(s.dt))
    r.fail(r.at("dt"), "dt", "must be > 0 (got " + num(s.dt) + "); allowed: a positive time step in ms, e.g. 0.1");
  r.require("t_stop", "the simulated time in ms");
  s.t_stop = r.number("t_stop");
  if (!(s.t_stop >= 0) || !std::isfinite(s.t_stop))
    r.fail(r.at("t_stop"), "t_stop", "must be ≥ 0 ms (got " + num(s.t_stop) + ")");
  if (!multiple_of(s.t_stop, s.dt))
    r.fail(r.at("t_stop"), "t_stop", "must be a multiple of dt = " + num(s.dt) + " ms (got " + num(s.t_stop) + ")");
  if (s.t_stop / s.dt > 9e15) r.fail(r.at("t_stop"), "t_stop", "too many steps; allowed: t_stop/dt below 9e15");
  if (r.has("seed")) {
    const std::int64_t seed = r.integer("seed");
    if (seed < 0 || seed > 4294967295LL)
      r.fail(r.at("seed"), "seed", "must lie in [0, 2^32 - 1] (got " + std::to_string(seed) + ")");
    s.seed = static_cast<std::uint64_t>(seed);
  }
  if (r.has("exchange_buffer_mib")) {
    s.exchange_buffer_mib = r.number("exchange_buffer_mib");
    // From 1 KiB (a few records a round: for tests) to 4 GiB (a round's counts and
    // displacements stay MPI ints).
    if (!(s.exchange_buffer_mib >= 1.0 / 1024 && s.exchange_buffer_mib <= 4096))
      r.fail(r.at("exchange_buffer_mib"), "exchange_buffer_mib",
             "must lie in [1/1024, 4096] MiB (got " + num(s.exchange_buffer_mib) + ")");
  }
  if (r.has("box")) {
    s.box = r.triple("box");
    for (double b : s.box)
      if (!(b > 0)) r.fail(r.at("box"), "box", "every side must be > 0 µm");
  }
  r.finish();
}

}  // namespace input

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
  using namespace input;
  Deck deck;
  deck.file = file;
  deck.text = text;
  deck.overrides = overrides;

  tvalue root = parse_toml(text, file);
  for (const auto& o : overrides) apply_override(root, o);

  // Each reader checks its section against those read before it: populations against
  // the box and dt, projections against populations, [field] against both, records
  // against projections and the field.
  const Reader top(root, "", file);
  read_simulation(top, deck);
  read_populations(top, deck);
  read_projections(top, deck);
  read_stimuli(top, deck);
  read_field(top, deck);
  read_records(top, deck);
  read_output(top, deck);
  read_checkpoint(top, deck);
  top.finish();
  return deck;
}

}  // namespace cajal
