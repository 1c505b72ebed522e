#include "sim/presynaptic_state.hpp"

#include <algorithm>
#include <cstring>

#include "model/population.hpp"

namespace cajal {

PresynapticState::PresynapticState(const Partition& part, const std::vector<Projection>& projections)
    : part_(part),
      rule_(projections.size()),
      slot_(projections.size(), 0),
      plastic_of_(static_cast<std::size_t>(part.populations())),
      t_last_(static_cast<std::size_t>(part.populations())),
      kplus_(projections.size()) {
  std::vector<char> has_state(static_cast<std::size_t>(part.populations()), 0);
  for (std::size_t i = 0; i < projections.size(); ++i) {
    const Projection& pj = projections[i];
    if (!pj.stateful()) continue;
    has_state[pj.pre] = 1;
    width_ = std::max(width_, 2);
    if (!pj.plastic) continue;
    auto& mine = plastic_of_[pj.pre];
    mine.push_back(i);
    slot_[i] = 1 + static_cast<int>(mine.size());
    width_ = std::max(width_, slot_[i] + 1);
    rule_[i] = pj.rule;
    kplus_[i].assign(part.local(pj.pre).size(), 0.0);  // no spike yet: 0
  }
  for (int p = 0; p < part.populations(); ++p)
    if (has_state[p]) t_last_[p].assign(part.local(p).size(), 0);  // NEST: t = 0
}

const std::vector<std::uint64_t>& PresynapticState::records_of(const std::uint64_t* spikes, std::size_t n,
                                                               std::int64_t t0) {
  // Sorted by (gid, offset): each cell's spikes together and in time order.
  order_.clear();
  for (std::size_t k = 0; k < n; ++k)
    if (!t_last_[part_.population_of(spike_gid(spikes[k]))].empty()) order_.push_back(spikes[k]);
  std::sort(order_.begin(), order_.end());
  const std::size_t W = static_cast<std::size_t>(width_);
  records_.assign(order_.size() * W, 0);
  for (std::size_t k = 0; k < order_.size(); ++k) {
    const std::uint64_t sp = order_[k], gid = spike_gid(sp);
    const int p = part_.population_of(gid);
    const auto& ids = part_.local(p);
    const auto li = static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), gid - part_.first_gid(p)) - ids.begin());
    const std::int64_t stamp = t0 + spike_offset(sp) + 1;
    std::int64_t& tl = t_last_[p][li];
    std::uint64_t* const rec = records_.data() + k * W;
    rec[0] = sp;
    rec[1] = static_cast<std::uint64_t>(tl);
    for (const std::size_t i : plastic_of_[p]) {
      double& kp = kplus_[i][li];
      std::memcpy(&rec[slot_[i]], &kp, sizeof kp);
      std::int64_t t = tl;  // each projection's trace decays from the same last spike
      rule_[i].advance_trace(kp, t, stamp);
    }
    tl = stamp;
  }
  return records_;
}

std::uint64_t PresynapticState::bytes() const {
  std::uint64_t b = (order_.capacity() + records_.capacity()) * sizeof(std::uint64_t);
  for (const auto& v : t_last_) b += v.capacity() * sizeof(std::int64_t);
  for (const auto& v : kplus_) b += v.capacity() * sizeof(double);
  return b;
}

}  // namespace cajal
