// tsodyks_synapse: its descriptor (parameters and checks). The rule: TsodyksRule in
// synapse/tsodyks.hpp.
#include "model/registry.hpp"
#include "model/synapses/rules.hpp"

namespace cajal {

namespace {
void check(const SynapseCheck& c) {
  const auto& v = c.v;
  for (const char* p : {"U", "u", "x", "y"})
    if (!(v.at(p) >= 0 && v.at(p) <= 1)) c.fail(p, std::string("must lie in [0, 1] (got ") + param_num(v.at(p)) + ")");
  for (const char* p : {"tau_psc", "tau_rec"})
    if (!(v.at(p) > 0)) c.fail(p, std::string("must be > 0 ms (got ") + param_num(v.at(p)) + ")");
  if (!(v.at("tau_fac") >= 0)) c.fail("tau_fac", "must be ≥ 0 ms (got " + param_num(v.at("tau_fac")) + ")");
  if (v.at("tau_psc") == v.at("tau_rec"))
    c.fail("tau_psc", "must differ from tau_rec (the update divides by their difference)");
  if (v.at("x") + v.at("y") > 1) c.fail("y", "x + y must be ≤ 1 (got " + param_num(v.at("x") + v.at("y")) + ")");
}
}  // namespace

SynapseModelInfo tsodyks_synapse_model() {
  SynapseModelInfo m{
      "tsodyks_synapse",
      "Tsodyks-Markram short-term depression and facilitation (NEST's tsodyks_synapse; Tsodyks et al. 2000); "
      "transmits u·x × weight",
      {{"U", 0.5, "1", "utilisation increment per spike"},
       {"tau_psc", 3.0, "ms", "decay of the active fraction y (the postsynaptic current)"},
       {"tau_rec", 800.0, "ms", "recovery time constant (depression)"},
       {"tau_fac", 0.0, "ms", "facilitation time constant (0: none)"},
       {"u", 0.0, "1", "initial utilisation"},
       {"x", 1.0, "1", "initial fraction of recovered resources"},
       {"y", 0.0, "1", "initial fraction of active resources"}}};
  m.check = check;
  return m;
}

TsodyksRule tsodyks_rule(const std::map<std::string, double>& v, double dt) {
  return TsodyksRule{v.at("U"), v.at("tau_psc"), v.at("tau_rec"), v.at("tau_fac"), dt};
}

}  // namespace cajal
