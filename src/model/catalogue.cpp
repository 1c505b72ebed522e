#include "cajal/model/catalogue.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "cajal/util/error.hpp"

namespace cajal {

namespace {
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
      {"V_m", -70.0, "mV", "initial membrane potential (default E_L)"},
  };
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
    return std::vector<ModelInfo>{delta, exp};
  }();
  return models;
}

const ModelInfo* find_model(const std::string& name) {
  for (const auto& m : model_catalogue())
    if (m.name == name) return &m;
  return nullptr;
}

std::map<std::string, double> resolve_params(const PopulationSpec& pop) {
  const ModelInfo* m = find_model(pop.model);
  std::map<std::string, double> out;
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : pop.params) out[kv.first] = kv.second.value;
  if (!pop.params.count("V_m")) out["V_m"] = out["E_L"];
  return out;
}

void check_models(const Deck& deck) {
  std::vector<std::string> names;
  for (const auto& m : model_catalogue()) names.push_back(m.name);
  for (const auto& pop : deck.populations) {
    const std::string key = "population." + pop.name;
    const ModelInfo* m = find_model(pop.model);
    if (!m) {
      std::string why = "unknown model '" + pop.model + "'";
      const std::string c = closest(pop.model, names);
      if (!c.empty()) why += " (did you mean '" + c + "'?)";
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      throw input_error(pop.model_loc.file, pop.model_loc.line, key + ".model", why + "; models: " + all);
    }
    std::vector<std::string> pnames;
    for (const auto& p : m->params) pnames.push_back(p.name);
    for (const auto& kv : pop.params) {
      bool known = false;
      for (const auto& p : m->params) known |= p.name == kv.first;
      if (!known) {
        std::string why = "unknown parameter of " + m->name;
        const std::string c = closest(kv.first, pnames);
        if (!c.empty()) why += " (did you mean '" + c + "'?)";
        std::string all;
        for (const auto& n : pnames) all += (all.empty() ? "" : ", ") + n;
        throw input_error(kv.second.loc.file, kv.second.loc.line, key + ".params." + kv.first,
                          why + "; parameters: " + all);
      }
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
    positive("C_m", "pF");
    positive("tau_m", "ms");
    if (!(v.at("t_ref") >= 0)) fail("t_ref", "must be ≥ 0 ms (got " + num(v.at("t_ref")) + ")");
    if (!(v.at("V_reset") < v.at("V_th")))
      fail(pop.params.count("V_reset") ? "V_reset" : "V_th",
           "V_reset (" + num(v.at("V_reset")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
    if (m->name == "iaf_psc_exp") {
      positive("tau_syn_ex", "ms");
      positive("tau_syn_in", "ms");
    }
    if (m->name == "iaf_psc_delta" && !(v.at("V_min") < v.at("V_th")))
      fail("V_min", "must be below V_th (" + num(v.at("V_th")) + " mV)");
  }
  // Current-based synapses route a weight to the excitatory or the inhibitory port by its
  // sign; one projection must therefore keep one sign.
  for (const auto& pj : deck.projections) {
    const auto& post = deck.populations[deck.population_index(pj.post)];
    if (post.model != "iaf_psc_exp") continue;
    if (pj.weight.lower_bound() < 0 && pj.weight.upper_bound() > 0)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "can draw both signs, but iaf_psc_exp routes a weight to its excitatory or "
                        "inhibitory synapse by its sign; allowed: a distribution clipped to one sign "
                        "(set min = 0 or max = 0), or two projections");
  }
}

}  // namespace cajal
