// The field's multigrid on the serial communicator: the operator and the cycle need no MPI
// and no PETSc (they reach other ranks only through the communicator interface).
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include <cmath>

#include "cajal/parallel/communicator.hpp"
#include "field/multigrid.hpp"

namespace {

using cajal::field::Grid;
using cajal::field::Multigrid;

// One brick of n^3 voxels, every level inside it.
cajal::Bricks one_brick(std::int64_t n) {
  cajal::Bricks b;
  b.voxel = 1.0;
  b.box = {double(n), double(n), double(n)};
  for (int d = 0; d < 3; ++d) b.voxel_cuts[d] = {0, n};
  b.aligned_levels = 4;
  return b;
}

void fill(Grid g, double (*f)(std::int64_t, std::int64_t, std::int64_t)) {
  auto h = Kokkos::create_mirror_view(g);
  for (std::int64_t k = 1; k + 1 < std::int64_t(h.extent(0)); ++k)
    for (std::int64_t j = 1; j + 1 < std::int64_t(h.extent(1)); ++j)
      for (std::int64_t i = 1; i + 1 < std::int64_t(h.extent(2)); ++i) h(k, j, i) = f(k, j, i);
  Kokkos::deep_copy(g, h);
}

}  // namespace

// No-flux faces: a constant has no neighbour differences, so A u = a0 u exactly.
TEST(Multigrid, SerialOperatorOnAConstantIsA0TimesIt) {
  const cajal::SerialCommunicator comm;
  const std::int64_t n = 16;
  Multigrid mg(comm, {n, n, n}, one_brick(n), 0, {}, 0.5, 3.0, Multigrid::Options{});
  Grid in = cajal::field::make_grid("in", {n, n, n});
  fill(in, [](std::int64_t, std::int64_t, std::int64_t) { return 2.0; });
  Kokkos::View<double*, Kokkos::HostSpace> out("out", n * n * n);
  mg.apply(in, out.data());
  Kokkos::fence();
  for (std::int64_t q = 0; q < n * n * n; ++q) ASSERT_EQ(out(q), 1.0) << q;
}

// Dirichlet faces, a rough right-hand side: one V-cycle from zero cuts the residual tenfold.
TEST(Multigrid, SerialVCycleContractsTheResidual) {
  const cajal::SerialCommunicator comm;
  const std::int64_t n = 16;
  std::array<bool, 6> dirichlet;
  dirichlet.fill(true);
  Multigrid mg(comm, {n, n, n}, one_brick(n), 0, dirichlet, 0.0, 1.0, Multigrid::Options{});
  ASSERT_GT(mg.levels(), 2);
  fill(mg.level(0).b, [](std::int64_t k, std::int64_t j, std::int64_t i) { return std::sin(double(i * 7 + j * 3 + k)); });
  Kokkos::deep_copy(mg.level(0).u, 0.0);
  const double r0 = mg.residual_norm();
  ASSERT_GT(r0, 0.0);
  mg.vcycle();
  const double r1 = mg.residual_norm();
  EXPECT_LT(r1, 0.1 * r0) << "residual " << r0 << " -> " << r1;
}
