#!/usr/bin/env bash
# Checkpoint safety on 2 ranks: corrupt or foreign checkpoints are refused with one clear
# line and exit status 2; a folder restart falls back to the newest valid checkpoint; a
# run killed (-9) while writing a checkpoint leaves the previous one valid; SIGTERM to the
# ranks and SIGUSR1 to mpirun stop the run with a checkpoint and exit status 3; a full or
# read-only file system gives a clear error and leaves the last good checkpoint untouched.
# Each resumed run must reproduce the uninterrupted reference bit for bit.
# Usage: check_checkpoint_faults.sh CAJAL MPIEXEC SPIKECHECK H5POKE DECK REFERENCE_SPIKES(0-200 ms)
set -u
cajal=$1 mpiexec=$2 spikecheck=$3 h5poke=$4 deck=$5 ref=$6
work=$(mktemp -d)
mnt="$work/mnt"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
run() { "$mpiexec" --oversubscribe -q -n 2 "$@"; }

# expect_refused NAME TEXT -- restart args: exit 2, one line on stderr containing TEXT.
expect_refused() {
  local name=$1 text=$2
  shift 3
  run "$cajal" restart "$@" --quiet --set simulation.t_stop=200 >"$work/out" 2>"$work/err"
  local rc=$? lines
  lines=$(wc -l <"$work/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$text" "$work/err"; then ok "$name"; else
    bad "$name (exit $rc, $lines lines)"; cat "$work/err"; fi
}

# A run to 100 ms with checkpoints every 40 ms: at 40.5 and 81 ms (interval edges).
run "$cajal" run "$deck" --output "$work/a" --quiet --set simulation.t_stop=100 \
  --set checkpoint.interval=40 --set checkpoint.keep=5 2>/dev/null || { echo "FAIL: first run"; exit 1; }
ck=$work/a/checkpoints
first=$ck/checkpoint_000000000405.h5 last=$ck/checkpoint_000000000810.h5
[ -f "$first" ] && [ -f "$last" ] && ok "checkpoints at 40.5 and 81 ms" || { bad "expected checkpoints"; ls "$ck"; }

# Corrupt and foreign files.
mkdir -p "$work/bad"
cp "$last" "$work/bad/flip.h5"
off=$("$h5poke" offset "$work/bad/flip.h5" /populations/exc/V)
byte=$(dd if="$work/bad/flip.h5" bs=1 skip=$((off + 100)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$work/bad/flip.h5" bs=1 seek=$((off + 100)) conv=notrunc 2>/dev/null
expect_refused flipped_byte "populations/exc/V fails its checksum" -- "$work/bad/flip.h5"
cp "$last" "$work/bad/trunc.h5"
truncate -s $(( $(stat -c %s "$last") / 2 )) "$work/bad/trunc.h5"
expect_refused truncated "trunc.h5" -- "$work/bad/trunc.h5"
echo "not a checkpoint" >"$work/bad/text.h5"
expect_refused not_hdf5 "not a readable HDF5 file" -- "$work/bad/text.h5"
cp "$last" "$work/bad/v99.h5"
"$h5poke" set-attr "$work/bad/v99.h5" format_version 99
expect_refused other_version "checkpoint format version 99" -- "$work/bad/v99.h5"
expect_refused missing "no such checkpoint file or folder" -- "$work/bad/nope.h5"
expect_refused network_change "cannot change on restart" -- "$last" --set population.exc.n=10

# A folder whose newest checkpoint is corrupt: fall back to the older one, say so, and
# still reproduce the reference.
mkdir -p "$work/fb"
cp -r "$work/a" "$work/fb/run"
cp "$work/bad/flip.h5" "$work/fb/run/checkpoints/checkpoint_000000000810.h5"
run "$cajal" restart "$work/fb/run/checkpoints" --output "$work/fb/run" --quiet --set simulation.t_stop=200 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "falling back" "$work/err" && "$spikecheck" equal "$ref" "$work/fb/run/spikes.h5" >/dev/null; then
  ok fallback_to_older; else bad "fallback_to_older (exit $rc)"; cat "$work/err"; fi

# kill -9 while the second checkpoint is being written (a test hook pauses inside it).
CAJAL_TEST_PAUSE_IN_CHECKPOINT=810 "$mpiexec" --oversubscribe -q -n 2 -x CAJAL_TEST_PAUSE_IN_CHECKPOINT \
  "$cajal" run "$deck" --output "$work/k" --quiet --set checkpoint.interval=40 2>"$work/kerr" &
mpid=$!
for _ in $(seq 1 300); do grep -q "pausing inside checkpoint" "$work/kerr" 2>/dev/null && break; sleep 0.1; done
sum_first=$(md5sum <"$work/k/checkpoints/checkpoint_000000000405.h5")
pkill -KILL -P $mpid; kill -KILL $mpid 2>/dev/null; wait $mpid 2>/dev/null
ls "$work/k/checkpoints"
[ -f "$work/k/checkpoints/checkpoint_000000000810.h5.incomplete" ] && [ ! -f "$work/k/checkpoints/checkpoint_000000000810.h5" ] \
  && [ "$sum_first" = "$(md5sum <"$work/k/checkpoints/checkpoint_000000000405.h5")" ] \
  && ok "killed mid-write: only the unfinished file is incomplete" || bad "killed mid-write: checkpoint files"
run "$cajal" restart "$work/k/checkpoints" --quiet 2>"$work/err" && "$spikecheck" equal "$ref" "$work/k/spikes.h5" >/dev/null \
  && ok "killed mid-write: restart reproduces the reference" || { bad "killed mid-write: restart"; cat "$work/err"; }

# Stop signals. A reference for 20 s of biological time, then runs stopped by a signal.
run "$cajal" run "$deck" --output "$work/long" --quiet --set simulation.t_stop=20000 2>/dev/null
for sig in TERM USR1; do
  "$mpiexec" --oversubscribe -q -n 2 "$cajal" run "$deck" --output "$work/s$sig" \
    --set simulation.t_stop=20000 2>"$work/serr" &
  mpid=$!
  # Signal once the simulation runs (its first progress line), as a scheduler would.
  for _ in $(seq 1 600); do grep -q "cajal: t = " "$work/serr" 2>/dev/null && break; sleep 0.1; done
  if [ $sig = TERM ]; then pkill -TERM -P $mpid; else kill -USR1 $mpid; fi  # scheduler style / via mpirun
  wait $mpid
  rc=$?
  if [ $rc -eq 3 ] && grep -q "stopped by signal" "$work/serr" && ls "$work/s$sig"/checkpoints/checkpoint_*.h5 >/dev/null 2>&1 \
     && [ ! -f "$work/s$sig/summary.json" ]; then ok "SIG$sig: exit 3 with a checkpoint"; else
    bad "SIG$sig: exit $rc"; cat "$work/serr"; fi
  run "$cajal" restart "$work/s$sig/checkpoints" --quiet 2>"$work/err" \
    && "$spikecheck" equal "$work/long/spikes.h5" "$work/s$sig/spikes.h5" >/dev/null \
    && ok "SIG$sig: restart reproduces the uninterrupted run" || { bad "SIG$sig: restart"; cat "$work/err"; }
done

# A file system with room for one checkpoint only: the second fails cleanly.
size=$(stat -c %s "$first")
mkdir -p "$mnt"
if mount -t tmpfs -o size=$(( size * 3 / 2 / 4096 * 4096 + 4096 )) tmpfs "$mnt"; then
  run "$cajal" run "$deck" --output "$work/f" --quiet --set checkpoint.interval=40 \
    --set "checkpoint.dir=\"$mnt/ck\"" >"$work/out" 2>"$work/err"
  rc=$?
  lines=$(wc -l <"$work/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "checkpoint" "$work/err" && grep -q "earlier checkpoints are untouched" "$work/err" \
     && [ "$(ls "$mnt/ck")" = "checkpoint_000000000405.h5" ]; then ok "full file system: clear error"; else
    bad "full file system (exit $rc, $lines lines)"; cat "$work/err"; ls "$mnt/ck"; fi
  run "$cajal" restart "$mnt/ck" --quiet --set checkpoint.interval=0 2>"$work/err" \
    && "$spikecheck" equal "$ref" "$work/f/spikes.h5" >/dev/null \
    && ok "full file system: the last good checkpoint restarts" || { bad "full file system: restart"; cat "$work/err"; }
  mount -o remount,ro "$mnt"
  run "$cajal" run "$deck" --output "$mnt/out" --quiet >"$work/out" 2>"$work/err"
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q "Read-only file system" "$work/err"; then
    ok "read-only file system: clear error"; else bad "read-only file system (exit $rc)"; cat "$work/err"; fi
else
  bad "cannot mount a tmpfs (the test needs root)"
fi

echo "$fails failed"
[ $fails -eq 0 ]
