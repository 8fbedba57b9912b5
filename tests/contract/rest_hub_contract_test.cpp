// The service ports' contracts against the Azure REST adapter, talking to the
// emulator's REST front over HTTPS (generated CA, host-name verification)
// and over plain HTTP.
#include "tests/contract/service_contracts.hpp"
#include "tests/contract/rest_harness.hpp"

OFFHUB_SERVICE_CONTRACTS(offhub::contract::RestHttpsHarness, offhub::contract::RestHttpHarness);
