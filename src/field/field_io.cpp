// The field's files: snapshots in field.h5 (written as they are taken, continued after a
// restart) and its part of a checkpoint (concentrations and pending spikes by voxel id).
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cajal/parallel/mpi_communicator.hpp"
#include "cajal/util/error.hpp"
#include "field/field_state.hpp"
#include "io/checkpoint_file.hpp"
#include "io/h5.hpp"

namespace cajal {

void Field::write_snapshot(const std::string& path, bool create, std::int64_t step, double t_ms) const {
  const State& m = state();
  std::string problem;
  try {
    h5::silence_errors();
    h5::Handle fapl = h5::check(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "H5Pcreate");
    h5::check(H5Pset_fapl_mpio(fapl, mpi_comm(m.comm), MPI_INFO_NULL), path, "H5Pset_fapl_mpio");
    h5::Handle file = create ? h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, path,
                                         "cannot create the field file")
                             : h5::check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), H5Fclose, path,
                                         "cannot open the field file");
    if (create) {
      h5::Handle g = h5::check(H5Gcreate2(file, "potassium", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path,
                               "create /potassium");
      h5::write_string_attr(g, "units", "mM", path);
      h5::write_string_attr(g, "axes", "z, y, x (dataset[k, j, i] is voxel (i, j, k), centre ((i, j, k) + 0.5) * voxel_um)", path);
      h5::write_double_attr(g, "voxel_um", m.h, path);
    }
    char name[64];
    std::snprintf(name, sizeof name, "potassium/%012lld", static_cast<long long>(step));
    const hsize_t dims[3] = {static_cast<hsize_t>(m.N[2]), static_cast<hsize_t>(m.N[1]), static_cast<hsize_t>(m.N[0])};
    h5::Handle space = h5::check(H5Screate_simple(3, dims, nullptr), H5Sclose, path, "H5Screate_simple");
    h5::Handle ds = h5::check(H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Dclose, path, std::string("create ") + name);
    const hsize_t start[3] = {static_cast<hsize_t>(m.s[2]), static_cast<hsize_t>(m.s[1]), static_cast<hsize_t>(m.s[0])};
    const hsize_t count[3] = {static_cast<hsize_t>(m.n[2]), static_cast<hsize_t>(m.n[1]), static_cast<hsize_t>(m.n[0])};
    h5::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr), path, "select");
    h5::Handle mem = h5::check(H5Screate_simple(3, count, nullptr), H5Sclose, path, "H5Screate_simple");
    h5::Handle xfer = h5::check(H5Pcreate(H5P_DATASET_XFER), H5Pclose, path, "H5Pcreate");
    h5::check(H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE), path, "H5Pset_dxpl_mpio");
    h5::check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, xfer, m.conc.data()), path, std::string("write ") + name);
    h5::write_double_attr(ds, "time_ms", t_ms, path);
  } catch (const error& e) {
    problem = e.what();
  }
  problem = m.comm.first_problem(problem);
  if (!problem.empty()) throw usage_error(problem);
}

void Field::continue_snapshots(const Communicator& comm, const std::string& src, const std::string& dst,
                               std::int64_t last) {
  std::string problem;
  if (comm.is_root()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(src, ec)) {
      problem = src + ": cannot continue the field snapshots: the file is missing";
    } else {
      if (!fs::equivalent(src, dst, ec)) {
        fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
        if (ec) problem = dst + ": cannot copy the earlier field snapshots there (" + ec.message() + ")";
      }
      if (problem.empty()) {
        try {
          h5::silence_errors();
          h5::Handle f = h5::check(H5Fopen(dst.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, dst, "cannot open");
          h5::Handle g = h5::check(H5Gopen2(f, "potassium", H5P_DEFAULT), H5Gclose, dst, "no /potassium group");
          H5G_info_t info;
          h5::check(H5Gget_info(g, &info), dst, "H5Gget_info");
          std::vector<std::string> later;
          for (hsize_t i = 0; i < info.nlinks; ++i) {
            char name[64] = "";
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
            if (std::atoll(name) > last) later.push_back(name);
          }
          for (const auto& nm : later) h5::check(H5Ldelete(g, nm.c_str(), H5P_DEFAULT), dst, "delete " + nm);
        } catch (const error& e) {
          problem = e.what();
        }
      }
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
}

namespace {
std::vector<std::uint64_t> owned_ids(const Field::Index3& N, const Field::Index3& s, const Field::Index3& n) {
  std::vector<std::uint64_t> ids;
  ids.reserve(static_cast<std::size_t>(n[0] * n[1] * n[2]));
  for (std::int64_t k = s[2]; k < s[2] + n[2]; ++k)
    for (std::int64_t j = s[1]; j < s[1] + n[1]; ++j)
      for (std::int64_t i = s[0]; i < s[0] + n[0]; ++i)
        ids.push_back(static_cast<std::uint64_t>(i + N[0] * (j + N[1] * k)));
  return ids;
}
}  // namespace

void Field::save(CheckpointFile& f) const {
  const State& m = state();
  const auto ids = owned_ids(m.N, m.s, m.n);
  f.write_ids("field", ids);
  f.write_rows("field", "potassium", H5T_IEEE_F64LE, 1, ids,
               [&](std::size_t k, std::uint64_t* row) { std::memcpy(row, &m.conc[k], 8); });
  f.write_rows("field", "spikes_pending", H5T_STD_I64LE, 1, ids,
               [&](std::size_t k, std::uint64_t* row) { std::memcpy(row, &m.spikes_pending[k], 8); });
}

void Field::restore(CheckpointFile& f) {
  State& m = state();
  const auto ids = owned_ids(m.N, m.s, m.n);
  const std::uint64_t total = static_cast<std::uint64_t>(m.N[0] * m.N[1] * m.N[2]);
  const Bricks& br = m.bricks;
  const Index3 N = m.N;
  auto owner = [&br, N](std::uint64_t id) {
    return br.rank_of_voxel({static_cast<std::int64_t>(id % N[0]), static_cast<std::int64_t>((id / N[0]) % N[1]),
                             static_cast<std::int64_t>(id / (N[0] * N[1]))});
  };
  f.read_rows("field", "potassium", total, 1, ids, owner,
              [&](std::size_t k, std::uint64_t* row) { std::memcpy(&m.conc[k], row, 8); });
  f.read_rows("field", "spikes_pending", total, 1, ids, owner,
              [&](std::size_t k, std::uint64_t* row) { std::memcpy(&m.spikes_pending[k], row, 8); });
}

}  // namespace cajal
