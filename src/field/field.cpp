#include "cajal/field/field.hpp"

#include <Kokkos_Core.hpp>
#include <petscdmda.h>
#include <petscksp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/util/error.hpp"
#include "field/field_state.hpp"
#include "field/multigrid.hpp"

namespace cajal {

namespace {

constexpr double pi = 3.14159265358979323846;

/// Whether the multigrid's grids live in memory the host can address (host backends).
/// There PETSc's arrays (host memory) go straight into the grid kernels; on a device
/// backend they pass through a device copy of the owned block (Impl::flat).
constexpr bool host_grids = Kokkos::SpaceAccessibility<Kokkos::HostSpace, field::Grid::memory_space>::accessible;
/// A PETSc array's owned block, as a view for deep_copy.
using HostBlock = Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

/// PETSc reports an error through this handler, which keeps its first message and makes
/// the call return the code (PETSc prints nothing itself).
std::string g_petsc_message;
PetscErrorCode keep_message(MPI_Comm, int, const char*, const char*, PetscErrorCode n, PetscErrorType p,
                            const char* mess, void*) {
  if (p == PETSC_ERROR_INITIAL && mess) g_petsc_message = mess;
  return n;
}

/// Runs a PETSc call; on failure throws `make(message)`.
template <class Make>
void petsc_call(PetscErrorCode rc, const Make& make) {
  if (rc == 0) return;
  std::string m = g_petsc_message;
  if (m.empty()) {
    const char* text = nullptr;
    PetscErrorMessage(rc, &text, nullptr);
    m = text ? text : "error " + std::to_string(static_cast<int>(rc));
  }
  g_petsc_message.clear();
  throw make(m);
}

/// The error maker for a PETSc call that fails only through a bug or a broken install.
auto internal(const std::string& what) {
  return [what](const std::string& m) { return petsc_error(what + ": " + m); };
}

std::string ksp_reason(KSPConvergedReason r) {
  const char* const* names = KSPConvergedReasons;
  const char* s = names[r];
  return s ? std::string("KSP_") + s : "KSP reason " + std::to_string(static_cast<int>(r));
}

// A PETSc vector's owned block (x fastest; `block` in memory the kernels reach) into the
// interior of a grid of n owned cells, and back, row by row. Free functions, not members
// of Field::Impl: nvcc refuses a device lambda inside a class that is private to another.
void block_to_grid(const double* block, field::Grid g, const std::array<std::int64_t, 3>& n) {
  const std::int64_t nx = n[0], ny = n[1];
  Kokkos::parallel_for(
      "cajal::field::to_grid", Kokkos::RangePolicy<Kokkos::IndexType<std::int64_t>>(0, n[1] * n[2]),
      KOKKOS_LAMBDA(std::int64_t row) {
        const double* src = block + row * nx;
        double* dst = &g(row / ny + 1, row % ny + 1, 1);
        for (std::int64_t i = 0; i < nx; ++i) dst[i] = src[i];
      });
}
void grid_to_block(field::Grid g, double* block, const std::array<std::int64_t, 3>& n) {
  const std::int64_t nx = n[0], ny = n[1];
  Kokkos::parallel_for(
      "cajal::field::from_grid", Kokkos::RangePolicy<Kokkos::IndexType<std::int64_t>>(0, n[1] * n[2]),
      KOKKOS_LAMBDA(std::int64_t row) {
        const double* src = &g(row / ny + 1, row % ny + 1, 1);
        double* dst = block + row * nx;
        for (std::int64_t i = 0; i < nx; ++i) dst[i] = src[i];
      });
}

}  // namespace

struct Field::Impl : Field::State {
  FieldSpec spec;
  std::int64_t owned = 0;
  double alpha = 0, Dstar = 0, dtf = 0, a0 = 0, c0 = 0, voxel_volume = 0;
  std::unique_ptr<field::Multigrid> mg;
  field::Grid io_in;  // the input of matrix-free products (the stencil needs its ghosts)
  Kokkos::View<double*> flat;  // the owned block, x fastest, in device memory (device backends only)
  std::vector<std::int32_t> uptake_sites;
  std::vector<double> manufactured_source;
  std::vector<std::string> inserted;  // option names the deck put into PETSc's database
  std::vector<double> history;
  bool shell = false, reproducible = false, not_converged = false;
  bool fmg_guess = false;  // krylov + shell from a zero guess: the first iterate is one FMG cycle
  std::int64_t vcycles = 0, fmg_cycles = 0;  // of the current solve
  std::int64_t norm_checks = 0;             // exact residual norms of the current (Richardson) solve
  FieldStats st;
  DM da = nullptr;
  Vec x = nullptr, b = nullptr;
  Mat A = nullptr, P = nullptr;
  KSP ksp = nullptr;

