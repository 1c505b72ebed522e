# Explicit connectivity (rule = "one_to_one", "pairs"; the edge-list builder): unit tests in
# unit/test_pairs.cpp (exact synapses on 1 and 3 ranks, the explicit deck's arrays against
# the rule deck's), and runs: the explicit deck gives the rule deck's spikes and the same
# spikes on 1 and 3 ranks; the astrocyte ring (inputs/astro_ring.toml) gives the same IP3 report on 1 and 3 ranks
# and a mirror-symmetric Ca wave from its stimulated cell. Bad input:
# decks/bad/pairs_*.toml, run by the bad-deck loop of CMakeLists.txt.
target_sources(cajal_unit_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_pairs.cpp)

cajal_mpi_run(run_pairs_rule_np1 1 run ${CMAKE_CURRENT_SOURCE_DIR}/decks/pairs_rule.toml
              --output ${out}/pairs_rule_np1 --overwrite --quiet)
set_tests_properties(run_pairs_rule_np1 PROPERTIES FIXTURES_SETUP pairs_rule_np1)
foreach(n 1 3)
  cajal_mpi_run(run_pairs_explicit_np${n} ${n} run ${CMAKE_CURRENT_SOURCE_DIR}/decks/pairs_explicit.toml
                --output ${out}/pairs_explicit_np${n} --overwrite --quiet)
  set_tests_properties(run_pairs_explicit_np${n} PROPERTIES FIXTURES_SETUP pairs_explicit_np${n})
endforeach()
add_test(NAME pairs_explicit_vs_rule
         COMMAND spikecheck equal ${out}/pairs_rule_np1/spikes.h5 ${out}/pairs_explicit_np1/spikes.h5)
set_tests_properties(pairs_explicit_vs_rule PROPERTIES FIXTURES_REQUIRED "pairs_rule_np1;pairs_explicit_np1")
add_test(NAME invariance_pairs_explicit_np1_vs_np3
         COMMAND spikecheck equal ${out}/pairs_explicit_np1/spikes.h5 ${out}/pairs_explicit_np3/spikes.h5)
set_tests_properties(invariance_pairs_explicit_np1_vs_np3 PROPERTIES FIXTURES_REQUIRED "pairs_explicit_np1;pairs_explicit_np3")

# The ring for 400 s (8000 steps of 50 ms), as the deck stands (cell 25 stimulated through its
# I_bias): the same IP3 report on 1 and 3 ranks, and on 1 rank a Ca wave that travels from
# the stimulated cell round both halves of the ring, mirror-symmetric bit for bit
# (ring/check_ring.py says why that holds and what would break it).
foreach(n 1 3)
  cajal_mpi_run(run_astro_ring_np${n} ${n} run ${PROJECT_SOURCE_DIR}/inputs/astro_ring.toml
                --output ${out}/astro_ring_np${n} --overwrite --quiet --set simulation.t_stop=400000)
  set_tests_properties(run_astro_ring_np${n} PROPERTIES FIXTURES_SETUP astro_ring_np${n})
endforeach()
add_test(NAME invariance_astro_ring_ip3_np1_vs_np3
         COMMAND reportcheck equal ${out}/astro_ring_np1/report_IP3.h5 ${out}/astro_ring_np3/report_IP3.h5)
set_tests_properties(invariance_astro_ring_ip3_np1_vs_np3 PROPERTIES FIXTURES_REQUIRED "astro_ring_np1;astro_ring_np3")
add_test(NAME astro_ring_wave_mirror_symmetry
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/ring/check_ring.py ${out}/astro_ring_np1/report_Ca_astro.h5 0.3)
set_tests_properties(astro_ring_wave_mirror_symmetry PROPERTIES FIXTURES_REQUIRED astro_ring_np1)

# Plastic and short-term synapses on listed pairs: the explicit deck with stdp_synapse (ee)
# and tsodyks_synapse (ie) gives the rule deck's spikes with the same synapses, the same
# spikes on 1 and 3 ranks, and restarts bit for bit from a checkpoint on another number of
# ranks (the synapse state is kept per target in canonical order, as for drawn rules).
set(pairs_plastic projection.ee.synapse="stdp_synapse" projection.ie.synapse="tsodyks_synapse")
set(pairs_plastic_sets)
foreach(a ${pairs_plastic})
  list(APPEND pairs_plastic_sets --set ${a})
endforeach()
foreach(run rule_np1 explicit_np1 explicit_np3)
  string(REGEX REPLACE "_np.*" "" deck ${run})
  string(REGEX REPLACE ".*_np" "" n ${run})
  cajal_mpi_run(run_pairs_plastic_${run} ${n} run ${CMAKE_CURRENT_SOURCE_DIR}/decks/pairs_${deck}.toml
                --output ${out}/pairs_plastic_${run} --overwrite --quiet ${pairs_plastic_sets})
  set_tests_properties(run_pairs_plastic_${run} PROPERTIES FIXTURES_SETUP pairs_plastic_${run})
endforeach()
add_test(NAME pairs_plastic_explicit_vs_rule
         COMMAND spikecheck equal ${out}/pairs_plastic_rule_np1/spikes.h5 ${out}/pairs_plastic_explicit_np1/spikes.h5)
set_tests_properties(pairs_plastic_explicit_vs_rule PROPERTIES FIXTURES_REQUIRED "pairs_plastic_rule_np1;pairs_plastic_explicit_np1")
add_test(NAME invariance_pairs_plastic_np1_vs_np3
         COMMAND spikecheck equal ${out}/pairs_plastic_explicit_np1/spikes.h5 ${out}/pairs_plastic_explicit_np3/spikes.h5)
set_tests_properties(invariance_pairs_plastic_np1_vs_np3 PROPERTIES FIXTURES_REQUIRED "pairs_plastic_explicit_np1;pairs_plastic_explicit_np3")
cajal_restart_test(restart_pairs_plastic_np1_to_np3
                   ${CMAKE_CURRENT_SOURCE_DIR}/decks/pairs_explicit.toml 1 3 pairs_plastic_explicit_np1 300
                   ${pairs_plastic})
