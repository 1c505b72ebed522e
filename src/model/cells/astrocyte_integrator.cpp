// astrocyte_integrator: its descriptor (parameters, checks, recordables) and its
// population, whose step is a few lines and lives here.
#include <cmath>

#include "model/registry.hpp"
#include "util/fixed_point.hpp"

namespace cajal {

namespace {

/// astrocyte_integrator: A decays exactly with tau_A and jumps by the weights arriving in
/// each step; the STDP gate g = clamp(1 + gain A, 0, 2) is snapshot at each interval start
/// and shared with the synapses it gates.
/// The parameters of one set (model/param_sets.hpp).
struct Integrator {
  double decay = 1.0, gain = 0.0;
  static Integrator make(const std::map<std::string, double>& p, double dt) {
    return {std::exp(-dt / p.at("tau_A")), p.at("gain")};
  }
};

struct IntegratorPopulation : Population {
  ParamSets<Integrator> sets;
  Kokkos::View<double*> A, gate_snap;

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), A);
  }
  int max_spikes(int) const override { return 0; }
  std::vector<StateArray> state() override { return {{"A", A, {}, {}, {}}, {"gate_snapshot", gate_snap, {}, {}, {}}}; }
  Recordable recordable(const std::string& n) const override {
    if (n == "A") return {A, 0.0};
    if (n == "gate") return {gate_snap, 0.0};
    return {};
  }
  Kokkos::View<double*> gamma_s_snapshot() const override { return gate_snap; }
  void take_snapshot() override {
    const auto a = A;
    const auto g = gate_snap;
    const auto s = sets;
    Kokkos::parallel_for(
        "cajal::model::astrocyte_integrator::gate", Kokkos::RangePolicy<>(0, local_size), KOKKOS_LAMBDA(const std::size_t i) {
          const double x = 1.0 + s.of(i).gain * a(i);
          g(i) = x < 0.0 ? 0.0 : (x > 2.0 ? 2.0 : x);
        });
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer&) override {
    const auto a = A;
    const auto ring_ = ring;
    const auto bg = background;
    const auto gid_ = gid;
    const auto s = sets;
    const int rs = ring_size;
    Kokkos::parallel_for(
        "cajal::model::astrocyte_integrator::advance", Kokkos::RangePolicy<>(0, local_size),
        KOKKOS_LAMBDA(const std::size_t i) {
          double x = a(i);
          const double dec = s.of(i).decay;
          std::int64_t cached = -1;
          rng::Block blk{};
          int slot = static_cast<int>((t0 + from) % rs);
          for (int k = from; k < to; ++k) {
            std::int64_t in = ring_(0, slot, i);
            ring_(0, slot, i) = 0;
            if (bg.chunks) in += bg.events(gid_(i), t0 + k, cached, blk) * bg.weight_fixed;
            x = x * dec + from_fixed(in);
            slot = slot + 1 == rs ? 0 : slot + 1;
          }
          a(i) = x;
        });
  }
};

std::unique_ptr<Population> make(const ModelBuild& b) {
  auto p = std::make_unique<IntegratorPopulation>();
  p->receptors = 1;
  init_base(*p, b);
  p->sets = make_param_sets<Integrator>(
      b, [&](const std::map<std::string, double>& prm) { return Integrator::make(prm, b.dt); });
  p->A = Kokkos::View<double*>("cajal::integrator::A", p->local_size);
  p->gate_snap = Kokkos::View<double*>("cajal::integrator::gate", p->local_size);
  fill_initial(p->A, b, "A", 0, b.params.at("A"), 0.0);
  return p;
}

void check(const ModelCheck& c) {
  c.positive("tau_A", "ms");
  if (!(c.at("gain") >= 0)) c.fail("gain", "must be ≥ 0 (got " + param_num(c.at("gain")) + ")");
}

}  // namespace

// The plasticity-gating astrocyte of the neuron-astrocyte liquid state machine
// (Ivanov & Michmizos 2021), reduced to its role: a leaky integrator of the input and
// output activity of its synapses that scales their STDP.
ModelInfo astrocyte_integrator_model() {
  ModelInfo m{"astrocyte_integrator",
              "leaky integrator A of weighted spikes (tau_A dA/dt = -A + tau_A sum w delta(t - t_k)) that gates "
              "the STDP of its tripartite synapses: potentiation x g, depression x (2 - g), "
              "g = clamp(1 + gain A, 0, 2)",
              "1 (any sign: excitatory input raises A, the liquid's own spikes lower it)",
              {{"tau_A", 500.0, "ms", "time constant of the integrator"},
               {"gain", 1.0, "1/A", "slope of the gate against A"},
               {"A", 0.0, "1", "initial A", true}}};
  m.kind = ModelInfo::Kind::astrocyte;
  m.recordables = {"A", "gate"};
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
