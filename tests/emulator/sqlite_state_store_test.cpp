// The SQLite state store: every record round-trips through a real file, a
// hub rebuilt on the same file carries on (a scheduled job still runs), and
// a file that is not a state file is refused clearly.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/emulator/stores/sqlite_state_store.hpp"
#include "domain/json_text.hpp"
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
using nlohmann::json;

namespace {
struct TempFile {
  TempFile() : path(std::filesystem::temp_directory_path() / ("offhub-state-" + std::to_string(::getpid()) + ".db")) {
    Remove();
  }
  ~TempFile() { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
  std::filesystem::path path;
};

// The fixture's hub on a new SQLite store object on `file`: nothing in memory carries over.
void UseSqlite(testing::HubFixture& f, const TempFile& file) {
  f.hub.reset();
  auto sqlite = emulator::MakeSqliteStateStore(file.path);
  REQUIRE(sqlite.ok());
  f.store = std::move(*sqlite);
  f.Rebuild();
}
}  // namespace

TEST_CASE("devices, twins, jobs and records survive a hub restart on the same file") {
  TempFile file;
  testing::HubFixture f;
  UseSqlite(f, file);
  auto& device = f.AddOnlineDevice("d1");
  REQUIRE(f.hub->PatchTwin(offhub::ports::Identity::Device("d1"), {{"tags", {{"site", "a"}}}, {"properties", {{"desired", {{"floor", 3}}}}}}, "*").ok());
  REQUIRE(f.hub->OnReportedPatch("d1", {{"lock", "ok"}}).ok());
  REQUIRE(f.CreateJob("now", testing::MethodJob("*")).ok());
  REQUIRE(f.CreateJob("later", testing::TwinJob("*", {{"startTime", domain::FormatUtc(testing::kT0.PlusSeconds(600))}})).ok());
  f.clock.AdvanceSeconds(1);
  const json device_before = *f.hub->GetIdentity(offhub::ports::Identity::Device("d1"));
  const json twin_before = *f.hub->GetTwin(offhub::ports::Identity::Device("d1"));
  const json job_before = f.Job("now");
  const json records_before = f.DeviceJobs("now");
  CHECK(job_before["status"] == "completed");

  // A new store object on the same file: nothing in memory carries over.
  UseSqlite(f, file);
  json device_after = *f.hub->GetIdentity(offhub::ports::Identity::Device("d1"));
  CHECK(device_after["connectionState"] == "Disconnected");  // nobody is connected to a hub that just started
  device_after["connectionState"] = device_before["connectionState"];
  CHECK(device_after == device_before);
  json twin_after = *f.hub->GetTwin(offhub::ports::Identity::Device("d1"));
  twin_after["connectionState"] = twin_before["connectionState"];
  CHECK(twin_after == twin_before);
  CHECK(f.Job("now") == job_before);
  CHECK(f.DeviceJobs("now") == records_before);
  CHECK(f.Job("later")["status"] == "scheduled");

  device.desired_updates.clear();
  f.devices.Connect("d1");
  f.clock.AdvanceSeconds(700);
  CHECK(f.Job("later")["status"] == "completed");
  CHECK((*f.hub->GetTwin(offhub::ports::Identity::Device("d1")))["properties"]["desired"]["building"] == "43");
  CHECK(device.desired_updates.size() == 1);
}

TEST_CASE("deleting a device removes it from the file") {
  TempFile file;
  {
    auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
    domain::Device d;
    d.device_id = "gone";
    REQUIRE(store->SaveDevice({d, domain::Twin::Create("gone", testing::kT0)}).ok());
    REQUIRE(store->DeleteDevice("gone").ok());
  }
  auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
  CHECK(store->Load()->devices.empty());
}

TEST_CASE("modules survive a restart; deleting their device deletes them from the file") {
  TempFile file;
  {
    auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
    for (const auto& [device, module] : {std::pair{"gw", ""}, {"gw", "cam"}, {"gw", "mic"}, {"gw2", ""}, {"gw2", "cam"}}) {
      domain::Device d;
      d.device_id = device;
      d.module_id = module;
      auto twin = domain::Twin::Create(device, testing::kT0);
      twin.module_id = module;
      REQUIRE(store->SaveDevice({d, twin}).ok());
    }
    REQUIRE(store->DeleteDevice("gw2/cam").ok());
  }
  {
    auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
    const auto loaded = store->Load();
    REQUIRE(loaded.ok());
    std::vector<std::string> keys;
    for (const auto& d : loaded->devices) keys.push_back(d.identity.key() + "|" + d.twin.key());
    CHECK(keys == std::vector<std::string>{"gw|gw", "gw/cam|gw/cam", "gw/mic|gw/mic", "gw2|gw2"});
    REQUIRE(store->DeleteDevice("gw").ok());
  }
  auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
  const auto loaded = store->Load();
  REQUIRE(loaded->devices.size() == 1);
  CHECK(loaded->devices[0].identity.key() == "gw2");
}

TEST_CASE("a file that is not a state file, or cannot be made, is refused with a clear error") {
  TempFile file;
  {
    std::ofstream out(file.path);
    out << "this is not a SQLite database, just some text long enough to have a header ................";
  }
  const auto garbage = emulator::MakeSqliteStateStore(file.path);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message().find(file.path.string()) != std::string::npos);
  const auto nowhere = emulator::MakeSqliteStateStore("/proc/offhub/none/state.db");
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.error().http_status() == 500);
}

TEST_CASE("rows that do not hold IoT Hub documents fail the load, not the process") {
  TempFile file;
  {
    auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
    domain::Device d;
    d.device_id = "x";
    REQUIRE(store->SaveDevice({d, domain::Twin::Create("x", testing::kT0)}).ok());
  }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE devices SET twin = '{\"deviceId\":\"x\",\"etag\":5}'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = std::move(*emulator::MakeSqliteStateStore(file.path));
  const auto loaded = store->Load();
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().message().find("twin") != std::string::npos);
}

TEST_CASE("a method answer that was not JSON is stored and read back as the device's text") {
  TempFile file;
  testing::HubFixture f;
  UseSqlite(f, file);
  f.AddOnlineDevice("raw", {200, domain::RawJson("{'file': 'logs.zip'}")});
  f.AddOnlineDevice("text", {200, "{'file': 'logs.zip'}"});  // a JSON string: stays one
  REQUIRE(f.CreateJob("answers", testing::MethodJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  const std::string before = domain::DumpJson(f.DeviceJobs("answers"));
  CHECK(before.find(R"("payload":{'file': 'logs.zip'})") != std::string::npos);
  CHECK(before.find(R"("payload":"{'file': 'logs.zip'}")") != std::string::npos);

  UseSqlite(f, file);
  CHECK(domain::DumpJson(f.DeviceJobs("answers")) == before);
}
