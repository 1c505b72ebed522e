#include "model/astro.hpp"

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
  m.inv_ratio_ER_cyt = 1.0 / m.ratio_ER_cyt;
  m.inv_tau_IP3 = 1.0 / m.tau_IP3;
  m.substeps = static_cast<int>(p.at("substeps"));
  const double step = p.at("dt_astro") > 0 ? p.at("dt_astro") : dt;
  m.every = static_cast<int>(std::llround(step / dt));
  m.h = m.every * dt / m.substeps;
  return m;
}

AstrocyteGChI AstrocyteGChI::make(const std::map<std::string, double>& p, double dt) {
  AstrocyteGChI m;
  m.O_P = p.at("O_P");
  m.K_P = p.at("K_P");
  m.C_T = p.at("C_T");
  m.rho_A = p.at("rho_A");
  m.Omega_C = p.at("Omega_C");
  m.Omega_L = p.at("Omega_L");
  m.d_1 = p.at("d_1");
  m.d_2 = p.at("d_2");
  m.O_2 = p.at("O_2");
  m.d_3 = p.at("d_3");
  m.d_5 = p.at("d_5");
  m.O_beta = p.at("O_beta");
  m.O_N = p.at("O_N");
  m.Omega_N = p.at("Omega_N");
  m.K_KC = p.at("K_KC");
  m.zeta = p.at("zeta");
  m.O_delta = p.at("O_delta");
  m.kappa_delta = p.at("kappa_delta");
  m.K_delta = p.at("K_delta");
  m.Omega_5P = p.at("Omega_5P");
  m.K_D = p.at("K_D");
  m.K_3K = p.at("K_3K");
  m.O_3K = p.at("O_3K");
  m.F_ex = p.at("F_ex");
  m.I_bias = p.at("I_bias");
  m.I_Theta = p.at("I_Theta");
  m.omega_I = p.at("omega_I");
  m.C_Theta = p.at("C_Theta");
  m.Omega_A = p.at("Omega_A");
  m.U_A = p.at("U_A");
  m.G_T = p.at("G_T");
  m.rho_e = p.at("rho_e");
  m.Omega_e = p.at("Omega_e");
  m.Omega_c = p.at("Omega_c");
  m.glutamate = p.at("glutamate");
  m.O_G = p.at("O_G");
  m.Omega_G = p.at("Omega_G");
  const double step = p.at("dt_astro") > 0 ? p.at("dt_astro") : dt;
  m.every = static_cast<int>(std::llround(step / dt));
  m.h = m.every * dt;
  m.decay_A = std::exp(-m.Omega_A * m.h);
  m.decay_e = std::exp(-m.Omega_e * m.h);
  m.decay_c = std::exp(-m.Omega_c * m.h);
  m.decay_c_dt = std::exp(-m.Omega_c * dt);
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
  m.stages_of(0.0, dt, m.whole);
  m.P_ex = lanes::exp(-dt * m.inv_tau_ex);
  m.P_in = lanes::exp(-dt * m.inv_tau_in);
  m.ex_init = std::exp(1.0) / m.tau_ex;
  m.in_init = std::exp(1.0) / m.tau_in;
  m.h = dt;
  m.ref_steps = static_cast<int>(std::llround(p.at("t_ref") / dt));
  return m;
}

}  // namespace cajal
