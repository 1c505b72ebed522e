// spike_generator: its descriptor (no parameters; spike times from the deck), its checks
// and its population.
#include <algorithm>

#include "cajal/util/error.hpp"
#include "input/spike_file.hpp"
#include "model/registry.hpp"

namespace cajal {

namespace {

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

/// The emission steps of the local cells, one list per local cell (row/step as in
/// GeneratorPopulation). Only the local cells' times are read: from the deck's compact
/// lists, or from the two-column spike file, streamed line by line.
void local_steps(const ModelBuild& b, std::vector<std::uint64_t>& row, std::vector<std::int64_t>& steps) {
  const SpikeTimes& st = b.spec().spike_times;
  const auto& ids = b.part.local(b.pop);  // ascending
  row.assign(ids.size() + 1, 0);
  if (st.file.empty()) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto it = std::lower_bound(st.cell.begin(), st.cell.end(), ids[i]);
      if (it != st.cell.end() && *it == ids[i]) {
        const std::size_t k = static_cast<std::size_t>(it - st.cell.begin());
        for (std::uint64_t j = st.row[k]; j < st.row[k + 1]; ++j) steps.push_back(b.deck.to_steps(st.time[j]) - 1);
      }
      row[i + 1] = steps.size();
    }
    return;
  }
  // The file, checked when the deck was read: (local cell, step) of the local lines, then
  // grouped by cell (a counting sort) and sorted within each cell.
  std::vector<std::pair<std::uint64_t, std::int64_t>> mine;
  input::SpikeCsvReader in(st.file, b.spec().n);
  for (input::SpikeCsvLine l; in.next(l);) {
    const auto id = static_cast<std::uint64_t>(l.node);
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it != ids.end() && *it == id)
      mine.emplace_back(static_cast<std::uint64_t>(it - ids.begin()), b.deck.to_steps(l.time) - 1);
  }
  for (const auto& m : mine) ++row[m.first + 1];
  for (std::size_t i = 0; i < ids.size(); ++i) row[i + 1] += row[i];
  steps.resize(mine.size());
  std::vector<std::uint64_t> fill(row.begin(), row.end() - 1);
  for (const auto& m : mine) steps[fill[m.first]++] = m.second;
  for (std::size_t i = 0; i < ids.size(); ++i) std::sort(steps.begin() + row[i], steps.begin() + row[i + 1]);
}

std::unique_ptr<Population> make(const ModelBuild& b) {
  const auto& spec = b.spec();
  auto p = std::make_unique<GeneratorPopulation>();
  p->receptors = 1;
  init_base(*p, b);
  p->zero = Kokkos::View<double*>("cajal::population::zero", p->local_size);
  p->shared = spec.spike_times.shared;
  std::vector<std::uint64_t> row{0};
  std::vector<std::int64_t> steps;
  if (p->shared) {
    for (double t : spec.spike_times.time) steps.push_back(b.deck.to_steps(t) - 1);
    row.push_back(steps.size());
  } else {
    local_steps(b, row, steps);
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

void check(const ModelCheck& c) {
  const PopulationSpec& pop = c.pop;
  const std::string key = "population." + pop.name;
  if (!pop.has_spike_times)
    throw input_error(pop.loc.file, pop.loc.line, key,
                      "a spike_generator needs spike_times = [...] (ms) or spike_file = \"file.csv\"");
  if (pop.background.rate_hz > 0)
    throw input_error(pop.background.loc.file, pop.background.loc.line, key + ".background",
                      "a spike_generator takes no input; allowed: background on neuron or astrocyte populations");
}

}  // namespace

ModelInfo spike_generator_model() {
  ModelInfo m{"spike_generator",
              "emits spikes at the times listed in the deck (spike_times) or in a CSV file (spike_file)",
              "",
              {}};
  m.kind = ModelInfo::Kind::generator;
  m.check = check;
  m.make = make;
  return m;
}

}  // namespace cajal
