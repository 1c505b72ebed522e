#pragma once
/// The one environment guard: initialises MPI, then Kokkos, then PETSc, and finalises
/// them in reverse order when it goes out of scope. Create exactly one, first thing in
/// main(), before any other Cajal object; destroy it last.
#include <memory>

namespace cajal {

class Environment {
public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

private:
  bool owns_mpi_ = false;
};

}  // namespace cajal
