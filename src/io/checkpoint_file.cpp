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

/// The sum of row_hash over `count` rows: four rows at a time, since each row's hash is one
/// serial chain of multiplications and interleaved chains keep the multiplier busy (about
/// 3x faster; the same value).
std::uint64_t sum_row_hashes(const std::uint64_t* ids, const std::uint64_t* rows, std::size_t count, int width) {
  std::uint64_t sum = 0;
  std::size_t k = 0;
  for (; k + 4 <= count; k += 4) {
    const std::uint64_t* w = rows + k * width;
    std::uint64_t h0 = mix(ids[k]), h1 = mix(ids[k + 1]), h2 = mix(ids[k + 2]), h3 = mix(ids[k + 3]);
    for (int j = 0; j < width; ++j) {
      h0 = mix(h0 ^ w[j]);
      h1 = mix(h1 ^ w[width + j]);
      h2 = mix(h2 ^ w[2 * width + j]);
      h3 = mix(h3 ^ w[3 * width + j]);
    }
    sum += h0 + h1 + h2 + h3;
  }
  for (; k < count; ++k) sum += row_hash(ids[k], rows + k * width, width);
  return sum;
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
  if (mode == Mode::create) {
    h5::Handle fapl = h5::collective_fapl(mpi_comm(comm), path);
    dxpl_ = h5::collective_dxpl(path);
    file_ = h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, path,
                      "cannot create the checkpoint");
    write_attr_string(file_, "format", "cajal-checkpoint", path);
    write_attr_u64(file_, "format_version", static_cast<std::uint64_t>(checkpoint_format_version), path);
    write_attr_string(file_, "cajal_version", CAJAL_VERSION, path);
    return;
  }
  // Reading stays independent: each rank reads its own slab, and the attribute and
  // dataset checks may throw on one rank before the others agree.
  h5::Handle fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "H5Pcreate");
  h5::check(H5Pset_fapl_mpio(fapl, mpi_comm(comm), MPI_INFO_NULL), path, "H5Pset_fapl_mpio");
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

/// Transfer of rows [first, first + count) of a dataset with `width` columns; with a
/// collective `dxpl` every rank calls it, count = 0 selecting nothing.
void transfer_rows(hid_t dset, bool write, hid_t memtype, std::uint64_t first, std::uint64_t count, int width,
                   std::uint64_t* buf, const std::string& path, const std::string& what, hid_t dxpl = H5P_DEFAULT) {
  h5::transfer(
      write, dset, memtype, count * static_cast<hsize_t>(width), [&](hid_t fs) { h5::select_rows(fs, first, count); },
      dxpl, buf, path, what);
}

h5::Handle create_dataset(hid_t file, const std::string& name, hid_t type, std::uint64_t n, int width,
                          const std::string& path) {
  hsize_t dims[2] = {n, static_cast<hsize_t>(width)};
  h5::Handle fs = h5::check(H5Screate_simple(width == 1 ? 1 : 2, dims, nullptr), H5Sclose, path, "H5Screate_simple");
  return h5::check(H5Dcreate2(file, name.c_str(), type, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, path,
                   "create dataset " + name);
}

/// Opens a dataset and checks it has n rows of `width` columns; returns it and its checksum.
h5::Handle open_dataset(hid_t file, const std::string& name, std::uint64_t n, int width, const std::string& path,
                        std::uint64_t& checksum, hid_t& memtype) {
  h5::Handle d = h5::check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, path, "no dataset " + name);
  h5::Handle fs = h5::check(H5Dget_space(d), H5Sclose, path, "H5Dget_space");
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(fs, dims, nullptr);
  if (rank < 1 || dims[0] != n || (rank == 2 ? dims[1] : 1) != static_cast<hsize_t>(width))
    throw h5_error(path, "dataset " + name + " has the wrong shape (expected " + std::to_string(n) + " x " +
                             std::to_string(width) + ")");
  h5::Handle ft = h5::check(H5Dget_type(d), H5Tclose, path, "H5Dget_type");
  memtype = memtype_of(ft);  // the bits of every 8-byte element travel as they are
  checksum = read_attr_u64(d, "checksum", path, "dataset " + name);
  return d;
}
}  // namespace

CheckpointFile::~CheckpointFile() = default;

void CheckpointFile::agree(const std::string& problem) const {
  const std::string first = comm_.first_problem(problem);
  if (!first.empty()) throw usage_error(first);
}

void CheckpointFile::write_ids(const std::string& group, const std::vector<std::uint64_t>& ids) {
  make_group(group);
  write_rows(group, "ids", H5T_STD_U64LE, 1, ids, [&](std::size_t k, std::uint64_t* row) { row[0] = ids[k]; });
}

void CheckpointFile::write_rows(const std::string& group, const std::string& name, hid_t type, int width,
                                const std::vector<std::uint64_t>& ids, const RowFn& fill) {
  write_rows(group, name, type, width, ids, RowsFn([&](std::size_t first, std::size_t count, std::uint64_t* rows) {
               for (std::size_t k = 0; k < count; ++k) fill(first + k, rows + k * width);
             }));
}

