#include "io/sonata_edges.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"
#include "io/h5.hpp"

namespace cajal {

namespace {

constexpr hsize_t block = 1 << 20;  // values per read while streaming a column

/// One edge population of one file, with its checks' messages: "FILE: DATASET: what".
struct EdgeFile {
  std::string path, group;
  h5::Handle file;

  [[noreturn]] void fail(const std::string& dataset, const std::string& what) const {
    throw usage_error(path + ": " + dataset + ": " + what);
  }
  std::string name(const std::string& rel) const { return group + "/" + rel; }

  EdgeFile(const std::string& p, const std::string& population, const std::string& top = "edges")
      : path(p), group("/" + top + "/" + population) {
    const std::string kind = top == "edges" ? "edge" : "node";
    h5::silence_errors();
    if (!std::filesystem::exists(path)) throw usage_error(path + ": cannot open the SONATA " + kind + " file: no such file");
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
      h5::reason();
      throw usage_error(path + ": cannot open the SONATA " + kind + " file: not an HDF5 file (or unreadable)");
    }
    file = h5::Handle(f, H5Fclose);
    const std::string top_group = "/" + top;
    if (H5Lexists(file, top_group.c_str(), H5P_DEFAULT) <= 0 || H5Lexists(file, group.c_str(), H5P_DEFAULT) <= 0) {
      h5::reason();
      std::string have;
      const hid_t g = H5Gopen2(file, top_group.c_str(), H5P_DEFAULT);
      if (g >= 0) {
        H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr,
                   [](hid_t, const char* n, const H5L_info_t*, void* out) -> herr_t {
                     auto& s = *static_cast<std::string*>(out);
                     s += (s.empty() ? "" : ", ") + std::string(n);
                     return 0;
                   },
                   &have);
        H5Gclose(g);
      }
      h5::reason();
      fail(group, "no such " + kind + " population; the file has: " + (have.empty() ? std::string("none") : have));
    }
  }

