// Communicator collectives at any rank count (run by ctest on 1 and 3 ranks).
#include <gtest/gtest.h>

#include "cajal/parallel/mpi_communicator.hpp"

TEST(Communicator, ReductionsAndScan) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const int P = comm.size(), r = comm.rank();
  EXPECT_EQ(comm.sum(r + 1), P * (P + 1) / 2);
  EXPECT_EQ(comm.max(r), P - 1);
  EXPECT_EQ(comm.min(r), 0);
  EXPECT_EQ(comm.exscan<long long>(r + 1), static_cast<long long>(r) * (r + 1) / 2);
  EXPECT_EQ(comm.any(r == P - 1), true);
  EXPECT_EQ(comm.any(false), false);
  EXPECT_EQ(comm.broadcast(r == P - 1 ? "from the last" : "", P - 1), "from the last");
}

// Each rank raises the flag at its own call; every rank sees the "or" one call later.
TEST(Communicator, DeferredAnyAgreesOneCallLate) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const int P = comm.size(), r = comm.rank();
  cajal::DeferredAny flag(comm);
  EXPECT_FALSE(flag.exchange(false));  // nothing reduced yet
  for (int call = 0; call < P + 2; ++call) {
    const bool seen = flag.exchange(call == r + 1);
    EXPECT_EQ(seen, call >= 2 && call - 2 < P) << "call " << call;
  }
  flag.finish();
}