void CheckpointFile::write_rows(const std::string& group, const std::string& name, hid_t type, int width,
                                const std::vector<std::uint64_t>& ids, const RowsFn& fill) {
  const std::uint64_t mine = ids.size();
  const std::uint64_t offset = comm_.exscan<unsigned long long>(mine);
  const std::uint64_t n = comm_.sum<unsigned long long>(mine);
  const std::string full = group + "/" + name;
  h5::Handle dset = create_dataset(file_, full, type, n, width, path_);
  const hid_t memtype = memtype_of(type);
  const std::uint64_t C = std::max<std::uint64_t>(1, round_bytes / (8 * width));
  // Collective: every rank takes part in every round, with no rows once its own are out.
  const std::uint64_t rounds = comm_.max<unsigned long long>((mine + C - 1) / C);
  std::vector<std::uint64_t> buf(std::max<std::uint64_t>(1, std::min(mine, C)) * width);
  std::uint64_t partial = 0;
  std::string problem;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    const std::uint64_t j = std::min(mine, r * C), cnt = std::min(C, mine - j);
    if (cnt > 0 && problem.empty()) {
      fill(j, cnt, buf.data());
      partial += sum_row_hashes(&ids[j], buf.data(), cnt, width);
    }
    try {
      transfer_rows(dset, true, memtype, offset + j, problem.empty() ? cnt : 0, width, buf.data(), path_,
                    "write dataset " + full, dxpl_);
    } catch (const error& e) {
      if (problem.empty()) problem = e.what();
    }
  }
  agree(problem);
  write_attr_u64(dset, "checksum", comm_.sum<unsigned long long>(partial), path_);
}

void CheckpointFile::read_rows(const std::string& group, const std::string& name, std::uint64_t n, int width,
                               const std::vector<std::uint64_t>& ids, const OwnerFn& owner, const RowFn& store) {
  const int P = comm_.size(), me = comm_.rank();
  const std::string full = group + "/" + name, ids_name = group + "/ids";
  std::string problem;
  std::uint64_t stored = 0, stored_ids = 0;
  h5::Handle dset, dids;
  hid_t memtype = H5T_NATIVE_UINT64, idtype = H5T_NATIVE_UINT64;
  try {
    dset = open_dataset(file_, full, n, width, path_, stored, memtype);
    dids = open_dataset(file_, ids_name, n, 1, path_, stored_ids, idtype);
  } catch (const error& e) {
    problem = e.what();
  }
  agree(problem);

  const auto starts = block_starts(n);
  std::uint64_t widest = 0;
  for (int r = 0; r < P; ++r) widest = std::max(widest, starts[r + 1] - starts[r]);
  const std::uint64_t C = std::max<std::uint64_t>(1, round_bytes / (8 * (width + 1)));
  const std::uint64_t rounds = (widest + C - 1) / C;
  const int W = width + 1;
  const RowType row(W);
  std::vector<int> scount(P), sdispl(P), rcount(P), rdispl(P), cursor(P);
  std::vector<std::uint64_t> slab, slab_ids, sendbuf, recvbuf;
  std::vector<int> dest;
  std::uint64_t partial = 0, partial_ids = 0, received = 0;
  for (std::uint64_t k = 0; k < rounds; ++k) {
    const std::uint64_t lo = std::min(starts[me + 1], starts[me] + k * C), hi = std::min(starts[me + 1], lo + C);
    const std::uint64_t cnt = hi - lo;
    slab.resize(cnt * width);
    slab_ids.resize(cnt);
    dest.resize(cnt);
    if (cnt > 0) {
      try {
        transfer_rows(dids, false, idtype, lo, cnt, 1, slab_ids.data(), path_,
                      "cannot read dataset " + ids_name + " (truncated or corrupt file?)");
        transfer_rows(dset, false, memtype, lo, cnt, width, slab.data(), path_,
                      "cannot read dataset " + full + " (truncated or corrupt file?)");
      } catch (const error& e) {
        problem = e.what();
      }
    }
    std::fill(scount.begin(), scount.end(), 0);
    for (std::uint64_t j = 0; j < cnt && problem.empty(); ++j) {
      if (slab_ids[j] >= n) {
        problem = path_ + ": dataset " + ids_name + " holds an id out of range (the file is corrupt)";
        break;
      }
      dest[j] = owner(slab_ids[j]);
      ++scount[dest[j]];
      partial += row_hash(slab_ids[j], &slab[j * width], width);
      partial_ids += row_hash(slab_ids[j], &slab_ids[j], 1);
    }
    agree(problem);
    int total = 0;
    for (int r = 0; r < P; ++r) sdispl[r] = cursor[r] = total, total += scount[r];
    sendbuf.resize(static_cast<std::size_t>(total) * W);
    for (std::uint64_t j = 0; j < cnt; ++j) {
      std::uint64_t* p = &sendbuf[static_cast<std::size_t>(cursor[dest[j]]++) * W];
      p[0] = slab_ids[j];
      std::copy(slab.begin() + j * width, slab.begin() + (j + 1) * width, p + 1);
    }
    detail::check(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, mpi_comm(comm_)), "MPI_Alltoall");
    int rtotal = 0;
    for (int r = 0; r < P; ++r) rdispl[r] = rtotal, rtotal += rcount[r];
    recvbuf.resize(static_cast<std::size_t>(rtotal) * W);
    detail::check(MPI_Alltoallv(sendbuf.data(), scount.data(), sdispl.data(), row.get(), recvbuf.data(),
                                rcount.data(), rdispl.data(), row.get(), mpi_comm(comm_)),
                  "MPI_Alltoallv");
    for (int j = 0; j < rtotal; ++j) {
      std::uint64_t* rec = &recvbuf[static_cast<std::size_t>(j) * W];
      const auto it = std::lower_bound(ids.begin(), ids.end(), rec[0]);
      if (it == ids.end() || *it != rec[0]) {
        problem = path_ + ": dataset " + ids_name + " does not match the network (the file is corrupt)";
        break;
      }
      store(static_cast<std::size_t>(it - ids.begin()), rec + 1);
      ++received;
    }
    agree(problem);
  }
  if (comm_.any(received != ids.size()))
    throw usage_error(path_ + ": dataset " + ids_name + " does not list every cell once (the file is corrupt)");
  if (comm_.sum<unsigned long long>(partial_ids) != stored_ids)
    throw usage_error(path_ + ": dataset " + ids_name + " fails its checksum (the file is corrupt)");
  if (comm_.sum<unsigned long long>(partial) != stored)
    throw usage_error(path_ + ": dataset " + full + " fails its checksum (the file is corrupt)");
}

