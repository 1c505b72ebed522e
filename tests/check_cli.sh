#!/usr/bin/env bash
# Command line, files and folders: each case must end on every rank with the documented
# exit status and (for errors) exactly one line on stderr, without touching what the user
# already had.
# Usage: check_cli.sh CAJAL MPIEXEC NRANKS GOOD_DECK
set -u
cajal=$1 mpiexec=$2 n=$3 deck=$4
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
fails=0

# expect NAME STATUS STDERR_TEXT -- ARGS...
expect() {
  local name=$1 status=$2 text=$3
  shift 4
  "$mpiexec" --oversubscribe -q -n "$n" "$cajal" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$? ok=1
  [ "$rc" -eq "$status" ] || { echo "FAIL $name: exit status $rc, expected $status"; ok=0; }
  if [ "$status" -ne 0 ]; then
    local lines
    lines=$(wc -l <"$work/stderr")
    [ "$lines" -eq 1 ] || { echo "FAIL $name: $lines lines on stderr, expected 1"; ok=0; }
  fi
  if [ -n "$text" ] && ! grep -qF -- "$text" "$work/stderr" "$work/stdout"; then
    echo "FAIL $name: output lacks: $text"; ok=0
  fi
  [ $ok -eq 1 ] && echo "ok   $name" || { fails=$((fails + 1)); cat "$work/stderr"; }
}

expect missing_deck 2 "cannot open the deck" -- run "$work/nope.toml" --output "$work/o1"
[ -e "$work/o1" ] && { echo "FAIL missing_deck: created an output folder"; fails=$((fails + 1)); }
expect unknown_option 2 "command line:" -- run "$deck" --frobnicate
expect no_subcommand 2 "command line:" --
expect bad_set_syntax 2 "expected section.key=value" -- run "$deck" --set simulation --output "$work/o2"
expect bad_set_value 2 "--set:1: simulation.t_stop: must be ≥ 0" -- run "$deck" --set simulation.t_stop=-5 --output "$work/o2"
expect set_unknown_population 2 "no population named 'exd' (did you mean 'exc'?)" -- validate "$deck" --set population.exd.n=5
touch "$work/afile"
expect output_is_a_file 2 "exists and is not a folder" -- run "$deck" --output "$work/afile"
mkdir -p "$work/ro" && chmod 555 "$work/ro"
if [ "$(id -u)" -eq 0 ]; then
  # root ignores permission bits: use a path below a file instead
  expect unwritable_output 2 "cannot create the output folder" -- run "$deck" --output "$work/afile/sub"
else
  expect unwritable_output 2 "not writable" -- run "$deck" --output "$work/ro"
fi
expect unwritable_proc 2 "cannot create the output folder" -- run "$deck" --output /proc/cajal-test-output
expect help 0 "Usage:" -- --help
expect run_help 0 "--overwrite" -- run --help
expect version 0 "cajal 0." -- --version
expect validate_ok 0 "valid" -- validate "$deck"

# A finished run is never overwritten without --overwrite, and stays byte for byte.
"$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$deck" --set simulation.t_stop=20 --output "$work/done" --quiet 2>/dev/null
before=$(cat "$work/done/summary.json" "$work/done/spikes.h5" | md5sum)
expect existing_output 2 "holds the output of an earlier run" -- run "$deck" --set simulation.t_stop=20 --output "$work/done"
after=$(cat "$work/done/summary.json" "$work/done/spikes.h5" | md5sum)
[ "$before" = "$after" ] && echo "ok   existing_output_untouched" || { echo "FAIL existing_output changed"; fails=$((fails + 1)); }
expect overwrite 0 "" -- run "$deck" --set simulation.t_stop=20 --output "$work/done" --overwrite --quiet

echo "$fails failed"
[ $fails -eq 0 ]
