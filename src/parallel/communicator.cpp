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

bool DeferredAny::exchange(bool flag) {
  bool previous = false;
  if (pending_) previous = pending_->wait();
  pending_ = comm_.start_any(flag);
  return previous;
}

void DeferredAny::finish() { pending_.reset(); }

}  // namespace cajal
