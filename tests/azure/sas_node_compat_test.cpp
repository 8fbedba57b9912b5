// offhub's SAS tokens against the official Node SDKs' SharedAccessSignature.create
// (azure-iothub for service tokens, azure-iot-device for device and module
// tokens): byte for byte, for plain ids and for ids with every character IoT
// Hub allows.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/iothub/sas_token.hpp"
#include "adapters/iothub/sas_token.hpp"

namespace {

struct Case {
  std::string kind, host, name, key;
  std::int64_t expiry;
  std::string module;  // kind "module" only
};

const std::vector<Case> kCases = {
    {"service", "myhub.azure-devices.net", "iothubowner", "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=", 1700000000, ""},
    {"service", "localhost", "registryReadWrite", "b2ZmaHViLWxvY2FsLXJlZ2lzdHJ5cnctcG9saWN5LTE=", 1, ""},
    {"device", "myhub.azure-devices.net", "myDeviceId", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 1700003600, ""},
    {"device", "localhost", "a-b:c.d+e%f_g#h*i?j!k(l)m,n=o@p;q$r's", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", 4102444800, ""},
    {"module", "myhub.azure-devices.net", "gateway-1", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", 1700003600, "filter"},
    {"module", "localhost", "d(1)*", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", 4102444800, "$edge'Hub!"},
};

std::vector<std::string> NodeTokens() {
  const auto input = std::filesystem::temp_directory_path() / "offhub-sas-cases.jsonl";
  {
    std::ofstream out(input);
    for (const auto& c : kCases) {
      out << nlohmann::json{{"kind", c.kind}, {"host", c.host}, {"name", c.name}, {"key", c.key}, {"expiry", c.expiry}, {"module", c.module}}.dump()
          << "\n";
    }
  }
  const std::string command = "cd " OFFHUB_COMPAT_DIR " && node sas_tokens.js < " + input.string();
  std::vector<std::string> tokens;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  char line[4096];
  while (std::fgets(line, sizeof line, pipe)) {
    std::string token(line);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    tokens.push_back(token);
  }
  REQUIRE(::pclose(pipe) == 0);
  std::filesystem::remove(input);
  return tokens;
}

}  // namespace

TEST_CASE("SAS tokens are byte-identical to the Node SDKs'") {
  const auto node = NodeTokens();
  REQUIRE(node.size() == kCases.size());
  for (std::size_t i = 0; i < kCases.size(); ++i) {
    const auto& c = kCases[i];
    CAPTURE(c.name);
    if (c.kind == "service") {
      CHECK(offhub::iothub::MakeServiceSasToken(c.host, c.name, c.key, c.expiry).value() == node[i]);
      CHECK(offhub::iothub::MakeSasToken(c.host, c.key, c.expiry, c.name).value() == node[i]);
    } else if (c.kind == "device") {
      CHECK(offhub::iothub::MakeDeviceSasToken(c.host, c.name, c.key, c.expiry).value() == node[i]);
      CHECK(offhub::iothub::MakeSasToken(c.host + "/devices/" + c.name, c.key, c.expiry).value() == node[i]);
    } else {
      CHECK(offhub::iothub::MakeDeviceSasToken(c.host, c.name, c.key, c.expiry, c.module).value() == node[i]);
    }
  }
}
