#!/usr/bin/env bash
# Threads against ranks (issue 16): each deck on 1x1, 1x2 (one rank, two threads) and 2x1
# (two ranks of one thread), REPS times each, interleaved so that a noisy spell hits every
# configuration alike; prints the median of each summary.json figure per deck and
# configuration, and the ratios the issue asks for. Needs a Cajal built against a Kokkos
# with OpenMP (README: Threads).
# Usage: [DECKS="brunel ..."] bench/threads_benchmark.sh [CAJAL] [REPS]   (default: the five decks, build-omp/bin/cajal, 3)
set -eu
cajal=${1:-build-omp/bin/cajal}
reps=${2:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# 1xT: one process, its threads bound one per core. Rx1: Open MPI binds each rank to a
# core (its default), and OMP_PROC_BIND stays unset there: with it, every rank would bind
# its thread to the first core.
decks=${DECKS:-"brunel astrocyte_brunel hpc_benchmark neuroglial_network potassium_column"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq "$reps"); do
  for d in $decks; do
    for c in 1x1 1x2 2x1; do
      ranks=${c%x*} threads=${c#*x}
      if [ "$ranks" = 1 ]; then
        OMP_PROC_BIND=spread OMP_PLACES=cores "$cajal" run "inputs/$d.toml" --output "$work/$d-$c-$r" --quiet \
          --threads "$threads" >/dev/null 2>&1 || { echo "$d $c failed"; exit 1; }
      else
        mpirun -q --bind-to core -n "$ranks" "$cajal" run "inputs/$d.toml" --output "$work/$d-$c-$r" --quiet \
          --threads "$threads" >/dev/null 2>&1 || { echo "$d $c failed"; exit 1; }
      fi
    done
  done
done
python3 - "$work" "$reps" $decks <<'PY'
import json, statistics, sys
work, reps, decks = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def med(d, c, f):
    return statistics.median(f(json.load(open(f"{work}/{d}-{c}-{r}/summary.json"))) for r in range(1, reps + 1))
phases = ["build", "simulate", "update", "deliver", "exchange", "field", "io"]
for d in decks:
    print(f"{d}:")
    for c in ["1x1", "1x2", "2x1"]:
        t = {p: med(d, c, lambda j: j["time_s"][p]) for p in phases}
        mem = med(d, c, lambda j: j["memory"]["peak_rss_bytes_all_ranks"]) / 2**20
        print(f"  {c}: " + ", ".join(f"{p} {t[p]:.3f}" for p in phases) + f" s; peak memory, all ranks {mem:.0f} MiB")
    for p in ["build", "simulate"]:
        a, b, r = med(d, "1x1", lambda j: j["time_s"][p]), med(d, "1x2", lambda j: j["time_s"][p]), med(d, "2x1", lambda j: j["time_s"][p])
        print(f"  {p}: 1x1/1x2 = {a / b:.2f} (target >= 1.8), 1x2/2x1 = {b / r:.2f} (target <= 1.10)")
PY
