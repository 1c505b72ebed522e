#!/bin/bash
# The GPU checks of issue 19, as one script for the device machine (one H100/H200, 16
# cores, CUDA driver; no MPI, HDF5 or PETSc installed: they come in the bundle that
# tools/gpu/bundle.sh makes here, with the CPU build's reference spikes).
#
#   tools/gpu/check.sh [BUNDLE_DIR [OUT_DIR]]     defaults: .gpu, $OUT (else ./gpu-out)
#
# For each check: run the bundled cajal on a deck, keep its summary.json, sample the GPU's
# memory in use (nvidia-smi) while it runs, and compare its spikes with the CPU build's
# (compare_spikes.py: bit for bit, else the first difference). Writes results.md (a table),
# results.json (everything) and log.txt (every run's output) under OUT_DIR: three files,
# inside the device tool's limit of eight. Each run has its own time limit, so that one
# slow or hung check cannot eat the others' time; the whole fits in 9 minutes.
#
# Checks (issue 19): brunel 1 s; astrocyte_brunel; hpc_benchmark at scale 1 and at
# HPC_SCALE (default 4; the largest that fits in an H200 is ~60 by memory, but its build
# runs on the host, one core, minutes); the PD14 microcircuit with Poisson drive, 1 s
# after 0.5 s warm-up with spikes recorded (the bits run) and 10 s after 0.5 s without
# (the timing run). CHECKS="NAME ..." runs only those. With CAJAL_BIN set, runs that binary instead of the bundle's (to try
# this script on the CPU build: the comparisons must then all hold).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bundle=$(cd "${1:-$repo/.gpu}" 2>/dev/null && pwd) || { echo "check.sh: no bundle folder ${1:-$repo/.gpu} (make it with tools/gpu/bundle.sh)" >&2; exit 2; }
out=${2:-${OUT:-$repo/gpu-out}}
mkdir -p "$out"
log=$out/log.txt
: >"$log"
work=$(mktemp -d /tmp/cajal-gpu.XXXXXX)
hpc_scale=${HPC_SCALE:-4}

# The bundle: the binary, the libraries the machine lacks, Open MPI's components. A
# singleton MPI run (no mpirun) with ess_singleton_isolated starts no orted.
if [ -f "$bundle/bundle.tar.xz" ] && [ ! -d "$bundle/root" ]; then
  mkdir -p "$bundle/root" && tar -C "$bundle/root" -xJf "$bundle/bundle.tar.xz" || { echo "check.sh: cannot unpack the bundle" >&2; exit 2; }
fi
if [ -f "$bundle/ref.tar.xz" ] && [ ! -d "$bundle/ref" ]; then
  tar -C "$bundle" -xJf "$bundle/ref.tar.xz" || { echo "check.sh: cannot unpack the references" >&2; exit 2; }
fi
root=$bundle/root
cajal=${CAJAL_BIN:-$root/bin/cajal}
# The bundle's libraries for cajal alone (python3, nvidia-smi keep the machine's own).
env_=(env OMPI_MCA_ess_singleton_isolated=1)
if [ -z "${CAJAL_BIN:-}" ]; then
  env_+=(LD_LIBRARY_PATH=$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} OPAL_PREFIX=$root
         OMPI_MCA_mca_base_component_path=$root/lib/openmpi3 PMIX_MCA_mca_base_component_path=$root/lib/pmix
         PMIX_INSTALL_PREFIX=$root)
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_PROC_BIND=spread OMP_PLACES=threads
python=python3
for p in python3 /usr/bin/python3; do
  if $p -c 'import h5py, numpy' 2>/dev/null; then python=$p; break; fi
done

{
  echo "== $(date -u) on $(hostname)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  echo "cajal: $cajal"
  "${env_[@]}" ldd "$cajal" 2>&1 | grep -E "not found" || echo "ldd: every library found"
  "${env_[@]}" "$cajal" --version 2>&1
} >>"$log"

