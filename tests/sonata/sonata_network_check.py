#!/usr/bin/python3
"""Checks of SONATA network folders written by `[output] network = true`.

  sonata_network_check.py same DIR_A DIR_B   every dataset and attribute of nodes.h5 and
                                             edges.h5, and every text file, identical
  sonata_network_check.py index DIR          the indices of edges.h5 agree with its
                                             source/target ids (SONATA developer guide):
                                             each node's ranges hold exactly its edges
  sonata_network_check.py weights DIR WEIGHTS_H5 PROJ
                                             the edges of the targets weights.h5 records
                                             for projection PROJ are its synapses (same
                                             order), with its last sample as syn_weight
Exit 0 when the check holds, 1 with a message otherwise.
"""
import os
import sys

import h5py
import numpy as np


def walk(f):
    out = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.dtype.str, obj.shape, obj[()], dict(obj.attrs))
        else:
            out[name] = dict(obj.attrs)
    f.visititems(visit)
    return out


def same(a, b):
    for name in ("nodes.h5", "edges.h5"):
        with h5py.File(os.path.join(a, name), "r") as fa, h5py.File(os.path.join(b, name), "r") as fb:
            wa, wb = walk(fa), walk(fb)
            if sorted(wa) != sorted(wb):
                sys.exit(f"{name}: objects differ: {sorted(set(wa) ^ set(wb))}")
            for k in wa:
                x, y = wa[k], wb[k]
                if isinstance(x, tuple):
                    if x[0] != y[0] or x[1] != y[1] or x[2].tobytes() != y[2].tobytes():
                        sys.exit(f"{name}: {k} differs")
                    x = x[3]
                    y = y[3]
                if {k2: str(v) for k2, v in x.items()} != {k2: str(v) for k2, v in y.items()}:
                    sys.exit(f"{name}: attributes of {k} differ")
    for root, _, files in os.walk(a):
        for fn in files:
            if fn.endswith(".h5"):
                continue
            pa = os.path.join(root, fn)
            pb = os.path.join(b, os.path.relpath(pa, a))
            if open(pa, "rb").read() != open(pb, "rb").read():
                sys.exit(f"{os.path.relpath(pa, a)} differs")
    print(f"same: {a} {b}")


def index(d):
    with h5py.File(os.path.join(d, "edges.h5"), "r") as f:
        with h5py.File(os.path.join(d, "nodes.h5"), "r") as fn:
            for pop, g in f["edges"].items():
                src = g["source_node_id"][()]
                tgt = g["target_node_id"][()]
                sizes = {"source": fn["nodes"][g["source_node_id"].attrs["node_population"]]["node_id"].shape[0],
                         "target": fn["nodes"][g["target_node_id"].attrs["node_population"]]["node_id"].shape[0]}
                for direction, ids, side in (("source_to_target", src, "source"), ("target_to_source", tgt, "target")):
                    n2r = g["indices"][direction]["node_id_to_ranges"][()]
                    r2e = g["indices"][direction]["range_to_edge_id"][()]
                    if n2r.shape != (sizes[side], 2):
                        sys.exit(f"{pop}/{direction}: node_id_to_ranges has shape {n2r.shape}")
                    seen = np.zeros(len(ids), dtype=np.int64)
                    for node in range(sizes[side]):
                        for r in range(n2r[node, 0], n2r[node, 1]):
                            e0, e1 = r2e[r]
                            if not np.all(ids[e0:e1] == node):
                                sys.exit(f"{pop}/{direction}: range {r} of node {node} holds other nodes' edges")
                            seen[e0:e1] += 1
                    if not np.all(seen == 1):
                        sys.exit(f"{pop}/{direction}: the ranges do not cover every edge once")
                if np.any(np.diff(tgt.astype(np.int64)) < 0):
                    sys.exit(f"{pop}: edges not sorted by target")
    print(f"index: {d} consistent")


def weights(d, wfile, proj):
    with h5py.File(os.path.join(d, "edges.h5"), "r") as f, h5py.File(wfile, "r") as w:
        g, r = f["edges"][proj], w["weights"][proj]
        n = r["source_node_ids"].shape[0]
        if n == 0:
            sys.exit(f"{wfile}: {proj} records no synapse")
        for a, b in (("source_node_id", "source_node_ids"), ("target_node_id", "target_node_ids")):
            if not np.array_equal(g[a][:n], r[b][()]):
                sys.exit(f"{proj}: {a} differs from {wfile}'s {b}")
        last = r["data"][-1, :]
        if last.tobytes() != g["0"]["syn_weight"][:n].tobytes():
            sys.exit(f"{proj}: syn_weight differs from the last sample of {wfile}")
        if not np.all(r["target_node_ids"][()] < g["target_node_id"][n] if n < g["target_node_id"].shape[0] else True):
            sys.exit(f"{proj}: the recorded targets have more edges in {d}")
    print(f"weights: {proj} of {d} = {wfile} ({n} synapses)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "same":
        same(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "index":
        index(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "weights":
        weights(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
