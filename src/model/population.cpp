#include "model/population.hpp"

#include <cmath>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "model/lif.hpp"
#include "network/connectivity.hpp"
#include "random/distribution.hpp"

namespace cajal {

PoissonDrive PoissonDrive::make(const Background& bg, double dt, std::uint64_t seed, bool two_ports) {
  PoissonDrive d;
  d.key = rng::Key(seed, rng::purpose::background);
  const double lambda = bg.rate_hz * dt * 1e-3;
  if (!(lambda > 0) || bg.weight == 0) return d;
  d.chunks = static_cast<int>(std::ceil(lambda / 16.0));
  const double lc = lambda / d.chunks;
  // threshold[k] = P(K <= k) * 2^32, until the tail is below 2^-32.
  double p = std::exp(-lc), F = p;
  int k = 0;
  for (; k < max_table; ++k) {
    const double t = std::floor(F * 4294967296.0);
    d.threshold[k] = static_cast<std::uint32_t>(std::min(t, 4294967295.0));
    if (1.0 - F < 2.3e-10) {
      ++k;
      break;
    }
    p *= lc / (k + 1);
    F += p;
  }
  d.table_len = k;
  d.weight_fixed = to_fixed(bg.weight);
  d.receptor = (two_ports && bg.weight < 0) ? 1 : 0;
  return d;
}

std::size_t Population::bytes() const {
  return gid.extent(0) * sizeof(std::uint64_t) + ring.size() * sizeof(std::int64_t) +
         history.t.size() * (sizeof(std::int64_t) + sizeof(double)) + history.total.size() * sizeof(std::int64_t);
}

std::vector<Population::StateArray> Population::all_state() {
  auto s = state();
  if (history.enabled()) {
    s.push_back({"stdp_post_spikes", {}, {}, {}, history.total});
    s.push_back({"stdp_post_t", {}, {}, {}, history.t});
    s.push_back({"stdp_post_kminus", {}, {}, history.kminus, {}});
  }
  return s;
}

namespace {

/// The part of every population's kernel that is not the model. For each local cell and
/// each step of the interval: read and clear the cell's ring slots, add the background,
/// let the model step, record a spike. A model supplies a Cell: its parameters and the
/// Views of its state, with load(i) -> State, step(State&, const double* input) -> fired,
/// store(i, State). `Receptors` input ports (1, or 2 for excitatory/inhibitory).
template <class Cell, int Receptors>
struct AdvanceInterval {
  Cell cell;
  PoissonDrive bg;
  PostHistory history;  // recorded only when enabled
  Kokkos::View<const std::uint64_t*> gid;
  Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
  SpikeBuffer out;
  std::int64_t t0;
  int m, ring_size;
  bool track;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t i) const {
    auto state = cell.load(i);
    const std::uint64_t g = gid(i);
    std::int64_t cached = -1;
    rng::Block blk{};
    int slot = static_cast<int>(t0 % ring_size);
    for (int k = 0; k < m; ++k) {
      std::int64_t in[Receptors];
      for (int r = 0; r < Receptors; ++r) {
        in[r] = ring(r, slot, i);
        ring(r, slot, i) = 0;
      }
      if (bg.chunks) in[bg.receptor] += bg.events(g, t0 + k, cached, blk) * bg.weight_fixed;
      double input[Receptors];
      for (int r = 0; r < Receptors; ++r) input[r] = from_fixed(in[r]);
      if (cell.step(state, input)) {
        const int idx = Kokkos::atomic_fetch_add(&out.count(), 1);
        out.spikes(idx) = pack_spike(g, k);
        if (track) history.record(i, t0 + k + 1);
      }
      slot = slot + 1 == ring_size ? 0 : slot + 1;
    }
    cell.store(i, state);
  }
};

template <int Receptors, class Cell>
void advance_cells(const char* label, const Population& p, const Cell& cell, std::int64_t t0, int m,
                   const SpikeBuffer& out) {
  Kokkos::parallel_for(label, Kokkos::RangePolicy<>(0, p.local_size),
                       AdvanceInterval<Cell, Receptors>{cell, p.background, p.history, p.gid, p.ring, out, t0, m,
                                                                        p.ring_size, p.history.enabled()});
}

/// Integrate-and-fire populations: membrane potential (relative to E_L) and refractory count.
template <class Model>
struct Common : Population {
  Model model;
  Kokkos::View<double*> V;
  Kokkos::View<int*> refractory;

