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

namespace {
/// MPI datatype of one row of `words` 8-byte words, so that counts stay small.
class RowType {
public:
  explicit RowType(int words) {
    detail::check(MPI_Type_contiguous(words, MPI_UINT64_T, &t_), "MPI_Type_contiguous");
    detail::check(MPI_Type_commit(&t_), "MPI_Type_commit");
  }
  ~RowType() { MPI_Type_free(&t_); }
  RowType(const RowType&) = delete;
  RowType& operator=(const RowType&) = delete;
  MPI_Datatype get() const { return t_; }

private:
  MPI_Datatype t_;
};

hid_t memtype_of(hid_t type) {
  if (H5Tget_class(type) == H5T_FLOAT) return H5T_NATIVE_DOUBLE;
  if (H5Tget_sign(type) == H5T_SGN_2) return H5T_NATIVE_INT64;
  return H5T_NATIVE_UINT64;
}

/// Selects rows [first, first + count) of a 1-D or 2-D dataspace.
void select_rows(hid_t space, int rank, std::uint64_t first, std::uint64_t count, int width, const std::string& path) {
  hsize_t start[2] = {first, 0}, cnt[2] = {count, static_cast<hsize_t>(width)};
  (void)rank;
  h5::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, cnt, nullptr), path, "select");
}
}  // namespace

void CheckpointFile::agree(const std::string& problem) const {
  if (comm_.any(!problem.empty())) {
    const int who = comm_.min(problem.empty() ? comm_.size() : comm_.rank());
    throw usage_error(comm_.broadcast(problem, who));
  }
}

// Rows move in rounds: in round k, rank r receives and writes rows
// [starts[r] + k C, starts[r] + (k+1) C) of its block. Each rank's ids are ascending, so
// the rows it sends to r in round k are one contiguous run of its ids.
void CheckpointFile::write_rows(const std::string& name, hid_t type, std::uint64_t n, int width,
                                const std::vector<std::uint64_t>& ids, const RowFn& fill) {
  const int P = comm_.size(), me = comm_.rank();
  const auto starts = block_starts(n);
  std::uint64_t widest = 0;
  for (int r = 0; r < P; ++r) widest = std::max(widest, starts[r + 1] - starts[r]);
  const std::uint64_t C = std::max<std::uint64_t>(1, round_bytes / (8 * (width + 1)));
  const std::uint64_t rounds = (widest + C - 1) / C;
  const int drank = width == 1 ? 1 : 2;
  hsize_t dims[2] = {n, static_cast<hsize_t>(width)};
  h5::Handle fspace = h5::check(H5Screate_simple(drank, dims, nullptr), H5Sclose, path_, "H5Screate_simple");
  h5::Handle dset = h5::check(H5Dcreate2(file_, name.c_str(), type, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Dclose, path_, "create dataset " + name);
  const hid_t memtype = memtype_of(type);
  const RowType row(width + 1);
  const int W = width + 1;
  std::vector<int> scount(P), sdispl(P), rcount(P), rdispl(P);
  std::vector<std::uint64_t> sendbuf, recvbuf, block;
  std::uint64_t partial = 0;
  for (std::uint64_t k = 0; k < rounds; ++k) {
    int total = 0;
    for (int r = 0; r < P; ++r) {
      const std::uint64_t lo = std::min(starts[r + 1], starts[r] + k * C), hi = std::min(starts[r + 1], lo + C);
      const std::size_t a = std::lower_bound(ids.begin(), ids.end(), lo) - ids.begin();
      const std::size_t b = std::lower_bound(ids.begin(), ids.end(), hi) - ids.begin();
      scount[r] = static_cast<int>(b - a);
      sdispl[r] = total;
      if (sendbuf.size() < static_cast<std::size_t>(total + scount[r]) * W) sendbuf.resize((total + scount[r]) * W);
      for (std::size_t i = a; i < b; ++i) {
        std::uint64_t* p = &sendbuf[static_cast<std::size_t>(total + (i - a)) * W];
        p[0] = ids[i];
        fill(i, p + 1);
      }
      total += scount[r];
    }
    detail::check(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, comm_.raw()), "MPI_Alltoall");
    int rtotal = 0;
    for (int r = 0; r < P; ++r) rdispl[r] = rtotal, rtotal += rcount[r];
    recvbuf.resize(static_cast<std::size_t>(rtotal) * W);
    detail::check(MPI_Alltoallv(sendbuf.data(), scount.data(), sdispl.data(), row.get(), recvbuf.data(),
                                rcount.data(), rdispl.data(), row.get(), comm_.raw()),
                  "MPI_Alltoallv");
    const std::uint64_t lo = std::min(starts[me + 1], starts[me] + k * C), hi = std::min(starts[me + 1], lo + C);
    std::string problem;
    if (static_cast<std::uint64_t>(rtotal) != hi - lo)
      problem = path_ + ": " + name + ": internal error: rows missing or duplicated in the checkpoint";
    block.resize((hi - lo) * width);
    for (int j = 0; j < rtotal; ++j) {
      const std::uint64_t* rec = &recvbuf[static_cast<std::size_t>(j) * W];
      if (rec[0] < lo || rec[0] >= hi) continue;
      std::copy(rec + 1, rec + W, block.begin() + (rec[0] - lo) * width);
      partial += row_hash(rec[0], rec + 1, width);
    }
    // Each rank writes its own contiguous rows: independent I/O, one large write.
    if (problem.empty() && hi > lo) {
      try {
        h5::Handle fs = h5::check(H5Dget_space(dset), H5Sclose, path_, "H5Dget_space");
        select_rows(fs, drank, lo, hi - lo, width, path_);
        hsize_t mdims[2] = {hi - lo, static_cast<hsize_t>(width)};
        h5::Handle ms = h5::check(H5Screate_simple(drank, mdims, nullptr), H5Sclose, path_, "H5Screate_simple");
        h5::check(H5Dwrite(dset, memtype, ms, fs, H5P_DEFAULT, block.data()), path_, "write dataset " + name);
      } catch (const error& e) {
        problem = e.what();
      }
    }
    agree(problem);
  }
  write_attr_u64(dset, "checksum", comm_.sum<unsigned long long>(partial), path_);
}

