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

# Memory (issue 18): validate reports the estimate per rank; a network that cannot fit is
# refused before anything is built or created (it used to build for minutes while its
# memory grew), by MemAvailable or by CAJAL_MEMORY_LIMIT. 60 s: "did not hang".
expect validate_memory 0 "memory: ~" -- validate "$deck"
expect validate_memory_ranks 0 "per rank on 5 ranks" -- validate "$deck" --ranks 5
big=(--set projection.exc_to_exc.indegree=100000000)
expect validate_too_big 2 "use more ranks" -- validate "$deck" "${big[@]}"
timeout 60 "$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$deck" "${big[@]}" --output "$work/big/out" \
  >"$work/stdout" 2>"$work/stderr"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$work/stderr")" -eq 1 ] && grep -q "needs ~.* GB per rank.*available.*use more ranks" "$work/stderr" \
   && [ ! -e "$work/big" ]; then echo "ok   run_too_big"; else
  echo "FAIL run_too_big: exit status $rc (124: still building after 60 s)"; cat "$work/stderr"; fails=$((fails + 1)); fi
# The limit can be set: this small network does not fit in 20 MB per rank, and fits in 1 GB.
CAJAL_MEMORY_LIMIT=20M expect memory_limit 2 "available (CAJAL_MEMORY_LIMIT)" -- \
  run "$deck" --output "$work/o3"
[ -e "$work/o3" ] && { echo "FAIL memory_limit: created an output folder"; fails=$((fails + 1)); }
CAJAL_MEMORY_LIMIT=1G expect memory_limit_ok 0 "1.07 GB available per rank (CAJAL_MEMORY_LIMIT)" -- \
  validate "$deck"
CAJAL_MEMORY_LIMIT=lots expect memory_limit_bad 2 "CAJAL_MEMORY_LIMIT=lots: not a size" -- validate "$deck"

# A finished run is never overwritten without --overwrite, and stays byte for byte.
"$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$deck" --set simulation.t_stop=20 --output "$work/done" --quiet 2>/dev/null
before=$(cat "$work/done/summary.json" "$work/done/spikes.h5" | md5sum)
expect existing_output 2 "holds the output of an earlier run" -- run "$deck" --set simulation.t_stop=20 --output "$work/done"
after=$(cat "$work/done/summary.json" "$work/done/spikes.h5" | md5sum)
[ "$before" = "$after" ] && echo "ok   existing_output_untouched" || { echo "FAIL existing_output changed"; fails=$((fails + 1)); }
expect overwrite 0 "" -- run "$deck" --set simulation.t_stop=20 --output "$work/done" --overwrite --quiet

echo "$fails failed"
[ $fails -eq 0 ]