  Impl(const Communicator& c, const Deck& deck, const Bricks& br) : State(c, br), spec(deck.field) {}
  ~Impl() {
    KSPDestroy(&ksp);
    MatDestroy(&A);
    MatDestroy(&P);
    VecDestroy(&x);
    VecDestroy(&b);
    DMDestroy(&da);
  }

  input_error option_error(const std::string& why) const {
    return input_error(spec.solver_loc.file, spec.solver_loc.line, "field.solver", why);
  }

  // Copies between a PETSc vector's owned block (x fastest) and a grid's interior, row by
  // row (the PETSc array is host memory: with a device backend it is staged through `flat`).
  // They return PETSc's error code, so that the callbacks below can pass it on.
  PetscErrorCode to_grid(Vec v, field::Grid g) const {
    PetscFunctionBeginUser;
    const PetscScalar* a = nullptr;
    PetscCall(VecGetArrayRead(v, &a));
    const double* block = a;
    if (!host_grids) {  // deep_copy waits for the copy: `a` may be given back after it
      Kokkos::deep_copy(flat, HostBlock(const_cast<double*>(a), static_cast<std::size_t>(owned)));
      block = flat.data();
    }
    block_to_grid(block, g, n);
    PetscCall(VecRestoreArrayRead(v, &a));
    PetscFunctionReturn(0);
  }
  PetscErrorCode from_grid(field::Grid g, Vec v) const {
    PetscFunctionBeginUser;
    PetscScalar* a = nullptr;
    PetscCall(VecGetArray(v, &a));
    double* const block = host_grids ? a : flat.data();
    grid_to_block(g, block, n);
    if (!host_grids) Kokkos::deep_copy(HostBlock(a, static_cast<std::size_t>(owned)), flat);
    PetscCall(VecRestoreArray(v, &a));
    PetscFunctionReturn(0);
  }

  // --- PETSc callbacks (never throw through PETSc; every PETSc call checked, its error
  // code passed back to PETSc, which reports it through the caller's KSPSolve) ---------
  static PetscErrorCode mult(Mat A, Vec in, Vec out) {
    PetscFunctionBeginUser;
    Impl* self = nullptr;
    PetscCall(MatShellGetContext(A, &self));
    PetscCall(self->to_grid(in, self->io_in));
    PetscScalar* a = nullptr;
    PetscCall(VecGetArray(out, &a));
    // Straight into the owned block (x fastest); on a device backend through flat.
    self->mg->apply(self->io_in, host_grids ? a : self->flat.data());
    if (!host_grids) Kokkos::deep_copy(HostBlock(a, static_cast<std::size_t>(self->owned)), self->flat);
    PetscCall(VecRestoreArray(out, &a));
    PetscFunctionReturn(0);
  }
  static PetscErrorCode pc_apply(PC pc, Vec r, Vec e) {
    PetscFunctionBeginUser;
    Impl* self = nullptr;
    PetscCall(PCShellGetContext(pc, &self));
    field::Level& L = self->mg->level(0);
    PetscCall(self->to_grid(r, L.b));
    Kokkos::deep_copy(L.u, 0.0);
    self->mg->vcycle();
    self->vcycles += 1;
    PetscCall(self->from_grid(L.u, e));
    PetscFunctionReturn(0);
  }
  /// KSPRICHARDSON's own loop, done here: one V-cycle per iteration on the whole
  /// approximation, and the stopping test on the exactly summed residual norm.
  static PetscErrorCode pc_richardson(PC pc, Vec bv, Vec xv, Vec, PetscReal rtol, PetscReal abstol, PetscReal dtol,
                                      PetscInt maxit, PetscBool zero_guess, PetscInt* its,
                                      PCRichardsonConvergedReason* reason) {
    PetscFunctionBeginUser;
    Impl* self = nullptr;
    PetscCall(PCShellGetContext(pc, &self));
    field::Multigrid& mg = *self->mg;
    field::Level& L = mg.level(0);
    PetscCall(self->to_grid(bv, L.b));
    if (zero_guess) Kokkos::deep_copy(L.u, 0.0);
    else PetscCall(self->to_grid(xv, L.u));
    const double bnorm = mg.norm(L.b);
    self->history.clear();
    self->not_converged = false;
    *reason = PCRICHARDSON_CONVERGED_ITS;
    PetscInt it = 0;
    if (zero_guess && mg.options().fmg && bnorm > 0) {
      // The first iteration is a full-multigrid cycle (from zero, the residual is b).
      self->history.push_back(1.0);
      mg.fmg(self->spec.potassium.baseline);
      self->fmg_cycles += 1;
      it = 1;
    }
    for (;; ++it) {
      const double rn = mg.residual_norm();
      self->norm_checks += 1;
      self->history.push_back(bnorm > 0 ? rn / bnorm : rn);
      if (!std::isfinite(rn) || (bnorm > 0 && rn > dtol * bnorm)) {
        *reason = PCRICHARDSON_DIVERGED_DTOL;
        break;
      }
      if (rn <= abstol) {
        *reason = PCRICHARDSON_CONVERGED_ATOL;
        break;
      }
      if (rn <= rtol * bnorm) {
        *reason = PCRICHARDSON_CONVERGED_RTOL;
        break;
      }
      if (it == maxit) {
        self->not_converged = true;
        break;
      }
      mg.vcycle();
      self->vcycles += 1;
    }
    *its = it;
    PetscCall(self->from_grid(L.u, xv));
    PetscFunctionReturn(0);
  }
  static PetscErrorCode ksp_monitor(KSP, PetscInt, PetscReal rnorm, void* ctx) {
    PetscFunctionBeginUser;
    static_cast<Impl*>(ctx)->history.push_back(rnorm);
    PetscFunctionReturn(0);
  }

