// astrocyte_gchi: its descriptor (parameters, checks, recordables) and its population. The
// step itself is AstrocyteGChI in model/astro.hpp.
#include <cmath>

#include "model/astro.hpp"
#include "model/registry.hpp"
#include "util/fixed_point.hpp"

namespace cajal {

namespace {

/// astrocyte_gchi: port 0 receives glutamate (µM per unit weight), averaged over the cell's
/// incoming synapses; a release of gliotransmitter is emitted as a spike. The model steps
/// every `every` time steps (its own step), with the input of those steps, each decayed
/// from its arrival to the step's end (`acc`: that sum so far).
struct GChIPopulation : Population {
  ParamSets<AstrocyteGChI> sets;
  int every = 1;  // the population's own step (dt_astro is one number for it)
  Kokkos::View<double*> gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gS_snap;
  Kokkos::View<int*> armed;

  Kokkos::View<double*> gamma_s_snapshot() const override { return gS_snap; }
  int own_step() const override { return every; }
  void take_snapshot() override { Kokkos::deep_copy(gS_snap, gS); }
  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ca);
  }
  int max_spikes(int m) const override { return (m + every - 1) / every; }
  std::vector<StateArray> state() override {
    return {{"Gamma_A", gA, {}, {}, {}}, {"IP3", ip3, {}, {}, {}},   {"Ca_astro", ca, {}, {}, {}},
            {"h_IP3R", hh, {}, {}, {}},  {"x_A", xA, {}, {}, {}},    {"G_A", GA, {}, {}, {}},
            {"Y_S", Y, {}, {}, {}},      {"Gamma_S", gS, {}, {}, {}}, {"glutamate_pending", acc, {}, {}, {}},
            {"Gamma_S_snapshot", gS_snap, {}, {}, {}},
            {"armed", {}, armed, {}, {}}};
  }
  Recordable recordable(const std::string& n) const override {
    if (n == "Gamma_A") return {gA, 0.0};
    if (n == "IP3") return {ip3, 0.0};
    if (n == "Ca_astro") return {ca, 0.0};
    if (n == "h_IP3R") return {hh, 0.0};
    if (n == "x_A") return {xA, 0.0};
    if (n == "G_A") return {GA, 0.0};
    if (n == "Y_S") return {Y, 0.0};
    if (n == "Gamma_S") return {gS, 0.0};
    return {};
  }

  struct Kernel {
    ParamSets<AstrocyteGChI> sets;
    PoissonDrive bg;
    Kokkos::View<double*> gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gap;
    Kokkos::View<int*> armed;
    Kokkos::View<const std::uint64_t*> gid;
    Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
    SpikeBuffer out;
    std::int64_t t0;
    int from, to, ring_size;

