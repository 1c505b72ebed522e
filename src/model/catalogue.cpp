// Deck validation: every population's model and parameters (the generic checks here,
// each model's own in its descriptor), every projection's synapse, and the rules of what
// may connect to what, which involve several models at once.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "model/registry.hpp"

namespace cajal {

namespace {

/// Throws the input_error of a projection's key (suffix) at a source location.
using Fail = std::function<void(const SourceLoc&, const std::string&, const std::string&)>;

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

/// The model's checks of every cell of a population with per-cell values: once for each
/// distinct combination of them, in the order of its first cell, so the error names the
/// lowest cell id that fails.
void check_per_cell(const Deck& deck, const PopulationSpec& pop, const ModelInfo& m,
                    const std::vector<const std::vector<double>*>& per_cell) {
  std::set<std::vector<double>> seen;
  std::vector<double> key(per_cell.size());
  for (std::int64_t c = 0; c < pop.n; ++c) {
    for (std::size_t k = 0; k < per_cell.size(); ++k) key[k] = (*per_cell[k])[static_cast<std::size_t>(c)];
    if (!seen.insert(key).second) continue;
    const auto v = resolve_params(pop, c);
    m.check(ModelCheck{deck, pop, v, c});
  }
}

/// Every population: a known model, known parameters (only initial values drawn), spike
/// times only for generators, then the model's own checks.
void check_populations(const Deck& deck) {
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
      if (known && !initial && !kv.second.dist.is_constant()) {
        std::string inits;
        for (const auto& p : m->params)
          if (p.initial) inits += (inits.empty() ? "" : ", ") + p.name;
        throw input_error(kv.second.loc.file, kv.second.loc.line, key + ".params." + kv.first,
                          "must be a number; only initial values (" + inits + ") may be drawn from a distribution");
      }
      if (!known)
        throw input_error(kv.second.loc.file, kv.second.loc.line, key + ".params." + kv.first,
                          unknown("unknown parameter of " + m->name, kv.first, pnames, "parameters"));
    }
    std::vector<const std::vector<double>*> per_cell;
    for (const auto& p : m->params) {
      const auto it = pop.params.find(p.name);
      if (it == pop.params.end() || !it->second.is_per_cell()) continue;
      if (!p.per_cell)
        throw input_error(it->second.loc.file, it->second.loc.line, key + ".params." + p.name,
                          "must be one number for the whole population (it is shared by its cells); got per-cell values");
      if (static_cast<std::int64_t>(it->second.per_cell.size()) != pop.n)
        throw input_error(it->second.loc.file, it->second.loc.line, key + ".params." + p.name,
                          "has " + std::to_string(it->second.per_cell.size()) + " per-cell values; allowed: exactly n = " +
                              std::to_string(pop.n));
      per_cell.push_back(&it->second.per_cell);
    }
    if (pop.has_spike_times && m->kind != ModelInfo::Kind::generator)
      throw input_error(pop.spikes_loc.file, pop.spikes_loc.line, key + ".spike_times",
                        "only a spike_generator population takes spike times (this one is " + m->name + ")");
    if (m->check && per_cell.empty()) m->check(ModelCheck{deck, pop, resolve_params(pop), -1});
    if (m->check && !per_cell.empty()) check_per_cell(deck, pop, *m, per_cell);
  }
}

/// The extracellular field feeds back only into models with a K+-dependent leak.
void check_field_feedback(const Deck& deck) {
  const auto& k = deck.field.potassium;
  for (const auto& nm : k.feedback_to) {
    const PopulationSpec& pop = deck.populations[deck.population_index(nm)];
    if (find_model(pop.model)->k_feedback) continue;
    std::string allowed;
    for (const auto& m : model_catalogue())
      if (m.k_feedback) allowed += (allowed.empty() ? "" : ", ") + m.name;
    throw input_error(k.feedback_loc.file, k.feedback_loc.line, "field.potassium.feedback_to",
                      "population '" + nm + "' (model " + pop.model +
                          ") has no K+-dependent leak; allowed: populations of model " + allowed);
  }
}

/// Synapse models: known, parameters known and sensible, weights of one sign.
void check_synapse_models(const Deck& deck) {
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
    if (sm->check) sm->check(SynapseCheck{deck, pj, *sm, key, resolve_synapse_params(pj.synapse)});
  }
}