  void setup() {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& k = spec.potassium;
    N = spec.shape;
    for (int d = 0; d < 3; ++d) {
      s[d] = bricks.voxel_start(comm.rank(), d);
      n[d] = bricks.voxel_count(comm.rank(), d);
    }
    owned = n[0] * n[1] * n[2];
    h = spec.voxel;
    alpha = spec.alpha;
    Dstar = k.D / (spec.tortuosity * spec.tortuosity);
    dtf = spec.dt;
    voxel_volume = h * h * h;
    a0 = (spec.steady ? 0.0 : alpha / dtf) + (k.clearance_tau > 0 ? alpha / k.clearance_tau : 0.0);
    c0 = alpha * Dstar / (h * h);
    conc.assign(owned, k.initial);
    spikes_pending.assign(owned, 0);
    uptake_sites.assign(owned, 0);
    if (!spec.manufactured.empty()) {  // its source once; a transient run starts on the solution
      manufactured_source.assign(owned, 0.0);
      for_owned([&](std::int64_t q, const double* x) {
        manufactured_source[q] = exact_source(x);
        if (!spec.steady) conc[q] = exact(x);
      });
    }

    PetscPushErrorHandler(keep_message, nullptr);
    try {
      build_petsc();
    } catch (...) {
      PetscPopErrorHandler();
      throw;
    }
    PetscPopErrorHandler();
    st.setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  void build_petsc() {
    std::vector<PetscInt> l[3];
    for (int d = 0; d < 3; ++d)
      for (int r = 0; r < bricks.dims[d]; ++r)
        l[d].push_back(static_cast<PetscInt>(bricks.voxel_cuts[d][r + 1] - bricks.voxel_cuts[d][r]));
    petsc_call(DMDACreate3d(mpi_comm(comm), DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                            static_cast<PetscInt>(N[0]), static_cast<PetscInt>(N[1]), static_cast<PetscInt>(N[2]),
                            bricks.dims[0], bricks.dims[1], bricks.dims[2], 1, 1, l[0].data(), l[1].data(), l[2].data(),
                            &da),
               internal("DMDACreate3d"));
    // Cell-centred grid: PETSc's own PCMG coarsens it by halving (Q0 interpolation).
    petsc_call(DMDASetInterpolationType(da, DMDA_Q0), internal("DMDASetInterpolationType"));
    petsc_call(DMSetUp(da), internal("DMSetUp"));
    petsc_call(DMCreateGlobalVector(da, &x), internal("DMCreateGlobalVector"));
    petsc_call(VecDuplicate(x, &b), internal("VecDuplicate"));

    field::Multigrid::Options mo;
    // The multigrid's own options, read from the same database (prefix -field_mg_).
    PetscInt v = 0;
    PetscBool set = PETSC_FALSE;
    if (!PetscOptionsGetInt(nullptr, "field_", "-mg_pre", &v, &set) && set) mo.pre = static_cast<int>(v);
    if (!PetscOptionsGetInt(nullptr, "field_", "-mg_post", &v, &set) && set) mo.post = static_cast<int>(v);
    char cyc[8] = "v";
    PetscOptionsGetString(nullptr, "field_", "-mg_cycle", cyc, sizeof cyc, &set);
    if (std::strcmp(cyc, "v") && std::strcmp(cyc, "w")) throw option_error("-field_mg_cycle must be v or w");
    mo.gamma = cyc[0] == 'w' ? 2 : 1;
    PetscBool fmg = PETSC_TRUE;
    if (!PetscOptionsGetBool(nullptr, "field_", "-mg_fmg", &fmg, &set) && set) mo.fmg = fmg;
    PetscReal w = 0;
    if (!PetscOptionsGetReal(nullptr, "field_", "-mg_omega", &w, &set) && set) mo.omega = w;
    if (!(mo.omega > 0 && mo.omega < 2)) throw option_error("-field_mg_omega must lie in (0, 2)");
    if (mo.pre < 0 || mo.post < 0 || mo.pre + mo.post < 1)
      throw option_error("-field_mg_pre and -field_mg_post must be ≥ 0 with at least one sweep");
    mg = std::make_unique<field::Multigrid>(comm, N, bricks, comm.rank(), spec.potassium.dirichlet, a0, c0, mo);
    io_in = field::make_grid("cajal::field::in", {n[0], n[1], n[2]});
    if (!host_grids) flat = Kokkos::View<double*>("cajal::field::flat", static_cast<std::size_t>(owned));
    st.levels = mg->levels();

    const PetscInt nl = static_cast<PetscInt>(owned);
    petsc_call(MatCreateShell(mpi_comm(comm), nl, nl, PETSC_DETERMINE, PETSC_DETERMINE, this, &A), internal("MatCreateShell"));
    petsc_call(MatShellSetOperation(A, MATOP_MULT, reinterpret_cast<void (*)(void)>(&Impl::mult)),
               internal("MatShellSetOperation"));

    petsc_call(KSPCreate(mpi_comm(comm), &ksp), internal("KSPCreate"));
    petsc_call(KSPSetOptionsPrefix(ksp, "field_"), internal("KSPSetOptionsPrefix"));
    petsc_call(KSPSetOperators(ksp, A, A), internal("KSPSetOperators"));
    reproducible = spec.mode == FieldSpec::Mode::reproducible;
    PC pc = nullptr;
    petsc_call(KSPGetPC(ksp, &pc), internal("KSPGetPC"));
    petsc_call(KSPSetType(ksp, reproducible ? KSPRICHARDSON : KSPCG), internal("KSPSetType"));
    petsc_call(PCSetType(pc, PCSHELL), internal("PCSetType"));
    if (!reproducible) petsc_call(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), internal("KSPSetNormType"));
    petsc_call(KSPSetTolerances(ksp, spec.rtol, 0.0, 1e5, static_cast<PetscInt>(spec.max_it)), internal("KSPSetTolerances"));
    petsc_call(KSPSetInitialGuessNonzero(ksp, spec.manufactured.empty() ? PETSC_TRUE : PETSC_FALSE),
               internal("KSPSetInitialGuessNonzero"));
    // PETSc's PCMG needs levels; give it as many as the multigrid has unless the options do.
    char pctype[64] = "";
    PetscBool has_pc = PETSC_FALSE, has_levels = PETSC_FALSE, has_galerkin = PETSC_FALSE;
    PetscOptionsGetString(nullptr, "field_", "-pc_type", pctype, sizeof pctype, &has_pc);
    PetscOptionsHasName(nullptr, "field_", "-pc_mg_levels", &has_levels);
    PetscOptionsHasName(nullptr, "field_", "-pc_mg_galerkin", &has_galerkin);
    std::vector<std::string> defaults;  // set here, cleared after the set-up
    if (has_pc && std::strcmp(pctype, "mg") == 0) {
      if (!has_levels) {
        PetscOptionsSetValue(nullptr, "-field_pc_mg_levels", std::to_string(std::max(1, mg->levels() - 1)).c_str());
        defaults.push_back("-field_pc_mg_levels");
      }
      if (!has_galerkin) {
        PetscOptionsSetValue(nullptr, "-field_pc_mg_galerkin", "pmat");
        defaults.push_back("-field_pc_mg_galerkin");
      }
    }
    struct Clear {
      std::vector<std::string>& names;
      ~Clear() {
        for (const auto& n : names) PetscOptionsClearValue(nullptr, n.c_str());
      }
    } clear{defaults};
    auto rejected = [this](const std::string& m) {
      return option_error("PETSc rejected the options \"" + spec.solver + "\": " + m);
    };
    petsc_call(KSPSetFromOptions(ksp), rejected);
    KSPType kt = nullptr;
    PCType pt = nullptr;
    KSPGetType(ksp, &kt);
    PCGetType(pc, &pt);
    st.ksp = kt ? kt : "";
    st.pc = pt ? pt : "";
    shell = st.pc == PCSHELL;
    if (reproducible && (st.ksp != KSPRICHARDSON || !shell))
      throw input_error(spec.mode_loc.file, spec.mode_loc.line, "field.mode",
                        "mode = \"reproducible\" runs -field_ksp_type richardson with Cajal's multigrid "
                        "(-field_pc_type shell); the options ask for " + st.ksp + " with " + st.pc +
                        "; allowed: drop those options, or mode = \"krylov\" (tolerance-level agreement across ranks)");
    if (shell) {
      petsc_call(PCShellSetContext(pc, this), internal("PCShellSetContext"));
      petsc_call(PCShellSetApply(pc, &Impl::pc_apply), internal("PCShellSetApply"));
      petsc_call(PCShellSetApplyRichardson(pc, &Impl::pc_richardson), internal("PCShellSetApplyRichardson"));
      petsc_call(PCShellSetName(pc, "Cajal geometric multigrid (V-cycle, red-black Gauss-Seidel)"),
                 internal("PCShellSetName"));
      st.bytes_per_cycle = mg->bytes_per_cycle();
      if (!reproducible && !spec.manufactured.empty() && mg->options().fmg) {
        fmg_guess = true;
        petsc_call(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE), internal("KSPSetInitialGuessNonzero"));
      }
    } else if (st.pc == PCMG) {
      // PETSc's geometric multigrid coarsens the DMDA itself (Q0: halving) and forms the
      // coarse operators by Galerkin products of the assembled fine matrix.
      petsc_call(KSPSetDM(ksp, da), internal("KSPSetDM"));
      petsc_call(KSPSetComputeOperators(ksp, &Impl::compute_operators, this), internal("KSPSetComputeOperators"));
    } else {
      petsc_call(DMCreateMatrix(da, &P), internal("DMCreateMatrix"));
      assemble(P);
      petsc_call(KSPSetOperators(ksp, A, P), internal("KSPSetOperators"));
    }
    if (!reproducible) petsc_call(KSPMonitorSet(ksp, &Impl::ksp_monitor, this, nullptr), internal("KSPMonitorSet"));
    petsc_call(KSPSetUp(ksp), [this](const std::string& m) {
      return option_error("PETSc could not set up the solver \"" + spec.solver + "\": " + m);
    });
    // Options nobody read are misspellings (or belong to a type not chosen): say so.
    PetscInt nleft = 0;
    char** names = nullptr;
    char** values = nullptr;
    if (!PetscOptionsLeftGet(nullptr, &nleft, &names, &values)) {
      std::string unused;
      for (PetscInt i = 0; i < nleft; ++i) {
        const std::string nm = names[i];
        // Options PETSc reads only when a solve ends (reports of it) are not unused.
        const bool at_solve = nm.find("_view") != std::string::npos || nm.find("converged_reason") != std::string::npos ||
                              nm.find("error_if_not_converged") != std::string::npos;
        if (nm.rfind("field_", 0) == 0 && !at_solve && unused.empty()) unused = "-" + nm;
      }
      PetscOptionsLeftRestore(nullptr, &nleft, &names, &values);
      if (!unused.empty())
        throw option_error("PETSc did not use the option " + unused +
                           " (misspelt, or it belongs to a solver type the options do not select); the solver runs " +
                           st.ksp + " with " + (shell ? std::string("Cajal's multigrid") : st.pc));
    }
  }

