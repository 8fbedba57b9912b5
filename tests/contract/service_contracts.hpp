#pragma once
// Every service port's contract suite, for one implementation's test file:
//   OFFHUB_SERVICE_CONTRACTS(MyHarness);   // MyHarness : contract::Harness, default-constructible

#include "tests/contract/job_contract.hpp"
#include "tests/contract/method_contract.hpp"
#include "tests/contract/module_contract.hpp"
#include "tests/contract/query_contract.hpp"
#include "tests/contract/registry_contract.hpp"
#include "tests/contract/twin_contract.hpp"

#define OFFHUB_SERVICE_CONTRACTS(...)                                       \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_registry, std::tuple<__VA_ARGS__>); \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_list, std::tuple<__VA_ARGS__>);     \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_twins, std::tuple<__VA_ARGS__>);    \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_modules, std::tuple<__VA_ARGS__>);  \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_query, std::tuple<__VA_ARGS__>);    \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_methods, std::tuple<__VA_ARGS__>);  \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_jobs, std::tuple<__VA_ARGS__>);     \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_job_list, std::tuple<__VA_ARGS__>)
