// ip3_gap_junction: its descriptor (parameters).
// Its checks need the projection's populations and rule: check_models (catalogue.cpp).
// The flux: GapJunction in model/astro.hpp.
#include "model/registry.hpp"
#include "model/synapses/rules.hpp"

namespace cajal {

SynapseModelInfo ip3_gap_junction_model() {
  SynapseModelInfo m{"ip3_gap_junction",
      "IP3 gap junction between astrocytes (Goldberg et al. 2010; Stimberg et al. 2019): flux weight × F_ex/2 "
      "(1 + tanh((|ΔIP3| - I_Theta)/omega_I)) sign(ΔIP3), symmetric; rule \"distance\" only, delay unused",
      {{"F_ex", 0.002, "µM/ms", "maximal flux (2 µM/s)"},
       {"I_Theta", 0.3, "µM", "IP3 gradient at half-maximal flux"},
       {"omega_I", 0.05, "µM", "steepness of the flux"}}};
  return m;
}

GapJunction gap_junction_rule(const std::map<std::string, double>& v) {
  return GapJunction{v.at("F_ex"), v.at("I_Theta"), v.at("omega_I")};
}

}  // namespace cajal
