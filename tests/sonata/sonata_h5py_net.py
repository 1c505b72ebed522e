#!/usr/bin/python3
"""A SONATA edge file written with h5py alone, for tests/decks/sonata_h5py.toml.

  sonata_h5py_net.py gen DIR [CASE]   writes DIR/net/{edges.h5, edge_types.csv}; with CASE,
                                      spoils them as the case says and prints the text the
                                      error line must hold
  sonata_h5py_net.py check DIR NET    the network Cajal wrote (NET, [output] network) has
                                      exactly these edges: per projection the same
                                      (source, target, weight, delay) in Cajal's order
                                      (target, source, file order)
"""
import os
import sys

import h5py
import numpy as np

N_A, N_B = 50, 40


def edges():
    rng = np.random.default_rng(20)
    # a_to_b: 300 edges, multapses, weights exact in float32 (Cajal stores a per-edge
    # weight as float), delays 0.2 .. 3.0 ms on the dt grid; sorted by target.
    n = 300
    ab_src = rng.integers(0, N_A, n)
    ab_tgt = np.sort(rng.integers(0, N_B, n))
    ab_w = rng.uniform(5.0, 60.0, n).astype(np.float32).astype(np.float64)
    ab_d = rng.integers(2, 31, n) * 0.1
    # b_to_a: 120 edges in no order, one weight and one delay.
    m = 120
    ba_src = rng.integers(0, N_B, m)
    ba_tgt = rng.integers(0, N_A, m)
    ba_w = np.full(m, -20.0)
    ba_d = np.full(m, 1.0)
    return {"ab": (ab_src, ab_tgt, ab_w, ab_d, "a", "b"), "ba": (ba_src, ba_tgt, ba_w, ba_d, "b", "a")}


def index(ids, n_nodes):
    """SONATA's index of one direction: per node its runs of consecutive edge ids."""
    n2r = np.zeros((n_nodes, 2), dtype=np.uint64)
    ranges = []
    for node in range(n_nodes):
        n2r[node, 0] = len(ranges)
        e = np.nonzero(ids == node)[0]
        k = 0
        while k < len(e):
            j = k
            while j + 1 < len(e) and e[j + 1] == e[j] + 1:
                j += 1
            ranges.append((e[k], e[j] + 1))
            k = j + 1
        n2r[node, 1] = len(ranges)
    return n2r, np.array(ranges, dtype=np.uint64).reshape(-1, 2)


