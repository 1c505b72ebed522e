// DryRunCommunicator (cajal/parallel/communicator.hpp): rank r of P in one process, whose
// collectives answer as if every rank were this one. The values below are the contract the
// dry run's build relies on (its header lists them).
#include <gtest/gtest.h>

#include "cajal/parallel/communicator.hpp"

namespace {

TEST(DryRunCommunicator, IsRankROfP) {
  const cajal::DryRunCommunicator c(5, 8);
  EXPECT_EQ(c.rank(), 5);
  EXPECT_EQ(c.size(), 8);
  EXPECT_FALSE(c.is_root());
  EXPECT_EQ(c.ranks_on_node(), 1);
}

TEST(DryRunCommunicator, ReductionsReturnThisRanksValue) {
  const cajal::DryRunCommunicator c(3, 4);
  EXPECT_EQ(c.sum<long long>(7), 7);
  EXPECT_EQ(c.max(2.5), 2.5);
  EXPECT_EQ(c.min<int>(-1), -1);
  EXPECT_TRUE(c.any(true));
  EXPECT_FALSE(c.any(false));
  std::vector<unsigned long long> v{1, 2};
  c.sum_each(v);
  EXPECT_EQ(v, (std::vector<unsigned long long>{1, 2}));
}

TEST(DryRunCommunicator, ExscanAndAllgatherAsIfEveryRankWereThisOne) {
  const cajal::DryRunCommunicator c(3, 4);
  EXPECT_EQ(c.exscan<unsigned long long>(10), 30u);  // ranks 0, 1, 2 below, 10 each
  EXPECT_EQ(cajal::DryRunCommunicator(0, 4).exscan<int>(10), 0);
  EXPECT_EQ(c.allgather<int>(9), (std::vector<int>{9, 9, 9, 9}));
}

TEST(DryRunCommunicator, MessagesStayInTheProcess) {
  const cajal::DryRunCommunicator c(1, 3);
  std::vector<std::uint64_t> counts;
  const auto got = c.alltoallv({{7}, {8, 9}, {10}}, &counts);
  EXPECT_EQ(got, (std::vector<std::uint64_t>{8, 9}));  // what rank 1 sent itself
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{0, 2, 0}));
  EXPECT_EQ(c.broadcast("x", 0), "x");
  EXPECT_EQ(c.first_problem(""), "");
  EXPECT_EQ(c.first_problem("bad"), "bad");
  double send[2] = {1, 2}, recv[2] = {5, 5};
  c.sendrecv(send, 2, 2, 0, recv, 0);
  EXPECT_EQ(recv[0], 0.0);  // from another rank: zeros
  double all[3] = {5, 5, 5};
  const int cnt[3] = {1, 1, 1}, disp[3] = {0, 1, 2};
  c.allgatherv(send, 1, all, cnt, disp);
  EXPECT_EQ(all[0], 0.0);
  EXPECT_EQ(all[1], 1.0);
  EXPECT_EQ(all[2], 0.0);
  cajal::DeferredAny flag(c);
  EXPECT_FALSE(flag.exchange(true));
  EXPECT_TRUE(flag.exchange(false));
}

}  // namespace
