#include "io/weight_recorder.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "io/column_file.hpp"
#include "io/h5.hpp"

namespace cajal {

WeightRecorder::WeightRecorder(const Communicator& comm, const Partition& part, const Projection& pj, std::string name,
                               std::uint64_t targets)
    : name_(std::move(name)) {
  targets = std::min<std::uint64_t>(targets, part.size(pj.post));
  auto row = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.row);
  auto tgt = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.target);
  auto src = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.sources);
  const auto& ids = part.local(pj.post);
  // Local targets with id < targets are the first ones (ids ascend).
  const std::size_t nrec = static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), targets) - ids.begin());
  std::vector<std::vector<std::uint64_t>> by_target(nrec);
  for (std::size_t r = 0; r + 1 < row.extent(0); ++r)
    for (std::uint64_t j = row(r); j < row(r + 1); ++j)
      if (tgt(j) < nrec) by_target[tgt(j)].push_back(j);
  std::vector<std::uint64_t> count(targets, 0);
  for (std::size_t li = 0; li < nrec; ++li) count[ids[li]] = by_target[li].size();
  if (targets > 0)
    detail::check(MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(targets), MPI_UINT64_T, MPI_SUM, mpi_comm(comm)),
                  "MPI_Allreduce");
  std::vector<std::uint64_t> start(targets + 1, 0);
  for (std::uint64_t t = 0; t < targets; ++t) start[t + 1] = start[t] + count[t];
  n_ = start[targets];
  // The source of synapse j is the row that holds it.
  std::vector<std::uint64_t> syn;
  for (std::size_t li = 0; li < nrec; ++li)
    for (std::size_t k = 0; k < by_target[li].size(); ++k) {
      const std::uint64_t j = by_target[li][k];
      const std::size_t r = static_cast<std::size_t>(std::upper_bound(row.data(), row.data() + row.extent(0), j) - row.data()) - 1;
      syn.push_back(j);
      col_.push_back(start[ids[li]] + k);
      src_ids_.push_back(src(r));
      tgt_ids_.push_back(ids[li]);
    }
  // Gather buffers, allocated once: sampling happens in the time loop.
  syn_dev_ = Kokkos::View<std::uint64_t*>("cajal::weights::idx", syn.size());
  buf_ = Kokkos::View<double*>("cajal::weights::buf", syn.size());
  buf_host_ = Kokkos::create_mirror_view(buf_);
  auto h = Kokkos::create_mirror_view(syn_dev_);
  for (std::size_t k = 0; k < syn.size(); ++k) h(k) = syn[k];
  Kokkos::deep_copy(syn_dev_, h);
}

void WeightRecorder::sample(std::int64_t step, const Projection& pj) {
  steps_.push_back(step);
  const std::size_t n = syn_dev_.extent(0);
  if (n == 0) return;
  // Gather on the device, copy only the recorded values.
  const auto w = pj.plastic_weight;
  const auto idx = syn_dev_;
  const auto buf = buf_;
  Kokkos::parallel_for("cajal::weights::gather", Kokkos::RangePolicy<>(0, n),
                       KOKKOS_LAMBDA(const std::size_t k) { buf(k) = w(idx(k)); });
  Kokkos::deep_copy(buf_host_, buf_);
  data_.insert(data_.end(), buf_host_.data(), buf_host_.data() + n);
}


void WeightRecorder::write(const Communicator& comm, const std::string& path, const std::vector<WeightRecorder>& recs,
                           double dt) {
  namespace cf = column_file;
  cf::write_whole(comm, path, [&](hid_t file, hid_t xfer, const std::string& tmp) {
    h5::Handle top = cf::group(file, "/weights", tmp);
    for (const auto& r : recs) {
      const std::string g = "/weights/" + r.name_;
      h5::Handle grp = cf::group(file, g, tmp);
      const hsize_t S = r.steps_.size(), n = r.n_;
      // Column ids: each rank its own columns.
      for (int which = 0; which < 2; ++which) {
        const char* name = which ? "target_node_ids" : "source_node_ids";
        h5::Handle d = cf::dataset(grp, name, H5T_STD_U64LE, 1, &n, tmp);
        cf::write_columns(d, H5T_NATIVE_UINT64, r.col_, (which ? r.tgt_ids_ : r.src_ids_).data(), xfer, tmp,
                          g + "/" + name);
      }
      std::vector<double> t(S);
      for (std::size_t k = 0; k < S; ++k) t[k] = static_cast<double>(r.steps_[k]) * dt;
      h5::Handle td = cf::dataset(grp, "time", H5T_IEEE_F64LE, 1, &S, tmp);
      cf::write_root(comm, td, H5T_NATIVE_DOUBLE, S, t.data(), xfer, tmp, g + "/time");
      h5::write_string_attr(td, "units", "ms", tmp);
      const hsize_t dims[2] = {S, n};
      h5::Handle d = cf::dataset(grp, "data", H5T_IEEE_F64LE, 2, dims, tmp);
      cf::write_columns(d, H5T_NATIVE_DOUBLE, r.col_, S, r.data_.data(), xfer, tmp, g + "/data");
    }
  });
}

void WeightRecorder::continue_from(const Communicator& comm, const std::string& path, std::int64_t step, double dt) {
  std::string problem;
  bool present = std::filesystem::exists(path);
  try {
    if (present) {
      h5::silence_errors();
      h5::Handle f = h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path, "cannot open");
      const std::string g = "/weights/" + name_;
      auto read = [&](const std::string& name, hid_t type, std::vector<hsize_t>& dims, std::vector<std::uint64_t>* v) {
        column_file::read_words(f, g + "/" + name, type, dims, *v, path);
      };
      std::vector<hsize_t> dims;
      std::vector<std::uint64_t> src, tgt, tbits, dbits;
      read("source_node_ids", H5T_NATIVE_UINT64, dims, &src);
      read("target_node_ids", H5T_NATIVE_UINT64, dims, &tgt);
      read("time", H5T_NATIVE_DOUBLE, dims, &tbits);
      read("data", H5T_NATIVE_DOUBLE, dims, &dbits);
      if (src.size() != n_)
        throw usage_error(path + ": " + g + " records " + std::to_string(src.size()) + " synapses, this run " +
                          std::to_string(n_));
      for (std::size_t k = 0; k < col_.size(); ++k)
        if (src[col_[k]] != src_ids_[k] || tgt[col_[k]] != tgt_ids_[k])
          throw usage_error(path + ": " + g + " records other synapses than this run");
      const double* t = reinterpret_cast<const double*>(tbits.data());
      const double* data = reinterpret_cast<const double*>(dbits.data());
      for (std::size_t s = 0; s < tbits.size(); ++s) {
        const std::int64_t st = static_cast<std::int64_t>(std::llround(t[s] / dt));
        if (st > step) break;
        steps_.push_back(st);
        for (std::size_t k = 0; k < col_.size(); ++k) data_.push_back(data[s * n_ + col_[k]]);
      }
    }
  } catch (const error& e) {
    problem = e.what();
  }
  problem = comm.first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
}

}  // namespace cajal
