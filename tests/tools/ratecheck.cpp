// ratecheck SUMMARY REFERENCE TOLERANCE
// Compares the excitatory and inhibitory rates of a Cajal summary.json with a NEST
// reference file (tests/reference/brunel_delta.json, key rates_hz.1_process.{exc,inh}).
// Exit 0 when both lie within TOLERANCE (relative) of the reference.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ratecheck SUMMARY REFERENCE TOLERANCE\n");
    return 2;
  }
  std::ifstream fs(argv[1]), fr(argv[2]);
  if (!fs || !fr) {
    std::fprintf(stderr, "ratecheck: cannot open %s\n", !fs ? argv[1] : argv[2]);
    return 1;
  }
  const auto s = nlohmann::json::parse(fs), r = nlohmann::json::parse(fr);
  const double tol = std::atof(argv[3]);
  int bad = 0;
  for (const char* pop : {"exc", "inh"}) {
    const double got = s["populations"][pop]["rate_hz"].get<double>();
    const double ref = r["rates_hz"]["1_process"][pop].get<double>();
    const double dev = std::fabs(got - ref) / ref;
    std::printf("ratecheck: %s: Cajal %.3f Hz, NEST 3.9 %.3f Hz, deviation %.2f %% (allowed %.1f %%)\n", pop, got, ref,
                100 * dev, 100 * tol);
    bad += dev > tol;
  }
  return bad ? 1 : 0;
}
