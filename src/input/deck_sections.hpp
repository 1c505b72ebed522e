#pragma once
// The deck's section readers, one per section, called in this order by `Deck::parse`
// (deck.cpp). Each reads its part of the top-level table `top` into `deck` and checks it
// against the sections read before it (a projection's populations, a record's projection,
// the field's time step against simulation.dt), so the order is part of the contract.
// Each throws input_error at the first bad value. Internal to src/input/.
#include <string>

#include "input/deck_reader.hpp"

namespace cajal::input {

/// The text parsed as TOML; a syntax error becomes an input_error with toml11's line.
tvalue parse_toml(const std::string& text, const std::string& file);
/// Applies one `--set path=value` to the parsed document, before any section is read.
void apply_override(tvalue& root, const std::string& assignment);

/// [simulation] (deck.cpp): required, read first.
void read_simulation(const Reader& top, Deck& deck);
/// [[population]] with params, placement, background and spike times (deck_population.cpp).
void read_populations(const Reader& top, Deck& deck);
/// [[projection]] with its rule, weight and delay distributions, synapse, and the
/// tripartite rule's two extra connection sets (deck_projection.cpp).
void read_projections(const Reader& top, Deck& deck);
/// [[stimulus]]: stimulus devices and their target populations (deck_stimulus.cpp).
void read_stimuli(const Reader& top, Deck& deck);
/// [field] and [field.potassium] (deck_field.cpp).
void read_field(const Reader& top, Deck& deck);
/// [[record]], [output] and [checkpoint] (deck_output.cpp).
void read_records(const Reader& top, Deck& deck);
void read_output(const Reader& top, Deck& deck);
void read_checkpoint(const Reader& top, Deck& deck);

}  // namespace cajal::input
