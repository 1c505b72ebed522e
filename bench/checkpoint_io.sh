#!/bin/bash
# Checkpoint write throughput against dd and a plain parallel-HDF5 write of the same bytes,
# in one sitting on one disk (issue 17).
#
# Usage: bench/checkpoint_io.sh DIR CAJAL [OLD_CAJAL]   (env: RUNS=5, NPS="1 2")
#   DIR        a folder on the disk to measure (not a tmpfs); it is filled with ~1 GB
#   CAJAL      the cajal binary to measure; OLD_CAJAL another one to compare with
#
# Deck: inputs/brunel.toml scaled to 1.25 M neurons (indegree 8 and 2, to build quickly),
# 5 ms, one checkpoint at the end: 330 MB of state. Timing: Cajal's summary.json
# time_s.checkpoint (max over ranks, from the creation of the file to its fsync and rename,
# including the spike-file flush); dd: `dd bs=16M conv=fdatasync` of the same size (data on
# the disk when dd ends, as after Cajal's fsync); h5_write (bench/h5_write.c): H5Fcreate ..
# fsync. Every output is deleted and `sync` run before each run, so that no run pays for
# the write-back or the discard of an earlier one. Prints the median MB/s (1e6 bytes/s) of
# RUNS runs per line, and the runs.
set -euo pipefail
dir=$(realpath "$1")
cajal=$(realpath "$2")
old=${3:+$(realpath "$3")}
runs=${RUNS:-5}
nps=${NPS:-1 2}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$dir"
(cd "$dir" && h5pcc -O2 -o h5_write "$here/h5_write.c")  # h5pcc leaves its .o in the current folder
sed -e 's/^n = 10000/n = 1000000/' -e 's/^n = 2500/n = 250000/' -e 's/indegree = 1000/indegree = 8/' \
  -e 's/indegree = 250/indegree = 2/' -e 's/^t_stop = 1000.0.*/t_stop = 5.0/' "$here/../inputs/brunel.toml" \
  >"$dir/deck.toml"
printf '\n[checkpoint]\nat_end = true\nkeep = 1\n' >>"$dir/deck.toml"

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
fresh() { rm -rf "$dir/out" "$dir/dd.bin" "$dir/h5.h5"; sync; }

cajal_mbps() {  # binary np -> MB/s of its checkpoint write
  fresh
  mpirun --oversubscribe -n "$2" "$1" run "$dir/deck.toml" --output "$dir/out" --overwrite --quiet >/dev/null 2>&1
  /usr/bin/python3 -c "import json, sys; s = json.load(open(sys.argv[1]))
print('%.0f' % (s['checkpoint']['bytes'] / s['time_s']['checkpoint'] / 1e6))" "$dir/out/summary.json"
}

bytes=330013320  # the checkpoint's size (summary.json checkpoint.bytes)
line() { echo "$1 median $(echo "$2" | median) MB/s  runs: $2"; }
r=""
for k in $(seq "$runs"); do
  fresh
  r="$r $(dd if=/dev/zero of="$dir/dd.bin" bs=16M count=$((bytes / 16777216 + 1)) conv=fdatasync 2>&1 |
    awk '/copied/ {print int($1 / $(NF-3) / 1e6)}')"
done
line "dd bs=16M conv=fdatasync    " "$r"
# The same after 8 s idle: on this VM freed memory goes back to the host after a few
# seconds (virtio-balloon free page reporting), and page-cache pages that the host must
# back again cost about 1 us each. A checkpoint at the end of a run (after the network
# build and the simulation freed and touched memory) writes into such pages.
r=""
for k in $(seq "$runs"); do
  fresh
  sleep 8
  r="$r $(dd if=/dev/zero of="$dir/dd.bin" bs=16M count=$((bytes / 16777216 + 1)) conv=fdatasync 2>&1 |
    awk '/copied/ {print int($1 / $(NF-3) / 1e6)}')"
done
line "dd ... after 8 s idle         " "$r"
for np in $nps; do
  # Open MPI's default collective algorithm (vulcan) and the one Cajal selects (dynamic_gen2).
  for mode in collective "collective --mca fcoll dynamic_gen2" independent; do
    r="" opts=""
    case "$mode" in *" "*) opts=${mode#* } ;; esac
    for k in $(seq "$runs"); do
      fresh
      r="$r $(mpirun --oversubscribe $opts -n "$np" "$dir/h5_write" "$dir/h5.h5" ${mode%% *} \
        1250000 1 1 1 30 | awk '{print $3}')"
    done
    line "h5_write $mode np$np" "$r"
  done
  for bin in $old $cajal; do
    r=""
    for k in $(seq "$runs"); do r="$r $(cajal_mbps "$bin" "$np")"; done
    line "$bin np$np" "$r"
  done
done
fresh
