#!/usr/bin/env bash
# NEST's hpc_benchmark (inputs/hpc_benchmark.toml) at scale 1: timings and the all-neuron
# rate of the 250 ms phase after 50 ms of warm-up, for several seeds, against NEST 3.9's
# 14.956 Hz in its one run (../shared/reference/nest_hpc_benchmark.json; over 17 seeds NEST's
# median is 11.56 Hz, tests/reference/nest_hpc_benchmark_seeds.json).
# Usage: bench/hpc_benchmark.sh [RANKS] [SEEDS...]     (needs python3-h5py)
#        STATIC=1 bench/hpc_benchmark.sh ...           (static E->E synapses instead of STDP)
set -eu
ranks=${1:-2}
shift || true
seeds=${*:-"12345 1 2 3 4 5 6 7 8 9"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
extra=()
[ "${STATIC:-0}" = 1 ] && extra=(--set 'projection.EE.synapse="static"')
for seed in $seeds; do
  out=$(mktemp -d)
  mpirun -q --oversubscribe -n "$ranks" build/bin/cajal run inputs/hpc_benchmark.toml --output "$out" \
    --overwrite --quiet --set simulation.seed="$seed" "${extra[@]}" >/dev/null
  /usr/bin/python3 - "$out" "$seed" <<'PY'
import h5py, json, sys
import numpy as np
out, seed = sys.argv[1], sys.argv[2]
f = h5py.File(out + "/spikes.h5", "r")
t = np.concatenate([f["spikes/E/timestamps"][:], f["spikes/I/timestamps"][:]])
j = json.load(open(out + "/summary.json"))
ts = j["time_s"]
print(f"seed {seed:>6}: rate [0,50] {np.sum(t <= 50) / 11250 / 0.05:6.2f} Hz, (50,300] {np.sum(t > 50) / 11250 / 0.25:6.2f} Hz"
      f" (NEST 14.956); build {ts['build']:.2f} s, simulate {ts['simulate']:.2f} s (update {ts['update']:.2f},"
      f" exchange {ts['exchange']:.2f}, deliver {ts['deliver']:.2f}), {j['memory']['bytes_per_synapse']:.2f} B/synapse all-in,"
      f" peak {j['memory']['peak_rss_bytes_max_rank'] / 2**20:.0f} MiB/rank")
PY
  rm -rf "$out"
done
