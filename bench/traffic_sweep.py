#!/usr/bin/python3
"""Spike-exchange traffic of real oversubscribed runs against the dry run's prediction
(issue 17, "cluster scale"; README.md, "Cluster scale, measured by dry run").

    bench/traffic_sweep.py DECK [--ranks 1 2 4 8 16 32] [--set key=value ...]
                           [--max-dry N] [--peers M] [--cajal EXE] [--mpiexec MPIRUN]
                           [--work DIR] [--json FILE]

    bench/traffic_sweep.py inputs/brunel_small.toml --set simulation.t_stop=100
    bench/traffic_sweep.py tests/decks/dry_run_slab.toml --ranks 1 2 4 8 16 32

For each P of --ranks: runs DECK for real (`mpirun --oversubscribe -n P cajal run`, whose
summary.json has every rank's figures under `per_rank`), then, for every rank r (or N ranks
spread evenly over 0..P-1 with --max-dry N), the dry run `cajal run DECK --dry-run P --rank r
--dry-run-ms 1e9` (the same stretch as the real run; summary.json `dry_run.per_rank`).
--peers M is passed as --dry-run-peers M (default: the cajal default, 64, which replays
every rank that may subscribe, i.e. exact subscribers, for P <= 65).

Prints a markdown table, one row per P: the spike exchange's messages and bytes sent and
received per interval (of the minimum delay) of a rank, min / median / max over the ranks,
of the real run and of the dry runs of the same ranks; the largest difference over those
ranks between a rank's prediction and its real figure (messages: absolute; bytes:
relative to the real figure); and the job's bytes per interval (all ranks, when every rank
was dry-run), real and predicted. Messages follow the subscriptions alone, so an exact dry
run predicts them exactly; bytes follow the spikes too, and the dry run's spikes are its
own (its rank driven by stand-ins for the remote cells), so they agree only on average.
A rank's own spikes are not traffic: P = 1 shows zeros. --json FILE writes every rank's
figures. Needs nothing beyond Python's standard library.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KEYS = ["messages_sent_per_interval", "messages_received_per_interval", "bytes_sent_per_interval",
        "bytes_received_per_interval"]
HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))


def load(path):
    with open(os.path.join(path, "summary.json")) as f:
        return json.load(f)


def chosen_ranks(P, max_dry):
    if max_dry is None or max_dry >= P:
        return list(range(P))
    return sorted({round(i * (P - 1) / (max_dry - 1)) for i in range(max_dry)}) if max_dry > 1 else [0]


def spread(values, fmt):
    return " / ".join(fmt % v for v in (min(values), statistics.median(values), max(values)))


def sweep_one(args, P, work):
    sets = [a for kv in args.set for a in ("--set", kv)]
    real_dir = os.path.join(work, "real_np%d" % P)
    t0 = time.time()
    run([args.mpiexec, "--oversubscribe", "-q", "-n", str(P), args.cajal, "run", args.deck, "--output", real_dir,
         "--overwrite", "--quiet"] + sets)
    t_real = time.time() - t0
    real = {q["rank"]: q for q in load(real_dir)["per_rank"]}
    assert sorted(real) == list(range(P)), "per_rank of the real run does not list ranks 0..%d" % (P - 1)
    peers = ["--dry-run-peers", str(args.peers)] if args.peers else []
    rows, exact = [], True
    t0 = time.time()
    for r in chosen_ranks(P, args.max_dry):
        dry_dir = os.path.join(work, "dry_np%d_r%d" % (P, r))
        run([args.cajal, "run", args.deck, "--dry-run", str(P), "--rank", str(r), "--dry-run-ms", "1e9", "--output",
             dry_dir, "--overwrite", "--quiet"] + peers + sets)
        d = load(dry_dir)["dry_run"]
        assert d["rank"] == r
        exact = exact and d["subscriptions"]["exact"]
        dx, qx = d["per_rank"]["exchange"], real[r]["exchange"]
        if dx["intervals"] != qx["intervals"]:
            sys.exit("P = %d, rank %d: the dry run covered %d intervals, the real run %d" %
                     (P, r, dx["intervals"], qx["intervals"]))
        rows.append({"rank": r, "real": {k: qx[k] for k in KEYS + ["intervals"]},
                     "dry": {k: dx[k] for k in KEYS + ["intervals"]},
                     "cells": real[r]["cells"], "subscriptions": d["subscriptions"]})
        shutil.rmtree(dry_dir, ignore_errors=True)
    t_dry = time.time() - t0
    print("  P = %d: real run %.1f s, %d dry runs %.1f s" % (P, t_real, len(rows), t_dry), file=sys.stderr)
    return {"P": P, "ranks": rows, "exact": exact, "real_s": t_real, "dry_s": t_dry}


def largest_difference(rows, key, relative):
    best, at = 0.0, None
    for row in rows:
        a, b = row["dry"][key], row["real"][key]
        d = abs(a - b) / b if relative and b else (0.0 if relative and a == b else abs(a - b))
        if relative and b == 0 and a != 0:
            d = float("inf")
        if at is None or d > best:
            best, at = d, row["rank"]
    return best, at


def table(results):
    print("| P | dry-run ranks | subscribers | messages sent, real (min / med / max) | dry | messages received, real | "
          "dry | bytes sent, real | dry | bytes received, real | dry | largest per-rank difference: messages sent, "
          "received | bytes sent (rank) | bytes received (rank) | job's bytes, real / dry |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for res in results:
        rows = res["ranks"]
        cells = [str(res["P"]), "%d of %d" % (len(rows), res["P"]), "exact" if res["exact"] else "estimated"]
        for k in KEYS:
            fmt = "%.1f" if k.startswith("messages") else "%.0f"
            cells.append(spread([r["real"][k] for r in rows], fmt))
            cells.append(spread([r["dry"][k] for r in rows], fmt))
        cells.append("%g, %g" % tuple(largest_difference(rows, k, False)[0] for k in KEYS[:2]))
        for k in KEYS[2:]:
            d, at = largest_difference(rows, k, True)
            cells.append("%.1f %% (%d)" % (100 * d, at))
        # The job's total (sent = received in a real run): only when every rank was dry-run.
        if len(rows) == res["P"]:
            real, dry = (sum(r[m]["bytes_sent_per_interval"] for r in rows) for m in ("real", "dry"))
            cells.append("%.0f / %.0f (%+.1f %%)" % (real, dry, 100 * (dry / real - 1) if real else 0.0))
        else:
            cells.append("-")
        print("| " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("deck")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--max-dry", type=int, default=None, metavar="N",
                    help="dry-run at most N ranks of each P, spread evenly (default: every rank)")
    ap.add_argument("--peers", type=int, default=None, metavar="M", help="--dry-run-peers M")
    ap.add_argument("--cajal", default=os.path.join(HERE, "..", "build", "bin", "cajal"))
    ap.add_argument("--mpiexec", default="mpirun")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one, removed)")
    ap.add_argument("--json", default=None, metavar="FILE", help="write every rank's figures here")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="traffic_sweep_")
    try:
        results = [sweep_one(args, P, work) for P in args.ranks]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print("%s%s, per rank and exchange interval (%d intervals):\n" %
          (os.path.basename(args.deck), "".join(" --set " + s for s in args.set),
           results[0]["ranks"][0]["real"]["intervals"]))
    table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"deck": args.deck, "set": args.set, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
