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
