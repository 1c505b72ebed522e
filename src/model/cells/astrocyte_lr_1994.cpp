// astrocyte_lr_1994: its descriptor (parameters, checks, recordables) and its population.
// The step itself is AstrocyteLR1994 in model/astro.hpp.
#include <cmath>

#include "model/astro.hpp"
#include "model/interval.hpp"
#include "model/registry.hpp"

namespace cajal {

namespace {

/// astrocyte_lr_1994: no spikes; the SIC of every step goes to sic_out for the
/// sic_connection projections. Input port 0 sums the weights of arriving spikes.
struct AstrocytePopulation : Population {
  ParamSets<AstrocyteLR1994> sets;
  int every = 1;  // the population's own step (dt_astro is one number for it)
  Kokkos::View<double*> ip3, ca, hh, sic, pending;
  int own_step() const override { return every; }

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ca);
  }
  int max_spikes(int) const override { return 0; }
  bool sends_sic() const override { return true; }
  std::vector<StateArray> state() override {
    // SIC is not state: it is SIC(Ca), and Ca only changes at the cell's steps.
    return {{"IP3", ip3, {}, {}, {}},
            {"Ca_astro", ca, {}, {}, {}},
            {"h_IP3R", hh, {}, {}, {}},
            {"input_pending", pending, {}, {}, {}}};
  }
  Recordable recordable(const std::string& n) const override {
    if (n == "IP3") return {ip3, 0.0};
    if (n == "Ca_astro") return {ca, 0.0};
    if (n == "h_IP3R") return {hh, 0.0};
    if (n == "SIC") return {sic, 0.0};
    return {};
  }

  /// Advances a block of cell_lanes cells in SIMD lanes (the cells of the last, partial
  /// block, and of a block whose cells do not share one parameter set, one by one), its
  /// state in registers through the interval.
  struct Kernel {
    ParamSets<AstrocyteLR1994> sets;
    PoissonDrive bg;
    Kokkos::View<double*> ip3, ca, hh, sic, gap, pending;
    Kokkos::View<const std::uint64_t*> gid;
    Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
    Kokkos::View<double**, Kokkos::LayoutRight> sic_out;  // empty: no SIC targets
    std::int64_t t0;
    int from, to, ring_size;
    std::size_t n;

    KOKKOS_INLINE_FUNCTION void operator()(const std::size_t block) const {
      const std::size_t i0 = block * cell_lanes;
      if (i0 + cell_lanes <= n && !sets.shared(i0, cell_lanes)) {
        for (std::size_t i = i0; i < i0 + cell_lanes; ++i) run<1>(i);
        return;
      }
      run_block<cell_lanes>(*this, block, n);
    }

