#include "cajal/parallel/communicator.hpp"

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

Communicator::Communicator(MPI_Comm parent) {
  detail::check(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
  // Errors come back as return codes, which check() turns into exceptions.
  detail::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

Communicator::~Communicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Communicator::barrier() const { detail::check(MPI_Barrier(comm_), "MPI_Barrier"); }

std::vector<std::uint64_t> Communicator::alltoallv(
    const std::vector<std::vector<std::uint64_t>>& send, std::vector<int>* recv_counts) const {
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

std::string Communicator::first_problem(const std::string& problem) const {
  if (!any(!problem.empty())) return {};
  return broadcast(problem, min(problem.empty() ? size() : rank()));
}

std::string Communicator::broadcast(const std::string& s, int root) const {
  unsigned long long n = s.size();
  detail::check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm_), "MPI_Bcast");
  std::string out = rank_ == root ? s : std::string(n, '\0');
  if (n > 0) detail::check(MPI_Bcast(&out[0], static_cast<int>(n), MPI_CHAR, root, comm_), "MPI_Bcast");
  return out;
}

bool DeferredAny::exchange(bool flag) {
  bool previous = false;
  if (req_ != MPI_REQUEST_NULL) {
    detail::check(MPI_Wait(&req_, MPI_STATUS_IGNORE), "MPI_Wait");
    previous = global_ != 0;
  }
  local_ = flag ? 1 : 0;
  detail::check(MPI_Iallreduce(&local_, &global_, 1, MPI_INT, MPI_MAX, comm_.raw(), &req_), "MPI_Iallreduce");
  return previous;
}

void DeferredAny::finish() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && req_ != MPI_REQUEST_NULL) MPI_Wait(&req_, MPI_STATUS_IGNORE);
  req_ = MPI_REQUEST_NULL;
}

}  // namespace cajal