    KOKKOS_INLINE_FUNCTION void operator()(const std::size_t i) const {
      const AstrocyteGChI& model = sets.of(i);
      double s[7] = {gA(i), ip3(i), ca(i), hh(i), xA(i), GA(i), Y(i)};
      double g_s = gS(i), pending = acc(i);
      int arm = armed(i);
      const double j_gap = gap.extent(0) ? gap(i) : 0.0;
      const double scale = glu_scale(i);
      const std::uint64_t g = gid(i);
      std::int64_t cached = -1;
      rng::Block blk{};
      int slot = static_cast<int>((t0 + from) % ring_size);
      for (int k = from; k < to; ++k) {
        std::int64_t in = ring(0, slot, i);
        ring(0, slot, i) = 0;
        if (bg.chunks) in += bg.events(g, t0 + k, cached, blk) * bg.weight_fixed;
        pending = model.arrive(pending, from_fixed(in) * scale);
        slot = slot + 1 == ring_size ? 0 : slot + 1;
        if ((t0 + k + 1) % model.every != 0) continue;
        // Gamma_S over the coming step from G_A at its start; then the cell's own step.
        g_s = model.gamma_s(g_s, s[5], model.h);
        if (model.step(s, arm, pending, j_gap)) {
          const int idx = Kokkos::atomic_fetch_add(&out.count(), 1);
          out.spikes(idx) = pack_spike(g, k);
        }
        pending = 0.0;
      }
      gA(i) = s[0];
      ip3(i) = s[1];
      ca(i) = s[2];
      hh(i) = s[3];
      xA(i) = s[4];
      GA(i) = s[5];
      Y(i) = s[6];
      gS(i) = g_s;
      acc(i) = pending;
      armed(i) = arm;
    }
  };
  void set_in_degree(const std::vector<std::uint32_t>& n) override {
    auto h = Kokkos::create_mirror_view(glu_scale);
    for (std::size_t i = 0; i < local_size; ++i) h(i) = n[i] > 0 ? 1.0 / n[i] : 1.0;
    Kokkos::deep_copy(glu_scale, h);
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    Kokkos::parallel_for("cajal::model::astrocyte_gchi::advance", Kokkos::RangePolicy<>(0, local_size),
                         Kernel{sets, background, gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gap_flux, armed, gid,
                                ring, out, t0, from, to, ring_size});
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<GChIPopulation>();
  p->sets = make_param_sets<AstrocyteGChI>(
      b, [&](const std::map<std::string, double>& prm) { return AstrocyteGChI::make(prm, b.dt); });
  p->every = p->sets.one.every;
  p->receptors = 1;
  init_base(*p, b);
  auto view = [&](const std::string& label) { return Kokkos::View<double*>(label, p->local_size); };
  p->gA = view("cajal::gchi::Gamma_A");
  p->ip3 = view("cajal::gchi::IP3");
  p->ca = view("cajal::gchi::Ca");
  p->hh = view("cajal::gchi::h");
  p->xA = view("cajal::gchi::x_A");
  p->GA = view("cajal::gchi::G_A");
  p->Y = view("cajal::gchi::Y_S");
  p->gS = view("cajal::gchi::Gamma_S");
  p->acc = view("cajal::gchi::pending");
  p->glu_scale = view("cajal::gchi::glu_scale");
  p->gS_snap = view("cajal::gchi::Gamma_S_snapshot");
  p->armed = Kokkos::View<int*>("cajal::gchi::armed", p->local_size);
  const char* init[] = {"Gamma_A", "IP3", "Ca_astro", "h_IP3R", "x_A", "G_A"};
  Kokkos::View<double*> views[] = {p->gA, p->ip3, p->ca, p->hh, p->xA, p->GA};
  for (int k = 0; k < 6; ++k) fill_initial(views[k], b, init[k], static_cast<std::uint32_t>(k), b.params.at(init[k]), 0.0);
  Kokkos::deep_copy(p->glu_scale, 1.0);  // the simulation sets 1 / in-degree
  return p;
}

void check(const ModelCheck& c) {
  for (const char* p : {"K_P", "C_T", "rho_A", "d_1", "d_2", "d_3", "d_5", "K_KC", "kappa_delta", "K_delta", "K_D",
                        "K_3K", "omega_I"})
    c.positive(p, "");
  for (const char* p : {"O_P", "Omega_C", "Omega_L", "O_2", "O_beta", "O_N", "Omega_N", "zeta", "O_delta", "Omega_5P",
                        "O_3K", "F_ex", "I_bias", "I_Theta", "C_Theta", "Omega_A", "G_T", "rho_e", "Omega_e",
                        "Omega_c", "glutamate", "O_G", "Omega_G", "dt_astro", "IP3", "Ca_astro", "x_A", "G_A"})
    c.non_negative(p);
  for (const char* p : {"U_A", "Gamma_A", "h_IP3R", "x_A"}) c.fraction(p);
  const double dta = c.at("dt_astro"), dt = c.deck.simulation.dt;
  if (dta > 0 && (dta < dt * (1 - 1e-9) || std::fabs(dta / dt - std::round(dta / dt)) > 1e-9 * (dta / dt)))
    c.fail("dt_astro", "must be a multiple of dt = " + param_num(dt) + " ms (got " + param_num(dta) + "), or 0 for dt");
}

}  // namespace

// Stimberg et al. 2019, example 6 (COBA network with astrocytes), rates converted to ms.
ModelInfo astrocyte_gchi_model() {
  ModelInfo m{"astrocyte_gchi",
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
               {"dt_astro", 0.0, "ms", "the astrocyte's own step, a multiple of dt (0: dt)", false, false},
               {"Gamma_A", 0.0, "1", "initial activated receptor fraction", true},
               {"IP3", 0.01, "µM", "initial IP3", true},
               {"Ca_astro", 0.01, "µM", "initial Ca2+", true},
               {"h_IP3R", 0.9, "1", "initial IP3R de-inactivation", true},
               {"x_A", 1.0, "1", "initial gliotransmitter resources", true},
               {"G_A", 0.0, "µM", "initial released gliotransmitter", true}}};
  m.kind = ModelInfo::Kind::astrocyte;
  m.recordables = {"Gamma_A", "IP3", "Ca_astro", "h_IP3R", "x_A", "G_A", "Y_S", "Gamma_S"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
