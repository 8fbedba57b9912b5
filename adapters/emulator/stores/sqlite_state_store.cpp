#include "adapters/emulator/stores/sqlite_state_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "domain/job_json.hpp"
#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, identity TEXT NOT NULL, twin TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, job TEXT NOT NULL);
  -- device_jobs.device_id holds the target's identity key: "{deviceId}" or "{deviceId}/{moduleId}".
  CREATE TABLE IF NOT EXISTS device_jobs (job_id TEXT NOT NULL, device_id TEXT NOT NULL, record TEXT NOT NULL,
                                          PRIMARY KEY (job_id, device_id));
)sql";

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, const std::string& text) {
    if (ok_) ok_ = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) == SQLITE_OK;
    return *this;
  }
  // One step of a write; the statement is reset for reuse.
  domain::Status Run() {
    const int rc = ok_ ? sqlite3_step(stmt_) : SQLITE_ERROR;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc == SQLITE_DONE) return domain::Success();
    return domain::Error(domain::ErrorCode::ServerError, std::string("state store: ") + sqlite3_errmsg(db_));
  }
  bool Next() { return ok_ && sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }
  bool ok() const { return ok_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

// Strict: a value that cannot be written as UTF-8 JSON is refused, not altered.
domain::Result<std::string> JsonText(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception& e) {
    return domain::Error(domain::ErrorCode::ServerError, std::string("state store: cannot store the value: ") + e.what());
  }
}

domain::Error Corrupt(const std::string& what, const domain::Error& why) {
  return domain::Error(domain::ErrorCode::ServerError, "state store: " + what + ": " + why.message());
}

class SqliteStateStore final : public ports::StateStore {
 public:
  explicit SqliteStateStore(sqlite3* db)
      : db_(db),
        save_device_(db, "INSERT OR REPLACE INTO devices (id, identity, twin) VALUES (?1, ?2, ?3)"),
        delete_device_(db, "DELETE FROM devices WHERE id = ?1 OR substr(id, 1, length(?1) + 1) = ?1 || '/'"),
        save_job_(db, "INSERT OR REPLACE INTO jobs (id, job) VALUES (?1, ?2)"),
        save_record_(db, "INSERT OR REPLACE INTO device_jobs (job_id, device_id, record) VALUES (?1, ?2, ?3)"),
        delete_records_(db, "DELETE FROM device_jobs WHERE job_id = ?1") {}
  ~SqliteStateStore() override = default;

  domain::Result<ports::StoredState> Load() override {
    ports::StoredState state;
    Statement devices(db_, "SELECT identity, twin FROM devices ORDER BY id");
    while (devices.Next()) {
      auto identity = domain::DeviceFromJson(Read(devices.Text(0)));
      if (!identity) return Corrupt("a device", identity.error());
      auto twin = domain::TwinFromJson(Read(devices.Text(1)));
      if (!twin) return Corrupt("a twin", twin.error());
      state.devices.push_back({std::move(*identity), std::move(*twin)});
    }
    Statement jobs(db_, "SELECT job FROM jobs ORDER BY id");
    while (jobs.Next()) {
      auto job = domain::ParseJobResponse(Read(jobs.Text(0)));
      if (!job) return Corrupt("a job", job.error());
      state.jobs.push_back(std::move(job->job));
    }
    Statement records(db_, "SELECT record FROM device_jobs ORDER BY job_id, device_id");
    while (records.Next()) {
      auto record = domain::DeviceJobFromDocument(Read(records.Text(0)));
      if (!record) return Corrupt("a device-job record", record.error());
      state.device_jobs.push_back(std::move(*record));
    }
    return state;
  }

