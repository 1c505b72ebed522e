#!/usr/bin/env bash
# State reports and weight recordings are streamed (src/io/sample_file.hpp): a rank holds
# a bounded block of samples, never the whole run, and a stopped run's files continue.
# Usage: check_stream.sh CAJAL MPIEXEC SPIKECHECK REPORTCHECK WEIGHTCHECK DECK
# DECK: inputs/stdp_small.toml (800 E cells, plastic weights of 5 targets recorded).
#  1. Memory: a V_m report of all 800 E cells at every step (dt = 0.1 ms), 1 s against 4 s of
#     biological time. Held in memory, the 3 s more would cost 800 x 30,000 x 8 B = 192 MB;
#     the peak resident memory (summary.json) may grow by a tenth of that at most. The
#     longer run's file holds all 40,001 samples.
#  2. Stop and continue: a run of 20 s stopped by SIGTERM (exit 3, a checkpoint) leaves
#     report_V_m.h5 and weights.h5 unfinished (.incomplete); restarted on 3 ranks, its
#     spikes, report and weights equal those of an uninterrupted run bit for bit, and no
#     interrupted file is left behind.
set -u
cajal=$1 mpiexec=$2 spikecheck=$3 reportcheck=$4 weightcheck=$5 deck=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { "$mpiexec" --oversubscribe -q -n "$@"; }

# deck_with CELLS INTERVAL: the deck plus a V_m report of the first CELLS E cells.
deck_with() {
  cat "$deck"
  printf '\n[[record]]\nwhat = "state"\npopulation = "E"\nvariables = ["V_m"]\ncells = %s\ninterval = %s\n' "$1" "$2"
}
deck_with 800 0.1 >"$work/full.toml"
deck_with 50 1.0 >"$work/few.toml"

peak() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['per_rank'][0]['memory_bytes']['peak_rss'])" "$1"; }
run 1 "$cajal" run "$work/full.toml" --output "$work/m1" --quiet --set simulation.t_stop=1000 || exit 1
run 1 "$cajal" run "$work/full.toml" --output "$work/m4" --quiet --set simulation.t_stop=4000 || exit 1
p1=$(peak "$work/m1/summary.json") p4=$(peak "$work/m4/summary.json")
growth=$(( (p4 - p1) / 1048576 ))
if [ $((p4 - p1)) -lt $((192000000 / 10)) ]; then ok "peak memory grows by $growth MiB from 1 s to 4 s (held: 183 MiB)"; else
  bad "peak memory grows by $growth MiB from 1 s to 4 s (limit 18 MiB; held in memory: 183 MiB)"; fi
"$reportcheck" layout "$work/m4/report_V_m.h5" E 800 40001 0.1 >/dev/null && ok "4 s report: 40,001 samples of 800 cells" \
  || bad "4 s report layout"

run 1 "$cajal" run "$work/few.toml" --output "$work/ref" --quiet --set simulation.t_stop=20000 || exit 1
"$mpiexec" --oversubscribe -q -n 2 "$cajal" run "$work/few.toml" --output "$work/s" --set simulation.t_stop=20000 2>"$work/serr" &
mpid=$!
# Signal once the simulation runs (its first progress line), as a scheduler would.
for _ in $(seq 1 600); do grep -q "cajal: t = " "$work/serr" 2>/dev/null && break; sleep 0.1; done
pkill -TERM -P $mpid
wait $mpid
rc=$?
if [ $rc -eq 3 ] && [ -f "$work/s/report_V_m.h5.incomplete" ] && [ -f "$work/s/weights.h5.incomplete" ] \
   && [ ! -f "$work/s/report_V_m.h5" ] && [ ! -f "$work/s/weights.h5" ]; then ok "stopped: exit 3, report and weights unfinished"; else
  bad "stopped run (exit $rc)"; ls "$work/s"; cat "$work/serr"; fi
run 3 "$cajal" restart "$work/s/checkpoints" --quiet 2>"$work/err" || { bad "restart"; cat "$work/err"; }
"$spikecheck" equal "$work/ref/spikes.h5" "$work/s/spikes.h5" >/dev/null && ok "restart: spikes equal" || bad "restart: spikes"
"$reportcheck" equal "$work/ref/report_V_m.h5" "$work/s/report_V_m.h5" >/dev/null && ok "restart: report equal" || bad "restart: report"
"$weightcheck" equal "$work/ref/weights.h5" "$work/s/weights.h5" >/dev/null && ok "restart: weights equal" || bad "restart: weights"
left=$(ls "$work/s" | grep -c -E "\.(incomplete|interrupted)$")
[ "$left" -eq 0 ] && ok "restart: no unfinished or interrupted file left" || { bad "restart: files left"; ls "$work/s"; }
exit $fails
