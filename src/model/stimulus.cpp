#include "model/stimulus.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "cajal/network/partition.hpp"
#include "model/population.hpp"
#include "util/fixed_point.hpp"

namespace cajal {

void StimulusInput::build(const Deck& deck, const Partition& part, int pop, std::size_t local_size, int ring_size,
                          bool two_ports) {
  dt_ = deck.simulation.dt;
  local_size_ = local_size;
  const std::string& name = deck.populations[pop].name;
  bool any_current = false, any_bias = false;
  for (std::size_t k = 0; k < deck.stimuli.size(); ++k) {
    const StimulusSpec& s = deck.stimuli[k];
    if (s.population != name) continue;
    Device d;
    d.spec = &s;
    d.index = static_cast<int>(k);
    d.start = deck.to_steps(s.start);
    d.stop = s.stop < 0 ? -1 : deck.to_steps(s.stop);
    for (double t : s.times) d.times.push_back(deck.to_steps(t));
    d.key = rng::Key(deck.simulation.seed, rng::purpose::stimulus, static_cast<std::uint32_t>(k));
    if (!s.current()) {
      d.weight_fixed = to_fixed(s.weight);
      d.receptor = (two_ports && s.weight < 0) ? 1 : 0;
    }
    any_current = any_current || (s.current() && !s.drives_bias());
    any_bias = any_bias || s.drives_bias();
    devices_.push_back(d);
  }
  if (devices_.empty()) return;
  const std::size_t nd = devices_.size();

  // Which devices act on which local cell, in deck order (the order of the sum).
  const auto& ids = part.local(pop);
  std::unordered_map<std::int64_t, std::size_t> local_of;
  for (const Device& d : devices_)
    if (!d.spec->cells.empty()) {
      for (std::size_t i = 0; i < ids.size(); ++i) local_of[static_cast<std::int64_t>(ids[i])] = i;
      break;
    }
  std::vector<std::vector<int>> of_cell(local_size);
  for (std::size_t j = 0; j < nd; ++j) {
    const auto& cells = devices_[j].spec->cells;
    if (cells.empty()) {
      for (auto& v : of_cell) v.push_back(static_cast<int>(j));
    } else {
      for (const std::int64_t c : cells) {
        const auto it = local_of.find(c);
        if (it != local_of.end()) of_cell[it->second].push_back(static_cast<int>(j));
      }
    }
  }
  std::size_t total = 0;
  for (const auto& v : of_cell) total += v.size();
  first_ = Kokkos::View<int*>("cajal::stimulus::first", local_size + 1);
  member_ = Kokkos::View<int*>("cajal::stimulus::member", std::max<std::size_t>(total, 1));
  auto fh = Kokkos::create_mirror_view(first_);
  auto mh = Kokkos::create_mirror_view(member_);
  std::size_t at = 0;
  for (std::size_t i = 0; i < local_size; ++i) {
    fh(i) = static_cast<int>(at);
    for (const int j : of_cell[i]) mh(at++) = j;
  }
  fh(local_size) = static_cast<int>(at);
  Kokkos::deep_copy(first_, fh);
  Kokkos::deep_copy(member_, mh);

  value_ = decltype(value_)("cajal::stimulus::value", nd, ring_size);
  p0_ = decltype(p0_)("cajal::stimulus::p0", nd, ring_size);
  chunks_ = decltype(chunks_)("cajal::stimulus::chunks", nd, ring_size);
  value_host_ = Kokkos::create_mirror_view(value_);
  p0_host_ = Kokkos::create_mirror_view(p0_);
  chunks_host_ = Kokkos::create_mirror_view(chunks_);
  kind_ = Kokkos::View<int*>("cajal::stimulus::kind", nd);
  receptor_ = Kokkos::View<int*>("cajal::stimulus::receptor", nd);
  weight_fixed_ = Kokkos::View<std::int64_t*>("cajal::stimulus::weight", nd);
  key_ = Kokkos::View<std::uint32_t* [2]>("cajal::stimulus::key", nd);
  auto ph = Kokkos::create_mirror_view(kind_);
  auto rh = Kokkos::create_mirror_view(receptor_);
  auto wh = Kokkos::create_mirror_view(weight_fixed_);
  auto kh = Kokkos::create_mirror_view(key_);
  for (std::size_t j = 0; j < nd; ++j) {
    ph(j) = devices_[j].spec->drives_bias() ? 2 : devices_[j].spec->current() ? 0 : 1;
    rh(j) = devices_[j].receptor;
    wh(j) = devices_[j].weight_fixed;
    kh(j, 0) = devices_[j].key.k0;
    kh(j, 1) = devices_[j].key.k1;
  }
  Kokkos::deep_copy(kind_, ph);
  Kokkos::deep_copy(receptor_, rh);
  Kokkos::deep_copy(weight_fixed_, wh);
  Kokkos::deep_copy(key_, kh);
  if (any_current) current = decltype(current)("cajal::stimulus::current", ring_size, local_size);
  if (any_bias) bias = decltype(bias)("cajal::stimulus::bias", ring_size, local_size);
}

/// The device's current (or rate, Hz) in step `step`; 0 outside its window.
double StimulusInput::value(const Device& d, std::int64_t step) const {
  if (step < d.start || (d.stop >= 0 && step >= d.stop)) return 0.0;
  const StimulusSpec& s = *d.spec;
  switch (s.kind) {
    case StimulusSpec::Kind::dc:
      return s.amplitude;
    case StimulusSpec::Kind::ac: {
      constexpr double pi = 3.14159265358979323846;
      const double t = static_cast<double>(step + 1) * dt_;
      return s.offset + s.amplitude * std::sin(2.0 * pi * s.frequency * 1e-3 * t + s.phase * pi / 180.0);
    }
    case StimulusSpec::Kind::step_current:
    case StimulusSpec::Kind::inhomogeneous_poisson: {
      // The last change at or before the step.
      const auto it = std::upper_bound(d.times.begin(), d.times.end(), step);
      return it == d.times.begin() ? 0.0 : s.values[static_cast<std::size_t>(it - d.times.begin()) - 1];
    }
  }
  return 0.0;
}

void StimulusInput::fill(const Population& p, std::int64_t t0, int from, int to) const {
  if (devices_.empty() || from >= to) return;
  const int ring_size = p.ring_size;
  for (std::size_t j = 0; j < devices_.size(); ++j) {
    const Device& d = devices_[j];
    for (int k = from; k < to; ++k) {
      const std::int64_t step = t0 + k;
      const int slot = static_cast<int>(step % ring_size);
      const double v = value(d, step);
      if (d.spec->current()) {
        value_host_(j, slot) = v;
        continue;
      }
      const double lambda = v * dt_ * 1e-3;
      const int chunks = lambda > 0 ? static_cast<int>(std::ceil(lambda / 16.0)) : 0;
      const double lc = chunks ? lambda / chunks : 0.0;
      value_host_(j, slot) = lc;
      p0_host_(j, slot) = std::exp(-lc);
      chunks_host_(j, slot) = chunks;
    }
  }
  Kokkos::deep_copy(value_, value_host_);
  Kokkos::deep_copy(p0_, p0_host_);
  Kokkos::deep_copy(chunks_, chunks_host_);

  const auto first = first_, member = member_, kind = kind_, receptor = receptor_;
  const auto weight = weight_fixed_;
  const auto key = key_;
  const auto val = value_, p0 = p0_;
  const auto chunks = chunks_;
  const auto cur = current, bias_of = bias;
  const auto ring = p.ring;
  const auto gid = p.gid;
  Kokkos::parallel_for(
      "cajal::stimulus::fill", Kokkos::RangePolicy<>(0, local_size_), KOKKOS_LAMBDA(const std::size_t i) {
        int slot = static_cast<int>((t0 + from) % ring_size);
        for (int k = from; k < to; ++k) {
          double sum = 0.0, bsum = 0.0;
          for (int m = first(i); m < first(i + 1); ++m) {
            const int j = member(m);
            if (kind(j) == 0) {
              sum += val(j, slot);
            } else if (kind(j) == 2) {
              bsum += val(j, slot);
            } else if (chunks(j, slot)) {
              rng::Key kk;
              kk.k0 = key(j, 0);
              kk.k1 = key(j, 1);
              const std::int64_t n = stimulus_poisson(kk, gid(i), t0 + k, val(j, slot), p0(j, slot), chunks(j, slot));
              ring(receptor(j), slot, i) += n * weight(j);
            }
          }
          if (cur.extent(0)) cur(slot, i) = sum;
          if (bias_of.extent(0)) bias_of(slot, i) = bsum;
          slot = slot + 1 == ring_size ? 0 : slot + 1;
        }
      });
}

}  // namespace cajal
