#pragma once
// Running a parsed query page by page.
//
// Rows come in key order (deviceId for twins, the source's key for device
// jobs), so a page resumes after the last key of the previous one: rows
// added or removed between pages are seen or skipped like in a live index,
// never duplicated. Aggregate queries compute every group on each call and
// page over the groups in first-seen order (deviceId order of the first
// member); their tokens carry the group offset.
//
// Results: SELECT * yields the twin as ToJson(const Twin&) (item type
// `twin`) or the device-job record unchanged (`deviceJob`); projections and
// aggregates yield plain objects (`raw`) whose undefined items are left out.
// GROUP BY puts twins whose grouped path is undefined into one group that
// lacks that key*. Aggregates over a group: COUNT() counts rows; SUM/AVG/
// MIN/MAX consider number values only*; SUM of none is 0, AVG/MIN/MAX of
// none are undefined (left out)*. Without GROUP BY an aggregate query always
// returns exactly one row (COUNT() of no twins is 0).
// (* offhub's choices where IoT Hub's docs are silent; Cosmos DB, whose
// dialect IoT Hub follows, behaves the same.)

#include "domain/query/paging.hpp"
#include "domain/query/query.hpp"
#include "domain/query/source.hpp"
#include "domain/result.hpp"

namespace offhub::domain::query {

// Precondition for a successful run: query.source is kDevices or kModules
// (else 400), and `twins` holds the twins of that source.
Result<QueryPage> RunTwinQuery(const Query& query, const TwinSource& twins, const PageRequest& request);

// Precondition for a successful run: query.source == kDeviceJobs (else 400).
Result<QueryPage> RunJobQuery(const Query& query, const DeviceJobSource& jobs, const PageRequest& request);

struct QuerySources {
  const TwinSource& devices;  // FROM devices
  const TwinSource& modules;  // FROM devices.modules
  const DeviceJobSource& jobs;  // FROM devices.jobs
};

// Dispatches on query.source.
Result<QueryPage> RunQuery(const Query& query, const QuerySources& sources, const PageRequest& request);

}  // namespace offhub::domain::query
