#pragma once
// POST /devices/query: twin queries (FROM devices, FROM devices.modules) and
// `devices.jobs` queries, paged. Contract and threading: ports/service_types.hpp.

#include <string_view>

#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::ports {

class QueryService {
 public:
  virtual ~QueryService() = default;
  // 400 for a query that does not parse (the message says where).
  virtual domain::Result<QueryPage> Query(std::string_view sql, const QueryPageRequest& page) = 0;
};

// Forwards every operation to `target` (see RegistryServiceWrapper).
class QueryServiceWrapper : public QueryService {
 public:
  explicit QueryServiceWrapper(QueryService& target) : target_(target) {}
  domain::Result<QueryPage> Query(std::string_view sql, const QueryPageRequest& page) override {
    return target_.Query(sql, page);
  }

 protected:
  QueryService& target() { return target_; }

 private:
  QueryService& target_;
};

}  // namespace offhub::ports
