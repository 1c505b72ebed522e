# cajal_repair_kokkos_includes(): after find_package(Kokkos). Used by Cajal's build and by
# the installed CajalConfig.cmake (a project that links Cajal::cajal meets the same Kokkos).
#
# Debian's Kokkos::kokkos points its includes at a folder that does not exist (the
# Trilinos config computes <prefix>/lib/include). Repair only that case, so that any other
# Kokkos keeps its own include folders and is never mixed with /usr/include/trilinos.
function(cajal_repair_kokkos_includes)
  get_target_property(_includes Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
  set(_config_found FALSE)
  foreach(_dir IN LISTS _includes)
    if(EXISTS "${_dir}/KokkosCore_config.h")
      set(_config_found TRUE)
    endif()
  endforeach()
  if(NOT _config_found AND Kokkos_VERSION VERSION_LESS 4)
    find_path(CAJAL_KOKKOS_INCLUDE_DIR KokkosCore_config.h PATH_SUFFIXES trilinos)
    if(CAJAL_KOKKOS_INCLUDE_DIR)
      set_target_properties(Kokkos::kokkos PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${CAJAL_KOKKOS_INCLUDE_DIR}")
    endif()
  endif()
endfunction()
