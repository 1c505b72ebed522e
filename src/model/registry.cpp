// The registry: the one list of cell and synapse model descriptors, and what reads it
// directly (look-up, defaults, the population factory).
#include "model/registry.hpp"

#include <sstream>

#include "cajal/util/error.hpp"

namespace cajal {

namespace {
/// The entry of a catalogue called `name`, or nullptr.
template <class Info>
const Info* by_name(const std::vector<Info>& all, const std::string& name) {
  for (const auto& m : all)
    if (m.name == name) return &m;
  return nullptr;
}
}  // namespace

const std::vector<ModelInfo>& model_catalogue() {
  static const std::vector<ModelInfo> models{
      iaf_psc_delta_model(),      iaf_psc_exp_model(),     iaf_psc_alpha_model(),
      izhikevich_model(),         iaf_cond_exp_model(),    spike_generator_model(),
      astrocyte_lr_1994_model(),  astrocyte_gchi_model(),  astrocyte_integrator_model(),
      aeif_cond_alpha_astro_model(),
  };
  return models;
}

const std::vector<SynapseModelInfo>& synapse_catalogue() {
  static const std::vector<SynapseModelInfo> models{
      static_synapse_model(),   stdp_synapse_model(),       stdp_pl_synapse_hom_model(), tsodyks_synapse_model(),
      ip3_gap_junction_model(), tripartite_synapse_model(), sic_connection_model(),
  };
  return models;
}

const ModelInfo* find_model(const std::string& name) { return by_name(model_catalogue(), name); }
const SynapseModelInfo* find_synapse_model(const std::string& name) { return by_name(synapse_catalogue(), name); }

std::map<std::string, double> resolve_synapse_params(const SynapseSpec& syn) {
  std::map<std::string, double> out;
  const SynapseModelInfo* m = find_synapse_model(syn.model);
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : syn.params) out[kv.first] = kv.second.value;
  return out;
}

std::map<std::string, double> resolve_params(const PopulationSpec& pop, std::int64_t cell) {
  const ModelInfo* m = find_model(pop.model);
  std::map<std::string, double> out;
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : pop.params)
    out[kv.first] = cell >= 0 && kv.second.is_per_cell() ? kv.second.per_cell[static_cast<std::size_t>(cell)]
                                                         : kv.second.value;
  if (out.count("E_L") && !pop.params.count("V_m")) out["V_m"] = out["E_L"];
  if (m->derive) m->derive(out, pop);
  return out;
}

std::string recordable_unit(const std::string& v) {
  if (v == "V_m" || v == "U_m") return "mV";
  if (v == "g_ex" || v == "g_in") return "nS";
  if (v == "IP3" || v == "Ca_astro") return "uM";  // SONATA tools read ASCII units
  if (v == "h_IP3R") return "1";
  return "pA";  // I_syn_*, w, I_SIC, SIC
}

std::unique_ptr<Population> make_population(const Deck& deck, const Partition& part, int pop, int ring_size) {
  const auto& spec = deck.populations[pop];
  const ModelInfo* m = find_model(spec.model);
  if (!m || !m->make)
    throw input_error(spec.model_loc.file, spec.model_loc.line, "population." + spec.name + ".model",
                      "unknown model '" + spec.model + "'");
  const auto params = resolve_params(spec);
  return m->make(ModelBuild{deck, part, pop, ring_size, params, deck.simulation.dt});
}

std::vector<double> ModelBuild::values(const std::string& name) const {
  const auto& ids = part.local(pop);
  const auto it = spec().params.find(name);
  if (it == spec().params.end() && name == "V_m" && params.count("E_L")) return values("E_L");
  std::vector<double> out(ids.size(), params.at(name));
  if (it != spec().params.end() && it->second.is_per_cell())
    for (std::size_t i = 0; i < ids.size(); ++i) out[i] = it->second.per_cell[static_cast<std::size_t>(ids[i])];
  return out;
}

CellSets cell_sets(const ModelBuild& b) {
  const auto& spec = b.spec();
  const ModelInfo* m = find_model(spec.model);
  std::vector<const std::vector<double>*> per_cell;  // the per-cell parameters (not initial values)
  for (const auto& p : m->params) {
    const auto it = spec.params.find(p.name);
    if (!p.initial && it != spec.params.end() && it->second.is_per_cell()) per_cell.push_back(&it->second.per_cell);
  }
  const auto& ids = b.part.local(b.pop);
  CellSets cs;
  if (per_cell.empty() || ids.empty()) {
    cs.params.push_back(b.params);
    return cs;
  }
  std::map<std::vector<double>, std::uint32_t> seen;
  std::vector<double> key(per_cell.size());
  cs.index.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto id = static_cast<std::size_t>(ids[i]);
    for (std::size_t k = 0; k < per_cell.size(); ++k) key[k] = (*per_cell[k])[id];
    const auto ins = seen.emplace(key, static_cast<std::uint32_t>(cs.params.size()));
    if (ins.second) cs.params.push_back(resolve_params(spec, ids[i]));
    cs.index[i] = ins.first->second;
  }
  if (cs.params.size() == 1) cs.index.clear();  // one set on this rank: as without per-cell values
  return cs;
}

std::string param_num(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}

void ModelCheck::fail(const std::string& p, const std::string& why) const {
  const auto it = pop.params.find(p);
  const SourceLoc l = it != pop.params.end() ? it->second.loc : pop.params_loc;
  const bool own = it != pop.params.end() && it->second.is_per_cell();
  const std::string at = "[" + std::to_string(cell) + "]";
  if (cell >= 0 && own) throw input_error(l.file, l.line, "population." + pop.name + ".params." + p + at, why);
  throw input_error(l.file, l.line, "population." + pop.name + ".params." + p,
                    cell >= 0 ? why + " (at cell " + std::to_string(cell) + ", with its per-cell values)" : why);
}

void ModelCheck::positive(const std::string& p, const std::string& unit) const {
  if (!(v.at(p) > 0)) fail(p, "must be > 0" + (unit.empty() ? "" : " " + unit) + " (got " + param_num(v.at(p)) + ")");
}

void ModelCheck::non_negative(const std::string& p) const {
  if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 (got ") + param_num(v.at(p)) + ")");
}

void ModelCheck::fraction(const std::string& p) const {
  if (!(v.at(p) >= 0 && v.at(p) <= 1)) fail(p, std::string("must lie in [0, 1] (got ") + param_num(v.at(p)) + ")");
}

void SynapseCheck::fail(const std::string& p, const std::string& why) const {
  const auto it = pj.synapse.params.find(p);
  const SourceLoc l = it != pj.synapse.params.end() ? it->second.loc : pj.synapse.loc;
  throw input_error(l.file, l.line, key + "." + p, why);
}

ParamInfo tau_minus_param() {
  return {"tau_minus", 20.0, "ms", "time constant of the postsynaptic STDP trace (used when plastic synapses target the cell)",
          false, false};
}

}  // namespace cajal
