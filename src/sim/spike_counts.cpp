#include "sim/spike_counts.hpp"

#include "model/population.hpp"

namespace cajal {

void SpikeCounts::add(const Partition& part, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n) {
  const std::size_t npop = local_.size();
  per_interval_.resize(per_interval_.size() + npop, 0);
  std::uint32_t* interval = per_interval_.data() + per_interval_.size() - npop;
  for (std::size_t k = 0; k < n; ++k) {
    const int p = part.population_of(spike_gid(spikes(k)));
    ++local_[p];
    ++interval[p];
  }
}

std::vector<std::uint64_t> SpikeCounts::total(const Communicator& comm, const std::vector<std::uint64_t>& before) const {
  std::vector<std::uint64_t> t(local_.size());
  for (std::size_t p = 0; p < local_.size(); ++p)
    t[p] = comm.sum<unsigned long long>(local_[p]) + (before.empty() ? 0 : before[p]);
  return t;
}

// The mean over intervals t with n_t > 0 of n_{t+1} / n_t, n the population's spikes per
// communication interval (bins of m steps: a spike can only cause spikes in later intervals).
std::vector<std::pair<double, double>> SpikeCounts::branching(const Communicator& comm) const {
  const std::size_t npop = local_.size();
  std::vector<std::pair<double, double>> b(npop, {0.0, 0.0});
  if (per_interval_.empty()) return b;
  std::vector<std::uint32_t> all = per_interval_;  // the sum over ranks; local counts stay as they are
  comm.sum_each(all);
  const std::size_t T = all.size() / npop;
  for (std::size_t p = 0; p < npop; ++p) {
    auto sigma = [&](std::size_t from) {
      double sum = 0;
      std::size_t n = 0;
      for (std::size_t t = from; t + 1 < T; ++t) {
        const double a = all[t * npop + p];
        if (a > 0) sum += all[(t + 1) * npop + p] / a, ++n;
      }
      return n ? sum / static_cast<double>(n) : 0.0;
    };
    b[p] = {sigma(0), sigma(T - T / 4)};
  }
  return b;
}

}  // namespace cajal
