#include "io/spike_writer.hpp"

#include <algorithm>
#include <cstdio>

namespace cajal {

namespace {

h5::Handle make_dataset(hid_t group, const char* name, hid_t type, const std::string& path) {
  hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = 1 << 16;
  h5::Handle space = h5::check(H5Screate_simple(1, &dims, &maxdims), H5Sclose, path, "H5Screate_simple");
  h5::Handle dcpl = h5::check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, "H5Pcreate");
  h5::check(H5Pset_chunk(dcpl, 1, &chunk), path, "H5Pset_chunk");
  return h5::check(H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, path,
                   std::string("create dataset ") + name);
}

/// Appends `n` local values at this rank's offset of a collectively extended dataset.
void append_collective(const Communicator& comm, hid_t dset, hid_t memtype, const void* data, std::uint64_t n,
                       std::uint64_t& written, const std::string& path) {
  const std::uint64_t offset = comm.exscan<unsigned long long>(n);
  const std::uint64_t total = comm.sum<unsigned long long>(n);
  if (total == 0) return;
  hsize_t newsize = written + total;
  h5::check(H5Dset_extent(dset, &newsize), path, "extend dataset");
  h5::Handle dxpl = h5::collective_dxpl(path);
  h5::transfer(
      true, dset, memtype, n, [&](hid_t fs) { h5::select_rows(fs, written + offset, n); }, dxpl,
      const_cast<void*>(data), path, "write");
  written += total;
}
}  // namespace

