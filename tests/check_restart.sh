#!/usr/bin/env bash
# Checkpoint-restart equality: a run 0 -> T/2 that checkpoints, restarted on another number
# of ranks to T, must give the spike file of an uninterrupted run 0 -> T bit for bit.
# Two variants: the checkpoint at T/2 exactly (at_end), and one at an earlier interval
# edge (interval = 0.35 T), so that spikes the first run wrote after its checkpoint must
# be dropped on restart.
# When the uninterrupted run recorded plastic weights (weights.h5 next to REFERENCE_SPIKES),
# the restarted run's weights.h5 must equal it too; so must every state report
# (report_*.h5) found there, and the field snapshots (field.h5).
# Usage: check_restart.sh CAJAL MPIEXEC SPIKECHECK DECK N_FIRST N_RESTART REFERENCE_SPIKES T_MS WEIGHTCHECK REPORTCHECK [SET...]
# N_FIRST, N_RESTART: a number of ranks, or RANKSxTHREADS (e.g. 2x2: 2 ranks of 2 threads).
# SET...: extra --set assignments the reference run used (e.g. a smaller scale); the
# checkpoint carries them into the restart.
set -u
cajal=$1 mpiexec=$2 spikecheck=$3 deck=$4 n1=$5 n2=$6 ref=$7 T=$8 weightcheck=$9 reportcheck=${10}
shift 10
fieldcheck=$(dirname "$reportcheck")/fieldcheck  # built beside reportcheck
sets=()
for a in "$@"; do sets+=(--set "$a"); done
# CAJAL_TEST_RESTART_SET: one more --set for the restarts only (a key a restart may change).
restart_sets=()
[ -n "${CAJAL_TEST_RESTART_SET:-}" ] && restart_sets=(--set "$CAJAL_TEST_RESTART_SET")
ref_weights=$(dirname "$ref")/weights.h5
# Threads that wait sleep instead of spinning: the runs here oversubscribe the cores (1x4,
# 2x2 and ctest -j 2 on a 2-core machine), where spinning threads steal the cores of the
# ones with work (measured: the threads tests took 31 min with OpenMP's default policy).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# run N|RxT CAJAL ARGS...: on R ranks, with --threads T when given (and no binding, which
# would put a rank's threads on one core).
run() {
  local spec=$1
  shift
  if [ "${spec#*x}" != "$spec" ]; then
    local prog=$1
    shift
    "$mpiexec" --oversubscribe --bind-to none -q -n "${spec%x*}" "$prog" "$@" --threads "${spec#*x}"
  else
    "$mpiexec" --oversubscribe -q -n "$spec" "$@"
  fi
}
half=$(awk "BEGIN { print $T / 2 }")
fails=0

run "$n1" "$cajal" run "$deck" --output "$work/a" --quiet "${sets[@]}" --set simulation.t_stop="$half" --set checkpoint.at_end=true || exit 1
ls "$work/a/checkpoints"
run "$n2" "$cajal" restart "$work/a/checkpoints" --quiet --set simulation.t_stop="$T" "${restart_sets[@]}" || exit 1
"$spikecheck" equal "$ref" "$work/a/spikes.h5" || fails=$((fails + 1))
if [ -f "$ref_weights" ]; then "$weightcheck" equal "$ref_weights" "$work/a/weights.h5" || fails=$((fails + 1)); fi
for r in "$(dirname "$ref")"/report_*.h5; do
  [ -f "$r" ] && { "$reportcheck" equal "$r" "$work/a/$(basename "$r")" || fails=$((fails + 1)); }
done
if [ -f "$(dirname "$ref")/field.h5" ]; then "$fieldcheck" equal "$(dirname "$ref")/field.h5" "$work/a/field.h5" || fails=$((fails + 1)); fi

every=$(awk "BEGIN { print $T * 0.35 }")
run "$n1" "$cajal" run "$deck" --output "$work/b" --quiet "${sets[@]}" --set simulation.t_stop="$half" \
  --set checkpoint.interval="$every" || exit 1
ls "$work/b/checkpoints"
run "$n2" "$cajal" restart "$work/b/checkpoints" --quiet --set simulation.t_stop="$T" "${restart_sets[@]}" || exit 1
"$spikecheck" equal "$ref" "$work/b/spikes.h5" || fails=$((fails + 1))
if [ -f "$ref_weights" ]; then "$weightcheck" equal "$ref_weights" "$work/b/weights.h5" || fails=$((fails + 1)); fi
for r in "$(dirname "$ref")"/report_*.h5; do
  [ -f "$r" ] && { "$reportcheck" equal "$r" "$work/b/$(basename "$r")" || fails=$((fails + 1)); }
done
if [ -f "$(dirname "$ref")/field.h5" ]; then "$fieldcheck" equal "$(dirname "$ref")/field.h5" "$work/b/field.h5" || fails=$((fails + 1)); fi
[ -f "$work/b/summary.json" ] || { echo "FAIL: no summary.json after the restart"; fails=$((fails + 1)); }
exit $fails