def gen(d, case=None):
    net = os.path.join(d, "net")
    os.makedirs(net, exist_ok=True)
    es = edges()
    expect = None
    with h5py.File(os.path.join(net, "edges.h5"), "w") as f:
        for pop, (s, t, w, dl, pre, post) in es.items():
            g = f.create_group(f"edges/{pop}")
            if case == "float_ids" and pop == "ab":
                g["source_node_id"] = s.astype(np.float64)
                expect = "/edges/ab/source_node_id: wrong type"
            else:
                g["source_node_id"] = s.astype(np.uint64)
            g["target_node_id"] = t.astype(np.uint64)
            g["source_node_id"].attrs["node_population"] = pre
            g["target_node_id"].attrs["node_population"] = post
            g["edge_type_id"] = np.full(len(s), 100 if pop == "ab" else 101, dtype=np.int64)
            g["edge_group_id"] = np.zeros(len(s), dtype=np.uint32)
            g["edge_group_index"] = np.arange(len(s), dtype=np.uint64)
            g["0/syn_weight"] = w
            g["0/delay"] = dl
            if pop == "ab":
                for direction, ids, n in (("target_to_source", t, N_B), ("source_to_target", s, N_A)):
                    n2r, r2e = index(ids, n)
                    g[f"indices/{direction}/node_id_to_ranges"] = n2r
                    g[f"indices/{direction}/range_to_edge_id"] = r2e
        ab = f["edges/ab"]
        if case == "missing_dataset":
            del ab["0/syn_weight"]
            expect = "/edges/ab/0/syn_weight: missing"
        elif case == "wrong_shape":
            del ab["0/delay"]
            ab["0/delay"] = np.full(299, 1.0)
            expect = "/edges/ab/0/delay: wrong shape"
        elif case == "two_d":
            del ab["target_node_id"]
            ab["target_node_id"] = np.zeros((300, 2), dtype=np.uint64)
            expect = "/edges/ab/target_node_id: wrong shape"
        elif case == "id_out_of_range":
            t = ab["target_node_id"][()]
            t[-1] = N_B
            ab["target_node_id"][...] = t
            expect = "/edges/ab/target_node_id: edge 299: node id 40 out of range"
        elif case == "index_inconsistent":
            r = ab["indices/target_to_source/range_to_edge_id"][()]
            r[0, 1] += 1
            ab["indices/target_to_source/range_to_edge_id"][...] = r
            expect = "/edges/ab/indices/target_to_source: inconsistent with target_node_id"
        elif case == "delay_off_grid":
            dl = ab["0/delay"][()]
            dl[7] = 0.25
            ab["0/delay"][...] = dl
            expect = "/edges/ab/0/delay: edge 7: delay 0.25"
        elif case == "wrong_population":
            ab["source_node_id"].attrs["node_population"] = "b"
            expect = "/edges/ab/source_node_id: attribute node_population is 'b'"
        elif case == "no_population":
            del f["edges/ab"]
            expect = "/edges/ab: no such edge population"
        elif case == "nan_weight":
            w = ab["0/syn_weight"][()]
            w[3] = np.nan
            ab["0/syn_weight"][...] = w
            expect = "/edges/ab/0/syn_weight: edge 3: not finite"
    # Nodes of population b: positions on a known lattice, the model from node_types.csv.
    with h5py.File(os.path.join(net, "nodes.h5"), "w") as f:
        g = f.create_group("nodes/b")
        g["node_id"] = np.arange(N_B, dtype=np.uint64)
        g["node_type_id"] = np.full(N_B, 7, dtype=np.int64)
        g["node_group_id"] = np.zeros(N_B, dtype=np.uint32)
        g["node_group_index"] = np.arange(N_B, dtype=np.uint64)
        k = np.arange(N_B)
        g["0/x"] = 2.5 * (k % 10) + 1.0
        g["0/y"] = 2.5 * (k // 10) + 1.0
        g["0/z"] = np.full(N_B, 50.0)
        if case == "node_outside_box":
            x = g["0/x"][()]
            x[5] = 150.0
            g["0/x"][...] = x
            expect = "nodes.h5: /nodes/b/0/x: node 5 at 150"
        elif case == "node_missing_z":
            del g["0/z"]
            expect = "nodes.h5: /nodes/b/0/z: missing"
        elif case == "node_type_unknown":
            t = g["node_type_id"][()]
            t[3] = 8
            g["node_type_id"][...] = t
            expect = "nodes.h5: /nodes/b/node_type_id: node 3: node type 8 is not in"
    with open(os.path.join(net, "node_types.csv"), "w") as f:
        f.write("node_type_id model_type model_template dynamics_params\n")
        f.write("7 point_neuron %s NULL\n" % ("cajal:iaf_psc_alfa" if case == "node_model_unknown" else "cajal:iaf_psc_alpha"))
    if case == "node_model_unknown":
        expect = "node_types.csv: model_template: unknown model 'cajal:iaf_psc_alfa'"
    model = "cajal:static"
    if case == "unknown_model":
        model = "nest:static_synapse"
        expect = "edge_types.csv: model_template: unknown model 'nest:static_synapse'"
    with open(os.path.join(net, "edge_types.csv"), "w") as f:
        f.write("edge_type_id model_template dynamics_params\n")
        f.write(f"100 {model} NULL\n101 cajal:static NULL\n")
    if case == "missing_file":
        os.remove(os.path.join(net, "edges.h5"))
        expect = "edges.h5: cannot open the SONATA edge file: no such file"
    if case == "not_hdf5":
        with open(os.path.join(net, "edges.h5"), "w") as f:
            f.write("not hdf5\n")
        expect = "edges.h5: cannot open the SONATA edge file: not an HDF5 file"
    if case is not None:
        if expect is None:
            sys.exit(f"unknown case {case}")
        print(expect)


def check(d, out_net):
    es = edges()
    names = {"ab": "a_to_b", "ba": "b_to_a"}
    with h5py.File(os.path.join(out_net, "edges.h5"), "r") as f:
        for pop, (s, t, w, dl, pre, post) in es.items():
            order = np.lexsort((np.arange(len(s)), s, t))  # target, then source, then file order
            g = f["edges"][names[pop]]
            got = (g["source_node_id"][()], g["target_node_id"][()], g["0/syn_weight"][()], g["0/delay"][()])
            want = (s[order].astype(np.uint64), t[order].astype(np.uint64), w[order], dl[order])
            if len(got[0]) != len(s):
                sys.exit(f"{pop}: {len(got[0])} edges, expected {len(s)}")
            for name, x, y in zip(("source", "target", "weight", "delay"), got, want):
                if x.tobytes() != y.astype(x.dtype).tobytes():
                    k = np.nonzero(x != y)[0][0]
                    sys.exit(f"{pop}: {name} of edge {k} is {x[k]!r}, expected {y[k]!r}")
            indeg = np.bincount(t, minlength=N_B if pop == "ab" else N_A)
            n2r = g["indices/target_to_source/node_id_to_ranges"][()]
            r2e = g["indices/target_to_source/range_to_edge_id"][()]
            for node, k in enumerate(indeg):
                have = sum(int(r2e[r, 1] - r2e[r, 0]) for r in range(n2r[node, 0], n2r[node, 1]))
                if have != k:
                    sys.exit(f"{pop}: target {node} has {have} edges, expected {k}")
            print(f"{pop}: {len(s)} edges, sources, targets, weights and delays exact")
    with h5py.File(os.path.join(out_net, "nodes.h5"), "r") as f:
        k = np.arange(N_B)
        for axis, want in (("x", 2.5 * (k % 10) + 1.0), ("y", 2.5 * (k // 10) + 1.0), ("z", np.full(N_B, 50.0))):
            if f[f"nodes/b/0/{axis}"][()].tobytes() != want.tobytes():
                sys.exit(f"nodes b: {axis} differs from the positions written")
        print(f"b: {N_B} nodes, positions exact")


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
