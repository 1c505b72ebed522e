#include "io/checkpoint_file.hpp"

#include <algorithm>
#include <cstring>

#include "cajal/version.hpp"

namespace cajal {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t row_hash(std::uint64_t id, const std::uint64_t* w, int width) {
  std::uint64_t h = mix(id);
  for (int k = 0; k < width; ++k) h = mix(h ^ w[k]);
  return h;
}

void write_attr_u64(hid_t obj, const char* name, std::uint64_t v, const std::string& path) {
  h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  h5::Handle a = h5::check(H5Acreate2(obj, name, H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, path,
                           std::string("create attribute ") + name);
  h5::check(H5Awrite(a, H5T_NATIVE_UINT64, &v), path, std::string("write attribute ") + name);
}

std::uint64_t read_attr_u64(hid_t obj, const char* name, const std::string& path, const std::string& what) {
  h5::Handle a = h5::check(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, path, what + ": no " + name + " attribute");
  std::uint64_t v = 0;
  h5::check(H5Aread(a, H5T_NATIVE_UINT64, &v), path, what + ": cannot read " + name);
  return v;
}

void write_attr_string(hid_t obj, const char* name, const std::string& value, const std::string& path) {
  h5::Handle type = h5::check(H5Tcopy(H5T_C_S1), H5Tclose, path, "H5Tcopy");
  h5::check(H5Tset_size(type, std::max<std::size_t>(1, value.size())), path, "H5Tset_size");
  h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  h5::Handle a = h5::check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, path,
                           std::string("create attribute ") + name);
  h5::check(H5Awrite(a, type, value.c_str()), path, std::string("write attribute ") + name);
}

std::string read_attr_string(hid_t obj, const char* name) {
  const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return "";
  const hid_t type = H5Aget_type(a);
  std::string out;
  if (type >= 0 && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type)) {
    std::vector<char> buf(H5Tget_size(type) + 1, 0);
    if (H5Aread(a, type, buf.data()) >= 0) out = buf.data();
  }
  if (type >= 0) H5Tclose(type);
  H5Aclose(a);
  return out;
}

}  // namespace

CheckpointFile::CheckpointFile(const Communicator& comm, const std::string& path, Mode mode)
    : comm_(comm), path_(path) {
  h5::silence_errors();
  h5::Handle fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "H5Pcreate");
  h5::check(H5Pset_fapl_mpio(fapl, comm.raw(), MPI_INFO_NULL), path, "H5Pset_fapl_mpio");
  if (mode == Mode::create) {
    file_ = h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, path,
                      "cannot create the checkpoint");
    write_attr_string(file_, "format", "cajal-checkpoint", path);
    write_attr_u64(file_, "format_version", static_cast<std::uint64_t>(checkpoint_format_version), path);
    write_attr_string(file_, "cajal_version", CAJAL_VERSION, path);
    return;
  }
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  if (f < 0) {
    h5::reason();
    throw usage_error(path + ": not a readable HDF5 file (missing, truncated or not a checkpoint)");
  }
  file_ = h5::Handle(f, H5Fclose);
  if (read_attr_string(file_, "format") != "cajal-checkpoint")
    throw usage_error(path + ": not a Cajal checkpoint (no format = \"cajal-checkpoint\" attribute)");
  std::uint64_t version = 0;
  try {
    version = read_attr_u64(file_, "format_version", path, "checkpoint");
  } catch (const h5_error&) {
    throw usage_error(path + ": the checkpoint has no readable format_version");
  }
  if (version != static_cast<std::uint64_t>(checkpoint_format_version))
    throw usage_error(path + ": checkpoint format version " + std::to_string(version) + " (written by Cajal " +
                      read_attr_string(file_, "cajal_version") + "); this Cajal (" + CAJAL_VERSION +
                      ") reads format version " + std::to_string(checkpoint_format_version) + " only");
}

std::vector<std::uint64_t> CheckpointFile::block_starts(std::uint64_t n) const {
  const int P = comm_.size();
  std::vector<std::uint64_t> s(P + 1);
  for (int r = 0; r <= P; ++r)
    s[r] = static_cast<std::uint64_t>((static_cast<unsigned __int128>(n) * r) / P);
  return s;
}