/// The tripartite rule's astrocytes decide its synapses: integrator gates STDP, G-ChI needs
/// tripartite_synapse on both sides, LR-1994 any; its pre must spike.
void check_tripartite(const Deck& deck, const ProjectionSpec& pj, const PopulationSpec& pre, const ModelInfo* qm,
                      const Fail& fail) {
  const auto& ast = deck.populations[deck.population_index(pj.astrocytes)];
  const ModelInfo* am = find_model(ast.model);
  if (am->name == "astrocyte_integrator") {
    if (!pj.synapse.plastic())
      fail(pj.synapse.loc, ".synapse", "with astrocyte_integrator astrocytes the rule gates STDP: the synapse must "
                                       "be stdp_synapse or stdp_pl_synapse_hom");
  } else if (am->name == "astrocyte_gchi") {
    // Gliotransmission: both the primary synapse and the synapse onto the astrocyte are
    // tripartite_synapse with the same parameters, so they release the same fraction.
    const auto& in = deck.projections[&pj - deck.projections.data() + 1];
    if (!pj.synapse.glio() || !in.synapse.glio() ||
        resolve_synapse_params(pj.synapse) != resolve_synapse_params(in.synapse))
      fail(pj.synapse.loc, ".synapse",
           "with astrocyte_gchi astrocytes the rule needs synapse and third_in.synapse to be tripartite_synapse with "
           "the same parameters (the astrocyte sees the glutamate its synapses release)");
  } else if (am->name != "astrocyte_lr_1994") {
    fail(pj.loc, ".astrocytes", "population '" + ast.name + "' is " + am->name +
                                    ", not an astrocyte model; allowed: a population of astrocyte_lr_1994 or "
                                    "astrocyte_gchi");
  }
  if (qm->kind != ModelInfo::Kind::neuron && qm->kind != ModelInfo::Kind::generator)
    fail(pj.loc, ".pre", "the tripartite rule needs spiking cells as pre ('" + pre.name + "' is " + qm->name + ")");
}

/// ip3_gap_junction: within one astrocyte population, drawn symmetric, one weight ≥ 0.
void check_gap_junction(const ProjectionSpec& pj, const ModelInfo* qm, const Fail& fail) {
  if (qm->kind != ModelInfo::Kind::astrocyte || pj.pre != pj.post)
    fail(pj.synapse.loc, ".synapse", "ip3_gap_junction couples the cells of one astrocyte population: pre and post "
                                     "must be the same astrocyte population");
  if (pj.rule != ProjectionSpec::Rule::distance)
    fail(pj.loc, ".rule", "ip3_gap_junction needs rule = \"distance\" (drawn once per pair, so junctions are "
                          "symmetric); for nearest neighbours place the cells on a grid and set the cutoff");
  if (!pj.weight.is_constant() || pj.weight.value < 0)
    fail(pj.weight.loc, ".weight", "must be a constant ≥ 0 for ip3_gap_junction (it scales the flux of "
                                   "every junction, which must be the same both ways)");
  const auto v = resolve_synapse_params(pj.synapse);
  for (const char* p : {"I_Theta"})
    if (!(v.at(p) >= 0)) fail(pj.synapse.loc, std::string(".synapse.") + p, "must be ≥ 0");
  if (!(v.at("F_ex") >= 0)) fail(pj.synapse.loc, ".synapse.F_ex", "must be ≥ 0 µM/ms");
  if (!(v.at("omega_I") > 0)) fail(pj.synapse.loc, ".synapse.omega_I", "must be > 0 µM");
}

