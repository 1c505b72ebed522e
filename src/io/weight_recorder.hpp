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
// any number of ranks. Each rank holds the columns of its own targets and writes them with
// one collective hyperslab write. The file is rewritten whole at every checkpoint (so it
// always matches the newest checkpoint) and at the end; a restarted run reads the samples
// taken up to its checkpoint back from it and continues.
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "network/connectivity.hpp"

namespace cajal {

class WeightRecorder {
public:
  WeightRecorder(const Communicator& comm, const Partition& part, const Projection& pj, std::string name,
                 std::uint64_t targets);

  /// Copies the recorded weights at time `step` (steps).
  void sample(std::int64_t step, const Projection& pj);
  /// Collective: reads the samples taken at or before `step` from an earlier run's file.
  void continue_from(const Communicator& comm, const std::string& path, std::int64_t step, double dt);

  const std::string& name() const { return name_; }
  /// Step of the newest sample, -1 when none.
  std::int64_t last_step() const { return steps_.empty() ? -1 : steps_.back(); }

  /// Collective: writes every recorder into `path` (via path.incomplete and a rename).
  static void write(const Communicator& comm, const std::string& path, const std::vector<WeightRecorder>& recs,
                    double dt);

private:
  std::string name_;
  std::uint64_t n_ = 0;                       // columns in all
  Kokkos::View<std::uint64_t*> syn_dev_;      // local synapse index of each local column
  Kokkos::View<double*> buf_;                 // one sample of the local columns
  Kokkos::View<double*>::HostMirror buf_host_;
  std::vector<std::uint64_t> col_;            // global column of each local column (ascending)
  std::vector<std::uint64_t> src_ids_, tgt_ids_;  // of the local columns
  std::vector<std::int64_t> steps_;
  std::vector<double> data_;                  // samples x local columns
};

}  // namespace cajal
