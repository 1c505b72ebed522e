#!/usr/bin/python3
"""The dry run against real runs (README.md, "Sizing a job with --dry-run").

    check_dry_run.py CAJAL MPIEXEC DECK P WORKDIR [--peers M --exact yes|no] [--set k=v ...]

Runs DECK for real on P ranks (mpirun --oversubscribe) and as a dry run of P ranks (one
process, the most loaded rank), then compares the dry run's rank with the real run's rank
of the same number (summary.json: dry_run.per_rank against per_rank[r]):
  - memory by category (cells, synapses, ring buffers, exchange buffers, field, library
    baseline) within 10 % (exact zeros both sides count as equal);
  - messages sent and received per interval: equal.
With --peers M the dry run replays at most M other ranks' draws (--dry-run-peers), and its
summary must say whether its subscribers are exact (all ranks that may subscribe were
replayed) as --exact says; the checks above hold either way.
Prints one line per category (dry, real, ratio). Exit status 1 on any mismatch.
"""
import json
import os
import subprocess
import sys

CATEGORIES = ["cells", "synapses", "ring_buffers", "exchange_buffers", "field", "library_baseline"]


def run(cmd):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def main():
    cajal, mpiexec, deck, P, work = sys.argv[1:6]
    sets = sys.argv[6:]
    peers, exact = [], None
    if sets[:1] == ["--peers"]:
        peers, exact, sets = ["--dry-run-peers", sets[1]], sets[3] == "yes", sets[4:]
    P = int(P)
    real_dir, dry_dir = os.path.join(work, "real"), os.path.join(work, "dry")
    run([mpiexec, "--oversubscribe", "-q", "-n", str(P), cajal, "run", deck, "--output", real_dir, "--overwrite",
         "--quiet"] + sets)
    # The same stretch as the real run (--dry-run-ms beyond t_stop: all of it).
    table = run([cajal, "run", deck, "--dry-run", str(P), "--dry-run-ms", "1e9", "--output", dry_dir, "--overwrite",
                 "--quiet"] + peers + sets)
    with open(os.path.join(real_dir, "summary.json")) as f:
        real = json.load(f)
    with open(os.path.join(dry_dir, "summary.json")) as f:
        dry = json.load(f)["dry_run"]
    r = dry["rank"]
    d, q = dry["per_rank"], real["per_rank"][r]
    assert q["rank"] == r
    bad = []
    print("%s, P = %d, rank %d (%s): %d cells, %d synapses" % (os.path.basename(deck), P, r, dry["rank_chosen"],
                                                              d["cells"], d["synapses"]))
    if d["cells"] != q["cells"] or d["synapses"] != q["synapses"]:
        bad.append("cells/synapses: dry %d/%d, real %d/%d" % (d["cells"], d["synapses"], q["cells"], q["synapses"]))
    for c in CATEGORIES + ["peak_rss"]:
        a, b = d["memory_bytes"][c], q["memory_bytes"][c]
        ratio = a / b if b else (1.0 if a == 0 else float("inf"))
        checked = c in CATEGORIES
        print("  %-18s dry %12d  real %12d  dry/real %.3f%s" % (c, a, b, ratio, "" if checked else "  (not checked)"))
        if checked and abs(ratio - 1) > 0.10:
            bad.append("%s: dry %d, real %d bytes (more than 10 %% apart)" % (c, a, b))
    for k in ["messages_sent_per_interval", "messages_received_per_interval", "bytes_sent_per_interval",
              "bytes_received_per_interval"]:
        a, b = d["exchange"][k], q["exchange"][k]
        checked = k.startswith("messages")
        print("  %-32s dry %10.1f  real %10.1f%s" % (k, a, b, "" if checked else "  (not checked)"))
        if checked and a != b:
            bad.append("%s: dry %g, real %g" % (k, a, b))
    sub = dry["subscriptions"]
    print("  subscribers: %s (replayed %d of %d ranks that may subscribe)" %
          ("exact" if sub["exact"] else "estimated", sub["replayed_ranks"], sub["possible_ranks"]))
    if exact is not None and sub["exact"] != exact:
        bad.append("subscribers %s, expected %s" % ("exact" if sub["exact"] else "estimated",
                                                   "exact" if exact else "estimated"))
    if "projected totals" not in table and "projected job" not in table:
        bad.append("no table on stdout")
    if bad:
        sys.exit("dry run disagrees with the real run:\n  " + "\n  ".join(bad))


if __name__ == "__main__":
    main()
