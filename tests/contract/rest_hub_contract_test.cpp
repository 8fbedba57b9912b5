// The HubService contract against the Azure REST adapter, talking to the
// emulator's REST front over HTTPS (generated CA, host-name verification)
// and over plain HTTP.
#include "tests/contract/hub_service_contract.hpp"
#include "tests/contract/rest_harness.hpp"

OFFHUB_HUB_SERVICE_CONTRACT(offhub::contract::RestHttpsHarness, offhub::contract::RestHttpHarness);
