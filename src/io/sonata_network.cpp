#include "io/sonata_network.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cajal/model/catalogue.hpp"
#include "io/column_file.hpp"
#include "io/h5.hpp"
#include "util/fixed_point.hpp"

namespace cajal {

namespace {

namespace cf = column_file;

/// Writes rows `rows` (ascending) of an [N, 2] dataset from `buf` (2 values per row).
void write_pairs(hid_t d, const std::vector<std::uint64_t>& rows, const std::vector<std::uint64_t>& buf, hid_t xfer,
                 const std::string& tmp, const std::string& what) {
  const auto select = [&](hid_t fs) {
    H5Sselect_none(fs);
    for (std::size_t k = 0; k < rows.size();) {
      std::size_t e = k + 1;
      while (e < rows.size() && rows[e] == rows[e - 1] + 1) ++e;
      const hsize_t start[2] = {rows[k], 0}, count[2] = {e - k, 2};
      H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, nullptr, count, nullptr);
      k = e;
    }
  };
  h5::transfer(true, d, H5T_NATIVE_UINT64, 2 * rows.size(), select, xfer, const_cast<std::uint64_t*>(buf.data()), tmp,
               "write " + what);
}

/// A 1-D dataset of `n` values, this rank's columns `cols` from `buf`.
void column(hid_t g, const std::string& name, hid_t filetype, hid_t memtype, hsize_t n,
            const std::vector<std::uint64_t>& cols, const void* buf, hid_t xfer, const std::string& tmp,
            const std::string& where) {
  h5::Handle d = cf::dataset(g, name, filetype, 1, &n, tmp);
  cf::write_columns(d, memtype, cols, buf, xfer, tmp, where + "/" + name);
}

/// The index of one direction: `ranges` holds (node, first edge, end edge) sorted by node,
/// for the nodes of [a, b) (this rank's block or its own nodes, `nodes` ascending), and
/// `range_offset` is the global position of this rank's first range.
void write_index(hid_t parent, const std::string& name, hsize_t n_nodes, hsize_t n_ranges,
                 const std::vector<std::uint64_t>& nodes, const std::vector<std::array<std::uint64_t, 3>>& ranges,
                 std::uint64_t range_offset, hid_t xfer, const std::string& tmp, const std::string& where) {
  h5::Handle g = cf::group(parent, name, tmp);
  // node_id_to_ranges[node] = [first range, end range) in range_to_edge_id; a node without
  // edges gets an empty range at the position its ranges would take.
  std::vector<std::uint64_t> n2r(2 * nodes.size()), r2e(2 * ranges.size()), rrows(ranges.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::uint64_t first = range_offset + k;
    while (k < ranges.size() && ranges[k][0] == nodes[i]) ++k;
    n2r[2 * i] = first;
    n2r[2 * i + 1] = range_offset + k;
  }
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    r2e[2 * r] = ranges[r][1];
    r2e[2 * r + 1] = ranges[r][2];
    rrows[r] = range_offset + r;
  }
  const hsize_t d1[2] = {n_nodes, 2}, d2[2] = {n_ranges, 2};
  h5::Handle a = cf::dataset(g, "node_id_to_ranges", H5T_STD_U64LE, 2, d1, tmp);
  write_pairs(a, nodes, n2r, xfer, tmp, where + "/" + name + "/node_id_to_ranges");
  h5::Handle b = cf::dataset(g, "range_to_edge_id", H5T_STD_U64LE, 2, d2, tmp);
  write_pairs(b, rrows, r2e, xfer, tmp, where + "/" + name + "/range_to_edge_id");
}

/// This rank's edges of one projection, in canonical order.
struct LocalEdges {
  std::vector<std::uint64_t> id, src, tgt;  // global edge id (ascending), source and target ids
  std::vector<double> weight, delay_ms;
  std::uint64_t total = 0;                  // edges of the whole projection
  std::vector<std::uint64_t> count;         // in-degree of every target (all ranks)
};

