#pragma once
/// Stage "record": the outputs a deck's [[record]] sections ask for.
///
/// - spikes.h5 (SONATA): spikes of the recorded populations, kept per window of about one
///   biological second (whole intervals) and appended collectively at its end;
/// - weights.h5: plastic weights, sampled at t = 0 and at the first interval edge at or
///   after each multiple of the record's interval;
/// - report_*.h5: state reports, sampled inside update (StateSampling);
/// - field.h5: field snapshots, written as they are taken (after field steps).
/// weights.h5 and the reports are streamed (io/sample_file.hpp): appended in blocks, flushed
/// at every checkpoint, named finally at the end. A restarted run continues the outputs of
/// the run that wrote its checkpoint: the samples and spikes up to the checkpoint are
/// copied from its files, the rest is appended.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/sample_file.hpp"
#include "io/spike_writer.hpp"
#include "io/weight_recorder.hpp"
#include "sim/field_coupling.hpp"
#include "sim/restored_run.hpp"
#include "sim/update.hpp"

namespace cajal {

class Recorders {
public:
  /// Collective: opens (or, after a restart, continues) every output; takes the samples of t = 0.
  Recorders(const Communicator& comm, LocalNetwork& net, const Schedule& schedule, FieldCoupling* field,
            StateSampling& sampling, const RestoredRun& restored, const std::string& out_dir);

  /// Collective: the epoch's local spikes (and weights when due).
  void record(const Epoch& epoch, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n);
  /// Collective, before a checkpoint at `step`: everything recorded so far reaches the disk,
  /// so that a restart from the checkpoint continues these files.
  void flush(std::int64_t step);
  /// Collective: closes the outputs (a stopped run leaves its spike file unfinished).
  void finish(bool stopped);

  /// Per population: spikes in the spike file so far (0 for populations not recorded).
  std::vector<std::uint64_t> written() const;
  /// The outputs' names for summary.json ("outputs").
  void describe(nlohmann::json& outputs) const;

private:
  void open_spikes(const RestoredRun& restored);
  void open_weights(const RestoredRun& restored, int m);
  void open_reports(const RestoredRun& restored);
  void open_field_snapshots(const RestoredRun& restored, FieldCoupling* field);
  void write_samples(bool all);

  const Communicator& comm_;
  LocalNetwork& net_;
  StateSampling& sampling_;
  std::string out_dir_;
  std::int64_t nsteps_ = 0;
  double dt_ = 0;
  // Spikes
  std::vector<int> rec_index_;  // [pop]: index among the recorded populations, or -1
  std::unique_ptr<SpikeWriter> writer_;
  std::string spike_source_;  // the file a restart continues
  std::vector<SpikeRecord> records_;
  std::int64_t window_ = 1, window_start_ = 0;
  // Weights
  std::vector<WeightRecorder> weights_;
  std::vector<int> weight_proj_;
  std::vector<std::int64_t> weight_every_, weight_due_;
  std::unique_ptr<SampleFile> weight_file_;
  std::string weight_source_;  // the file a restart continued
  // Reports (one file per variable) and field snapshots
  struct ReportFile {
    std::unique_ptr<SampleFile> file;
    std::vector<int> reports;  // indices into sampling_.reports
    std::string source;        // the file a restart continued
  };
  std::vector<ReportFile> report_out_;
  std::vector<std::string> report_files_;
  std::int64_t field_every_ = 0;
};

}  // namespace cajal
