// continuation_source (io/sample_file.hpp): which earlier file a restart continues, and the
// rename of the new folder's own unfinished file. Run by ctest on 1 and 3 ranks: every rank
// must get the same answer (when each rank decided for itself, a rank that looked while rank
// 0 renamed the file answered differently and the ranks hung in different collectives).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "cajal/parallel/mpi_communicator.hpp"
#include "io/sample_file.hpp"

namespace {

namespace fs = std::filesystem;

/// A fresh folder made by rank 0, its path on every rank.
std::string shared_temp_dir(const cajal::Communicator& comm) {
  std::string dir;
  if (comm.is_root()) {
    char tmpl[] = "/tmp/cajal_continuation_XXXXXX";
    dir = mkdtemp(tmpl) ? tmpl : "";
  }
  return comm.broadcast(dir);
}

void make_h5(const std::string& path) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0) << path;
  H5Fclose(f);
}

}  // namespace

TEST(ContinuationSource, RenamesTheNewFoldersOwnUnfinishedFileUnderAnySpelling) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const std::string tmp = shared_temp_dir(comm);
  ASSERT_FALSE(tmp.empty());
  const auto yes = [](hid_t) { return true; };
  // Repeated: the old race needed a rank to look at the file during rank 0's rename.
  for (int round = 0; round < 100; ++round) {
    const std::string run = tmp + "/run" + std::to_string(round), link = tmp + "/link" + std::to_string(round);
    if (comm.is_root()) {
      fs::create_directory(run);
      fs::create_directory_symlink(run, link);
      make_h5(run + "/x.h5.incomplete");
    }
    comm.barrier();
    // The restart writes into the same folder, named through a link with a trailing slash:
    // the unfinished file is its own, so it is renamed before being read.
    const std::string got = cajal::continuation_source(comm, run, link + "/", "x.h5", yes);
    EXPECT_EQ(got, link + "//x.h5.interrupted");
    comm.barrier();
    EXPECT_TRUE(fs::exists(run + "/x.h5.interrupted"));
    EXPECT_FALSE(fs::exists(run + "/x.h5.incomplete"));
    // Into another folder: the earlier folder's file is read where it is, never renamed.
    const std::string elsewhere = cajal::continuation_source(comm, run, tmp + "/other", "x.h5", yes);
    EXPECT_EQ(elsewhere, run + "/x.h5.interrupted");
    comm.barrier();
    EXPECT_TRUE(fs::exists(run + "/x.h5.interrupted"));
  }
  comm.barrier();
  if (comm.is_root()) fs::remove_all(tmp);
}

TEST(ContinuationSource, TakesTheFirstFileThatHoldsTheSamples) {
  cajal::MpiCommunicator comm(MPI_COMM_WORLD);
  const std::string tmp = shared_temp_dir(comm);
  ASSERT_FALSE(tmp.empty());
  if (comm.is_root()) {
    make_h5(tmp + "/x.h5.incomplete");
    make_h5(tmp + "/x.h5");
  }
  comm.barrier();
  const std::string out = tmp + "/new";
  // Both exist and qualify: the unfinished one comes first.
  EXPECT_EQ(cajal::continuation_source(comm, tmp, out, "x.h5", [](hid_t) { return true; }), tmp + "/x.h5.incomplete");
  // The unfinished one lacks the samples (holds is asked of each file, on rank 0 only).
  int asked = 0;
  const std::string got = cajal::continuation_source(comm, tmp, out, "x.h5", [&](hid_t f) {
    ++asked;
    char name[4096];
    H5Fget_name(f, name, sizeof name);
    return std::string(name) == tmp + "/x.h5";
  });
  EXPECT_EQ(got, tmp + "/x.h5");
  EXPECT_EQ(asked, comm.is_root() ? 2 : 0);
  // None qualifies: "" on every rank.
  EXPECT_EQ(cajal::continuation_source(comm, tmp, out, "x.h5", [](hid_t) { return false; }), "");
  EXPECT_EQ(cajal::continuation_source(comm, tmp, out, "absent.h5", [](hid_t) { return true; }), "");
  comm.barrier();
  if (comm.is_root()) fs::remove_all(tmp);
}
