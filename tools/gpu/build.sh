#!/bin/bash
# Compiles Cajal for an NVIDIA GPU (Hopper, sm_90) here, where there is nvcc 13 but no GPU:
# Kokkos 4.6.01 with CUDA (cmake/build-kokkos.sh, once, ~15 min on 2 cores), then the
# `cajal` program through Kokkos' nvcc_wrapper (~25 min on 2 cores). Compile only: nothing
# here runs on a GPU (tools/gpu/check.sh does, on the device machine).
#
#   tools/gpu/build.sh [BUILD_DIR]       default build-cuda; JOBS (default 2)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build-cuda}
kokkos=$repo/build-deps/kokkos-cuda
export PATH=/usr/local/cuda/bin:$PATH
[ -x "$kokkos/bin/nvcc_wrapper" ] || "$repo/cmake/build-kokkos.sh" "$kokkos" cuda
launcher=""
command -v ccache >/dev/null && launcher=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKokkos_ROOT="$kokkos" \
  -DCMAKE_CXX_COMPILER="$kokkos/bin/nvcc_wrapper" -DCMAKE_CXX_FLAGS=-arch=sm_90 $launcher
cmake --build "$build" --target cajal_driver -j "${JOBS:-2}"
echo "build.sh: $build/bin/cajal"