void CheckpointFile::read_rows(const std::string& name, std::uint64_t n, int width,
                               const std::vector<std::uint64_t>& ids, const RowFn& store) {
  const int P = comm_.size(), me = comm_.rank();
  const auto starts = block_starts(n);
  std::uint64_t widest = 0;
  for (int r = 0; r < P; ++r) widest = std::max(widest, starts[r + 1] - starts[r]);
  const std::uint64_t C = std::max<std::uint64_t>(1, round_bytes / (8 * (width + 1)));
  const std::uint64_t rounds = (widest + C - 1) / C;
  std::string problem;
  std::uint64_t stored = 0;
  h5::Handle dset;
  int drank = 1;
  hid_t memtype = H5T_NATIVE_UINT64;
  try {
    dset = h5::check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, path_, "no dataset " + name);
    h5::Handle fs = h5::check(H5Dget_space(dset), H5Sclose, path_, "H5Dget_space");
    hsize_t dims[2] = {0, 1};
    drank = H5Sget_simple_extent_dims(fs, dims, nullptr);
    if (drank < 1 || dims[0] != n || (drank == 2 ? dims[1] : 1) != static_cast<hsize_t>(width))
      throw h5_error(path_, "dataset " + name + " has the wrong shape (expected " + std::to_string(n) + " x " +
                                std::to_string(width) + ")");
    h5::Handle ft = h5::check(H5Dget_type(dset), H5Tclose, path_, "H5Dget_type");
    memtype = memtype_of(ft);  // the bits of every 8-byte element travel as uint64
    stored = read_attr_u64(dset, "checksum", path_, "dataset " + name);
  } catch (const error& e) {
    problem = e.what();
  }
  agree(problem);

  const RowType row(width);
  std::vector<int> scount(P), sdispl(P), rcount(P), rdispl(P);
  std::vector<std::uint64_t> block, asked, answers, got;
  std::uint64_t partial = 0;
  for (std::uint64_t k = 0; k < rounds; ++k) {
    const std::uint64_t lo = std::min(starts[me + 1], starts[me] + k * C), hi = std::min(starts[me + 1], lo + C);
    block.resize((hi - lo) * width);
    if (hi > lo) {
      try {
        h5::Handle fs = h5::check(H5Dget_space(dset), H5Sclose, path_, "H5Dget_space");
        select_rows(fs, drank, lo, hi - lo, width, path_);
        hsize_t mdims[2] = {hi - lo, static_cast<hsize_t>(width)};
        h5::Handle ms = h5::check(H5Screate_simple(drank, mdims, nullptr), H5Sclose, path_, "H5Screate_simple");
        h5::check(H5Dread(dset, memtype, ms, fs, H5P_DEFAULT, block.data()), path_,
                  "cannot read dataset " + name + " (truncated or corrupt file?)");
      } catch (const error& e) {
        problem = e.what();
      }
    }
    agree(problem);
    for (std::uint64_t r = 0; r < hi - lo; ++r) partial += row_hash(lo + r, &block[r * width], width);

    // Ask each rank for the rows of its round-k slice that this rank holds.
    std::vector<std::pair<std::size_t, std::size_t>> range(P);
    int total = 0;
    std::vector<std::uint64_t> req;
    for (int r = 0; r < P; ++r) {
      const std::uint64_t a0 = std::min(starts[r + 1], starts[r] + k * C), b0 = std::min(starts[r + 1], a0 + C);
      const std::size_t a = std::lower_bound(ids.begin(), ids.end(), a0) - ids.begin();
      const std::size_t b = std::lower_bound(ids.begin(), ids.end(), b0) - ids.begin();
      range[r] = {a, b};
      scount[r] = static_cast<int>(b - a);
      sdispl[r] = total;
      total += scount[r];
      req.insert(req.end(), ids.begin() + a, ids.begin() + b);
    }
    detail::check(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, comm_.raw()), "MPI_Alltoall");
    int rtotal = 0;
    for (int r = 0; r < P; ++r) rdispl[r] = rtotal, rtotal += rcount[r];
    asked.resize(rtotal);
    detail::check(MPI_Alltoallv(req.data(), scount.data(), sdispl.data(), MPI_UINT64_T, asked.data(), rcount.data(),
                                rdispl.data(), MPI_UINT64_T, comm_.raw()),
                  "MPI_Alltoallv");
    answers.resize(static_cast<std::size_t>(rtotal) * width);
    for (int j = 0; j < rtotal; ++j) {
      const std::uint64_t off = asked[j] - lo;
      std::copy(block.begin() + off * width, block.begin() + (off + 1) * width, answers.begin() + std::size_t(j) * width);
    }
    got.resize(static_cast<std::size_t>(total) * width);
    detail::check(MPI_Alltoallv(answers.data(), rcount.data(), rdispl.data(), row.get(), got.data(), scount.data(),
                                sdispl.data(), row.get(), comm_.raw()),
                  "MPI_Alltoallv");
    for (int r = 0; r < P; ++r)
      for (std::size_t i = range[r].first; i < range[r].second; ++i)
        store(i, &got[(sdispl[r] + (i - range[r].first)) * width]);
  }
  if (comm_.sum<unsigned long long>(partial) != stored)
    throw usage_error(path_ + ": dataset " + name + " fails its checksum (the file is corrupt)");
}

void CheckpointFile::write_rows(const std::string& name, hid_t type, std::uint64_t n, int width,
                                const std::vector<std::uint64_t>& ids, const std::vector<std::uint64_t>& words) {
  write_rows(name, type, n, width, ids,
             [&](std::size_t k, std::uint64_t* row) { std::copy_n(words.begin() + k * width, width, row); });
}

std::vector<std::uint64_t> CheckpointFile::read_rows(const std::string& name, std::uint64_t n, int width,
                                                     const std::vector<std::uint64_t>& ids) {
  std::vector<std::uint64_t> out(ids.size() * width);
  read_rows(name, n, width, ids,
            [&](std::size_t k, std::uint64_t* row) { std::copy_n(row, width, out.begin() + k * width); });
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