  bool has(const std::string& rel) const {
    const std::string n = name(rel);
    // Each link on the way must exist (H5Lexists fails on a missing intermediate group).
    std::size_t pos = 0;
    while ((pos = n.find('/', pos + 1)) != std::string::npos)
      if (H5Lexists(file, n.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
    const bool ok = H5Lexists(file, n.c_str(), H5P_DEFAULT) > 0;
    h5::reason();
    return ok;
  }

  /// Opens dataset `rel`, checking its class (integer or float) and shape ([n] or [n, 2];
  /// n = `rows` unless it is unknown, then set).
  h5::Handle open(const std::string& rel, H5T_class_t cls, int ndims, std::uint64_t* rows) const {
    const std::string n = name(rel);
    if (!has(rel)) fail(n, "missing");
    const hid_t d = H5Dopen2(file, n.c_str(), H5P_DEFAULT);
    if (d < 0) {
      h5::reason();
      fail(n, "not a dataset");
    }
    h5::Handle ds(d, H5Dclose);
    h5::Handle t(H5Dget_type(ds), H5Tclose);
    if (H5Tget_class(t) != cls)
      fail(n, std::string("wrong type: expected ") + (cls == H5T_INTEGER ? "integers" : "floating-point numbers"));
    h5::Handle sp(H5Dget_space(ds), H5Sclose);
    const int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[2] = {0, 0};
    if (nd >= 1 && nd <= 2) H5Sget_simple_extent_dims(sp, dims, nullptr);
    if (nd != ndims || (ndims == 2 && dims[1] != 2))
      fail(n, "wrong shape: expected " + std::string(ndims == 1 ? "[n]" : "[n, 2]") + ", got " + std::to_string(nd) +
                  " dimensions" + (nd == 2 ? " [" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + "]" : ""));
    if (*rows == std::numeric_limits<std::uint64_t>::max()) *rows = dims[0];
    else if (dims[0] != *rows)
      fail(n, "wrong shape: " + std::to_string(dims[0]) + " rows, expected " + std::to_string(*rows));
    return ds;
  }

  /// Reads rows [a, b) of dataset `d` ([n] or [n, 2]) as memory type `mt`.
  template <class T>
  void read_rows(hid_t d, hid_t mt, hsize_t a, hsize_t b, int width, std::vector<T>& out, const std::string& rel) const {
    out.resize((b - a) * width);
    if (b == a) return;
    h5::Handle fs(H5Dget_space(d), H5Sclose);
    const hsize_t start[2] = {a, 0}, count[2] = {b - a, static_cast<hsize_t>(width)};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const hsize_t total = (b - a) * width;
    h5::Handle ms(H5Screate_simple(1, &total, nullptr), H5Sclose);
    if (H5Dread(d, mt, ms, fs, H5P_DEFAULT, out.data()) < 0) {
      h5::reason();
      fail(name(rel), "cannot read (corrupt file?)");
    }
  }

  /// Reads the elements of the sorted, disjoint row intervals `iv` of a 1-D dataset.
  template <class T>
  void read_intervals(hid_t d, hid_t mt, const std::vector<std::pair<hsize_t, hsize_t>>& iv, int width,
                      std::vector<T>& out, const std::string& rel) const {
    hsize_t total = 0;
    for (const auto& x : iv) total += (x.second - x.first) * width;
    out.resize(total);
    if (total == 0) return;
    h5::Handle fs(H5Dget_space(d), H5Sclose);
    H5Sselect_none(fs);
    for (const auto& x : iv) {
      if (x.second == x.first) continue;
      const hsize_t start[2] = {x.first, 0}, count[2] = {x.second - x.first, static_cast<hsize_t>(width)};
      H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, nullptr, count, nullptr);
    }
    h5::Handle ms(H5Screate_simple(1, &total, nullptr), H5Sclose);
    if (H5Dread(d, mt, ms, fs, H5P_DEFAULT, out.data()) < 0) {
      h5::reason();
      fail(name(rel), "cannot read (corrupt file?)");
    }
  }

  /// The string attribute `attr` of dataset `rel`, or "" when absent.
  std::string string_attr(const std::string& rel, const char* attr) const {
    const std::string n = name(rel);
    if (H5Aexists_by_name(file, n.c_str(), attr, H5P_DEFAULT) <= 0) {
      h5::reason();
      return "";
    }
    h5::Handle a(H5Aopen_by_name(file, n.c_str(), attr, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    h5::Handle t(H5Aget_type(a), H5Tclose);
    if (H5Tget_class(t) != H5T_STRING) fail(n, std::string("attribute ") + attr + " is not a string");
    std::string out;
    if (H5Tis_variable_str(t) > 0) {
      h5::Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mt, H5T_VARIABLE);
      H5Tset_cset(mt, H5Tget_cset(t));  // h5py writes UTF-8
      char* s = nullptr;
      if (H5Aread(a, mt, &s) >= 0 && s) out = s;
      if (s) H5free_memory(s);
    } else {
      const std::size_t len = H5Tget_size(t);
      std::vector<char> buf(len + 1, 0);
      h5::Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mt, len);
      H5Tset_cset(mt, H5Tget_cset(t));
      H5Aread(a, mt, buf.data());
      out.assign(buf.data());
    }
    h5::reason();
    return out;
  }
};

const std::uint64_t unknown = std::numeric_limits<std::uint64_t>::max();

/// A SONATA types table (node_types.csv / edge_types.csv): `id_col` -> (model_template,
/// dynamics_params or "").
std::map<std::int64_t, std::pair<std::string, std::string>> read_types(const std::string& path, const std::string& id_col) {
  std::map<std::int64_t, std::string> dyn;
  std::map<std::int64_t, std::pair<std::string, std::string>> out;
  std::ifstream f(path);
  if (!f) throw usage_error(path + ": cannot open the SONATA types file: no such file (or unreadable)");
  std::string line;
  if (!std::getline(f, line)) throw usage_error(path + ": line 1: empty; expected a header with " + id_col);
  std::vector<std::string> head;
  {
    std::istringstream is(line);
    for (std::string w; is >> w;) head.push_back(w);
  }
  const auto col = [&](const std::string& c) {
    const auto it = std::find(head.begin(), head.end(), c);
    if (it == head.end()) throw usage_error(path + ": line 1: header has no column '" + c + "'");
    return static_cast<std::size_t>(it - head.begin());
  };
  const std::size_t cid = col(id_col), cm = col("model_template");
  const auto dp = std::find(head.begin(), head.end(), "dynamics_params");
  for (int lineno = 2; std::getline(f, line); ++lineno) {
    std::istringstream is(line);
    std::vector<std::string> w;
    for (std::string x; is >> x;) w.push_back(x);
    if (w.empty()) continue;
    if (w.size() != head.size())
      throw usage_error(path + ": line " + std::to_string(lineno) + ": " + std::to_string(w.size()) +
                        " columns, the header has " + std::to_string(head.size()));
    char* end = nullptr;
    const long long id = std::strtoll(w[cid].c_str(), &end, 10);
    if (!end || *end)
      throw usage_error(path + ": line " + std::to_string(lineno) + ": " + id_col + " '" + w[cid] + "' is not an integer");
    out[id] = {w[cm], dp != head.end() ? w[static_cast<std::size_t>(dp - head.begin())] : ""};
  }
  return out;
}

/// Parameters from a JSON file (as Cajal writes them): numbers, "inf"/"-inf", and
/// distribution tables {dist = normal: mean, std, min, max; uniform: low, high}. Keys the
/// deck already gives are kept.
void read_params_json(const std::string& path, std::map<std::string, Param>& params) {
  std::ifstream f(path);
  if (!f) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw usage_error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw usage_error(path + ": expected a JSON object of parameters");
  const double inf = std::numeric_limits<double>::infinity();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (params.count(it.key())) continue;
    Param prm;
    prm.loc = {path, 0};
    prm.dist.loc = prm.loc;
    const auto& v = it.value();
    if (v.is_number()) prm.value = v.get<double>();
    else if (v.is_string() && (v == "inf" || v == "-inf")) prm.value = v == "inf" ? inf : -inf;
    else if (v.is_object() && v.contains("dist") && (v["dist"] == "normal" || v["dist"] == "uniform")) {
      auto num = [&](const char* k, double def) { return v.contains(k) && v[k].is_number() ? v[k].get<double>() : def; };
      if (v["dist"] == "normal") {
        prm.dist.kind = Distribution::Kind::normal;
        prm.dist.mean = num("mean", 0);
        prm.dist.stddev = num("std", 0);
        prm.dist.low = num("min", -1e300);
        prm.dist.high = num("max", 1e300);
        prm.value = prm.dist.mean;
      } else {
        prm.dist.kind = Distribution::Kind::uniform;
        prm.dist.low = num("low", 0);
        prm.dist.high = num("high", 0);
        prm.value = 0.5 * (prm.dist.low + prm.dist.high);
      }
    } else
      throw usage_error(path + ": " + it.key() + ": expected a number or a distribution table");
    params[it.key()] = prm;
  }
}