  static PetscErrorCode compute_operators(KSP, Mat J, Mat B, void* ctx) {
    try {
      static_cast<Impl*>(ctx)->assemble(B);
      if (J != B) static_cast<Impl*>(ctx)->assemble(J);
    } catch (...) {
      return PETSC_ERR_LIB;
    }
    return 0;
  }

  /// The AIJ matrix (from the DMDA) of the same operator, for PETSc's own preconditioners.
  void assemble(Mat P) {
    const auto& dir = spec.potassium.dirichlet;
    for (std::int64_t k = s[2]; k < s[2] + n[2]; ++k)
      for (std::int64_t j = s[1]; j < s[1] + n[1]; ++j)
        for (std::int64_t i = s[0]; i < s[0] + n[0]; ++i) {
          MatStencil row{}, col[7]{};
          PetscScalar val[7];
          row.i = static_cast<PetscInt>(i);
          row.j = static_cast<PetscInt>(j);
          row.k = static_cast<PetscInt>(k);
          int nc = 1;
          double diag = a0 + 6 * c0;
          const std::int64_t g[3] = {i, j, k};
          for (int d = 0; d < 3; ++d)
            for (int side = 0; side < 2; ++side) {
              const std::int64_t q = g[d] + (side ? 1 : -1);
              if (q < 0 || q >= N[d]) {
                diag += dir[2 * d + side] ? c0 : -c0;
                continue;
              }
              MatStencil cs = row;
              (d == 0 ? cs.i : d == 1 ? cs.j : cs.k) = static_cast<PetscInt>(q);
              col[nc] = cs;
              val[nc++] = -c0;
            }
          col[0] = row;
          val[0] = diag;
          petsc_call(MatSetValuesStencil(P, 1, &row, nc, col, val, INSERT_VALUES), internal("MatSetValuesStencil"));
        }
    petsc_call(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY), internal("MatAssemblyBegin"));
    petsc_call(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY), internal("MatAssemblyEnd"));
  }

  /// f(q, x) for every owned voxel q (x fastest) at its centre x (µm).
  template <class F>
  void for_owned(const F& f) const {
    std::int64_t q = 0;
    for (std::int64_t k = 0; k < n[2]; ++k)
      for (std::int64_t j = 0; j < n[1]; ++j)
        for (std::int64_t i = 0; i < n[0]; ++i, ++q) {
          const double x[3] = {(s[0] + i + 0.5) * h, (s[1] + j + 0.5) * h, (s[2] + k + 0.5) * h};
          f(q, x);
        }
  }
  double box(int d) const { return static_cast<double>(N[d]) * h; }
  /// The manufactured solution: c_base + A prod sin(pi x_d / L_d) (the bath on every wall).
  double exact(const double* x) const {
    double p = spec.amplitude;
    for (int d = 0; d < 3; ++d) p *= std::sin(pi * x[d] / box(d));
    return spec.potassium.baseline + p;
  }
  /// Its source: alpha/tau (u - c_base) - alpha D* lap u.
  double exact_source(const double* x) const {
    const double u = exact(x) - spec.potassium.baseline;
    double lap = 0;
    for (int d = 0; d < 3; ++d) lap += (pi / box(d)) * (pi / box(d));
    const double tau = spec.potassium.clearance_tau;
    return (tau > 0 ? alpha / tau * u : 0.0) + alpha * Dstar * lap * u;
  }

  /// The right-hand side, straight into PETSc's vector `rhs`.
  void build_rhs(double* rhs) {
    const auto& k = spec.potassium;
    const double mass = spec.steady ? 0.0 : alpha / dtf;
    const double clear = k.clearance_tau > 0 ? alpha * k.baseline / k.clearance_tau : 0.0;
    const double per_amount = 1.0 / (voxel_volume * dtf);  // amol over the step -> mM/ms per tissue volume
    const double bath = 2.0 * c0 * k.baseline;
    const bool manufactured = !spec.manufactured.empty();
    // One voxel per iteration (each its own arithmetic: the bits do not depend on the threads).
    const double* const c_of = conc.data();
    std::int64_t* const pending = spikes_pending.data();
    const std::int32_t* const sites = uptake_sites.data();
    const double* const source = manufactured_source.data();
    const std::int64_t n0 = n[0], n1 = n[1], s0 = s[0], s1 = s[1], s2 = s[2], N0 = N[0], N1 = N[1], N2 = N[2];
    const double release = k.release, jmax = k.uptake_jmax, km = k.uptake_km, alpha_ = alpha, vol = voxel_volume, dt = dtf;
    const auto wall = k.dirichlet;
    Kokkos::parallel_for(
        "cajal::field::rhs", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, owned),
        [=](const std::int64_t q) {
          const std::int64_t i = q % n0, j = (q / n0) % n1, kk = q / (n0 * n1);
          const std::int64_t g[3] = {s0 + i, s1 + j, s2 + kk}, last[3] = {N0 - 1, N1 - 1, N2 - 1};
          double r = mass * c_of[q] + clear;
          double amount = static_cast<double>(pending[q]) * release;
          if (sites[q] > 0 && jmax > 0) {
            const double c = std::max(0.0, c_of[q]);
            const double want = sites[q] * jmax * c / (km + c) * dt;
            amount -= std::min(want, alpha_ * vol * c);
          }
          r += amount * per_amount;
          if (manufactured) r += source[q];
          for (int d = 0; d < 3; ++d) {
            if (g[d] == 0 && wall[2 * d]) r += bath;
            if (g[d] == last[d] && wall[2 * d + 1]) r += bath;
          }
          rhs[q] = r;
          pending[q] = 0;
        });
    Kokkos::DefaultHostExecutionSpace().fence();
  }

  /// Bytes (STREAM's count: each array read or written once) of the solve's work outside
  /// the multigrid cycles that the method itself needs, for `its` iterations:
  ///  - KSPCG with the unpreconditioned norm (the krylov default), PETSc's sequence: r = b - A x
  ///    (MatMult 16 + AYPX 24; r = b, 16, from a zero guess), |r| 8, z'r 16 after the first
  ///    preconditioner; per iteration p = z (copy 16) or p = z + beta p (24), w = A p 16, p'w
  ///    16, x += a p and r -= a w 48, |r| 8, and z'r 16 unless it is the last;
  ///  - Richardson (reproducible): |b| 16 (two passes), and per stopping test the residual
  ///    24 and its exact norm 8.
  /// The copies between PETSc's vectors and the multigrid's ghosted grids are not counted:
  /// they are this implementation's cost, not the method's. Other Krylov methods or norms: 0.
  double vector_bytes(PetscInt its) const {
    const double cells = static_cast<double>(N[0] * N[1] * N[2]);
    if (reproducible) return cells * (16.0 + 32.0 * static_cast<double>(norm_checks));
    KSPNormType norm = KSP_NORM_DEFAULT;
    KSPGetNormType(ksp, &norm);
    if (st.ksp != KSPCG || norm != KSP_NORM_UNPRECONDITIONED) return 0.0;
    PetscBool nonzero = PETSC_FALSE;
    KSPGetInitialGuessNonzero(ksp, &nonzero);
    double per_cell = (nonzero ? 40.0 : 16.0) + 8.0;
    if (its > 0) per_cell += 16.0;
    for (PetscInt i = 0; i < its; ++i) {
      per_cell += (i == 0 ? 16.0 : 24.0) + 16.0 + 16.0 + 48.0 + 8.0;
      if (i + 1 < its) per_cell += 16.0;
    }
    return cells * per_cell;
  }

  void solve(std::int64_t step) {
    PetscScalar* a = nullptr;
    petsc_call(VecGetArray(b, &a), internal("VecGetArray"));
    build_rhs(a);
    petsc_call(VecRestoreArray(b, &a), internal("VecRestoreArray"));
    if (spec.manufactured.empty()) {  // the previous concentrations start the solve
      petsc_call(VecGetArray(x, &a), internal("VecGetArray"));
      std::copy(conc.begin(), conc.end(), a);
      petsc_call(VecRestoreArray(x, &a), internal("VecRestoreArray"));
    }
    // The solve's clock (FieldStats::solve_s) runs from here: the right-hand side's assembly
    // (sources, uptake, bath terms) is the field step's, whatever solver runs.
    const auto t0 = std::chrono::steady_clock::now();
    history.clear();
    vcycles = fmg_cycles = norm_checks = 0;
    if (fmg_guess) {  // Krylov with Cajal's multigrid from a zero guess: start from one FMG cycle
      field::Level& L = mg->level(0);
      petsc_call(to_grid(b, L.b), internal("to_grid"));
      mg->fmg(spec.potassium.baseline);
      fmg_cycles += 1;
      petsc_call(from_grid(L.u, x), internal("from_grid"));
    }
    PetscPushErrorHandler(keep_message, nullptr);
    const PetscErrorCode rc = KSPSolve(ksp, b, x);
    PetscPopErrorHandler();
    auto when = [&] {  // for messages only
      char buf[96];
      std::snprintf(buf, sizeof buf, "field step ending at t = %g ms (step %lld)", step_ms(step),
                    static_cast<long long>(step));
      return std::string(buf);
    };
    petsc_call(rc, [&](const std::string& m) { return error("field: the solve failed at the " + when() + ": " + m, exit_user); });
    KSPConvergedReason reason;
    petsc_call(KSPGetConvergedReason(ksp, &reason), internal("KSPGetConvergedReason"));
    PetscInt its = 0;
    petsc_call(KSPGetIterationNumber(ksp, &its), internal("KSPGetIterationNumber"));
    if (reason < 0 || not_converged)
      throw error("field: the solve diverged at the " + when() + ": " +
                      (not_converged ? std::string("KSP_DIVERGED_ITS") : ksp_reason(reason)) + " after " +
                      std::to_string(static_cast<long long>(its)) + " iterations (" + st.ksp + " with " +
                      (shell ? std::string("Cajal's multigrid") : st.pc) +
                      "); the run stops here. Check field.dt, the diffusion and uptake parameters, and field.solver; "
                      "field.max_it = " + std::to_string(spec.max_it),
                  exit_user);
    petsc_call(VecGetArray(x, &a), internal("VecGetArray"));
    std::copy(a, a + owned, conc.begin());
    petsc_call(VecRestoreArray(x, &a), internal("VecRestoreArray"));
    if (!reproducible && !history.empty()) {  // KSP's norms, relative to ||b||
      PetscReal bn = 0;
      petsc_call(VecNorm(b, NORM_2, &bn), internal("VecNorm"));
      for (double& hv : history) hv = bn > 0 ? hv / bn : hv;
    }
    if (shell) {  // the streaming model of what the solve moved: the cycles run, and the vectors
      st.model_bytes += mg->bytes_per_cycle() * static_cast<double>(vcycles) +
                        mg->bytes_per_fmg() * static_cast<double>(fmg_cycles);
      st.model_bytes_vectors += vector_bytes(its);
      st.vcycles += vcycles;
      st.fmg_cycles += fmg_cycles;
    }
    st.solves += 1;
    st.iterations += its;
    st.max_iterations = std::max<std::int64_t>(st.max_iterations, its);
    st.last_residual = history.empty() ? 0.0 : history.back();
    st.solve_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double dt_sim = 0;
  double step_ms(std::int64_t step) const { return static_cast<double>(step) * dt_sim; }
};

