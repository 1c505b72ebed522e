#include "sim/field_coupling.hpp"

#include <algorithm>

#include "cajal/util/error.hpp"
#include "io/checkpoint_file.hpp"
#include "sim/clock.hpp"

namespace cajal {

FieldCoupling::FieldCoupling(const Communicator& comm, LocalNetwork& net) : net_(net) {
  const Deck& deck = net.deck;
  const Partition& part = net.part;
  auto& pops = net.pops;
  const auto& k = deck.field.potassium;
  field_ = std::make_unique<Field>(comm, deck, part.bricks());
  every_ = deck.field.every;
  voxel_of_.assign(pops.size(), {});
  releases_.assign(pops.size(), 0);
  feeds_back_.assign(pops.size(), 0);
  leak_shift_host_.assign(pops.size(), {});
  auto involved = [&](const std::vector<std::string>& names, int p) {
    return std::find(names.begin(), names.end(), deck.populations[p].name) != names.end();
  };
  for (int p = 0; p < static_cast<int>(pops.size()); ++p) {
    const bool rel = involved(k.release_from, p), up = involved(k.uptake_by, p), fb = involved(k.feedback_to, p);
    if (!(rel || up || fb)) continue;
    const auto& ids = part.local(p);
    auto& vox = voxel_of_[p];
    vox.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      vox[i] = field_->local_voxel(part.position(p, ids[i]));
      if (vox[i] < 0) throw error("field: a cell's voxel lies on another rank (a bug: bricks and grid disagree)", exit_internal);
      if (up) field_->add_uptake_site(vox[i]);
    }
    releases_[p] = rel;
    feeds_back_[p] = fb;
    if (fb) {
      pops[p]->leak_shift = Kokkos::View<double*>("cajal::field::leak_shift", ids.size());
      leak_shift_host_[p] = Kokkos::create_mirror_view(pops[p]->leak_shift);
    }
  }
  refresh_leak_shifts();
}

/// E_L of every feeding-back cell from the concentration in its voxel.
void FieldCoupling::refresh_leak_shifts() {
  auto& pops = net_.pops;
  const Field* const field = field_.get();
  for (std::size_t p = 0; p < pops.size(); ++p) {
    if (!feeds_back_[p]) continue;
    const auto h = leak_shift_host_[p];
    const std::int64_t* const vox = voxel_of_[p].data();
    Kokkos::parallel_for(
        "cajal::field::leak_shift", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, voxel_of_[p].size()),
        [=](const std::size_t i) { h(i) = field->nernst_shift(field->at(vox[i])); });
    Kokkos::DefaultHostExecutionSpace().fence();
    Kokkos::deep_copy(pops[p]->leak_shift, h);
  }
}

/// Integer counts per voxel (atomic increments): the order of the spikes does not matter.
void FieldCoupling::count_spikes(const SpikeBuffer& buffer, const Kokkos::View<std::uint64_t*>::HostMirror& buffer_host) {
  const Partition* const part = &net_.part;
  int n = 0;
  Kokkos::deep_copy(n, buffer.count);
  if (n > scanned_) {
    const auto range = std::make_pair(scanned_, n);
    Kokkos::deep_copy(Kokkos::subview(buffer_host, range), Kokkos::subview(buffer.spikes, range));
    const auto spikes = buffer_host;
    const char* const releases = releases_.data();
    const std::vector<std::int64_t>* const voxel_of = voxel_of_.data();
    Field* const field = field_.get();
    Kokkos::parallel_for(
        "cajal::field::count_spikes", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(scanned_, n),
        [=](const int q) {
          const std::uint64_t g = spike_gid(spikes(q));
          const int p = part->population_of(g);
          if (!releases[p]) return;
          const auto& ids = part->local(p);
          const auto i = std::lower_bound(ids.begin(), ids.end(), g - part->first_gid(p)) - ids.begin();
          field->add_spike(voxel_of[p][static_cast<std::size_t>(i)]);
        });
    Kokkos::DefaultHostExecutionSpace().fence();
  }
  scanned_ = n;
}

void FieldCoupling::solve(std::int64_t step) {
  Stopwatch watch(seconds_);
  field_->solve(step);
  refresh_leak_shifts();
  if (after_step) after_step(step);
}

std::uint64_t FieldCoupling::checkpoint_bytes() const {
  const auto& shape = net_.deck.field.shape;
  return static_cast<std::uint64_t>(shape[0] * shape[1] * shape[2]) * 24;
}

void FieldCoupling::save(CheckpointFile& f) const { field_->save(f); }

void FieldCoupling::load(CheckpointFile& f) {
  if (!f.has("field")) throw usage_error(f.path() + ": the checkpoint holds no field (the file is corrupt)");
  field_->restore(f);
  refresh_leak_shifts();
}

}  // namespace cajal
