// The parts of the communicator interface that need no MPI: what is written in terms of
// the other collectives, and the serial (one-rank) implementation. Part of core.
#include "cajal/parallel/communicator.hpp"

#include <cstring>

#include "cajal/util/error.hpp"

namespace cajal {

std::string Communicator::first_problem(const std::string& problem) const {
  if (!any(!problem.empty())) return {};
  return broadcast(problem, min(problem.empty() ? size() : rank()));
}

std::vector<std::uint64_t> SerialCommunicator::alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                                         std::vector<std::uint64_t>* recv_counts) const {
  if (recv_counts) *recv_counts = {send.at(0).size()};
  return send.at(0);
}

std::string SerialCommunicator::broadcast(const std::string& s, int) const { return s; }

void SerialCommunicator::sendrecv(const double* send, std::size_t n, int dest, int, double* recv,
                                  int source) const {
  // The only rank there is: a message to itself arrives as sent.
  if (dest == 0 && source == 0 && n > 0) std::memmove(recv, send, n * sizeof(double));
  else if ((dest == 0) != (source == 0))
    throw error("SerialCommunicator::sendrecv: a message to or from a rank that does not exist", exit_internal);
}

void SerialCommunicator::allgatherv(const double* send, int count, double* recv, const int*,
                                    const int* displs) const {
  if (count > 0) std::memmove(recv + displs[0], send, static_cast<std::size_t>(count) * sizeof(double));
}

void SerialCommunicator::gatherv(const double* send, int count, double* recv, const int*, const int* displs,
                                 int) const {
  if (count > 0) std::memmove(recv + displs[0], send, static_cast<std::size_t>(count) * sizeof(double));
}

void SerialCommunicator::scatterv(const double* send, const int*, const int* displs, double* recv, int count,
                                  int) const {
  if (count > 0) std::memmove(recv, send + displs[0], static_cast<std::size_t>(count) * sizeof(double));
}

namespace {
class ReadyAny final : public PendingAny {
public:
  explicit ReadyAny(bool flag) : flag_(flag) {}
  bool wait() override { return flag_; }

private:
  bool flag_;
};

std::size_t size_of(Datatype t) {
  switch (t) {
    case Datatype::int_: return sizeof(int);
    case Datatype::unsigned_: return sizeof(unsigned);
    case Datatype::long_: return sizeof(long);
    case Datatype::long_long: return sizeof(long long);
    case Datatype::unsigned_long: return sizeof(unsigned long);
    case Datatype::unsigned_long_long: return sizeof(unsigned long long);
    case Datatype::double_: return sizeof(double);
  }
  return 0;
}
}  // namespace

std::unique_ptr<PendingAny> SerialCommunicator::start_any(bool flag) const { return std::make_unique<ReadyAny>(flag); }

void SerialCommunicator::allgather_one(const void* in, void* out, Datatype t) const {
  std::memcpy(out, in, size_of(t));
}

std::vector<std::uint64_t> DryRunCommunicator::alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                                         std::vector<std::uint64_t>* recv_counts) const {
  const std::vector<std::uint64_t>& own = send.at(static_cast<std::size_t>(rank()));
  if (recv_counts) {
    recv_counts->assign(static_cast<std::size_t>(size()), 0);
    (*recv_counts)[static_cast<std::size_t>(rank())] = own.size();
  }
  return own;
}

std::string DryRunCommunicator::broadcast(const std::string& s, int) const { return s; }

void DryRunCommunicator::sendrecv(const double* send, std::size_t n, int dest, int, double* recv, int source) const {
  if (source == no_rank || n == 0) return;
  if (source == rank() && dest == rank()) std::memmove(recv, send, n * sizeof(double));
  else std::memset(recv, 0, n * sizeof(double));
}

void DryRunCommunicator::allgatherv(const double* send, int count, double* recv, const int* counts,
                                    const int* displs) const {
  for (int r = 0; r < size(); ++r)
    if (r != rank() && counts[r] > 0) std::memset(recv + displs[r], 0, static_cast<std::size_t>(counts[r]) * sizeof(double));
  if (count > 0) std::memmove(recv + displs[rank()], send, static_cast<std::size_t>(count) * sizeof(double));
}

// The multigrid's coarse gather and scatter (field decks, which a dry run refuses today):
// this rank's own block, zeros for the others'.
void DryRunCommunicator::gatherv(const double* send, int count, double* recv, const int* counts, const int* displs,
                                 int root) const {
  if (rank() != root) return;
  for (int r = 0; r < size(); ++r)
    if (r != rank() && counts[r] > 0) std::memset(recv + displs[r], 0, static_cast<std::size_t>(counts[r]) * sizeof(double));
  if (count > 0) std::memmove(recv + displs[rank()], send, static_cast<std::size_t>(count) * sizeof(double));
}

void DryRunCommunicator::scatterv(const double* send, const int*, const int* displs, double* recv, int count,
                                  int root) const {
  if (count <= 0) return;
  if (rank() == root) std::memmove(recv, send + displs[rank()], static_cast<std::size_t>(count) * sizeof(double));
  else std::memset(recv, 0, static_cast<std::size_t>(count) * sizeof(double));
}

std::unique_ptr<PendingAny> DryRunCommunicator::start_any(bool flag) const { return std::make_unique<ReadyAny>(flag); }

namespace {
template <class T> void times_rank(const void* in, void* out, int rank) {
  T v;
  std::memcpy(&v, in, sizeof v);
  v = static_cast<T>(v * static_cast<T>(rank));
  std::memcpy(out, &v, sizeof v);
}
}  // namespace

void DryRunCommunicator::exscan_sum(const void* in, void* out, Datatype t) const {
  switch (t) {
    case Datatype::int_: return times_rank<int>(in, out, rank());
    case Datatype::unsigned_: return times_rank<unsigned>(in, out, rank());
    case Datatype::long_: return times_rank<long>(in, out, rank());
    case Datatype::long_long: return times_rank<long long>(in, out, rank());
    case Datatype::unsigned_long: return times_rank<unsigned long>(in, out, rank());
    case Datatype::unsigned_long_long: return times_rank<unsigned long long>(in, out, rank());
    case Datatype::double_: return times_rank<double>(in, out, rank());
  }
}

void DryRunCommunicator::allgather_one(const void* in, void* out, Datatype t) const {
  const std::size_t n = size_of(t);
  for (int r = 0; r < size(); ++r) std::memcpy(static_cast<char*>(out) + n * static_cast<std::size_t>(r), in, n);
}

bool DeferredAny::exchange(bool flag) {
  bool previous = false;
  if (pending_) previous = pending_->wait();
  pending_ = comm_.start_any(flag);
  return previous;
}

void DeferredAny::finish() { pending_.reset(); }

}  // namespace cajal