  domain::Status SaveDevice(const ports::StoredDevice& device) override {
    const auto identity = JsonText(domain::ToJson(device.identity));
    if (!identity) return identity.error();
    const auto twin = JsonText(domain::ToJson(device.twin));
    if (!twin) return twin.error();
    return save_device_.Bind(1, device.identity.key()).Bind(2, *identity).Bind(3, *twin).Run();
  }
  domain::Status DeleteDevice(std::string_view device_id) override {
    return delete_device_.Bind(1, std::string(device_id)).Run();
  }
  domain::Status SaveJob(const domain::Job& job) override {
    const auto text = JsonText(domain::ToJson(job, domain::DeviceJobStatistics{}));
    if (!text) return text.error();
    return save_job_.Bind(1, job.id()).Bind(2, *text).Run();
  }
  domain::Status SaveDeviceJob(const domain::DeviceJob& record) override {
    const auto text = JsonText(domain::DeviceJobDocument(record));
    if (!text) return text.error();
    return save_record_.Bind(1, record.job_id).Bind(2, record.key()).Bind(3, *text).Run();
  }
  domain::Status DeleteDeviceJobs(std::string_view job_id) override {
    return delete_records_.Bind(1, std::string(job_id)).Run();
  }
  domain::Status SaveDeviceJobs(const std::vector<domain::DeviceJob>& records) override {
    return InTransaction([&] {
      domain::Status saved = domain::Success();
      for (std::size_t i = 0; saved && i < records.size(); ++i) saved = SaveDeviceJob(records[i]);
      return saved;
    });
  }
  domain::Status ReplaceAll(const ports::StoredState& state) override {
    return InTransaction([&] {
      domain::Status saved = Exec("DELETE FROM devices; DELETE FROM jobs; DELETE FROM device_jobs;");
      for (std::size_t i = 0; saved && i < state.devices.size(); ++i) saved = SaveDevice(state.devices[i]);
      for (std::size_t i = 0; saved && i < state.jobs.size(); ++i) saved = SaveJob(state.jobs[i]);
      for (std::size_t i = 0; saved && i < state.device_jobs.size(); ++i) saved = SaveDeviceJob(state.device_jobs[i]);
      return saved;
    });
  }

 private:
  // A document read back from the file: as untrusted as any other bytes (null when unreadable).
  static json Read(const std::string& text) {
    auto value = domain::ParseJsonText(text, "a stored document");
    return value ? std::move(*value) : json();
  }
  template <class Writes>
  domain::Status InTransaction(Writes writes) {
    if (auto s = Exec("BEGIN IMMEDIATE"); !s) return s;
    domain::Status saved = writes();
    if (saved) saved = Exec("COMMIT");
    if (!saved) (void)Exec("ROLLBACK");
    return saved;
  }
  domain::Status Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return domain::Success();
    return domain::Error(domain::ErrorCode::ServerError, std::string("state store: ") + sqlite3_errmsg(db_));
  }

  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_owner_{nullptr};
  sqlite3* db_;
  Statement save_device_, delete_device_, save_job_, save_record_, delete_records_;

 public:
  void Own(sqlite3* db) { db_owner_.reset(db); }
  bool ready() const { return save_device_.ok() && delete_device_.ok() && save_job_.ok() && save_record_.ok() &&
                       delete_records_.ok(); }
};

// The file holds every device's keys: owner-only. SQLite gives the -wal and
// -shm files it creates the database file's mode, so making the file first
// (an empty file is an empty database) covers all three; files an older run
// left wider are narrowed.
void MakePrivate(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;  // sqlite3_open_v2 reports why
  ::fchmod(fd, 0600);
  ::close(fd);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) ::chmod((file.string() + suffix).c_str(), 0600);
}

}  // namespace

domain::Result<std::unique_ptr<ports::StateStore>> MakeSqliteStateStore(const std::filesystem::path& file) {
  MakePrivate(file);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  const auto fail = [&](const std::string& why) {
    std::string message = "cannot open the state file " + file.string() + ": " + why;
    sqlite3_close(db);
    return domain::Error(domain::ErrorCode::ServerError, message);
  };
  if (rc != SQLITE_OK) return fail(db ? sqlite3_errmsg(db) : "out of memory");
  char* error = nullptr;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    return fail(why);
  }
  auto store = std::make_unique<SqliteStateStore>(db);
  store->Own(db);
  if (!store->ready()) return domain::Error(domain::ErrorCode::ServerError, "state store: cannot prepare statements");
  return std::unique_ptr<ports::StateStore>(std::move(store));
}

}  // namespace offhub::emulator
