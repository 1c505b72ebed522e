# Cajal issue 17 (cluster scale): the network build's memory follows the rank's own targets,
# not the source populations (tests/unit/test_conn_scale.cpp). Its own binary, on core and
# the Kokkos-only main: it replaces the global operator new to count the build's heap.
add_executable(cajal_conn_scale_tests
  unit/kernel_main.cpp
  unit/test_conn_scale.cpp)
target_link_libraries(cajal_conn_scale_tests PRIVATE cajal::core GTest::gtest)
cajal_arch_flags(cajal_conn_scale_tests)
gtest_discover_tests(cajal_conn_scale_tests DISCOVERY_TIMEOUT 60)
