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

# A random deck (brunel_small) and a spatial one (spatial), cut to 50 ms (16 ranks on a few
# cores spend their time starting and communicating): the spike files of 1 and 16 ranks
# bit for bit.
foreach(deck brunel_small spatial)
  foreach(n 1 16)
    cajal_mpi_run(run_${deck}_short_np${n} ${n} run ${PROJECT_SOURCE_DIR}/inputs/${deck}.toml
                  --output ${out}/${deck}_short_np${n} --overwrite --quiet --set simulation.t_stop=50)
    set_tests_properties(run_${deck}_short_np${n} PROPERTIES FIXTURES_SETUP ${deck}_short_np${n})
  endforeach()
  add_test(NAME invariance_${deck}_np1_vs_np16
           COMMAND spikecheck equal ${out}/${deck}_short_np1/spikes.h5 ${out}/${deck}_short_np16/spikes.h5)
  set_tests_properties(invariance_${deck}_np1_vs_np16
                       PROPERTIES FIXTURES_REQUIRED "${deck}_short_np1;${deck}_short_np16")
endforeach()

# A checkpoint written on 16 ranks, restarted on 3, continues bit for bit (the 1-rank run
# to 50 ms the reference).
cajal_restart_test(restart_brunel_small_np16_to_np3
                   ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml 16 3 brunel_small_short_np1 50)

# The branching factor of summary.json, reduced over ranks in blocks of 256 intervals
# (SpikeCounts): brunel_small to 1000 ms (667 intervals, three blocks, the last one partial)
# on 1 and 3 ranks gives the values of the reference binary (main before issue 17, which kept
# every interval's counts) bit for bit.
set(branching_brunel_small_1000 exc=1.0645101080745694,1.0543425800764552 inh=1.1649658464733852,1.1571540686027915)
foreach(n 1 3)
  cajal_mpi_run(run_brunel_small_1000_np${n} ${n} run ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml
                --output ${out}/brunel_small_1000_np${n} --overwrite --quiet --set simulation.t_stop=1000)
  set_tests_properties(run_brunel_small_1000_np${n} PROPERTIES FIXTURES_SETUP brunel_small_1000_np${n})
  add_test(NAME branching_brunel_small_1000_np${n}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_branching.py
                   ${out}/brunel_small_1000_np${n}/summary.json ${branching_brunel_small_1000})
  set_tests_properties(branching_brunel_small_1000_np${n} PROPERTIES FIXTURES_REQUIRED brunel_small_1000_np${n})
endforeach()

# The field on 16 ranks: field_poisson at 8^3 voxels in reproducible mode (Richardson with
# the multigrid's exact residual norms, Multigrid::exact_norm, summed over ranks in one
# integer Allreduce): the snapshots of 1 and 16 ranks bit for bit (16 subdomains of 32
# voxels).
foreach(n 1 16)
  cajal_mpi_run(run_field_poisson_8_np${n} ${n} run ${PROJECT_SOURCE_DIR}/inputs/field_poisson.toml
                --output ${out}/field_poisson_8_np${n} --overwrite --quiet
                --set field.voxel=160 --set field.mode="reproducible")
  set_tests_properties(run_field_poisson_8_np${n} PROPERTIES FIXTURES_SETUP field_poisson_8_np${n})
endforeach()
add_test(NAME invariance_field_poisson_8_np1_vs_np16
         COMMAND fieldcheck equal ${out}/field_poisson_8_np1/field.h5 ${out}/field_poisson_8_np16/field.h5)
set_tests_properties(invariance_field_poisson_8_np1_vs_np16
                     PROPERTIES FIXTURES_REQUIRED "field_poisson_8_np1;field_poisson_8_np16")
