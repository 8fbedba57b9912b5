#pragma once
// The job port (ports/job_service.hpp):
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

TEST_CASE_TEMPLATE_DEFINE("jobs: queued, then completed; device-job records", H, hub_contract_jobs) {
  using namespace offhub::contract;
  using offhub::testing::MethodJob;
  using offhub::testing::TwinJob;
  H harness;
  Harness& h = harness;
  AddDevice(h, "myDeviceId");
  h.ConnectFakeDevice("myDeviceId");
  const std::string condition = "deviceId IN ['myDeviceId']";
  const auto created = CreateJob(h, "lockDoorJob", MethodJob(condition));
  REQUIRE(created.ok());
  CHECK(*created == json{{"jobId", "lockDoorJob"}, {"type", "scheduleDeviceMethod"}, {"status", "queued"}});
  REQUIRE(CreateJob(h, "updateTwinJob", TwinJob(condition)).ok());
  CHECK(CodeOf(CreateJob(h, "lockDoorJob", TwinJob(condition))) == ErrorCode::JobAlreadyExists);

  h.Advance(2);
  for (const char* id : {"lockDoorJob", "updateTwinJob"}) {
    const auto job = h.services().jobs.GetJob(id);
    REQUIRE(job.ok());
    CHECK((*job)["status"] == "completed");
    CHECK((*job)["deviceJobStatistics"]["succeededCount"] == 1);
  }
  CHECK(h.CallsReceived("myDeviceId") == 1);
  CHECK(h.services().twins.GetTwin(offhub::ports::Identity::Device("myDeviceId"))->at("properties")["desired"]["building"] == "43");

  const auto records = h.services().queries.Query("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'lockDoorJob'", {});
  REQUIRE(records.ok());
  CHECK(records->item_type == "deviceJob");
  REQUIRE(records->items.size() == 1);
  CHECK(records->items[0]["status"] == "completed");
  CHECK(records->items[0]["outcome"]["deviceMethodResponse"]["status"] == 200);
  CHECK(CodeOf(h.services().jobs.GetJob("nope")) == ErrorCode::JobNotFound);
}

TEST_CASE_TEMPLATE_DEFINE("jobs: cancel a future job; list by type and status", H, hub_contract_job_list) {
  using namespace offhub::contract;
  using offhub::testing::MethodJob;
  using offhub::testing::TwinJob;
  H harness;
  Harness& h = harness;
  AddDevice(h, "d");
  h.ConnectFakeDevice("d");
  const auto later = offhub::domain::FormatUtc(h.Now().PlusSeconds(3600));
  REQUIRE(CreateJob(h, "future", MethodJob("*", {{"startTime", later}})).ok());
  REQUIRE(CreateJob(h, "twinNow", TwinJob("*")).ok());
  h.Advance(5);
  CHECK(h.services().jobs.GetJob("future")->at("status") == "scheduled");
  const auto cancelled = h.services().jobs.CancelJob("future");
  REQUIRE(cancelled.ok());
  CHECK((*cancelled)["status"] == "cancelled");
  CHECK(CodeOf(h.services().jobs.CancelJob("nope")) == ErrorCode::JobNotFound);
  h.Advance(3600);
  CHECK(h.CallsReceived("d") == 0);

  const auto methods = h.services().jobs.ListJobs({"scheduleDeviceMethod", "cancelled"}, {});
  REQUIRE(methods.ok());
  REQUIRE(methods->items.size() == 1);
  CHECK(methods->items[0]["jobId"] == "future");
  const auto twins = h.services().jobs.ListJobs({"ScheduleUpdateTwin", std::nullopt}, {});
  REQUIRE(twins.ok());
  REQUIRE(twins->items.size() == 1);
  CHECK(twins->items[0]["jobId"] == "twinNow");
  CHECK(h.services().jobs.ListJobs({std::nullopt, "finished"}, {})->items.empty());
  const auto first = h.services().jobs.ListJobs({}, {1, std::nullopt});
  REQUIRE(first.ok());
  CHECK(first->items.size() == 1);
  REQUIRE(first->continuation);
  const auto second = h.services().jobs.ListJobs({}, {1, first->continuation});
  REQUIRE(second.ok());
  CHECK(second->items.size() == 1);
  CHECK_FALSE(second->continuation);
}
