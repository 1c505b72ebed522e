# Stimulus devices ([[stimulus]]; model/stimulus.hpp): analytic responses (unit tests),
# rank-count invariance, restart, and bad input (decks/bad/stim_*.toml, globbed with the
# other bad decks).

# Analytic responses: dc steady state and firing period, step current's piecewise
# solution, ac's linear response, inhomogeneous Poisson counts, IP3 production.
target_sources(cajal_core_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_stimulus.cpp)

# Every device on five models: identical spikes and IP3 reports on 1 and 3 ranks.
set(stim_deck ${CMAKE_CURRENT_SOURCE_DIR}/decks/stimulus_network.toml)
foreach(n 1 3)
  cajal_mpi_run(run_stimulus_network_np${n} ${n} run ${stim_deck} --output ${out}/stimulus_network_np${n} --overwrite --quiet)
  set_tests_properties(run_stimulus_network_np${n} PROPERTIES FIXTURES_SETUP stimulus_network_np${n})
endforeach()
add_test(NAME invariance_stimulus_network_np1_vs_np3
         COMMAND spikecheck equal ${out}/stimulus_network_np1/spikes.h5 ${out}/stimulus_network_np3/spikes.h5)
add_test(NAME invariance_stimulus_network_IP3_np1_vs_np3
         COMMAND reportcheck equal ${out}/stimulus_network_np1/report_IP3.h5 ${out}/stimulus_network_np3/report_IP3.h5)
set_tests_properties(invariance_stimulus_network_np1_vs_np3 invariance_stimulus_network_IP3_np1_vs_np3
                     PROPERTIES FIXTURES_REQUIRED "stimulus_network_np1;stimulus_network_np3")
# The devices are functions of the step: a restart (on another number of ranks) continues
# them bit for bit.
cajal_restart_test(restart_stimulus_network_np1_to_np3 ${stim_deck} 1 3 stimulus_network_np1 200)
