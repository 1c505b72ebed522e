// End to end through the Kokkos kernels: one neuron per model under constant current,
// advanced by Simulation, against the analytic membrane potential.
#include <gtest/gtest.h>

#include <cmath>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/util/error.hpp"

TEST(Simulation, KernelsFollowTheAnalyticSubthresholdSolution) {
  cajal::MpiCommunicator comm(MPI_COMM_SELF);
  for (const std::string model : {"iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"}) {
    const std::string text = "[simulation]\ndt = 0.1\nt_stop = 50.0\n[[population]]\nname = \"p\"\nmodel = \"" +
                             model + "\"\nn = 3\nparams = { I_e = 200.0, V_th = 0.0 }\n";
    const cajal::Deck deck = cajal::Deck::parse(text, "t.toml");
    cajal::check_models(deck);
    cajal::Simulation sim(comm, deck);
    const std::string dir = ::testing::TempDir() + "cajal_sim_" + model;
    cajal::prepare_output_dir(comm, dir, true);
    cajal::RunOptions opt;
    opt.output_dir = dir;
    opt.progress = false;
    const auto sum = sim.run(opt);
    EXPECT_EQ(sum.populations[0].spikes, 0u);
    std::vector<std::uint64_t> gids;
    std::vector<double> v;
    sim.membrane(0, gids, v);
    ASSERT_EQ(v.size(), 3u);
    // V(t) = E_L + I tau / C (1 - exp(-t/tau)), NEST defaults C = 250 pF, tau = 10 ms.
    const double exact = -70.0 + 200.0 * 10.0 / 250.0 * (1.0 - std::exp(-50.0 / 10.0));
    for (double x : v) EXPECT_LT(std::fabs(x - exact) / std::fabs(exact), 1e-12) << model;
  }
}

// Initial values drawn per cell: V_m ~ normal(-60, 4) over 4000 cells has that mean and
// standard deviation within 5 standard errors; a non-initial parameter may not be drawn.
TEST(Simulation, InitialValuesDrawnPerCell) {
  cajal::MpiCommunicator comm(MPI_COMM_SELF);
  const std::string text =
      "[simulation]\nt_stop = 0.0\n[[population]]\nname = \"p\"\nmodel = \"iaf_psc_delta\"\nn = 4000\n"
      "params = { V_m = { dist = \"normal\", mean = -60.0, std = 4.0 } }\n";
  const cajal::Deck deck = cajal::Deck::parse(text, "t.toml");
  cajal::check_models(deck);
  cajal::Simulation sim(comm, deck);
  std::vector<std::uint64_t> gids;
  std::vector<double> v;
  sim.membrane(0, gids, v);
  ASSERT_EQ(v.size(), 4000u);
  double sum = 0, sum2 = 0;
  for (double x : v) sum += x, sum2 += x * x;
  const double mean = sum / v.size(), sd = std::sqrt(sum2 / v.size() - mean * mean);
  EXPECT_NEAR(mean, -60.0, 5 * 4.0 / std::sqrt(4000.0));
  EXPECT_NEAR(sd, 4.0, 5 * 4.0 / std::sqrt(2 * 4000.0));

  std::string bad = text;
  bad.replace(bad.find("V_m"), 3, "tau_m");
  const cajal::Deck d2 = cajal::Deck::parse(bad, "t.toml");
  try {
    cajal::check_models(d2);
    FAIL() << "a drawn tau_m was accepted";
  } catch (const cajal::input_error& e) {
    EXPECT_NE(std::string(e.what()).find("only initial values (V_m) may be drawn"), std::string::npos) << e.what();
  }
}
