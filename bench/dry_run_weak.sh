#!/usr/bin/env bash
# Weak scaling of hpc_benchmark on paper (issue 17): for each P, one dry run of the most
# loaded rank of a P-rank job with 11,250 neurons per rank (scale = P: E.n = 9000 P,
# I.n = 2250 P; in-degrees 9000 + 2250 as in NEST's script), 10 ms simulated, and one row
# of its figures from summary.json (MiB; build excludes the replay of the other ranks).
#
#   bench/dry_run_weak.sh 16 256 1024 4096 16384
#   CAJAL=build/bin/cajal PEERS=1 EXTRA="--set simulation.exchange_buffer_mib=4" bench/dry_run_weak.sh 16384
#
# PEERS (default 64) replayed ranks estimate the subscriptions (exact while the ranks that
# may subscribe fit; README, "Sizing a job with --dry-run"); PEERS=1 is the quick form for
# build times, whose memory figures for the exchange are then rougher. OUT (default
# /tmp/cajal-weak) keeps each run's summary.json and table. One P = 16,384 run with 64 peers
# takes ~4 min and ~1.2 GB on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
CAJAL=${CAJAL:-build/bin/cajal}
PEERS=${PEERS:-64}
OUT=${OUT:-/tmp/cajal-weak}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
printf '%-7s %9s %9s %9s %9s %9s %9s %9s %9s %12s\n' P synapses exch_buf tables lib built_peak per_rank build_s sim_s/bio msgs/interval
for P in "$@"; do
  dir="$OUT/P$P"
  # shellcheck disable=SC2086
  "$CAJAL" run inputs/hpc_benchmark.toml --dry-run "$P" --dry-run-peers "$PEERS" --dry-run-ms 10 \
    --set population.E.n=$((9000 * P)) --set population.I.n=$((2250 * P)) $EXTRA \
    --output "$dir" --overwrite >"$OUT/P$P.txt" 2>&1
  python3 - "$dir/summary.json" "$P" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["dry_run"]
m, t, x = d["per_rank"]["memory_bytes"], d["per_rank"]["time_s"], d["per_rank"]["exchange"]
mib = lambda b: b / 2**20
print("%-7s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %12.0f" % (
    sys.argv[2], mib(m["synapses"]), mib(m["exchange_buffers"]), mib(m["exchange_tables"]),
    mib(m["library_baseline"]), mib(m["peak_rss_network_built"]),
    mib(d["projected_job"]["memory_bytes_per_rank"]), t["build"],
    t["simulate_per_biological_second"], x["messages_sent_per_interval"]))
EOF
done
