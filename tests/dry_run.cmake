# The dry run (`cajal run DECK --dry-run P`, README.md "Sizing a job with --dry-run"): for
# P = 2, 4 and 8 on a random deck (brunel_small) and a spatial one (spatial), the dry run's
# rank has the memory by category of the real run's rank of the same number within 10 %, and
# the same messages per interval (dry_run/check_dry_run.py; the real run reports its ranks'
# figures in summary.json, per_rank). 50 ms of each deck keep each test a few seconds.
# Bad input (--dry-run 0, --rank >= P, --rank alone, --dry-run under mpirun): exit status 2,
# one line (dry_run/check_dry_run_bad.sh). The DryRunCommunicator's collectives:
# unit/test_dry_run.cpp (core's unit tests, no MPI).
target_sources(cajal_core_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_dry_run.cpp)
foreach(deck brunel_small spatial)
  foreach(n 2 4 8)
    add_test(NAME dry_run_${deck}_np${n}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/dry_run/check_dry_run.py ${cajal_exe}
                     ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}/inputs/${deck}.toml ${n} ${out}/dry_run_${deck}_np${n}
                     --set simulation.t_stop=50)
    set_tests_properties(dry_run_${deck}_np${n} PROPERTIES PROCESSORS ${n})
  endforeach()
endforeach()
# --dry-run-peers: in tests/decks/dry_run_slab.toml (P = 16: bricks of 1 x 1 mm, every cutoff
# at most 400 µm) only a brick's neighbours may subscribe to its cells; they fit in the 8
# ranks replayed: exact, and the same messages as the real run. A random deck at P = 8 with 3
# replayed ranks is an estimate (each stands for 2-3 ranks) and still agrees with it.
add_test(NAME dry_run_slab_np16_neighbours
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/dry_run/check_dry_run.py ${cajal_exe}
                 ${MPIEXEC_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/decks/dry_run_slab.toml 16 ${out}/dry_run_slab_np16
                 --peers 8 --exact yes)
set_tests_properties(dry_run_slab_np16_neighbours PROPERTIES PROCESSORS 16)
add_test(NAME dry_run_brunel_small_np8_sampled
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/dry_run/check_dry_run.py ${cajal_exe}
                 ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml 8 ${out}/dry_run_brunel_small_np8_sampled
                 --peers 3 --exact no --set simulation.t_stop=50)
set_tests_properties(dry_run_brunel_small_np8_sampled PROPERTIES PROCESSORS 8)
add_test(NAME dry_run_bad_input
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/dry_run/check_dry_run_bad.sh ${cajal_exe} ${MPIEXEC_EXECUTABLE}
                 ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml)
set_tests_properties(dry_run_bad_input PROPERTIES PROCESSORS 2)
