# Random placement by tiles (network/partition.hpp; issue 17, "cluster scale"). Included at
# the end of tests/CMakeLists.txt.

# A measurement tool, not a test: one rank's Partition of a large random population.
add_executable(partition_bench tools/partition_bench.cpp)
target_link_libraries(partition_bench PRIVATE cajal::core)

# Unit tests: the ranks' local sets partition every population on 1 .. 7 ranks, owner()
# and position() agree with them, positions do not depend on the rank count, and the
# cells are uniform in their region (chi-square over sub-boxes).
add_executable(cajal_partition_tests unit/kernel_main.cpp unit/test_partition.cpp)
target_link_libraries(cajal_partition_tests PRIVATE cajal::core GTest::gtest)
cajal_arch_flags(cajal_partition_tests)
gtest_discover_tests(cajal_partition_tests DISCOVERY_TIMEOUT 60)
