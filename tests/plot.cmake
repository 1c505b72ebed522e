# --- cajal-plot, `cajal run --plot`, and the installed tree (cmake --install, find_package) ---
# The pictures are checked for what a script can check: each expected PNG exists, reads back
# as an image and is not blank (tests/plot/pngcheck.py); bad input is one line and status 2.
# The Spack recipe, as far as it can be checked without Spack (a stub of spack.package:
# it loads, and cmake_args maps the variants to Cajal's CMake options).
add_test(NAME spack_recipe_cmake_args
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/plot/check_spack_recipe.py ${PROJECT_SOURCE_DIR}/spack/packages/cajal/package.py)

# With -DCAJAL_PLOT=OFF there is no cajal-plot (and the install test expects one).
if(NOT CAJAL_PLOT)
  return()
endif()
set(cajal_plot_exe ${PROJECT_BINARY_DIR}/bin/cajal-plot)
set(plot_dir ${CMAKE_CURRENT_SOURCE_DIR}/plot)

# DECK, ranks, t_stop (ms), the PNGs it must give; brunel_small goes through `cajal run --plot`
# on 2 ranks (rank 0 alone runs cajal-plot).
foreach(case
    "brunel_small|2|100|--via-run|raster.png,rates.png"
    "astrocyte_network_small|1|50||raster.png,rates.png,report_V_m.png,report_I_SIC.png,report_Ca_astro.png,report_IP3.png"
    "stdp_small|1|50||raster.png,rates.png,weights_EE.png,weights_EI.png"
    "potassium_column|1|100||raster.png,rates.png,field.png")
  string(REPLACE "|" ";" f "${case}")
  list(GET f 0 deck)
  list(GET f 1 n)
  list(GET f 2 t_stop)
  list(GET f 3 via)
  list(GET f 4 pngs)
  string(REPLACE "," ";" pngs "${pngs}")
  add_test(NAME plot_${deck}_np${n}
           COMMAND bash ${plot_dir}/check_plot.sh ${cajal_exe} ${cajal_plot_exe} ${MPIEXEC_EXECUTABLE} ${n}
                   ${PROJECT_SOURCE_DIR}/inputs/${deck}.toml ${t_stop} ${via} -- ${pngs})
  set_tests_properties(plot_${deck}_np${n} PROPERTIES PROCESSORS ${n})
endforeach()

add_test(NAME plot_bad_input
         COMMAND bash ${plot_dir}/check_plot_bad_input.sh ${cajal_plot_exe}
                 ${PROJECT_SOURCE_DIR}/inputs/brunel_small.toml ${cajal_exe})

# A run with nothing to draw: cajal-plot fails, `cajal run --plot` warns and exits 0.
add_test(NAME plot_run_without_outputs
         COMMAND bash -c "out=$(mktemp -d); \"$0\" run \"$1\" --output $out/o --quiet --plot 2>$out/err; rc=$?; cat $out/err; ok=0; test $rc -eq 0 && grep -q 'holds none of spikes.h5' $out/err && grep -q 'warning: --plot: .*cajal-plot failed (exit status 2)' $out/err && ok=1; rm -rf $out; test $ok -eq 1"
                 ${cajal_exe} ${CMAKE_CURRENT_SOURCE_DIR}/decks/plot_no_records.toml)

add_test(NAME install_find_package_np2
         COMMAND bash ${plot_dir}/check_install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CXX_COMPILER} ${MPIEXEC_EXECUTABLE} 2)
set_tests_properties(install_find_package_np2 PROPERTIES PROCESSORS 2)
