// izhikevich: its descriptor (parameters, checks, recordables) and its population. The step
// itself is Izhikevich in model/lif.hpp.
#include <limits>

#include "model/interval.hpp"
#include "model/lif.hpp"
#include "model/registry.hpp"

namespace cajal {

namespace {

struct IzhikevichPopulation : Population {
  ParamSets<Izhikevich> sets;
  Kokkos::View<double*> V, U;

  Kokkos::View<double*>::HostMirror membrane() const override {
    auto h = Kokkos::create_mirror_view(V);
    Kokkos::deep_copy(h, V);
    return h;
  }
  int max_spikes(int m) const override { return m; }  // no refractory period
  std::vector<StateArray> state() override { return {{"V", V, {}, {}, {}}, {"U", U, {}, {}, {}}}; }
  Recordable recordable(const std::string& n) const override {
    return n == "V_m" ? Recordable{V, 0.0} : n == "U_m" ? Recordable{U, 0.0} : Recordable{};
  }

  struct Cell {
    ParamSets<Izhikevich> sets;
    Kokkos::View<double*> V, U;
    struct State {
      const Izhikevich* m;
      double v, u;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {&sets.of(i), V(i), U(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const { return s.m->step(s.v, s.u, in[0]); }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      U(i) = s.u;
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::izhikevich::advance", *this, Cell{sets, V, U}, t0, from, to, out);
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<IzhikevichPopulation>();
  p->sets = make_param_sets<Izhikevich>(b, [&](const std::map<std::string, double>& prm) { return Izhikevich::make(prm, b.dt); });
  p->receptors = 1;
  init_base(*p, b);
  p->V = Kokkos::View<double*>("cajal::population::V", p->local_size);
  p->U = Kokkos::View<double*>("cajal::population::U", p->local_size);
  fill_initial(p->V, b, "V_m", 0, b.params.at("V_m"), 0.0);
  if (b.spec().params.count("U_m")) {
    fill_initial(p->U, b, "U_m", 1, 0.0, 0.0);
  } else {  // u at rest for each cell's own v: b * V_m
    auto v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p->V);
    auto u = Kokkos::create_mirror_view(p->U);
    const std::vector<double> bs = b.values("b");
    for (std::size_t i = 0; i < u.extent(0); ++i) u(i) = bs[i] * v(i);
    Kokkos::deep_copy(p->U, u);
  }
  return p;
}

void check(const ModelCheck& c) {
  c.positive("a", "1/ms");
  if (!(c.at("c") < c.at("V_th")))
    c.fail(c.pop.params.count("c") ? "c" : "V_th",
           "the reset c (" + param_num(c.at("c")) + " mV) must be below V_th (" + param_num(c.at("V_th")) + " mV)");
  if (!(c.at("V_min") < c.at("V_th"))) c.fail("V_min", "must be below V_th (" + param_num(c.at("V_th")) + " mV)");
}

/// u starts at rest for v unless the deck sets it.
void derive(std::map<std::string, double>& v, const PopulationSpec& pop) {
  if (!pop.params.count("U_m")) v["U_m"] = v["b"] * v["V_m"];
}

}  // namespace

ModelInfo izhikevich_model() {
  ModelInfo m{"izhikevich",
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
               tau_minus_param()}};
  m.recordables = {"V_m", "U_m"};
  m.check = check;
  m.derive = derive;
  m.make = make;
  return m;
}

}  // namespace cajal
