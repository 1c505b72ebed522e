#include "sim/recorders.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "io/h5.hpp"
#include "io/sonata_network.hpp"
#include "io/state_report.hpp"

namespace cajal {

namespace {

/// Whether the spike file `f` holds at least counts[p] spikes of each recorded population.
bool holds_spikes(hid_t f, const std::vector<std::string>& pops, const std::vector<std::uint64_t>& counts) {
  for (std::size_t p = 0; p < pops.size(); ++p) {
    const hid_t d = H5Dopen2(f, ("/spikes/" + pops[p] + "/node_ids").c_str(), H5P_DEFAULT);
    if (d < 0) return false;
    const hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    const bool known = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_dims(sp, &n, nullptr) == 1;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    if (!known || n < counts[p]) return false;
  }
  return true;
}

}  // namespace

Recorders::Recorders(const Communicator& comm, LocalNetwork& net, const Schedule& schedule, FieldCoupling* field,
                     StateSampling& sampling, const RestoredRun& restored, const std::string& out_dir)
    : comm_(comm), net_(net), sampling_(sampling), out_dir_(out_dir), nsteps_(schedule.steps()),
      dt_(net.deck.simulation.dt) {
  open_spikes(restored);
  // Spikes reach the file once per window of about one biological second (whole intervals).
  const int m = schedule.interval();
  window_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(1000.0 / (m * dt_))) * m;
  window_start_ = restored.step;
  open_weights(restored, m);
  open_reports(restored);
  open_field_snapshots(restored, field);
}

/// spikes.h5: the recorded populations, in deck order; a restart continues the file of the
/// run that wrote its checkpoint.
void Recorders::open_spikes(const RestoredRun& restored) {
  const Deck& deck = net_.deck;
  const std::size_t npop = deck.populations.size();
  rec_index_.assign(npop, -1);
  std::vector<std::string> rec_names;
  for (const auto& r : deck.records)
    if (r.what == "spikes")
      for (const auto& name : r.populations) rec_index_[deck.population_index(name)] = 0;
  for (std::size_t p = 0; p < npop; ++p)
    if (rec_index_[p] >= 0) {
      rec_index_[p] = static_cast<int>(rec_names.size());
      rec_names.push_back(deck.populations[p].name);
    }
  if (rec_names.empty()) return;
  std::vector<std::uint64_t> counts;
  for (std::size_t p = 0; p < npop; ++p)
    if (rec_index_[p] >= 0) counts.push_back(restored.written.empty() ? 0 : restored.written[p]);
  const std::string dest = out_dir_ + "/spikes.h5";
  if (restored.restarted()) {
    spike_source_ = continuation_source(comm_, restored.output_dir, out_dir_, "spikes.h5",
                                        [&](hid_t f) { return holds_spikes(f, rec_names, counts); });
    if (spike_source_.empty())
      throw usage_error(restored.output_dir + "/spikes.h5: cannot continue the spike output: no spikes.h5 (or "
                        "spikes.h5.incomplete) there holds the spikes recorded before the checkpoint");
  }
  writer_ = std::make_unique<SpikeWriter>(comm_, dest, rec_names, dt_, spike_source_, counts);
}

