// stdp_synapse and stdp_pl_synapse_hom: their descriptors (parameters and the checks they
// share). The rules: StdpRule in synapse/stdp.hpp.
#include "cajal/util/error.hpp"
#include "model/registry.hpp"
#include "model/synapses/rules.hpp"

namespace cajal {

namespace {
/// Sensible rule parameters, weights within [0, Wmax], and a postsynaptic trace.
void check(const SynapseCheck& c) {
  const auto& v = c.v;
  const auto& pj = c.pj;
  const Deck& deck = c.deck;
  if (!(v.at("tau_plus") > 0)) c.fail("tau_plus", "must be > 0 ms (got " + param_num(v.at("tau_plus")) + ")");
  for (const char* p : {"lambda", "alpha"})
    if (!(v.at(p) >= 0)) c.fail(p, "must be ≥ 0 (got " + param_num(v.at(p)) + ")");
  if (v.count("Wmax") && !(v.at("Wmax") > 0)) c.fail("Wmax", "must be > 0 (got " + param_num(v.at("Wmax")) + ")");
  if (pj.weight.lower_bound() < 0)
    throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                      "must be ≥ 0 for the plastic synapse model " + c.model.name +
                          " (its rules act on non-negative weights); allowed: a weight ≥ 0, or a distribution with min ≥ 0");
  if (v.count("Wmax") && pj.weight.upper_bound() > v.at("Wmax") && pj.weight.upper_bound() < 1e299)
    throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                      "exceeds Wmax = " + param_num(v.at("Wmax")) + " of " + c.model.name + "; allowed: weight ≤ Wmax");
  if (!pj.weight.is_constant() && pj.weight.upper_bound() >= 1e299 && v.count("Wmax"))
    throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                      "a normal distribution without max can exceed Wmax; set max ≤ Wmax");
  const auto& post = deck.populations[deck.population_index(pj.post)];
  const double tm = resolve_params(post).at("tau_minus");
  if (!(tm > 0)) {
    const auto it = post.params.find("tau_minus");
    const SourceLoc l = it != post.params.end() ? it->second.loc : post.params_loc;
    throw input_error(l.file, l.line, "population." + post.name + ".params.tau_minus",
                      "must be > 0 ms (got " + param_num(tm) + "); the population is the target of plastic projection '" +
                          pj.name + "'");
  }
}
}  // namespace

SynapseModelInfo stdp_synapse_model() {
  SynapseModelInfo m{"stdp_synapse",
                     "pair-based STDP with weight dependence (NEST's stdp_synapse; Guetig et al. 2003)",
                     {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
                      {"lambda", 0.01, "1", "step size"},
                      {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
                      {"mu_plus", 1.0, "1", "weight dependence exponent of potentiation"},
                      {"mu_minus", 1.0, "1", "weight dependence exponent of depression"},
                      {"Wmax", 100.0, "weight unit", "maximum weight"}}};
  m.check = check;
  return m;
}

SynapseModelInfo stdp_pl_synapse_hom_model() {
  SynapseModelInfo m{"stdp_pl_synapse_hom",
                     "power-law STDP with homogeneous parameters (NEST's stdp_pl_synapse_hom; Morrison et al. 2007)",
                     {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
                      {"lambda", 0.1, "1", "step size"},
                      {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
                      {"mu", 0.4, "1", "weight dependence exponent of potentiation"}}};
  m.check = check;
  return m;
}

StdpRule stdp_rule(const std::string& model, const std::map<std::string, double>& v, double dt) {
  StdpRule r;
  r.kind = model == "stdp_pl_synapse_hom" ? StdpRule::power_law : StdpRule::stdp;
  r.lambda = v.at("lambda");
  r.alpha = v.at("alpha");
  if (r.kind == StdpRule::power_law) {
    r.mu = v.at("mu");
  } else {
    r.mu_plus = v.at("mu_plus");
    r.mu_minus = v.at("mu_minus");
    r.Wmax = v.at("Wmax");
  }
  r.plus = Decay::make(dt, v.at("tau_plus"));
  return r;
}

}  // namespace cajal
