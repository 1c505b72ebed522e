#include "model/population.hpp"

#include <cmath>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "model/astro.hpp"
#include "model/cond.hpp"
#include "model/lif.hpp"
#include "network/connectivity.hpp"
#include "random/distribution.hpp"
#include "util/lanes.hpp"

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
  if (gap_flux.extent(0) || !gap_flux.label().empty()) s.push_back({"gap_junction_flux", gap_flux, {}, {}, {}});
  if (history.enabled()) {
    s.push_back({"stdp_post_spikes", {}, {}, {}, history.total});
    s.push_back({"stdp_post_t", {}, {}, {}, history.t});
    s.push_back({"stdp_post_kminus", {}, {}, history.kminus, {}});
  }
  return s;
}

namespace {

/// Block `block` of a kernel over n cells in blocks of L: k.run<L>(first cell), or, for
/// the last, partial block, k.run<1>(cell) for each of its cells.
template <int L, class Kernel>
KOKKOS_INLINE_FUNCTION void run_block(const Kernel& k, std::size_t block, std::size_t n) {
  const std::size_t i0 = block * L;
  if (i0 + L <= n) {
    k.template run<L>(i0);
  } else {
    for (std::size_t i = i0; i < n; ++i) k.template run<1>(i);
  }
}

/// How many cells a Cell advances at once: Cell::lanes where it defines it (a model with a
/// step_block), else 1.
template <class Cell, class = void>
struct LanesOf {
  static constexpr int value = 1;
};
template <class Cell>
struct LanesOf<Cell, std::void_t<decltype(Cell::lanes)>> {
  static constexpr int value = Cell::lanes;
};

/// The background events of cells i0 .. i0 + L - 1, step by step, in fixed point (the
/// weight times the count): PoissonDrive::events for a block of cell_lanes cells in lanes,
/// or (Drive<1>) for one cell.
template <int L>
struct Drive {
  static_assert(L == cell_lanes, "a block is one vector");
  const PoissonDrive& bg;
  std::int64_t cached = -1;
  lanes::UPack gid{};
  rng::BlockLanes blk;
  KOKKOS_INLINE_FUNCTION Drive(const PoissonDrive& d, const Kokkos::View<const std::uint64_t*>& g, std::size_t i0)
      : bg(d) {
    std::memcpy(&gid, &g(i0), sizeof gid);
  }
  KOKKOS_INLINE_FUNCTION lanes::IntPack events(std::int64_t step) {
    return bg.chunks ? bg.events(gid, step, cached, blk) * bg.weight_fixed : lanes::IntPack{};
  }
};
template <>
struct Drive<1> {
  const PoissonDrive& bg;
  std::int64_t cached = -1;
  std::uint64_t gid;
  rng::Block blk;
  KOKKOS_INLINE_FUNCTION Drive(const PoissonDrive& d, const Kokkos::View<const std::uint64_t*>& g, std::size_t i)
      : bg(d), gid(g(i)) {}
  KOKKOS_INLINE_FUNCTION std::int64_t events(std::int64_t step) {
    return bg.chunks ? bg.events(gid, step, cached, blk) * bg.weight_fixed : 0;
  }
};

/// The input of cells i0 .. i0 + L - 1 at receptor r and ring slot `slot`, plus `extra`
/// (fixed point), as doubles into in[L]; the slots are cleared. For a block, one vector
/// load, conversion and store (from_fixed's bits in every lane).
template <int L, class Extra>
KOKKOS_FORCEINLINE_FUNCTION void take_input(const Kokkos::View<std::int64_t***, Kokkos::LayoutRight>& ring, int r,
                                            int slot, std::size_t i0, Extra extra, double in[L]) {
  std::int64_t* p = &ring(r, slot, i0);
  if constexpr (L == 1) {
    in[0] = from_fixed(*p + extra);
    *p = 0;
  } else {
    static_assert(L == cell_lanes, "a block is one vector");
    lanes::IntPack v;
    std::memcpy(&v, p, sizeof v);
    const lanes::Pack x = __builtin_convertvector(v + extra, lanes::Pack) * (1.0 / fixed_scale);
    lanes::store(in, x);
    const lanes::IntPack zero{};
    std::memcpy(p, &zero, sizeof zero);
  }
}

/// The part of every population's kernel that is not the model. For each block of local
/// cells and each step of the interval: read and clear the cells' ring slots, add the
/// background, let the model step, record spikes. A model supplies a Cell: its parameters
/// and the Views of its state, with load(i) -> State, step(State&, const double* input) ->
/// fired (1, 0, or -1 for a failure), store(i, State). A Cell with `lanes` > 1 also has
/// load_block(i0) -> Block, step_block(Block&, input[Receptors][lanes], fired[lanes]) and
/// store_block(i0, Block), which advance `lanes` cells in SIMD lanes with step()'s
/// results; the cells of the last, partial block run step() alone. `Receptors` input
/// ports (1, 2 or 3).
template <class Cell, int Receptors>
struct AdvanceInterval {
  static constexpr int lanes = LanesOf<Cell>::value;
  Cell cell;
  PoissonDrive bg;
  PostHistory history;  // recorded only when enabled
  Kokkos::View<const std::uint64_t*> gid;
  Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
  SpikeBuffer out;
  std::int64_t t0;
  int from, to, ring_size;
  bool track;
  std::size_t n;

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t block) const { run_block<lanes>(*this, block, n); }

