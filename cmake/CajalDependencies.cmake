# Finds every dependency and wraps it in a cajal::ext_* interface target.
# A missing dependency is a hard configure error naming the Debian package.
# With CAJAL_KERNELS_ONLY only what the kernel layer and its tests need is looked for:
# Kokkos, Random123 and GoogleTest (no MPI, PETSc, HDF5, toml11, CLI11 or JSON).

function(cajal_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "Cajal needs ${what}: install the Debian package '${package}' "
                        "(apt-get install ${package}).")
  endif()
endfunction()

if(NOT CAJAL_KERNELS_ONLY)
# --- MPI ---------------------------------------------------------------------
find_package(MPI COMPONENTS C CXX)
cajal_require(MPI_CXX_FOUND "MPI" "libopenmpi-dev openmpi-bin")
add_library(cajal_ext_mpi INTERFACE)
target_link_libraries(cajal_ext_mpi INTERFACE MPI::MPI_CXX MPI::MPI_C)
add_library(cajal::ext_mpi ALIAS cajal_ext_mpi)

# --- PETSc (pkg-config module PETSc) -------------------------------------------
find_package(PkgConfig)
cajal_require(PKG_CONFIG_FOUND "pkg-config" "pkg-config")
pkg_check_modules(PETSC IMPORTED_TARGET PETSc)
cajal_require(PETSC_FOUND "PETSc 3.18" "petsc-dev")
add_library(cajal_ext_petsc INTERFACE)
target_link_libraries(cajal_ext_petsc INTERFACE PkgConfig::PETSC cajal::ext_mpi)
add_library(cajal::ext_petsc ALIAS cajal_ext_petsc)

# --- parallel HDF5 -------------------------------------------------------------
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 COMPONENTS C)
cajal_require(HDF5_FOUND "HDF5" "libhdf5-openmpi-dev")
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "Cajal needs a parallel (MPI-IO) HDF5, but the HDF5 found is serial "
                      "(${HDF5_C_INCLUDE_DIRS}). Install 'libhdf5-openmpi-dev'.")
endif()
add_library(cajal_ext_hdf5 INTERFACE)
if(TARGET HDF5::HDF5)
  target_link_libraries(cajal_ext_hdf5 INTERFACE HDF5::HDF5 cajal::ext_mpi)
