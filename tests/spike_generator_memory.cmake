# spike_generator times held per rank (issue 17): the deck keeps no list per cell and each
# rank reads only its own cells' times from a two-column spike_file (unit tests); the same
# spikes on 1, 2 and 3 ranks from a deck with such a file.
target_sources(cajal_core_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_spike_generator_memory.cpp)

set(gen_deck ${CMAKE_CURRENT_SOURCE_DIR}/decks/generator_spike_file.toml)
foreach(n 1 2 3)
  cajal_mpi_run(run_generator_spike_file_np${n} ${n} run ${gen_deck} --output ${out}/generator_spike_file_np${n} --overwrite --quiet)
  set_tests_properties(run_generator_spike_file_np${n} PROPERTIES FIXTURES_SETUP generator_spike_file_np${n})
endforeach()
foreach(n 2 3)
  add_test(NAME invariance_generator_spike_file_np1_vs_np${n}
           COMMAND spikecheck equal ${out}/generator_spike_file_np1/spikes.h5 ${out}/generator_spike_file_np${n}/spikes.h5)
  set_tests_properties(invariance_generator_spike_file_np1_vs_np${n}
                       PROPERTIES FIXTURES_REQUIRED "generator_spike_file_np1;generator_spike_file_np${n}")
endforeach()
# Generators need nothing from the checkpoint (the position in a list follows from the
# step): a restart on 3 ranks from a 1-rank checkpoint continues the spikes bit for bit.
cajal_restart_test(restart_generator_spike_file_np1_to_np3 ${gen_deck} 1 3 generator_spike_file_np1 200)