/// The synapse parameters of the edge type's dynamics_params file, looked up where Cajal
/// writes it (components/synaptic_models/ beside the edge types file); none when absent.
void read_synapse_params(ProjectionSpec& pj, const std::string& name) {
  namespace fs = std::filesystem;
  if (name.empty() || name == "NULL" || name == "None") return;
  const std::string path =
      (fs::path(pj.sonata_edge_types).parent_path() / "components" / "synaptic_models" / name).string();
  std::ifstream f(path);
  if (!f) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw usage_error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object()) throw usage_error(path + ": expected a JSON object of parameters");
  for (auto it = j.begin(); it != j.end(); ++it) {
    Param prm;
    prm.loc = {path, 0};
    prm.dist.loc = prm.loc;
    if (it.value().is_number()) prm.value = it.value().get<double>();
    else if (it.value().is_string() && (it.value() == "inf" || it.value() == "-inf"))
      prm.value = it.value() == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    else
      throw usage_error(path + ": " + it.key() + ": expected a number");
    pj.synapse.params[it.key()] = prm;
  }
}

}  // namespace

void scan_sonata_edges(const Deck& deck, ProjectionSpec& pj) {
  const EdgeFile ef(pj.sonata_edges, pj.sonata_population);
  const std::uint64_t n_pre = static_cast<std::uint64_t>(deck.populations[deck.population_index(pj.pre)].n);
  const std::uint64_t n_post = static_cast<std::uint64_t>(deck.populations[deck.population_index(pj.post)].n);
  std::uint64_t E = unknown;
  h5::Handle src = ef.open("source_node_id", H5T_INTEGER, 1, &E);
  h5::Handle tgt = ef.open("target_node_id", H5T_INTEGER, 1, &E);
  for (const auto& side : {std::make_pair("source_node_id", pj.pre), std::make_pair("target_node_id", pj.post)}) {
    const std::string pop = ef.string_attr(side.first, "node_population");
    if (!pop.empty() && pop != side.second)
      ef.fail(ef.name(side.first), "attribute node_population is '" + pop + "', but the projection's " +
                                       (side.second == pj.pre ? "pre" : "post") + " population is '" + side.second + "'");
  }
  h5::Handle w = ef.open("0/syn_weight", H5T_FLOAT, 1, &E);
  h5::Handle d = ef.open("0/delay", H5T_FLOAT, 1, &E);
  pj.sonata_count = E;
  // Ids, weights and delays, streamed.
  const double dt = deck.simulation.dt;
  double wmin = std::numeric_limits<double>::infinity(), wmax = -wmin, dmin = wmin, dmax = -wmin;
  std::vector<std::uint64_t> ids, targets(E);
  std::vector<double> vals;
  for (hsize_t a = 0; a < E; a += block) {
    const hsize_t b = std::min<hsize_t>(E, a + block);
    ef.read_rows(src, H5T_NATIVE_UINT64, a, b, 1, ids, "source_node_id");
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (ids[k] >= n_pre)
        ef.fail(ef.name("source_node_id"), "edge " + std::to_string(a + k) + ": node id " + std::to_string(ids[k]) +
                                               " out of range; population '" + pj.pre + "' has ids 0 .. " + std::to_string(n_pre - 1));
    ef.read_rows(tgt, H5T_NATIVE_UINT64, a, b, 1, ids, "target_node_id");
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] >= n_post)
        ef.fail(ef.name("target_node_id"), "edge " + std::to_string(a + k) + ": node id " + std::to_string(ids[k]) +
                                               " out of range; population '" + pj.post + "' has ids 0 .. " + std::to_string(n_post - 1));
      targets[a + k] = ids[k];
    }
    ef.read_rows(w, H5T_NATIVE_DOUBLE, a, b, 1, vals, "0/syn_weight");
    for (std::size_t k = 0; k < vals.size(); ++k) {
      if (!std::isfinite(vals[k])) ef.fail(ef.name("0/syn_weight"), "edge " + std::to_string(a + k) + ": not finite");
      wmin = std::min(wmin, vals[k]);
      wmax = std::max(wmax, vals[k]);
    }
    ef.read_rows(d, H5T_NATIVE_DOUBLE, a, b, 1, vals, "0/delay");
    for (std::size_t k = 0; k < vals.size(); ++k) {
      const double steps = std::round(vals[k] / dt);
      if (!std::isfinite(vals[k]) || std::abs(vals[k] - steps * dt) > 1e-9 * std::max(std::abs(vals[k]), dt) || steps < 1 ||
          steps > 65535)
        ef.fail(ef.name("0/delay"), "edge " + std::to_string(a + k) + ": delay " + std::to_string(vals[k]) +
                                        " ms; allowed: a multiple of dt = " + std::to_string(dt) + " ms, from dt to 65535 dt");
      dmin = std::min(dmin, vals[k]);
      dmax = std::max(dmax, vals[k]);
    }
  }
  // The index, when present, must describe exactly these edges.
  if (ef.has("indices/target_to_source")) {
    std::uint64_t rows = n_post, R = unknown;
    h5::Handle n2r = ef.open("indices/target_to_source/node_id_to_ranges", H5T_INTEGER, 2, &rows);
    h5::Handle r2e = ef.open("indices/target_to_source/range_to_edge_id", H5T_INTEGER, 2, &R);
    std::vector<std::uint64_t> nr, re;
    ef.read_rows(n2r, H5T_NATIVE_UINT64, 0, n_post, 2, nr, "indices/target_to_source/node_id_to_ranges");
    ef.read_rows(r2e, H5T_NATIVE_UINT64, 0, R, 2, re, "indices/target_to_source/range_to_edge_id");
    std::vector<char> seen(E, 0);
    const std::string where = ef.name("indices/target_to_source");
    for (std::uint64_t t = 0; t < n_post; ++t) {
      if (nr[2 * t] > nr[2 * t + 1] || nr[2 * t + 1] > R)
        ef.fail(where + "/node_id_to_ranges", "row " + std::to_string(t) + " is not a range of range_to_edge_id's " +
                                                  std::to_string(R) + " rows");
      for (std::uint64_t r = nr[2 * t]; r < nr[2 * t + 1]; ++r) {
        if (re[2 * r] > re[2 * r + 1] || re[2 * r + 1] > E)
          ef.fail(where + "/range_to_edge_id", "row " + std::to_string(r) + " is not a range of the " + std::to_string(E) + " edges");
        for (std::uint64_t e = re[2 * r]; e < re[2 * r + 1]; ++e) {
          if (targets[e] != t || seen[e])
            ef.fail(where, "inconsistent with target_node_id: node " + std::to_string(t) + "'s ranges hold edge " +
                               std::to_string(e) + (seen[e] ? " twice" : ", whose target is " + std::to_string(targets[e])));
          seen[e] = 1;
        }
      }
    }
    if (std::find(seen.begin(), seen.end(), 0) != seen.end())
      ef.fail(where, "inconsistent with target_node_id: edge " +
                         std::to_string(std::find(seen.begin(), seen.end(), 0) - seen.begin()) + " is in no node's ranges");
  }
  // The synapse model: the edge types' (one for every edge), unless the deck names one.
  if (!pj.sonata_edge_types.empty()) {
    const auto types = read_types(pj.sonata_edge_types, "edge_type_id");
    std::string model, params_file;
    if (ef.has("edge_type_id")) {
      h5::Handle et = ef.open("edge_type_id", H5T_INTEGER, 1, &E);
      std::vector<std::int64_t> ty;
      for (hsize_t a = 0; a < E; a += block) {
        ef.read_rows(et, H5T_NATIVE_INT64, a, std::min<hsize_t>(E, a + block), 1, ty, "edge_type_id");
        for (std::size_t k = 0; k < ty.size(); ++k) {
          const auto it = types.find(ty[k]);
          if (it == types.end())
            ef.fail(ef.name("edge_type_id"), "edge " + std::to_string(a + k) + ": edge type " + std::to_string(ty[k]) +
                                                 " is not in " + pj.sonata_edge_types);
          if (!model.empty() && it->second.first != model)
            ef.fail(ef.name("edge_type_id"), "edge types with different models (" + model + ", " + it->second.first +
                                                 ") in one projection; give each model its own projection");
          model = it->second.first;
          params_file = it->second.second;
        }
      }
    }
    if (!model.empty()) {
      const std::string m = model.rfind("cajal:", 0) == 0 ? model.substr(6) : "";
      if (m.empty() || !find_synapse_model(m)) {
        std::string allowed;
        for (const auto& s : synapse_catalogue()) allowed += (allowed.empty() ? "cajal:" : ", cajal:") + s.name;
        throw usage_error(pj.sonata_edge_types + ": model_template: unknown model '" + model + "'; allowed: " + allowed);
      }
      if (pj.synapse.model.empty()) {
        pj.synapse.model = m;
        read_synapse_params(pj, params_file);
      } else if (pj.synapse.model != m)
        throw usage_error(pj.sonata_edge_types + ": model_template: '" + model + "', but projection." + pj.name +
                          ".synapse is '" + pj.synapse.model + "'");
    }
  }
  if (pj.synapse.model.empty()) pj.synapse.model = "static";
  // One value for every edge: a constant (a constant weight keeps its fixed-point value).
  pj.weight = Distribution();
  pj.delay = Distribution();
  pj.weight.loc = pj.delay.loc = pj.sonata_loc;
  pj.edge_weights = E > 0 && wmin != wmax;
  pj.edge_delays = E > 0 && dmin != dmax;
  if (pj.edge_weights) {
    pj.weight.kind = Distribution::Kind::uniform;
    pj.weight.low = wmin;
    pj.weight.high = wmax;
    pj.weight.value = 0.5 * (wmin + wmax);
  } else {
    pj.weight.value = E > 0 ? wmin : 0.0;
  }
  if (pj.edge_delays) {
    pj.delay.kind = Distribution::Kind::uniform;
    pj.delay.low = dmin;
    pj.delay.high = dmax;
    pj.delay.value = 0.5 * (dmin + dmax);
  } else {
    pj.delay.value = E > 0 ? dmin : dt;
  }
}

