#include "model/population.hpp"

#include <cmath>

#include "model/registry.hpp"
#include "random/distribution.hpp"
#include "util/fixed_point.hpp"

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


void fill_initial(Kokkos::View<double*> v, const ModelBuild& b, const std::string& name, std::uint32_t stream,
                  const std::vector<double>& fallback, const std::vector<double>& shift) {
  const auto& spec = b.spec();
  const auto& ids = b.part.local(b.pop);
  auto h = Kokkos::create_mirror_view(v);
  const auto it = spec.params.find(name);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    double x = fallback[i];
    if (it != spec.params.end()) {
      x = it->second.is_per_cell() ? it->second.per_cell[static_cast<std::size_t>(ids[i])] : it->second.value;
      if (!it->second.dist.is_constant()) {
        rng::Stream s(rng::Key(b.deck.simulation.seed, rng::purpose::initial, stream), b.part.first_gid(b.pop) + ids[i]);
        x = draw_value(it->second.dist, s);
      }
    }
    h(i) = x - shift[i];
  }
  Kokkos::deep_copy(v, h);
}

void fill_initial(Kokkos::View<double*> v, const ModelBuild& b, const std::string& name, std::uint32_t stream,
                  double fallback, double shift) {
  const std::size_t n = b.part.local(b.pop).size();
  fill_initial(v, b, name, stream, std::vector<double>(n, fallback), std::vector<double>(n, shift));
}

void init_base(Population& p, const ModelBuild& b) {
  const auto& spec = b.spec();
  const auto& ids = b.part.local(b.pop);
  p.name = spec.name;
  p.local_size = ids.size();
  p.ring_size = b.ring_size;
  p.gid = Kokkos::View<std::uint64_t*>("cajal::population::gid", ids.size());
  auto h = Kokkos::create_mirror_view(p.gid);
  for (std::size_t i = 0; i < ids.size(); ++i) h(i) = b.part.first_gid(b.pop) + ids[i];
  Kokkos::deep_copy(p.gid, h);
  p.ring = decltype(p.ring)("cajal::population::ring", p.receptors, b.ring_size, ids.size());
  p.background = PoissonDrive::make(spec.background, b.deck.simulation.dt, b.deck.simulation.seed, p.receptors >= 2);
}

}  // namespace cajal
