#pragma once
/// The communicator Cajal runs on: the interface that core and sim are written against.
///
/// Two implementations: `SerialCommunicator` (one rank, no MPI; below) and
/// `MpiCommunicator` (cajal/parallel/mpi_communicator.hpp, the parallel layer). This header
/// includes no MPI, so that the layers below parallel build and run without it.
/// Every method is collective over the communicator unless it says otherwise. The MPI
/// version reduces with the MPI operation of the same name (MPI_SUM, MPI_MAX, MPI_MIN) on
/// the element type itself, so a reduction gives the same bits whichever layer calls it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace cajal {

/// The element types a collective carries (each maps to one MPI datatype).
enum class Datatype { int_, unsigned_, long_, long_long, unsigned_long, unsigned_long_long, double_ };
enum class ReduceOp { sum, max, min };

namespace detail {
template <class T> constexpr Datatype datatype_of();
template <> constexpr Datatype datatype_of<int>() { return Datatype::int_; }
template <> constexpr Datatype datatype_of<unsigned>() { return Datatype::unsigned_; }
template <> constexpr Datatype datatype_of<long>() { return Datatype::long_; }
template <> constexpr Datatype datatype_of<long long>() { return Datatype::long_long; }
template <> constexpr Datatype datatype_of<unsigned long>() { return Datatype::unsigned_long; }
template <> constexpr Datatype datatype_of<unsigned long long>() { return Datatype::unsigned_long_long; }
template <> constexpr Datatype datatype_of<double>() { return Datatype::double_; }
}  // namespace detail

/// A logical "or" in flight (started by Communicator::start_any).
class PendingAny {
public:
  virtual ~PendingAny() = default;
  /// Waits for the reduction and returns its result.
  virtual bool wait() = 0;
};

class Communicator {
public:
  /// A rank that does not exist: a neighbour beyond the box boundary (no message).
  static constexpr int no_rank = -1;

  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  virtual void barrier() const = 0;

  /// How many ranks of this communicator share this rank's node (its memory), this one
  /// included (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED).
  virtual int ranks_on_node() const = 0;

  /// Sum / max / min of one value over all ranks.
  template <class T> T sum(T v) const { return reduce(v, ReduceOp::sum); }
  template <class T> T max(T v) const { return reduce(v, ReduceOp::max); }
  template <class T> T min(T v) const { return reduce(v, ReduceOp::min); }
  /// Logical "or" of a flag: true on every rank when any rank passed true.
  bool any(bool flag) const { return max<int>(flag ? 1 : 0) != 0; }
  /// Element-wise sum over all ranks of `v` (the same length on every rank), in place.
  template <class T> void sum_each(std::vector<T>& v) const {
    static_assert(std::is_integral<T>::value, "sum_each of integers only (exact in any order)");
    sum_each(v.data(), v.size());
  }
  /// The same over n elements at `v`.
  template <class T> void sum_each(T* v, std::size_t n) const {
    static_assert(std::is_integral<T>::value, "sum_each of integers only (exact in any order)");
    allreduce(v, n, detail::datatype_of<T>(), ReduceOp::sum);
  }

  /// Exclusive prefix sum: the sum of `v` over ranks below this one (0 on rank 0).
  template <class T> T exscan(T v) const {
    T out{};
    exscan_sum(&v, &out, detail::datatype_of<T>());
    return rank_ == 0 ? T{} : out;
  }

  /// Each rank contributes one value; every rank gets all of them, in rank order.
  template <class T> std::vector<T> allgather(T v) const {
    std::vector<T> out(size_);
    allgather_one(&v, out.data(), detail::datatype_of<T>());
    return out;
  }

  /// Sends `send[r]` to rank r, returns what each rank sent here, concatenated in rank
  /// order; `recv_counts[r]`: how many came from rank r. Any sizes (64-bit counts). Used at
  /// build time (subscriptions), not in the time loop.
  virtual std::vector<std::uint64_t> alltoallv(const std::vector<std::vector<std::uint64_t>>& send,
                                               std::vector<std::uint64_t>* recv_counts = nullptr) const = 0;

  /// The string of rank `root`, on every rank.
  virtual std::string broadcast(const std::string& s, int root = 0) const = 0;

