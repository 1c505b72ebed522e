#include "sim/local_network.hpp"

#include <algorithm>
#include <string>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "util/system.hpp"

namespace cajal {

LocalNetwork::LocalNetwork(const Communicator& c, const Deck& d, const Schedule& schedule, const BuildPoll& poll)
    : comm(c), deck(d), part(d, c.size(), c.rank()), ring_size(schedule.ring_size()) {
  for (int p = 0; p < part.populations(); ++p) pops.push_back(make_population(deck, part, p, ring_size));
  for (int i = 0; i < static_cast<int>(deck.projections.size()); ++i) {
    // A projection may be refused on some ranks only (more synapses than its 32-bit offsets
    // hold, an edge with a target elsewhere): the ranks agree after each one, so that every
    // rank leaves with the first rank's message instead of the others waiting for it.
    std::string problem;
    try {
      projections.push_back(build_projection(deck, part, i, poll));
    } catch (const usage_error& e) {
      problem = e.what();
    }
    problem = comm.first_problem(problem);
    if (!problem.empty()) throw build_refused(problem);
  }
  for (const auto& pj : projections) slices.push_back(target_slices(pj, pops[pj.post]->local_size));
  // Models that average their input over their synapses learn their in-degree.
  for (std::size_t p = 0; p < pops.size(); ++p) {
    std::vector<std::uint32_t> n(pops[p]->local_size, 0);
    for (const auto& pj : projections) {
      if (pj.post != static_cast<int>(p) || pj.sic || pj.gap) continue;
      const HostTargets tgt = pj.target.on_host();
      for (std::size_t j = 0; j < tgt.extent(0); ++j) ++n[tgt(j)];
    }
    pops[p]->set_in_degree(n);
  }
  release_free_memory();  // the builders' temporaries
  // Plastic synapses read the spike history of their targets.
  host_rows.resize(projections.size());
  stdp_lost = Kokkos::View<std::int64_t>("cajal::stdp::lost");
  for (std::size_t i = 0; i < projections.size(); ++i) {
    const auto& pj = projections[i];
    if (!pj.stateful()) continue;
    any_stateful = true;
    host_rows[i] = pj.rows.on_host();
    if (!pj.plastic) continue;
    any_plastic = true;
    Population& post = *pops[pj.post];
    if (!post.history.enabled())
      post.history = PostHistory::make(post.local_size, deck.simulation.dt,
                                       resolve_params(deck.populations[pj.post]).at("tau_minus"));
  }
  presynaptic = std::make_unique<PresynapticState>(part, projections);
}

std::uint64_t LocalNetwork::local_synapses() const {
  std::uint64_t n = 0;
  for (const auto& pj : projections) n += pj.synapses;
  return n;
}

std::uint64_t LocalNetwork::synapse_storage_bytes() const {
  std::uint64_t n = 0;
  for (const auto& pj : projections) n += pj.bytes();
  for (const auto& s : slices) n += s.split.span() * sizeof(std::uint32_t);  // delivery's split tables
  return n + presynaptic->bytes();
}

}  // namespace cajal
