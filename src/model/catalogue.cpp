#include "cajal/model/catalogue.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "cajal/util/error.hpp"

namespace cajal {

namespace {
ParamInfo tau_minus() {
  return {"tau_minus", 20.0, "ms", "time constant of the postsynaptic STDP trace (used when plastic synapses target the cell)"};
}
std::vector<ParamInfo> lif_common() {
  // NEST's defaults for iaf_psc_delta / iaf_psc_exp.
  return {
      {"C_m", 250.0, "pF", "membrane capacitance"},
      {"tau_m", 10.0, "ms", "membrane time constant"},
      {"t_ref", 2.0, "ms", "absolute refractory period (rounded to steps)"},
      {"E_L", -70.0, "mV", "resting potential"},
      {"V_reset", -70.0, "mV", "reset potential"},
      {"V_th", -55.0, "mV", "spike threshold"},
      {"I_e", 0.0, "pA", "constant external current"},
      {"V_m", -70.0, "mV", "initial membrane potential (default E_L)", true},
      tau_minus(),
  };
}
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

/// The entry of a catalogue called `name`, or nullptr.
template <class Info>
const Info* by_name(const std::vector<Info>& all, const std::string& name) {
  for (const auto& m : all)
    if (m.name == name) return &m;
  return nullptr;
}

std::string num(double x) {
  std::ostringstream os;
  os.precision(12);
  os << x;
  return os.str();
}
}  // namespace

const std::vector<ModelInfo>& model_catalogue() {
  static const std::vector<ModelInfo> models = [] {
    ModelInfo delta{"iaf_psc_delta",
                    "leaky integrate-and-fire, delta synapses (voltage jumps), exact integration",
                    "mV",
                    lif_common()};
    delta.params.push_back({"V_min", -std::numeric_limits<double>::infinity(), "mV",
                            "lower bound of the membrane potential"});
    ModelInfo exp{"iaf_psc_exp",
                  "leaky integrate-and-fire, exponential current synapses, exact integration",
                  "pA",
                  lif_common()};
    exp.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant"});
    exp.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant"});
    exp.receptors = 2;
    ModelInfo alpha{"iaf_psc_alpha",
                    "leaky integrate-and-fire, alpha-shaped current synapses, exact integration",
                    "pA",
                    lif_common()};
    alpha.params.push_back({"V_min", -std::numeric_limits<double>::infinity(), "mV",
                            "lower bound of the membrane potential"});
    alpha.params.push_back({"tau_syn_ex", 2.0, "ms", "excitatory synaptic time constant (rise to peak)"});
    alpha.params.push_back({"tau_syn_in", 2.0, "ms", "inhibitory synaptic time constant (rise to peak)"});
    alpha.receptors = 2;
    ModelInfo izh{"izhikevich",
                  "Izhikevich (2003) quadratic model, forward Euler as NEST's consistent integration",
                  "mV",
                  {{"a", 0.02, "1/ms", "time scale of the recovery variable u"},
                   {"b", 0.2, "1", "sensitivity of u to v"},
                   {"c", -65.0, "mV", "reset of v after a spike"},
                   {"d", 8.0, "mV", "increment of u after a spike"},
                   {"I_e", 0.0, "mV/ms", "constant input, in the model's units (as NEST's I_e)"},
                   {"V_th", 30.0, "mV", "spike cut-off"},
                   {"V_min", -std::numeric_limits<double>::infinity(), "mV", "lower bound of v"},
                   {"V_m", -65.0, "mV", "initial v", true},
                   {"U_m", 0.0, "mV", "initial u (default b * V_m)", true},
                   tau_minus()}};
    izh.recordables = {"V_m", "U_m"};
    for (ModelInfo* m : {&delta, &exp, &alpha}) m->recordables = {"V_m"};
    exp.recordables.insert(exp.recordables.end(), {"I_syn_ex", "I_syn_in"});
    alpha.recordables.insert(alpha.recordables.end(), {"I_syn_ex", "I_syn_in"});

    ModelInfo gen{"spike_generator",
                  "emits spikes at the times listed in the deck (spike_times) or in a CSV file (spike_file)",
                  "",
                  {}};
    gen.kind = ModelInfo::Kind::generator;

    // NEST 3.9's astrocyte_lr_1994 defaults (Li & Rinzel 1994; De Young & Keizer 1992;
    // Nadkarni & Jung 2003 for input and output).
    ModelInfo astro{"astrocyte_lr_1994",
                    "Li-Rinzel astrocyte: IP3, cytosolic Ca2+ and IP3R inactivation h; spikes raise IP3, "
                    "Ca2+ above SIC_th drives a slow inward current (SIC) in neurons; RK4 with sub-steps",
                    "1 (IP3 rises by delta_IP3 × weight per spike)",
                    {{"Ca_tot", 2.0, "µM", "total free Ca2+ concentration in terms of cytosolic volume"},
                     {"IP3_0", 0.16, "µM", "baseline IP3 concentration"},
                     {"Kd_IP3_1", 0.13, "µM", "first IP3R dissociation constant of IP3"},
                     {"Kd_IP3_2", 0.9434, "µM", "second IP3R dissociation constant of IP3"},
                     {"Kd_act", 0.08234, "µM", "IP3R dissociation constant of Ca2+ (activation)"},
                     {"Kd_inh", 1.049, "µM", "IP3R dissociation constant of Ca2+ (inhibition)"},
                     {"Km_SERCA", 0.1, "µM", "half-activation constant of the SERCA pump"},
                     {"SIC_scale", 1.0, "pA", "scale of the SIC output"},
                     {"SIC_th", 0.19669, "µM", "Ca2+ threshold of the SIC"},
                     {"delta_IP3", 0.0002, "µM", "IP3 increase per unit of spike weight"},
                     {"k_IP3R", 0.0002, "1/(µM·ms)", "IP3R binding constant for Ca2+ inhibition"},
                     {"rate_IP3R", 0.006, "1/ms", "maximal IP3R channel flux rate"},
                     {"rate_L", 0.00011, "1/ms", "rate of the Ca2+ leak from the ER"},
                     {"rate_SERCA", 0.0009, "µM/ms", "maximal SERCA uptake rate"},
                     {"ratio_ER_cyt", 0.185, "1", "ER to cytosol volume ratio"},
                     {"tau_IP3", 7142.0, "ms", "time constant of IP3 relaxation to IP3_0"},
                     {"substeps", 1.0, "1", "RK4 sub-steps per astrocyte step (an integer ≥ 1)"},
                     {"dt_astro", 0.0, "ms", "the astrocyte's own step, a multiple of dt (0: dt, NEST's scheme)"},
                     {"IP3", 0.16, "µM", "initial IP3", true},
                     {"Ca_astro", 0.073, "µM", "initial cytosolic Ca2+", true},
                     {"h_IP3R", 0.793, "1", "initial fraction of IP3R not inactivated", true}}};
    astro.kind = ModelInfo::Kind::astrocyte;

    // Stimberg et al. 2019, example 6 (COBA network with astrocytes), rates converted to ms.
    ModelInfo gchi{"astrocyte_gchi",
                   "G-ChI astrocyte (De Pittà et al. 2009) with gliotransmitter release, as in Stimberg et al. "
                   "2019: glutamate -> Gamma_A -> IP3 -> CICR; Ca above C_Theta releases (emitted as a spike); RK4 "
                   "with its own step dt_astro",
                   "µM of glutamate (averaged over the cell's incoming synapses)",
                   {{"O_P", 0.9e-3, "µM/ms", "maximal SERCA uptake rate"},
                    {"K_P", 0.05, "µM", "SERCA Ca2+ affinity"},
                    {"C_T", 2.0, "µM", "total free Ca2+ (cytosol)"},
                    {"rho_A", 0.18, "1", "ER to cytosol volume ratio"},
                    {"Omega_C", 6e-3, "1/ms", "maximal IP3R release rate"},
                    {"Omega_L", 1e-4, "1/ms", "ER leak rate"},
                    {"d_1", 0.13, "µM", "IP3 dissociation constant"},
                    {"d_2", 1.05, "µM", "Ca2+ inactivation dissociation constant"},
                    {"O_2", 0.2e-3, "1/(µM·ms)", "IP3R binding rate for Ca2+ inhibition"},
                    {"d_3", 0.9434, "µM", "IP3 dissociation constant"},
                    {"d_5", 0.08, "µM", "Ca2+ activation dissociation constant"},
                    {"O_beta", 0.5e-3, "µM/ms", "maximal PLCbeta IP3 production"},
                    {"O_N", 0.3e-3, "1/(µM·ms)", "agonist binding rate"},
                    {"Omega_N", 0.5e-3, "1/ms", "maximal receptor inactivation rate"},
                    {"K_KC", 0.5, "µM", "Ca2+ affinity of PKC"},
                    {"zeta", 10.0, "1", "maximal reduction of receptor affinity by PKC"},
                    {"O_delta", 1.2e-3, "µM/ms", "maximal PLCdelta IP3 production"},
                    {"kappa_delta", 1.5, "µM", "inhibition constant of PLCdelta by IP3"},
                    {"K_delta", 0.1, "µM", "Ca2+ affinity of PLCdelta"},
                    {"Omega_5P", 0.05e-3, "1/ms", "IP3-5P degradation rate"},
                    {"K_D", 0.7, "µM", "Ca2+ affinity of IP3-3K"},
                    {"K_3K", 1.0, "µM", "IP3 affinity of IP3-3K"},
                    {"O_3K", 4.5e-3, "µM/ms", "maximal IP3-3K degradation rate"},
                    {"F_ex", 0.0, "µM/ms", "exogenous IP3 flux towards I_bias (Stimberg's J_ex; 0: off)"},
                    {"I_bias", 0.0, "µM", "target IP3 of the exogenous flux"},
                    {"I_Theta", 0.3, "µM", "threshold gradient of the exogenous flux"},
                    {"omega_I", 0.05, "µM", "steepness of the exogenous flux"},
                    {"C_Theta", 0.5, "µM", "Ca2+ threshold of gliotransmitter release"},
                    {"Omega_A", 0.6e-3, "1/ms", "gliotransmitter recycling rate"},
                    {"U_A", 0.6, "1", "gliotransmitter release probability"},
                    {"G_T", 200000.0, "µM", "total vesicular gliotransmitter (200 mM)"},
                    {"rho_e", 6.5e-4, "1", "astrocytic vesicle to extracellular volume ratio"},
                    {"Omega_e", 60e-3, "1/ms", "gliotransmitter clearance rate"},
                    {"Omega_c", 40e-3, "1/ms", "clearance rate of synaptic glutamate Y_S"},
                    {"glutamate", 0.0, "µM", "constant external glutamate added to Y_S"},
                    {"O_G", 1.5e-3, "1/(µM·ms)", "gliotransmitter binding rate of presynaptic receptors"},
                    {"Omega_G", 0.5 / 60.0 * 1e-3, "1/ms", "inactivation rate of presynaptic receptors"},
                    {"dt_astro", 0.0, "ms", "the astrocyte's own step, a multiple of dt (0: dt)"},
                    {"Gamma_A", 0.0, "1", "initial activated receptor fraction", true},
                    {"IP3", 0.01, "µM", "initial IP3", true},
                    {"Ca_astro", 0.01, "µM", "initial Ca2+", true},
                    {"h_IP3R", 0.9, "1", "initial IP3R de-inactivation", true},
                    {"x_A", 1.0, "1", "initial gliotransmitter resources", true},
                    {"G_A", 0.0, "µM", "initial released gliotransmitter", true}}};
    gchi.kind = ModelInfo::Kind::astrocyte;

    // The plasticity-gating astrocyte of the neuron-astrocyte liquid state machine
    // (Ivanov & Michmizos 2021), reduced to its role: a leaky integrator of the input and
    // output activity of its synapses that scales their STDP.
    ModelInfo integ{"astrocyte_integrator",
                    "leaky integrator A of weighted spikes (tau_A dA/dt = -A + tau_A sum w delta(t - t_k)) that gates "
                    "the STDP of its tripartite synapses: potentiation x g, depression x (2 - g), "
                    "g = clamp(1 + gain A, 0, 2)",
                    "1 (any sign: excitatory input raises A, the liquid's own spikes lower it)",
                    {{"tau_A", 500.0, "ms", "time constant of the integrator"},
                     {"gain", 1.0, "1/A", "slope of the gate against A"},
                     {"A", 0.0, "1", "initial A", true}}};
    integ.kind = ModelInfo::Kind::astrocyte;
    integ.recordables = {"A", "gate"};
    gchi.recordables = {"Gamma_A", "IP3", "Ca_astro", "h_IP3R", "x_A", "G_A", "Y_S", "Gamma_S"};
    astro.recordables = {"IP3", "Ca_astro", "h_IP3R", "SIC"};

    // NEST 3.9's aeif_cond_alpha_astro (Brette & Gerstner 2005 AdEx, alpha conductances,
    // plus the astrocytic SIC); defaults as aeif_cond_alpha.
    ModelInfo aeif{"aeif_cond_alpha_astro",
                   "adaptive exponential integrate-and-fire, alpha-shaped conductances, SIC input from "
                   "astrocytes; embedded Runge-Kutta 4(5) with error control inside each step",
                   "nS (negative: inhibitory)",
                   {{"C_m", 281.0, "pF", "membrane capacitance"},
                    {"g_L", 30.0, "nS", "leak conductance"},
                    {"E_L", -70.6, "mV", "leak reversal potential"},
                    {"V_th", -50.4, "mV", "spike initiation threshold"},
                    {"Delta_T", 2.0, "mV", "slope factor of the exponential"},
                    {"tau_w", 144.0, "ms", "adaptation time constant"},
                    {"a", 4.0, "nS", "subthreshold adaptation"},
                    {"b", 80.5, "pA", "spike-triggered adaptation"},
                    {"V_reset", -60.0, "mV", "reset potential"},
                    {"V_peak", 0.0, "mV", "spike detection threshold"},
                    {"t_ref", 0.0, "ms", "absolute refractory period (rounded to steps)"},
                    {"E_ex", 0.0, "mV", "excitatory reversal potential"},
                    {"E_in", -85.0, "mV", "inhibitory reversal potential"},
                    {"tau_syn_ex", 0.2, "ms", "rise time of the excitatory conductance"},
                    {"tau_syn_in", 2.0, "ms", "rise time of the inhibitory conductance"},
                    {"I_e", 0.0, "pA", "constant external current"},
                    {"gsl_error_tol", 1e-6, "1", "error tolerance of the adaptive integration"},
                    {"V_m", -70.6, "mV", "initial membrane potential (default E_L)", true},
                    {"w", 0.0, "pA", "initial adaptation current", true},
                    tau_minus()}};
    aeif.receptors = 3;

    // NEST 3.9's iaf_cond_exp defaults.
    ModelInfo cond{"iaf_cond_exp",
                   "leaky integrate-and-fire, exponentially decaying conductances; embedded Runge-Kutta 4(5) "
                   "with error control inside each step",
                   "nS (negative: inhibitory)",
                   {{"C_m", 250.0, "pF", "membrane capacitance"},
                    {"g_L", 16.6667, "nS", "leak conductance"},
                    {"E_L", -70.0, "mV", "leak reversal potential"},
                    {"V_th", -55.0, "mV", "spike threshold"},
                    {"V_reset", -60.0, "mV", "reset potential"},
                    {"t_ref", 2.0, "ms", "absolute refractory period (rounded to steps)"},
                    {"E_ex", 0.0, "mV", "excitatory reversal potential"},
                    {"E_in", -85.0, "mV", "inhibitory reversal potential"},
                    {"tau_syn_ex", 0.2, "ms", "decay time of the excitatory conductance"},
                    {"tau_syn_in", 2.0, "ms", "decay time of the inhibitory conductance"},
                    {"I_e", 0.0, "pA", "constant external current"},
                    {"V_m", -70.0, "mV", "initial membrane potential (default E_L)", true},
                    tau_minus()}};
    cond.receptors = 2;
    cond.k_feedback = true;
    cond.recordables = {"V_m", "g_ex", "g_in"};
    aeif.recordables = {"V_m", "w", "g_ex", "g_in", "I_SIC"};
    return std::vector<ModelInfo>{delta, exp, alpha, izh, cond, gen, astro, gchi, integ, aeif};
  }();
  return models;
}

const std::vector<SynapseModelInfo>& synapse_catalogue() {
  static const std::vector<SynapseModelInfo> models = {
      {"static", "fixed weight", {}},
      {"stdp_synapse",
       "pair-based STDP with weight dependence (NEST's stdp_synapse; Guetig et al. 2003)",
       {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
        {"lambda", 0.01, "1", "step size"},
        {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
        {"mu_plus", 1.0, "1", "weight dependence exponent of potentiation"},
        {"mu_minus", 1.0, "1", "weight dependence exponent of depression"},
        {"Wmax", 100.0, "weight unit", "maximum weight"}}},
      {"stdp_pl_synapse_hom",
       "power-law STDP with homogeneous parameters (NEST's stdp_pl_synapse_hom; Morrison et al. 2007)",
       {{"tau_plus", 20.0, "ms", "time constant of the presynaptic trace"},
        {"lambda", 0.1, "1", "step size"},
        {"alpha", 1.0, "1", "asymmetry: depression step / potentiation step"},
        {"mu", 0.4, "1", "weight dependence exponent of potentiation"}}},
      {"tsodyks_synapse",
       "Tsodyks-Markram short-term depression and facilitation (NEST's tsodyks_synapse; Tsodyks et al. 2000); "
       "transmits u·x × weight",
       {{"U", 0.5, "1", "utilisation increment per spike"},
        {"tau_psc", 3.0, "ms", "decay of the active fraction y (the postsynaptic current)"},
        {"tau_rec", 800.0, "ms", "recovery time constant (depression)"},
        {"tau_fac", 0.0, "ms", "facilitation time constant (0: none)"},
        {"u", 0.0, "1", "initial utilisation"},
        {"x", 1.0, "1", "initial fraction of recovered resources"},
        {"y", 0.0, "1", "initial fraction of active resources"}}},
      {"ip3_gap_junction",
       "IP3 gap junction between astrocytes (Goldberg et al. 2010; Stimberg et al. 2019): flux weight × F_ex/2 "
       "(1 + tanh((|ΔIP3| - I_Theta)/omega_I)) sign(ΔIP3), symmetric; rule \"distance\" only, delay unused",
       {{"F_ex", 0.002, "µM/ms", "maximal flux (2 µM/s)"},
        {"I_Theta", 0.3, "µM", "IP3 gradient at half-maximal flux"},
        {"omega_I", 0.05, "µM", "steepness of the flux"}}},
      {"tripartite_synapse",
       "two-state Tsodyks-Markram synapse whose release probability follows its astrocyte's gliotransmitter "
       "(Stimberg et al. 2019; De Pittà et al. 2011): U_0 = (1 - Gamma_S) U_0* + alpha Gamma_S; transmits u·x × weight",
       {{"U_0", 0.6, "1", "release probability without gliotransmitter (U_0*)"},
        {"Omega_f", 3.33e-3, "1/ms", "facilitation decay rate"},
        {"Omega_d", 2e-3, "1/ms", "depression recovery rate"},
        {"alpha", 0.0, "1", "release probability at full presynaptic receptor activation"},
        {"u", 0.0, "1", "initial utilisation"},
        {"x", 1.0, "1", "initial available resources"}}},
      {"sic_connection",
       "astrocyte -> neuron slow inward current (NEST's sic_connection): the target's I_SIC is weight × the "
       "astrocyte's SIC of `delay` earlier",
       {}},
  };
  return models;
}

const SynapseModelInfo* find_synapse_model(const std::string& name) { return by_name(synapse_catalogue(), name); }

std::map<std::string, double> resolve_synapse_params(const SynapseSpec& syn) {
  std::map<std::string, double> out;
  const SynapseModelInfo* m = find_synapse_model(syn.model);
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : syn.params) out[kv.first] = kv.second.value;
  return out;
}

const ModelInfo* find_model(const std::string& name) { return by_name(model_catalogue(), name); }

std::string recordable_unit(const std::string& v) {
  if (v == "V_m" || v == "U_m") return "mV";
  if (v == "g_ex" || v == "g_in") return "nS";
  if (v == "IP3" || v == "Ca_astro") return "uM";  // SONATA tools read ASCII units
  if (v == "h_IP3R") return "1";
  return "pA";  // I_syn_*, w, I_SIC, SIC
}

std::map<std::string, double> resolve_params(const PopulationSpec& pop) {
  const ModelInfo* m = find_model(pop.model);
  std::map<std::string, double> out;
  if (!m) return out;
  for (const auto& p : m->params) out[p.name] = p.def;
  for (const auto& kv : pop.params) out[kv.first] = kv.second.value;
  if (out.count("E_L") && !pop.params.count("V_m")) out["V_m"] = out["E_L"];
  if (m->name == "izhikevich" && !pop.params.count("U_m")) out["U_m"] = out["b"] * out["V_m"];
  return out;
}

void check_models(const Deck& deck) {
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
    const auto v = resolve_params(pop);
    auto fail = [&](const std::string& p, const std::string& why) {
      const auto it = pop.params.find(p);
      const SourceLoc l = it != pop.params.end() ? it->second.loc : pop.params_loc;
      throw input_error(l.file, l.line, key + ".params." + p, why);
    };
    auto positive = [&](const std::string& p, const std::string& unit) {
      if (!(v.at(p) > 0)) fail(p, "must be > 0" + (unit.empty() ? "" : " " + unit) + " (got " + num(v.at(p)) + ")");
    };
    if (pop.has_spike_times && m->kind != ModelInfo::Kind::generator)
      throw input_error(pop.spikes_loc.file, pop.spikes_loc.line, key + ".spike_times",
                        "only a spike_generator population takes spike times (this one is " + m->name + ")");
    if (m->kind == ModelInfo::Kind::generator) {
      if (!pop.has_spike_times)
        throw input_error(pop.loc.file, pop.loc.line, key,
                          "a spike_generator needs spike_times = [...] (ms) or spike_file = \"file.csv\"");
      if (pop.background.rate_hz > 0)
        throw input_error(pop.background.loc.file, pop.background.loc.line, key + ".background",
                          "a spike_generator takes no input; allowed: background on neuron or astrocyte populations");
      continue;
    }
    if (m->name == "astrocyte_integrator") {
      positive("tau_A", "ms");
      if (!(v.at("gain") >= 0)) fail("gain", "must be ≥ 0 (got " + num(v.at("gain")) + ")");
      continue;
    }
    if (m->name == "astrocyte_gchi") {
      for (const char* p : {"K_P", "C_T", "rho_A", "d_1", "d_2", "d_3", "d_5", "K_KC", "kappa_delta", "K_delta", "K_D",
                            "K_3K", "omega_I"})
        positive(p, "");
      for (const char* p : {"O_P", "Omega_C", "Omega_L", "O_2", "O_beta", "O_N", "Omega_N", "zeta", "O_delta", "Omega_5P",
                            "O_3K", "F_ex", "I_bias", "I_Theta", "C_Theta", "Omega_A", "G_T", "rho_e", "Omega_e",
                            "Omega_c", "glutamate", "O_G", "Omega_G", "dt_astro", "IP3", "Ca_astro", "x_A", "G_A"})
        if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 (got ") + num(v.at(p)) + ")");
      for (const char* p : {"U_A", "Gamma_A", "h_IP3R", "x_A"})
        if (!(v.at(p) >= 0 && v.at(p) <= 1)) fail(p, std::string("must lie in [0, 1] (got ") + num(v.at(p)) + ")");
      const double dta = v.at("dt_astro"), dt = deck.simulation.dt;
      if (dta > 0 && (dta < dt * (1 - 1e-9) || std::fabs(dta / dt - std::round(dta / dt)) > 1e-9 * (dta / dt)))
        fail("dt_astro", "must be a multiple of dt = " + num(dt) + " ms (got " + num(dta) + "), or 0 for dt");
      continue;
    }
    if (m->kind == ModelInfo::Kind::astrocyte) {
      for (const char* p : {"Ca_tot", "Kd_IP3_1", "Kd_IP3_2", "Kd_act", "Kd_inh", "Km_SERCA", "ratio_ER_cyt", "tau_IP3"})
        positive(p, "");
      for (const char* p : {"IP3_0", "k_IP3R", "rate_IP3R", "rate_L", "rate_SERCA", "delta_IP3", "SIC_scale", "SIC_th"})
        if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 (got ") + num(v.at(p)) + ")");
      const double dta = v.at("dt_astro"), dtn = deck.simulation.dt;
      if (!(dta >= 0) || (dta > 0 && (dta < dtn * (1 - 1e-9) || std::fabs(dta / dtn - std::round(dta / dtn)) > 1e-9 * (dta / dtn))))
        fail("dt_astro", "must be a multiple of dt = " + num(dtn) + " ms (got " + num(dta) + "), or 0 for dt");
      const double sub = v.at("substeps");
      if (!(sub >= 1 && sub <= 1000 && sub == std::floor(sub)))
        fail("substeps", "must be an integer in [1, 1000] (got " + num(sub) + ")");
      if (!(v.at("h_IP3R") >= 0 && v.at("h_IP3R") <= 1)) fail("h_IP3R", "must lie in [0, 1] (got " + num(v.at("h_IP3R")) + ")");
      for (const char* p : {"IP3", "Ca_astro"})
        if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 µM (got ") + num(v.at(p)) + ")");
      continue;
    }
    if (m->name == "iaf_cond_exp") {
      for (const char* p : {"C_m", "tau_syn_ex", "tau_syn_in"}) positive(p, "");
      for (const char* p : {"g_L", "t_ref"})
        if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 (got ") + num(v.at(p)) + ")");
      if (!(v.at("V_reset") < v.at("V_th")))
        fail(pop.params.count("V_reset") ? "V_reset" : "V_th",
             "V_reset (" + num(v.at("V_reset")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
      continue;
    }
    if (m->name == "aeif_cond_alpha_astro") {
      positive("C_m", "pF");
      for (const char* p : {"tau_w", "tau_syn_ex", "tau_syn_in", "gsl_error_tol"}) positive(p, "");
      for (const char* p : {"g_L", "Delta_T", "t_ref"})
        if (!(v.at(p) >= 0)) fail(p, std::string("must be ≥ 0 (got ") + num(v.at(p)) + ")");
      if (!(v.at("V_peak") >= v.at("V_th")))
        fail("V_peak", "must be ≥ V_th (" + num(v.at("V_th")) + " mV; got " + num(v.at("V_peak")) + ")");
      if (!(v.at("V_reset") < v.at("V_peak")))
        fail("V_reset", "must be below V_peak (" + num(v.at("V_peak")) + " mV; got " + num(v.at("V_reset")) + ")");
      // NEST's bound: exp((V_peak - V_th)/Delta_T) must not overflow in the right-hand side.
      if (v.at("Delta_T") > 0 &&
          !((v.at("V_peak") - v.at("V_th")) / v.at("Delta_T") < std::log(std::numeric_limits<double>::max() / 1e20)))
        fail("Delta_T", "too small for V_peak - V_th = " + num(v.at("V_peak") - v.at("V_th")) +
                            " mV: (V_peak - V_th)/Delta_T must stay below ln(DBL_MAX/1e20) ≈ 663");
      continue;
    }
    if (m->name == "izhikevich") {
      positive("a", "1/ms");
      if (!(v.at("c") < v.at("V_th")))
        fail(pop.params.count("c") ? "c" : "V_th",
             "the reset c (" + num(v.at("c")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
      if (!(v.at("V_min") < v.at("V_th"))) fail("V_min", "must be below V_th (" + num(v.at("V_th")) + " mV)");
      continue;
    }
    positive("C_m", "pF");
    positive("tau_m", "ms");
    if (!(v.at("t_ref") >= 0)) fail("t_ref", "must be ≥ 0 ms (got " + num(v.at("t_ref")) + ")");
    if (!(v.at("V_reset") < v.at("V_th")))
      fail(pop.params.count("V_reset") ? "V_reset" : "V_th",
           "V_reset (" + num(v.at("V_reset")) + " mV) must be below V_th (" + num(v.at("V_th")) + " mV)");
    if (m->receptors == 2) {
      positive("tau_syn_ex", "ms");
      positive("tau_syn_in", "ms");
    }
    if (v.count("V_min") && !(v.at("V_min") < v.at("V_th")))
      fail("V_min", "must be below V_th (" + num(v.at("V_th")) + " mV)");
  }
  // The extracellular field feeds back only into models with a K+-dependent leak.
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
  // Synapse models: known, parameters known and sensible, weights of one sign.
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
    if (pj.synapse.glio()) {
      const auto v = resolve_synapse_params(pj.synapse);
      for (const char* p : {"U_0", "alpha", "u", "x"})
        if (!(v.at(p) >= 0 && v.at(p) <= 1))
          throw input_error(pj.synapse.loc.file, pj.synapse.loc.line, key + "." + p,
                            std::string("must lie in [0, 1] (got ") + num(v.at(p)) + ")");
      for (const char* p : {"Omega_f", "Omega_d"})
        if (!(v.at(p) >= 0))
          throw input_error(pj.synapse.loc.file, pj.synapse.loc.line, key + "." + p,
                            std::string("must be ≥ 0 /ms (got ") + num(v.at(p)) + ")");
      continue;
    }
    if (pj.synapse.stp()) {
      const auto v = resolve_synapse_params(pj.synapse);
      auto fail = [&](const std::string& p, const std::string& why) {
        const auto it = pj.synapse.params.find(p);
        const SourceLoc l = it != pj.synapse.params.end() ? it->second.loc : pj.synapse.loc;
        throw input_error(l.file, l.line, key + "." + p, why);
      };
      for (const char* p : {"U", "u", "x", "y"})
        if (!(v.at(p) >= 0 && v.at(p) <= 1)) fail(p, std::string("must lie in [0, 1] (got ") + num(v.at(p)) + ")");
      for (const char* p : {"tau_psc", "tau_rec"})
        if (!(v.at(p) > 0)) fail(p, std::string("must be > 0 ms (got ") + num(v.at(p)) + ")");
      if (!(v.at("tau_fac") >= 0)) fail("tau_fac", "must be ≥ 0 ms (got " + num(v.at("tau_fac")) + ")");
      if (v.at("tau_psc") == v.at("tau_rec")) fail("tau_psc", "must differ from tau_rec (the update divides by their difference)");
      if (v.at("x") + v.at("y") > 1) fail("y", "x + y must be ≤ 1 (got " + num(v.at("x") + v.at("y")) + ")");
      continue;
    }
    if (!pj.synapse.plastic()) continue;
    const auto v = resolve_synapse_params(pj.synapse);
    auto fail = [&](const std::string& p, const std::string& why) {
      const auto it = pj.synapse.params.find(p);
      const SourceLoc l = it != pj.synapse.params.end() ? it->second.loc : pj.synapse.loc;
      throw input_error(l.file, l.line, key + "." + p, why);
    };
    if (!(v.at("tau_plus") > 0)) fail("tau_plus", "must be > 0 ms (got " + num(v.at("tau_plus")) + ")");
    for (const char* p : {"lambda", "alpha"})
      if (!(v.at(p) >= 0)) fail(p, "must be ≥ 0 (got " + num(v.at(p)) + ")");
    if (v.count("Wmax") && !(v.at("Wmax") > 0)) fail("Wmax", "must be > 0 (got " + num(v.at("Wmax")) + ")");
    if (pj.weight.lower_bound() < 0)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "must be ≥ 0 for the plastic synapse model " + sm->name +
                            " (its rules act on non-negative weights); allowed: a weight ≥ 0, or a distribution with min ≥ 0");
    if (v.count("Wmax") && pj.weight.upper_bound() > v.at("Wmax") && pj.weight.upper_bound() < 1e299)
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "exceeds Wmax = " + num(v.at("Wmax")) + " of " + sm->name + "; allowed: weight ≤ Wmax");
    if (!pj.weight.is_constant() && pj.weight.upper_bound() >= 1e299 && v.count("Wmax"))
      throw input_error(pj.weight.loc.file, pj.weight.loc.line, "projection." + pj.name + ".weight",
                        "a normal distribution without max can exceed Wmax; set max ≤ Wmax");
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const double tm = resolve_params(post).at("tau_minus");
    if (!(tm > 0)) {
      const auto it = post.params.find("tau_minus");
      const SourceLoc l = it != post.params.end() ? it->second.loc : post.params_loc;
      throw input_error(l.file, l.line, "population." + post.name + ".params.tau_minus",
                        "must be > 0 ms (got " + num(tm) + "); the population is the target of plastic projection '" +
                            pj.name + "'");
    }
  }
  // What may connect to what: generators take no input, astrocytes emit no spikes (only
  // SIC), SIC reaches only models with a SIC input.
  for (const auto& pj : deck.projections) {
    const auto& pre = deck.populations[deck.population_index(pj.pre)];
    const auto& post = deck.populations[deck.population_index(pj.post)];
    const ModelInfo* qm = find_model(pre.model);
    const ModelInfo* pm = find_model(post.model);
    const std::string key = "projection." + pj.name;
    auto fail = [&](const SourceLoc& l, const std::string& k, const std::string& why) {
      throw input_error(l.file, l.line, key + k, why);
    };
    if (pj.role == ProjectionSpec::Role::primary) {
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
    if (pm->kind == ModelInfo::Kind::generator)
      fail(pj.loc, ".post", "population '" + post.name + "' is a spike_generator, which takes no input");
    if (pj.synapse.gap()) {
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
    } else if (qm->kind == ModelInfo::Kind::astrocyte && pm->kind == ModelInfo::Kind::astrocyte && !pj.synapse.sic()) {
      fail(pj.loc, ".pre", "astrocytes emit no spikes; between astrocytes allowed: synapse = \"ip3_gap_junction\"");
    }
    if (pj.synapse.gap()) continue;
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
  // State records: variables the model can report, cells the population has.
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
  // Current-based synapses route a weight to the excitatory or the inhibitory port by its
  // sign; one projection must therefore keep one sign.
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

}  // namespace cajal
