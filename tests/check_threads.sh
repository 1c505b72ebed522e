#!/usr/bin/env bash
# Ranks x threads invariance: DECK run on every (ranks x threads) configuration given must
# write the same files, bit for bit, as its first configuration: spikes.h5, and every
# weights.h5, report_*.h5 and field.h5 it writes. Each run's summary.json must say it ran
# the threads asked for, so a build whose backend cannot run threads fails here instead
# of comparing one-thread runs with each other.
# Usage: check_threads.sh CAJAL MPIEXEC TOOLS_DIR DECK "RxT RxT ..." [SET...]
#   TOOLS_DIR holds spikecheck, weightcheck, reportcheck and fieldcheck.
#   SET...: --set assignments for every run.
set -u
cajal=$1 mpiexec=$2 tools=$3 deck=$4 configs=$5
shift 5
sets=()
for a in "$@"; do sets+=(--set "$a"); done
# Threads that wait sleep instead of spinning: the runs here oversubscribe the cores (1x4,
# 2x2 and ctest -j 2 on a 2-core machine), where spinning threads steal the cores of the
# ones with work (measured: the threads tests took 31 min with OpenMP's default policy).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
first=
for c in $configs; do
  ranks=${c%x*} threads=${c#*x}
  # --bind-to none: Open MPI binds each rank to one core when ranks <= 2, which would put
  # a rank's threads on one core.
  "$mpiexec" --oversubscribe --bind-to none -q -n "$ranks" "$cajal" run "$deck" --output "$work/$c" --quiet \
    --threads "$threads" "${sets[@]}" || { echo "FAIL: the $c run failed"; exit 1; }
  got=$(grep -o '"threads_per_rank": *[0-9]*' "$work/$c/summary.json" | grep -o '[0-9]*$')
  [ "$got" = "$threads" ] || { echo "FAIL: $c ran $got thread(s) per rank, not $threads"; exit 1; }
  if [ -z "$first" ]; then first=$c; continue; fi
  a=$work/$first b=$work/$c
  n=0
  for f in "$a"/spikes.h5 "$a"/weights.h5 "$a"/report_*.h5 "$a"/field.h5; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case $name in
      spikes.h5) tool=spikecheck ;;
      weights.h5) tool=weightcheck ;;
      field.h5) tool=fieldcheck ;;
      *) tool=reportcheck ;;
    esac
    if "$tools/$tool" equal "$f" "$b/$name"; then n=$((n + 1)); else echo "FAIL: $name differs, $first vs $c"; fails=$((fails + 1)); fi
  done
  echo "$first vs $c: $n file(s) identical"
done
exit $fails