/// What may connect to what: generators take no input, astrocytes emit no spikes (only
/// SIC), SIC reaches only models with a SIC input.
void check_connections(const Deck& deck) {
  for (const auto& pj : deck.projections) {
    const auto& pre = deck.populations[deck.population_index(pj.pre)];
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const ModelInfo* qm = find_model(pre.model);
    const ModelInfo* pm = find_model(post.model);
    const std::string key = "projection." + pj.name;
    const Fail fail = [&](const SourceLoc& l, const std::string& k, const std::string& why) {
      throw input_error(l.file, l.line, key + k, why);
    };
    if (pj.role == ProjectionSpec::Role::primary) check_tripartite(deck, pj, pre, qm, fail);
    if (pm->kind == ModelInfo::Kind::generator)
      fail(pj.loc, ".post", "population '" + post.name + "' is a spike_generator, which takes no input");
    if (pj.synapse.gap()) {
      check_gap_junction(pj, qm, fail);
      continue;
    }
    if (qm->kind == ModelInfo::Kind::astrocyte && pm->kind == ModelInfo::Kind::astrocyte && !pj.synapse.sic())
      fail(pj.loc, ".pre", "astrocytes emit no spikes; between astrocytes allowed: synapse = \"ip3_gap_junction\"");
    if (pj.synapse.sic()) {
      if (qm->name != "astrocyte_lr_1994")
        fail(pj.synapse.loc, ".synapse", "sic_connection needs an astrocyte_lr_1994 population as pre ('" + pre.name +
                                             "' is " + qm->name + ")");
      if (!pm->takes_sic())
        fail(pj.synapse.loc, ".synapse", "sic_connection needs a target with a SIC input, such as "
                                         "aeif_cond_alpha_astro ('" + post.name + "' is " + pm->name + ")");
    } else if (qm->kind == ModelInfo::Kind::astrocyte) {
      fail(pj.loc, ".pre", "population '" + pre.name + "' is an astrocyte population: it emits no spikes; allowed: "
                           "synapse = \"sic_connection\" onto a neuron with a SIC input (aeif_cond_alpha_astro)");
    }
    if (pm->kind == ModelInfo::Kind::astrocyte && pm->name != "astrocyte_integrator" && pj.weight.lower_bound() < 0)
      fail(pj.weight.loc, ".weight", "must be ≥ 0 onto astrocytes (a spike raises IP3 by delta_IP3 × weight, as in "
                                     "NEST, which rejects negative weights); allowed: a weight ≥ 0, or a distribution with min ≥ 0");
    if (pj.synapse.stp() && qm->kind == ModelInfo::Kind::astrocyte)
      fail(pj.synapse.loc, ".synapse", "astrocytes emit no spikes");
    if (pj.synapse.plastic() && (pm->kind != ModelInfo::Kind::neuron))
      fail(pj.synapse.loc, ".synapse", "plastic synapses need a neuron target ('" + post.name + "' is " + pm->name + ")");
  }
}

/// State records: variables the model can report, cells the population has.
void check_state_records(const Deck& deck) {
  for (const auto& r : deck.records) {
    if (r.what != "state") continue;
    const auto& pop = deck.populations[deck.population_index(r.populations[0])];
    const ModelInfo* m = find_model(pop.model);
    for (const auto& var : r.variables)
      if (std::find(m->recordables.begin(), m->recordables.end(), var) == m->recordables.end())
        throw input_error(r.variables_loc.file, r.variables_loc.line, "record.variables",
                          unknown("'" + var + "' is not a variable of " + m->name, var, m->recordables, "variables"));
    for (const auto& q : deck.records) {
      if (&q == &r) break;
      if (q.what != "state" || q.populations[0] != pop.name) continue;
      for (const auto& var : r.variables)
        if (std::find(q.variables.begin(), q.variables.end(), var) != q.variables.end())
          throw input_error(r.variables_loc.file, r.variables_loc.line, "record.variables",
                            "'" + var + "' of population '" + pop.name + "' is already recorded by an earlier [[record]] "
                            "(line " + std::to_string(q.loc.line) + "); allowed: each variable of a population in one record");
    }
    if (r.cells > pop.n)
      throw input_error(r.loc.file, r.loc.line, "record.cells",
                        std::to_string(r.cells) + " cells, but population '" + pop.name + "' has " +
                            std::to_string(pop.n) + "; allowed: 1 .. " + std::to_string(pop.n) + ", or no key for all");
  }
}

/// Current-based synapses route a weight to the excitatory or the inhibitory port by its
/// sign; one projection must therefore keep one sign.
void check_weight_signs(const Deck& deck) {
  for (const auto& pj : deck.projections) {
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const ModelInfo* pm = find_model(post.model);
    if (!pm->sign_routed() || pj.synapse.sic()) continue;
    if (pj.weight.lower_bound() < 0 && pj.weight.upper_bound() > 0)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "can draw both signs, but " + pm->name + " routes a weight to its excitatory or "
                        "inhibitory synapse by its sign; allowed: a distribution clipped to one sign "
                        "(set min = 0 or max = 0), or two projections");
  }
}

}  // namespace

void check_models(const Deck& deck) {
  // In this order: the first error a deck has is the one reported.
  check_populations(deck);
  check_field_feedback(deck);
  check_synapse_models(deck);
  check_connections(deck);
  check_state_records(deck);
  check_weight_signs(deck);
}

}  // namespace cajal
