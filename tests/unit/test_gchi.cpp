// astrocyte_gchi (model/astro.hpp) against the steady states of Stimberg et al. 2019's
// G-ChI astrocyte. The references are 50-digit Newton solutions of the Brian 2 examples'
// own equations (mpmath; helper notes of 2026-11-28, bench/stimberg2019_reference.md), with no
// input (Y_S = 0, Gamma_A = 0):
//   example 2 parameters (with the exogenous J_ex, I_bias = 0): I = 0.060824902017397,
//     C = 0.054428172129832, h = 0.785674809721245
//   example 6 parameters (no J_ex):                              I = 1.306177254853221,
//     C = 0.507629028553537, h = 0.569064929462431
// Cajal's right-hand side must vanish there to 1e-9 (it is written independently of
// Brian's code), and integrating from the examples' initial values must reach them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "model/astro.hpp"

namespace {

using Params = std::map<std::string, double>;

Params example6() {  // the catalogue defaults (ms units)
  return {{"O_P", 0.9e-3},      {"K_P", 0.05},     {"C_T", 2.0},        {"rho_A", 0.18},     {"Omega_C", 6e-3},
          {"Omega_L", 1e-4},    {"d_1", 0.13},     {"d_2", 1.05},       {"O_2", 0.2e-3},     {"d_3", 0.9434},
          {"d_5", 0.08},        {"O_beta", 0.5e-3}, {"O_N", 0.3e-3},    {"Omega_N", 0.5e-3}, {"K_KC", 0.5},
          {"zeta", 10.0},       {"O_delta", 1.2e-3}, {"kappa_delta", 1.5}, {"K_delta", 0.1}, {"Omega_5P", 0.05e-3},
          {"K_D", 0.7},         {"K_3K", 1.0},     {"O_3K", 4.5e-3},    {"F_ex", 0.0},       {"I_bias", 0.0},
          {"I_Theta", 0.3},     {"omega_I", 0.05}, {"C_Theta", 0.5},    {"Omega_A", 0.6e-3}, {"U_A", 0.6},
          {"G_T", 200000.0},    {"rho_e", 6.5e-4}, {"Omega_e", 60e-3},  {"Omega_c", 40e-3},  {"glutamate", 0.0},
          {"O_G", 1.5e-3},      {"Omega_G", 0.5 / 60.0 * 1e-3}, {"dt_astro", 0.0}};
}

Params example2() {
  Params p = example6();
  p["K_P"] = 0.1;
  p["O_beta"] = 5e-3;
  p["O_delta"] = 0.2e-3;
  p["K_delta"] = 0.3;
  p["Omega_5P"] = 0.1e-3;
  p["K_D"] = 0.5;
  p["F_ex"] = 0.09e-3;  // J_ex present, I_bias = 0
  return p;
}

void check_steady(const Params& p, double I, double C, double h, double y0[4]) {
  const cajal::AstrocyteGChI m = cajal::AstrocyteGChI::make(p, 1.0);
  const double y[4] = {0.0, I, C, h};
  double f[4];
  m.rhs(y, f, 0.0, 0.0);
  for (int i = 0; i < 4; ++i) EXPECT_LT(std::fabs(f[i]), 1e-9 * 1e-3) << "component " << i << " (per ms; 1e-9 per s)";
  // From the example's initial state to rest: 3000 s with the astrocyte step of 1 ms.
  double s[7] = {y0[0], y0[1], y0[2], y0[3], 1.0, 0.0, 0.0};
  int armed = 1;
  for (long k = 0; k < 3000000; ++k) m.step(s, armed, 0.0, 0.0);
  EXPECT_NEAR(s[1], I, 1e-9);
  EXPECT_NEAR(s[2], C, 1e-9);
  EXPECT_NEAR(s[3], h, 1e-9);
  EXPECT_EQ(s[0], 0.0);
}

}  // namespace

TEST(GChI, SteadyStateExample2) {
  double y0[4] = {0.0, 0.0, 0.0, 0.9};  // example 2: h = 0.9, the rest 0
  check_steady(example2(), 0.060824902017397, 0.054428172129832, 0.785674809721245, y0);
}

TEST(GChI, SteadyStateExample6) {
  double y0[4] = {0.0, 0.01, 0.01, 0.9};  // example 6: C = I = 0.01 µM, h = 0.9
  check_steady(example6(), 1.306177254853221, 0.507629028553537, 0.569064929462431, y0);
}

TEST(GChI, ReleaseOncePerUpwardCrossing) {
  // Example 6's astrocyte crosses C_Theta = 0.5 µM upward three times while settling (at
  // 8.21, 14.81 and 20.72 s in Brian 2) and rests above it: three releases, each taking
  // U_A of the resources; G_A jumps by rho_e G_T U_A x_A.
  const cajal::AstrocyteGChI m = cajal::AstrocyteGChI::make(example6(), 1.0);
  double s[7] = {0.0, 0.01, 0.01, 0.9, 1.0, 0.0, 0.0};
  int armed = 1, releases = 0;
  std::vector<double> at;
  for (long k = 0; k < 60000; ++k) {
    // Resources recover over the step (exactly), then a release takes U_A of them.
    const double x = 1.0 - (1.0 - s[4]) * std::exp(-0.6e-3 * 1.0), G = s[5] * std::exp(-60e-3 * 1.0);
    if (m.step(s, armed, 0.0, 0.0)) {
      ++releases;
      at.push_back((k + 1) * 1e-3);
      EXPECT_NEAR(s[4], (1.0 - 0.6) * x, 1e-12);
      EXPECT_NEAR(s[5], G + 6.5e-4 * 200000.0 * 0.6 * x, 1e-9);
    }
  }
  ASSERT_EQ(releases, 3);
  EXPECT_NEAR(at[0], 8.21, 0.01);
  EXPECT_NEAR(at[1], 14.81, 0.01);
  EXPECT_NEAR(at[2], 20.72, 0.01);
}
