#pragma once
/// Small operating-system queries and formatting used by the run's bookkeeping.
#include <cstdint>
#include <string>

namespace cajal {

/// fsync of a file or folder; true on success.
bool fsync_path(const std::string& path);

/// The peak resident memory of this process, in bytes.
std::uint64_t peak_rss_bytes();

/// The resident memory of this process now, in bytes (/proc/self/statm; 0 when unknown).
std::uint64_t current_rss_bytes();

/// Hands the free pages of the heap back to the system (glibc's malloc_trim; nothing
/// elsewhere). A build frees many temporaries below glibc's mmap threshold, which stay
/// resident otherwise, and the resident peak is what a batch job's memory limit sees
/// (hpc_benchmark at 1,024 ranks, a dry run: 50 MiB of 1,539 after the synapses' build).
void release_free_memory();

/// Puts back glibc's default of serving large blocks (above the mmap threshold, 128 KiB
/// to 32 MiB) by mmap, so that freeing one gives its pages back to the system at once.
/// SuperLU_DIST (a library PETSc links) turns that off when it loads (mallopt(M_MMAP_MAX,
/// 0)), and the heap then kept every freed array resident: at 10^4 ranks the build's and
/// the spike exchange setup's temporaries stayed on top of what came after them. Cajal
/// never calls SuperLU_DIST. Nothing elsewhere than glibc.
void restore_heap_defaults();

/// "123 KiB" below 10 MiB, else "45 MiB".
std::string format_bytes(std::uint64_t bytes);

/// "42 s", "3.5 min" or "1.2 h".
std::string format_duration(double seconds);

}  // namespace cajal
