// The service token is cached and renewed ahead of its expiry.
#include <doctest/doctest.h>

#include "adapters/iothub/sas_token.hpp"
#include "adapters/azure/service_token.hpp"

using namespace offhub;
using namespace std::chrono;

TEST_CASE("one token per hour, renewed five minutes early") {
  system_clock::time_point now{seconds(1'000'000)};
  const iothub::ServiceConnectionString cs{"myhub.azure-devices.net", "iothubowner",
                                          "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE="};
  azure::ServiceTokenSource tokens(cs, hours(1), minutes(5), [&] { return now; });
  const auto first = tokens.Token();
  REQUIRE(first.ok());
  CHECK(*first == *iothub::MakeServiceSasToken(cs.host_name, cs.key_name, cs.key, 1'003'600));
  now += minutes(54);
  CHECK(*tokens.Token() == *first);
  now += minutes(1) + seconds(1);  // 4 min 59 s left
  const auto renewed = tokens.Token();
  REQUIRE(renewed.ok());
  CHECK(*renewed != *first);
  CHECK(renewed->ends_with("&se=" + std::to_string(1'000'000 + 55 * 60 + 1 + 3600)));
}

TEST_CASE("a key that is not base64 gives an error, every time") {
  azure::ServiceTokenSource tokens({"h", "p", "***"}, hours(1), minutes(5));
  CHECK(tokens.Token().error().code() == domain::ErrorCode::ArgumentInvalid);
  CHECK_FALSE(tokens.Token().ok());
}
