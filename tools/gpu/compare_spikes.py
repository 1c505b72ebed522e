#!/usr/bin/env python3
"""Compares two SONATA spike files spike by spike (the CPU build's and the GPU build's).

    compare_spikes.py CPU.h5 GPU.h5

Prints one JSON object: per population the spike counts, whether the (node_ids,
timestamps) arrays are bit-identical, and where they first differ (index, the two spikes);
overall "identical". Exit status 0 when identical, 1 when not, 2 when a file cannot be read.
Spikes are compared in the files' own order, which the writer fixes (by time, then id), so
equal arrays mean equal spike trains.
"""
import json
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # the GPU machine's python3 and Debian's /usr/bin/python3 have both
    print(f"compare_spikes.py: {e}", file=sys.stderr)
    sys.exit(2)


def read(path):
    out = {}
    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise ValueError(f"{path}: no /spikes group")
        for pop, g in f["spikes"].items():
            out[pop] = (np.asarray(g["node_ids"][...], dtype=np.uint64),
                        np.asarray(g["timestamps"][...], dtype=np.float64))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        a, b = read(sys.argv[1]), read(sys.argv[2])
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_spikes.py: {e}", file=sys.stderr)
        return 2
    report = {"identical": True, "populations": {}}
    for pop in sorted(set(a) | set(b)):
        r = {"cpu": int(len(a[pop][0])) if pop in a else None, "gpu": int(len(b[pop][0])) if pop in b else None}
        if pop in a and pop in b:
            (ia, ta), (ib, tb) = a[pop], b[pop]
            n = min(len(ia), len(ib))
            # Bit-identical times: compare the float64 bit patterns, not the values.
            diff = np.nonzero((ia[:n] != ib[:n]) | (ta[:n].view(np.uint64) != tb[:n].view(np.uint64)))[0]
            same = len(ia) == len(ib) and len(diff) == 0
            r["identical"] = bool(same)
            if not same:
                k = int(diff[0]) if len(diff) else n
                r["first_difference"] = {
                    "index": k,
                    "cpu": [int(ia[k]), float(ta[k])] if k < len(ia) else None,
                    "gpu": [int(ib[k]), float(tb[k])] if k < len(ib) else None,
                }
        else:
            r["identical"] = False
        report["identical"] = report["identical"] and r["identical"]
        report["populations"][pop] = r
    print(json.dumps(report))
    return 0 if report["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
