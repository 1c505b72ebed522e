#pragma once
/// The catalogue of cell and synapse models: names, parameters with defaults and units,
/// and the physical checks of a population's parameters. The deck stores parameters as
/// raw numbers with their source locations; this module decides what they mean.
///
/// Each model is one descriptor (a ModelInfo or SynapseModelInfo) in one file under
/// src/model/cells/ or src/model/synapses/, listed once in src/model/registry.cpp; the
/// catalogue, `cajal models`, deck validation and the population factory all read it.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"

namespace cajal {

class Population;
struct ModelCheck;    // src/model/registry.hpp
struct ModelBuild;    // src/model/registry.hpp
struct SynapseCheck;  // src/model/registry.hpp

struct ParamInfo {
  std::string name;
  double def;
  std::string unit;
  std::string doc;
  bool initial = false;  ///< an initial value of the state: may be drawn per cell
  /// May be given per cell (Param::per_cell); false for what the population shares (its
  /// own step, the STDP trace of its history).
  bool per_cell = true;
};

struct ModelInfo {
  ModelInfo(std::string n, std::string d, std::string w, std::vector<ParamInfo> p)
      : name(std::move(n)), doc(std::move(d)), weight_unit(std::move(w)), params(std::move(p)) {}
  std::string name;
  std::string doc;
  std::string weight_unit;  ///< unit of a synaptic weight onto this model
  std::vector<ParamInfo> params;
  /// Ring-buffer input ports: 1: one port; 2: excitatory and inhibitory ports, chosen by
  /// the weight's sign (a projection onto such a model must keep one sign); 3: those two
  /// plus the slow inward current (SIC) from astrocytes (port 2).
  int receptors = 1;
  enum class Kind { neuron, astrocyte, generator };
  Kind kind = Kind::neuron;
  /// The leak reversal potential can follow the extracellular K+ field
  /// (field.potassium.feedback_to; the population reads Population::leak_shift).
  bool k_feedback = false;
  /// Names a [[record]] of what = "state" may ask for (NEST's recordable names).
  std::vector<std::string> recordables;
  /// The model's own checks of a population's parameters (defaults filled in), after the
  /// generic ones (names known, only initial values drawn); nullptr: none.
  void (*check)(const ModelCheck&) = nullptr;
  /// Defaults that follow from other parameters, beyond V_m = E_L (izhikevich: U_m =
  /// b V_m); nullptr: none.
  void (*derive)(std::map<std::string, double>& params, const PopulationSpec& pop) = nullptr;
  /// Makes the population of this model on this rank (model/population.hpp).
  std::unique_ptr<Population> (*make)(const ModelBuild&) = nullptr;
  bool sign_routed() const { return receptors >= 2; }
  bool takes_sic() const { return receptors == 3; }
};

/// A synapse model: "static", or a plastic rule with its parameters (NEST's names and defaults).
struct SynapseModelInfo {
  std::string name;
  std::string doc;
  std::vector<ParamInfo> params;
  /// The model's checks of a projection's synapse parameters (defaults filled in) and
  /// weights, after the generic ones (names known); nullptr: none.
  void (*check)(const SynapseCheck&) = nullptr;
};
const std::vector<SynapseModelInfo>& synapse_catalogue();
const SynapseModelInfo* find_synapse_model(const std::string& name);
/// A projection's synapse parameters with defaults filled in.
std::map<std::string, double> resolve_synapse_params(const SynapseSpec& syn);

/// Every model Cajal knows.
const std::vector<ModelInfo>& model_catalogue();
/// The model called `name`, or nullptr.
const ModelInfo* find_model(const std::string& name);

/// Checks every population's model and parameters, and every projection's weights
/// against its target model (for example: one sign per projection onto current-based
/// synapses). Throws input_error at the offending line.
void check_models(const Deck& deck);

/// The unit of a recordable variable (for report files): "mV", "pA", "nS", "uM" or "1".
std::string recordable_unit(const std::string& variable);

/// A population's parameters with defaults filled in; with `cell` (a population id), that
/// cell's own values in place of the per-cell parameters' (else their values of cell 0).
std::map<std::string, double> resolve_params(const PopulationSpec& pop, std::int64_t cell = -1);

}  // namespace cajal
