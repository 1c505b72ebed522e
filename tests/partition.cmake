# Random placement by tiles (network/partition.hpp; issue 17, "cluster scale"). Included at
# the end of tests/CMakeLists.txt.

# A measurement tool, not a test: one rank's Partition of a large random population.
add_executable(partition_bench tools/partition_bench.cpp)
target_link_libraries(partition_bench PRIVATE cajal::core)
