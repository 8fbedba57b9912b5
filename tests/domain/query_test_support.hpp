#pragma once
// Fakes for the query tests: vector-backed row sources and twin builders.

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/query/source.hpp"
#include "domain/twin.hpp"

namespace offhub::testing {

using domain::Twin;

inline Twin MakeTwin(std::string id, nlohmann::json tags = nlohmann::json::object(),
                     nlohmann::json reported = nlohmann::json::object(),
                     nlohmann::json desired = nlohmann::json::object()) {
  Twin t;
  t.device_id = std::move(id);
  t.tags = std::move(tags);
  t.reported.properties = std::move(reported);
  t.desired.properties = std::move(desired);
  return t;
}

class VectorTwinSource final : public domain::query::TwinSource {
 public:
  explicit VectorTwinSource(std::vector<Twin> twins) : twins_(std::move(twins)) {
    std::sort(twins_.begin(), twins_.end(), [](const Twin& a, const Twin& b) { return a.key() < b.key(); });
  }
  void ForEachAfter(std::optional<std::string_view> after,
                    const std::function<bool(const Twin&)>& visit) const override {
    for (const auto& t : twins_) {
      if (after && t.key() <= *after) continue;
      if (!visit(t)) return;
    }
  }
  std::vector<Twin>& twins() { return twins_; }

 private:
  std::vector<Twin> twins_;
};

class VectorJobSource final : public domain::query::DeviceJobSource {
 public:
  explicit VectorJobSource(std::vector<nlohmann::json> records) : records_(std::move(records)) {}
  static std::string KeyOf(const nlohmann::json& r) {
    return r.value("jobId", "") + "\n" + r.value("deviceId", "");
  }
  void ForEachAfter(std::optional<std::string_view> after,
                    const std::function<bool(std::string_view, const nlohmann::json&)>& visit) const override {
    std::vector<std::pair<std::string, const nlohmann::json*>> sorted;
    for (const auto& r : records_) sorted.emplace_back(KeyOf(r), &r);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [key, r] : sorted) {
      if (after && key <= *after) continue;
      if (!visit(key, *r)) return;
    }
  }

 private:
  std::vector<nlohmann::json> records_;
};

}  // namespace offhub::testing
