#pragma once
// The emulator's TLS material in a directory: ca.pem (a local CA clients are
// told to trust), server.pem and server.key (a certificate for `localhost` and
// 127.0.0.1, signed by that CA; for another --hostname H, server-H.pem and
// server-H.key, naming H too: a DNS name, or an IP address as such). Missing files are
// generated with OpenSSL on first start (EC P-256, valid ten years); existing
// ones are kept, so clients keep trusting the same CA across restarts (a
// server certificate that does not name the host or that another CA signed is
// replaced). The directory must belong to this user and be writable by no one
// else (it holds the keys). Emulators starting at once on one directory take turns (a
// lock file), and files appear whole (written aside, then renamed).

#include <filesystem>
#include <string>

namespace offhub::emulator {

struct TlsMaterial {
  std::filesystem::path ca_certificate;      // ca.pem
  std::filesystem::path server_certificate;  // server.pem (server cert, then the CA)
  std::filesystem::path server_key;          // server.key
};

// Where the emulator keeps its TLS material when not told (--tls-dir), and
// where clients look for its CA: one folder per user, the same on every run:
// $XDG_STATE_HOME/offhub/tls, else $HOME/.local/state/offhub/tls, else
// <temp>/offhub-<uid>/tls.
std::filesystem::path DefaultTlsDir();

// Throws std::runtime_error with the reason when the directory cannot be
// created or written, or OpenSSL fails: a start-up failure.
TlsMaterial EnsureTlsMaterial(const std::filesystem::path& dir, const std::string& host_name);

}  // namespace offhub::emulator
