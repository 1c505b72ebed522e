#include "io/state_report.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "io/column_file.hpp"
#include "io/h5.hpp"

namespace cajal {

StateReport::StateReport(const Partition& part, int pop, std::string population, std::string variable,
                         std::string unit, std::uint64_t cells, std::int64_t every)
    : pop_(pop), population_(std::move(population)), variable_(std::move(variable)), unit_(std::move(unit)),
      n_(cells), every_(every) {
  const auto& ids = part.local(pop);
  // Local cells with id < cells are the first ones (ids ascend).
  const std::size_t nrec = static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), cells) - ids.begin());
  col_.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(nrec));
  local_dev_ = Kokkos::View<std::uint64_t*>("cajal::report::idx", nrec);
  buf_ = Kokkos::View<double*>("cajal::report::buf", nrec);
  buf_host_ = Kokkos::create_mirror_view(buf_);
  auto h = Kokkos::create_mirror_view(local_dev_);
  for (std::size_t k = 0; k < nrec; ++k) h(k) = k;
  Kokkos::deep_copy(local_dev_, h);
}

void StateReport::sample(std::int64_t step, const Population& p) {
  (void)step;
  ++samples_;
  const std::size_t n = col_.size();
  if (n == 0) return;
  const Population::Recordable r = p.recordable(variable_);
  const auto v = r.view;
  const double off = r.offset;
  const auto offs = r.offsets;
  const auto idx = local_dev_;
  const auto buf = buf_;
  Kokkos::parallel_for("cajal::report::gather", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(const std::size_t k) {
    buf(k) = v(idx(k)) + (offs.extent(0) ? offs(idx(k)) : off);
  });
  Kokkos::deep_copy(buf_host_, buf_);
  data_.insert(data_.end(), buf_host_.data(), buf_host_.data() + n);
}

namespace {
std::string file_of(const std::string& dir, const std::string& variable) { return dir + "/report_" + variable + ".h5"; }
}  // namespace

std::vector<std::string> StateReport::write(const Communicator& comm, const std::string& dir,
                                            const std::vector<StateReport>& reports, double dt) {
  namespace cf = column_file;
  std::map<std::string, std::vector<const StateReport*>> by_var;
  for (const auto& r : reports) by_var[r.variable_].push_back(&r);
  std::vector<std::string> names;
  for (const auto& kv : by_var) {
    const std::string path = file_of(dir, kv.first);
    names.push_back(std::filesystem::path(path).filename().string());
    cf::write_whole(comm, path, [&](hid_t file, hid_t xfer, const std::string& tmp) {
      h5::Handle top = cf::group(file, "/report", tmp);
      for (const StateReport* r : kv.second) {
        const std::string g = "/report/" + r->population_;
        h5::Handle grp = cf::group(file, g, tmp);
        h5::Handle map = cf::group(grp, "mapping", tmp);
        const hsize_t S = static_cast<hsize_t>(r->samples_), n = r->n_;
        // Every rank writes its own columns; rank 0 the small metadata.
        h5::Handle ids = cf::dataset(map, "node_ids", H5T_STD_U64LE, 1, &n, tmp);
        cf::write_columns(ids, H5T_NATIVE_UINT64, r->col_, r->col_.data(), xfer, tmp, g + "/mapping/node_ids");
        std::vector<std::uint64_t> ptr(n + 1);
        for (std::uint64_t k = 0; k <= n; ++k) ptr[k] = k;
        const hsize_t np = n + 1;
        h5::Handle pd = cf::dataset(map, "index_pointers", H5T_STD_U64LE, 1, &np, tmp);
        cf::write_root(comm, pd, H5T_NATIVE_UINT64, np, ptr.data(), xfer, tmp, g + "/mapping/index_pointers");
        std::vector<std::uint32_t> el(n, 0);
        h5::Handle ed = cf::dataset(map, "element_ids", H5T_STD_U32LE, 1, &n, tmp);
        cf::write_root(comm, ed, H5T_NATIVE_UINT32, n, el.data(), xfer, tmp, g + "/mapping/element_ids");
        const double step_ms = static_cast<double>(r->every_) * dt;
        const double t[3] = {0.0, static_cast<double>(S) * step_ms, step_ms};
        const hsize_t three = 3;
        h5::Handle td = cf::dataset(map, "time", H5T_IEEE_F64LE, 1, &three, tmp);
        cf::write_root(comm, td, H5T_NATIVE_DOUBLE, 3, t, xfer, tmp, g + "/mapping/time");
        h5::write_string_attr(td, "units", "ms", tmp);
        const hsize_t dims[2] = {S, n};
        h5::Handle d = cf::dataset(grp, "data", H5T_IEEE_F64LE, 2, dims, tmp);
        cf::write_columns(d, H5T_NATIVE_DOUBLE, r->col_, S, r->data_.data(), xfer, tmp, g + "/data");
        h5::write_string_attr(d, "units", r->unit_, tmp);
      }
    });
  }
  return names;
}

void StateReport::continue_from(const Communicator& comm, const std::string& dir, std::int64_t step) {
  const std::string path = file_of(dir, variable_);
  std::string problem;
  try {
    if (!std::filesystem::exists(path))
      throw usage_error(path + ": missing; a restart continues the state reports of the run that wrote the checkpoint");
    h5::silence_errors();
    h5::Handle f = h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path, "cannot open");
    const std::string g = "/report/" + population_;
    auto read = [&](const std::string& name, hid_t type, std::vector<hsize_t>& dims, std::vector<std::uint64_t>& v) {
      column_file::read_words(f, g + "/" + name, type, dims, v, path);
    };
    std::vector<hsize_t> dims;
    std::vector<std::uint64_t> ids, tbits, dbits;
    read("mapping/node_ids", H5T_NATIVE_UINT64, dims, ids);
    read("mapping/time", H5T_NATIVE_DOUBLE, dims, tbits);
    read("data", H5T_NATIVE_DOUBLE, dims, dbits);
    if (ids.size() != n_ || tbits.size() != 3)
      throw usage_error(path + ": " + g + " records " + std::to_string(ids.size()) + " cells, this run " + std::to_string(n_));
    const std::uint64_t S = n_ ? dbits.size() / n_ : 0;
    // Samples at steps 0, every, 2·every, ...: keep those at or before the checkpoint.
    const std::uint64_t keep = std::min<std::uint64_t>(S, static_cast<std::uint64_t>(step / every_ + 1));
    const double* data = reinterpret_cast<const double*>(dbits.data());
    for (std::uint64_t s = 0; s < keep; ++s)
      for (std::size_t k = 0; k < col_.size(); ++k) data_.push_back(data[s * n_ + col_[k]]);
    samples_ = static_cast<std::int64_t>(keep);
    if (keep < static_cast<std::uint64_t>(step / every_ + 1))
      throw usage_error(path + ": " + g + " holds " + std::to_string(S) + " samples, fewer than the checkpoint needs");
  } catch (const error& e) {
    problem = e.what();
  }
  problem = comm.first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
}

}  // namespace cajal
