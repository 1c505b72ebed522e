#pragma once
/// The one environment guard: initialises MPI, then Kokkos, then PETSc, and finalises
/// them in reverse order when it goes out of scope. Create exactly one, first thing in
/// main(), before any other Cajal object; destroy it last.
///
/// A program that learns the thread count from its command line (the `cajal` driver's
/// --threads) starts MPI first (`start_compute = false`), parses, then calls start().
#include <string>
#include <vector>

namespace cajal {

class Environment {
public:
  Environment(int& argc, char**& argv, bool start_compute = true);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// Starts Kokkos with `threads` threads per rank (0: the backend's default, which for
  /// OpenMP is OMP_NUM_THREADS or the cores the rank may use) and PETSc. Throws a
  /// usage_error when the backend cannot run `threads` threads (Serial: one).
  void start(int threads = 0);

private:
  bool owns_mpi_ = false, kokkos_ = false, petsc_ = false;
  std::vector<std::string> kokkos_args_;  // the --kokkos-* arguments of the command line
};

}  // namespace cajal
