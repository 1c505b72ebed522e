#!/bin/sh
# Builds and installs Kokkos 4.6.01 from the tarball in ../shared/third_party/ (next to
# the clone, read-only in CI) so that Cajal can be built with threads (OpenMP) or for a
# GPU (CUDA) where Debian's Kokkos 3.4 has the Serial backend only.
#
#   cmake/build-kokkos.sh [PREFIX] [openmp|cuda]
#
# PREFIX defaults to build-deps/kokkos-<backend> under the repository root; the source
# and build trees go to build-deps/ too (git-ignored). Run from anywhere.
# Environment: JOBS (default 2), SHARED (default <repo>/../shared).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
backend=${2:-openmp}
prefix=${1:-$repo/build-deps/kokkos-$backend}
shared=${SHARED:-$repo/../shared}
jobs=${JOBS:-2}
version=4.6.01
tarball=$shared/third_party/kokkos-$version.tar.gz
patchfile=$shared/third_party/kokkos-$version-cuda13.patch

case $backend in
  openmp|cuda) ;;
  *) echo "build-kokkos.sh: backend must be 'openmp' or 'cuda', not '$backend'" >&2; exit 2 ;;
esac
if [ ! -f "$tarball" ]; then
  echo "build-kokkos.sh: $tarball not found (set SHARED to the folder holding third_party/)" >&2
  exit 1
fi
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac

deps=$repo/build-deps
src=$deps/kokkos-$version-$backend-src
bld=$deps/kokkos-$version-$backend-build
mkdir -p "$deps"
# A fresh source tree each time: the cuda patch must be applied exactly once.
rm -rf "$src"
mkdir -p "$src"
tar xzf "$tarball" -C "$src" --strip-components=1

set -- -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DKokkos_ENABLE_SERIAL=ON
if [ "$backend" = openmp ]; then
  set -- "$@" -DKokkos_ENABLE_OPENMP=ON
else
  # CUDA 13 dropped the device-number overloads that 4.6.01 calls; see third_party/README.md.
  (cd "$src" && patch -p1 < "$patchfile")
  # nvcc_wrapper defaults to sm_70, which CUDA 13 rejects; Hopper (H100/H200) is sm_90.
  set -- "$@" -DKokkos_ENABLE_CUDA=ON -DKokkos_ARCH_HOPPER90=ON \
    -DCMAKE_CXX_COMPILER="$src/bin/nvcc_wrapper" -DCMAKE_CXX_FLAGS=-arch=sm_90
fi
launcher=
if command -v ccache >/dev/null 2>&1; then launcher=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache; fi

cmake -S "$src" -B "$bld" $launcher "$@"
cmake --build "$bld" -j "$jobs"
cmake --install "$bld"

echo
echo "Kokkos $version ($backend) installed in $prefix. Configure Cajal against it with:"
if [ "$backend" = cuda ]; then
  echo "  cmake -S $repo -B $repo/build-cuda -DCMAKE_BUILD_TYPE=Release -DKokkos_ROOT=$prefix -DCMAKE_CXX_COMPILER=$prefix/bin/nvcc_wrapper"
else
  echo "  cmake -S $repo -B $repo/build-omp -DCMAKE_BUILD_TYPE=Release -DKokkos_ROOT=$prefix"
fi
