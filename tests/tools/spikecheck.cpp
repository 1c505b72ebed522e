// Checks SONATA spike files with the HDF5 C API.
//   spikecheck equal A B            the same populations, bit-identical datasets
//   spikecheck layout FILE POP=N... the SONATA layout: /spikes/POP/{timestamps,node_ids},
//                                   float64 ms / uint64, sorting = by_time (enum), sorted
//                                   by (time, id), ids below N
//   spikecheck rate FILE T0 T1 N LO HI  the rate of all populations over T0 < t <= T1 ms
//                                   (spikes / N cells / (T1 - T0)) lies in [LO, HI] Hz
// Exit status 0 when the check holds, 1 (with the reason on stderr) otherwise.
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "spikecheck: %s\n", why.c_str());
  std::exit(1);
}

herr_t collect(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

std::vector<std::string> populations(hid_t file, const std::string& path) {
  hid_t g = H5Gopen2(file, "spikes", H5P_DEFAULT);
  if (g < 0) fail(path + ": no /spikes group");
  std::vector<std::string> names;
  H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names);
  H5Gclose(g);
  return names;
}

template <class T>
std::vector<T> read(hid_t file, const std::string& ds, hid_t memtype, const std::string& path, hid_t* type_out = nullptr) {
  hid_t d = H5Dopen2(file, ds.c_str(), H5P_DEFAULT);
  if (d < 0) fail(path + ": missing dataset " + ds);
  hid_t s = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) fail(path + ": cannot read " + ds);
  if (type_out) *type_out = H5Dget_type(d);
  H5Sclose(s);
  H5Dclose(d);
  return v;
}

int equal(const char* a, const char* b) {
  hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fa < 0 || fb < 0) fail(std::string("cannot open ") + (fa < 0 ? a : b));
  const auto pa = populations(fa, a), pb = populations(fb, b);
  if (pa != pb) fail("different populations");
  std::size_t total = 0;
  for (const auto& p : pa) {
    const std::string base = "/spikes/" + p + "/";
    const auto ta = read<double>(fa, base + "timestamps", H5T_NATIVE_DOUBLE, a);
    const auto tb = read<double>(fb, base + "timestamps", H5T_NATIVE_DOUBLE, b);
    const auto ia = read<std::uint64_t>(fa, base + "node_ids", H5T_NATIVE_UINT64, a);
    const auto ib = read<std::uint64_t>(fb, base + "node_ids", H5T_NATIVE_UINT64, b);
    if (ta.size() != tb.size()) fail(p + ": " + std::to_string(ta.size()) + " vs " + std::to_string(tb.size()) + " spikes");
    for (std::size_t k = 0; k < ta.size(); ++k)
      if (std::memcmp(&ta[k], &tb[k], sizeof(double)) != 0 || ia[k] != ib[k])
        fail(p + ": spike " + std::to_string(k) + " differs: (" + std::to_string(ta[k]) + " ms, " +
             std::to_string(ia[k]) + ") vs (" + std::to_string(tb[k]) + " ms, " + std::to_string(ib[k]) + ")");
    total += ta.size();
  }
  if (total == 0) fail("no spikes at all: the comparison would prove nothing");
  std::printf("spikecheck: identical, %zu spikes in %zu populations\n", total, pa.size());
  return 0;
}

