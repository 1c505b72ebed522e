// What the layering rests on: core's brick grid is the one MPI gives, and the serial
// communicator answers as one MPI rank does.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"

// Core cuts the box without MPI; the rank-count invariance tests and every checkpoint's
// layout assume the grid MPI_Dims_create made before core stopped calling it.
TEST(Partition, BrickGridEqualsMpiDimsCreate) {
  for (int n = 1; n <= 4096; ++n) {
    int dims[3] = {0, 0, 0};
    ASSERT_EQ(MPI_Dims_create(n, 3, dims), MPI_SUCCESS);
    const std::array<int, 3> mine = cajal::brick_grid(n);
    ASSERT_EQ(mine[0], dims[0]) << n;
    ASSERT_EQ(mine[1], dims[1]) << n;
    ASSERT_EQ(mine[2], dims[2]) << n;
  }
}

TEST(Communicator, SerialIsOneRank) {
  const cajal::SerialCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  EXPECT_TRUE(comm.is_root());
  EXPECT_EQ(comm.sum(2.5), 2.5);
  EXPECT_EQ(comm.max<long long>(-7), -7);
  EXPECT_EQ(comm.exscan<unsigned long long>(9), 0u);
  EXPECT_EQ(comm.allgather<long>(4), std::vector<long>{4});
  std::vector<std::uint32_t> v{1, 2, 3};
  comm.sum_each(v);
  EXPECT_EQ(v, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(comm.alltoallv({{5, 6}}), (std::vector<std::uint64_t>{5, 6}));
  EXPECT_EQ(comm.first_problem(""), "");
  EXPECT_EQ(comm.first_problem("bad"), "bad");
  cajal::DeferredAny flag(comm);
  EXPECT_FALSE(flag.exchange(true));
  EXPECT_TRUE(flag.exchange(false));
  EXPECT_FALSE(flag.exchange(false));
}
