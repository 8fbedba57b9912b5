#include "adapters/emulator/hub/twin_query.hpp"

#include "domain/job_json.hpp"
#include "domain/query/paging.hpp"
#include "domain/query/query.hpp"
#include "domain/query/run.hpp"
#include "domain/query/source.hpp"

namespace offhub::emulator {
namespace {

namespace q = domain::query;

// The twins of one of the state's identity maps (devices or modules), whose
// keys are the twins' key().
class HubTwins final : public q::TwinSource {
 public:
  explicit HubTwins(const IdentityMap& entries) : entries_(entries) {}
  void ForEachAfter(std::optional<std::string_view> after,
                    const std::function<bool(const domain::Twin&)>& visit) const override {
    auto it = after ? entries_.upper_bound(*after) : entries_.begin();
    for (; it != entries_.end(); ++it) {
      if (!visit(it->second.twin)) return;
    }
  }

 private:
  const IdentityMap& entries_;
};

// Keys are jobId + '\n' + deviceId: '\n' sorts below every id character, so
// key order is (jobId, deviceId) order.
class HubDeviceJobs final : public q::DeviceJobSource {
 public:
  explicit HubDeviceJobs(const HubState& state) : state_(state) {}
  void ForEachAfter(std::optional<std::string_view> after,
                    const std::function<bool(std::string_view, const nlohmann::json&)>& visit) const override {
    std::string_view after_job, after_device;
    if (after) {
      const auto nl = after->find('\n');
      after_job = after->substr(0, nl);
      after_device = nl == std::string_view::npos ? std::string_view{} : after->substr(nl + 1);
    }
    for (auto job = after ? state_.jobs.lower_bound(after_job) : state_.jobs.begin(); job != state_.jobs.end();
         ++job) {
      const bool same_job = after && job->first == after_job;
      auto rec = same_job ? job->second.records.upper_bound(after_device) : job->second.records.begin();
      for (; rec != job->second.records.end(); ++rec) {
        const std::string key = job->first + '\n' + rec->first;
        if (!visit(key, domain::ToJson(rec->second))) return;
      }
    }
  }

 private:
  const HubState& state_;
};

}  // namespace

domain::Result<ports::QueryPage> RunQuery(const HubState& state, std::string_view sql,
                                          const ports::QueryPageRequest& page) {
  auto query = q::ParseQuery(sql);
  if (!query) return query.error();
  const HubTwins devices(state.devices);
  const HubTwins modules(state.modules);
  const HubDeviceJobs records(state);
  auto result = q::RunQuery(*query, {devices, modules, records}, q::PageRequest{page.max_item_count, page.continuation});
  if (!result) return result.error();
  return ports::QueryPage{std::move(result->items), std::move(result->continuation),
                          std::string(q::ToString(result->item_type))};
}

}  // namespace offhub::emulator