LocalEdges collect(const Communicator& comm, const Deck& deck, const Partition& part, const Projection& pj) {
  LocalEdges out;
  const HostSourceRows rows = pj.rows.on_host();
  const HostTargets tgt = pj.target.on_host();
  auto wf = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.weight);
  auto dl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.delay);
  Kokkos::View<double*>::HostMirror wp;
  if (pj.plastic) wp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pj.plastic_weight);
  const auto& ids = part.local(pj.post);
  const std::size_t nloc = ids.size(), nsyn = tgt.extent(0);
  // By target: synapses of each local target in row order (source ascending, then as drawn).
  std::vector<std::uint64_t> off(nloc + 1, 0), perm(nsyn), src_of(nsyn);
  for (std::size_t j = 0; j < nsyn; ++j) ++off[tgt(j) + 1];
  for (std::size_t li = 0; li < nloc; ++li) off[li + 1] += off[li];
  std::vector<std::uint64_t> fill(off.begin(), off.end() - 1);
  for (std::uint64_t r = 0; r < rows.rows(); ++r) {
    const auto span = rows.span(r);
    for (std::uint64_t j = span.b; j < span.e; ++j) {
      perm[fill[tgt(j)]++] = j;
      src_of[j] = rows.id(r);
    }
  }
  const std::uint64_t n_post = part.size(pj.post);
  out.count.assign(n_post, 0);
  for (std::size_t li = 0; li < nloc; ++li) out.count[ids[li]] = off[li + 1] - off[li];
  comm.sum_each(out.count);
  std::vector<std::uint64_t> start(n_post + 1, 0);
  for (std::uint64_t t = 0; t < n_post; ++t) start[t + 1] = start[t] + out.count[t];
  out.total = start[n_post];
  const double dt = deck.simulation.dt;
  const double w_const = (pj.stateful() || pj.sic) ? pj.weight_value : from_fixed(pj.weight_fixed);
  const double d_const = pj.delay_steps * dt;
  for (std::size_t li = 0; li < nloc; ++li)
    for (std::uint64_t q = off[li]; q < off[li + 1]; ++q) {
      const std::uint64_t j = perm[q];
      out.id.push_back(start[ids[li]] + (q - off[li]));
      out.src.push_back(src_of[j]);
      out.tgt.push_back(ids[li]);
      out.weight.push_back(pj.plastic ? wp(j) : wf.extent(0) ? static_cast<double>(wf(j)) : w_const);
      out.delay_ms.push_back(dl.extent(0) ? dl(j) * dt : d_const);
    }
  return out;
}