SpikeWriter::SpikeWriter(const Communicator& comm, const std::string& path,
                         const std::vector<std::string>& populations, double dt, const std::string& continue_from,
                         const std::vector<std::uint64_t>& counts)
    : comm_(comm), path_(path), tmp_(path + ".incomplete"), dt_(dt) {
  h5::silence_errors();
  h5::Handle fapl = h5::collective_fapl(mpi_comm(comm), tmp_);
  file_ = h5::check(H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, tmp_,
                    "cannot create the file (is the output folder writable?)");
  h5::Handle spikes = h5::check(H5Gcreate2(file_, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                                tmp_, "create /spikes");
  // SONATA's sorting attribute is an enum of uint8: none = 0, by_id = 1, by_time = 2.
  h5::Handle sort_t = h5::check(H5Tenum_create(H5T_NATIVE_UINT8), H5Tclose, tmp_, "H5Tenum_create");
  const std::uint8_t v_none = 0, v_id = 1, v_time = 2;
  h5::check(H5Tenum_insert(sort_t, "none", &v_none), tmp_, "enum");
  h5::check(H5Tenum_insert(sort_t, "by_id", &v_id), tmp_, "enum");
  h5::check(H5Tenum_insert(sort_t, "by_time", &v_time), tmp_, "enum");
  for (const auto& name : populations) {
    h5::Handle g = h5::check(H5Gcreate2(spikes, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                             tmp_, "create /spikes/" + name);
    h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, tmp_, "H5Screate");
    h5::Handle attr = h5::check(H5Acreate2(g, "sorting", sort_t, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                                tmp_, "create attribute sorting");
    h5::check(H5Awrite(attr, sort_t, &v_time), tmp_, "write attribute sorting");
    times_.push_back(make_dataset(g, "timestamps", H5T_IEEE_F64LE, tmp_));
    h5::write_string_attr(times_.back(), "units", "ms", tmp_);
    nodes_.push_back(make_dataset(g, "node_ids", H5T_STD_U64LE, tmp_));
  }
  written_.assign(populations.size(), 0);
  if (!continue_from.empty()) copy_from(continue_from, populations, counts);
}

void SpikeWriter::copy_from(const std::string& src, const std::vector<std::string>& populations,
                            const std::vector<std::uint64_t>& counts) {
  h5::Handle fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, src, "H5Pcreate");
  h5::check(H5Pset_fapl_mpio(fapl, mpi_comm(comm_), MPI_INFO_NULL), src, "H5Pset_fapl_mpio");
  h5::Handle in = h5::check(H5Fopen(src.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose, src, "cannot open the earlier spike file");
  const int P = comm_.size(), me = comm_.rank();
  for (std::size_t p = 0; p < populations.size(); ++p) {
    // Each rank copies one contiguous slice of the first counts[p] spikes, in order.
    const std::uint64_t n = counts[p];
    const std::uint64_t a = n * me / P, b = n * (me + 1) / P;
    std::vector<double> t(b - a);
    std::vector<std::uint64_t> id(b - a);
    for (const char* name : {"timestamps", "node_ids"}) {
      const std::string ds = "/spikes/" + populations[p] + "/" + name;
      h5::Handle d = h5::check(H5Dopen2(in, ds.c_str(), H5P_DEFAULT), H5Dclose, src, "no dataset " + ds);
      void* buf = name[0] == 't' ? static_cast<void*>(t.data()) : static_cast<void*>(id.data());
      h5::transfer(
          false, d, name[0] == 't' ? H5T_NATIVE_DOUBLE : H5T_NATIVE_UINT64, b - a,
          [&](hid_t fs) { h5::select_rows(fs, a, b - a); }, H5P_DEFAULT, buf, src, "cannot read " + ds);
    }
    std::uint64_t w = written_[p];
    append_collective(comm_, times_[p], H5T_NATIVE_DOUBLE, t.data(), t.size(), w, tmp_);
    append_collective(comm_, nodes_[p], H5T_NATIVE_UINT64, id.data(), id.size(), written_[p], tmp_);
  }
}

void SpikeWriter::append(std::vector<SpikeRecord>& local, std::int64_t first, std::int64_t last) {
  const int P = comm_.size();
  const std::int64_t width = std::max<std::int64_t>(1, last - first);
  // Send each record to the rank owning its slice of steps.
  std::vector<std::vector<std::uint64_t>> out(P);
  for (const auto& r : local) {
    const int dest = static_cast<int>(((static_cast<std::int64_t>(r.step) - first) * P) / width);
    auto& o = out[std::min(P - 1, std::max(0, dest))];
    o.push_back(r.step);
    o.push_back(r.node);
    o.push_back(r.pop);
  }
  local.clear();
  const std::vector<std::uint64_t> in = comm_.alltoallv(out);
  std::vector<SpikeRecord> mine(in.size() / 3);
  for (std::size_t k = 0; k < mine.size(); ++k) mine[k] = {in[3 * k], in[3 * k + 1], in[3 * k + 2]};
  std::sort(mine.begin(), mine.end(), [](const SpikeRecord& a, const SpikeRecord& b) {
    if (a.pop != b.pop) return a.pop < b.pop;
    if (a.step != b.step) return a.step < b.step;
    return a.node < b.node;
  });
  std::vector<double> t;
  std::vector<std::uint64_t> id;
  std::size_t k = 0;
  for (std::size_t p = 0; p < times_.size(); ++p) {
    t.clear();
    id.clear();
    for (; k < mine.size() && mine[k].pop == p; ++k) {
      t.push_back(static_cast<double>(mine[k].step + 1) * dt_);
      id.push_back(mine[k].node);
    }
    std::uint64_t w = written_[p];
    append_collective(comm_, times_[p], H5T_NATIVE_DOUBLE, t.data(), t.size(), w, tmp_);
    append_collective(comm_, nodes_[p], H5T_NATIVE_UINT64, id.data(), id.size(), written_[p], tmp_);
  }
}

void SpikeWriter::flush() { h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), tmp_, "flush"); }

void SpikeWriter::close(bool finished) {
  times_.clear();
  nodes_.clear();
  if (file_.get() >= 0) h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), tmp_, "flush");
  file_.reset();
  comm_.barrier();
  if (!finished) return;
  int ok = 1;
  if (comm_.is_root()) ok = std::rename(tmp_.c_str(), path_.c_str()) == 0;
  if (!comm_.any(!ok)) return;
  throw usage_error(path_ + ": cannot rename " + tmp_ + " to its final name");
}

}  // namespace cajal
