/* Plain parallel-HDF5 write of the bytes a Cajal checkpoint holds, as a yardstick for
 * checkpoint writes (bench/checkpoint_io.sh). One dataset of ROWS x W uint64 per width
 * given; each rank writes its contiguous block of rows (ranks in order, as Cajal does) in
 * one H5Dwrite per dataset. Timed like Cajal's time_s.checkpoint: from H5Fcreate to the
 * end of fsync of the file (rank 0), max over ranks.
 *
 *   mpirun -n P h5_write FILE collective|independent ROWS W1 [W2 ...]
 *
 * collective: H5FD_MPIO_COLLECTIVE transfers, collective metadata, ROMIO collective
 * buffering hints; independent: H5P_DEFAULT transfers and no hints (the old writer's way).
 * Prints "bytes seconds MB/s (fsync seconds)" on rank 0. Build: h5pcc -O2 -o h5_write h5_write.c */
#include <fcntl.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(x)                                               \
  do {                                                         \
    if ((x) < 0) {                                             \
      fprintf(stderr, "h5_write: %s failed\n", #x);            \
      MPI_Abort(MPI_COMM_WORLD, 1);                            \
    }                                                          \
  } while (0)

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int P, me;
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  if (argc < 5) {
    if (me == 0) fprintf(stderr, "usage: h5_write FILE collective|independent ROWS W1 [W2 ...]\n");
    MPI_Finalize();
    return 2;
  }
  const char* path = argv[1];
  const int coll = strcmp(argv[2], "collective") == 0;
  const uint64_t rows = strtoull(argv[3], NULL, 10);
  const uint64_t lo = rows * me / P, hi = rows * (me + 1) / P, mine = hi - lo;
  int wmax = 1;
  for (int k = 4; k < argc; ++k) wmax = atoi(argv[k]) > wmax ? atoi(argv[k]) : wmax;
  uint64_t* buf = malloc((mine ? mine : 1) * wmax * sizeof(uint64_t));
  for (uint64_t i = 0; i < mine * wmax; ++i) buf[i] = (lo * wmax + i) * 0x9E3779B97F4A7C15ull;

  MPI_Info info = MPI_INFO_NULL;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE), dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (coll) {
    MPI_Info_create(&info);
    MPI_Info_set(info, "romio_cb_write", "enable");
    MPI_Info_set(info, "romio_ds_write", "disable");
    MPI_Info_set(info, "cb_buffer_size", "16777216");
    CHECK(H5Pset_all_coll_metadata_ops(fapl, 1));
    CHECK(H5Pset_coll_metadata_write(fapl, 1));
    CHECK(H5Pset_alignment(fapl, 1 << 20, 1 << 20));
    CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  }
  CHECK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, info));
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
  CHECK(f);
  uint64_t bytes = 0;
  for (int k = 4; k < argc; ++k) {
    const int w = atoi(argv[k]);
    hsize_t dims[2] = {rows, (hsize_t)w}, start[2] = {lo, 0}, cnt[2] = {mine, (hsize_t)w};
    hid_t fs = H5Screate_simple(w == 1 ? 1 : 2, dims, NULL);
    char name[32];
    snprintf(name, sizeof name, "d%d", k - 4);
    hid_t d = H5Dcreate2(f, name, H5T_STD_U64LE, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(d);
    hsize_t one = mine ? mine * w : 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    if (mine) {
      CHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL));
    } else {
      H5Sselect_none(fs);
      H5Sselect_none(ms);
    }
    CHECK(H5Dwrite(d, H5T_NATIVE_UINT64, ms, fs, coll ? dxpl : H5P_DEFAULT, buf));
    bytes += rows * w * 8;
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
  }
  CHECK(H5Fclose(f));
  MPI_Barrier(MPI_COMM_WORLD);
  const double t1 = MPI_Wtime();
  if (me == 0) {
    const int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) fprintf(stderr, "h5_write: fsync failed\n");
    if (fd >= 0) close(fd);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double t = MPI_Wtime() - t0, tmax = 0;
  MPI_Reduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (me == 0)
    printf("%llu %.3f %.0f (fsync %.3f s)\n", (unsigned long long)bytes, tmax, bytes / tmax / 1e6, MPI_Wtime() - t1);
  H5Pclose(fapl);
  H5Pclose(fcpl);
  H5Pclose(dxpl);
  if (info != MPI_INFO_NULL) MPI_Info_free(&info);
  free(buf);
  MPI_Finalize();
  return 0;
}
