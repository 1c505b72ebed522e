#pragma once
/// The extracellular field: potassium on a 3-D voxel grid over the tissue box, solved
/// implicitly every field step with PETSc, preconditioned by Cajal's own geometric
/// multigrid (field/multigrid.hpp).
///
/// Equation (Nicholson & Syková's volume-averaged diffusion in the extracellular space,
/// per unit tissue volume; c in mM, concentrations of the extracellular space):
///   alpha (c+ - c)/dt_f = alpha D* lap c+ - (alpha/tau)(c+ - c_base) + (Q_release - Q_uptake)/(V dt_f)
/// with D* = D / lambda^2, V the voxel volume (µm³) and Q amounts in amol (= mM µm³) over
/// the field step: every spike of a releasing population adds `release` amol to its voxel;
/// every uptaking astrocyte removes Jmax c/(Km + c) dt_f amol from its voxel (c at the step's
/// start, at most what the voxel holds). Backward Euler, cell-centred finite volumes,
/// 7-point stencil (second order); a Dirichlet face holds the bath c_base on the wall (ghost
/// 2 c_base - c), a Neumann face has no flux. Mass: sum(alpha V c) changes only by the
/// sources, the clearance and the Dirichlet faces.
///
/// The grid is one PETSc DMDA whose ownership ranges are the ranks' bricks (Bricks::voxel_cuts),
/// so a cell and its voxel live on the same rank. The operator is matrix-free (a MATSHELL
/// applying the multigrid's stencil kernel); an assembled AIJ copy is built only when the
/// options ask for a PETSc preconditioner (gamg, hypre, mg, ...).
///
/// Modes (deck: field.mode):
///  - reproducible: KSPRICHARDSON with the multigrid V-cycle as PCSHELL's Richardson
///    application; every iterate is bit-identical on any number of ranks, and so is the
///    stopping decision (its residual norm is summed exactly, Multigrid::norm).
///  - krylov: any KSP/PC from the options (default CG + the V-cycle); solutions agree
///    across rank counts to the solver tolerance only (dot products are summed in a
///    partition-dependent order).
///
/// Lifecycle: construct collectively after the Partition; `solve` once per field step
/// (collective); `save`/`restore` with the checkpoint. Errors: input_error for options
/// PETSc rejects (named at field.solver), error(exit_user) for a diverging solve (with
/// KSP's converged reason and the step).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

class CheckpointFile;

struct FieldStats {
  std::int64_t solves = 0, iterations = 0, max_iterations = 0;
  double setup_s = 0, solve_s = 0;
  double last_residual = 0;  ///< relative, of the last solve
  std::string ksp, pc;       ///< the types PETSc runs
  double bytes_per_cycle = 0;  ///< streaming model of one V-cycle (Cajal's multigrid only)
  double model_bytes = 0;      ///< the model's multigrid bytes over all solves (V-cycles and FMG starts)
  double model_bytes_vectors = 0;  ///< the model's bytes of the Krylov/Richardson vector work (field.cpp)
  std::int64_t vcycles = 0, fmg_cycles = 0;  ///< multigrid cycles run (shell PC)
  int levels = 0;
};

class Field {
public:
  Field(const Communicator& comm, const Deck& deck, const Bricks& bricks);
  ~Field();
  /// Sets the solver up once on a tiny grid (this rank alone) to report options PETSc
  /// rejects or does not use, as an input_error at field.solver, before a run starts.
  static void check_options(const Deck& deck);
  Field(const Field&) = delete;
  Field& operator=(const Field&) = delete;

  using Index3 = std::array<std::int64_t, 3>;
  const Index3& shape() const;  ///< global voxels (x, y, z)
  const Index3& start() const;  ///< first owned voxel
  const Index3& size() const;   ///< owned voxels
  /// Index (x fastest) into this rank's block of the voxel holding `p`; -1 when another
  /// rank owns it.
  std::int64_t local_voxel(const Point& p) const;

  /// Sources for the coming solve: one spike of a releasing population in local voxel v
  /// (counted exactly; each releases field.potassium.release amol). Atomic: threads may
  /// count spikes concurrently.
  void add_spike(std::int64_t v);
  /// One uptaking astrocyte in local voxel v (set up once).
  void add_uptake_site(std::int64_t v);

  /// Collective: one field step, ending at time step `step` (for messages and the
  /// verification source). Consumes the pending releases.
  void solve(std::int64_t step);

  /// Concentration (mM) of local voxel v.
  double at(std::int64_t v) const;
  /// Shift of a leak reversal potential (mV) at [K+]o = c: k_fraction RT/F ln(c / c_base).
  double nernst_shift(double c) const;

  /// Collective: sum of alpha V c over the grid (amol), summed exactly (rank-independent).
  double total_amount() const;
  /// Collective: the smallest and largest concentration (mM) over the grid.
  void extremes(double& min_c, double& max_c) const;
  /// Collective: verification only: max and rms of c - u over the voxels (u the manufactured
  /// solution at the voxel centres).
  void manufactured_error(double& max_err, double& rms_err) const;
  /// Residual norms (relative to the right-hand side) of the last solve, one per iteration.
  const std::vector<double>& residual_history() const;
  FieldStats stats() const;

  /// Collective: appends dataset /potassium/<step> (float64, [nz, ny, nx], global grid
  /// coordinates, time_ms attribute) to the field file at `path` (created when `create`).
  void write_snapshot(const std::string& path, bool create, std::int64_t step, double t_ms) const;
  /// Collective: a restarted run's field file: `dst` gets the snapshots of `src` up to
  /// step `last` (rank 0 copies the file when the two differ and deletes later snapshots).
  static void continue_snapshots(const Communicator& comm, const std::string& src, const std::string& dst,
                                 std::int64_t last);
  /// Collective: the concentrations and pending releases, by global voxel index.
  void save(CheckpointFile& f) const;
  void restore(CheckpointFile& f);

private:
  struct State;  // what snapshots and checkpoints hold (src/field/field_state.hpp)
  struct Impl;   // the solver, built on State (field.cpp)
  State& state();
  const State& state() const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cajal