else()
  target_include_directories(cajal_ext_hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_link_libraries(cajal_ext_hdf5 INTERFACE ${HDF5_C_LIBRARIES} cajal::ext_mpi)
  target_compile_definitions(cajal_ext_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
endif()
add_library(cajal::ext_hdf5 ALIAS cajal_ext_hdf5)
endif()

# --- Kokkos ----------------------------------------------------------------------
# Debian's Kokkos 3.4 (inside Trilinos) by default; -DKokkos_ROOT=<prefix> picks another
# one (a cluster's Kokkos 4 with OpenMP or CUDA, or cmake/build-kokkos.sh's). No version
# is passed to find_package, so that a Kokkos too old gets the clear message below instead
# of being skipped as "not found" (Debian's version file also accepts only its own major).
find_package(Kokkos)
cajal_require(Kokkos_FOUND "Kokkos" "libtrilinos-kokkos-dev")
# CMake falls back to the system's Kokkos when -DKokkos_ROOT holds none: say so rather
# than build silently against another Kokkos than the one asked for.
if(Kokkos_ROOT)
  get_filename_component(_cajal_kokkos_root "${Kokkos_ROOT}" REALPATH)
  get_filename_component(_cajal_kokkos_dir "${Kokkos_DIR}" REALPATH)
  string(FIND "${_cajal_kokkos_dir}/" "${_cajal_kokkos_root}/" _cajal_at)
  if(NOT _cajal_at EQUAL 0)
    message(FATAL_ERROR "Kokkos_ROOT is ${Kokkos_ROOT}, but the Kokkos found is in ${Kokkos_DIR}: "
                        "no KokkosConfig.cmake under Kokkos_ROOT (expected in <root>/lib/cmake/Kokkos "
                        "or <root>/lib64/cmake/Kokkos).")
  endif()
endif()
if(Kokkos_VERSION VERSION_LESS 3.4)
  message(FATAL_ERROR "Cajal needs Kokkos 3.4 or newer, but the Kokkos found is ${Kokkos_VERSION} "
                      "(${Kokkos_DIR}). Install 'libtrilinos-kokkos-dev' or point -DKokkos_ROOT at a newer one.")
endif()
include(CajalKokkosIncludes)
cajal_repair_kokkos_includes()
# Which backends this Kokkos has: its config sets Kokkos_DEVICES and Kokkos_ENABLE_<DEVICE>.
set(_cajal_kokkos_backends "")
foreach(_dev IN ITEMS SERIAL OPENMP THREADS CUDA HIP SYCL)
  if(Kokkos_ENABLE_${_dev})
    list(APPEND _cajal_kokkos_backends ${_dev})
  endif()
endforeach()
# A host backend with threads (OpenMP, Threads) and no device: the ranks x threads tests
# run (tests/CMakeLists.txt); cached so that CI can check which configuration it built.
set(_cajal_threads OFF)
if((Kokkos_ENABLE_OPENMP OR Kokkos_ENABLE_THREADS) AND NOT (Kokkos_ENABLE_CUDA OR Kokkos_ENABLE_HIP OR Kokkos_ENABLE_SYCL))
  set(_cajal_threads ON)
endif()
set(CAJAL_HOST_THREADS ${_cajal_threads} CACHE INTERNAL "Kokkos has a threaded host backend")
get_target_property(_cajal_kokkos_includes Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "Cajal: Kokkos ${Kokkos_VERSION} from ${Kokkos_DIR}")
string(REPLACE ";" ", " _cajal_kokkos_backends "${_cajal_kokkos_backends}")
message(STATUS "Cajal: Kokkos backends: ${_cajal_kokkos_backends}")
message(STATUS "Cajal: Kokkos include folders: ${_cajal_kokkos_includes}")
add_library(cajal_ext_kokkos INTERFACE)
target_link_libraries(cajal_ext_kokkos INTERFACE Kokkos::kokkos)
add_library(cajal::ext_kokkos ALIAS cajal_ext_kokkos)

# --- header-only and small libraries -------------------------------------------
find_path(CAJAL_RANDOM123_INCLUDE_DIR Random123/philox.h)
cajal_require(CAJAL_RANDOM123_INCLUDE_DIR "Random123" "librandom123-dev")
add_library(cajal_ext_random123 INTERFACE)
target_include_directories(cajal_ext_random123 SYSTEM INTERFACE ${CAJAL_RANDOM123_INCLUDE_DIR})
add_library(cajal::ext_random123 ALIAS cajal_ext_random123)

if(NOT CAJAL_KERNELS_ONLY)
find_package(toml11 CONFIG)
cajal_require(toml11_FOUND "toml11" "libtoml11-dev")
find_package(CLI11 CONFIG)
cajal_require(CLI11_FOUND "CLI11" "libcli11-dev")
find_package(nlohmann_json CONFIG)
cajal_require(nlohmann_json_FOUND "nlohmann JSON" "nlohmann-json3-dev")

add_library(cajal_ext_toml INTERFACE)
target_link_libraries(cajal_ext_toml INTERFACE toml11::toml11)
add_library(cajal::ext_toml ALIAS cajal_ext_toml)

add_library(cajal_ext_cli INTERFACE)
target_link_libraries(cajal_ext_cli INTERFACE CLI11::CLI11)
add_library(cajal::ext_cli ALIAS cajal_ext_cli)

add_library(cajal_ext_json INTERFACE)
target_link_libraries(cajal_ext_json INTERFACE nlohmann_json::nlohmann_json)
add_library(cajal::ext_json ALIAS cajal_ext_json)

endif()

# --- tests (not looked for with -DBUILD_TESTING=OFF: an installation without its tests) -----
if(NOT DEFINED BUILD_TESTING OR BUILD_TESTING)
  find_package(GTest)
  cajal_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()
