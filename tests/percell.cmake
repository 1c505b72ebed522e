# Per-cell parameters and initial values (inputs/README.md, "Values per cell";
# model/param_sets.hpp). Included at the end of tests/CMakeLists.txt.

# Unit tests: the same bits as one population per value, for every model; iaf_psc_delta's
# analytic period cell by cell; the checks name the cell.
add_executable(cajal_percell_tests unit/main.cpp unit/test_percell.cpp)
target_include_directories(cajal_percell_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tools)
target_link_libraries(cajal_percell_tests PRIVATE cajal::cajal cajal::ext_hdf5 GTest::gtest)
cajal_arch_flags(cajal_percell_tests)
cajal_discover_mpi_tests(cajal_percell_tests)

set(percell_decks ${CMAKE_CURRENT_SOURCE_DIR}/decks/percell)

# brunel_small with every parameter given per cell, each value the population's number:
# the spikes of brunel_small bit for bit.
cajal_mpi_run(run_percell_brunel_equal_np2 2 run ${percell_decks}/brunel_small_percell_equal.toml
              --output ${out}/percell_brunel_equal_np2 --overwrite --quiet)
set_tests_properties(run_percell_brunel_equal_np2 PROPERTIES FIXTURES_SETUP percell_brunel_equal)
add_test(NAME percell_equal_values_give_scalar_bits
         COMMAND spikecheck equal ${out}/brunel_small_np1/spikes.h5 ${out}/percell_brunel_equal_np2/spikes.h5)
set_tests_properties(percell_equal_values_give_scalar_bits
                     PROPERTIES FIXTURES_REQUIRED "brunel_small_np1;percell_brunel_equal")

# Per-cell values that differ (E_L, V_th, V_m, I_e; blocks of lanes with one set and with
# several): the same spikes and V_m report on 1 and 3 ranks, and a checkpoint restart
# (1 -> 3 ranks) continues bit for bit (parameters come from the deck and its files again).
foreach(n 1 3)
  cajal_mpi_run(run_percell_network_np${n} ${n} run ${percell_decks}/percell_network.toml
                --output ${out}/percell_network_np${n} --overwrite --quiet)
  set_tests_properties(run_percell_network_np${n} PROPERTIES FIXTURES_SETUP percell_network_np${n})
endforeach()
add_test(NAME invariance_percell_network_np1_vs_np3
         COMMAND spikecheck equal ${out}/percell_network_np1/spikes.h5 ${out}/percell_network_np3/spikes.h5)
add_test(NAME invariance_percell_network_report_np1_vs_np3
         COMMAND reportcheck equal ${out}/percell_network_np1/report_V_m.h5 ${out}/percell_network_np3/report_V_m.h5)
set_tests_properties(invariance_percell_network_np1_vs_np3 invariance_percell_network_report_np1_vs_np3
                     PROPERTIES FIXTURES_REQUIRED "percell_network_np1;percell_network_np3")
cajal_restart_test(restart_percell_network_np1_to_np3
                   ${percell_decks}/percell_network.toml 1 3 percell_network_np1 200)
