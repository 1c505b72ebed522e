#include "sim/update.hpp"

#include <algorithm>
#include <cstdio>

namespace cajal {

Update::Update(LocalNetwork& net, const Schedule& schedule) : net_(net) {
  const int m = schedule.interval();
  std::size_t cap = 0;
  for (const auto& p : net.pops) cap += p->local_size * static_cast<std::size_t>(p->max_spikes(m));
  buffer_.spikes = Kokkos::View<std::uint64_t*>("cajal::sim::spikes", std::max<std::size_t>(cap, 1));
  buffer_.count = Kokkos::View<int>("cajal::sim::spike_count");
  buffer_host_ = Kokkos::create_mirror_view(buffer_.spikes);
  buffer_.failures = Kokkos::View<int>("cajal::sim::failures");
  for (const auto& p : net.pops) any_can_fail_ = any_can_fail_ || p->can_fail();
}

std::size_t Update::run(const Epoch& epoch, FieldCoupling* field, SicCoupling& sic, GapJunctions& gap,
                        StateSampling& sampling) {
  const std::int64_t t0 = epoch.t0;
  const int steps = epoch.steps();
  Kokkos::deep_copy(buffer_.count, 0);
  if (field) field->begin_interval();
  // Segments end at field steps (one segment without a field).
  for (int seg = 0; seg < steps;) {
    int seg_end = steps;
    if (field) {
      const std::int64_t every = field->every();
      seg_end = static_cast<int>(std::min<std::int64_t>(steps, ((t0 + seg) / every + 1) * every - t0));
    }
    advance_coupled(t0, seg, seg_end, gap, sampling);
    if (field) {
      field->count_spikes(buffer_, buffer_host_);
      if ((t0 + seg_end) % field->every() == 0) field->solve(t0 + seg_end);
    }
    seg = seg_end;
  }
  Kokkos::fence();
  int n = 0;
  Kokkos::deep_copy(n, buffer_.count);
  Kokkos::deep_copy(Kokkos::subview(buffer_host_, std::make_pair(0, n)), Kokkos::subview(buffer_.spikes, std::make_pair(0, n)));
  if (sic.active()) sic.pack(steps);
  return static_cast<std::size_t>(n);
}

/// Every population through steps [seg, seg_end) of the interval at t0, split at the
/// gap junctions' coupling steps: the junctions couple there, with every population at
/// that step, so their fluxes follow the astrocytes' own step whatever the interval.
void Update::advance_coupled(std::int64_t t0, int seg, int seg_end, GapJunctions& gap, StateSampling& sampling) {
  if (!gap.active()) {
    advance_all(t0, seg, seg_end, sampling);
    return;
  }
  const std::int64_t every = gap.every();
  for (int from = seg; from < seg_end;) {
    if (gap.due(t0 + from)) gap.couple();
    const int to = static_cast<int>(std::min<std::int64_t>(seg_end, ((t0 + from) / every + 1) * every - t0));
    advance_all(t0, from, to, sampling);
    from = to;
  }
}

/// Every population through steps [seg, seg_end) of the interval at t0, split at the
/// sampling steps of its state reports.
void Update::advance_all(std::int64_t t0, int seg, int seg_end, StateSampling& sampling) {
  auto& pops = net_.pops;
  auto& reports = sampling.reports;
  for (std::size_t p = 0; p < pops.size(); ++p) {
    for (int from = seg; from < seg_end;) {
      int to = seg_end;
      for (const int r : sampling.of_pop[p]) {
        const std::int64_t e = reports[r].every(), next = ((t0 + from) / e + 1) * e;
        to = static_cast<int>(std::min<std::int64_t>(to, next - t0));
      }
      if (pops[p]->stimulus.active()) pops[p]->stimulus.fill(*pops[p], t0, from, to);
      pops[p]->advance(t0, from, to, buffer_);
      if (pops[p]->can_fail()) {
        int failed = 0;
        Kokkos::deep_copy(failed, buffer_.failures);
        if (failed && failure_.empty()) {
          char when[96];
          std::snprintf(when, sizeof when, "between t = %g and %g ms", (t0 + from) * net_.deck.simulation.dt,
                        (t0 + to) * net_.deck.simulation.dt);
          failure_ = "population '" + pops[p]->name + "': the integration failed " + std::to_string(failed) +
                     " time(s) " + when +
                     " (no sub-step met the error tolerance, or V fell below -1000 mV or |w| exceeded 1e6 pA, "
                     "NEST's bounds): the parameters make the model numerically unstable (a steep Delta_T, "
                     "extreme weights or currents); the run stops here, without summary.json";
        }
        Kokkos::deep_copy(buffer_.failures, 0);
      }
      for (const int r : sampling.of_pop[p])
        if ((t0 + to) % reports[r].every() == 0) reports[r].sample(t0 + to, *pops[p]);
      from = to;
    }
  }
}

}  // namespace cajal
