#include "adapters/emulator/mqtt/child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace offhub::emulator {
namespace {

constexpr const char* kListenState = "0A";  // TCP_LISTEN in /proc/net/tcp
constexpr int kResetSignals[] = {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM};

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void ExecChild(pid_t parent, char* const* argv) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl: then nobody would kill us.
  if (::getppid() != parent) ::_exit(127);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (const int signal : kResetSignals) ::signal(signal, SIG_DFL);
  ::execve(argv[0], argv, environ);
  ::_exit(127);
}

// Inodes of the sockets in LISTEN on <any or loopback IPv4>:port.
std::set<unsigned long> ListeningInodes(int port) {
  std::set<unsigned long> inodes;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    const auto colon = local.find(':');
    if (state != kListenState || colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.insert(inode);
  }
  return inodes;
}

}  // namespace

pid_t SpawnOrphanProof(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) ExecChild(parent, args.data());
  ::setpgid(pid, pid);  // also here, so the group exists whichever side runs first
  return pid;
}

bool ProcessListensOn(pid_t pid, int port) {
  const auto inodes = ListeningInodes(port);
  if (inodes.empty()) return false;
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code link_error;
    const std::string target = std::filesystem::read_symlink(it->path(), link_error).string();
    if (link_error || !target.starts_with("socket:[")) continue;
    if (inodes.contains(std::stoul(target.substr(8)))) return true;
  }
  return false;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

}  // namespace offhub::emulator
