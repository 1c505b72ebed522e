#include "io/state_report.hpp"

#include <mpi.h>

#include <algorithm>

#include "io/column_file.hpp"
#include "io/h5.hpp"

namespace cajal {

StateReport::StateReport(const Communicator& comm, const Partition& part, int pop, std::string population,
                         std::string variable, std::string unit, std::uint64_t cells, std::int64_t every)
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
  block_ = rows_per_write(comm.max<unsigned long long>(nrec));
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
  pending_.insert(pending_.end(), buf_host_.data(), buf_host_.data() + n);
}

void StateReport::create(const SampleFile& file, double dt, std::int64_t nsteps) {
  namespace cf = column_file;
  const std::string& tmp = file.tmp();
  const hid_t xfer = file.xfer();
  step_ms_ = static_cast<double>(every_) * dt;
  if (H5Lexists(file.id(), "report", H5P_DEFAULT) <= 0) cf::group(file.id(), "/report", tmp);
  const std::string g = "/report/" + population_;
  h5::Handle grp = cf::group(file.id(), g, tmp);
  h5::Handle map = cf::group(grp, "mapping", tmp);
  const hsize_t n = n_;
  // Every rank writes its own columns; rank 0 the small metadata.
  h5::Handle ids = cf::dataset(map, "node_ids", H5T_STD_U64LE, 1, &n, tmp);
  cf::write_columns(ids, H5T_NATIVE_UINT64, col_, col_.data(), xfer, tmp, g + "/mapping/node_ids");
  // Rank 0 alone holds these O(cells) arrays: the others write nothing of them.
  const bool root = file.comm().is_root();
  std::vector<std::uint64_t> ptr(root ? n + 1 : 0);
  for (std::uint64_t k = 0; k < ptr.size(); ++k) ptr[k] = k;
  const hsize_t np = n + 1;
  h5::Handle pd = cf::dataset(map, "index_pointers", H5T_STD_U64LE, 1, &np, tmp);
  cf::write_root(file.comm(), pd, H5T_NATIVE_UINT64, np, ptr.data(), xfer, tmp, g + "/mapping/index_pointers");
  std::vector<std::uint32_t> el(root ? n : 0, 0);
  h5::Handle ed = cf::dataset(map, "element_ids", H5T_STD_U32LE, 1, &n, tmp);
  cf::write_root(file.comm(), ed, H5T_NATIVE_UINT32, n, el.data(), xfer, tmp, g + "/mapping/element_ids");
  const hsize_t three = 3;
  time_ = cf::dataset(map, "time", H5T_IEEE_F64LE, 1, &three, tmp);
  h5::write_string_attr(time_, "units", "ms", tmp);
  write_time(file);
  data_ = SampleColumns(grp, "data", n_, col_, static_cast<std::uint64_t>(nsteps / every_ + 1), tmp);
  h5::write_string_attr(data_.id(), "units", unit_, tmp);
}

/// mapping/time: start, stop, step (ms) of the samples in the file so far.
void StateReport::write_time(const SampleFile& file) {
  const double t[3] = {0.0, static_cast<double>(data_.rows()) * step_ms_, step_ms_};
  column_file::write_root(file.comm(), time_, H5T_NATIVE_DOUBLE, 3, t, file.xfer(), file.tmp(),
                          "/report/" + population_ + "/mapping/time");
}

void StateReport::write(const SampleFile& file, bool all) {
  const std::uint64_t rows = static_cast<std::uint64_t>(samples_) - data_.rows();
  if (rows == 0 || (!all && rows < block_)) return;
  data_.append(pending_.data(), rows, file.xfer());
  pending_.clear();
  write_time(file);
}

bool StateReport::holds(hid_t f, std::int64_t step) const {
  hsize_t rows = 0, cols = 0;
  return dataset_shape(f, "/report/" + population_ + "/data", rows, cols) && cols == n_ &&
         rows >= static_cast<hsize_t>(step / every_ + 1);
}

void StateReport::copy_from(const SampleFile& file, hid_t src, const std::string& src_path, std::int64_t step) {
  // Samples at steps 0, every, 2·every, ...: those at or before the checkpoint.
  const std::uint64_t keep = static_cast<std::uint64_t>(step / every_ + 1);
  const std::string g = "/report/" + population_;
  h5::Handle d = h5::check(H5Dopen2(src, (g + "/data").c_str(), H5P_DEFAULT), H5Dclose, src_path, "no " + g + "/data");
  data_.copy_from(d, keep, block_, file.xfer(), src_path);
  samples_ = static_cast<std::int64_t>(keep);
  write_time(file);
}

}  // namespace cajal
