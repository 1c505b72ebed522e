// GoogleTest main for the kernel and core test binaries: Kokkos alone, no MPI and no
// PETSc (the layers these binaries test use neither). One process, one rank.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);  // takes the --gtest_* arguments out of argv
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    rc = RUN_ALL_TESTS();
  }
  return rc;
}
