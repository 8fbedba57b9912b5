#include <doctest/doctest.h>

#include "domain/tier_limits.hpp"

using namespace offhub::domain;

TEST_CASE("tier limits follow IoT Hub's quotas table, per tier and unit") {
  const auto s1 = TierLimitsFor("S1", 1);
  REQUIRE(s1);
  CHECK(s1->max_active_jobs == 1);
  CHECK(s1->job_device_operations_per_second == 10);
  CHECK(s1->twin_reads.per_second == 100);
  CHECK(s1->twin_updates.per_second == 50);
  CHECK(s1->queries.burst == 20);  // 20 a minute
  CHECK(s1->registry_operations.burst == 100);
  CHECK(s1->direct_method_kb.per_second == 160);
  const auto s2 = TierLimitsFor("S2", 20);
  REQUIRE(s2);
  CHECK(s2->max_active_jobs == 5);
  CHECK(s2->twin_reads.per_second == 200);           // max(100, 10/unit)
  CHECK(s2->job_device_operations_per_second == 20);  // max(10, 1/unit)
  const auto s3 = TierLimitsFor("S3", 2);
  REQUIRE(s3);
  CHECK(s3->max_active_jobs == 10);
  CHECK(s3->job_device_operations_per_second == 100);
  CHECK(s3->queries.burst == 2000);
  CHECK_FALSE(TierLimitsFor("F1", 2));
  CHECK_FALSE(TierLimitsFor("S3", 11));
  CHECK_FALSE(TierLimitsFor("S1", 0));
  CHECK_FALSE(TierLimitsFor("B1", 1));
  CHECK(TierLimitsFor("S1", 200));
}

TEST_CASE("a token bucket holds its burst, refills at its rate on the clock it is given, never beyond the burst") {
  const UtcTime t0 = *ParseUtc("2030-01-01T00:00:00Z");
  TokenBucket bucket(Throttle{10, 10});
  for (int i = 0; i < 10; ++i) CHECK(bucket.Take(t0));
  CHECK_FALSE(bucket.Take(t0));
  CHECK(bucket.ReadyAt(t0) == t0.PlusMillis(100));
  CHECK_FALSE(bucket.Take(t0.PlusMillis(99)));
  CHECK(bucket.Take(t0.PlusMillis(100)));
  // An hour later: full again, not 36,000 tokens.
  const UtcTime later = t0.PlusSeconds(3600);
  for (int i = 0; i < 10; ++i) CHECK(bucket.Take(later));
  CHECK_FALSE(bucket.Take(later));
  // A clock read earlier than the last one adds nothing.
  CHECK_FALSE(bucket.Take(t0));
  TokenBucket kb(Throttle{160, 160});
  CHECK(kb.Take(t0, 128));
  CHECK_FALSE(kb.Take(t0, 64));
  CHECK(kb.Take(t0.PlusMillis(200), 64));
}