void CheckpointFile::write_small(const std::string& name, const std::vector<std::uint64_t>& values) {
  h5::Handle dset = create_dataset(file_, name, H5T_STD_U64LE, values.size(), 1, path_);
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k < values.size(); ++k) sum += row_hash(k, &values[k], 1);
  std::string problem;
  if (!values.empty()) {  // collective: rank 0 writes, the others select nothing
    try {
      std::vector<std::uint64_t> v = values;
      transfer_rows(dset, true, H5T_NATIVE_UINT64, 0, comm_.is_root() ? v.size() : 0, 1, v.data(), path_,
                    "write dataset " + name, dxpl_);
    } catch (const error& e) {
      problem = e.what();
    }
  }
  agree(problem);
  write_attr_u64(dset, "checksum", sum, path_);
}

std::vector<std::uint64_t> CheckpointFile::read_small(const std::string& name) {
  std::vector<std::uint64_t> v;
  std::string problem;
  try {
    h5::Handle d = h5::check(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, path_, "no dataset " + name);
    h5::Handle fs = h5::check(H5Dget_space(d), H5Sclose, path_, "H5Dget_space");
    hsize_t n = 0;
    if (H5Sget_simple_extent_dims(fs, &n, nullptr) != 1) throw h5_error(path_, "dataset " + name + " has the wrong shape");
    const std::uint64_t stored = read_attr_u64(d, "checksum", path_, "dataset " + name);
    v.resize(n);
    if (n > 0) transfer_rows(d, false, H5T_NATIVE_UINT64, 0, n, 1, v.data(), path_, "cannot read dataset " + name);
    std::uint64_t sum = 0;
    for (std::size_t k = 0; k < v.size(); ++k) sum += row_hash(k, &v[k], 1);
    if (sum != stored) problem = path_ + ": dataset " + name + " fails its checksum (the file is corrupt)";
  } catch (const error& e) {
    problem = e.what();
  }
  agree(problem);
  return v;
}

void CheckpointFile::write_scalar(const std::string& name, std::int64_t v) {
  write_attr_u64(file_, name.c_str(), static_cast<std::uint64_t>(v), path_);
}

std::int64_t CheckpointFile::read_scalar(const std::string& name) {
  return static_cast<std::int64_t>(read_attr_u64(file_, name.c_str(), path_, "checkpoint"));
}

void CheckpointFile::write_text(const std::string& name, const std::string& text) {
  std::vector<std::uint64_t> words((text.size() + 7) / 8 + 1, 0);
  words[0] = text.size();
  if (!text.empty()) std::memcpy(&words[1], text.data(), text.size());
  write_small(name, words);
}

std::string CheckpointFile::read_text(const std::string& name) {
  const std::vector<std::uint64_t> words = read_small(name);
  if (words.empty() || words[0] > (words.size() - 1) * 8)
    throw usage_error(path_ + ": dataset " + name + " is corrupt");
  std::string text(words[0], '\0');
  if (!text.empty()) std::memcpy(&text[0], &words[1], text.size());
  return text;
}

void CheckpointFile::close() {
  if (file_.get() >= 0) h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flush");
  file_.reset();
}

}  // namespace cajal
