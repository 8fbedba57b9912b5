#pragma once
// POST /devices/query over LocalHub's state: twins and device-job records
// offered to the domain's query runner in key order.

#include <string_view>

#include "adapters/emulator/hub/hub_state.hpp"
#include "ports/hub_services.hpp"

namespace offhub::emulator {

domain::Result<ports::QueryPage> RunQuery(const HubState& state, std::string_view sql,
                                          const ports::QueryPageRequest& page);

}  // namespace offhub::emulator