Field::Field(const Communicator& comm, const Deck& deck, const Bricks& bricks)
    : impl_(std::make_unique<Impl>(comm, deck, bricks)) {
  impl_->dt_sim = deck.simulation.dt;
  // The deck's options go into PETSc's database (each must carry the -field_ prefix).
  std::istringstream words(deck.field.solver);
  for (std::string w; words >> w;) {
    if (w.size() > 1 && w[0] == '-' && !(std::isdigit(static_cast<unsigned char>(w[1])) || w[1] == '.') &&
        w.rfind("-field_", 0) != 0)
      throw impl_->option_error("the option " + w + " lacks the prefix -field_ (write -field_" + w.substr(1) +
                                "); every option here is for the field's solver");
    if (w.rfind("-field_", 0) == 0) impl_->inserted.push_back(w);
  }
  PetscPushErrorHandler(keep_message, nullptr);
  const PetscErrorCode rc = PetscOptionsInsertString(nullptr, deck.field.solver.c_str());
  PetscPopErrorHandler();
  petsc_call(rc, [&](const std::string& m) { return impl_->option_error("PETSc cannot read the options: " + m); });
  impl_->setup();
}

Field::~Field() {
  // The deck's options leave PETSc's database with the field (another Field, e.g. the
  // check at deck load or a test, starts from a clean slate).
  for (const auto& name : impl_->inserted) PetscOptionsClearValue(nullptr, name.c_str());
}

