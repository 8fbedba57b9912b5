// The service ports' contracts against LocalHub in process.
#include "tests/contract/service_contracts.hpp"
#include "tests/contract/local_harness.hpp"

OFFHUB_SERVICE_CONTRACTS(offhub::contract::LocalHarness);
