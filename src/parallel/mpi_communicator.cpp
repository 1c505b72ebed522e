#include "cajal/parallel/mpi_communicator.hpp"

#include "cajal/util/error.hpp"

namespace cajal {

namespace detail {
void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw mpi_error(std::string(call) + " failed: " + std::string(msg, len));
}
}  // namespace detail

namespace {
MPI_Datatype mpi_type(Datatype t) {
  switch (t) {
    case Datatype::int_: return MPI_INT;
    case Datatype::unsigned_: return MPI_UNSIGNED;
    case Datatype::long_: return MPI_LONG;
    case Datatype::long_long: return MPI_LONG_LONG;
    case Datatype::unsigned_long: return MPI_UNSIGNED_LONG;
    case Datatype::unsigned_long_long: return MPI_UNSIGNED_LONG_LONG;
    case Datatype::double_: return MPI_DOUBLE;
  }
  throw mpi_error("no MPI datatype for this element type");
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return MPI_SUM;
    case ReduceOp::max: return MPI_MAX;
    case ReduceOp::min: return MPI_MIN;
  }
  throw mpi_error("no MPI operation for this reduction");
}

int neighbour(int r) { return r == Communicator::no_rank ? MPI_PROC_NULL : r; }

/// An MPI_Iallreduce of one flag; its buffers live here, so they stay put while it runs.
class MpiPendingAny final : public PendingAny {
public:
  MpiPendingAny(bool flag, MPI_Comm comm) : local_(flag ? 1 : 0) {
    detail::check(MPI_Iallreduce(&local_, &global_, 1, MPI_INT, MPI_MAX, comm, &req_), "MPI_Iallreduce");
  }
  ~MpiPendingAny() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && req_ != MPI_REQUEST_NULL) MPI_Wait(&req_, MPI_STATUS_IGNORE);
  }
  bool wait() override {
    if (req_ != MPI_REQUEST_NULL) detail::check(MPI_Wait(&req_, MPI_STATUS_IGNORE), "MPI_Wait");
    return global_ != 0;
  }

private:
  MPI_Request req_ = MPI_REQUEST_NULL;
  int local_ = 0, global_ = 0;
};
}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm parent) : Communicator(0, 1) {
  detail::check(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
  // Errors come back as return codes, which check() turns into exceptions.
  detail::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

MPI_Comm mpi_comm(const Communicator& comm) {
  if (const auto* m = dynamic_cast<const MpiCommunicator*>(&comm)) return m->raw();
  throw error("this part of Cajal runs on MPI, but was given a communicator without MPI", exit_internal);
}

void MpiCommunicator::barrier() const { detail::check(MPI_Barrier(comm_), "MPI_Barrier"); }

int MpiCommunicator::ranks_on_node() const {
  MPI_Comm node = MPI_COMM_NULL;
  detail::check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int n = 1;
  const int rc = MPI_Comm_size(node, &n);
  MPI_Comm_free(&node);
  detail::check(rc, "MPI_Comm_size");
  return n;
}

void MpiCommunicator::allreduce(void* data, std::size_t n, Datatype t, ReduceOp op) const {
  detail::check(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), mpi_type(t), mpi_op(op), comm_),
                "MPI_Allreduce");
}

void MpiCommunicator::exscan_sum(const void* in, void* out, Datatype t) const {
  detail::check(MPI_Exscan(in, out, 1, mpi_type(t), MPI_SUM, comm_), "MPI_Exscan");
}

void MpiCommunicator::allgather_one(const void* in, void* out, Datatype t) const {
  detail::check(MPI_Allgather(in, 1, mpi_type(t), out, 1, mpi_type(t), comm_), "MPI_Allgather");
}

std::vector<std::uint64_t> MpiCommunicator::alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                                      std::vector<int>* recv_counts) const {
  std::vector<int> scount(size_), sdispl(size_), rcount(size_), rdispl(size_);
  std::vector<std::uint64_t> flat;
  std::size_t total = 0;
  for (int r = 0; r < size_; ++r) total += send[r].size();
  flat.reserve(total);
  for (int r = 0; r < size_; ++r) {
    scount[r] = static_cast<int>(send[r].size());
    sdispl[r] = static_cast<int>(flat.size());
    flat.insert(flat.end(), send[r].begin(), send[r].end());
  }
  detail::check(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, comm_),
                "MPI_Alltoall");
  int rtotal = 0;
  for (int r = 0; r < size_; ++r) {
    rdispl[r] = rtotal;
    rtotal += rcount[r];
  }
  std::vector<std::uint64_t> out(rtotal);
  detail::check(MPI_Alltoallv(flat.data(), scount.data(), sdispl.data(), MPI_UINT64_T, out.data(),
                              rcount.data(), rdispl.data(), MPI_UINT64_T, comm_),
                "MPI_Alltoallv");
  if (recv_counts) *recv_counts = rcount;
  return out;
}

std::string MpiCommunicator::broadcast(const std::string& s, int root) const {
  unsigned long long n = s.size();
  detail::check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm_), "MPI_Bcast");
  std::string out = rank_ == root ? s : std::string(n, '\0');
  if (n > 0) detail::check(MPI_Bcast(&out[0], static_cast<int>(n), MPI_CHAR, root, comm_), "MPI_Bcast");
  return out;
}

void MpiCommunicator::sendrecv(const double* send, std::size_t n, int dest, int tag, double* recv,
                               int source) const {
  detail::check(MPI_Sendrecv(send, static_cast<int>(n), MPI_DOUBLE, neighbour(dest), tag, recv,
                             static_cast<int>(n), MPI_DOUBLE, neighbour(source), tag, comm_, MPI_STATUS_IGNORE),
                "MPI_Sendrecv");
}

void MpiCommunicator::allgatherv(const double* send, int count, double* recv, const int* counts,
                                 const int* displs) const {
  detail::check(MPI_Allgatherv(send, count, MPI_DOUBLE, recv, counts, displs, MPI_DOUBLE, comm_),
                "MPI_Allgatherv");
}

void MpiCommunicator::gatherv(const double* send, int count, double* recv, const int* counts, const int* displs,
                              int root) const {
  detail::check(MPI_Gatherv(send, count, MPI_DOUBLE, recv, counts, displs, MPI_DOUBLE, root, comm_), "MPI_Gatherv");
}

void MpiCommunicator::scatterv(const double* send, const int* counts, const int* displs, double* recv, int count,
                               int root) const {
  detail::check(MPI_Scatterv(send, counts, displs, MPI_DOUBLE, recv, count, MPI_DOUBLE, root, comm_),
                "MPI_Scatterv");
}

std::unique_ptr<PendingAny> MpiCommunicator::start_any(bool flag) const {
  return std::make_unique<MpiPendingAny>(flag, comm_);
}

}  // namespace cajal