  Kokkos::View<double*>::HostMirror membrane() const override {
    auto h = Kokkos::create_mirror_view(V);
    Kokkos::deep_copy(h, V);
    for (std::size_t i = 0; i < h.extent(0); ++i) h(i) += model.E_L;
    return h;
  }
  int max_spikes(int m) const override { return (m + model.ref_steps) / (model.ref_steps + 1); }
  std::vector<StateArray> state() override { return {{"V", V, {}, {}, {}}, {"refractory", {}, refractory, {}, {}}}; }
};

struct DeltaPopulation : Common<IafPscDelta> {
  struct Cell {
    IafPscDelta model;
    Kokkos::View<double*> V;
    Kokkos::View<int*> r;
    struct State {
      double v;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {V(i), r(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const { return model.step(s.v, s.ref, in[0]); }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int m, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::iaf_psc_delta::advance", *this, Cell{model, V, refractory}, t0, m, out);
  }
};

struct ExpPopulation : Common<IafPscExp> {
  Kokkos::View<double*> i_ex, i_in;

  std::vector<StateArray> state() override {
    auto s = Common<IafPscExp>::state();
    s.push_back({"i_syn_ex", i_ex, {}, {}, {}});
    s.push_back({"i_syn_in", i_in, {}, {}, {}});
    return s;
  }

