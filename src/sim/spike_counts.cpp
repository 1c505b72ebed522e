#include "sim/spike_counts.hpp"

#include <algorithm>

#include "model/population.hpp"

namespace cajal {

SpikeCounts::SpikeCounts(const Communicator& comm, std::size_t populations, std::int64_t intervals)
    : comm_(comm),
      local_(populations, 0),
      quarter_from_(intervals - intervals / 4),
      block_(block_intervals * populations, 0),
      previous_(populations, 0),
      all_(populations),
      quarter_(populations) {}

void SpikeCounts::add(const Partition& part, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n) {
  std::uint64_t* interval = block_.data() + in_block_ * local_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const int p = part.population_of(spike_gid(spikes(k)));
    ++local_[p];
    ++interval[p];
  }
  if (++in_block_ == block_intervals) fold_block();
}

void SpikeCounts::fold_block() {
  // The whole block travels, unused intervals as zeros: one fixed-size reduction.
  comm_.sum_each(block_);
  const std::size_t npop = local_.size();
  for (std::size_t u = 0; u < in_block_; ++u, ++folded_) {
    const std::uint64_t* n = block_.data() + u * npop;
    // The ratio of interval t = folded_ - 1 to the next, in the order of t.
    for (std::size_t p = 0; p < npop && folded_ > 0; ++p) {
      const double a = static_cast<double>(previous_[p]);
      if (!(a > 0)) continue;
      const double r = static_cast<double>(n[p]) / a;
      all_[p].sum += r, ++all_[p].n;
      if (folded_ - 1 >= quarter_from_) quarter_[p].sum += r, ++quarter_[p].n;
    }
    std::copy(n, n + npop, previous_.begin());
  }
  std::fill(block_.begin(), block_.end(), 0);
  in_block_ = 0;
}

std::vector<std::uint64_t> SpikeCounts::total(const Communicator& comm, const std::vector<std::uint64_t>& before) const {
  std::vector<std::uint64_t> t(local_.size());
  for (std::size_t p = 0; p < local_.size(); ++p)
    t[p] = comm.sum<unsigned long long>(local_[p]) + (before.empty() ? 0 : before[p]);
  return t;
}

// The mean over intervals t with n_t > 0 of n_{t+1} / n_t, n the population's spikes per
// communication interval (bins of m steps: a spike can only cause spikes in later intervals).
std::vector<std::pair<double, double>> SpikeCounts::branching() {
  if (in_block_ > 0) fold_block();
  std::vector<std::pair<double, double>> b(local_.size());
  for (std::size_t p = 0; p < local_.size(); ++p) b[p] = {all_[p].mean(), quarter_[p].mean()};
  return b;
}

}  // namespace cajal
