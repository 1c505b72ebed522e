#include "cajal/parallel/environment.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>
#include <petscsys.h>

#include <cstring>
#include <string>
#include <vector>

#include "cajal/util/error.hpp"

namespace cajal {

Environment::Environment(int& argc, char**& argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // FUNNELED: only the thread that called main() makes MPI calls (Kokkos' threads never
    // do); an MPI that cannot promise even that is refused rather than trusted.
    const int required = MPI_THREAD_FUNNELED;
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, required, &provided) != MPI_SUCCESS)
      throw mpi_error("MPI_Init_thread failed");
    owns_mpi_ = true;
    if (provided < required) {
      MPI_Finalize();
      throw mpi_error("MPI_Init_thread provided thread level " + std::to_string(provided) +
                      ", below MPI_THREAD_FUNNELED (" + std::to_string(required) +
                      ") which Cajal needs; use an MPI library built with thread support");
    }
  }
  // Kokkos sees only its own --kokkos-* arguments: given the whole command line it would
  // also answer --help (and take --threads and the like) itself.
  std::vector<char*> kargs{argv[0]};
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kokkos-", 9) == 0) kargs.push_back(argv[i]);
  int kargc = static_cast<int>(kargs.size());
  kargs.push_back(nullptr);
  Kokkos::initialize(kargc, kargs.data());
  // PETSc gets no command line (its options come from the deck, prefixed -field_) and
  // no signal handlers: SIGTERM/SIGUSR1 belong to Cajal's checkpoint-and-stop path.
  PetscOptionsSetValue(nullptr, "-no_signal_handler", nullptr);
  if (PetscInitialize(nullptr, nullptr, nullptr, nullptr) != 0)
    throw petsc_error("PetscInitialize failed");
}

Environment::~Environment() {
  PetscFinalize();
  Kokkos::finalize();
  if (owns_mpi_) MPI_Finalize();
}

}  // namespace cajal
