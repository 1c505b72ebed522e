#!/usr/bin/env bash
# A stop signal during the network build (issue 18): the run ends on every rank with exit
# status 4 and one line from rank 0, writes nothing (no checkpoint; an output folder it
# created is removed, one that existed is left as it was), and no rank hangs, also when
# only one rank is signalled. The build is DECK with SET (2 ranks; long enough that the
# signals, sent 2 s after the build starts, reach it mid-build). "Did not hang" is the only
# time limit: 60 s after the signal.
# Usage: check_build_stop.sh CAJAL MPIEXEC DECK SET...
set -u
cajal=$1 mpiexec=$2 deck=$3
shift 3
sets=()
for a in "$@"; do sets+=(--set "$a"); done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# start OUT: a 2-rank run in the background (pid in $mpid), once its build has begun.
start() {
  "$mpiexec" --oversubscribe -q -n 2 "$cajal" run "$deck" "${sets[@]}" --output "$1" >"$work/out" 2>"$work/err" &
  mpid=$!
  for _ in $(seq 1 600); do grep -q "building the network" "$work/err" 2>/dev/null && break; sleep 0.1; done
  sleep 2
}
# finish: waits at most 60 s for the run; its exit status in $rc (124: it hung and was killed).
finish() {
  for _ in $(seq 1 600); do kill -0 $mpid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $mpid 2>/dev/null; then
    pkill -KILL -P $mpid; kill -KILL $mpid 2>/dev/null; wait $mpid 2>/dev/null
    rc=124
  else
    wait $mpid
    rc=$?
  fi
}
# expect_stopped NAME: exit 4, one line on stderr after the header, no checkpoint anywhere.
expect_stopped() {
  local name=$1 lines
  lines=$(grep -vc ', building the network$' "$work/err")  # all but the header
  if [ $rc -eq 4 ] && [ "$lines" -eq 1 ] && grep -q "stopped by signal while building the network" "$work/err" \
     && [ -z "$(find "$work" -name 'checkpoint_*')" ]; then ok "$name: exit 4, one line, no checkpoint"; else
    bad "$name: exit $rc, $lines lines"; cat "$work/err"; fi
}

# SIGTERM to every rank, as srun and scancel send it: the folder it created goes, parents too.
start "$work/a/out"
pkill -TERM -P $mpid
finish
expect_stopped "SIGTERM to every rank"
[ ! -e "$work/a" ] && ok "SIGTERM to every rank: the folders it created were removed" || { bad "output folder left"; ls -R "$work/a"; }

# SIGUSR1 to mpirun (Open MPI forwards it to every rank): an existing folder stays as it was.
mkdir -p "$work/b" && echo keep >"$work/b/keep.txt"
start "$work/b"
kill -USR1 $mpid
finish
expect_stopped "SIGUSR1 via mpirun"
[ "$(ls -A "$work/b")" = "keep.txt" ] && ok "SIGUSR1 via mpirun: the existing folder is untouched" || { bad "existing folder changed"; ls -A "$work/b"; }

# SIGUSR1 to one rank only: the other learns of it at the next round and both stop.
start "$work/c"
kill -USR1 "$(pgrep -P $mpid | tail -1)"
finish
expect_stopped "SIGUSR1 to one rank"
[ ! -e "$work/c" ] && ok "SIGUSR1 to one rank: the folder it created was removed" || { bad "output folder left"; ls -A "$work/c"; }

# SIGTERM to mpirun: Open MPI forwards SIGTERM and kills the job 1 s later with its own
# exit status, so only this is required: it ends, and leaves no output and no checkpoint.
start "$work/d"
kill -TERM $mpid
finish
if [ $rc -ne 124 ] && [ -z "$(find "$work" -name 'checkpoint_*')" ] && [ -z "$(ls -A "$work/d" 2>/dev/null)" ]; then
  ok "SIGTERM to mpirun: ended (status $rc), nothing written"; else bad "SIGTERM to mpirun: exit $rc"; ls -A "$work/d"; cat "$work/err"; fi

echo "$fails failed"
[ $fails -eq 0 ]
