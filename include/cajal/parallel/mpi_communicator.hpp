#pragma once
/// The MPI implementation of the communicator interface (the parallel layer), and what the
/// MPI-using layers (io, field, exchange) need besides: the raw MPI_Comm and a checked call.
///
/// Lifecycle: created once by the driver (or a test) from a parent communicator, which it
/// duplicates, so Cajal's messages never mix with the caller's; freed when destroyed.
/// Every MPI return code is checked and turned into a `cajal::mpi_error`.
#include <mpi.h>

#include "cajal/parallel/communicator.hpp"

namespace cajal {

namespace detail {
template <class T> MPI_Datatype mpi_type();
template <> inline MPI_Datatype mpi_type<int>() { return MPI_INT; }
template <> inline MPI_Datatype mpi_type<unsigned>() { return MPI_UNSIGNED; }
template <> inline MPI_Datatype mpi_type<long>() { return MPI_LONG; }
template <> inline MPI_Datatype mpi_type<long long>() { return MPI_LONG_LONG; }
template <> inline MPI_Datatype mpi_type<unsigned long>() { return MPI_UNSIGNED_LONG; }
template <> inline MPI_Datatype mpi_type<unsigned long long>() { return MPI_UNSIGNED_LONG_LONG; }
template <> inline MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }
template <> inline MPI_Datatype mpi_type<char>() { return MPI_CHAR; }
void check(int rc, const char* call);
}  // namespace detail

class MpiCommunicator final : public Communicator {
public:
  /// Duplicates `parent` (collective over parent).
  explicit MpiCommunicator(MPI_Comm parent = MPI_COMM_WORLD);
  ~MpiCommunicator() override;

  MPI_Comm raw() const { return comm_; }

  /// The most elements one message of a collective carries (MPI counts and displacements
  /// are int): larger exchanges go in rounds of pieces this long. Default and upper bound:
  /// what keeps every count and displacement of a round below INT_MAX. Tests set a small
  /// one to run the pieced path on small data.
  void set_piece_limit(std::size_t elements);

  void barrier() const override;
  int ranks_on_node() const override;
  std::vector<std::uint64_t> alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                       std::vector<std::uint64_t>* recv_counts = nullptr) const override;
  std::string broadcast(const std::string& s, int root = 0) const override;
  void sendrecv(const double* send, std::size_t n, int dest, int tag, double* recv, int source) const override;
  void allgatherv(const double* send, int count, double* recv, const int* counts,
                  const int* displs) const override;
  void gatherv(const double* send, int count, double* recv, const int* counts, const int* displs,
               int root) const override;
  void scatterv(const double* send, const int* counts, const int* displs, double* recv, int count,
                int root) const override;
  std::unique_ptr<PendingAny> start_any(bool flag) const override;

protected:
  void allreduce(void* data, std::size_t n, Datatype t, ReduceOp op) const override;
  void exscan_sum(const void* in, void* out, Datatype t) const override;
  void allgather_one(const void* in, void* out, Datatype t) const override;

private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::size_t piece_limit_ = 0;  // 0: the default
  std::size_t piece() const;
};

/// The MPI communicator behind `comm`, for the layers that call MPI, PETSc or MPI-IO
/// themselves; throws an internal error when `comm` is not an MpiCommunicator.
MPI_Comm mpi_comm(const Communicator& comm);

}  // namespace cajal
