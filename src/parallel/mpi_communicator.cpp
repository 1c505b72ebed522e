#include "cajal/parallel/mpi_communicator.hpp"

#include <algorithm>
#include <climits>

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
  // In pieces below INT_MAX elements (an MPI count is an int).
  int bytes = 0;
  detail::check(MPI_Type_size(mpi_type(t), &bytes), "MPI_Type_size");
  for (std::size_t at = 0; at < n; at += piece())
    detail::check(MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + at * static_cast<std::size_t>(bytes),
                                static_cast<int>(std::min(piece(), n - at)), mpi_type(t), mpi_op(op), comm_),
                  "MPI_Allreduce");
}

void MpiCommunicator::exscan_sum(const void* in, void* out, Datatype t) const {
  detail::check(MPI_Exscan(in, out, 1, mpi_type(t), MPI_SUM, comm_), "MPI_Exscan");
}

void MpiCommunicator::allgather_one(const void* in, void* out, Datatype t) const {
  detail::check(MPI_Allgather(in, 1, mpi_type(t), out, 1, mpi_type(t), comm_), "MPI_Allgather");
}

void MpiCommunicator::set_piece_limit(std::size_t elements) { piece_limit_ = elements; }

std::size_t MpiCommunicator::piece() const {
  const std::size_t most = INT_MAX;
  return piece_limit_ > 0 ? std::min(piece_limit_, most) : most;
}

std::vector<std::uint64_t> MpiCommunicator::alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                                      std::vector<std::uint64_t>* recv_counts) const {
  const std::size_t P = static_cast<std::size_t>(size_);
  std::vector<std::uint64_t> scount(P), rcount(P), rstart(P + 1, 0);
  for (std::size_t r = 0; r < P; ++r) scount[r] = send[r].size();
  // The counts first, as 64-bit numbers; then the data in rounds in which every pair moves
  // at most `each` elements, so that a round's counts and displacements (int) stay below
  // INT_MAX however much the whole exchange holds.
  detail::check(MPI_Alltoall(scount.data(), 1, MPI_UINT64_T, rcount.data(), 1, MPI_UINT64_T, comm_), "MPI_Alltoall");
  std::uint64_t longest = 0;
  for (std::size_t r = 0; r < P; ++r) {
    rstart[r + 1] = rstart[r] + rcount[r];
    longest = std::max({longest, scount[r], rcount[r]});
  }
  const std::uint64_t each = std::max<std::size_t>(1, std::min(piece(), static_cast<std::size_t>(INT_MAX) / P));
  const std::uint64_t rounds = (max<unsigned long long>(longest) + each - 1) / each;
  std::vector<std::uint64_t> out(rstart[P]);
  std::vector<int> sc(P), sd(P), rc(P), rd(P);
  std::vector<std::uint64_t> sbuf, rbuf;
  // In one round the data arrive in place; in several, each round's go through rbuf.
  const bool direct = rounds == 1;
  auto part = [each](std::uint64_t count, std::uint64_t from) {
    return static_cast<int>(count > from ? std::min(each, count - from) : 0);
  };
  for (std::uint64_t k = 0; k < rounds; ++k) {
    const std::uint64_t from = k * each;
    int st = 0, rt = 0;
    sbuf.clear();
    for (std::size_t r = 0; r < P; ++r) {
      sc[r] = part(scount[r], from), sd[r] = st, st += sc[r];
      sbuf.insert(sbuf.end(), send[r].begin() + static_cast<std::ptrdiff_t>(std::min(from, scount[r])),
                  send[r].begin() + static_cast<std::ptrdiff_t>(std::min(from, scount[r]) + sc[r]));
      rc[r] = part(rcount[r], from), rd[r] = direct ? static_cast<int>(rstart[r]) : rt, rt += rc[r];
    }
    if (!direct) rbuf.resize(static_cast<std::size_t>(rt));
    detail::check(MPI_Alltoallv(sbuf.data(), sc.data(), sd.data(), MPI_UINT64_T, direct ? out.data() : rbuf.data(),
                                rc.data(), rd.data(), MPI_UINT64_T, comm_),
                  "MPI_Alltoallv");
    if (direct) continue;
    for (std::size_t r = 0; r < P; ++r)
      std::copy(rbuf.begin() + rd[r], rbuf.begin() + rd[r] + rc[r],
                out.begin() + static_cast<std::ptrdiff_t>(rstart[r] + from));
  }
  if (recv_counts) *recv_counts = rcount;
  return out;
}

std::string MpiCommunicator::broadcast(const std::string& s, int root) const {
  unsigned long long n = s.size();
  detail::check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm_), "MPI_Bcast");
  std::string out = rank_ == root ? s : std::string(n, '\0');
  for (std::size_t at = 0; at < n; at += piece())
    detail::check(MPI_Bcast(&out[at], static_cast<int>(std::min<std::size_t>(piece(), n - at)), MPI_CHAR, root, comm_),
                  "MPI_Bcast");
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