  template <int L>
  KOKKOS_INLINE_FUNCTION void run(const std::size_t i0) const {
    auto state = load<L>(i0);
    Drive<L> drive(bg, gid, i0);
    int slot = static_cast<int>((t0 + from) % ring_size);
    if (L > 1) prefetch_ring(i0 + 2 * L, slot);
    for (int k = from; k < to; ++k) {
      double input[Receptors][L];
      const auto extra = drive.events(t0 + k);  // the background, into its receptor
      for (int r = 0; r < Receptors; ++r)
        take_input<L>(ring, r, slot, i0, r == bg.receptor ? extra : decltype(extra){}, input[r]);
      int fired[L];
      if constexpr (L == 1) {
        double in[Receptors];
        for (int r = 0; r < Receptors; ++r) in[r] = input[r][0];
        fired[0] = cell.step(state, in);
      } else {
        cell.step_block(state, input, fired);
      }
      for (int l = 0; l < L; ++l) {
        if (fired[l] < 0) {
          Kokkos::atomic_add(&out.failures(), 1);
        } else if (fired[l]) {
          const int idx = Kokkos::atomic_fetch_add(&out.count(), 1);
          out.spikes(idx) = pack_spike(gid(i0 + l), k);
          if (track) history.record(i0 + l, t0 + k + 1);
        }
      }
      slot = slot + 1 == ring_size ? 0 : slot + 1;
    }
    if constexpr (L == 1) {
      cell.store(i0, state);
    } else {
      cell.store_block(i0, state);
    }
  }

  template <int L>
  KOKKOS_INLINE_FUNCTION auto load(const std::size_t i0) const {
    if constexpr (L == 1) {
      return cell.load(i0);
    } else {
      return cell.load_block(i0);
    }
  }

  /// Asks for the ring slots that the block starting at cell i will read, two blocks
  /// ahead. A block reads receptors x interval-steps cache lines, each in its own row of
  /// the ring (a population apart): more streams than the hardware prefetcher follows.
  /// Measured on astrocyte_brunel (1 rank, 300 ms, same sitting): update 3.4-4.2 s without,
  /// 3.2 s with.
  KOKKOS_INLINE_FUNCTION void prefetch_ring(const std::size_t i, int slot) const {
    if (i >= n) return;
    for (int k = from; k < to; ++k) {
      for (int r = 0; r < Receptors; ++r) __builtin_prefetch(&ring(r, slot, i), 1);
      slot = slot + 1 == ring_size ? 0 : slot + 1;
    }
  }
};

