#pragma once
// A communicator that passes every call on to another one and counts the doubles this rank
// sends and receives through the collectives (allgatherv, gatherv, scatterv) and through
// halos (sendrecv): the multigrid's traffic, measured on MPI or on a DryRunCommunicator
// (tests/unit/test_mg_agglomerate.cpp, tests/tools/mg_dry_run.cpp). The multigrid reduces
// single values only, so reductions pass on one value at a time.
#include <cstring>
#include <stdexcept>

#include "cajal/parallel/communicator.hpp"

namespace cajal {

/// Passes every call on to `inner` and counts the doubles this rank receives and sends:
/// through the collectives (allgatherv, gatherv, scatterv) and through halos (sendrecv),
/// and the messages point to point (a rooted collective: one per other rank with data).
class CountingCommunicator final : public Communicator {
public:
  explicit CountingCommunicator(const Communicator& inner) : Communicator(inner.rank(), inner.size()), in_(inner) {}
  mutable std::int64_t coll_recv = 0, coll_sent = 0, halo_recv = 0, halo_sent = 0, allgathers = 0;
  mutable std::int64_t messages_sent = 0, messages_received = 0;
  void reset() const { coll_recv = coll_sent = halo_recv = halo_sent = allgathers = messages_sent = messages_received = 0; }

  void barrier() const override { in_.barrier(); }
  int ranks_on_node() const override { return in_.ranks_on_node(); }
  std::vector<std::uint64_t> alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                       std::vector<std::uint64_t>* recv_counts) const override {
    return in_.alltoallv(send, recv_counts);
  }
  std::string broadcast(const std::string& s, int root) const override { return in_.broadcast(s, root); }
  void sendrecv(const double* send, std::size_t n, int dest, int tag, double* recv, int source) const override {
    if (dest != no_rank) halo_sent += static_cast<std::int64_t>(n), ++messages_sent;
    if (source != no_rank) halo_recv += static_cast<std::int64_t>(n), ++messages_received;
    in_.sendrecv(send, n, dest, tag, recv, source);
  }
  void allgatherv(const double* send, int count, double* recv, const int* counts, const int* displs) const override {
    ++allgathers;
    coll_sent += count;
    for (int q = 0; q < size(); ++q) coll_recv += counts[q];
    in_.allgatherv(send, count, recv, counts, displs);
  }
  void gatherv(const double* send, int count, double* recv, const int* counts, const int* displs,
               int root) const override {
    coll_sent += count;
    if (rank() != root && count > 0) ++messages_sent;
    if (rank() == root)
      for (int q = 0; q < size(); ++q) coll_recv += counts[q], messages_received += q != root && counts[q] > 0;
    in_.gatherv(send, count, recv, counts, displs, root);
  }
  void scatterv(const double* send, const int* counts, const int* displs, double* recv, int count,
                int root) const override {
    coll_recv += count;
    if (rank() != root && count > 0) ++messages_received;
    if (rank() == root)
      for (int q = 0; q < size(); ++q) coll_sent += counts[q], messages_sent += q != root && counts[q] > 0;
    in_.scatterv(send, counts, displs, recv, count, root);
  }
  std::unique_ptr<PendingAny> start_any(bool flag) const override { return in_.start_any(flag); }

protected:
  // The multigrid reduces single values only (the norm's max and its per-rank sums).
  void allreduce(void* data, std::size_t n, Datatype t, ReduceOp op) const override {
    if (n != 1) throw std::logic_error("CountingCommunicator: one value per reduction");
    if (t == Datatype::double_) one<double>(data, op);
    else if (t == Datatype::int_) one<int>(data, op);
    else if (t == Datatype::long_long) one<long long>(data, op);
    else if (t == Datatype::long_) one<long>(data, op);
    else throw std::logic_error("CountingCommunicator: element type not passed on");
  }
  void exscan_sum(const void*, void*, Datatype) const override {
    throw std::logic_error("CountingCommunicator: exscan not passed on");
  }
  void allgather_one(const void* in, void* out, Datatype t) const override {
    if (t == Datatype::long_) gather_one<long>(in, out);
    else if (t == Datatype::long_long) gather_one<long long>(in, out);
    else if (t == Datatype::double_) gather_one<double>(in, out);
    else if (t == Datatype::int_) gather_one<int>(in, out);
    else throw std::logic_error("CountingCommunicator: element type not passed on");
  }

private:
  template <class T> void one(void* data, ReduceOp op) const {
    T v;
    std::memcpy(&v, data, sizeof v);
    v = op == ReduceOp::sum ? in_.sum(v) : op == ReduceOp::max ? in_.max(v) : in_.min(v);
    std::memcpy(data, &v, sizeof v);
  }
  template <class T> void gather_one(const void* in, void* out) const {
    T v;
    std::memcpy(&v, in, sizeof v);
    const std::vector<T> all = in_.allgather(v);
    std::memcpy(out, all.data(), all.size() * sizeof(T));
  }
  const Communicator& in_;
};

}  // namespace cajal
