# `cmake --install`: the `cajal` program and `cajal-plot` (drivers/, tools/), and for other
# CMake projects the public headers (include/cajal), Cajal's libraries and
# <libdir>/cmake/Cajal/CajalConfig.cmake, so that
#
#   find_package(Cajal REQUIRED)
#   target_link_libraries(app PRIVATE Cajal::cajal)
#
# works with -DCajal_ROOT=<prefix> (or <prefix> in CMAKE_PREFIX_PATH).
#
# The layers are static libraries, so Cajal::cajal carries every layer below it and every
# dependency (Kokkos, MPI, parallel HDF5, PETSc, toml11, nlohmann JSON) in its link
# interface; CajalConfig.cmake finds them again as this build found them
# (cmake/CajalDependencies.cmake), preferring the Kokkos this Cajal was built with.
# The kernel headers (src/) are not installed: the headers of include/cajal need no Kokkos.
include(CMakePackageConfigHelpers)

set(_cajal_export_targets
  cajal cajal_core cajal_kernels cajal_parallel cajal_io cajal_multigrid cajal_field cajal_exchange
  cajal_ext_kokkos cajal_ext_random123 cajal_ext_mpi cajal_ext_hdf5 cajal_ext_petsc cajal_ext_toml
  cajal_ext_json)
# Exported as Cajal::cajal, Cajal::core, Cajal::kernels, ..., Cajal::ext_mpi, ...
foreach(_t IN LISTS _cajal_export_targets)
  string(REGEX REPLACE "^cajal_" "" _name "${_t}")
  set_target_properties(${_t} PROPERTIES EXPORT_NAME ${_name})
endforeach()

install(TARGETS ${_cajal_export_targets} EXPORT CajalTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/cajal DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(CAJAL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Cajal)
install(EXPORT CajalTargets NAMESPACE Cajal:: FILE CajalTargets.cmake DESTINATION ${CAJAL_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CajalConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CajalConfig.cmake INSTALL_DESTINATION ${CAJAL_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/CajalConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CajalConfig.cmake ${PROJECT_BINARY_DIR}/CajalConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/CajalKokkosIncludes.cmake DESTINATION ${CAJAL_INSTALL_CMAKEDIR})