template <int Receptors, class Cell>
void advance_cells(const char* label, const Population& p, const Cell& cell, std::int64_t t0, int from, int to,
                   const SpikeBuffer& out) {
  using Kernel = AdvanceInterval<Cell, Receptors>;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<>(0, (p.local_size + Kernel::lanes - 1) / Kernel::lanes),
                       Kernel{cell, p.background, p.history, p.gid, p.ring, out, t0, from, to, p.ring_size,
                              p.history.enabled(), p.local_size});
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
  Recordable recordable(const std::string& name) const override {
    return name == "V_m" ? Recordable{V, model.E_L} : extra(name);
  }
  virtual Recordable extra(const std::string&) const { return {}; }
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
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::iaf_psc_delta::advance", *this, Cell{model, V, refractory}, t0, from, to, out);
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
  Recordable extra(const std::string& n) const override {
    return n == "I_syn_ex" ? Recordable{i_ex, 0.0} : n == "I_syn_in" ? Recordable{i_in, 0.0} : Recordable{};
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_exp::advance", *this, Cell{model, V, i_ex, i_in, refractory}, t0, from,
                     to, out);
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
  Recordable extra(const std::string& n) const override {
    return n == "I_syn_ex" ? Recordable{I_ex, 0.0} : n == "I_syn_in" ? Recordable{I_in, 0.0} : Recordable{};
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_psc_alpha::advance", *this,
                     Cell{model, V, dI_ex, I_ex, dI_in, I_in, refractory}, t0, from, to, out);
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
  Recordable recordable(const std::string& n) const override {
    return n == "V_m" ? Recordable{V, 0.0} : n == "U_m" ? Recordable{U, 0.0} : Recordable{};
  }

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
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<1>("cajal::model::izhikevich::advance", *this, Cell{model, V, U}, t0, from, to, out);
  }
};

/// spike_generator: emits a spike at each listed time t, stamped like a neuron's spike at
/// the end of the step that ends at t (step round(t/dt) - 1). Its only state is the list,
/// so a restart needs nothing from the checkpoint: the position in the list follows from
/// the step.
struct GeneratorPopulation : Population {
  Kokkos::View<std::uint64_t*> row;  // spikes of list r: step(row(r)) .. step(row(r+1) - 1)
  Kokkos::View<std::int64_t*> step;  // emission steps, ascending within a list
  bool shared = false;               // one list for every cell
  Kokkos::View<double*> zero;

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), zero);
  }
  int max_spikes(int m) const override { return m; }
  std::vector<StateArray> state() override { return {}; }
  Recordable recordable(const std::string&) const override { return {}; }

  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    const auto row_ = row;
    const auto step_ = step;
    const auto gid_ = gid;
    const bool one = shared;
    const std::int64_t lo = t0 + from, hi = t0 + to;
    Kokkos::parallel_for(
        "cajal::model::spike_generator::advance", Kokkos::RangePolicy<>(0, local_size), KOKKOS_LAMBDA(const std::size_t i) {
          const std::size_t r = one ? 0 : i;
          std::uint64_t a = row_(r), b = row_(r + 1);
          while (a < b) {  // first spike at or after lo
            const std::uint64_t mid = (a + b) / 2;
            if (step_(mid) < lo) a = mid + 1;
            else b = mid;
          }
          for (std::uint64_t k = a; k < row_(r + 1) && step_(k) < hi; ++k) {
            const int idx = Kokkos::atomic_fetch_add(&out.count(), 1);
            out.spikes(idx) = pack_spike(gid_(i), static_cast<int>(step_(k) - t0));
          }
        });
  }
};

/// astrocyte_lr_1994: no spikes; the SIC of every step goes to sic_out for the
/// sic_connection projections. Input port 0 sums the weights of arriving spikes.
struct AstrocytePopulation : Population {
  AstrocyteLR1994 model;
  Kokkos::View<double*> ip3, ca, hh, sic, pending;
  int own_step() const override { return model.every; }

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
  /// block one by one), its state in registers through the interval.
  struct Kernel {
    AstrocyteLR1994 model;
    PoissonDrive bg;
    Kokkos::View<double*> ip3, ca, hh, sic, gap, pending;
    Kokkos::View<const std::uint64_t*> gid;
    Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
    Kokkos::View<double**, Kokkos::LayoutRight> sic_out;  // empty: no SIC targets
    std::int64_t t0;
    int from, to, ring_size;
    std::size_t n;

    KOKKOS_INLINE_FUNCTION void operator()(const std::size_t block) const { run_block<cell_lanes>(*this, block, n); }

    template <int L>
    KOKKOS_INLINE_FUNCTION void run(const std::size_t i0) const {
      using T = lanes::Number<L>;
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
                         Kernel{model, background, ip3, ca, hh, sic, gap_flux, pending, gid, ring, sic_out, t0, from,
                                to, ring_size, local_size});
  }
};

