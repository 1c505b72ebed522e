#!/usr/bin/env bash
# One bad SONATA input: sonata_h5py_net.py writes the network of sonata_h5py.toml spoilt as
# CASE says and prints the text the error must hold; Cajal must then exit with status 2,
# print exactly one line on stderr holding that text (file, dataset, what is wrong), and
# create no output folder.
# Usage: check_sonata_bad.sh CAJAL MPIEXEC NRANKS CASE DECK GENERATOR
set -u
cajal=$1 mpiexec=$2 n=$3 case=$4 deck=$5 gen=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expect=$("$gen" gen "$work" "$case") || { echo "FAIL: the generator failed"; exit 1; }
cp "$deck" "$work/"
"$mpiexec" --oversubscribe -q -n "$n" "$cajal" run "$work/$(basename "$deck")" --output "$work/out" >"$work/stdout" 2>"$work/stderr"
rc=$?
fail=0
if [ "$rc" -ne 2 ]; then echo "FAIL: exit status $rc, expected 2"; fail=1; fi
lines=$(wc -l <"$work/stderr")
if [ "$lines" -ne 1 ]; then echo "FAIL: $lines lines on stderr, expected 1"; fail=1; fi
if ! grep -qF -- "$expect" "$work/stderr"; then echo "FAIL: stderr lacks: $expect"; fail=1; fi
if [ -e "$work/out" ]; then echo "FAIL: an output folder was created"; fail=1; fi
echo "--- stderr:"; cat "$work/stderr"
exit $fail
