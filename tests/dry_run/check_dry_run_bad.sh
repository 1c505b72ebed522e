#!/bin/bash
# Bad input to --dry-run: exit status 2, one line on stderr naming the option, no summary.json.
#   check_dry_run_bad.sh CAJAL MPIEXEC DECK
cajal=$1 mpiexec=$2 deck=$3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() {  # expect NAME PATTERN COMMAND...
  local name=$1 pattern=$2
  shift 2
  "$@" --output "$work/$name" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ $rc -ne 2 ] || [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q -- "$pattern" "$work/err" ||
     [ -e "$work/$name/summary.json" ]; then
    echo "FAIL $name: exit $rc, stderr:"; cat "$work/err"; fail=1
  else
    echo "ok   $name: $(cat "$work/err")"
  fi
}
expect zero_ranks "--dry-run" "$cajal" run "$deck" --dry-run 0
expect rank_too_big "--rank 4" "$cajal" run "$deck" --dry-run 4 --rank 4
expect rank_without_dry "--rank needs --dry-run" "$cajal" run "$deck" --rank 1
expect peers_without_dry "--dry-run-peers needs --dry-run" "$cajal" run "$deck" --dry-run-peers 3
expect peers_zero "--dry-run-peers" "$cajal" run "$deck" --dry-run 4 --dry-run-peers 0
expect field "\[field\]" "$cajal" run "$(dirname "$deck")/field_poisson.toml" --dry-run 4
expect under_mpirun "without mpirun" "$mpiexec" --oversubscribe -q -n 2 "$cajal" run "$deck" --dry-run 2
exit $fail