/// aeif_cond_alpha_astro: ports 0 (excitatory, nS), 1 (inhibitory, negative nS), 2 (SIC, pA).
/// At most one spike per step is emitted (NEST can emit several within one step when
/// t_ref = 0 and the drive is extreme).
struct AeifPopulation : Population {
  AeifCondAlphaAstro model;
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
    AeifCondAlphaAstro model;
    Kokkos::View<double*> V, dge, ge, dgi, gi, w, isic, hint;
    Kokkos::View<int*> r;
    struct State {
      double y[6];
      double isic, hint;
      int ref;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const {
      return {{V(i), dge(i), ge(i), dgi(i), gi(i), w(i)}, isic(i), hint(i), r(i)};
    }
    KOKKOS_INLINE_FUNCTION int step(State& s, const double* in) const {
      const int n = model.step(s.y, s.isic, s.ref, s.hint, in[0], in[1], in[2]);
      return n < 0 ? -1 : (n > 0 ? 1 : 0);
    }
    static constexpr int lanes = cell_lanes;
    using Block = AeifCondAlphaAstro::Block;
    KOKKOS_INLINE_FUNCTION Block load_block(std::size_t i0) const {
      Block b;
      const double* y[6] = {V.data(), dge.data(), ge.data(), dgi.data(), gi.data(), w.data()};
      for (int j = 0; j < 6; ++j) b.y[j] = lanes::load<lanes::Pack>(y[j] + i0);
      b.I_sic = lanes::load<lanes::Pack>(&isic(i0));
      b.hint = lanes::load<lanes::Pack>(&hint(i0));
      for (int l = 0; l < lanes; ++l) b.r[l] = r(i0 + l);
      return b;
    }
    KOKKOS_INLINE_FUNCTION void step_block(Block& b, const double in[3][lanes], int fired[lanes]) const {
      model.step_block(b, in, fired);
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
    KOKKOS_INLINE_FUNCTION void store_block(std::size_t i0, const Block& b) const {
      double* y[6] = {V.data(), dge.data(), ge.data(), dgi.data(), gi.data(), w.data()};
      for (int j = 0; j < 6; ++j) lanes::store(y[j] + i0, b.y[j]);
      lanes::store(&isic(i0), b.I_sic);
      lanes::store(&hint(i0), b.hint);
      for (int l = 0; l < lanes; ++l) r(i0 + l) = static_cast<int>(b.r[l]);
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<3>("cajal::model::aeif_cond_alpha_astro::advance", *this,
                     Cell{model, V, dg_ex, g_ex, dg_in, g_in, w, I_sic, hint, refractory}, t0, from, to, out);
  }
};

/// iaf_cond_exp: ports 0 (excitatory, nS) and 1 (inhibitory, negative nS).
struct CondExpPopulation : Population {
  IafCondExp model;
  bool can_fail() const override { return true; }
  Kokkos::View<double*> V, g_ex, g_in, hint;
  Kokkos::View<int*> refractory;

  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), V);
  }
  int max_spikes(int m) const override { return (m + model.ref_steps) / (model.ref_steps + 1); }
  std::vector<StateArray> state() override {
    return {{"V_m", V, {}, {}, {}},
            {"g_ex", g_ex, {}, {}, {}},
            {"g_in", g_in, {}, {}, {}},
            {"integration_step", hint, {}, {}, {}},
            {"refractory", {}, refractory, {}, {}}};
  }
  Recordable recordable(const std::string& n) const override {
    if (n == "V_m") return {V, 0.0};
    if (n == "g_ex") return {g_ex, 0.0};
    if (n == "g_in") return {g_in, 0.0};
    return {};
  }
  struct Cell {
    IafCondExp model;
    Kokkos::View<double*> V, ge, gi, hint;
    Kokkos::View<int*> r;
    Kokkos::View<double*> shift;  // E_L shift from the K+ field; empty without feedback
    struct State {
      double y[3];
      double hint;
      int ref;
      double E_L;
    };
    KOKKOS_INLINE_FUNCTION State load(std::size_t i) const {
      return {{V(i), ge(i), gi(i)}, hint(i), r(i), shift.extent(0) ? model.E_L + shift(i) : model.E_L};
    }
    KOKKOS_INLINE_FUNCTION int step(State& s, const double* in) const {
      if (s.E_L == model.E_L) return model.step(s.y, s.ref, s.hint, in[0], in[1]);
      IafCondExp m = model;
      m.E_L = s.E_L;
      return m.step(s.y, s.ref, s.hint, in[0], in[1]);
    }
    KOKKOS_INLINE_FUNCTION void store(std::size_t i, const State& s) const {
      V(i) = s.y[0];
      ge(i) = s.y[1];
      gi(i) = s.y[2];
      hint(i) = s.hint;
      r(i) = s.ref;
    }
  };
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer& out) override {
    advance_cells<2>("cajal::model::iaf_cond_exp::advance", *this, Cell{model, V, g_ex, g_in, hint, refractory, leak_shift}, t0,
                     from, to, out);
  }
};

