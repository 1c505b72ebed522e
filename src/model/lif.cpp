#include "model/lif.hpp"

#include <cmath>

namespace cajal {

namespace {
int refractory_steps(double t_ref, double h) { return static_cast<int>(std::llround(t_ref / h)); }
}  // namespace

IafPscDelta IafPscDelta::make(const std::map<std::string, double>& p, double h) {
  IafPscDelta m;
  const double tau = p.at("tau_m"), C = p.at("C_m");
  m.E_L = p.at("E_L");
  m.P33 = std::exp(-h / tau);
  m.P30 = -tau / C * std::expm1(-h / tau);
  m.I_e = p.at("I_e");
  m.V_th = p.at("V_th") - m.E_L;
  m.V_reset = p.at("V_reset") - m.E_L;
  m.V_min = p.at("V_min") - m.E_L;
  m.ref_steps = refractory_steps(p.at("t_ref"), h);
  return m;
}

double IafPscExp::propagator_21(double tau_s, double tau_m, double C, double h) {
  if (std::fabs(1.0 - tau_m / tau_s) < 1e-8) return h / C * std::exp(-h / tau_m);
  return -tau_m / (C * (1.0 - tau_m / tau_s)) * std::exp(-h / tau_s) *
         std::expm1(h * (1.0 / tau_s - 1.0 / tau_m));
}

IafPscExp IafPscExp::make(const std::map<std::string, double>& p, double h) {
  IafPscExp m;
  const double tau = p.at("tau_m"), C = p.at("C_m");
  m.E_L = p.at("E_L");
  m.P22 = std::exp(-h / tau);
  m.P20 = -tau / C * std::expm1(-h / tau);
  m.P11ex = std::exp(-h / p.at("tau_syn_ex"));
  m.P11in = std::exp(-h / p.at("tau_syn_in"));
  m.P21ex = propagator_21(p.at("tau_syn_ex"), tau, C, h);
  m.P21in = propagator_21(p.at("tau_syn_in"), tau, C, h);
  m.I_e = p.at("I_e");
  m.V_th = p.at("V_th") - m.E_L;
  m.V_reset = p.at("V_reset") - m.E_L;
  m.ref_steps = refractory_steps(p.at("t_ref"), h);
  return m;
}

}  // namespace cajal