  struct Cell {
    IafPscExp model;
    Kokkos::View<double*> V, ie, ii;
    Kokkos::View<int*> r;
    struct State {
      double v, ie, ii;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {V(i), ie(i), ii(i), r(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const {
      return model.step(s.v, s.ie, s.ii, s.ref, in[0], in[1]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      ie(i) = s.ie;
      ii(i) = s.ii;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int m, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_exp::advance", *this, Cell{model, V, i_ex, i_in, refractory}, t0, m, out);
  }
};

struct AlphaPopulation : Common<IafPscAlpha> {
  Kokkos::View<double*> dI_ex, I_ex, dI_in, I_in;

  std::vector<StateArray> state() override {
    auto s = Common<IafPscAlpha>::state();
    s.push_back({"dI_syn_ex", dI_ex, {}, {}, {}});
    s.push_back({"I_syn_ex", I_ex, {}, {}, {}});
    s.push_back({"dI_syn_in", dI_in, {}, {}, {}});
    s.push_back({"I_syn_in", I_in, {}, {}, {}});
    return s;
  }

  struct Cell {
    IafPscAlpha model;
    Kokkos::View<double*> V, dIe, Ie, dIi, Ii;
    Kokkos::View<int*> r;
    struct State {
      double v, dIe, Ie, dIi, Ii;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {V(i), dIe(i), Ie(i), dIi(i), Ii(i), r(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const {
      return model.step(s.v, s.dIe, s.Ie, s.dIi, s.Ii, s.ref, in[0], in[1]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      dIe(i) = s.dIe;
      Ie(i) = s.Ie;
      dIi(i) = s.dIi;
      Ii(i) = s.Ii;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int m, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_alpha::advance", *this,
                     Cell{model, V, dI_ex, I_ex, dI_in, I_in, refractory}, t0, m, out);
  }
};

struct IzhikevichPopulation : Population {
  Izhikevich model;
  Kokkos::View<double*> V, U;

  Kokkos::View<double*>::HostMirror membrane() const override {
    auto h = Kokkos::create_mirror_view(V);
    Kokkos::deep_copy(h, V);
    return h;
  }
  int max_spikes(int m) const override { return m; }  // no refractory period
  std::vector<StateArray> state() override { return {{"V", V, {}, {}, {}}, {"U", U, {}, {}, {}}}; }

  struct Cell {
    Izhikevich model;
    Kokkos::View<double*> V, U;
    struct State {
      double v, u;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const { return {V(i), U(i)}; }
    KOKKOS_INLINE_FUNCTION bool step(State& s, const double* in) const { return model.step(s.v, s.u, in[0]); }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.v;
      U(i) = s.u;
    }
  };
  void advance(std::int64_t t0, int m, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::izhikevich::advance", *this, Cell{model, V, U}, t0, m, out);
  }
};

/// Initial value of state `name` for every local cell, minus `shift`: the deck's number, a
/// draw per cell from the stream (seed, initial, `stream`) keyed by the cell's gid, or
/// `fallback` when the deck does not set it.
void fill_initial(Kokkos::View<double*> v, const Deck& deck, const Partition& part, int pop, const std::string& name,
                  std::uint32_t stream, double fallback, double shift) {
  const auto& spec = deck.populations[pop];
  const auto& ids = part.local(pop);
  auto h = Kokkos::create_mirror_view(v);
  const auto it = spec.params.find(name);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    double x = fallback;
    if (it != spec.params.end()) {
      x = it->second.value;
      if (!it->second.dist.is_constant()) {
        rng::Stream s(rng::Key(deck.simulation.seed, rng::purpose::initial, stream), part.first_gid(pop) + ids[i]);
        x = draw_value(it->second.dist, s);
      }
    }
    h(i) = x - shift;
  }
  Kokkos::deep_copy(v, h);
}

/// Ids, ring buffers and background: what every population has.
void init_base(Population& p, const Deck& deck, const Partition& part, int pop, int ring_size) {
  const auto& spec = deck.populations[pop];
  const auto& ids = part.local(pop);
  p.name = spec.name;
  p.local_size = ids.size();
  p.ring_size = ring_size;
  p.gid = Kokkos::View<std::uint64_t*>("cajal::population::gid", ids.size());
  auto h = Kokkos::create_mirror_view(p.gid);
  for (std::size_t i = 0; i < ids.size(); ++i) h(i) = part.first_gid(pop) + ids[i];
  Kokkos::deep_copy(p.gid, h);
  p.ring = decltype(p.ring)("cajal::population::ring", p.receptors, ring_size, ids.size());
  p.background = PoissonDrive::make(spec.background, deck.simulation.dt, deck.simulation.seed, p.receptors == 2);
}

/// Integrate-and-fire populations: V starts at V_m (default E_L), relative to E_L.
template <class P>
void init_common(P& p, const Deck& deck, const Partition& part, int pop, int ring_size, double E_L) {
  init_base(p, deck, part, pop, ring_size);
  p.V = Kokkos::View<double*>("cajal::population::V", p.local_size);
  fill_initial(p.V, deck, part, pop, "V_m", 0, E_L, E_L);
  p.refractory = Kokkos::View<int*>("cajal::population::refractory", p.local_size);
}

}  // namespace

std::unique_ptr<Population> make_population(const Deck& deck, const Partition& part, int pop, int ring_size) {
  const auto& spec = deck.populations[pop];
  const auto params = resolve_params(spec);
  const double dt = deck.simulation.dt;
  if (spec.model == "iaf_psc_delta") {
    auto p = std::make_unique<DeltaPopulation>();
    p->model = IafPscDelta::make(params, dt);
    p->receptors = 1;
    init_common(*p, deck, part, pop, ring_size, p->model.E_L);
    return p;
  }
  if (spec.model == "iaf_psc_exp") {
    auto p = std::make_unique<ExpPopulation>();
    p->model = IafPscExp::make(params, dt);
    p->receptors = 2;
    init_common(*p, deck, part, pop, ring_size, p->model.E_L);
    p->i_ex = Kokkos::View<double*>("cajal::population::i_ex", p->local_size);
    p->i_in = Kokkos::View<double*>("cajal::population::i_in", p->local_size);
    return p;
  }
  if (spec.model == "iaf_psc_alpha") {
    auto p = std::make_unique<AlphaPopulation>();
    p->model = IafPscAlpha::make(params, dt);
    p->receptors = 2;
    init_common(*p, deck, part, pop, ring_size, p->model.E_L);
    p->dI_ex = Kokkos::View<double*>("cajal::population::dI_ex", p->local_size);
    p->I_ex = Kokkos::View<double*>("cajal::population::I_ex", p->local_size);
    p->dI_in = Kokkos::View<double*>("cajal::population::dI_in", p->local_size);
    p->I_in = Kokkos::View<double*>("cajal::population::I_in", p->local_size);
    return p;
  }
  if (spec.model == "izhikevich") {
    auto p = std::make_unique<IzhikevichPopulation>();
    p->model = Izhikevich::make(params, dt);
    p->receptors = 1;
    init_base(*p, deck, part, pop, ring_size);
    p->V = Kokkos::View<double*>("cajal::population::V", p->local_size);
    p->U = Kokkos::View<double*>("cajal::population::U", p->local_size);
    fill_initial(p->V, deck, part, pop, "V_m", 0, params.at("V_m"), 0.0);
    if (spec.params.count("U_m")) {
      fill_initial(p->U, deck, part, pop, "U_m", 1, 0.0, 0.0);
    } else {  // u at rest for each cell's own v: b * V_m
      auto v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p->V);
      auto u = Kokkos::create_mirror_view(p->U);
      for (std::size_t i = 0; i < u.extent(0); ++i) u(i) = p->model.b * v(i);
      Kokkos::deep_copy(p->U, u);
    }
    return p;
  }
  throw input_error(spec.model_loc.file, spec.model_loc.line, "population." + spec.name + ".model",
                    "unknown model '" + spec.model + "'");
}

}  // namespace cajal