/// astrocyte_gchi: port 0 receives glutamate (µM per unit weight), averaged over the cell's
/// incoming synapses; a release of gliotransmitter is emitted as a spike. The model steps
/// every `every` time steps (its own step), with the input of those steps.
struct GChIPopulation : Population {
  AstrocyteGChI model;
  Kokkos::View<double*> gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gS_snap;
  Kokkos::View<int*> armed;

  Kokkos::View<double*> gamma_s_snapshot() const override { return gS_snap; }
  int own_step() const override { return model.every; }
  void take_snapshot() override { Kokkos::deep_copy(gS_snap, gS); }
  Kokkos::View<double*>::HostMirror membrane() const override {
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ca);
  }
  int max_spikes(int m) const override { return (m + model.every - 1) / model.every; }
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
    AstrocyteGChI model;
    PoissonDrive bg;
    Kokkos::View<double*> gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gap;
    Kokkos::View<int*> armed;
    Kokkos::View<const std::uint64_t*> gid;
    Kokkos::View<std::int64_t***, Kokkos::LayoutRight> ring;
    SpikeBuffer out;
    std::int64_t t0;
    int from, to, ring_size;

    KOKKOS_INLINE_FUNCTION void operator()(const std::size_t i) const {
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
        pending += from_fixed(in) * scale;
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
                         Kernel{model, background, gA, ip3, ca, hh, xA, GA, Y, gS, acc, glu_scale, gap_flux, armed, gid,
                                ring, out, t0, from, to, ring_size});
  }
};

