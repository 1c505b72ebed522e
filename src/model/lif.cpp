#include "model/lif.hpp"

#include <cmath>

namespace cajal {

namespace {
int refractory_steps(double t_ref, double h) { return static_cast<int>(std::llround(t_ref / h)); }

/// What every integrate-and-fire model shares; potentials relative to E_L, as in NEST.
template <class M>
void set_common(M& m, const std::map<std::string, double>& p, double h) {
  m.E_L = p.at("E_L");
  m.I_e = p.at("I_e");
  m.V_th = p.at("V_th") - m.E_L;
  m.V_reset = p.at("V_reset") - m.E_L;
  m.ref_steps = refractory_steps(p.at("t_ref"), h);
}
}  // namespace

IafPscDelta IafPscDelta::make(const std::map<std::string, double>& p, double h) {
  IafPscDelta m;
  const double tau = p.at("tau_m"), C = p.at("C_m");
  m.P33 = std::exp(-h / tau);
  m.P30 = -tau / C * std::expm1(-h / tau);
  set_common(m, p, h);
  m.V_min = p.at("V_min") - m.E_L;
  return m;
}

double IafPscExp::propagator_21(double tau_s, double tau_m, double C, double h) {
  // tau_s tau_m / (C (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})
  //   = (h/C) e^{-h/tau_m} phi(x),  phi(x) = (1 - e^{-x}) / x,  x = h (1/tau_s - 1/tau_m).
  // phi is smooth and flat near 0, so the rounding error of x (large relative to x when
  // tau_s is close to tau_m) barely moves the result; phi(0) = 1 is the limit tau_s = tau_m.
  const double x = h * (1.0 / tau_s - 1.0 / tau_m);
  const double phi = x == 0.0 ? 1.0 : -std::expm1(-x) / x;
  return h / C * std::exp(-h / tau_m) * phi;
}

IafPscExp IafPscExp::make(const std::map<std::string, double>& p, double h) {
  IafPscExp m;
  const double tau = p.at("tau_m"), C = p.at("C_m");
  m.P22 = std::exp(-h / tau);
  m.P20 = -tau / C * std::expm1(-h / tau);
  m.P11ex = std::exp(-h / p.at("tau_syn_ex"));
  m.P11in = std::exp(-h / p.at("tau_syn_in"));
  m.P21ex = propagator_21(p.at("tau_syn_ex"), tau, C, h);
  m.P21in = propagator_21(p.at("tau_syn_in"), tau, C, h);
  set_common(m, p, h);
  return m;
}

double IafPscAlpha::propagator_31(double tau_s, double tau_m, double C, double h) {
  // P31 = e^{-h/tau_m} (1 - e^{-x}(1 + x)) / (C c^2) with c = 1/tau_s - 1/tau_m, x = c h.
  // 1 - e^{-x}(1 + x) = sum_{n>=2} (-1)^n (n-1)/n! x^n; its direct evaluation loses
  // about 2 eps / x, so below |x| = 0.05 the series (to n = 9, truncation < 1e-16) is used.
  const double c = 1.0 / tau_s - 1.0 / tau_m, x = c * h;
  const double decay = std::exp(-h / tau_m);
  if (std::fabs(x) < 0.05) {
    double poly = 0.0, fact = 1.0;
    double coef[8];
    for (int n = 2; n <= 9; ++n) {
      fact = 1.0;
      for (int k = 2; k <= n; ++k) fact *= k;
      coef[n - 2] = ((n % 2 == 0) ? 1.0 : -1.0) * (n - 1) / fact;
    }
    for (int k = 7; k >= 0; --k) poly = poly * x + coef[k];
    return decay * h * h * poly / C;
  }
  return decay * (-std::expm1(-x) - x * std::exp(-x)) / (C * c * c);
}

IafPscAlpha IafPscAlpha::make(const std::map<std::string, double>& p, double h) {
  IafPscAlpha m;
  const double tau = p.at("tau_m"), C = p.at("C_m"), te = p.at("tau_syn_ex"), ti = p.at("tau_syn_in");
  m.P33 = std::exp(-h / tau);
  m.P30 = -tau / C * std::expm1(-h / tau);
  m.P11ex = std::exp(-h / te);
  m.P21ex = h * m.P11ex;
  m.P31ex = propagator_31(te, tau, C, h);
  m.P32ex = IafPscExp::propagator_21(te, tau, C, h);
  m.P11in = std::exp(-h / ti);
  m.P21in = h * m.P11in;
  m.P31in = propagator_31(ti, tau, C, h);
  m.P32in = IafPscExp::propagator_21(ti, tau, C, h);
  m.ex_init = std::exp(1.0) / te;
  m.in_init = std::exp(1.0) / ti;
  set_common(m, p, h);
  m.V_min = p.at("V_min") - m.E_L;
  return m;
}

Izhikevich Izhikevich::make(const std::map<std::string, double>& p, double h) {
  Izhikevich m;
  m.a = p.at("a");
  m.b = p.at("b");
  m.c = p.at("c");
  m.d = p.at("d");
  m.I_e = p.at("I_e");
  m.V_th = p.at("V_th");
  m.V_min = p.at("V_min");
  m.h = h;
  return m;
}

}  // namespace cajal
