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
// Each rank holds the columns of its own cells. The files are streamed (io/sample_file.hpp):
// samples are appended collectively once a block of them is buffered (rows_per_write), at
// every checkpoint and at the end, so a rank never holds more than that block; a restarted
// run copies the samples taken up to its checkpoint from the earlier run's file.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/communicator.hpp"
#include "io/sample_file.hpp"
#include "model/population.hpp"

namespace cajal {

class StateReport {
public:
  /// Collective (the block of samples buffered follows from the largest rank's columns).
  StateReport(const Communicator& comm, const Partition& part, int pop, std::string population, std::string variable,
              std::string unit, std::uint64_t cells, std::int64_t every);

  int population_index() const { return pop_; }
  std::int64_t every() const { return every_; }
  const std::string& variable() const { return variable_; }
  /// Takes the sample of time `step` (steps) from the population's current state.
  void sample(std::int64_t step, const Population& p);
  /// Step of the next sample due after the ones taken.
  std::int64_t next_due() const { return samples_ * every_; }

  /// Collective: creates this report's group in `file` (its variable's report file), for a
  /// run of `nsteps` steps.
  void create(const SampleFile& file, double dt, std::int64_t nsteps);
  /// Collective: appends the buffered samples to the file, all of them or (`all` false)
  /// only once a block is full.
  void write(const SampleFile& file, bool all);
  /// Whether the report file `f` of an earlier run holds this report's samples up to `step`.
  bool holds(hid_t f, std::int64_t step) const;
  /// Collective: copies the samples taken at or before `step` from the earlier run's file `src`.
  void copy_from(const SampleFile& file, hid_t src, const std::string& src_path, std::int64_t step);

  /// report_<variable>.h5
  static std::string file_name(const std::string& variable) { return "report_" + variable + ".h5"; }

private:
  void write_time(const SampleFile& file);
  int pop_;
  std::string population_, variable_, unit_;
  std::uint64_t n_ = 0;                      // recorded cells in all
  std::int64_t every_ = 1;
  std::int64_t samples_ = 0;                 // taken in all (written + buffered)
  double step_ms_ = 0;
  std::uint64_t block_ = 1;                  // samples buffered before an append
  Kokkos::View<std::uint64_t*> local_dev_;   // local index of each local column
  Kokkos::View<double*> buf_;
  Kokkos::View<double*>::HostMirror buf_host_;
  std::vector<std::uint64_t> col_;           // population id (= global column) of each local column
  std::vector<double> pending_;              // buffered samples x local columns
  SampleColumns data_;
  h5::Handle time_;
};

}  // namespace cajal
