// Uses an installed Cajal through its public headers only: reads a deck from its text,
// builds the network and runs it, then prints what the summary says.
//   consumer OUTPUT_DIR
#include <cstdio>
#include <string>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/parallel/environment.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/sim/simulation.hpp"
#include "cajal/version.hpp"

// 100 cells driven by Poisson input: a network small enough for a test.
static const char* kDeck = R"(
[simulation]
dt = 0.1
t_stop = 50.0
seed = 7
[[population]]
name = "exc"
model = "iaf_psc_delta"
n = 100
background = { rate = 20000.0, weight = 0.1 }
[[record]]
populations = ["exc"]
)";

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer OUTPUT_DIR\n");
    return 2;
  }
  cajal::Environment env(argc, argv);
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const cajal::Deck deck = cajal::Deck::parse(kDeck, "consumer.toml", {});
  cajal::check_models(deck);
  cajal::RunOptions opt;
  opt.output_dir = argv[1];
  opt.progress = false;
  cajal::prepare_output_dir(comm, opt.output_dir, true);
  cajal::Simulation sim(comm, deck);
  const cajal::RunSummary s = sim.run(opt);
  if (comm.is_root())
    std::printf("consumer: cajal %s, %s: %llu spikes, %.3f Hz\n", CAJAL_VERSION, s.populations.at(0).name.c_str(),
                static_cast<unsigned long long>(s.populations.at(0).spikes), s.populations.at(0).rate_hz);
  return 0;
}
