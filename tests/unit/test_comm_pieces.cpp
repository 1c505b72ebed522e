// Collectives that move more than an MPI count (int) holds go in rounds of pieces
// (MpiCommunicator::set_piece_limit). A piece limit of a few elements runs the same code
// on small data: every element must arrive where one unpieced collective puts it (run by
// ctest on 1, 3 and 16 ranks).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cajal/parallel/mpi_communicator.hpp"

namespace {
// What rank s sends to rank r: (s, r, i) packed, a length that varies with the pair,
// zero for some pairs, longer than several pieces for others.
std::size_t length(int s, int r) { return static_cast<std::size_t>((7 * s + 3 * r + 1) % 11); }
std::uint64_t element(int s, int r, std::size_t i) {
  return (static_cast<std::uint64_t>(s) << 40) | (static_cast<std::uint64_t>(r) << 20) | i;
}

void expect_alltoallv(cajal::MpiCommunicator& comm, std::size_t limit) {
  const int P = comm.size(), me = comm.rank();
  comm.set_piece_limit(limit);
  std::vector<std::vector<std::uint64_t>> send(P);
  for (int r = 0; r < P; ++r)
    for (std::size_t i = 0; i < length(me, r); ++i) send[r].push_back(element(me, r, i));
  std::vector<std::uint64_t> counts;
  const std::vector<std::uint64_t> got = comm.alltoallv(send, &counts);
  std::vector<std::uint64_t> want;
  for (int s = 0; s < P; ++s) {
    EXPECT_EQ(counts.at(s), length(s, me)) << "from rank " << s << ", piece limit " << limit;
    for (std::size_t i = 0; i < length(s, me); ++i) want.push_back(element(s, me, i));
  }
  EXPECT_EQ(got, want) << "piece limit " << limit;
  comm.set_piece_limit(0);
}
}  // namespace

TEST(CommunicatorPieces, AlltoallvInRoundsOfPieces) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  expect_alltoallv(comm, 0);  // the default: one round
  for (std::size_t limit : {1, 2, 3, 10, 11}) expect_alltoallv(comm, limit);
}

TEST(CommunicatorPieces, SumEachAndBroadcastInPieces) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const int P = comm.size(), me = comm.rank();
  comm.set_piece_limit(3);
  std::vector<long long> v(8);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<long long>((me + 1) * (i + 1));
  comm.sum_each(v);
  for (std::size_t i = 0; i < v.size(); ++i)
    EXPECT_EQ(v[i], static_cast<long long>(P) * (P + 1) / 2 * static_cast<long long>(i + 1)) << "element " << i;
  const std::string text = "a message of several pieces, from the last rank";
  EXPECT_EQ(comm.broadcast(me == P - 1 ? text : std::string(), P - 1), text);
  comm.set_piece_limit(0);
}
