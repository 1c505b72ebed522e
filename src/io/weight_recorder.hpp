#pragma once
// Recording of plastic weights: the incoming synapses of the first `targets` cells of a
// projection's target population, sampled at communication-interval edges, written with
// parallel HDF5 into weights.h5:
//
//   /weights/<projection>/source_node_ids   uint64 [n]      presynaptic population ids
//   /weights/<projection>/target_node_ids   uint64 [n]      postsynaptic population ids
//   /weights/<projection>/time              float64 [samples] ms
//   /weights/<projection>/data              float64 [samples, n] (weight unit of the target model)
//
// Columns are ordered by target, then source, then as drawn (multapses): the same order on
// any number of ranks. Each rank holds the columns of its own targets. The file is streamed
// (io/sample_file.hpp): samples are appended collectively once a block of them is buffered,
// at every checkpoint and at the end; a restarted run copies the samples taken up to its
// checkpoint from the earlier run's file.
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "io/sample_file.hpp"
#include "network/connectivity.hpp"

namespace cajal {

class WeightRecorder {
public:
  /// Collective.
  WeightRecorder(const Communicator& comm, const Partition& part, const Projection& pj, std::string name,
                 std::uint64_t targets);

  /// Copies the recorded weights at time `step` (steps).
  void sample(std::int64_t step, const Projection& pj);

  const std::string& name() const { return name_; }
  /// Step of the newest sample, -1 when none.
  std::int64_t last_step() const { return last_step_; }

  /// Collective: creates this projection's group in weights.h5, for about `expected` samples.
  void create(const SampleFile& file, std::uint64_t expected);
  /// Collective: appends the buffered samples, all of them or (`all` false) only once a
  /// block is full.
  void write(const SampleFile& file, double dt, bool all);
  /// Whether the weights.h5 `f` of an earlier run records this projection's synapses.
  bool holds(hid_t f) const;
  /// Collective: copies the samples taken at or before `step` from the earlier run's file
  /// `src`; throws usage_error when it records other synapses.
  void copy_from(const SampleFile& file, hid_t src, const std::string& src_path, std::int64_t step, double dt);

private:
  std::string name_;
  std::uint64_t n_ = 0;                       // columns in all
  std::uint64_t block_ = 1;                   // samples buffered before an append
  Kokkos::View<std::uint64_t*> syn_dev_;      // local synapse index of each local column
  Kokkos::View<double*> buf_;                 // one sample of the local columns
  Kokkos::View<double*>::HostMirror buf_host_;
  std::vector<std::uint64_t> col_;            // global column of each local column (ascending)
  std::vector<std::uint64_t> src_ids_, tgt_ids_;  // of the local columns
  std::int64_t last_step_ = -1;
  std::vector<std::int64_t> steps_;           // buffered samples' steps
  std::vector<double> pending_;               // buffered samples x local columns
  SampleColumns data_;
  SampleTimes time_;
};

}  // namespace cajal
