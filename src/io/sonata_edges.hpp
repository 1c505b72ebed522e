#pragma once
// Reading a projection's edges from a SONATA edge file (rule = "sonata"), in two steps:
//
// - scan (when the deck is parsed, on every rank): checks the file against the deck and
//   the SONATA layout (datasets, types, shapes, ids within the populations, the
//   target_to_source index against the target ids, delays on the dt grid, the edge
//   types' model) and sets the projection's weight and delay (one constant when every
//   edge has the same value, so a constant weight keeps its exact fixed-point value;
//   otherwise per edge) and its synapse model. Any problem is one line naming the file,
//   the dataset and what is wrong (exit status 2). It streams the weight, delay and
//   source columns in blocks, but holds the target ids (8 bytes per edge) while it checks
//   the index: a cost of the parse on every rank, not of the build.
// - read (when the network is built): this rank's edges only. With the index
//   (indices/target_to_source), the rows of its own targets and then their edge ranges
//   are read (independent reads, hyperslab unions); without one, the target ids are
//   read in blocks and the rank's edges picked out. Edges keep the file's order within a
//   target, so a file written by Cajal gives back the same storage.
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "network/connectivity.hpp"

namespace cajal {

void scan_sonata_edges(const Deck& deck, ProjectionSpec& pj);
/// A population's node file: n, positions (every rank holds them: 24 bytes per cell of a
/// SONATA population), the node types' model and parameters, per-cell values.
void scan_sonata_nodes(const Deck& deck, PopulationSpec& pop);
std::vector<LocalEdge> read_sonata_edges(const Deck& deck, const Partition& part, int index);

/// Registers both with the deck and the builder (call once at program start).
void register_sonata_readers();

}  // namespace cajal
