# Compiler flags of Cajal's own targets.
#
# The model kernels run SIMD lanes over cells; the instruction set is the build machine's
# by default (as GROMACS and LAMMPS build). Set CAJAL_ARCH to the compute nodes' -march
# value when building on a different kind of node, or to OFF for the compiler's default.
set(CAJAL_ARCH "native" CACHE STRING "-march= value for Cajal's code (OFF: the compiler's default)")

# cajal_arch_flags(TARGET...): -march=CAJAL_ARCH, PRIVATE to each target, so that it never
# reaches code that links Cajal. Every target of Cajal's own that compiles kernel code (the
# layers, the driver and the unit tests) is given it explicitly: the unit tests compile the
# same kernels and must produce the same bits as the library (Lanes.* compares SIMD lanes
# with scalar code).
function(cajal_arch_flags)
  foreach(t ${ARGN})
    if(CAJAL_ARCH AND NOT CAJAL_ARCH STREQUAL "OFF")
      target_compile_options(${t} PRIVATE -march=${CAJAL_ARCH})
    endif()
  endforeach()
endfunction()

# cajal_layer_flags(TARGET...): a library layer of Cajal: warnings on, the -march above.
function(cajal_layer_flags)
  foreach(t ${ARGN})
    target_compile_features(${t} PUBLIC cxx_std_17)
    target_compile_options(${t} PRIVATE -Wall -Wextra)
    cajal_arch_flags(${t})
  endforeach()
endfunction()