results=()
# run NAME LIMIT_S REF DECK ARGS...: one check. REF: the CPU's spikes.h5, or - for none.
# CHECKS="name ..." runs only those (e.g. to try the script on the CPU build).
run() {
  local name=$1 limit=$2 ref=$3 deck=$4
  shift 4
  if [ -n "${CHECKS:-}" ] && ! [[ " $CHECKS " == *" $name "* ]]; then return; fi
  local dir=$work/$name
  echo "== $name: $cajal run $deck $* (limit ${limit} s)" >>"$log"
  local peak_file=$work/$name.gpu_mem
  echo 0 >"$peak_file"
  # The GPU's memory in use, sampled twice a second; the peak is kept.
  ( peak=0
    while sleep 0.5; do
      m=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1)
      [ -n "$m" ] && [ "$m" -gt "$peak" ] 2>/dev/null && peak=$m && echo "$peak" >"$peak_file"
    done ) &
  local sampler=$!
  local t0=$(date +%s.%N)
  timeout --signal=TERM --kill-after=10 "$limit" "${env_[@]}" "$cajal" run "$deck" --output "$dir" --overwrite --quiet "$@" >>"$log" 2>&1
  local rc=$?
  local t1=$(date +%s.%N)
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
  local cmp="null"
  if [ "$ref" != "-" ] && [ -f "$dir/spikes.h5" ]; then
    if [ -f "$ref" ]; then
      cmp=$($python "$here/compare_spikes.py" "$ref" "$dir/spikes.h5" 2>>"$log")
      [ -n "$cmp" ] || cmp='"compare failed"'
    else
      cmp='"no CPU reference in the bundle"'
    fi
  fi
  local summary="null"
  [ -f "$dir/summary.json" ] && summary=$(cat "$dir/summary.json")
  results+=("{\"name\": \"$name\", \"rc\": $rc, \"wall_s\": $(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }"), \"gpu_mem_peak_mib\": $(cat "$peak_file"), \"spikes\": $cmp, \"summary\": $summary}")
  echo "rc $rc" >>"$log"
  rm -rf "$dir"
}

pd14_norec=$work/microcircuit_poisson_norecord.toml
# The timing run records no spikes: the deck without its [[record]] table.
awk '/^\[\[record\]\]/{skip=1; next} /^\[/{skip=0} !skip' "$repo/inputs/microcircuit_poisson.toml" >"$pd14_norec"

run brunel_1s 60 "$bundle/ref/brunel_1s.h5" "$repo/inputs/brunel.toml" --set simulation.t_stop=1000
run astrocyte_brunel 90 "$bundle/ref/astrocyte_brunel.h5" "$repo/inputs/astrocyte_brunel.toml"
run hpc_benchmark_scale1 90 "$bundle/ref/hpc_benchmark_scale1.h5" "$repo/inputs/hpc_benchmark.toml"
run pd14_bits_1s 120 "$bundle/ref/pd14_bits_1s.h5" "$repo/inputs/microcircuit_poisson.toml" --set simulation.t_stop=1500
run pd14_timing_10s 150 - "$pd14_norec" --set simulation.t_stop=10500
run "hpc_benchmark_scale$hpc_scale" 120 - "$repo/inputs/hpc_benchmark.toml" \
  --set population.E.n=$((9000 * hpc_scale)) --set population.I.n=$((2250 * hpc_scale))

# results.json, and the table a person reads first.
{
  echo "["
  for ((i = 0; i < ${#results[@]}; ++i)); do
    [ $i -gt 0 ] && echo ","
    echo "${results[$i]}"
  done
  echo "]"
} >"$out/results.json"
$python - "$out/results.json" >"$out/results.md" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print("| check | exit | wall s | real-time factor | synaptic events/s | synapses | GPU memory peak MiB | B per synapse (GPU) | spikes vs CPU |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    s = r["summary"] or {}
    syn = s.get("synapses")
    mem = r["gpu_mem_peak_mib"]
    bps = f"{mem * 2**20 / syn:.1f}" if syn and mem else "-"
    sp = r["spikes"]
    if isinstance(sp, dict):
        sp = "identical" if sp["identical"] else "differ: " + "; ".join(
            f"{p} {v.get('cpu')}/{v.get('gpu')} first at {v.get('first_difference', {}).get('index')}"
            for p, v in sp["populations"].items() if not v["identical"])
    rtf = s.get("real_time_factor")
    eps = s.get("events_per_second")
    print(f"| {r['name']} | {r['rc']} | {r['wall_s']:.1f} | {rtf if rtf is None else f'{rtf:.3f}'} | "
          f"{eps if eps is None else f'{eps:.3g}'} | {syn} | {mem} | {bps} | {sp} |")
PY
cat "$out/results.md"
rm -rf "$work"
