#pragma once
// The network as built, written in SONATA's network format (nodes, edges, type tables,
// circuit config) into one folder, so that BMTK, libsonata or h5py users can analyse its
// connectivity, and so that Cajal can read it back (rule = "sonata").
//
//   DIR/nodes.h5             /nodes/<population>/{node_id, node_type_id, node_group_id,
//                            node_group_index, 0/{x, y, z}}
//   DIR/edges.h5             /edges/<projection>/{source_node_id, target_node_id (attribute
//                            node_population), edge_type_id, edge_group_id, edge_group_index,
//                            0/{syn_weight, delay}, indices/{source_to_target,
//                            target_to_source}/{node_id_to_ranges, range_to_edge_id}}
//   DIR/node_types.csv, DIR/edge_types.csv (space-separated), DIR/circuit_config.json,
//   DIR/components/{point_neuron_models, synaptic_models}/<name>.json (parameters)
//
// The files are the same on any number of ranks: edges are in canonical order (by target
// id, then source id, then as drawn), the order of weights.h5 and of checkpoints. Every
// rank writes its own targets' edges and its own cells' nodes (collective hyperslab
// writes); the source_to_target index is built by the rank that owns a block of source
// ids, from (source, edge id) pairs sent to it. Cost per rank: its own edges, plus the
// in-degree of every target of a projection (one uint64 each, summed over the ranks).
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "network/connectivity.hpp"

namespace cajal {

/// Collective: writes the network (`projections[i]` built from deck.projections[i]) into
/// `dir` (created). Weights are the values Cajal delivers: a constant weight as the exact
/// double of its fixed-point value (static synapses) or the deck's value (synapses with
/// state, SIC), a drawn weight as its float, a plastic weight as it is now; delays in ms
/// (steps × dt). Gap junctions (ip3_gap_junction) are not written.
void write_sonata_network(const Communicator& comm, const Deck& deck, const Partition& part,
                          const std::vector<Projection>& projections, const std::string& dir);

}  // namespace cajal