void CheckpointFile::make_group(const std::string& name) {
  h5::check(H5Gcreate2(file_, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path_,
            "create group " + name);
}

bool CheckpointFile::has(const std::string& name) {
  return H5Lexists(file_, name.c_str(), H5P_DEFAULT) > 0;
}

void CheckpointFile::write_rows(const std::string& name, hid_t type, std::uint64_t n, int width,
                                const std::vector<std::uint64_t>& ids, const std::vector<std::uint64_t>& words) {
  const int P = comm_.size(), me = comm_.rank();
  const auto starts = block_starts(n);
  // Each row to the rank that writes its block: (id, width words).
  std::vector<std::vector<std::uint64_t>> out(P);
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const int dest = static_cast<int>(std::upper_bound(starts.begin(), starts.end(), ids[k]) - starts.begin()) - 1;
    out[dest].push_back(ids[k]);
    out[dest].insert(out[dest].end(), words.begin() + k * width, words.begin() + (k + 1) * width);
  }
  const std::vector<std::uint64_t> in = comm_.alltoallv(out);
  const std::uint64_t first = starts[me], count = starts[me + 1] - starts[me];
  std::vector<std::uint64_t> block(count * width, 0);
  std::uint64_t partial = 0;
  for (std::size_t k = 0; k < in.size(); k += 1 + width) {
    const std::uint64_t row = in[k] - first;
    std::copy(in.begin() + k + 1, in.begin() + k + 1 + width, block.begin() + row * width);
    partial += row_hash(in[k], &in[k + 1], width);
  }
  const std::uint64_t checksum = comm_.sum<unsigned long long>(partial);

  const int rank = width == 1 ? 1 : 2;
  hsize_t dims[2] = {n, static_cast<hsize_t>(width)};
  h5::Handle fspace = h5::check(H5Screate_simple(rank, dims, nullptr), H5Sclose, path_, "H5Screate_simple");
  h5::Handle dset = h5::check(H5Dcreate2(file_, name.c_str(), type, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Dclose, path_, "create dataset " + name);
  hsize_t start[2] = {first, 0}, cnt[2] = {count, static_cast<hsize_t>(width)};
  hsize_t mdims[2] = {std::max<hsize_t>(count, 1), static_cast<hsize_t>(width)};
  h5::Handle mspace = h5::check(H5Screate_simple(rank, mdims, nullptr), H5Sclose, path_, "H5Screate_simple");
  if (count > 0) {
    h5::check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), path_, "select");
  } else {
    h5::check(H5Sselect_none(fspace), path_, "select none");
    h5::check(H5Sselect_none(mspace), path_, "select none");
  }
  h5::Handle dxpl = h5::check(H5Pcreate(H5P_DATASET_XFER), H5Pclose, path_, "H5Pcreate");
  h5::check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), path_, "H5Pset_dxpl_mpio");
  const hid_t memtype = H5Tequal(type, H5T_IEEE_F64LE) > 0 ? H5T_NATIVE_DOUBLE
                        : H5Tequal(type, H5T_STD_I64LE) > 0 ? H5T_NATIVE_INT64
                                                            : H5T_NATIVE_UINT64;
  h5::check(H5Dwrite(dset, memtype, mspace, fspace, dxpl, block.data()), path_, "write dataset " + name);
  write_attr_u64(dset, "checksum", checksum, path_);
}