void Field::check_options(const Deck& deck) {
  // The same set-up on a 4^3 grid of this rank alone: PETSc reads the options exactly as
  // it will in the run, so a rejected or unused option is reported before any output.
  Deck small = deck;
  small.field.shape = {4, 4, 4};
  small.field.manufactured.clear();
  Bricks b;
  b.voxel = deck.field.voxel;
  for (int d = 0; d < 3; ++d) b.voxel_cuts[d] = {0, 4};
  b.aligned_levels = 60;
  MpiCommunicator self(MPI_COMM_SELF);
  Field f(self, small, b);
}

const Field::Index3& Field::shape() const { return impl_->N; }
const Field::Index3& Field::start() const { return impl_->s; }
const Field::Index3& Field::size() const { return impl_->n; }

std::int64_t Field::local_voxel(const Point& p) const {
  const Impl& m = *impl_;
  const auto v = m.bricks.voxel_of(p);
  std::int64_t q = 0, stride = 1;
  for (int d = 0; d < 3; ++d) {
    if (v[d] < m.s[d] || v[d] >= m.s[d] + m.n[d]) return -1;
    q += (v[d] - m.s[d]) * stride;
    stride *= m.n[d];
  }
  return q;
}

void Field::add_spike(std::int64_t v) { Kokkos::atomic_add(&impl_->spikes_pending[v], std::int64_t{1}); }
void Field::add_uptake_site(std::int64_t v) { impl_->uptake_sites[v] += 1; }
void Field::solve(std::int64_t step) { impl_->solve(step); }
double Field::at(std::int64_t v) const { return impl_->conc[v]; }

