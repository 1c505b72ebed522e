#!/usr/bin/python3
"""The astrocyte ring (inputs/astro_ring.toml, Stimberg et al. 2019 example 5): checks a
Ca_astro report of it.

  1. Mirror symmetry. The ring and its stimulus are symmetric about the stimulated cell s =
     N/2: cells s - k and s + k (mod N) have the same neighbours' trajectories, and a cell's
     two junction fluxes are added in either order (a + b == b + a exactly), so their
     traces must be equal bit for bit. A junction missing, doubled or one-way breaks it.
  2. A wave travels from the stimulated cell: the first time Ca exceeds `threshold` (µM)
     grows strictly with the distance k from s, for k = 0 .. N/2, and every cell is reached.
     Without the stimulus (or without the junctions) no cell but s would rise.

Usage: check_ring.py REPORT_Ca_astro.h5 [threshold]
"""
import sys

import h5py
import numpy as np

path = sys.argv[1]
threshold = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
with h5py.File(path, "r") as f:
    data = f["/report/astro/data"][:]
    ids = f["/report/astro/mapping/node_ids"][:]
ca = data[:, np.argsort(ids)]
n = ca.shape[1]
s = n // 2
fail = False
for k in range(1, s + 1):
    a, b = ca[:, (s - k) % n], ca[:, (s + k) % n]
    if not np.array_equal(a, b):
        print(f"FAIL: cells {(s - k) % n} and {(s + k) % n} differ (max |diff| {np.max(np.abs(a - b)):.3g} µM)")
        fail = True
arrival = []
for k in range(0, s + 1):
    over = np.nonzero(ca[:, (s + k) % n] > threshold)[0]
    arrival.append(int(over[0]) if len(over) else None)
print("first sample above", threshold, "µM by distance from cell", s, ":", arrival)
if any(a is None for a in arrival):
    print("FAIL: the wave does not reach every cell")
    fail = True
elif any(b <= a for a, b in zip(arrival, arrival[1:])):
    print("FAIL: arrival does not grow with the distance from the stimulated cell")
    fail = True
sys.exit(1 if fail else 0)
