#!/bin/bash
# Makes the bundle that tools/gpu/check.sh runs on the GPU machine, which has the NVIDIA
# driver and CUDA but no MPI, HDF5 or PETSc: the CUDA build's cajal, the libraries it
# loads that such a machine lacks (its ldd closure, less the C library and the driver),
# Open MPI's and PMIx's plugins, and the CPU build's spikes for each check (the reference
# the GPU's must equal bit for bit).
#
#   tools/gpu/bundle.sh CUDA_BUILD HOST_BUILD [DEST]      DEST defaults to .gpu (ignored by git)
#
# CUDA_BUILD: a build folder configured with a CUDA Kokkos (README: "GPUs"); HOST_BUILD: a
# host build of the same source (its cajal makes the reference spikes, on 2 ranks here).
# REFS="NAME ..." makes only those references; BUNDLE_NO_REF=1 none.
# Then, with the device tool: carry DEST, run `tools/gpu/check.sh DEST`. The bundle must stay
# under the tool's 64 MiB per call: it is xz-compressed (about 30 MB with PETSc).
set -eu
[ $# -ge 2 ] || { sed -n 2,13p "$0" >&2; exit 2; }
cuda_build=$(cd "$1" && pwd)
host_build=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dest=${3:-$repo/.gpu}
bin=${BUNDLE_BIN:-$cuda_build/bin/cajal}   # BUNDLE_BIN: bundle another binary (to test the bundle itself)
[ -x "$bin" ] || { echo "bundle.sh: no $bin (build the CUDA configuration first)" >&2; exit 2; }
[ -x "$host_build/bin/cajal" ] || { echo "bundle.sh: no $host_build/bin/cajal" >&2; exit 2; }

rm -rf "$dest/root" "$dest/bundle.tar.xz" "$dest/ref.tar.xz"
mkdir -p "$dest/root/bin" "$dest/root/lib" "$dest/ref"
stage=$dest/root
cp "$bin" "$stage/bin/cajal"

ompi=/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3
pmix=/usr/lib/x86_64-linux-gnu/pmix2
# What the device machine provides itself: the C library and loader, and the driver.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libutil\.so|libresolv\.so|libcuda\.so|libnvidia)'
closure() {
  ldd "$@" 2>/dev/null | awk '/=> \//{print $1, $3}' | while read -r name path; do
    echo "$name" | grep -qE "$skip" || echo "$path"
  done | sort -u
}
libs=$(closure "$bin" "$ompi"/*.so "$pmix"/lib/pmix/*.so)
for l in $libs; do cp -L "$l" "$stage/lib/"; done
# Open MPI's components where OPAL_PREFIX=root puts them (check.sh also names the folder).
mkdir -p "$stage/lib/openmpi3" "$stage/lib/pmix"
cp -L "$ompi"/*.so "$stage/lib/openmpi3/"
cp -L "$pmix"/lib/pmix/*.so "$stage/lib/pmix/"
mkdir -p "$stage/share"
cp -r /usr/share/openmpi "$stage/share/" 2>/dev/null || true   # help texts: the messages of a failure
XZ_OPT="-3 -T0" tar -C "$stage" -cJf "$dest/bundle.tar.xz" .   # -3: a tenth of -6's time, a few MB more
rm -rf "$stage"

# The CPU build's spikes for the checks that compare bits (check.sh runs the same decks).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ref() {
  local name=$1 deck=$2
  shift 2
  if [ -n "${REFS:-}" ] && ! [[ " $REFS " == *" $name "* ]]; then return; fi
  local dir
  dir=$(mktemp -d /tmp/cajal-ref.XXXXXX)
  mpirun --oversubscribe -q -n 2 "$host_build/bin/cajal" run "$deck" --output "$dir" --overwrite --quiet "$@"
  cp "$dir/spikes.h5" "$dest/ref/$name.h5"
  rm -rf "$dir"
}
if [ -z "${BUNDLE_NO_REF:-}" ]; then
  ref brunel_1s "$repo/inputs/brunel.toml" --set simulation.t_stop=1000
  ref astrocyte_brunel "$repo/inputs/astrocyte_brunel.toml"
  ref hpc_benchmark_scale1 "$repo/inputs/hpc_benchmark.toml"
  ref pd14_bits_1s "$repo/inputs/microcircuit_poisson.toml" --set simulation.t_stop=1500
fi
# The spike files compress ~13x (22 MB -> 1.6 MB for the four): the device tool carries
# at most 64 MiB per call, the repository included.
if [ -d "$dest/ref" ] && [ -n "$(ls -A "$dest/ref")" ]; then
  tar -C "$dest" -cJf "$dest/ref.tar.xz" ref && rm -rf "$dest/ref"
fi
du -ch "$dest"/*.tar.xz