std::vector<std::uint64_t> CheckpointFile::read_rows(const std::string& name, std::uint64_t n, int width,
                                                     const std::vector<std::uint64_t>& ids) {
  const int P = comm_.size(), me = comm_.rank();
  const auto starts = block_starts(n);
  const std::uint64_t first = starts[me], count = starts[me + 1] - starts[me];
  std::vector<std::uint64_t> block(count * width);
  std::string problem;
  std::uint64_t stored = 0, partial = 0;
  try {
    h5::Handle dset = h5::check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, path_, "no dataset " + name);
    h5::Handle fspace = h5::check(H5Dget_space(dset), H5Sclose, path_, "H5Dget_space");
    hsize_t dims[2] = {0, 1};
    const int rank = H5Sget_simple_extent_dims(fspace, dims, nullptr);
    if (rank < 1 || dims[0] != n || (rank == 2 ? dims[1] : 1) != static_cast<hsize_t>(width))
      throw h5_error(path_, "dataset " + name + " has the wrong shape (expected " + std::to_string(n) + " x " +
                                std::to_string(width) + ")");
    stored = read_attr_u64(dset, "checksum", path_, "dataset " + name);
    if (count > 0) {
      hsize_t start[2] = {first, 0}, cnt[2] = {count, static_cast<hsize_t>(width)};
      h5::check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), path_, "select");
      h5::Handle mspace = h5::check(H5Screate_simple(rank, cnt, nullptr), H5Sclose, path_, "H5Screate_simple");
      const hid_t memtype = H5T_NATIVE_UINT64;  // the bits of every 8-byte element, converted below
      h5::Handle ftype = h5::check(H5Dget_type(dset), H5Tclose, path_, "H5Dget_type");
      const bool is_double = H5Tget_class(ftype) == H5T_FLOAT;
      const bool is_signed = H5Tget_class(ftype) == H5T_INTEGER && H5Tget_sign(ftype) == H5T_SGN_2;
      const hid_t mt = is_double ? H5T_NATIVE_DOUBLE : is_signed ? H5T_NATIVE_INT64 : memtype;
      h5::check(H5Dread(dset, mt, mspace, fspace, H5P_DEFAULT, block.data()), path_, "cannot read dataset " + name);
    }
    for (std::uint64_t r = 0; r < count; ++r) partial += row_hash(first + r, &block[r * width], width);
  } catch (const error& e) {
    problem = e.what();
  }
  // Every rank must reach the same verdict before anyone goes on; rank 0 reports the
  // message of the lowest failing rank.
  if (comm_.any(!problem.empty())) {
    const int who = comm_.min(problem.empty() ? comm_.size() : comm_.rank());
    throw usage_error(comm_.broadcast(problem, who));
  }
  const std::uint64_t total = comm_.sum<unsigned long long>(partial);
  if (total != stored)
    throw usage_error(path_ + ": dataset " + name + " fails its checksum (the file is corrupt)");

  // Requests: the ids this rank needs, to the ranks holding their blocks; answers back.
  std::vector<std::vector<std::uint64_t>> req(P);
  for (auto id : ids) {
    const int src = static_cast<int>(std::upper_bound(starts.begin(), starts.end(), id) - starts.begin()) - 1;
    req[src].push_back(id);
  }
  std::vector<int> rcount;
  const std::vector<std::uint64_t> asked = comm_.alltoallv(req, &rcount);
  std::vector<std::vector<std::uint64_t>> ans(P);
  std::size_t k = 0;
  for (int r = 0; r < P; ++r)
    for (int c = 0; c < rcount[r]; ++c, ++k) {
      const std::uint64_t row = asked[k] - first;
      ans[r].insert(ans[r].end(), block.begin() + row * width, block.begin() + (row + 1) * width);
    }
  const std::vector<std::uint64_t> got = comm_.alltoallv(ans);
  // Answers arrive grouped by source rank, in request order; put them back in ids order.
  std::vector<std::uint64_t> out(ids.size() * width);
  std::vector<std::size_t> offset(P + 1, 0);
  for (int r = 0; r < P; ++r) offset[r + 1] = offset[r] + req[r].size() * width;
  std::vector<std::size_t> cursor(offset.begin(), offset.end() - 1);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const int src = static_cast<int>(std::upper_bound(starts.begin(), starts.end(), ids[i]) - starts.begin()) - 1;
    std::copy(got.begin() + cursor[src], got.begin() + cursor[src] + width, out.begin() + i * width);
    cursor[src] += width;
  }
  return out;
}

void CheckpointFile::write_scalar(const std::string& name, std::int64_t v) {
  write_attr_u64(file_, name.c_str(), static_cast<std::uint64_t>(v), path_);
}

std::int64_t CheckpointFile::read_scalar(const std::string& name) {
  return static_cast<std::int64_t>(read_attr_u64(file_, name.c_str(), path_, "checkpoint"));
}

void CheckpointFile::write_text(const std::string& name, const std::string& text) {
  std::vector<std::uint64_t> words((text.size() + 7) / 8, 0);
  if (!text.empty()) std::memcpy(words.data(), text.data(), text.size());
  std::vector<std::uint64_t> ids;
  if (comm_.is_root())
    for (std::uint64_t i = 0; i < words.size(); ++i) ids.push_back(i);
  write_rows(name, H5T_STD_U64LE, words.size(), 1, ids, comm_.is_root() ? words : std::vector<std::uint64_t>{});
  h5::Handle dset = h5::check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, path_, "open " + name);
  write_attr_u64(dset, "bytes", text.size(), path_);
}

std::string CheckpointFile::read_text(const std::string& name) {
  std::uint64_t bytes = 0, nwords = 0;
  {
    const hid_t d = H5Dopen2(file_, name.c_str(), H5P_DEFAULT);
    bool ok = d >= 0;
    if (ok) {
      try {
        bytes = read_attr_u64(d, "bytes", path_, name);
        const hid_t sp = H5Dget_space(d);
        hsize_t dim = 0;
        H5Sget_simple_extent_dims(sp, &dim, nullptr);
        nwords = dim;
        H5Sclose(sp);
      } catch (const error&) {
        ok = false;
      }
      H5Dclose(d);
    }
    if (comm_.any(!ok || bytes > nwords * 8)) throw usage_error(path_ + ": dataset " + name + " is missing or corrupt");
  }
  std::vector<std::uint64_t> ids(nwords);
  for (std::uint64_t i = 0; i < nwords; ++i) ids[i] = i;
  const auto words = read_rows(name, nwords, 1, ids);
  std::string text(bytes, '\0');
  if (bytes) std::memcpy(&text[0], words.data(), bytes);
  return text;
}

void CheckpointFile::close() {
  if (file_.get() >= 0) h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flush");
  file_.reset();
}

}  // namespace cajal