int layout(const char* path, int argc, char** argv) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail(std::string("cannot open ") + path);
  std::map<std::string, std::uint64_t> expect;
  for (int i = 0; i < argc; ++i) {
    const std::string s = argv[i];
    const auto eq = s.find('=');
    expect[s.substr(0, eq)] = std::stoull(s.substr(eq + 1));
  }
  const auto pops = populations(f, path);
  if (pops.size() != expect.size()) fail("expected " + std::to_string(expect.size()) + " populations, found " + std::to_string(pops.size()));
  for (const auto& p : pops) {
    if (!expect.count(p)) fail("unexpected population " + p);
    const std::string base = "/spikes/" + p;
    // sorting: an enum attribute whose value is named by_time.
    hid_t g = H5Gopen2(f, base.c_str(), H5P_DEFAULT);
    hid_t at = H5Aopen(g, "sorting", H5P_DEFAULT);
    if (at < 0) fail(base + ": no sorting attribute");
    hid_t atype = H5Aget_type(at);
    if (H5Tget_class(atype) != H5T_ENUM) fail(base + ": sorting is not an enum");
    std::uint8_t val = 255;
    H5Aread(at, H5T_NATIVE_UINT8, &val);
    char name[32] = {0};
    H5Tenum_nameof(atype, &val, name, sizeof name);
    if (std::string(name) != "by_time") fail(base + ": sorting is '" + name + "', expected by_time");
    H5Tclose(atype);
    H5Aclose(at);
    H5Gclose(g);

    hid_t ttype = -1, itype = -1;
    const auto t = read<double>(f, base + "/timestamps", H5T_NATIVE_DOUBLE, path, &ttype);
    const auto id = read<std::uint64_t>(f, base + "/node_ids", H5T_NATIVE_UINT64, path, &itype);
    if (H5Tget_class(ttype) != H5T_FLOAT || H5Tget_size(ttype) != 8) fail(base + "/timestamps is not float64");
    if (H5Tget_class(itype) != H5T_INTEGER || H5Tget_size(itype) != 8 || H5Tget_sign(itype) != H5T_SGN_NONE)
      fail(base + "/node_ids is not uint64");
    hid_t d = H5Dopen2(f, (base + "/timestamps").c_str(), H5P_DEFAULT);
    hid_t ua = H5Aopen(d, "units", H5P_DEFAULT);
    if (ua < 0) fail(base + "/timestamps has no units attribute");
    hid_t utype = H5Aget_type(ua);
    std::vector<char> ubuf(H5Tget_size(utype) + 1, 0);
    H5Aread(ua, utype, ubuf.data());
    if (std::string(ubuf.data()) != "ms") fail(base + "/timestamps units are '" + ubuf.data() + "', expected ms");
    H5Tclose(utype);
    H5Aclose(ua);
    H5Dclose(d);
    if (t.size() != id.size()) fail(base + ": timestamps and node_ids differ in length");
    for (std::size_t k = 0; k < t.size(); ++k) {
      if (id[k] >= expect[p]) fail(base + ": node id " + std::to_string(id[k]) + " out of range");
      if (k > 0 && (t[k] < t[k - 1] || (t[k] == t[k - 1] && id[k] <= id[k - 1])))
        fail(base + ": not sorted by (time, node id) at " + std::to_string(k));
    }
    std::printf("spikecheck: %s: %zu spikes, layout ok\n", base.c_str(), t.size());
  }
  return 0;
}

int rate(const char* path, double t0, double t1, double cells, double lo, double hi) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail(std::string("cannot open ") + path);
  if (!(t1 > t0) || !(cells > 0)) fail("rate: need T1 > T0 and N > 0");
  std::size_t count = 0;
  for (const auto& p : populations(f, path))
    for (const double t : read<double>(f, "/spikes/" + p + "/timestamps", H5T_NATIVE_DOUBLE, path))
      count += (t > t0 && t <= t1) ? 1 : 0;
  H5Fclose(f);
  const double hz = static_cast<double>(count) / cells / ((t1 - t0) * 1e-3);
  std::printf("spikecheck: %zu spikes in (%g, %g] ms: %.3f Hz per cell, allowed [%g, %g]\n", count, t0, t1, hz, lo, hi);
  return hz >= lo && hz <= hi ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (argc == 4 && std::string(argv[1]) == "equal") return equal(argv[2], argv[3]);
  if (argc >= 3 && std::string(argv[1]) == "layout") return layout(argv[2], argc - 3, argv + 3);
  if (argc == 8 && std::string(argv[1]) == "rate")
    return rate(argv[2], std::atof(argv[3]), std::atof(argv[4]), std::atof(argv[5]), std::atof(argv[6]),
                std::atof(argv[7]));
  std::fprintf(stderr, "usage: spikecheck equal A B | spikecheck layout FILE POP=N... | spikecheck rate FILE T0 T1 N LO HI\n");
  return 2;
}
