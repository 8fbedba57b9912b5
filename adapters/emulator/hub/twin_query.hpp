#pragma once
// POST /devices/query over LocalHub's parts: the registry's device and module
// twins and the job engine's device-job records, offered to the domain's query
// runner in key order. Owns nothing.

#include <string_view>

#include "adapters/emulator/hub/job_engine.hpp"
#include "adapters/emulator/hub/registry.hpp"
#include "ports/query_service.hpp"

namespace offhub::emulator {

class TwinQuery final : public ports::QueryService {
 public:
  TwinQuery(const Registry& registry, const JobEngine& jobs) : registry_(registry), jobs_(jobs) {}
  domain::Result<ports::QueryPage> Query(std::string_view sql, const ports::QueryPageRequest& page) override;

 private:
  const Registry& registry_;
  const JobEngine& jobs_;
};

}  // namespace offhub::emulator
