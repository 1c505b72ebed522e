#include "model/astro.hpp"
#include "model/cond.hpp"

#include <cmath>

namespace cajal {

AstrocyteLR1994 AstrocyteLR1994::make(const std::map<std::string, double>& p, double dt) {
  AstrocyteLR1994 m;
  m.Ca_tot = p.at("Ca_tot");
  m.IP3_0 = p.at("IP3_0");
  m.Kd_IP3_1 = p.at("Kd_IP3_1");
  m.Kd_IP3_2 = p.at("Kd_IP3_2");
  m.Kd_act = p.at("Kd_act");
  m.Kd_inh = p.at("Kd_inh");
  m.Km_SERCA = p.at("Km_SERCA");
  m.SIC_scale = p.at("SIC_scale");
  m.SIC_th = p.at("SIC_th");
  m.delta_IP3 = p.at("delta_IP3");
  m.k_IP3R = p.at("k_IP3R");
  m.rate_IP3R = p.at("rate_IP3R");
  m.rate_L = p.at("rate_L");
  m.rate_SERCA = p.at("rate_SERCA");
  m.ratio_ER_cyt = p.at("ratio_ER_cyt");
  m.tau_IP3 = p.at("tau_IP3");
  m.substeps = static_cast<int>(p.at("substeps"));
  m.h = dt / m.substeps;
  return m;
}

AeifCondAlphaAstro AeifCondAlphaAstro::make(const std::map<std::string, double>& p, double dt) {
  AeifCondAlphaAstro m;
  m.C_m = p.at("C_m");
  m.g_L = p.at("g_L");
  m.E_L = p.at("E_L");
  m.V_th = p.at("V_th");
  m.Delta_T = p.at("Delta_T");
  m.tau_w = p.at("tau_w");
  m.a = p.at("a");
  m.b = p.at("b");
  m.V_reset = p.at("V_reset");
  m.V_peak = p.at("V_peak");
  m.E_ex = p.at("E_ex");
  m.E_in = p.at("E_in");
  m.tau_ex = p.at("tau_syn_ex");
  m.tau_in = p.at("tau_syn_in");
  m.I_e = p.at("I_e");
  m.tol = p.at("gsl_error_tol");
  m.V_detect = m.Delta_T > 0 ? m.V_peak : m.V_th;
  m.inv_C = 1.0 / m.C_m;
  m.inv_tau_ex = 1.0 / m.tau_ex;
  m.inv_tau_in = 1.0 / m.tau_in;
  m.inv_tau_w = 1.0 / m.tau_w;
  m.inv_Delta_T = m.Delta_T > 0 ? 1.0 / m.Delta_T : 0.0;
  m.ex_init = std::exp(1.0) / m.tau_ex;
  m.in_init = std::exp(1.0) / m.tau_in;
  m.h = dt;
  m.ref_steps = static_cast<int>(std::llround(p.at("t_ref") / dt));
  return m;
}

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
