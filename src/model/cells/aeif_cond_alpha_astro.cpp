// aeif_cond_alpha_astro: its descriptor (parameters, checks, recordables) and its
// population. The step itself is AeifCondAlphaAstro in model/astro.hpp.
#include <cmath>
#include <limits>

#include "model/astro.hpp"
#include "model/cells/conductance_common.hpp"
#include "model/interval.hpp"

namespace cajal {

namespace {

/// aeif_cond_alpha_astro: ports 0 (excitatory, nS), 1 (inhibitory, negative nS), 2 (SIC, pA).
/// At most one spike per step is emitted (NEST can emit several within one step when
/// t_ref = 0 and the drive is extreme).
struct AeifPopulation : Population {
  ParamSets<AeifCondAlphaAstro> sets;
  bool can_fail() const override { return true; }
  Kokkos::View<double*> V, dg_ex, g_ex, dg_in, g_in, w, I_sic, hint;
  Kokkos::View<int*> refractory;

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), V);
  }
  int max_spikes(int m) const override { return m; }
  std::vector<StateArray> state() override {
    return {{"V_m", V, {}, {}, {}},         {"dg_ex", dg_ex, {}, {}, {}}, {"g_ex", g_ex, {}, {}, {}},
            {"dg_in", dg_in, {}, {}, {}},   {"g_in", g_in, {}, {}, {}},   {"w", w, {}, {}, {}},
            {"I_SIC", I_sic, {}, {}, {}},   {"integration_step", hint, {}, {}, {}},
            {"refractory", {}, refractory, {}, {}}};
  }
  Recordable recordable(const std::string& n) const override {
    if (n == "V_m") return {V, 0.0};
    if (n == "w") return {w, 0.0};
    if (n == "g_ex") return {g_ex, 0.0};
    if (n == "g_in") return {g_in, 0.0};
    if (n == "I_SIC") return {I_sic, 0.0};
    return {};
  }

  struct Cell {
    ParamSets<AeifCondAlphaAstro> sets;
    Kokkos::View<double*> V, dge, ge, dgi, gi, w, isic, hint;
    Kokkos::View<int*> r;
    struct State {
      const AeifCondAlphaAstro* m;
      double y[6];
      double isic, hint;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const {
      return {&sets.of(i), {V(i), dge(i), ge(i), dgi(i), gi(i), w(i)}, isic(i), hint(i), r(i)};
    }
    KOKKOS_INLINE_FUNCTION int step(State& s, const double* in) const {
      const int n = s.m->step(s.y, s.isic, s.ref, s.hint, in[0], in[1], in[2], in[3]);
      return n < 0 ? -1 : (n > 0 ? 1 : 0);
    }
    static constexpr int lanes = cell_lanes;
    /// The block path needs one parameter set for its lanes.
    KOKKOS_INLINE_FUNCTION bool shares_set(std::size_t i0) const { return sets.shared(i0, lanes); }
    struct Block {
      const AeifCondAlphaAstro* m;
      AeifCondAlphaAstro::Block cells;
    };
    template <int L = lanes>
    CAJAL_PACK_FUNCTION Block load_block(std::size_t i0) const {
      Block blk;
      blk.m = &sets.of(i0);
      AeifCondAlphaAstro::Block& b = blk.cells;
      const double* y[6] = {V.data(), dge.data(), ge.data(), dgi.data(), gi.data(), w.data()};
      for (int j = 0; j < 6; ++j) b.y[j] = lanes::load<lanes::Pack>(y[j] + i0);
      b.I_sic = lanes::load<lanes::Pack>(&isic(i0));
      b.hint = lanes::load<lanes::Pack>(&hint(i0));
      for (int l = 0; l < lanes; ++l) b.r[l] = r(i0 + l);
      return blk;
    }
    template <int L = lanes>
    CAJAL_PACK_FUNCTION void step_block(Block& b, const double in[4][L], int fired[L]) const {
      b.m->step_block(b.cells, in, fired);
      for (int l = 0; l < lanes; ++l) fired[l] = fired[l] < 0 ? -1 : (fired[l] > 0 ? 1 : 0);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.y[0];
      dge(i) = s.y[1];
      ge(i) = s.y[2];
      dgi(i) = s.y[3];
      gi(i) = s.y[4];
      w(i) = s.y[5];
      isic(i) = s.isic;
      hint(i) = s.hint;
      r(i) = s.ref;
    }
    template <int L = lanes>
    CAJAL_PACK_FUNCTION void store_block(std::size_t i0, const Block& blk) const {
      const AeifCondAlphaAstro::Block& b = blk.cells;
      double* y[6] = {V.data(), dge.data(), ge.data(), dgi.data(), gi.data(), w.data()};
      for (int j = 0; j < 6; ++j) lanes::store(y[j] + i0, b.y[j]);
      lanes::store(&isic(i0), b.I_sic);
      lanes::store(&hint(i0), b.hint);
      for (int l = 0; l < lanes; ++l) r(i0 + l) = static_cast<int>(b.r[l]);
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<3>("cajal::model::aeif_cond_alpha_astro::advance", *this,
                     Cell{sets, V, dg_ex, g_ex, dg_in, g_in, w, I_sic, hint, refractory}, t0, from, to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<AeifPopulation>();
  p->sets = make_param_sets<AeifCondAlphaAstro>(
      b, [&](const std::map<std::string, double>& prm) { return AeifCondAlphaAstro::make(prm, b.dt); });
  p->receptors = 3;
  init_base(*p, b);
  init_conductance_state(*p, "cajal::aeif::", b);
  auto view = [&](const std::string& label) { return Kokkos::View<double*>(label, p->local_size); };
  p->dg_ex = view("cajal::aeif::dg_ex");
  p->dg_in = view("cajal::aeif::dg_in");
  p->w = view("cajal::aeif::w");
  p->I_sic = view("cajal::aeif::I_SIC");
  fill_initial(p->w, b, "w", 1, b.params.at("w"), 0.0);  // per cell, when the deck gives it so
  return p;
}

void check(const ModelCheck& c) {
  c.positive("C_m", "pF");
  for (const char* p : {"tau_w", "tau_syn_ex", "tau_syn_in", "gsl_error_tol"}) c.positive(p, "");
  for (const char* p : {"g_L", "Delta_T", "t_ref"}) c.non_negative(p);
  if (!(c.at("V_peak") >= c.at("V_th")))
    c.fail("V_peak", "must be ≥ V_th (" + param_num(c.at("V_th")) + " mV; got " + param_num(c.at("V_peak")) + ")");
  if (!(c.at("V_reset") < c.at("V_peak")))
    c.fail("V_reset", "must be below V_peak (" + param_num(c.at("V_peak")) + " mV; got " + param_num(c.at("V_reset")) + ")");
  // NEST's bound: exp((V_peak - V_th)/Delta_T) must not overflow in the right-hand side.
  if (c.at("Delta_T") > 0 &&
      !((c.at("V_peak") - c.at("V_th")) / c.at("Delta_T") < std::log(std::numeric_limits<double>::max() / 1e20)))
    c.fail("Delta_T", "too small for V_peak - V_th = " + param_num(c.at("V_peak") - c.at("V_th")) +
                          " mV: (V_peak - V_th)/Delta_T must stay below ln(DBL_MAX/1e20) ≈ 663");
}

}  // namespace

// NEST 3.9's aeif_cond_alpha_astro (Brette & Gerstner 2005 AdEx, alpha conductances,
// plus the astrocytic SIC); defaults as aeif_cond_alpha.
ModelInfo aeif_cond_alpha_astro_model() {
  ModelInfo m{"aeif_cond_alpha_astro",
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
               tau_minus_param()}};
  m.receptors = 3;
  m.stimulus_unit = "pA";
  m.recordables = {"V_m", "w", "g_ex", "g_in", "I_SIC"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
