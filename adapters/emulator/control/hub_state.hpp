#pragma once
// The hub's state as one JSON document: what `offhub-emulator --seed FILE`
// reads, GET /offhub/v1/state writes and PUT /offhub/v1/state reads.
//
//   {"devices": [{"deviceId": "d1",
//                 "status"?: "enabled" | "disabled",
//                 "keys"?: {"primaryKey": <base64>, "secondaryKey": <base64>},
//                 "tags"?: {...}, "desired"?: {...}, "reported"?: {...},
//                 "faults"?: {...},
//                 "modules"?: [{"moduleId": "m1", "managedBy"?: "...", "keys"?, "tags"?, "desired"?, "reported"?,
//                               "faults"?}]}],
//    "jobs"?: [<a job as GET /jobs/v2/{id} answers it>],
//    "deviceJobs"?: [<a record as a devices.jobs query answers it; a method
//                     answer that was not JSON as "payloadText">]}
//
// Keys given are used as given (a test's connection strings stay fixed);
// absent keys are generated. Ids, keys and status follow PUT /devices/{id};
// tags and desired follow a twin PATCH, reported a device's reported patch
// (names, depth, sizes), so nothing enters this way that IoT Hub's own API
// would refuse. Unknown fields are refused, so a typo is not silently lost.
// Errors are 400 ArgumentInvalid whose message starts with the JSON path
// ("$.devices[3].keys.primaryKey: ...").
// An export holds each twin's tags, desired and reported properties and each
// identity's status and keys, not etags, versions or generation ids: an
// import makes identities anew with what the document says.
// "faults" are an identity's faults as GET .../faults answers them
// (control/device_faults.hpp); "disconnect", an action, is refused here.

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "domain/time.hpp"
#include "adapters/emulator/control/fault_injector.hpp"
#include "ports/state_store.hpp"

namespace offhub::emulator {

// What a document holds: the hub's stored state, and the identities' faults.
struct HubDocument {
  ports::StoredState state;
  FaultMap faults;
};

// `now` stamps twins and identities; `random` gives generation ids and etags.
domain::Result<HubDocument> StateFromDocument(const nlohmann::json& document, domain::UtcTime now,
                                              std::mt19937_64& random);
nlohmann::json DocumentFromState(const ports::StoredState& state, const FaultMap& faults = {});

// A seed file: read (at most kMaxStateFileBytes), parsed with the depth
// limit, then StateFromDocument. The error says why (not the file's name).
inline constexpr std::size_t kMaxStateFileBytes = 256 * 1024 * 1024;
domain::Result<HubDocument> ReadStateFile(const std::filesystem::path& file, domain::UtcTime now,
                                                 std::mt19937_64& random);

}  // namespace offhub::emulator
