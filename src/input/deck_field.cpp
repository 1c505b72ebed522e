// [field] and its [field.potassium] table: the voxel grid over simulation.box, the field
// step and solver, and potassium's diffusion, boundaries, sources and sinks.
#include <algorithm>
#include <cmath>

#include "input/deck_sections.hpp"

namespace cajal::input {
namespace {

/// voxel (which must divide every side of the box), alpha and tortuosity.
void read_grid(const Reader& r, FieldSpec& f, const std::array<double, 3>& box) {
  r.require("voxel", "the voxel edge in µm (the box must hold a whole number of voxels)");
  f.voxel_loc = r.loc("voxel");
  f.voxel = r.number("voxel");
  if (!(f.voxel > 0)) r.fail(r.at("voxel"), "voxel", "must be > 0 µm (got " + num(f.voxel) + ")");
  for (int d = 0; d < 3; ++d) {
    const double q = box[d] / f.voxel;
    const double n = std::round(q);
    if (n < 1 || std::fabs(q - n) > 1e-9 * std::max(1.0, q))
      r.fail(r.at("voxel"), "voxel",
             "simulation.box[" + std::to_string(d) + "] = " + num(box[d]) + " µm is not a whole number of " +
                 num(f.voxel) + " µm voxels (" + num(q) + "); allowed: a voxel that divides every side of the box");
    if (n > 1 << 20) r.fail(r.at("voxel"), "voxel", "more than 2^20 voxels along a side of the box");
    f.shape[d] = static_cast<std::int64_t>(n);
  }
  f.alpha = r.number("alpha", f.alpha);
  if (!(f.alpha > 0 && f.alpha <= 1)) r.fail(r.at("alpha"), "alpha", "the volume fraction must lie in (0, 1] (got " + num(f.alpha) + ")");
  f.tortuosity = r.number("tortuosity", f.tortuosity);
  if (!(f.tortuosity >= 1)) r.fail(r.at("tortuosity"), "tortuosity", "must be ≥ 1 (got " + num(f.tortuosity) + ")");
}

/// The field step (a multiple of simulation.dt), the solver's options and tolerances, and
/// the verification problem.
void read_step_and_solver(const Reader& r, FieldSpec& f, double sim_dt) {
  f.dt_loc = r.loc("dt");
  f.dt = r.number("dt", sim_dt);
  if (!(f.dt > 0) || !multiple_of(f.dt, sim_dt))
    r.fail(r.at("dt"), "dt", "the field step must be a positive multiple of simulation.dt = " + num(sim_dt) +
                                 " ms (got " + num(f.dt) + ")");
  f.every = static_cast<std::int64_t>(std::llround(f.dt / sim_dt));
  f.steady = r.boolean("steady", false);
  f.solver_loc = r.loc("solver");
  f.solver = r.string("solver", "");
  f.rtol = r.number("rtol", f.rtol);
  if (!(f.rtol > 0 && f.rtol < 1)) r.fail(r.at("rtol"), "rtol", "must lie in (0, 1) (got " + num(f.rtol) + ")");
  if (r.has("max_it")) {
    f.max_it = r.integer("max_it");
    if (f.max_it < 1 || f.max_it > 100000) r.fail(r.at("max_it"), "max_it", "must lie in [1, 100000]");
  }
  f.manufactured = r.choice("manufactured", {"none", "sine"}, "none");
  if (f.manufactured == "none") f.manufactured.clear();
  f.amplitude = r.number("amplitude", f.amplitude);
}

/// `boundary`: one condition for every face, or six [xmin, xmax, ymin, ymax, zmin, zmax].
void read_boundary(const Reader& p, std::array<bool, 6>& dirichlet) {
  const tvalue& b = p.at("boundary");
  const std::vector<std::string> kinds{"dirichlet", "neumann"};
  auto one = [&](const tvalue& v) {
    const std::string s = v.is_string() ? v.as_string().str : std::string();
    if (s != "dirichlet" && s != "neumann") {
      std::string why = "'" + s + "' is not a boundary condition";
      const std::string c = closest(s, kinds);
      if (!c.empty()) why += " (did you mean '" + c + "'?)";
      p.fail(b, "boundary", why + "; allowed: \"dirichlet\" (bath at baseline) or \"neumann\" (no flux), one for "
                                  "every face or six [xmin, xmax, ymin, ymax, zmin, zmax]");
    }
    return s == "dirichlet";
  };
  if (b.is_array()) {
    if (b.as_array().size() != 6)
      p.fail(b, "boundary", "must name 6 faces [xmin, xmax, ymin, ymax, zmin, zmax] (got " +
                                std::to_string(b.as_array().size()) + ")");
    for (int i = 0; i < 6; ++i) dirichlet[i] = one(b.as_array()[i]);
  } else {
    const bool d = one(b);
    dirichlet.fill(d);
  }
}

/// [field.potassium]: diffusion, boundaries, release by spikes, uptake by astrocytes,
/// clearance, and the populations whose leak follows [K+]o.
void read_potassium(const tvalue& table, FieldSpec& f, const Deck& deck) {
  auto& k = f.potassium;
  const Reader p(table, "field.potassium", deck.file);
  k.loc = p.loc();
  k.D = p.number("D", k.D);
  if (!(k.D > 0)) p.fail(p.at("D"), "D", "the diffusion coefficient must be > 0 µm²/ms (got " + num(k.D) + ")");
  k.baseline = p.number("baseline", k.baseline);
  if (!(k.baseline >= 0)) p.fail(p.at("baseline"), "baseline", "must be ≥ 0 mM");
  k.initial = p.number("initial", k.baseline);
  if (!(k.initial >= 0)) p.fail(p.at("initial"), "initial", "must be ≥ 0 mM");
  if (p.has("boundary")) read_boundary(p, k.dirichlet);
  k.release_loc = p.loc("release");
  k.release = p.number("release", 0.0);
  if (!(k.release >= 0)) p.fail(p.at("release"), "release", "must be ≥ 0 amol per spike");
  k.release_from = population_list(p, "release_from", deck);
  k.uptake_loc = p.loc("uptake_by");
  k.uptake_jmax = p.number("uptake_jmax", 0.0);
  if (!(k.uptake_jmax >= 0)) p.fail(p.at("uptake_jmax"), "uptake_jmax", "must be ≥ 0 amol/ms");
  k.uptake_km = p.number("uptake_km", k.uptake_km);
  if (!(k.uptake_km > 0)) p.fail(p.at("uptake_km"), "uptake_km", "must be > 0 mM");
  k.uptake_by = population_list(p, "uptake_by", deck);
  k.clearance_tau = p.number("clearance_tau", 0.0);
  if (!(k.clearance_tau >= 0)) p.fail(p.at("clearance_tau"), "clearance_tau", "must be ≥ 0 ms (0: none)");
  k.feedback_loc = p.loc("feedback_to");
  k.feedback_to = population_list(p, "feedback_to", deck);  // models checked by check_models
  k.k_fraction = p.number("k_fraction", k.k_fraction);
  if (!(k.k_fraction >= 0 && k.k_fraction <= 1)) p.fail(p.at("k_fraction"), "k_fraction", "must lie in [0, 1]");
  k.temperature = p.number("temperature", k.temperature);
  if (!(k.temperature > 0)) p.fail(p.at("temperature"), "temperature", "must be > 0 K");
  p.finish();
}

/// What only the whole [field] decides: whether the steady problem is well posed, and
/// whether the verification problem is kept apart from the cells.
void check_problem(const Reader& r, const FieldSpec& f) {
  const auto& k = f.potassium;
  const bool any_dirichlet = std::find(k.dirichlet.begin(), k.dirichlet.end(), true) != k.dirichlet.end();
  if (f.steady && !any_dirichlet && k.clearance_tau <= 0)
    r.fail(r.at("steady"), "steady",
           "the steady state with no-flux boundaries on every face and no clearance is singular; allowed: a dirichlet "
           "face or field.potassium.clearance_tau > 0");
  if (f.steady && f.manufactured.empty())
    r.fail(r.at("steady"), "steady", "only the verification problem (manufactured = \"sine\") is solved steady");
  if (!f.manufactured.empty() && !(k.release_from.empty() && k.uptake_by.empty() && k.feedback_to.empty()))
    r.fail(r.at("manufactured"), "manufactured", "the verification problem takes no sources from cells; remove "
                                                 "release_from, uptake_by and feedback_to");
}

}  // namespace

void read_field(const Reader& top, Deck& deck) {
  if (!top.has("field")) return;
  FieldSpec& f = deck.field;
  const Reader r(top.at("field"), "field", deck.file);
  f.enabled = true;
  f.loc = r.loc();
  read_grid(r, f, deck.simulation.box);
  read_step_and_solver(r, f, deck.simulation.dt);
  f.potassium.loc = f.loc;
  if (r.has("potassium")) read_potassium(r.at("potassium"), f, deck);
  check_problem(r, f);
  f.mode_loc = r.loc("mode");
  // The default keeps a run with feedback to the cells bit-identical across rank counts.
  const std::string def = f.potassium.feedback_to.empty() ? "krylov" : "reproducible";
  f.mode = r.choice("mode", {"reproducible", "krylov"}, def) == "reproducible" ? FieldSpec::Mode::reproducible
                                                                                : FieldSpec::Mode::krylov;
  r.finish();
}

}  // namespace cajal::input
