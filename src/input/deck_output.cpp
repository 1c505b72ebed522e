// What a run writes: [[record]] (spikes, weights, state, field), [output] and [checkpoint].
#include <algorithm>

#include "input/deck_sections.hpp"

namespace cajal::input {
namespace {

/// what = "field": the extracellular field, every `interval` (a multiple of the field step).
void read_field_record(const Reader& r, const tvalue& self, RecordSpec& rec, const Deck& deck) {
  if (!deck.field.enabled) r.fail(r.at("what"), "what", "\"field\" records the extracellular field; the deck has no [field]");
  rec.interval_ms = r.number("interval", deck.field.dt);
  if (!(rec.interval_ms > 0) || !multiple_of(rec.interval_ms, deck.field.dt))
    r.fail(r.has("interval") ? r.at("interval") : self, "interval",
           "must be a positive multiple of the field step " + num(deck.field.dt) + " ms (got " + num(rec.interval_ms) +
               ")");
}

/// what = "state": variables of one population's first `cells` cells, every `interval`.
void read_state_record(const Reader& r, const tvalue& self, RecordSpec& rec, const Deck& deck) {
  const std::vector<std::string> popnames = population_names(deck);
  r.require("population", "the population whose state is recorded");
  const std::string nm = r.string("population");
  if (deck.population_index(nm) < 0)
    r.fail(r.at("population"), "population", not_found("population", nm, popnames) + "; populations: " + join(popnames));
  rec.populations.push_back(nm);
  r.require("variables", "the state variables recorded, e.g. [\"V_m\"]");
  const tvalue& a = r.at("variables");
  rec.variables_loc = loc_of(a, r.file());
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
  const double dt = deck.simulation.dt;
  rec.interval_ms = r.number("interval", 1.0);
  if (!(rec.interval_ms >= dt * (1 - 1e-9)) || !multiple_of(rec.interval_ms, dt))
    r.fail(r.has("interval") ? r.at("interval") : self, "interval",
           "must be a multiple of dt = " + num(dt) + " ms (got " + num(rec.interval_ms) + ")");
}

/// what = "weights": a plastic projection's synapses onto its first `targets` targets.
void read_weights_record(const Reader& r, RecordSpec& rec, const Deck& deck) {
  r.require("projection", "the name of a plastic projection whose weights are recorded");
  rec.projection = r.string("projection");
  std::vector<std::string> pjnames;
  const ProjectionSpec* pj = nullptr;
  for (const auto& p : deck.projections) {
    pjnames.push_back(p.name);
    if (p.name == rec.projection) pj = &p;
  }
  if (!pj)
    r.fail(r.at("projection"), "projection",
           not_found("projection", rec.projection, pjnames) + "; projections: " + join(pjnames));
  if (!pj->synapse.plastic())
    r.fail(r.at("projection"), "projection",
           "projection '" + rec.projection + "' is static; allowed: a projection with a plastic synapse model");
  if (r.has("targets")) {
    rec.targets = r.integer("targets");
    if (rec.targets < 1) r.fail(r.at("targets"), "targets", "must be ≥ 1 (got " + std::to_string(rec.targets) + ")");
  }
  rec.interval_ms = r.number("interval", rec.interval_ms);
  if (!(rec.interval_ms >= deck.simulation.dt * (1 - 1e-9)))
    r.fail(r.at("interval"), "interval",
           "must be ≥ dt = " + num(deck.simulation.dt) + " ms (got " + num(rec.interval_ms) + ")");
}

/// what = "spikes" (the default): the spikes of the listed populations, or of all.
void read_spike_record(const Reader& r, RecordSpec& rec, const Deck& deck) {
  const std::vector<std::string> popnames = population_names(deck);
  if (!r.has("populations")) {
    rec.populations = popnames;
    return;
  }
  const tvalue& a = r.at("populations");
  if (!a.is_array()) r.fail(a, "populations", "must be an array of population names");
  if (a.as_array().empty())
    r.fail(a, "populations", "is empty; allowed: a list of population names, or no key to record all");
  for (const auto& e : a.as_array()) {
    if (!e.is_string()) r.fail(a, "populations", "must be an array of population names (strings)");
    const std::string& nm = e.as_string().str;
    if (deck.population_index(nm) < 0)
      r.fail(a, "populations", not_found("population", nm, popnames) + "; populations: " + join(popnames));
    rec.populations.push_back(nm);
  }
}

RecordSpec read_record(const tvalue& table, std::size_t k, const Deck& deck) {
  const Reader r(table, "record[" + std::to_string(k) + "]", deck.file);
  RecordSpec rec;
  rec.loc = r.loc();
  rec.what = r.choice("what", {"spikes", "weights", "state", "field"}, "spikes");
  if (rec.what == "field") read_field_record(r, table, rec, deck);
  else if (rec.what == "state") read_state_record(r, table, rec, deck);
  else if (rec.what == "weights") read_weights_record(r, rec, deck);
  else read_spike_record(r, rec, deck);
  r.finish();
  return rec;
}

}  // namespace

void read_records(const Reader& top, Deck& deck) {
  if (!top.has("record")) return;
  const tvalue& rv = top.at("record");
  if (!rv.is_array()) top.fail(rv, "record", "must be an array of tables: write [[record]]");
  const auto& arr = rv.as_array();
  for (std::size_t k = 0; k < arr.size(); ++k) deck.records.push_back(read_record(arr[k], k, deck));
}

void read_output(const Reader& top, Deck& deck) {
  if (!top.has("output")) return;
  const Reader r(top.at("output"), "output", deck.file);
  deck.output.loc = r.loc();
  deck.output.dir = r.string("dir", deck.output.dir);
  if (deck.output.dir.empty()) r.fail(r.at("dir"), "dir", "must not be empty");
  deck.output.network = r.boolean("network", false);
  r.finish();
}

void read_checkpoint(const Reader& top, Deck& deck) {
  if (!top.has("checkpoint")) return;
  auto& c = deck.checkpoint;
  const double dt = deck.simulation.dt;
  const Reader r(top.at("checkpoint"), "checkpoint", deck.file);
  c.loc = r.loc();
  c.interval_ms = r.number("interval", 0.0);
  if (!(c.interval_ms >= 0))
    r.fail(r.at("interval"), "interval", "must be ≥ 0 ms (got " + num(c.interval_ms) + "); 0 means none");
  if (r.has("interval") && c.interval_ms > 0 && c.interval_ms < dt)
    r.fail(r.at("interval"), "interval", "must be ≥ dt = " + num(dt) + " ms, or 0 for none");
  c.dir = r.string("dir", "");
  if (r.has("dir") && c.dir.empty()) r.fail(r.at("dir"), "dir", "must not be empty (omit it for <output>/checkpoints)");
  if (r.has("keep")) {
    const std::int64_t k = r.integer("keep");
    if (k < 1 || k > 1000) r.fail(r.at("keep"), "keep", "must lie in [1, 1000] (got " + std::to_string(k) + ")");
    c.keep = static_cast<int>(k);
  }
  c.at_end = r.boolean("at_end", false);
  r.finish();
}

}  // namespace cajal::input