/// weights.h5: a sample at t = 0, or after a restart the samples up to the checkpoint.
void Recorders::open_weights(const RestoredRun& restored, int m) {
  const Deck& deck = net_.deck;
  for (const auto& r : deck.records) {
    if (r.what != "weights") continue;
    int i = 0;
    while (deck.projections[i].name != r.projection) ++i;
    weights_.emplace_back(comm_, net_.part, net_.projections[i], r.projection, static_cast<std::uint64_t>(r.targets));
    weight_proj_.push_back(i);
    weight_every_.push_back(std::max<std::int64_t>(1, deck.to_steps(r.interval_ms)));
  }
  if (weights_.empty()) return;
  // A restart finds the file it continues before creating its own (which may have its name).
  const std::int64_t start = restored.step;
  if (restored.restarted()) {
    weight_source_ = continuation_source(comm_, restored.output_dir, out_dir_, "weights.h5", [&](hid_t f) {
      return std::all_of(weights_.begin(), weights_.end(), [&](const WeightRecorder& w) { return w.holds(f); });
    });
    if (weight_source_.empty())
      throw usage_error(restored.output_dir + "/weights.h5: cannot continue the weight recording: no weights.h5 (or "
                        "weights.h5.incomplete) there records the projections of this deck");
  }
  weight_file_ = std::make_unique<SampleFile>(comm_, out_dir_ + "/weights.h5");
  for (std::size_t w = 0; w < weights_.size(); ++w)
    weights_[w].create(*weight_file_, static_cast<std::uint64_t>(nsteps_ / weight_every_[w] + 2));
  if (!restored.restarted()) {
    for (std::size_t w = 0; w < weights_.size(); ++w) {
      weights_[w].sample(0, net_.projections[weight_proj_[w]]);
      weight_due_.push_back(weight_every_[w]);
    }
    return;
  }
  // Samples up to the checkpoint; one at the checkpoint itself only when it lies on the
  // interval grid (else it was the end of the interrupted run, not a regular sample).
  const std::int64_t bound = start % m == 0 ? start : start - 1;
  h5::Handle src = open_for_copy(comm_, weight_source_);
  for (std::size_t w = 0; w < weights_.size(); ++w) {
    weights_[w].copy_from(*weight_file_, src, weight_source_, bound, dt_);
    // Due next: as after the last sample kept (the sampling rule in record, replayed).
    const std::int64_t last = weights_[w].last_step(), every_w = weight_every_[w];
    weight_due_.push_back(last < 0 ? 0 : (last / every_w + 1) * every_w);
  }
}

/// State reports, one file per variable: sampled inside update; a sample at t = 0, or the
/// samples up to the checkpoint.
void Recorders::open_reports(const RestoredRun& restored) {
  const Deck& deck = net_.deck;
  sampling_.reports.clear();
  for (auto& v : sampling_.of_pop) v.clear();
  for (const auto& r : deck.records) {
    if (r.what != "state") continue;
    const int p = deck.population_index(r.populations[0]);
    const std::uint64_t cells = r.cells < 0 ? net_.part.size(p) : static_cast<std::uint64_t>(r.cells);
    for (const auto& var : r.variables) {
      sampling_.of_pop[p].push_back(static_cast<int>(sampling_.reports.size()));
      sampling_.reports.emplace_back(comm_, net_.part, p, deck.populations[p].name, var, recordable_unit(var), cells,
                                     std::max<std::int64_t>(1, deck.to_steps(r.interval_ms)));
    }
  }
  // One file per variable, in name order; its reports in deck order.
  std::map<std::string, std::vector<int>> by_var;
  for (std::size_t k = 0; k < sampling_.reports.size(); ++k)
    by_var[sampling_.reports[k].variable()].push_back(static_cast<int>(k));
  for (const auto& kv : by_var) {
    const std::string name = StateReport::file_name(kv.first);
    report_files_.push_back(name);
    // A restart finds the file it continues before creating its own (which may have its name).
    std::string source;
    if (restored.restarted()) {
      source = continuation_source(comm_, restored.output_dir, out_dir_, name, [&](hid_t f) {
        return std::all_of(kv.second.begin(), kv.second.end(),
                           [&](int k) { return sampling_.reports[k].holds(f, restored.step); });
      });
      if (source.empty())
        throw usage_error(restored.output_dir + "/" + name + ": cannot continue the state report: no " + name +
                          " (or " + name + ".incomplete) there holds the samples taken before the checkpoint");
    }
    report_out_.push_back({std::make_unique<SampleFile>(comm_, out_dir_ + "/" + name), kv.second, source});
    ReportFile& rf = report_out_.back();
    for (int k : rf.reports) sampling_.reports[k].create(*rf.file, dt_, nsteps_);
    if (!restored.restarted()) {
      for (int k : rf.reports) sampling_.reports[k].sample(0, *net_.pops[sampling_.reports[k].population_index()]);
      continue;
    }
    h5::Handle src = open_for_copy(comm_, rf.source);
    for (int k : rf.reports) sampling_.reports[k].copy_from(*rf.file, src, rf.source, restored.step);
  }
}

