#pragma once
// State reports: one model variable of the first `cells` cells of a population, sampled
// every `every` steps from t = 0, written with parallel HDF5 in the SONATA report layout.
// All reports of one variable share a file, report_<variable>.h5, one group per population:
//
//   /report/<population>/data                    float64 [samples, cells] (attribute units)
//   /report/<population>/mapping/node_ids        uint64 [cells]  population ids, ascending
//   /report/<population>/mapping/index_pointers  uint64 [cells + 1]  (0, 1, ..., cells)
//   /report/<population>/mapping/element_ids     uint32 [cells]  0: point cells have one element
//   /report/<population>/mapping/time            float64 [3]  start, stop, step (ms); the
//                                                samples are start + k·step, k < (stop-start)/step
//
// A sample at time t is the state after the step that ends at t (t = 0: the initial state).
// Each rank holds the columns of its own cells and writes them with one collective
// hyperslab write. As weights.h5, the files are rewritten whole at every checkpoint and at
// the end, and a restarted run reads back the samples taken up to its checkpoint.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"
#include "model/population.hpp"

namespace cajal {

class StateReport {
public:
  StateReport(const Partition& part, int pop, std::string population, std::string variable, std::string unit,
              std::uint64_t cells, std::int64_t every);

  int population_index() const { return pop_; }
  std::int64_t every() const { return every_; }
  const std::string& variable() const { return variable_; }
  /// Takes the sample of time `step` (steps) from the population's current state.
  void sample(std::int64_t step, const Population& p);
  /// Collective: reads the samples taken at or before `step` from an earlier run's file.
  void continue_from(const Communicator& comm, const std::string& dir, std::int64_t step);
  /// Step of the next sample due after the ones held.
  std::int64_t next_due() const { return samples_ * every_; }

  /// Collective: writes every report into `dir`/report_<variable>.h5 (via .incomplete
  /// and a rename). Returns the file names written.
  static std::vector<std::string> write(const Communicator& comm, const std::string& dir,
                                        const std::vector<StateReport>& reports, double dt);

private:
  int pop_;
  std::string population_, variable_, unit_;
  std::uint64_t n_ = 0;                      // recorded cells in all
  std::int64_t every_ = 1;
  std::int64_t samples_ = 0;
  Kokkos::View<std::uint64_t*> local_dev_;   // local index of each local column
  Kokkos::View<double*> buf_;
  Kokkos::View<double*>::HostMirror buf_host_;
  std::vector<std::uint64_t> col_;           // population id (= global column) of each local column
  std::vector<double> data_;                 // samples x local columns
};

}  // namespace cajal
