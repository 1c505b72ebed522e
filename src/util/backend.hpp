#pragma once
// Which kind of Kokkos backend the kernels compile for. A device backend (CUDA, HIP) runs
// the kernels on an accelerator whose compiler rejects host vector types and whose
// thousands of threads change how delivery shares out work (sim/delivery_kernels.hpp);
// host backends (Serial, OpenMP, Threads) run them on the CPU cores.
#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
#define CAJAL_DEVICE_BACKEND 1
#endif
