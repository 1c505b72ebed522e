#pragma once
/// The communicator Cajal runs on.
///
/// Lifecycle: created once by the driver (or a test) from a parent communicator, which it
/// duplicates, so Cajal's messages never mix with the caller's; freed when destroyed.
/// Every method is collective over the communicator unless it says otherwise. Every MPI
/// return code is checked and turned into a `cajal::mpi_error`.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

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

class Communicator {
public:
  /// Duplicates `parent` (collective over parent).
  explicit Communicator(MPI_Comm parent = MPI_COMM_WORLD);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  MPI_Comm raw() const { return comm_; }

  void barrier() const;

  /// Sum / max / min of one value over all ranks.
  template <class T> T sum(T v) const { return reduce(v, MPI_SUM); }
  template <class T> T max(T v) const { return reduce(v, MPI_MAX); }
  template <class T> T min(T v) const { return reduce(v, MPI_MIN); }
  /// Logical "or" of a flag: true on every rank when any rank passed true.
  bool any(bool flag) const { return max<int>(flag ? 1 : 0) != 0; }

  /// Exclusive prefix sum: the sum of `v` over ranks below this one (0 on rank 0).
  template <class T> T exscan(T v) const {
    T out{};
    detail::check(MPI_Exscan(&v, &out, 1, detail::mpi_type<T>(), MPI_SUM, comm_), "MPI_Exscan");
    return rank_ == 0 ? T{} : out;
  }

  /// Each rank contributes one value; every rank gets all of them, in rank order.
  template <class T> std::vector<T> allgather(T v) const {
    std::vector<T> out(size_);
    detail::check(MPI_Allgather(&v, 1, detail::mpi_type<T>(), out.data(), 1,
                                detail::mpi_type<T>(), comm_),
                  "MPI_Allgather");
    return out;
  }

  /// Sends `send[r]` to rank r, returns what each rank sent here, concatenated in rank
  /// order. Used at build time (subscriptions), not in the time loop.
  std::vector<std::uint64_t> alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                       std::vector<int>* recv_counts = nullptr) const;

  /// The string of rank `root`, on every rank.
  std::string broadcast(const std::string& s, int root = 0) const;

  /// Collective agreement on a failure: the `problem` of the lowest rank that has one (a
  /// non-empty string), on every rank; "" when no rank has one.
  std::string first_problem(const std::string& problem) const;

private:
  template <class T> T reduce(T v, MPI_Op op) const {
    static_assert(std::is_arithmetic<T>::value, "reduce of arithmetic types only");
    T out{};
    detail::check(MPI_Allreduce(&v, &out, 1, detail::mpi_type<T>(), op, comm_), "MPI_Allreduce");
    return out;
  }
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

/// A logical "or" over all ranks that overlaps with other work: each call returns the
/// result of the previous call's flags (false the first time) and starts reducing this
/// call's flag. Every rank sees the same answer at the same call, one call late; no rank
/// waits for the others at the call itself (MPI_Iallreduce). Collective: every rank
/// makes the same sequence of calls.
class DeferredAny {
public:
  explicit DeferredAny(const Communicator& comm) : comm_(comm) {}
  ~DeferredAny() { finish(); }
  DeferredAny(const DeferredAny&) = delete;
  DeferredAny& operator=(const DeferredAny&) = delete;

  bool exchange(bool flag);
  /// Completes the reduction in flight, if any.
  void finish();

private:
  const Communicator& comm_;
  MPI_Request req_ = MPI_REQUEST_NULL;
  int local_ = 0, global_ = 0;
};

}  // namespace cajal
