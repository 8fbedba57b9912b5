#include "adapters/emulator/hub/twin_query.hpp"

#include "domain/query/paging.hpp"
#include "domain/query/query.hpp"
#include "domain/query/run.hpp"

namespace offhub::emulator {

namespace q = domain::query;

domain::Result<ports::QueryPage> TwinQuery::Query(std::string_view sql, const ports::QueryPageRequest& page) {
  auto query = q::ParseQuery(sql);
  if (!query) return query.error();
  auto result = q::RunQuery(*query, {registry_.device_twins(), registry_.module_twins(), jobs_.records()},
                            q::PageRequest{page.max_item_count, page.continuation});
  if (!result) return result.error();
  return ports::QueryPage{std::move(result->items), std::move(result->continuation),
                          std::string(q::ToString(result->item_type))};
}

}  // namespace offhub::emulator
