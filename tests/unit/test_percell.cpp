// Per-cell parameters and initial values (Param::per_cell, model/param_sets.hpp): a
// population with per-cell values against one population per value (the same bits),
// iaf_psc_delta's analytic firing period cell by cell, and the checks of every cell's
// values.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/util/error.hpp"
#include "h5read.hpp"
#include "util/lanes.hpp"

namespace {

/// The spike times (ms) of each cell of population `pop` in DIR/spikes.h5, by population id.
std::map<std::uint64_t, std::vector<double>> spikes_of(const std::string& dir, const std::string& pop) {
  std::map<std::uint64_t, std::vector<double>> out;
  const hid_t f = H5Fopen((dir + "/spikes.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << dir;
  if (f < 0) return out;
  std::vector<double> t;
  std::vector<std::uint64_t> id;
  EXPECT_TRUE(h5read::values(f, "/spikes/" + pop + "/timestamps", H5T_NATIVE_DOUBLE, t));
  EXPECT_TRUE(h5read::values(f, "/spikes/" + pop + "/node_ids", H5T_NATIVE_UINT64, id));
  H5Fclose(f);
  for (std::size_t k = 0; k < t.size() && k < id.size(); ++k) out[id[k]].push_back(t[k]);
  for (auto& kv : out) std::sort(kv.second.begin(), kv.second.end());
  return out;
}

/// Runs `text` (named `file`) on this rank alone into `dir`; returns the simulation for
/// its final state.
std::unique_ptr<cajal::Simulation> run(const std::string& text, const std::string& file, const std::string& dir) {
  cajal::MpiCommunicator comm(MPI_COMM_SELF);
  const cajal::Deck deck = cajal::Deck::parse(text, file);
  cajal::check_models(deck);
  auto sim = std::make_unique<cajal::Simulation>(comm, deck);
  cajal::prepare_output_dir(comm, dir, true);
  cajal::RunOptions opt;
  opt.output_dir = dir;
  opt.progress = false;
  sim->run(opt);
  return sim;
}

std::string list(const std::vector<double>& v) {
  std::ostringstream os;
  os.precision(17);
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

std::string num(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

/// The message of the input_error that `text` raises (parse or model checks), or "".
std::string error_of(const std::string& text) {
  try {
    cajal::check_models(cajal::Deck::parse(text, "t.toml"));
  } catch (const cajal::input_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// For every model with parameters: one population of K cells whose parameters and initial
// values are given per cell gives, cell by cell, the bits of K one-cell populations given
// each cell's values as numbers: the final state (membrane(): V, or Ca, or A) and every
// spike time. K = 2 cell_lanes + 3: the first block of lanes shares one set (block path),
// the second mixes sets (each cell by the scalar path), then a partial block.
TEST(PerCell, SameBitsAsOnePopulationPerValue) {
  struct Case {
    std::string model;
    std::string p1;
    std::vector<double> v1;  // a parameter, cycled over the cells after the first block
    std::string p2;
    std::vector<double> v2;  // a second parameter or an initial value
  };
  const std::vector<Case> cases = {
      {"iaf_psc_delta", "I_e", {400, 520, 650}, "V_m", {-70, -65, -60}},
      {"iaf_psc_exp", "I_e", {400, 520, 650}, "E_L", {-70, -68, -71}},
      {"iaf_psc_alpha", "I_e", {400, 520, 650}, "C_m", {250, 200, 300}},
      {"izhikevich", "I_e", {5, 10, 15}, "b", {0.2, 0.25, 0.2}},
      {"iaf_cond_exp", "I_e", {300, 500, 700}, "g_L", {16.6667, 10, 20}},
      {"aeif_cond_alpha_astro", "I_e", {800, 1000, 1200}, "a", {4, 2, 6}},
      {"astrocyte_lr_1994", "IP3_0", {0.16, 0.5, 1.0}, "IP3", {0.16, 0.6, 1.0}},
      {"astrocyte_gchi", "O_delta", {1.2e-3, 2e-3, 3e-3}, "IP3", {0.01, 0.5, 1.0}},
      {"astrocyte_integrator", "tau_A", {500, 100, 50}, "A", {1, 2, 3}},
  };
  const int L = cajal::cell_lanes, K = 2 * L + 3;
  for (const Case& c : cases) {
    std::vector<double> a(K), b(K);
    for (int i = 0; i < K; ++i) {
      const int k = i < L ? 0 : (i * 7 + i / 3) % 3;
      a[i] = c.v1[k];
      b[i] = c.v2[(k + i / L) % 3];
    }
    const std::string head = "[simulation]\ndt = 0.1\nt_stop = 40.0\n";
    std::string one = head + "[[population]]\nname = \"p\"\nmodel = \"" + c.model + "\"\nn = " + std::to_string(K) +
                      "\nparams = { " + c.p1 + " = " + list(a) + ", " + c.p2 + " = " + list(b) + " }\n";
    const bool astro = c.model.rfind("astrocyte", 0) == 0;  // they send no spikes
    if (!astro) one += "[[record]]\npopulations = [\"p\"]\n";
    std::string many = head, names;
    for (int i = 0; i < K; ++i) {
      many += "[[population]]\nname = \"p" + std::to_string(i) + "\"\nmodel = \"" + c.model + "\"\nn = 1\nparams = { " +
              c.p1 + " = " + num(a[i]) + ", " + c.p2 + " = " + num(b[i]) + " }\n";
      names += (i ? ", \"p" : "\"p") + std::to_string(i) + "\"";
    }
    if (!astro) many += "[[record]]\npopulations = [" + names + "]\n";
    const std::string dir = ::testing::TempDir() + "cajal_percell_" + c.model;
    const auto s1 = run(one, "one.toml", dir + "_one");
    const auto sK = run(many, "many.toml", dir + "_many");
    std::vector<std::uint64_t> gids;
    std::vector<double> v1, vk;
    s1->membrane(0, gids, v1);
    ASSERT_EQ(v1.size(), static_cast<std::size_t>(K)) << c.model;
    const auto sp1 = astro ? std::map<std::uint64_t, std::vector<double>>{} : spikes_of(dir + "_one", "p");
    std::size_t spikes = 0;
    for (int i = 0; i < K; ++i) {
      sK->membrane(i, gids, vk);
      ASSERT_EQ(vk.size(), 1u);
      EXPECT_EQ(std::memcmp(&v1[i], &vk[0], sizeof(double)), 0)
          << c.model << " cell " << i << ": " << num(v1[i]) << " vs " << num(vk[0]);
      if (astro) continue;
      const auto spK = spikes_of(dir + "_many", "p" + std::to_string(i));
      const auto it1 = sp1.find(i), itK = spK.find(0);
      const std::vector<double> t1 = it1 == sp1.end() ? std::vector<double>{} : it1->second;
      const std::vector<double> tK = itK == spK.end() ? std::vector<double>{} : itK->second;
      EXPECT_EQ(t1, tK) << c.model << " cell " << i;
      spikes += t1.size();
    }
    // The neurons fire (the comparison of spike times proves something); and the cells
    // differ (the per-cell values act).
    if (!astro) EXPECT_GT(spikes, static_cast<std::size_t>(K)) << c.model;
    EXPECT_NE(v1[L], v1[L + 1]) << c.model;
  }
}

// iaf_psc_delta under a constant current, from V_reset, fires with the period
//   T = t_ref + h ceil(T_free / h),  T_free = tau_m ln((V_inf - V_reset)/(V_inf - V_th)),
// V_inf = E_L + I_e tau_m / C_m (the exact propagator reaches V_th after the first whole
// step at or after T_free; the refractory steps are t_ref / h). Cell by cell, with per-cell
// I_e (an array) and per-cell V_th (a file beside the deck).
TEST(PerCell, IafPscDeltaFiresWithEachCellsAnalyticPeriod) {
  const double h = 0.1, tau = 10.0, C = 250.0, EL = -70.0, t_ref = 2.0;
  const std::vector<double> I_e = {400, 455, 520, 610, 750, 905};
  const std::vector<double> V_th = {-60.3, -58.1, -56.2, -54.4, -52.7};
  const std::string folder = ::testing::TempDir() + "cajal_percell_period";
  cajal::MpiCommunicator comm(MPI_COMM_SELF);
  cajal::prepare_output_dir(comm, folder, true);
  {
    std::ofstream f(folder + "/vth.txt");
    f << "# V_th of each cell\n";
    for (double x : V_th) f << num(x) << "\n";
  }
  const std::string text =
      "[simulation]\ndt = 0.1\nt_stop = 300.0\n"
      "[[population]]\nname = \"ie\"\nmodel = \"iaf_psc_delta\"\nn = 6\n"
      "params = { C_m = 250.0, tau_m = 10.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, V_th = -55.0, I_e = " +
      list(I_e) +
      " }\n"
      "[[population]]\nname = \"vth\"\nmodel = \"iaf_psc_delta\"\nn = 5\n"
      "params = { C_m = 250.0, tau_m = 10.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, I_e = 500.0, "
      "V_th = { file = \"vth.txt\" } }\n"
      "[[record]]\npopulations = [\"ie\", \"vth\"]\n";
  run(text, folder + "/deck.toml", folder + "/out");
  auto check = [&](const std::string& pop, std::size_t cell, double ie, double vth) {
    const double v_inf = EL + ie * tau / C;
    const double free = tau * std::log((v_inf - EL) / (v_inf - vth)) / h;  // in steps
    // Away from a step boundary, so that rounding cannot move the crossing by a step.
    ASSERT_GT(std::fabs(free - std::round(free)), 1e-6) << pop << " " << cell;
    const auto steps = static_cast<std::int64_t>(std::ceil(free));
    const auto spikes = spikes_of(folder + "/out", pop);
    const auto it = spikes.find(cell);
    ASSERT_TRUE(it != spikes.end()) << pop << " cell " << cell << " never fired";
    const auto& t = it->second;
    ASSERT_GE(t.size(), 3u) << pop << " cell " << cell;
    // The first spike: `steps` steps from V_m = E_L = V_reset.
    EXPECT_EQ(std::llround(t[0] / h), steps) << pop << " cell " << cell;
    for (std::size_t k = 1; k < t.size(); ++k)
      EXPECT_EQ(std::llround((t[k] - t[k - 1]) / h), std::llround(t_ref / h) + steps)
          << pop << " cell " << cell << " interval " << k;
  };
  for (std::size_t i = 0; i < I_e.size(); ++i) check("ie", i, I_e[i], -55.0);
  for (std::size_t i = 0; i < V_th.size(); ++i) check("vth", i, 500.0, V_th[i]);
}

// Every cell's values pass the model's checks, and the error names the cell; shared
// parameters and malformed lists are refused.
TEST(PerCell, ChecksNameTheCell) {
  const std::string head = "[simulation]\nt_stop = 10.0\n[[population]]\nname = \"p\"\nmodel = \"iaf_psc_delta\"\nn = 4\n";
  EXPECT_NE(error_of(head + "params = { C_m = [250.0, 250.0, -1.0, 250.0] }\n")
                .find("t.toml:7: population.p.params.C_m[2]: must be > 0 pF (got -1)"),
            std::string::npos)
      << error_of(head + "params = { C_m = [250.0, 250.0, -1.0, 250.0] }\n");
  // A check of two parameters, one per cell: the cell with the lowest id that fails.
  const std::string e = error_of(head + "params = { V_th = [-50.0, -69.0, -71.0, -72.0], V_reset = -70.0 }\n");
  EXPECT_NE(e.find("population.p.params.V_reset: V_reset (-70 mV) must be below V_th (-71 mV) (at cell 2"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of(head + "params = { V_th = [-50.0, -50.0] }\n").find("has 2 values; allowed: exactly n = 4"),
            std::string::npos);
  EXPECT_NE(error_of(head + "params = { V_th = [-50.0, -50.0, \"x\", -50.0] }\n").find("params.V_th[2]: must be a number"),
            std::string::npos);
  EXPECT_NE(error_of(head + "params = { tau_minus = [20.0, 20.0, 20.0, 20.0] }\n")
                .find("must be one number for the whole population"),
            std::string::npos);
  EXPECT_EQ(error_of(head + "params = { V_th = [-50.0, -51.0, -52.0, -53.0], V_m = [-70, -60, -65, -66] }\n"), "");
}
