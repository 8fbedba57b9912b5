#include "adapters/emulator/tls_material.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace offhub::emulator {
namespace {

namespace fs = std::filesystem;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(FILE* p) const { std::fclose(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error("TLS material: " + what); }

Key NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) Fail("cannot generate an EC key");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) Fail(std::string("cannot add extension ") + value);
}

Cert NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                    const std::string& alt_names) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("offhub"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    AddExtension(cert.get(), signer, NID_subject_alt_name, alt_names.c_str());
    AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) Fail("cannot sign " + common_name);
  return cert;
}

std::unique_ptr<FILE, Free> Open(const fs::path& path, const char* mode) {
  std::unique_ptr<FILE, Free> file(std::fopen(path.c_str(), mode));
  if (!file) Fail("cannot open " + path.string());
  return file;
}

// Written aside, then renamed: a reader (another emulator, a client reading
// ca.pem) sees the old file or the new one, never half of one.
template <typename Write>
void WriteFile(const fs::path& path, mode_t mode, Write&& write) {
  const fs::path aside = path.string() + ".new";
  const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) Fail("cannot open " + aside.string());
  std::unique_ptr<FILE, Free> file(::fdopen(fd, "w"));
  if (!file) {
    ::close(fd);
    Fail("cannot open " + aside.string());
  }
  if (!write(file.get()) || std::fflush(file.get()) != 0) Fail("cannot write " + aside.string());
  file.reset();
  std::error_code ec;
  fs::rename(aside, path, ec);
  if (ec) Fail("cannot write " + path.string() + ": " + ec.message());
}

void WriteCert(const fs::path& path, std::initializer_list<X509*> chain) {
  WriteFile(path, 0644, [&](FILE* file) {
    for (X509* cert : chain) {
      if (PEM_write_X509(file, cert) != 1) return false;
    }
    return true;
  });
}

void WriteKey(const fs::path& path, EVP_PKEY* key) {
  WriteFile(path, 0600, [&](FILE* file) {
    return PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

// Emulators starting at once on one directory take turns.
class DirectoryLock {
 public:
  explicit DirectoryLock(const fs::path& dir) : fd_(::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      if (fd_ >= 0) ::close(fd_);
      Fail("cannot lock " + (dir / ".lock").string());
    }
  }
  ~DirectoryLock() { ::close(fd_); }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_;
};

Cert ReadCert(const fs::path& path) {
  auto file = Open(path, "r");
  Cert cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  if (!cert) Fail("cannot read " + path.string());
  return cert;
}

bool IsIpAddress(const std::string& text) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(text.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}

bool Names(const Cert& cert, const std::string& host_name) {
  if (IsIpAddress(host_name)) return X509_check_ip_asc(cert.get(), host_name.c_str(), 0) == 1;
  return X509_check_host(cert.get(), host_name.data(), host_name.size(), 0, nullptr) == 1;
}

Key ReadKey(const fs::path& path) {
  auto file = Open(path, "r");
  Key key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (!key) Fail("cannot read " + path.string());
  return key;
}

}  // namespace

fs::path DefaultTlsDir() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') return fs::path(state) / "offhub" / "tls";
  if (const char* home = std::getenv("HOME"); home && *home == '/') return fs::path(home) / ".local/state/offhub/tls";
  return fs::temp_directory_path() / ("offhub-" + std::to_string(::getuid())) / "tls";
}

TlsMaterial EnsureTlsMaterial(const fs::path& dir, const std::string& host_name) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) Fail("cannot create " + dir.string() + ": " + ec.message());
  // Keys live here: a folder another user owns or may write (a planted
  // /tmp/offhub-<uid>) would hand them our CA.
  struct stat info{};
  if (::stat(dir.c_str(), &info) != 0 || info.st_uid != ::geteuid() || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    Fail(dir.string() + " must be owned by this user and writable by no one else (or choose another --tls-dir)");
  }
  const DirectoryLock lock(dir);
  // One server certificate per host name, so emulators with different
  // --hostname on one folder (the per-user default) never swap certificates.
  std::string file = "server";
  if (host_name != "localhost") {
    file += '-';
    for (const char c : host_name) file += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  }
  const TlsMaterial m{dir / "ca.pem", dir / (file + ".pem"), dir / (file + ".key")};
  const fs::path ca_key_path = dir / "ca.key";
  if (!fs::exists(m.ca_certificate) || !fs::exists(ca_key_path)) {
    Key ca_key = NewKey();
    Cert ca = NewCertificate(ca_key.get(), "offhub local CA", nullptr, nullptr, true, "");
    WriteKey(ca_key_path, ca_key.get());
    WriteCert(m.ca_certificate, {ca.get()});
  }
  const Cert ca = ReadCert(m.ca_certificate);
  // Kept while it names the host and the CA signed it (a new CA makes every server certificate stale).
  const auto current = [&] {
    if (!fs::exists(m.server_certificate) || !fs::exists(m.server_key)) return false;
    const Cert cert = ReadCert(m.server_certificate);
    EVP_PKEY* ca_public = X509_get0_pubkey(ca.get());
    return Names(cert, host_name) && ca_public && X509_verify(cert.get(), ca_public) == 1;
  };
  if (!current()) {
    Key ca_key = ReadKey(ca_key_path);
    Key key = NewKey();
    const bool ip = IsIpAddress(host_name);
    std::string alt = (ip ? "IP:" : "DNS:") + host_name;
    if (host_name != "localhost") alt += ",DNS:localhost";
    if (host_name != "127.0.0.1") alt += ",IP:127.0.0.1";
    Cert cert = NewCertificate(key.get(), host_name, ca.get(), ca_key.get(), false, alt);
    WriteKey(m.server_key, key.get());
    WriteCert(m.server_certificate, {cert.get(), ca.get()});
  }
  return m;
}

}  // namespace offhub::emulator
