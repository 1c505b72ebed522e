#!/usr/bin/env bash
# cajal-plot on a small deck's outputs: the run (NRANKS ranks, t_stop shortened) writes its
# files, cajal-plot draws them, and each expected PNG must exist, be a valid image and not
# be blank (pngcheck.py). With --via-run the pictures come from `cajal run --plot`
# (rank 0 finds cajal-plot beside the binary) instead of a separate cajal-plot call.
# Usage: check_plot.sh CAJAL CAJAL_PLOT MPIEXEC NRANKS DECK T_STOP [--via-run] -- PNG...
set -u
cajal=$1 plot=$2 mpiexec=$3 n=$4 deck=$5 t_stop=$6
shift 6
via_run=0
[ "$1" = "--via-run" ] && { via_run=1; shift; }
[ "$1" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
extra=()
[ $via_run -eq 1 ] && extra=(--plot)
"$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$deck" --output "$work/out" --overwrite --quiet \
  --set simulation.t_stop="$t_stop" "${extra[@]}" >"$work/run.out" 2>"$work/run.err" ||
  { echo "FAIL: cajal run exited $?"; cat "$work/run.err"; exit 1; }
if [ $via_run -eq 1 ]; then
  grep -q 'warning' "$work/run.err" && { echo "FAIL: cajal run --plot warned"; cat "$work/run.err"; exit 1; }
else
  "$plot" "$work/out" >"$work/plot.out" 2>"$work/plot.err" ||
    { echo "FAIL: cajal-plot exited $?"; cat "$work/plot.err"; exit 1; }
fi
files=()
for png in "$@"; do
  [ -f "$work/out/plots/$png" ] || { echo "FAIL: no plots/$png"; ls "$work/out/plots"; exit 1; }
  files+=("$work/out/plots/$png")
done
"$here/pngcheck.py" "${files[@]}"