  /// Collective agreement on a failure: the `problem` of the lowest rank that has one (a
  /// non-empty string), on every rank; "" when no rank has one.
  std::string first_problem(const std::string& problem) const;

  /// Halo exchange (the field's multigrid): sends n doubles to `dest` and receives n from
  /// `source` under `tag`; either may be no_rank. Collective over the ranks involved only.
  virtual void sendrecv(const double* send, std::size_t n, int dest, int tag, double* recv, int source) const = 0;
  /// Gathers `count` doubles of every rank into `recv`: rank r's at displs[r], counts[r] long.
  virtual void allgatherv(const double* send, int count, double* recv, const int* counts,
                          const int* displs) const = 0;
  /// Gathers `count` doubles of every rank into `recv` on rank `root` alone: rank r's at
  /// displs[r], counts[r] long (recv, counts and displs are read on `root` only). The
  /// multigrid's coarse levels, agglomerated onto one rank.
  virtual void gatherv(const double* send, int count, double* recv, const int* counts, const int* displs,
                       int root) const = 0;
  /// The reverse: rank r receives counts[r] doubles of root's `send` from displs[r] into
  /// `recv`, `count` long (send, counts and displs are read on `root` only).
  virtual void scatterv(const double* send, const int* counts, const int* displs, double* recv, int count,
                        int root) const = 0;

  /// Starts a logical "or" of `flag` over all ranks that completes in the background
  /// (DeferredAny).
  virtual std::unique_ptr<PendingAny> start_any(bool flag) const = 0;

protected:
  Communicator(int rank, int size) : rank_(rank), size_(size) {}
  /// In place over n elements of type t (MPI_Allreduce with MPI_IN_PLACE).
  virtual void allreduce(void* data, std::size_t n, Datatype t, ReduceOp op) const = 0;
  virtual void exscan_sum(const void* in, void* out, Datatype t) const = 0;
  virtual void allgather_one(const void* in, void* out, Datatype t) const = 0;
  int rank_ = 0;
  int size_ = 1;

private:
  template <class T> T reduce(T v, ReduceOp op) const {
    static_assert(std::is_arithmetic<T>::value, "reduce of arithmetic types only");
    allreduce(&v, 1, detail::datatype_of<T>(), op);
    return v;
  }
};

/// One rank, no MPI (Arbor's local context): every collective returns this rank's own
/// contribution. Core runs on it in the kernel and core test binaries.
class SerialCommunicator final : public Communicator {
public:
  SerialCommunicator() : Communicator(0, 1) {}
  void barrier() const override {}
  int ranks_on_node() const override { return 1; }
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
  void allreduce(void*, std::size_t, Datatype, ReduceOp) const override {}
  void exscan_sum(const void*, void*, Datatype) const override {}
  void allgather_one(const void* in, void* out, Datatype t) const override;
};

/// Rank `rank` of a `size`-rank job, in one process, no MPI (`cajal run --dry-run`): the
/// build and the time loop run as that rank would, and no message leaves the process. The
/// collectives answer as if every rank were this one: sum, max and min return this rank's
/// value (max and min are right for the most loaded rank; sums are this rank's share),
/// allgather gives this rank's value in every slot, exscan gives rank × this rank's value,
/// broadcast and first_problem this rank's own, alltoallv only what this rank sends
/// itself, sendrecv and allgatherv zeros from other ranks, start_any this rank's flag.
/// The spike exchange recognises it and replaces MPI by a stand-in of the same traffic
/// (exchange/spike_exchange.hpp).
class DryRunCommunicator final : public Communicator {
public:
  /// `peers`: the most other ranks whose connection draws the spike exchange replays to find
  /// the subscriptions to this rank's cells (SpikeExchange; exact when all fit).
  DryRunCommunicator(int rank, int size, int peers = default_peers) : Communicator(rank, size), peers_(peers) {}
  static constexpr int default_peers = 64;
  int peers() const { return peers_; }
  void barrier() const override {}
  int ranks_on_node() const override { return 1; }
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
  void allreduce(void*, std::size_t, Datatype, ReduceOp) const override {}
  void exscan_sum(const void* in, void* out, Datatype t) const override;
  void allgather_one(const void* in, void* out, Datatype t) const override;

private:
  int peers_;
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
  std::unique_ptr<PendingAny> pending_;
};

}  // namespace cajal
