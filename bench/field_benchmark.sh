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
"$work/stream"                                               # one core
("$work/stream" & "$work/stream"; wait) | sed 's/^/concurrent: /'  # two cores: add the two
run() {  # ranks voxel label mode solver
  local n=$1 v=$2 label=$3 mode=$4 solver=$5
  mpirun -q --oversubscribe -n "$n" "$cajal" run "$here/../inputs/field_poisson.toml" -o "$work/o" --overwrite -q \
    --set field.voxel="$v" --set field.mode="\"$mode\"" --set "field.solver=\"$solver\"" >/dev/null
  /usr/bin/python3 - "$work/o/summary.json" "$n" "$label" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["field"]
n = f["shape"][0] * f["shape"][1] * f["shape"][2]
bw = f.get("model_bytes_per_solve", 0)
print(f"{f['shape'][0]}^3 ranks={sys.argv[2]} {sys.argv[3]:<22} setup_s={f['setup_s']:.3f} "
      f"solve_s={f['solve_s_per_solve']:.4f} its={f['iterations_per_solve']:.0f} "
      f"dof_per_s={n / f['solve_s_per_solve']:.3e} err_max={f['manufactured_error']['max_mM']:.3e}"
      + (f" model_GB_per_solve={bw / 1e9:.3f}" if bw else ""))
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
