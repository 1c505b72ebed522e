// Damages HDF5 files on purpose, for the checkpoint tests.
//   h5poke offset FILE DATASET         prints the file offset of the dataset's raw data
//   h5poke set-attr FILE NAME VALUE    overwrites a uint64 attribute of the root group
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (argc == 4 && std::string(argv[1]) == "offset") {
    const hid_t f = H5Fopen(argv[2], H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = f < 0 ? -1 : H5Dopen2(f, argv[3], H5P_DEFAULT);
    const haddr_t off = d < 0 ? HADDR_UNDEF : H5Dget_offset(d);
    if (off == HADDR_UNDEF) {
      std::fprintf(stderr, "h5poke: no contiguous dataset %s in %s\n", argv[3], argv[2]);
      return 1;
    }
    std::printf("%llu\n", static_cast<unsigned long long>(off));
    return 0;
  }
  if (argc == 5 && std::string(argv[1]) == "set-attr") {
    const hid_t f = H5Fopen(argv[2], H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t a = f < 0 ? -1 : H5Aopen(f, argv[3], H5P_DEFAULT);
    const unsigned long long v = std::strtoull(argv[4], nullptr, 10);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_ULLONG, &v) < 0) {
      std::fprintf(stderr, "h5poke: cannot write attribute %s of %s\n", argv[3], argv[2]);
      return 1;
    }
    H5Aclose(a);
    H5Fclose(f);
    return 0;
  }
  std::fprintf(stderr, "usage: h5poke offset FILE DATASET | h5poke set-attr FILE NAME VALUE\n");
  return 2;
}
