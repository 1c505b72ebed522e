#!/usr/bin/env bash
# Field solver benchmark (issue 4): inputs/field_poisson.toml (steady manufactured problem,
# each solve from a zero guess to 1e-8 relative residual) at 128^3 (and 256^3 with
# Cajal's multigrid) on 1 and 2 ranks, Cajal's multigrid (CG and reproducible Richardson)
# against PETSc's GAMG, hypre BoomerAMG and PCMG, plus the machine's triad bandwidth.
# Usage: bench/field_benchmark.sh [BUILD_DIR] (default build); prints one line per run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
cajal=$build/bin/cajal
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
g++ -O2 -o "$work/stream" "$here/stream.cpp"
# The bandwidth each rank count is measured against: the triad on one core, and the sum of
# two triads running at once for two ranks (best of three tries each).
triad1=0 triad2=0
for _ in 1 2 3; do
  t=$("$work/stream" | awk '{print $2}')
  triad1=$(awk -v a="$triad1" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
  t=$( ("$work/stream" & "$work/stream"; wait) | awk '{s += $2} END {print s}')
  triad2=$(awk -v a="$triad2" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
done
echo "triad_GBps one_core=$triad1 two_cores=$triad2"
run() {  # ranks voxel label mode solver
  local n=$1 v=$2 label=$3 mode=$4 solver=$5
  local bw=$triad1
  [ "$n" -ge 2 ] && bw=$triad2
  mpirun -q --oversubscribe -n "$n" "$cajal" run "$here/../inputs/field_poisson.toml" -o "$work/o" --overwrite -q \
    --set field.voxel="$v" --set field.mode="\"$mode\"" --set "field.solver=\"$solver\"" >/dev/null
  /usr/bin/python3 - "$work/o/summary.json" "$n" "$label" "$bw" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["field"]
n = f["shape"][0] * f["shape"][1] * f["shape"][2]
total = f.get("model_bytes_per_solve", 0)
line = (f"{f['shape'][0]}^3 ranks={sys.argv[2]} {sys.argv[3]:<22} setup_s={f['setup_s']:.3f} "
        f"solve_s={f['solve_s_per_solve']:.4f} its={f['iterations_per_solve']:.0f} "
        f"dof_per_s={n / f['solve_s_per_solve']:.3e} err_max={f['manufactured_error']['max_mM']:.3e}")
if total:  # time over the bound (bytes / bandwidth), with and without the vector work
    bw = float(sys.argv[4]) * 1e9
    mgb = f["model_bytes_multigrid_per_solve"]
    line += (f" model_GB={total / 1e9:.3f} (multigrid {mgb / 1e9:.3f}) x_bound={f['solve_s_per_solve'] * bw / total:.2f}"
             f" (multigrid bytes only: {f['solve_s_per_solve'] * bw / mgb:.2f})")
print(line)
PY
}
for n in 1 2; do
  for v in 10; do
    run $n $v cajal_mg_cg krylov ""
    run $n $v cajal_mg_richardson reproducible ""
    run $n $v petsc_gamg krylov "-field_pc_type gamg"
    run $n $v hypre_boomeramg krylov "-field_pc_type hypre"
    run $n $v petsc_mg_galerkin krylov "-field_pc_type mg"
    run $n $v cajal_mg_cg_no_fmg krylov "-field_mg_fmg false"
  done
  run $n 5 cajal_mg_cg krylov ""
done
