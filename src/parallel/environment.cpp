#include "cajal/parallel/environment.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>
#include <petscsys.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cajal/util/error.hpp"
#include "util/system.hpp"

namespace cajal {

Environment::Environment(int& argc, char**& argv, bool start_compute) {
  restore_heap_defaults();  // after every library's load-time setup (util/system.hpp)
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // FUNNELED: only the thread that called main() makes MPI calls (Kokkos' threads never
    // do); an MPI that cannot promise even that is refused rather than trusted.
    const int required = MPI_THREAD_FUNNELED;
    int provided = 0;
    // Open MPI (OMPIO): its default collective-write algorithm on a local file system,
    // vulcan, wrote checkpoints at half the speed of dynamic_gen2 (README, Checkpoint
    // I/O), which is what OMPIO takes on Lustre. A choice of the user (mpirun --mca fcoll
    // ..., OMPI_MCA_fcoll) is kept; other MPI libraries ignore the variable, and Open MPI
    // before 4 (no dynamic_gen2) is left with its own default.
#if defined(OPEN_MPI) && OMPI_MAJOR_VERSION >= 4
    setenv("OMPI_MCA_fcoll", "dynamic_gen2", 0);
#endif
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
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kokkos-", 9) == 0) kokkos_args_.emplace_back(argv[i]);
  if (start_compute) start();
}

void Environment::start(int threads) {
  std::vector<std::string> args{"cajal"};
  args.insert(args.end(), kokkos_args_.begin(), kokkos_args_.end());
  // Kokkos' warnings (OMP_PROC_BIND unset, ...) would come from every rank; the README says
  // how to bind threads, and the run header says how many each rank has.
  args.emplace_back("--kokkos-disable-warnings");
#if KOKKOS_VERSION >= 30700
  if (threads > 0) args.push_back("--kokkos-num-threads=" + std::to_string(threads));
#else
  if (threads > 0) args.push_back("--kokkos-threads=" + std::to_string(threads));
#endif
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  char** p = argv.data();
  Kokkos::initialize(argc, p);
  kokkos_ = true;
  const int got = Kokkos::DefaultExecutionSpace().concurrency();
  if (threads > 0 && got != threads && Kokkos::SpaceAccessibility<Kokkos::HostSpace,
                                                                    Kokkos::DefaultExecutionSpace::memory_space>::accessible)
    throw usage_error("command line: --threads " + std::to_string(threads) + ": this cajal's Kokkos backend (" +
                      Kokkos::DefaultExecutionSpace::name() + ") runs " + std::to_string(got) +
                      " thread(s) per rank; threads need a Cajal built against a Kokkos with OpenMP "
                      "(README: Threads), or leave --threads out");
  // PETSc gets no command line (its options come from the deck, prefixed -field_) and
  // no signal handlers: SIGTERM/SIGUSR1 belong to Cajal's checkpoint-and-stop path.
  PetscOptionsSetValue(nullptr, "-no_signal_handler", nullptr);
  if (PetscInitialize(nullptr, nullptr, nullptr, nullptr) != 0)
    throw petsc_error("PetscInitialize failed");
  petsc_ = true;
}

Environment::~Environment() {
  if (petsc_) PetscFinalize();
  if (kokkos_) Kokkos::finalize();
  if (owns_mpi_) MPI_Finalize();
}

}  // namespace cajal