/// astrocyte_integrator: A decays exactly with tau_A and jumps by the weights arriving in
/// each step; the STDP gate g = clamp(1 + gain A, 0, 2) is snapshot at each interval start
/// and shared with the synapses it gates.
struct IntegratorPopulation : Population {
  double decay = 1.0, gain = 0.0;
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
    const double k = gain;
    Kokkos::parallel_for(
        "cajal::model::astrocyte_integrator::gate", Kokkos::RangePolicy<>(0, local_size), KOKKOS_LAMBDA(const std::size_t i) {
          const double x = 1.0 + k * a(i);
          g(i) = x < 0.0 ? 0.0 : (x > 2.0 ? 2.0 : x);
        });
  }
  void advance(std::int64_t t0, int from, int to, const SpikeBuffer&) override {
    const auto a = A;
    const auto ring_ = ring;
    const auto bg = background;
    const auto gid_ = gid;
    const double dec = decay;
    const int rs = ring_size;
    Kokkos::parallel_for(
        "cajal::model::astrocyte_integrator::advance", Kokkos::RangePolicy<>(0, local_size),
        KOKKOS_LAMBDA(const std::size_t i) {
          double x = a(i);
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
  p.background = PoissonDrive::make(spec.background, deck.simulation.dt, deck.simulation.seed, p.receptors >= 2);
}

/// The state both conductance-based neurons share: V (initial V_m, may be drawn), g_ex,
/// g_in, the adaptive integrator's step hint (starts at dt) and the refractory count.
template <class P>
void init_conductance_state(P& p, const std::string& prefix, const Deck& deck, const Partition& part, int pop,
                            const std::map<std::string, double>& params, double dt) {
  auto view = [&](const std::string& name) { return Kokkos::View<double*>(prefix + name, p.local_size); };
  p.V = view("V");
  p.g_ex = view("g_ex");
  p.g_in = view("g_in");
  p.hint = view("hint");
  p.refractory = Kokkos::View<int*>(prefix + "refractory", p.local_size);
  fill_initial(p.V, deck, part, pop, "V_m", 0, params.at("V_m"), 0.0);
  Kokkos::deep_copy(p.hint, dt);
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
  if (spec.model == "iaf_cond_exp") {
    auto p = std::make_unique<CondExpPopulation>();
    p->model = IafCondExp::make(params, dt);
    p->receptors = 2;
    init_base(*p, deck, part, pop, ring_size);
    init_conductance_state(*p, "cajal::cond_exp::", deck, part, pop, params, dt);
    return p;
  }
  if (spec.model == "astrocyte_integrator") {
    auto p = std::make_unique<IntegratorPopulation>();
    p->receptors = 1;
    init_base(*p, deck, part, pop, ring_size);
    p->decay = std::exp(-dt / params.at("tau_A"));
    p->gain = params.at("gain");
    p->A = Kokkos::View<double*>("cajal::integrator::A", p->local_size);
    p->gate_snap = Kokkos::View<double*>("cajal::integrator::gate", p->local_size);
    fill_initial(p->A, deck, part, pop, "A", 0, params.at("A"), 0.0);
    return p;
  }
  if (spec.model == "astrocyte_gchi") {
    auto p = std::make_unique<GChIPopulation>();
    p->model = AstrocyteGChI::make(params, dt);
    p->receptors = 1;
    init_base(*p, deck, part, pop, ring_size);
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
    for (int k = 0; k < 6; ++k) fill_initial(views[k], deck, part, pop, init[k], static_cast<std::uint32_t>(k), params.at(init[k]), 0.0);
    Kokkos::deep_copy(p->glu_scale, 1.0);  // the simulation sets 1 / in-degree
    return p;
  }
  if (spec.model == "astrocyte_lr_1994") {
    auto p = std::make_unique<AstrocytePopulation>();
    p->model = AstrocyteLR1994::make(params, dt);
    p->receptors = 1;
    init_base(*p, deck, part, pop, ring_size);
    auto view = [&](const std::string& label) { return Kokkos::View<double*>(label, p->local_size); };
    p->ip3 = view("cajal::astrocyte::IP3");
    p->ca = view("cajal::astrocyte::Ca");
    p->hh = view("cajal::astrocyte::h");
    p->sic = view("cajal::astrocyte::SIC");
    p->pending = view("cajal::astrocyte::pending");
    fill_initial(p->ip3, deck, part, pop, "IP3", 0, params.at("IP3"), 0.0);
    fill_initial(p->ca, deck, part, pop, "Ca_astro", 1, params.at("Ca_astro"), 0.0);
    fill_initial(p->hh, deck, part, pop, "h_IP3R", 2, params.at("h_IP3R"), 0.0);
    return p;
  }
  if (spec.model == "aeif_cond_alpha_astro") {
    auto p = std::make_unique<AeifPopulation>();
    p->model = AeifCondAlphaAstro::make(params, dt);
    p->receptors = 3;
    init_base(*p, deck, part, pop, ring_size);
    init_conductance_state(*p, "cajal::aeif::", deck, part, pop, params, dt);
    auto view = [&](const std::string& label) { return Kokkos::View<double*>(label, p->local_size); };
    p->dg_ex = view("cajal::aeif::dg_ex");
    p->dg_in = view("cajal::aeif::dg_in");
    p->w = view("cajal::aeif::w");
    p->I_sic = view("cajal::aeif::I_SIC");
    fill_initial(p->w, deck, part, pop, "w", 1, params.at("w"), 0.0);
    return p;
  }
  if (spec.model == "spike_generator") {
    auto p = std::make_unique<GeneratorPopulation>();
    p->receptors = 1;
    init_base(*p, deck, part, pop, ring_size);
    p->zero = Kokkos::View<double*>("cajal::population::zero", p->local_size);
    p->shared = spec.spike_times.size() == 1;
    const auto& ids = part.local(pop);
    std::vector<std::uint64_t> row{0};
    std::vector<std::int64_t> steps;
    const std::size_t lists = p->shared ? 1 : ids.size();
    for (std::size_t r = 0; r < lists; ++r) {
      for (double t : spec.spike_times[p->shared ? 0 : ids[r]]) steps.push_back(deck.to_steps(t) - 1);
      row.push_back(steps.size());
    }
    p->row = Kokkos::View<std::uint64_t*>("cajal::generator::row", row.size());
    p->step = Kokkos::View<std::int64_t*>("cajal::generator::step", steps.size());
    auto hr = Kokkos::create_mirror_view(p->row);
    auto hs = Kokkos::create_mirror_view(p->step);
    for (std::size_t k = 0; k < row.size(); ++k) hr(k) = row[k];
    for (std::size_t k = 0; k < steps.size(); ++k) hs(k) = steps[k];
    Kokkos::deep_copy(p->row, hr);
    Kokkos::deep_copy(p->step, hs);
    return p;
  }
  throw input_error(spec.model_loc.file, spec.model_loc.line, "population." + spec.name + ".model",
                    "unknown model '" + spec.model + "'");
}

}  // namespace cajal
