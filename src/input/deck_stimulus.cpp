// [[stimulus]]: NEST's stimulus devices (dc_generator, step_current_generator,
// ac_generator, inhomogeneous_poisson_generator) with NEST's parameter names and units,
// a time window (start, stop) and a target population (all its cells, or `cells`).
// Whether the target's model takes the device is checked by the model catalogue.
#include <cmath>
#include <set>

#include "cajal/util/error.hpp"
#include "input/deck_sections.hpp"

namespace cajal::input {
namespace {

/// An array of numbers (key `key`), each finite.
std::vector<double> number_list(const Reader& r, const std::string& key) {
  const tvalue& a = r.at(key);
  if (!a.is_array()) r.fail(a, key, "must be an array of numbers");
  std::vector<double> v;
  for (const auto& e : a.as_array()) {
    if (e.is_floating()) v.push_back(e.as_floating());
    else if (e.is_integer()) v.push_back(static_cast<double>(e.as_integer()));
    else r.fail(a, key, "must be an array of numbers (got " + Reader::type_name(e) + " in it)");
    if (!std::isfinite(v.back())) r.fail(a, key, "must hold finite numbers");
  }
  return v;
}

/// `TIMES` and `VALUES` of a piecewise-constant device: equal lengths, times > 0,
/// multiples of dt, strictly ascending.
void read_segments(const Reader& r, const std::string& times, const std::string& values, const std::string& unit,
                   StimulusSpec& s, double dt) {
  r.require(times, "the times (ms) at which the device's value changes");
  s.times = number_list(r, times);
  r.require(values, "the value (" + unit + ") from each time on");
  s.values = number_list(r, values);
  if (s.times.size() != s.values.size())
    r.fail(r.at(values), values, "has " + std::to_string(s.values.size()) + " values for " +
                                     std::to_string(s.times.size()) + " " + times + "; allowed: one value per time");
  if (s.times.empty()) r.fail(r.at(times), times, "must not be empty");
  for (std::size_t k = 0; k < s.times.size(); ++k) {
    const double t = s.times[k];
    if (!(t > 0) || !multiple_of(t, dt))
      r.fail(r.at(times), times, "time " + num(t) + " ms: allowed: times > 0 ms that are multiples of dt = " +
                                     num(dt) + " ms");
    if (k > 0 && !(std::llround(t / dt) > std::llround(s.times[k - 1] / dt)))
      r.fail(r.at(times), times, "time " + num(t) + " ms follows " + num(s.times[k - 1]) +
                                     " ms; allowed: strictly ascending times");
  }
}

StimulusSpec read_stimulus(const tvalue& table, std::size_t k, const std::set<std::string>& names, const Deck& deck) {
  const double dt = deck.simulation.dt;
  const Reader pre(table, "stimulus[" + std::to_string(k) + "]", deck.file);
  pre.require("name", "every stimulus needs a name");
  StimulusSpec s;
  s.name = pre.string("name");
  check_name(pre, "name", s.name);
  if (names.count(s.name)) pre.fail(pre.at("name"), "name", "duplicate stimulus name '" + s.name + "'; allowed: each name once");
  const Reader r(table, "stimulus." + s.name, deck.file);
  r.has("name");
  s.loc = r.loc();
  s.model = r.choice("model", {"dc_generator", "step_current_generator", "ac_generator", "inhomogeneous_poisson_generator"},
                     "");
  s.model_loc = r.loc("model");
  s.kind = s.model == "dc_generator"             ? StimulusSpec::Kind::dc
           : s.model == "step_current_generator" ? StimulusSpec::Kind::step_current
           : s.model == "ac_generator"           ? StimulusSpec::Kind::ac
                                                 : StimulusSpec::Kind::inhomogeneous_poisson;
  r.require("population", "the target population");
  s.population = r.string("population");
  s.population_loc = r.loc("population");
  const int pop = deck.population_index(s.population);
  if (pop < 0) {
    const auto popnames = population_names(deck);
    r.fail(r.at("population"), "population",
           not_found("population", s.population, popnames) + "; populations: " + join(popnames));
  }
  const std::int64_t n = deck.populations[pop].n;
  if (r.has("cells")) {
    const tvalue& a = r.at("cells");
    const std::string shape = "must be an array of distinct population-local ids in [0, " + std::to_string(n) + ")";
    if (!a.is_array() || a.as_array().empty()) r.fail(a, "cells", shape);
    std::set<std::int64_t> seen;
    for (const auto& e : a.as_array()) {
      if (!e.is_integer() || e.as_integer() < 0 || e.as_integer() >= n || !seen.insert(e.as_integer()).second)
        r.fail(a, "cells", shape + " (population '" + s.population + "' has " + std::to_string(n) + " cells)");
      s.cells.push_back(e.as_integer());
    }
  }
  s.start = r.number("start", 0.0);
  if (!(s.start >= 0) || !multiple_of(s.start, dt))
    r.fail(r.at("start"), "start", "must be ≥ 0 ms and a multiple of dt = " + num(dt) + " ms (got " + num(s.start) + ")");
  if (r.has("stop")) {
    s.stop = r.number("stop");
    if (!(s.stop > s.start) || !multiple_of(s.stop, dt))
      r.fail(r.at("stop"), "stop", "must be after start = " + num(s.start) + " ms and a multiple of dt = " + num(dt) +
                                       " ms (got " + num(s.stop) + "); leave it out for no end");
  }
  switch (s.kind) {
    case StimulusSpec::Kind::dc:
      r.require("amplitude", "the current (pA; µM/ms of IP3 for an astrocyte)");
      s.amplitude = r.number("amplitude");
      break;
    case StimulusSpec::Kind::step_current:
      read_segments(r, "amplitude_times", "amplitude_values", "pA; µM/ms of IP3 for an astrocyte", s, dt);
      break;
    case StimulusSpec::Kind::ac:
      s.amplitude = r.number("amplitude", 0.0);
      s.offset = r.number("offset", 0.0);
      s.frequency = r.number("frequency", 0.0);
      s.phase = r.number("phase", 0.0);
      if (!(s.frequency >= 0))
        r.fail(r.at("frequency"), "frequency", "must be ≥ 0 Hz (got " + num(s.frequency) + ")");
      break;
    case StimulusSpec::Kind::inhomogeneous_poisson:
      read_segments(r, "rate_times", "rate_values", "Hz", s, dt);
      for (double v : s.values) {
        if (!(v >= 0)) r.fail(r.at("rate_values"), "rate_values", "rate " + num(v) + " Hz: allowed: rates ≥ 0 Hz");
        if (v * dt * 1e-3 > 1e4)
          r.fail(r.at("rate_values"), "rate_values",
                 "rate " + num(v) + " Hz: more than 10^4 events per step; allowed: rate (Hz) × dt (ms) / 1000 ≤ 10^4");
      }
      r.require("weight", "the weight of each event, in the target model's synaptic unit");
      s.weight = r.number("weight");
      s.weight_loc = r.loc("weight");
      if (s.weight == 0) r.fail(r.at("weight"), "weight", "must not be 0");
      break;
  }
  if (s.current() && r.has("variable")) {
    s.variable = r.choice("variable", {"IP3", "I_bias"}, "IP3");
    s.variable_loc = r.loc("variable");
  }
  r.finish({"name"});
  return s;
}

}  // namespace

void read_stimuli(const Reader& top, Deck& deck) {
  if (!top.has("stimulus")) return;
  const tvalue& sv = top.at("stimulus");
  if (!sv.is_array()) top.fail(sv, "stimulus", "must be an array of tables: write [[stimulus]], not [stimulus]");
  std::set<std::string> names;
  const auto& arr = sv.as_array();
  if (arr.size() >= (1u << 24)) top.fail(sv, "stimulus", "too many stimuli; allowed: fewer than 2^24");
  for (std::size_t k = 0; k < arr.size(); ++k) {
    deck.stimuli.push_back(read_stimulus(arr[k], k, names, deck));
    names.insert(deck.stimuli.back().name);
  }
}

}  // namespace cajal::input
