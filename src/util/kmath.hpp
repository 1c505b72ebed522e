#pragma once
// Math functions callable inside Kokkos kernels, for Kokkos 3.x (Kokkos::Experimental::)
// and 4.x (Kokkos::) alike.
#include <Kokkos_Core.hpp>

namespace cajal {
namespace kmath {
#if KOKKOS_VERSION >= 30700
using Kokkos::cos;
using Kokkos::exp;
using Kokkos::expm1;
using Kokkos::log;
using Kokkos::pow;
using Kokkos::sqrt;
using Kokkos::tanh;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::expm1;
using Kokkos::Experimental::log;
using Kokkos::Experimental::pow;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::tanh;
#endif
}  // namespace kmath
}  // namespace cajal