void write_edges(const Communicator& comm, hid_t file, hid_t xfer, const std::string& tmp, const Deck& deck,
                 const Partition& part, const std::vector<Projection>& projections) {
  h5::Handle top = cf::group(file, "/edges", tmp);
  const int P = comm.size();
  for (std::size_t i = 0; i < projections.size(); ++i) {
    const Projection& pj = projections[i];
    if (pj.gap) continue;
    const ProjectionSpec& spec = deck.projections[i];
    const std::string where = "/edges/" + spec.name;
    LocalEdges e = collect(comm, deck, part, pj);
    h5::Handle g = cf::group(file, where, tmp);
    const hsize_t n = e.total;
    {
      h5::Handle d = cf::dataset(g, "source_node_id", H5T_STD_U64LE, 1, &n, tmp);
      cf::write_columns(d, H5T_NATIVE_UINT64, e.id, e.src.data(), xfer, tmp, where + "/source_node_id");
      h5::write_string_attr(d, "node_population", spec.pre, tmp);
    }
    {
      h5::Handle d = cf::dataset(g, "target_node_id", H5T_STD_U64LE, 1, &n, tmp);
      cf::write_columns(d, H5T_NATIVE_UINT64, e.id, e.tgt.data(), xfer, tmp, where + "/target_node_id");
      h5::write_string_attr(d, "node_population", spec.post, tmp);
    }
    const std::vector<std::int64_t> type(e.id.size(), static_cast<std::int64_t>(i));
    const std::vector<std::uint32_t> group(e.id.size(), 0);
    column(g, "edge_type_id", H5T_STD_I64LE, H5T_NATIVE_INT64, n, e.id, type.data(), xfer, tmp, where);
    column(g, "edge_group_id", H5T_STD_U32LE, H5T_NATIVE_UINT32, n, e.id, group.data(), xfer, tmp, where);
    column(g, "edge_group_index", H5T_STD_U64LE, H5T_NATIVE_UINT64, n, e.id, e.id.data(), xfer, tmp, where);
    {
      h5::Handle g0 = cf::group(g, "0", tmp);
      column(g0, "syn_weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, e.id, e.weight.data(), xfer, tmp, where + "/0");
      column(g0, "delay", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, e.id, e.delay_ms.data(), xfer, tmp, where + "/0");
    }
    h5::Handle idx = cf::group(g, "indices", tmp);
    // target_to_source: edges are sorted by target, so each target with edges has one range.
    {
      const auto& ids = part.local(pj.post);
      const std::uint64_t n_post = part.size(pj.post);
      // Rows of this rank's targets in node_id_to_ranges, and of their ranges in
      // range_to_edge_id (a range's row: the targets with edges below it).
      std::vector<std::uint64_t> n2r(2 * ids.size()), r2e, rrows;
      std::uint64_t rpos = 0, k = 0;
      std::size_t li = 0;
      for (std::uint64_t t = 0; t < n_post; ++t) {
        if (li < ids.size() && ids[li] == t) {
          n2r[2 * li] = rpos;
          n2r[2 * li + 1] = rpos + (e.count[t] > 0 ? 1 : 0);
          if (e.count[t] > 0) {
            rrows.push_back(rpos);
            r2e.push_back(e.id[k]);
            r2e.push_back(e.id[k] + e.count[t]);
            k += e.count[t];
          }
          ++li;
        }
        if (e.count[t] > 0) ++rpos;
      }
      const std::uint64_t nr = rpos;
      h5::Handle gi = cf::group(idx, "target_to_source", tmp);
      const hsize_t d1[2] = {n_post, 2}, d2[2] = {nr, 2};
      h5::Handle a = cf::dataset(gi, "node_id_to_ranges", H5T_STD_U64LE, 2, d1, tmp);
      write_pairs(a, ids, n2r, xfer, tmp, where + "/indices/target_to_source/node_id_to_ranges");
      h5::Handle b = cf::dataset(gi, "range_to_edge_id", H5T_STD_U64LE, 2, d2, tmp);
      write_pairs(b, rrows, r2e, xfer, tmp, where + "/indices/target_to_source/range_to_edge_id");
    }
    // source_to_target: (source, edge id) pairs go to the rank owning a block of source
    // ids, which merges runs of consecutive edge ids into ranges.
    {
      const std::uint64_t n_pre = part.size(pj.pre);
      std::vector<std::uint64_t> bound(P + 1);
      for (int r = 0; r <= P; ++r) bound[r] = n_pre / P * r + std::min<std::uint64_t>(r, n_pre % P);
      std::vector<std::vector<std::uint64_t>> send(P);
      for (std::size_t q = 0; q < e.id.size(); ++q) {
        const int r = static_cast<int>(std::upper_bound(bound.begin(), bound.end(), e.src[q]) - bound.begin()) - 1;
        send[r].push_back(e.src[q]);
        send[r].push_back(e.id[q]);
      }
      const std::vector<std::uint64_t> got = comm.alltoallv(send);
      std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(got.size() / 2);
      for (std::size_t q = 0; q < pairs.size(); ++q) pairs[q] = {got[2 * q], got[2 * q + 1]};
      std::sort(pairs.begin(), pairs.end());
      std::vector<std::array<std::uint64_t, 3>> ranges;
      for (const auto& p : pairs) {
        if (!ranges.empty() && ranges.back()[0] == p.first && ranges.back()[2] == p.second) ++ranges.back()[2];
        else ranges.push_back({p.first, p.second, p.second + 1});
      }
      const std::uint64_t offset = comm.exscan<unsigned long long>(ranges.size());
      const std::uint64_t total = comm.sum<unsigned long long>(ranges.size());
      const int me = comm.rank();
      std::vector<std::uint64_t> block(bound[me + 1] - bound[me]);
      for (std::size_t q = 0; q < block.size(); ++q) block[q] = bound[me] + q;
      write_index(idx, "source_to_target", n_pre, total, block, ranges, offset, xfer, tmp, where + "/indices");
    }
  }
}

void write_nodes(hid_t file, hid_t xfer, const std::string& tmp, const Deck& deck, const Partition& part) {
  h5::Handle top = cf::group(file, "/nodes", tmp);
  for (int p = 0; p < part.populations(); ++p) {
    const std::string where = "/nodes/" + deck.populations[p].name;
    h5::Handle g = cf::group(file, where, tmp);
    const auto& ids = part.local(p);
    const hsize_t n = part.size(p);
    const std::vector<std::int64_t> type(ids.size(), p);
    const std::vector<std::uint32_t> group(ids.size(), 0);
    column(g, "node_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, n, ids, ids.data(), xfer, tmp, where);
    column(g, "node_type_id", H5T_STD_I64LE, H5T_NATIVE_INT64, n, ids, type.data(), xfer, tmp, where);
    column(g, "node_group_id", H5T_STD_U32LE, H5T_NATIVE_UINT32, n, ids, group.data(), xfer, tmp, where);
    column(g, "node_group_index", H5T_STD_U64LE, H5T_NATIVE_UINT64, n, ids, ids.data(), xfer, tmp, where);
    h5::Handle g0 = cf::group(g, "0", tmp);
    std::vector<double> xyz(ids.size());
    const char* axis[3] = {"x", "y", "z"};
    for (int d = 0; d < 3; ++d) {
      for (std::size_t k = 0; k < ids.size(); ++k) xyz[k] = part.position(p, ids[k])[d];
      column(g0, axis[d], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, ids, xyz.data(), xfer, tmp, where + "/0");
    }
    // Parameters given per cell: one dataset each, named as the parameter.
    for (const auto& kv : deck.populations[p].params) {
      if (kv.second.per_cell.empty()) continue;
      for (std::size_t k = 0; k < ids.size(); ++k) xyz[k] = kv.second.per_cell[ids[k]];
      column(g0, kv.first, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, ids, xyz.data(), xfer, tmp, where + "/0");
    }
  }
}

/// A parameter for the JSON file: its number, or a drawn initial value as its table.
nlohmann::json param_json(double value, const std::map<std::string, Param>& given, const std::string& name) {
  const auto it = given.find(name);
  if (it == given.end() || it->second.dist.is_constant()) {
    // JSON has no infinities (V_min = -inf): written as strings, as Python's float() reads them.
    if (!std::isfinite(value)) return value > 0 ? "inf" : std::isnan(value) ? "nan" : "-inf";
    return value;
  }
  const Distribution& d = it->second.dist;
  nlohmann::json j;
  if (d.kind == Distribution::Kind::normal) {
    j["dist"] = "normal";
    j["mean"] = d.mean;
    j["std"] = d.stddev;
    if (d.low > -1e300) j["min"] = d.low;
    if (d.high < 1e300) j["max"] = d.high;
  } else {
    j["dist"] = "uniform";
    j["low"] = d.low;
    j["high"] = d.high;
  }
  return j;
}

/// Rank 0: the type tables, the parameter files and the circuit config.
void write_text_files(const Deck& deck, const std::vector<Projection>& projections, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string neurons = "components/point_neuron_models", synapses = "components/synaptic_models";
  std::error_code ec;
  fs::create_directories(dir + "/" + neurons, ec);
  fs::create_directories(dir + "/" + synapses, ec);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream f(path + ".incomplete");
    f << text;
    f.close();
    if (!f || std::rename((path + ".incomplete").c_str(), path.c_str()) != 0)
      throw usage_error(path + ": cannot write the file (is the output folder writable?)");
  };
  std::string nt = "node_type_id model_type model_template dynamics_params pop_name\n";
  for (std::size_t p = 0; p < deck.populations.size(); ++p) {
    const PopulationSpec& pop = deck.populations[p];
    const ModelInfo* m = find_model(pop.model);
    const bool virt = m && m->kind == ModelInfo::Kind::generator;
    nt += std::to_string(p) + (virt ? " virtual" : " point_neuron") + " cajal:" + pop.model + " " + pop.name +
          ".json " + pop.name + "\n";
    nlohmann::json j = nlohmann::json::object();
    // Every parameter the deck gives, and the model's defaults; a value the model derives
    // from others (izhikevich's U_m = b V_m, V_m = E_L) is left out, so that a reader
    // derives it again (per cell, where V_m is drawn per cell).
    for (const auto& kv : resolve_params(pop)) {
      bool derived = false;
      if (!pop.params.count(kv.first) && m)
        for (const auto& pi : m->params)
          if (pi.name == kv.first) derived = !(pi.def == kv.second || (std::isnan(pi.def) && std::isnan(kv.second)));
      if (!derived) j[kv.first] = param_json(kv.second, pop.params, kv.first);
    }
    write(neurons + "/" + pop.name + ".json", j.dump(2) + "\n");
  }
  write("node_types.csv", nt);
  std::string et = "edge_type_id model_template dynamics_params edge_name\n";
  for (std::size_t i = 0; i < projections.size(); ++i) {
    if (projections[i].gap) continue;
    const ProjectionSpec& spec = deck.projections[i];
    et += std::to_string(i) + " cajal:" + spec.synapse.model + " " + spec.name + ".json " + spec.name + "\n";
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : resolve_synapse_params(spec.synapse)) j[kv.first] = param_json(kv.second, {}, kv.first);
    write(synapses + "/" + spec.name + ".json", j.dump(2) + "\n");
  }
  write("edge_types.csv", et);
  nlohmann::json c;
  c["manifest"]["$NETWORK_DIR"] = ".";
  c["components"]["point_neuron_models_dir"] = "$NETWORK_DIR/" + neurons;
  c["components"]["synaptic_models_dir"] = "$NETWORK_DIR/" + synapses;
  c["networks"]["nodes"] = nlohmann::json::array(
      {{{"nodes_file", "$NETWORK_DIR/nodes.h5"}, {"node_types_file", "$NETWORK_DIR/node_types.csv"}}});
  c["networks"]["edges"] = nlohmann::json::array(
      {{{"edges_file", "$NETWORK_DIR/edges.h5"}, {"edge_types_file", "$NETWORK_DIR/edge_types.csv"}}});
  c["target_simulator"] = "CAJAL";
  c["run"]["dt"] = deck.simulation.dt;
  c["run"]["tstop"] = deck.simulation.t_stop;
  write("circuit_config.json", c.dump(2) + "\n");
}

}  // namespace

void write_sonata_network(const Communicator& comm, const Deck& deck, const Partition& part,
                          const std::vector<Projection>& projections, const std::string& dir) {
  std::string problem;
  if (comm.is_root()) {
    try {
      write_text_files(deck, projections, dir);
    } catch (const error& e) {
      problem = e.what();
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  cf::write_whole(comm, dir + "/nodes.h5", [&](hid_t file, hid_t xfer, const std::string& tmp) {
    write_nodes(file, xfer, tmp, deck, part);
  });
  cf::write_whole(comm, dir + "/edges.h5", [&](hid_t file, hid_t xfer, const std::string& tmp) {
    write_edges(comm, file, xfer, tmp, deck, part, projections);
  });
}

}  // namespace cajal
