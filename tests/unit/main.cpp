// GoogleTest main for Cajal: one Environment (MPI, Kokkos, PETSc) around all tests; only
// rank 0 prints; the exit status is the worst over all ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include "cajal/parallel/environment.hpp"

int main(int argc, char** argv) {
  int rc = 0;
  {
    cajal::Environment env(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    int local = RUN_ALL_TESTS();
    MPI_Allreduce(&local, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  }
  return rc;
}
