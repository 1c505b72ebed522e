# Cluster scale (issue 17): collectives of any size, and the invariants at 16 ranks.
# 16 ranks oversubscribe the cores; the decks stay small so that each run takes seconds.

# Collectives in rounds of pieces (MpiCommunicator::set_piece_limit), on 1, 3 and 16 ranks.
target_sources(cajal_unit_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_comm_pieces.cpp)
foreach(n 1 3 16)
  add_test(NAME unit_comm_pieces_np${n}
           COMMAND ${MPIEXEC_EXECUTABLE} ${CAJAL_MPIEXEC_FLAGS} ${MPIEXEC_NUMPROC_FLAG} ${n}
                   $<TARGET_FILE:cajal_unit_tests> --gtest_filter=CommunicatorPieces.*)
  set_tests_properties(unit_comm_pieces_np${n} PROPERTIES PROCESSORS ${n})
endforeach()

# A random deck (brunel_small) and a spatial one (spatial) on 16 ranks: the spike files of
# their 1-rank runs (the rank-count invariance runs above) bit for bit.
foreach(deck brunel_small spatial)
  cajal_mpi_run(run_${deck}_np16 16 run ${PROJECT_SOURCE_DIR}/inputs/${deck}.toml
                --output ${out}/${deck}_np16 --overwrite --quiet)
  set_tests_properties(run_${deck}_np16 PROPERTIES FIXTURES_SETUP ${deck}_np16)
  add_test(NAME invariance_${deck}_np1_vs_np16
           COMMAND spikecheck equal ${out}/${deck}_np1/spikes.h5 ${out}/${deck}_np16/spikes.h5)
  set_tests_properties(invariance_${deck}_np1_vs_np16 PROPERTIES FIXTURES_REQUIRED "${deck}_np1;${deck}_np16")
endforeach()

# A checkpoint written on 16 ranks, restarted on 3, continues bit for bit.
add_test(NAME restart_brunel_small_np16_to_np3
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_restart.sh ${cajal_exe} ${MPIEXEC_EXECUTABLE}
                 $<TARGET_FILE:spikecheck> ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml 16 3
                 ${out}/brunel_small_np1/spikes.h5 200 $<TARGET_FILE:weightcheck> $<TARGET_FILE:reportcheck>)
set_tests_properties(restart_brunel_small_np16_to_np3 PROPERTIES FIXTURES_REQUIRED brunel_small_np1 PROCESSORS 16)
