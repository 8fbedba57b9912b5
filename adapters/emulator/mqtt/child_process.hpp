#pragma once
// Child processes that cannot outlive their parent, and what /proc says of
// them. Linux only (prctl, /proc).

#include <sys/types.h>

#include <string>
#include <vector>

namespace offhub::emulator {

// fork + exec of argv[0] (a path) with `argv`, the environment inherited.
// The child gets PR_SET_PDEATHSIG SIGKILL (it dies when the calling *thread*
// ends, which for a process's main thread is when the process ends, however
// it ends), its own process group, an empty signal mask and default
// dispositions for the signals a parent commonly ignores (SIGPIPE, SIGINT,
// SIGQUIT, SIGHUP, SIGTERM). Returns the pid; throws std::runtime_error if
// fork fails. An exec failure shows as the child exiting with status 127.
pid_t SpawnOrphanProof(const std::vector<std::string>& argv);

// True when process `pid` itself holds a socket listening on TCP
// 127.0.0.1:<port> (or 0.0.0.0:<port>): /proc/net/tcp's LISTEN entries for
// the port, matched by inode against /proc/<pid>/fd. Another process's
// listener on the port never counts.
bool ProcessListensOn(pid_t pid, int port);

// "exited with status 1", "killed by signal 9 (Killed)": a waitpid status.
std::string DescribeWaitStatus(int status);

}  // namespace offhub::emulator