    template <int L>
    KOKKOS_INLINE_FUNCTION void run(const std::size_t i0) const {
      using T = lanes::Number<L>;
      const AstrocyteLR1994& model = sets.of(i0);
      T y[3] = {lanes::load<T>(&ip3(i0)), lanes::load<T>(&ca(i0)), lanes::load<T>(&hh(i0))};
      T acc = lanes::load<T>(&pending(i0));
      T s = model.sic(y[1]);  // the SIC in force (it holds between the cell's steps)
      const T jg = gap.extent(0) ? lanes::load<T>(&gap(i0)) : lanes::splat<T>(0.0);
      Drive<L> drive(bg, gid, i0);
      int slot = static_cast<int>((t0 + from) % ring_size);
      for (int k = from; k < to; ++k) {
        double in[L];
        take_input<L>(ring, 0, slot, i0, drive.events(t0 + k), in);
        acc = acc + lanes::load<T>(in);
        if (model.every == 1 || (t0 + k + 1) % model.every == 0) {
          model.step(y, acc, jg);
          s = model.sic(y[1]);
          acc = lanes::splat<T>(0.0);
        }
        if (sic_out.extent(0)) {
          double out[L];
          lanes::store(out, s);
          for (int l = 0; l < L; ++l) sic_out(i0 + l, k) = out[l];
        }
        slot = slot + 1 == ring_size ? 0 : slot + 1;
      }
      lanes::store(&ip3(i0), y[0]);
      lanes::store(&ca(i0), y[1]);
      lanes::store(&hh(i0), y[2]);
      lanes::store(&sic(i0), s);
      lanes::store(&pending(i0), acc);
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer&) override {
    Kokkos::parallel_for("cajal::model::astrocyte_lr_1994::advance",
                         Kokkos::RangePolicy<>(0, (local_size + cell_lanes - 1) / cell_lanes),
                         Kernel{sets, background, ip3, ca, hh, sic, gap_flux, pending, gid, ring, sic_out, t0, from,
                                to, ring_size, local_size});
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<AstrocytePopulation>();
  p->sets = make_param_sets<AstrocyteLR1994>(
      b, [&](const std::map<std::string, double>& prm) { return AstrocyteLR1994::make(prm, b.dt); });
  p->every = p->sets.one.every;
  p->receptors = 1;
  init_base(*p, b);
  auto view = [&](const std::string& label) { return Kokkos::View<double*>(label, p->local_size); };
  p->ip3 = view("cajal::astrocyte::IP3");
  p->ca = view("cajal::astrocyte::Ca");
  p->hh = view("cajal::astrocyte::h");
  p->sic = view("cajal::astrocyte::SIC");
  p->pending = view("cajal::astrocyte::pending");
  fill_initial(p->ip3, b, "IP3", 0, b.params.at("IP3"), 0.0);
  fill_initial(p->ca, b, "Ca_astro", 1, b.params.at("Ca_astro"), 0.0);
  fill_initial(p->hh, b, "h_IP3R", 2, b.params.at("h_IP3R"), 0.0);
  return p;
}

void check(const ModelCheck& c) {
  for (const char* p : {"Ca_tot", "Kd_IP3_1", "Kd_IP3_2", "Kd_act", "Kd_inh", "Km_SERCA", "ratio_ER_cyt", "tau_IP3"})
    c.positive(p, "");
  for (const char* p : {"IP3_0", "k_IP3R", "rate_IP3R", "rate_L", "rate_SERCA", "delta_IP3", "SIC_scale", "SIC_th"})
    c.non_negative(p);
  const double dta = c.at("dt_astro"), dtn = c.deck.simulation.dt;
  if (!(dta >= 0) || (dta > 0 && (dta < dtn * (1 - 1e-9) || std::fabs(dta / dtn - std::round(dta / dtn)) > 1e-9 * (dta / dtn))))
    c.fail("dt_astro", "must be a multiple of dt = " + param_num(dtn) + " ms (got " + param_num(dta) + "), or 0 for dt");
  const double sub = c.at("substeps");
  if (!(sub >= 1 && sub <= 1000 && sub == std::floor(sub)))
    c.fail("substeps", "must be an integer in [1, 1000] (got " + param_num(sub) + ")");
  c.fraction("h_IP3R");
  for (const char* p : {"IP3", "Ca_astro"})
    if (!(c.at(p) >= 0)) c.fail(p, std::string("must be ≥ 0 µM (got ") + param_num(c.at(p)) + ")");
}

}  // namespace

// NEST 3.9's astrocyte_lr_1994 defaults (Li & Rinzel 1994; De Young & Keizer 1992;
// Nadkarni & Jung 2003 for input and output).
ModelInfo astrocyte_lr_1994_model() {
  ModelInfo m{"astrocyte_lr_1994",
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
               {"dt_astro", 0.0, "ms", "the astrocyte's own step, a multiple of dt (0: dt, NEST's scheme)", false, false},
               {"IP3", 0.16, "µM", "initial IP3", true},
               {"Ca_astro", 0.073, "µM", "initial cytosolic Ca2+", true},
               {"h_IP3R", 0.793, "1", "initial fraction of IP3R not inactivated", true}}};
  m.kind = ModelInfo::Kind::astrocyte;
  m.recordables = {"IP3", "Ca_astro", "h_IP3R", "SIC"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
