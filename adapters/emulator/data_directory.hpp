#pragma once
// The emulator's data directory, held for the process's life.
//
// - Open(requested) creates the directory (and broker/ in it) owner-only
//   (0700: it holds every device's keys; a directory that exists already
//   keeps its mode, broker/ is made 0700 always) and takes an
//   exclusive flock on <dir>/offhub.lock (close-on-exec, so the broker never
//   inherits it): a second emulator on the same directory is refused with
//   std::runtime_error "the data directory <dir> is in use by another
//   offhub-emulator (pid N)". Other start-up failures (cannot create, not
//   writable) throw std::runtime_error too.
// - An empty `requested` makes a temporary directory
//   <temp>/offhub-emulator-<pid>, removed by the destructor. Before making it,
//   Open removes the temporary directories earlier runs left behind (a crash
//   skips the destructor): those whose lock nobody holds and whose pid is gone.
// - The lock file stays in a kept directory (removing it would race with the
//   next emulator taking it); the kernel drops the lock when the process ends.

#include <filesystem>
#include <memory>

namespace offhub::emulator {

class DataDirectory {
 public:
  static std::unique_ptr<DataDirectory> Open(const std::filesystem::path& requested);
  ~DataDirectory();
  DataDirectory(const DataDirectory&) = delete;
  DataDirectory& operator=(const DataDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool temporary() const { return temporary_; }

 private:
  DataDirectory(std::filesystem::path path, bool temporary, int lock_fd)
      : path_(std::move(path)), temporary_(temporary), lock_fd_(lock_fd) {}

  std::filesystem::path path_;
  bool temporary_ = false;
  int lock_fd_ = -1;
};

}  // namespace offhub::emulator
