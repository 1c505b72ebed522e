#pragma once
// What a model's descriptor file sees: the context of its parameter checks and of its
// population factory, the helpers every factory shares, and the list of descriptors that
// src/model/registry.cpp registers. Adding a model: one file under model/cells/ (or
// model/synapses/) that defines its `*_model()` function, a line below and one in
// registry.cpp's list, and its tests.
//
// The list is explicit (no static registration objects): a static library drops object
// files nothing refers to, and the order of static initialisers across files is unknown;
// the list also fixes the order in which `cajal models` and error messages name models.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/network/partition.hpp"
#include "model/param_sets.hpp"
#include "model/population.hpp"

namespace cajal {

/// A number as check messages print it (12 significant digits).
std::string param_num(double x);

/// The parameters of one population, for its model's checks.
struct ModelCheck {
  const Deck& deck;
  const PopulationSpec& pop;
  const std::map<std::string, double>& v;  ///< defaults filled in
  /// The population id whose per-cell values `v` holds, or -1 (no per-cell value).
  std::int64_t cell = -1;
  /// Throws input_error at the parameter's line (the params table's when defaulted); with a
  /// cell, a per-cell parameter's key names it (`params.V_th[37]`), another's message does.
  [[noreturn]] void fail(const std::string& p, const std::string& why) const;
  /// "must be > 0 UNIT (got x)" unless v[p] > 0 (no unit when `unit` is empty).
  void positive(const std::string& p, const std::string& unit) const;
  /// "must be ≥ 0 (got x)" unless v[p] >= 0.
  void non_negative(const std::string& p) const;
  /// "must lie in [0, 1] (got x)" unless 0 <= v[p] <= 1.
  void fraction(const std::string& p) const;
  double at(const std::string& p) const { return v.at(p); }
};

/// The synapse of one projection, for its model's checks.
struct SynapseCheck {
  const Deck& deck;
  const ProjectionSpec& pj;
  const SynapseModelInfo& model;
  const std::string& key;                  ///< "projection.NAME.synapse"
  const std::map<std::string, double>& v;  ///< defaults filled in
  /// Throws input_error at the parameter's line (the synapse table's when defaulted).
  [[noreturn]] void fail(const std::string& p, const std::string& why) const;
};

/// What a factory gets: population `pop` of the deck on this rank.
struct ModelBuild {
  const Deck& deck;
  const Partition& part;
  int pop;
  int ring_size;
  const std::map<std::string, double>& params;  ///< defaults filled in
  double dt;
  const PopulationSpec& spec() const { return deck.populations[pop]; }
  /// Parameter `name` of every local cell: its per-cell value where the deck gives one,
  /// else params.at(name) (V_m, when the deck does not set it, is each cell's E_L).
  std::vector<double> values(const std::string& name) const;
};

/// The distinct combinations of the per-cell parameters (not initial values) over the
/// local cells of a population, each with its parameters resolved (the cell's own values in
/// place of the population's), in the order of their first local cell; `index` is each
/// local cell's set, empty when there is one set.
struct CellSets {
  std::vector<std::map<std::string, double>> params;
  std::vector<std::uint32_t> index;
};
CellSets cell_sets(const ModelBuild& b);

/// The parameter sets of a population's local cells: `make(params)` builds the model's
/// struct of one set (model/param_sets.hpp). `all`, when given, receives every set.
template <class M, class Make>
ParamSets<M> make_param_sets(const ModelBuild& b, Make make, std::vector<M>* all = nullptr) {
  const CellSets cs = cell_sets(b);
  ParamSets<M> s;
  std::vector<M> sets;
  for (const auto& p : cs.params) sets.push_back(make(p));
  s.one = sets[0];
  if (all) *all = sets;
  if (cs.index.empty()) return s;
  Kokkos::View<M*> table("cajal::population::param_sets", sets.size());
  auto ht = Kokkos::create_mirror_view(table);
  for (std::size_t k = 0; k < sets.size(); ++k) ht(k) = sets[k];
  Kokkos::deep_copy(table, ht);
  Kokkos::View<std::uint32_t*> index("cajal::population::param_set", cs.index.size());
  auto hi = Kokkos::create_mirror_view(index);
  for (std::size_t i = 0; i < cs.index.size(); ++i) hi(i) = cs.index[i];
  Kokkos::deep_copy(index, hi);
  s.table = table;
  s.index = index;
  return s;
}

/// Ids, ring buffers and background: what every population has. Set p.receptors first.
void init_base(Population& p, const ModelBuild& b);

/// Initial value of state `name` for every local cell, minus `shift`: the deck's number, the
/// cell's own value (per-cell values), a draw per cell from the stream (seed, initial,
/// `stream`) keyed by the cell's gid, or `fallback` when the deck does not set it.
void fill_initial(Kokkos::View<double*> v, const ModelBuild& b, const std::string& name, std::uint32_t stream,
                  double fallback, double shift);
/// The same with a fallback and a shift per local cell (per-cell parameters, e.g. E_L).
void fill_initial(Kokkos::View<double*> v, const ModelBuild& b, const std::string& name, std::uint32_t stream,
                  const std::vector<double>& fallback, const std::vector<double>& shift);

/// The parameter of every neuron that plastic synapses can target.
ParamInfo tau_minus_param();

// The descriptors, in catalogue order (registry.cpp).
ModelInfo iaf_psc_delta_model();
ModelInfo iaf_psc_exp_model();
ModelInfo iaf_psc_alpha_model();
ModelInfo izhikevich_model();
ModelInfo iaf_cond_exp_model();
ModelInfo spike_generator_model();
ModelInfo astrocyte_lr_1994_model();
ModelInfo astrocyte_gchi_model();
ModelInfo astrocyte_integrator_model();
ModelInfo aeif_cond_alpha_astro_model();

SynapseModelInfo static_synapse_model();
SynapseModelInfo stdp_synapse_model();
SynapseModelInfo stdp_pl_synapse_hom_model();
SynapseModelInfo tsodyks_synapse_model();
SynapseModelInfo ip3_gap_junction_model();
SynapseModelInfo tripartite_synapse_model();
SynapseModelInfo sic_connection_model();

}  // namespace cajal
