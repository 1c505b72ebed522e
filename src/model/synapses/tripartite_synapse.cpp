// tripartite_synapse: its descriptor (parameters and checks). The rule: GlioRule in
// synapse/tsodyks.hpp; which astrocytes it needs: check_models (catalogue.cpp).
#include "cajal/util/error.hpp"
#include "model/registry.hpp"
#include "model/synapses/rules.hpp"

namespace cajal {

namespace {
/// Every message points at the synapse table (not at the parameter's own line).
void check(const SynapseCheck& c) {
  const auto& v = c.v;
  const SourceLoc& l = c.pj.synapse.loc;
  for (const char* p : {"U_0", "alpha", "u", "x"})
    if (!(v.at(p) >= 0 && v.at(p) <= 1))
      throw input_error(l.file, l.line, c.key + "." + p, std::string("must lie in [0, 1] (got ") + param_num(v.at(p)) + ")");
  for (const char* p : {"Omega_f", "Omega_d"})
    if (!(v.at(p) >= 0))
      throw input_error(l.file, l.line, c.key + "." + p, std::string("must be ≥ 0 /ms (got ") + param_num(v.at(p)) + ")");
}
}  // namespace

SynapseModelInfo tripartite_synapse_model() {
  SynapseModelInfo m{
      "tripartite_synapse",
      "two-state Tsodyks-Markram synapse whose release probability follows its astrocyte's gliotransmitter "
      "(Stimberg et al. 2019; De Pittà et al. 2011): U_0 = (1 - Gamma_S) U_0* + alpha Gamma_S; transmits u·x × weight",
      {{"U_0", 0.6, "1", "release probability without gliotransmitter (U_0*)"},
       {"Omega_f", 3.33e-3, "1/ms", "facilitation decay rate"},
       {"Omega_d", 2e-3, "1/ms", "depression recovery rate"},
       {"alpha", 0.0, "1", "release probability at full presynaptic receptor activation"},
       {"u", 0.0, "1", "initial utilisation"},
       {"x", 1.0, "1", "initial available resources"}}};
  m.check = check;
  return m;
}

GlioRule glio_rule(const std::map<std::string, double>& v, double dt) {
  return GlioRule{v.at("U_0"), v.at("Omega_f"), v.at("Omega_d"), v.at("alpha"), dt};
}

}  // namespace cajal
