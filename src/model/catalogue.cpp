#include "cajal/model/catalogue.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "cajal/util/error.hpp"

namespace cajal {

namespace {
ParamInfo tau_minus() {
  return {"tau_minus", 20.0, "ms", "time constant of the postsynaptic STDP trace (used when plastic synapses target the cell)"};
}
std::vector<ParamInfo> lif_common() {
  // NEST's defaults for iaf_psc_delta / iaf_psc_exp.
  return {
      {"C_m", 250.0, "pF", "membrane capacitance"},
      {"tau_m", 10.0, "ms", "membrane time constant"},
      {"t_ref", 2.0, "ms", "absolute refractory period (rounded to steps)"},
      {"E_L", -70.0, "mV", "resting potential"},
      {"V_reset", -70.0, "mV", "reset potential"},
      {"V_th", -55.0, "mV", "spike threshold"},
      {"I_e", 0.0, "pA", "constant external current"},
      {"V_m", -70.0, "mV", "initial membrane potential (default E_L)", true},
      tau_minus(),
  };
}
/// "WHAT (did you mean 'x'?); LABEL: a, b, c": the message for a name not among `options`.
std::string unknown(const std::string& what, const std::string& word, const std::vector<std::string>& options,
                    const std::string& label) {
  std::string why = what;
  const std::string c = closest(word, options);
  if (!c.empty()) why += " (did you mean '" + c + "'?)";
  std::string all;
  for (const auto& n : options) all += (all.empty() ? "" : ", ") + n;
  return why + "; " + label + ": " + (all.empty() ? std::string("none") : all);
}

/// The entry of a catalogue called `name`, or nullptr.
template <class Info>
const Info* by_name(const std::vector<Info>& all, const std::string& name) {
  for (const auto& m : all)
    if (m.name == name) return &m;
  return nullptr;
}

std::string num(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}
}  // namespace

const std::vector<ModelInfo>& model_catalogue() {
  static const std::vector<ModelInfo> models = [] {
    ModelInfo delta{"iaf_psc_delta",
                    "leaky integrate-and-fire, delta synapses (voltage jumps), exact integration",
                    "mV",
                    lif_common()};
    delta.params.push_back({"V_min", -std::numeric_limits<double>::infinity(), "mV",
                            "lower bound of the membrane potential"});
    ModelInfo exp{"iaf_psc_exp",
                  "leaky integrate-and-fire, exponential current synapses, exact integration",
                  "pA",
                  lif_common()};
    exp.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant"});
    exp.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant"});
    exp.receptors = 2;
    ModelInfo alpha{"iaf_psc_alpha",
                    "leaky integrate-and-fire, alpha-shaped current synapses, exact integration",
                    "pA",
                    lif_common()};
    alpha.params.push_back({"V_min", -std::numeric_limits<double>::infinity(), "mV",
                            "lower bound of the membrane potential"});
    alpha.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant (rise to peak)"});
    alpha.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant (rise to peak)"});
    alpha.receptors = 2;
    ModelInfo izh{"izhikevich",
                  "Izhikevich (2003) quadratic model, forward Euler as NEST's consistent integration",
                  "mV",
                  {{"a", 0.02, "1/ms", "time scale of the recovery variable u"},
                   {"b", 0.2, "1", "sensitivity of u to v"},
                   {"c", -65.0, "mV", "reset of v after a spike"},
                   {"d", 8.0, "mV", "increment of u after a spike"},
                   {"I_e", 0.0, "mV/ms", "constant input, in the model's units (as NEST's I_e)"},
                   {"V_th", 30.0, "mV", "spike cut-off"},
                   {"V_min", -std::numeric_limits<double>::infinity(), "mV", "lower bound of v"},
                   {"V_m", -65.0, "mV", "initial v", true},
                   {"U_m", 0.0, "mV", "initial u (default b * V_m)", true},
                   tau_minus()}};
    return std::vector<ModelInfo>{delta, exp, alpha, izh};
  }();
  return models;
}

const std::vector<SynapseModelInfo>& synapse_catalogue() {
  static const std::vector<SynapseModelInfo> models = {
      {"static", "fixed weight", {}},
      {"stdp_synapse",
       "pair-based STDP with weight dependence (NEST's stdp_synapse; Guetig et al. 2003)",
       {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
        {"lambda", 0.01, "1", "step size"},
        {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
        {"mu_plus", 1.0, "1", "weight dependence exponent of potentiation"},
        {"mu_minus", 1.0, "1", "weight dependence exponent of depression"},
        {"Wmax", 100.0, "weight unit", "maximum weight"}}},
      {"stdp_pl_synapse_hom",
       "power-law STDP with homogeneous parameters (NEST's stdp_pl_synapse_hom; Morrison et al. 2007)",
       {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
        {"lambda", 0.1, "1", "step size"},
        {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
        {"mu", 0.4, "1", "weight dependence exponent of potentiation"}}},
  };
  return models;
}

const SynapseModelInfo* find_synapse_model(const std::string& name) { return by_name(synapse_catalogue(), name); }

std::map<std::string, double> resolve_synapse_params(const SynapseSpec& syn) {
  std::map<std::string, double> out;
  const SynapseModelInfo* m = find_synapse_model(syn.model);
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : syn.params) out[kv.first] = kv.second.value;
  return out;
}

const ModelInfo* find_model(const std::string& name) { return by_name(model_catalogue(), name); }

std::map<std::string, double> resolve_params(const PopulationSpec& pop) {
  const ModelInfo* m = find_model(pop.model);
  std::map<std::string, double> out;
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : pop.params) out[kv.first] = kv.second.value;
  if (out.count("E_L") && !pop.params.count("V_m")) out["V_m"] = out["E_L"];
  if (m->name == "izhikevich" && !pop.params.count("U_m")) out["U_m"] = out["b"] * out["V_m"];
  return out;
}

void check_models(const Deck& deck) {
  std::vector<std::string> names;
  for (const auto& m : model_catalogue()) names.push_back(m.name);
  for (const auto& pop : deck.populations) {
    const std::string key = "population." + pop.name;
    const ModelInfo* m = find_model(pop.model);
    if (!m)
      throw input_error(pop.model_loc.file, pop.model_loc.line, key + ".model",
                        unknown("unknown model '" + pop.model + "'", pop.model, names, "models"));
    std::vector<std::string> pnames;
    for (const auto& p : m->params) pnames.push_back(p.name);
    for (const auto& kv : pop.params) {
      bool known = false, initial = false;
      for (const auto& p : m->params)
        if (p.name == kv.first) known = true, initial = p.initial;
      if (known && !initial && !kv.second.dist.is_constant())
        throw input_error(kv.second.loc.file, kv.second.loc.line, key + ".params." + kv.first,
                          "must be a number; only initial values (V_m, U_m) may be drawn from a distribution");
      if (!known)
        throw input_error(kv.second.loc.file, kv.second.loc.line, key + ".params." + kv.first,
                          unknown("unknown parameter of " + m->name, kv.first, pnames, "parameters"));
    }
    const auto v = resolve_params(pop);
    auto fail = [&](const std::string& p, const std::string& why) {
      const auto it = pop.params.find(p);
      const SourceLoc l = it != pop.params.end() ? it->second.loc : pop.params_loc;
      throw input_error(l.file, l.line, key + ".params." + p, why);
    };
    auto positive = [&](const std::string& p, const std::string& unit) {
      if (!(v.at(p) > 0)) fail(p, "must be > 0 " + unit + " (got " + num(v.at(p)) + ")");
    };
    if (m->name == "izhikevich") {
      positive("a", "1/ms");
      if (!(v.at("c") < v.at("V_th")))
        fail(pop.params.count("c") ? "c" : "V_th",
             "the reset c (" + num(v.at("c")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
      if (!(v.at("V_min") < v.at("V_th"))) fail("V_min", "must be below V_th (" + num(v.at("V_th")) + " mV)");
      continue;
    }
    positive("C_m", "pF");
    positive("tau_m", "ms");
    if (!(v.at("t_ref") >= 0)) fail("t_ref", "must be ≥ 0 ms (got " + num(v.at("t_ref")) + ")");
    if (!(v.at("V_reset") < v.at("V_th")))
      fail(pop.params.count("V_reset") ? "V_reset" : "V_th",
           "V_reset (" + num(v.at("V_reset")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
    if (m->receptors == 2) {
      positive("tau_syn_ex", "ms");
      positive("tau_syn_in", "ms");
    }
    if (v.count("V_min") && !(v.at("V_min") < v.at("V_th")))
      fail("V_min", "must be below V_th (" + num(v.at("V_th")) + " mV)");
  }
  // Synapse models: known, parameters known and sensible, weights of one sign.
  std::vector<std::string> snames;
  for (const auto& m : synapse_catalogue()) snames.push_back(m.name);
  for (const auto& pj : deck.projections) {
    const std::string key = "projection." + pj.name + ".synapse";
    const SynapseModelInfo* sm = find_synapse_model(pj.synapse.model);
    if (!sm)
      throw input_error(pj.synapse.model_loc.file, pj.synapse.model_loc.line, key + ".model",
                        unknown("unknown synapse model '" + pj.synapse.model + "'", pj.synapse.model, snames, "models"));
    std::vector<std::string> pnames;
    for (const auto& p : sm->params) pnames.push_back(p.name);
    for (const auto& kv : pj.synapse.params) {
      if (std::find(pnames.begin(), pnames.end(), kv.first) != pnames.end()) continue;
      throw input_error(kv.second.loc.file, kv.second.loc.line, key + "." + kv.first,
                        unknown("unknown parameter of " + sm->name, kv.first, pnames, "parameters"));
    }
    if (!pj.synapse.plastic()) continue;
    const auto v = resolve_synapse_params(pj.synapse);
    auto fail = [&](const std::string& p, const std::string& why) {
      const auto it = pj.synapse.params.find(p);
      const SourceLoc l = it != pj.synapse.params.end() ? it->second.loc : pj.synapse.loc;
      throw input_error(l.file, l.line, key + "." + p, why);
    };
    if (!(v.at("tau_plus") > 0)) fail("tau_plus", "must be > 0 ms (got " + num(v.at("tau_plus")) + ")");
    for (const char* p : {"lambda", "alpha"})
      if (!(v.at(p) >= 0)) fail(p, "must be ≥ 0 (got " + num(v.at(p)) + ")");
    if (v.count("Wmax") && !(v.at("Wmax") > 0)) fail("Wmax", "must be > 0 (got " + num(v.at("Wmax")) + ")");
    if (pj.weight.lower_bound() < 0)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "must be ≥ 0 for the plastic synapse model " + sm->name +
                            " (its rules act on non-negative weights); allowed: a weight ≥ 0, or a distribution with min ≥ 0");
    if (v.count("Wmax") && pj.weight.upper_bound() > v.at("Wmax") && pj.weight.upper_bound() < 1e299)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "exceeds Wmax = " + num(v.at("Wmax")) + " of " + sm->name + "; allowed: weight ≤ Wmax");
    if (!pj.weight.is_constant() && pj.weight.upper_bound() >= 1e299 && v.count("Wmax"))
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "a normal distribution without max can exceed Wmax; set max ≤ Wmax");
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const double tm = resolve_params(post).at("tau_minus");
    if (!(tm > 0)) {
      const auto it = post.params.find("tau_minus");
      const SourceLoc l = it != post.params.end() ? it->second.loc : post.params_loc;
      throw input_error(l.file, l.line, "population." + post.name + ".params.tau_minus",
                        "must be > 0 ms (got " + num(tm) + "); the population is the target of plastic projection '" +
                            pj.name + "'");
    }
  }
  // Current-based synapses route a weight to the excitatory or the inhibitory port by its
  // sign; one projection must therefore keep one sign.
  for (const auto& pj : deck.projections) {
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const ModelInfo* pm = find_model(post.model);
    if (pm->receptors != 2) continue;
    if (pj.weight.lower_bound() < 0 && pj.weight.upper_bound() > 0)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "can draw both signs, but " + pm->name + " routes a weight to its excitatory or "
                        "inhibitory synapse by its sign; allowed: a distribution clipped to one sign "
                        "(set min = 0 or max = 0), or two projections");
  }
}

}  // namespace cajal
