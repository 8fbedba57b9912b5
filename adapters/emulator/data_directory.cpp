#include "adapters/emulator/data_directory.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace offhub::emulator {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTemporaryPrefix = "offhub-emulator-";
constexpr const char* kLockFile = "offhub.lock";

// The lock's fd when taken, else -1 (held by a living process, or unopenable).
int TryLock(const fs::path& dir) {
  const int fd = ::open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
  ::close(fd);
  return -1;
}

std::string LockHolder(const fs::path& dir) {
  const int fd = ::open((dir / kLockFile).c_str(), O_RDONLY | O_CLOEXEC);
  char text[32] = {};
  const ssize_t n = fd < 0 ? -1 : ::read(fd, text, sizeof text - 1);
  if (fd >= 0) ::close(fd);
  return n > 0 ? std::string(text, static_cast<std::size_t>(n)) : std::string("unknown");
}

void WritePid(int fd) {
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
}

bool ProcessGone(std::string_view pid_text) {
  int pid = 0;
  const auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 0) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Temporary directories of emulators that died without cleaning up.
void RemoveStaleTemporaryDirectories(const fs::path& temp) {
  std::error_code ec;
  fs::directory_iterator it(temp, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kTemporaryPrefix) || !ProcessGone(std::string_view(name).substr(kTemporaryPrefix.size()))) {
      continue;
    }
    const int fd = TryLock(it->path());
    if (fd < 0 && fs::exists(it->path() / kLockFile)) continue;  // someone holds it after all
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
    if (fd >= 0) ::close(fd);
  }
}

// Owner-only: the directory holds every device's keys. One that exists
// already keeps its mode, unless `always`.
void MakePrivateDirectory(const fs::path& dir, bool always) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot create the data directory " + dir.string() + ": " + std::strerror(errno));
    }
    always = true;
  }
  if (always) fs::permissions(dir, fs::perms::owner_all, ec);
}

}  // namespace

std::unique_ptr<DataDirectory> DataDirectory::Open(const fs::path& requested) {
  const bool temporary = requested.empty();
  fs::path dir = requested;
  if (temporary) {
    RemoveStaleTemporaryDirectories(fs::temp_directory_path());
    dir = fs::temp_directory_path() / (std::string(kTemporaryPrefix) + std::to_string(::getpid()));
  }
  MakePrivateDirectory(dir, /*always=*/false);
  MakePrivateDirectory(dir / "broker", /*always=*/true);
  if (::access(dir.c_str(), W_OK) != 0) throw std::runtime_error("the data directory " + dir.string() + " is not writable");
  // A process just killed holds the lock until it has finished dying (tens of
  // ms): a restart at once waits that long, not a living emulator's lifetime.
  int fd = TryLock(dir);
  for (int i = 0; fd < 0 && i < 40; ++i) {
    ::usleep(50'000);
    fd = TryLock(dir);
  }
  if (fd < 0) {
    throw std::runtime_error("the data directory " + dir.string() + " is in use by another offhub-emulator (pid " +
                             LockHolder(dir) + ")");
  }
  WritePid(fd);
  return std::unique_ptr<DataDirectory>(new DataDirectory(std::move(dir), temporary, fd));
}

DataDirectory::~DataDirectory() {
  if (temporary_) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ::close(lock_fd_);
}

}  // namespace offhub::emulator
