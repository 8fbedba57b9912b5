// The HubService contract against LocalHub in process.
#include "tests/contract/hub_service_contract.hpp"
#include "tests/contract/local_harness.hpp"

OFFHUB_HUB_SERVICE_CONTRACT(offhub::contract::LocalHarness);
