#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then a project outside Cajal's tree
# (tests/install_consumer) configured with -DCajal_ROOT=<prefix>: find_package(Cajal) and
# Cajal::cajal must give it the public headers, the libraries and their dependencies, so
# that it builds and runs a small network on NRANKS ranks. The installed cajal and
# cajal-plot must run too (cajal --version; cajal-plot on the consumer's spikes.h5).
# Usage: check_install.sh BUILD_DIR SOURCE_DIR CXX_COMPILER MPIEXEC NRANKS
set -u
build=$1 src=$2 cxx=$3 mpiexec=$4 n=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { echo "FAIL: cmake --install"; cat "$work/install.log"; exit 1; }
for f in bin/cajal bin/cajal-plot include/cajal/version.hpp include/cajal/sim/simulation.hpp \
         lib/cmake/Cajal/CajalConfig.cmake lib/cmake/Cajal/CajalConfigVersion.cmake lib/cmake/Cajal/CajalTargets.cmake; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# Nothing installed may point back into the source or build tree, except the Kokkos Cajal
# was built with, which may itself live there (.ci/run builds it under build-deps/).
kokkos_dir=$(sed -n 's/^Kokkos_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
if grep -rF -e "$src" -e "$build" "$prefix/lib/cmake" | grep -vF "${kokkos_dir:-/nonexistent}"; then
  echo "FAIL: the installed CMake files name the source or build tree"; exit 1
fi
cmake -S "$src/tests/install_consumer" -B "$work/consumer" -DCajal_ROOT="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 ||
  { echo "FAIL: configuring the consumer"; cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 ||
  { echo "FAIL: building the consumer"; cat "$work/build.log"; exit 1; }
"$mpiexec" --oversubscribe -q -n "$n" "$work/consumer/consumer" "$work/out" ||
  { echo "FAIL: the consumer exited $?"; exit 1; }
"$prefix/bin/cajal" --version || { echo "FAIL: the installed cajal"; exit 1; }
"$prefix/bin/cajal-plot" "$work/out" || { echo "FAIL: the installed cajal-plot"; exit 1; }
"$src/tests/plot/pngcheck.py" "$work/out/plots/raster.png"
