#!/usr/bin/env bash
# cajal-plot on bad input: every case must exit with status 2 and exactly one line on
# stderr, "cajal-plot: FILE: what is wrong" (no Python traceback), and draw nothing.
# GOOD_OUTPUT is a real run's output folder with spikes.h5 (and no field.h5).
# Usage: check_plot_bad_input.sh CAJAL_PLOT GOOD_DECK CAJAL
set -u
plot=$1 deck=$2 cajal=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

# expect NAME TEXT -- ARGS...
expect() {
  local name=$1 text=$2 ok=1
  shift 3
  "$plot" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  [ "$rc" -eq 2 ] || { echo "FAIL $name: exit status $rc, expected 2"; ok=0; }
  local lines
  lines=$(wc -l <"$work/stderr")
  [ "$lines" -eq 1 ] || { echo "FAIL $name: $lines lines on stderr, expected 1"; ok=0; }
  grep -q '^cajal-plot: ' "$work/stderr" || { echo "FAIL $name: stderr does not start with 'cajal-plot: '"; ok=0; }
  grep -qF -- "$text" "$work/stderr" || { echo "FAIL $name: stderr lacks: $text"; ok=0; }
  [ $ok -eq 1 ] && echo "ok   $name: $(cat "$work/stderr")" || { fails=$((fails + 1)); cat "$work/stderr"; }
}

"$cajal" run "$deck" --output "$work/good" --quiet --set simulation.t_stop=10 >/dev/null 2>&1 ||
  { echo "FAIL: the good run failed"; exit 1; }
mkdir -p "$work/empty" "$work/junk" "$work/nodes" "$work/ragged" "$work/report" "$work/weights" "$work/field"
echo "not HDF5" >"$work/junk/spikes.h5"
/usr/bin/python3 - "$work" <<'PY'
import sys, h5py
w = sys.argv[1]
with h5py.File(f"{w}/nodes/spikes.h5", "w") as f:      # SONATA without node_ids
    f["spikes/exc/timestamps"] = [1.0, 2.0]
with h5py.File(f"{w}/ragged/spikes.h5", "w") as f:     # lengths differ
    f["spikes/exc/timestamps"] = [1.0, 2.0]
    f["spikes/exc/node_ids"] = [0]
with h5py.File(f"{w}/report/report_V_m.h5", "w") as f:  # a report with no mapping
    f["report/exc/data"] = [[1.0], [2.0]]
with h5py.File(f"{w}/weights/weights.h5", "w") as f:    # not under /weights
    f["EE/data"] = [[1.0]]
with h5py.File(f"{w}/field/field.h5", "w") as f:        # snapshots at 0 and 50 ms only
    for step, t in ((0, 0.0), (500, 50.0)):
        d = f.create_dataset(f"potassium/{step:012d}", data=[[[3.0, 3.1]]])
        d.attrs["time_ms"] = t
PY

expect missing_folder "$work/nope: no such folder" -- "$work/nope"
expect empty_folder "holds none of spikes.h5" -- "$work/empty"
expect not_hdf5 "junk/spikes.h5: not an HDF5 file" -- "$work/junk"
expect no_node_ids "no dataset /spikes/exc/node_ids" -- "$work/nodes"
expect ragged "2 timestamps but 1 node_ids" -- "$work/ragged"
expect report_layout "no dataset /report/exc/mapping/node_ids" -- "$work/report"
expect weights_layout "no group /weights" -- "$work/weights"
expect field_time_not_taken "no snapshot at t = 25 ms (snapshots: 2 from 0 to 50 ms every 50 ms)" -- "$work/field" --field-times 0,25
expect field_times_without_field "field.h5: no such file" -- "$work/good" --field-times 0
expect bad_field_times "is not a comma-separated list" -- "$work/good" --field-times 1,x
expect unknown_option "command line: unrecognized arguments" -- "$work/good" --frobnicate
expect no_argument "command line:" --
[ -e "$work/empty/plots" ] && { echo "FAIL: a plots folder was made for bad input"; fails=$((fails + 1)); }
exit $((fails > 0))