/// field.h5: one dataset per snapshot, written after the field steps that are due; a restart
/// keeps the snapshots up to its checkpoint and goes on appending.
void Recorders::open_field_snapshots(const RestoredRun& restored, FieldCoupling* field) {
  const Deck& deck = net_.deck;
  for (const auto& r : deck.records)
    if (r.what == "field") field_every_ = std::max<std::int64_t>(1, deck.to_steps(r.interval_ms));
  if (field) field->after_step = nullptr;
  if (!field_every_) return;
  const std::string path = out_dir_ + "/field.h5";
  if (restored.restarted()) Field::continue_snapshots(comm_, restored.output_dir + "/field.h5", path, restored.step);
  else field->field().write_snapshot(path, true, 0, 0.0);
  const std::int64_t every = field_every_;
  const double dt = dt_;
  field->after_step = [field, path, every, dt](std::int64_t step) {
    if (step % every == 0) field->field().write_snapshot(path, false, step, step * dt);
  };
}

void Recorders::record(const Epoch& epoch, const Kokkos::View<std::uint64_t*>::HostMirror& spikes, std::size_t n) {
  const Partition& part = net_.part;
  const std::int64_t t_end = epoch.t1;
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t sp = spikes(k);
    const std::uint64_t g = spike_gid(sp);
    const int p = part.population_of(g);
    if (rec_index_[p] >= 0)
      records_.push_back({static_cast<std::uint64_t>(epoch.t0 + spike_offset(sp)), g - part.first_gid(p),
                          static_cast<std::uint64_t>(rec_index_[p])});
  }
  if (writer_ && (t_end - window_start_ >= window_ || t_end == nsteps_)) {
    writer_->append(records_, window_start_, t_end);
    window_start_ = t_end;
  }
  for (std::size_t w = 0; w < weights_.size(); ++w)
    if (t_end >= weight_due_[w]) {
      weights_[w].sample(t_end, net_.projections[weight_proj_[w]]);
      weight_due_[w] = (t_end / weight_every_[w] + 1) * weight_every_[w];
    }
  write_samples(false);
}

void Recorders::write_samples(bool all) {
  for (auto& w : weights_) w.write(*weight_file_, dt_, all);
  for (auto& rf : report_out_)
    for (int k : rf.reports) sampling_.reports[k].write(*rf.file, all);
}

void Recorders::flush(std::int64_t step) {
  if (writer_) {
    writer_->append(records_, window_start_, step);
    writer_->flush();
    window_start_ = step;
  }
  write_samples(true);
  if (weight_file_) weight_file_->flush();
  for (auto& rf : report_out_) rf.file->flush();
}

void Recorders::finish(bool stopped) {
  if (writer_) writer_->close(!stopped);
  // A stopped run's samples up to its checkpoint are in the files already (flush).
  if (!stopped) write_samples(true);
  if (weight_file_) weight_file_->close(!stopped);
  for (auto& rf : report_out_) rf.file->close(!stopped);
  if (stopped) return;
  // The network as it ends the run (plastic weights included), for SONATA tools.
  if (net_.deck.output.network)
    write_sonata_network(comm_, net_.deck, net_.part, net_.projections, out_dir_ + "/network");
  // The interrupted run's files in this run's own folder are now contained in the new
  // ones (rank 0 alone; an earlier folder's files are the user's and stay). Non-throwing
  // checks: an exception on one rank here would leave the others in the next collective.
  if (comm_.is_root()) {
    std::vector<std::string> sources = {spike_source_, weight_source_};
    for (const auto& rf : report_out_) sources.push_back(rf.source);
    for (const auto& src : sources) {
      std::error_code ec;
      if (!src.empty() && src.size() > 12 && src.compare(src.size() - 12, 12, ".interrupted") == 0 &&
          std::filesystem::equivalent(std::filesystem::path(src).parent_path(), out_dir_, ec))
        std::remove(src.c_str());
    }
  }
}

std::vector<std::uint64_t> Recorders::written() const {
  std::vector<std::uint64_t> w(rec_index_.size(), 0);
  for (std::size_t p = 0; p < rec_index_.size(); ++p)
    if (rec_index_[p] >= 0) w[p] = writer_->written()[rec_index_[p]];
  return w;
}

void Recorders::describe(nlohmann::json& outputs) const {
  if (field_every_) outputs["field"] = "field.h5";
  if (writer_) outputs["spikes"] = "spikes.h5";
  if (!weights_.empty()) outputs["weights"] = "weights.h5";
  if (!report_files_.empty()) outputs["reports"] = report_files_;
  if (net_.deck.output.network) outputs["network"] = "network/circuit_config.json";
}

}  // namespace cajal
