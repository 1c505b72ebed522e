#!/usr/bin/env bash
# Runs one bad deck on N ranks and checks Cajal's contract for bad input:
#   - exit status 2 (from mpiexec, so every rank agreed),
#   - exactly one line on stderr, containing the text of the deck's "# expect:" line
#     and naming the deck file,
#   - no output folder created.
# Usage: check_bad_deck.sh CAJAL MPIEXEC NRANKS DECK [OPTION...]
#   OPTIONs go to `cajal run` (--quiet, for a deck refused after the progress line).
set -u
cajal=$1 mpiexec=$2 n=$3 deck=$4
shift 4
expect=$(sed -n 's/^# expect: //p' "$deck" | head -n 1)
if [ -z "$expect" ]; then echo "FAIL: $deck has no '# expect:' line"; exit 1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$deck" --output "$work/out" "$@" >"$work/stdout" 2>"$work/stderr"
rc=$?
fail=0
if [ "$rc" -ne 2 ]; then echo "FAIL: exit status $rc, expected 2"; fail=1; fi
lines=$(wc -l <"$work/stderr")
if [ "$lines" -ne 1 ]; then echo "FAIL: $lines lines on stderr, expected 1"; fail=1; fi
if ! grep -qF -- "$expect" "$work/stderr"; then echo "FAIL: stderr lacks: $expect"; fail=1; fi
if ! grep -qF -- "$(basename "$deck")" "$work/stderr"; then
  # Errors about the command line or files name no deck line; decks must.
  if ! grep -q '^# no-location' "$deck"; then echo "FAIL: stderr does not name the deck file"; fail=1; fi
fi
if [ -e "$work/out" ]; then echo "FAIL: an output folder was created"; fail=1; fi
echo "--- stderr:"; cat "$work/stderr"
exit $fail
