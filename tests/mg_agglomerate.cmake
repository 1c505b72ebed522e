# --- the multigrid's coarse levels agglomerated onto one rank (issue 17) --------------------
# A V-cycle, a W-cycle and a full-multigrid cycle on 1 to 4 ranks against the same multigrid
# on one rank, bit for bit, and per V-cycle what each rank received (a counting
# communicator): a rank other than the aggregator gets its window of the coarse correction,
# never a whole gathered level (tests/unit/test_mg_agglomerate.cpp).
add_executable(cajal_mg_tests unit/main.cpp unit/test_mg_agglomerate.cpp)
target_link_libraries(cajal_mg_tests PRIVATE cajal::cajal cajal::multigrid GTest::gtest)
cajal_arch_flags(cajal_mg_tests)
foreach(n 1 2 3 4)
  add_test(NAME mg_agglomerate_np${n}
           COMMAND ${MPIEXEC_EXECUTABLE} ${CAJAL_MPIEXEC_FLAGS} ${MPIEXEC_NUMPROC_FLAG} ${n}
                   $<TARGET_FILE:cajal_mg_tests>)
  set_tests_properties(mg_agglomerate_np${n} PROPERTIES PROCESSORS ${n})
endforeach()
# mg_dry_run: the multigrid of rank r of P in one process (DryRunCommunicator, counted), for
# the cluster-scale figures (README.md, "Sizing a job with --dry-run"); the test above checks
# its counts against MPI runs. Run here on a small case so that it stays built and working.
add_executable(mg_dry_run tools/mg_dry_run.cpp)
target_link_libraries(mg_dry_run PRIVATE cajal::cajal cajal::multigrid)
cajal_arch_flags(mg_dry_run)
add_test(NAME mg_dry_run_small COMMAND $<TARGET_FILE:mg_dry_run> 64 64 64 64 1)
set_tests_properties(mg_dry_run_small PROPERTIES PASS_REGULAR_EXPRESSION "coarse gather/scatter B")