std::vector<LocalEdge> read_sonata_edges(const Deck& deck, const Partition& part, int index) {
  const ProjectionSpec& pj = deck.projections[index];
  const EdgeFile ef(pj.sonata_edges, pj.sonata_population);
  const auto& mine = part.local(deck.population_index(pj.post));  // ascending
  std::uint64_t E = pj.sonata_count;
  h5::Handle src = ef.open("source_node_id", H5T_INTEGER, 1, &E);
  // This rank's edges as sorted intervals of edge ids, with their targets.
  std::vector<std::pair<hsize_t, hsize_t>> iv;
  std::vector<std::uint64_t> iv_target;
  if (ef.has("indices/target_to_source")) {
    std::uint64_t rows = part.size(deck.population_index(pj.post)), R = unknown;
    h5::Handle n2r = ef.open("indices/target_to_source/node_id_to_ranges", H5T_INTEGER, 2, &rows);
    h5::Handle r2e = ef.open("indices/target_to_source/range_to_edge_id", H5T_INTEGER, 2, &R);
    std::vector<std::pair<hsize_t, hsize_t>> rows_iv;
    for (std::size_t k = 0; k < mine.size();) {
      std::size_t e = k + 1;
      while (e < mine.size() && mine[e] == mine[e - 1] + 1) ++e;
      rows_iv.push_back({mine[k], mine[e - 1] + 1});
      k = e;
    }
    std::vector<std::uint64_t> nr, re;
    ef.read_intervals(n2r, H5T_NATIVE_UINT64, rows_iv, 2, nr, "indices/target_to_source/node_id_to_ranges");
    std::vector<std::pair<hsize_t, hsize_t>> ranges_iv;
    std::vector<std::uint64_t> range_target;
    for (std::size_t k = 0; k < mine.size(); ++k) {
      if (nr[2 * k + 1] > nr[2 * k]) ranges_iv.push_back({nr[2 * k], nr[2 * k + 1]});
      for (std::uint64_t r = nr[2 * k]; r < nr[2 * k + 1]; ++r) range_target.push_back(mine[k]);
    }
    // Range rows of different targets may interleave in a file not written by Cajal:
    // read them in row order, then put each back with its target.
    std::vector<std::size_t> order(ranges_iv.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::vector<std::pair<hsize_t, hsize_t>> sorted_iv = ranges_iv;
    std::sort(sorted_iv.begin(), sorted_iv.end());
    std::vector<std::uint64_t> re_sorted;
    ef.read_intervals(r2e, H5T_NATIVE_UINT64, sorted_iv, 2, re_sorted, "indices/target_to_source/range_to_edge_id");
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> range_of;  // range row -> edges
    {
      std::size_t q = 0;
      for (const auto& x : sorted_iv)
        for (hsize_t r = x.first; r < x.second; ++r, ++q) range_of[r] = {re_sorted[2 * q], re_sorted[2 * q + 1]};
    }
    std::size_t q = 0;
    for (const auto& x : ranges_iv)
      for (hsize_t r = x.first; r < x.second; ++r, ++q) {
        const auto ed = range_of[r];
        if (ed.second > ed.first) {
          iv.push_back({ed.first, ed.second});
          iv_target.push_back(range_target[q]);
        }
      }
  } else {
    h5::Handle tgt = ef.open("target_node_id", H5T_INTEGER, 1, &E);
    std::vector<std::uint64_t> ids;
    for (hsize_t a = 0; a < E; a += block) {
      ef.read_rows(tgt, H5T_NATIVE_UINT64, a, std::min<hsize_t>(E, a + block), 1, ids, "target_node_id");
      for (std::size_t k = 0; k < ids.size(); ++k)
        if (std::binary_search(mine.begin(), mine.end(), ids[k])) {
          iv.push_back({a + k, a + k + 1});
          iv_target.push_back(ids[k]);
        }
    }
  }
  // Read the intervals in file order; edges keep the file's order within each target.
  std::vector<std::size_t> perm(iv.size());
  for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = k;
  std::sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) { return iv[a].first < iv[b].first; });
  std::vector<std::pair<hsize_t, hsize_t>> sorted(iv.size());
  std::vector<std::uint64_t> sorted_target(iv.size());
  for (std::size_t k = 0; k < perm.size(); ++k) {
    sorted[k] = iv[perm[k]];
    sorted_target[k] = iv_target[perm[k]];
  }
  std::vector<std::uint64_t> s;
  std::vector<double> w, d;
  ef.read_intervals(src, H5T_NATIVE_UINT64, sorted, 1, s, "source_node_id");
  h5::Handle wd = ef.open("0/syn_weight", H5T_FLOAT, 1, &E);
  h5::Handle dd = ef.open("0/delay", H5T_FLOAT, 1, &E);
  ef.read_intervals(wd, H5T_NATIVE_DOUBLE, sorted, 1, w, "0/syn_weight");
  ef.read_intervals(dd, H5T_NATIVE_DOUBLE, sorted, 1, d, "0/delay");
  std::vector<LocalEdge> out;
  out.reserve(s.size());
  std::size_t q = 0;
  for (std::size_t k = 0; k < sorted.size(); ++k)
    for (hsize_t e = sorted[k].first; e < sorted[k].second; ++e, ++q) out.push_back({s[q], sorted_target[k], w[q], d[q]});
  return out;
}

