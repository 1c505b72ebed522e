#include "model/cond.hpp"

#include <cmath>

namespace cajal {

IafCondExp IafCondExp::make(const std::map<std::string, double>& p, double dt) {
  IafCondExp m;
  m.C_m = p.at("C_m");
  m.g_L = p.at("g_L");
  m.E_L = p.at("E_L");
  m.V_th = p.at("V_th");
  m.V_reset = p.at("V_reset");
  m.E_ex = p.at("E_ex");
  m.E_in = p.at("E_in");
  m.tau_ex = p.at("tau_syn_ex");
  m.tau_in = p.at("tau_syn_in");
  m.I_e = p.at("I_e");
  m.h = dt;
  m.ref_steps = static_cast<int>(std::llround(p.at("t_ref") / dt));
  return m;
}

}  // namespace cajal