double Field::nernst_shift(double c) const {
  const auto& k = impl_->spec.potassium;
  const double RT_F = 8.314462618 * k.temperature / 96485.33212 * 1e3;  // mV
  return k.k_fraction * RT_F * std::log(std::max(c, 1e-9) / std::max(k.baseline, 1e-9));
}

double Field::total_amount() const {
  // Exact: every value in fixed point at the resolution of the largest (53 bits), summed
  // in 128-bit integers, the per-rank sums added in the same order on every rank.
  const Impl& m = *impl_;
  double mx = 0;
  for (double c : m.conc) mx = std::max(mx, std::fabs(c));
  mx = m.comm.max(mx);
  if (!(mx > 0)) return 0.0;
  const int e = std::ilogb(mx);
  const double unit = std::ldexp(1.0, 52 - e);
  __int128 local = 0;
  for (double c : m.conc) local += static_cast<__int128>(std::llround(c * unit));
  const auto hi = m.comm.allgather<long long>(static_cast<long long>(local >> 62));
  const auto lo = m.comm.allgather<long long>(static_cast<long long>(local & ((__int128(1) << 62) - 1)));
  __int128 total = 0;
  for (std::size_t r = 0; r < hi.size(); ++r) total += static_cast<__int128>(hi[r]) * (__int128(1) << 62) + lo[r];
  return static_cast<double>(total) / unit * m.alpha * m.voxel_volume;
}

void Field::extremes(double& min_c, double& max_c) const {
  const Impl& m = *impl_;
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (double c : m.conc) {
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  min_c = m.comm.min(lo);
  max_c = m.comm.max(hi);
}

void Field::manufactured_error(double& max_err, double& rms_err) const {
  const Impl& m = *impl_;
  double mx = 0, ss = 0;
  m.for_owned([&](std::int64_t q, const double* x) {
    const double e = m.conc[q] - m.exact(x);
    mx = std::max(mx, std::fabs(e));
    ss += e * e;
  });
  max_err = m.comm.max(mx);
  const double total = static_cast<double>(m.N[0] * m.N[1] * m.N[2]);
  rms_err = std::sqrt(m.comm.sum(ss) / total);
}

const std::vector<double>& Field::residual_history() const { return impl_->history; }
FieldStats Field::stats() const { return impl_->st; }

Field::State& Field::state() { return *impl_; }
const Field::State& Field::state() const { return *impl_; }

}  // namespace cajal