void scan_sonata_nodes(const Deck& deck, PopulationSpec& pop) {
  const EdgeFile nf(pop.sonata_nodes, pop.sonata_population, "nodes");
  std::uint64_t n = unknown;
  h5::Handle types = nf.open("node_type_id", H5T_INTEGER, 1, &n);
  if (n == 0) nf.fail(nf.name("node_type_id"), "no nodes");
  // As for population.n (input/deck_population.cpp): source ids are 32-bit in the synapses.
  if (n > (std::uint64_t(1) << 32)) nf.fail(nf.name("node_type_id"), "more than 2^32 nodes; split the population");
  if (pop.n != 0 && static_cast<std::uint64_t>(pop.n) != n)
    nf.fail(nf.name("node_type_id"), std::to_string(n) + " nodes, but population." + pop.name + ".n is " + std::to_string(pop.n));
  pop.n = static_cast<std::int64_t>(n);
  std::vector<std::uint64_t> ids;
  if (nf.has("node_id")) {
    h5::Handle d = nf.open("node_id", H5T_INTEGER, 1, &n);
    for (hsize_t a = 0; a < n; a += block) {
      nf.read_rows(d, H5T_NATIVE_UINT64, a, std::min<hsize_t>(n, a + block), 1, ids, "node_id");
      for (std::size_t k = 0; k < ids.size(); ++k)
        if (ids[k] != a + k)
          nf.fail(nf.name("node_id"), "row " + std::to_string(a + k) + " holds id " + std::to_string(ids[k]) +
                                          "; allowed: the ids 0 .. n-1 in order");
    }
  }
  if (nf.has("node_group_id")) {
    h5::Handle d = nf.open("node_group_id", H5T_INTEGER, 1, &n);
    for (hsize_t a = 0; a < n; a += block) {
      nf.read_rows(d, H5T_NATIVE_UINT64, a, std::min<hsize_t>(n, a + block), 1, ids, "node_group_id");
      for (std::size_t k = 0; k < ids.size(); ++k)
        if (ids[k] != 0) nf.fail(nf.name("node_group_id"), "node " + std::to_string(a + k) + " is in group " +
                                                              std::to_string(ids[k]) + "; only group 0 is read");
    }
  }
  // Positions: every rank holds them (the partition needs any cell's position).
  pop.placement.kind = Placement::Kind::file;
  pop.placement.min = {0, 0, 0};
  pop.placement.max = deck.simulation.box;
  pop.placement.loc = pop.sonata_loc;
  pop.placement.positions.assign(n, {0, 0, 0});
  std::vector<double> v;
  const char* axis[3] = {"0/x", "0/y", "0/z"};
  for (int d = 0; d < 3; ++d) {
    h5::Handle ds = nf.open(axis[d], H5T_FLOAT, 1, &n);
    for (hsize_t a = 0; a < n; a += block) {
      nf.read_rows(ds, H5T_NATIVE_DOUBLE, a, std::min<hsize_t>(n, a + block), 1, v, axis[d]);
      for (std::size_t k = 0; k < v.size(); ++k) {
        if (!(v[k] >= 0 && v[k] <= deck.simulation.box[d]))
          nf.fail(nf.name(axis[d]), "node " + std::to_string(a + k) + " at " + std::to_string(v[k]) +
                                        " µm, outside simulation.box [0, " + std::to_string(deck.simulation.box[d]) + "]");
        pop.placement.positions[a + k][d] = v[k];
      }
    }
  }
  // The model and its parameters: the node types' (one model for every node).
  if (!pop.sonata_node_types.empty()) {
    const auto table = read_types(pop.sonata_node_types, "node_type_id");
    std::string model, params_file;
    std::vector<std::int64_t> ty;
    for (hsize_t a = 0; a < n; a += block) {
      nf.read_rows(types, H5T_NATIVE_INT64, a, std::min<hsize_t>(n, a + block), 1, ty, "node_type_id");
      for (std::size_t k = 0; k < ty.size(); ++k) {
        const auto it = table.find(ty[k]);
        if (it == table.end())
          nf.fail(nf.name("node_type_id"), "node " + std::to_string(a + k) + ": node type " + std::to_string(ty[k]) +
                                               " is not in " + pop.sonata_node_types);
        if (!model.empty() && it->second.first != model)
          nf.fail(nf.name("node_type_id"), "node types with different models (" + model + ", " + it->second.first +
                                               ") in one population; give each model its own population");
        model = it->second.first;
        params_file = it->second.second;
      }
    }
    const std::string m = model.rfind("cajal:", 0) == 0 ? model.substr(6) : "";
    if (m.empty() || !find_model(m)) {
      std::string allowed;
      for (const auto& mi : model_catalogue()) allowed += (allowed.empty() ? "cajal:" : ", cajal:") + mi.name;
      throw usage_error(pop.sonata_node_types + ": model_template: unknown model '" + model + "'; allowed: " + allowed);
    }
    if (pop.model.empty()) {
      pop.model = m;
      pop.model_loc = pop.sonata_loc;
      if (!params_file.empty() && params_file != "NULL" && params_file != "None")
        read_params_json((std::filesystem::path(pop.sonata_node_types).parent_path() / "components" /
                          "point_neuron_models" / params_file).string(),
                         pop.params);
    } else if (pop.model != m) {
      throw usage_error(pop.sonata_node_types + ": model_template: '" + model + "', but population." + pop.name +
                        ".model is '" + pop.model + "'");
    }
  }
  // Per-cell values: group 0's datasets named like a parameter of the model, unless the
  // deck gives that parameter.
  const ModelInfo* mi = find_model(pop.model);
  if (mi)
    for (const auto& pi : mi->params) {
      const auto given = pop.params.find(pi.name);
      if (given != pop.params.end() && given->second.loc.file == deck.file) continue;
      if (!nf.has("0/" + pi.name)) continue;
      h5::Handle ds = nf.open("0/" + pi.name, H5T_FLOAT, 1, &n);
      Param prm;
      prm.loc = pop.sonata_loc;
      prm.dist.loc = prm.loc;
      nf.read_rows(ds, H5T_NATIVE_DOUBLE, 0, n, 1, prm.per_cell, "0/" + pi.name);
      for (std::size_t k = 0; k < prm.per_cell.size(); ++k)
        if (!std::isfinite(prm.per_cell[k])) nf.fail(nf.name("0/" + pi.name), "node " + std::to_string(k) + ": not finite");
      prm.value = prm.per_cell[0];
      pop.params[pi.name] = prm;
    }
}

void register_sonata_readers() {
  set_node_file_scanner(&scan_sonata_nodes);
  set_edge_file_scanner(&scan_sonata_edges);
  set_edge_file_reader(&read_sonata_edges);
}

}  // namespace cajal
