#pragma once
// The kernel-level rule of each synapse model with state, made from a projection's synapse
// parameters (defaults filled in: resolve_synapse_params) by the model's descriptor file,
// so that the connectivity builder needs no parameter names.
#include <map>
#include <string>

#include "model/astro.hpp"
#include "synapse/stdp.hpp"
#include "synapse/tsodyks.hpp"

namespace cajal {

/// stdp_synapse or stdp_pl_synapse_hom (`model`); time step dt (ms).
StdpRule stdp_rule(const std::string& model, const std::map<std::string, double>& v, double dt);
/// tsodyks_synapse.
TsodyksRule tsodyks_rule(const std::map<std::string, double>& v, double dt);
/// tripartite_synapse.
GlioRule glio_rule(const std::map<std::string, double>& v, double dt);
/// ip3_gap_junction.
GapJunction gap_junction_rule(const std::map<std::string, double>& v);

}  // namespace cajal
