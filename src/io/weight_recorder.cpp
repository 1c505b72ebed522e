#include "io/weight_recorder.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/column_file.hpp"
#include "io/h5.hpp"

namespace cajal {

WeightRecorder::WeightRecorder(const Communicator& comm, const Partition& part, const Projection& pj, std::string name,
                               std::uint64_t targets)
    : name_(std::move(name)) {
  targets = std::min<std::uint64_t>(targets, part.size(pj.post));
  const HostSourceRows rows = pj.rows.on_host();
  const HostTargets tgt = pj.target.on_host();
  const auto& ids = part.local(pj.post);
  // Local targets with id < targets are the first ones (ids ascend).
  const std::size_t nrec = static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), targets) - ids.begin());
  // Per recorded target, its synapses (index, source) in row order.
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> by_target(nrec);
  for (std::uint64_t r = 0; r < rows.rows(); ++r) {
    const auto span = rows.span(r);
    for (std::uint64_t j = span.b; j < span.e; ++j)
      if (tgt(j) < nrec) by_target[tgt(j)].push_back({j, rows.id(r)});
  }
  std::vector<std::uint64_t> count(targets, 0);
  for (std::size_t li = 0; li < nrec; ++li) count[ids[li]] = by_target[li].size();
  if (targets > 0)
    detail::check(MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(targets), MPI_UINT64_T, MPI_SUM, mpi_comm(comm)),
                  "MPI_Allreduce");
  std::vector<std::uint64_t> start(targets + 1, 0);
  for (std::uint64_t t = 0; t < targets; ++t) start[t + 1] = start[t] + count[t];
  n_ = start[targets];
  std::vector<std::uint64_t> syn;
  for (std::size_t li = 0; li < nrec; ++li)
    for (std::size_t k = 0; k < by_target[li].size(); ++k) {
      syn.push_back(by_target[li][k].first);
      col_.push_back(start[ids[li]] + k);
      src_ids_.push_back(by_target[li][k].second);
      tgt_ids_.push_back(ids[li]);
    }
  // Gather buffers, allocated once: sampling happens in the time loop.
  syn_dev_ = Kokkos::View<std::uint64_t*>("cajal::weights::idx", syn.size());
  buf_ = Kokkos::View<double*>("cajal::weights::buf", syn.size());
  buf_host_ = Kokkos::create_mirror_view(buf_);
  auto h = Kokkos::create_mirror_view(syn_dev_);
  for (std::size_t k = 0; k < syn.size(); ++k) h(k) = syn[k];
  Kokkos::deep_copy(syn_dev_, h);
  block_ = rows_per_write(comm.max<unsigned long long>(syn.size()));
}

void WeightRecorder::sample(std::int64_t step, const Projection& pj) {
  steps_.push_back(step);
  last_step_ = step;
  const std::size_t n = syn_dev_.extent(0);
  if (n == 0) return;
  // Gather on the device, copy only the recorded values.
  const auto w = pj.plastic_weight;
  const auto idx = syn_dev_;
  const auto buf = buf_;
  Kokkos::parallel_for("cajal::weights::gather", Kokkos::RangePolicy<>(0, n),
                       KOKKOS_LAMBDA(const std::size_t k) { buf(k) = w(idx(k)); });
  Kokkos::deep_copy(buf_host_, buf_);
  pending_.insert(pending_.end(), buf_host_.data(), buf_host_.data() + n);
}


void WeightRecorder::create(const SampleFile& file, std::uint64_t expected) {
  namespace cf = column_file;
  const std::string& tmp = file.tmp();
  if (H5Lexists(file.id(), "weights", H5P_DEFAULT) <= 0) cf::group(file.id(), "/weights", tmp);
  const std::string g = "/weights/" + name_;
  h5::Handle grp = cf::group(file.id(), g, tmp);
  const hsize_t n = n_;
  // Column ids: each rank its own columns.
  for (int which = 0; which < 2; ++which) {
    const char* name = which ? "target_node_ids" : "source_node_ids";
    h5::Handle d = cf::dataset(grp, name, H5T_STD_U64LE, 1, &n, tmp);
    cf::write_columns(d, H5T_NATIVE_UINT64, col_, (which ? tgt_ids_ : src_ids_).data(), file.xfer(), tmp,
                      g + "/" + name);
  }
  time_ = SampleTimes(grp, "time", tmp);
  data_ = SampleColumns(grp, "data", n_, col_, expected, tmp);
}

void WeightRecorder::write(const SampleFile& file, double dt, bool all) {
  const std::uint64_t rows = steps_.size();
  if (rows == 0 || (!all && rows < block_)) return;
  std::vector<double> t(rows);
  for (std::size_t k = 0; k < rows; ++k) t[k] = static_cast<double>(steps_[k]) * dt;
  time_.append(file.comm(), t.data(), rows, file.xfer());
  data_.append(pending_.data(), rows, file.xfer());
  steps_.clear();
  pending_.clear();
}

bool WeightRecorder::holds(hid_t f) const {
  hsize_t rows = 0, cols = 0;
  return dataset_shape(f, "/weights/" + name_ + "/data", rows, cols) && cols == n_;
}

void WeightRecorder::copy_from(const SampleFile& file, hid_t src, const std::string& src_path, std::int64_t step,
                               double dt) {
  const std::string g = "/weights/" + name_;
  std::string problem;
  std::vector<double> t;
  bool other = false;
  try {
    // This rank's columns must record the same synapses as before.
    for (int which = 0; which < 2; ++which) {
      const std::string name = g + (which ? "/target_node_ids" : "/source_node_ids");
      h5::Handle d = h5::check(H5Dopen2(src, name.c_str(), H5P_DEFAULT), H5Dclose, src_path, "no " + name);
      std::vector<std::uint64_t> ids(std::max<std::size_t>(col_.size(), 1));
      h5::transfer(
          false, d, H5T_NATIVE_UINT64, col_.size(), [&](hid_t fs) { h5::select_columns(fs, col_, 1, false); },
          file.xfer(), ids.data(), src_path, "read " + name);
      const auto& mine = which ? tgt_ids_ : src_ids_;
      for (std::size_t k = 0; k < col_.size(); ++k) other = other || ids[k] != mine[k];
    }
    // Thrown only now: every rank takes part in both collective reads above.
    if (other) throw usage_error(src_path + ": " + g + " records other synapses than this run");
    // The samples at or before the checkpoint: a prefix of the times.
    std::vector<hsize_t> dims;
    std::vector<std::uint64_t> tbits;
    column_file::read_words(src, g + "/time", H5T_NATIVE_DOUBLE, dims, tbits, src_path);
    t.resize(tbits.size());
    std::memcpy(t.data(), tbits.data(), t.size() * sizeof(double));
  } catch (const error& e) {
    problem = e.what();
  }
  problem = file.comm().first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
  std::size_t keep = 0;
  while (keep < t.size() && std::llround(t[keep] / dt) <= step) ++keep;
  h5::Handle d = h5::check(H5Dopen2(src, (g + "/data").c_str(), H5P_DEFAULT), H5Dclose, src_path, "no " + g + "/data");
  data_.copy_from(d, keep, block_, file.xfer(), src_path);
  time_.append(file.comm(), t.data(), keep, file.xfer());
  if (keep > 0) last_step_ = std::llround(t[keep - 1] / dt);
}

}  // namespace cajal
