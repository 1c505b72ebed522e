#pragma once
/// Typed errors at the module edges.
///
/// Every failure that reaches the driver is one of these. The driver prints the message
/// once, from rank 0, and every rank exits with `exit_code()`: 2 for anything the user
/// can fix (deck, command line, files), 1 for internal failures (a bug or a broken
/// library). The library never ends the process itself.
#include <stdexcept>
#include <string>

namespace cajal {

/// Exit statuses of the `cajal` program, documented in README.md.
/// exit_stopped: the run was asked to stop (SIGTERM, SIGUSR1), wrote a checkpoint and
/// can be resumed with `cajal restart`. exit_stopped_building: the signal came while the
/// network was being built: the run ended before its first interval, wrote nothing (no
/// checkpoint, no output; an output folder it created is removed) and must be run again.
enum exit_status : int { exit_ok = 0, exit_internal = 1, exit_user = 2, exit_stopped = 3, exit_stopped_building = 4 };

/// Base of Cajal's errors: a message and the exit status it maps to.
class error : public std::runtime_error {
public:
  error(const std::string& what, int status) : std::runtime_error(what), status_(status) {}
  int exit_code() const { return status_; }

private:
  int status_;
};

/// A mistake in the input deck or in a `--set` override:
/// formatted as `FILE:LINE: key: what is wrong; what is allowed`.
class input_error : public error {
public:
  input_error(std::string file, int line, std::string key, std::string why)
      : error(format(file, line, key, why), exit_user), file_(std::move(file)), line_(line),
        key_(std::move(key)), why_(std::move(why)) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }
  const std::string& why() const { return why_; }

private:
  static std::string format(const std::string& file, int line, const std::string& key,
                            const std::string& why) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!key.empty()) s += key + ": ";
    return s + why;
  }
  std::string file_;
  int line_;
  std::string key_;
  std::string why_;
};

/// A problem with the user's environment (command line, an unwritable folder, a file
/// that cannot be read): exit status 2.
class usage_error : public error {
public:
  explicit usage_error(const std::string& what) : error(what, exit_user) {}
};

/// The network cannot be built as the deck asks on this many ranks (a projection with
/// more synapses on one rank than its 32-bit offsets hold), found during the build and
/// agreed by every rank: exit status 2.
class build_refused : public usage_error {
public:
  explicit build_refused(const std::string& what) : usage_error(what) {}
};

/// A stop signal (SIGTERM, SIGUSR1) ended the network build, on every rank at the same
/// point: exit status 4.
class build_stopped : public error {
public:
  explicit build_stopped(const std::string& what) : error(what, exit_stopped_building) {}
};

/// An MPI call failed.
class mpi_error : public error {
public:
  explicit mpi_error(const std::string& what) : error("MPI: " + what, exit_internal) {}
};

/// An HDF5 call failed; `path` names the file or object.
class h5_error : public error {
public:
  h5_error(const std::string& path, const std::string& what, int status = exit_user)
      : error(path + ": HDF5: " + what, status) {}
};

/// A PETSc call failed.
class petsc_error : public error {
public:
  explicit petsc_error(const std::string& what) : error("PETSc: " + what, exit_internal) {}
};

}  // namespace cajal
