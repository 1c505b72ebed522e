#!/usr/bin/env /usr/bin/python3
"""The branching factors of a summary.json, exactly (bit for bit, as printed by JSON).

Usage: check_branching.py SUMMARY POP=WHOLE,LAST_QUARTER...
The expected values come from the reference binary, which kept every interval's counts and
summed the ratios at the end; Cajal now folds them in blocks of intervals (SpikeCounts),
in the same order, so the doubles must be the same.
"""
import json
import sys

summary = json.load(open(sys.argv[1]))
bad = 0
for arg in sys.argv[2:]:
    pop, values = arg.split("=")
    want = [float(v) for v in values.split(",")]
    p = summary["populations"][pop]
    got = [p["branching_factor"], p["branching_factor_last_quarter"]]
    if got != want:
        print(f"FAIL: {pop}: branching factor (whole run, last quarter) {got!r}, expected {want!r}")
        bad += 1
    else:
        print(f"{pop}: {got!r} as expected")
sys.exit(1 if bad else 0)
