#include "domain/query/aggregate.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/query/eval.hpp"
#include "domain/query/scan.hpp"

namespace offhub::domain::query {
namespace {

struct Accumulator {
  std::int64_t rows = 0;
  std::int64_t numbers = 0;
  double sum = 0;
  double min = 0;
  double max = 0;

  void Add(const Value& v) {
    ++rows;
    if (v.kind != ValueKind::kNumber) return;
    min = numbers == 0 ? v.number : std::min(min, v.number);
    max = numbers == 0 ? v.number : std::max(max, v.number);
    sum += v.number;
    ++numbers;
  }

  Value Final(AggregateFn fn) const {
    switch (fn) {
      case AggregateFn::kCount: return Value::Number(static_cast<double>(rows));
      case AggregateFn::kSum: return Value::Number(sum);
      case AggregateFn::kAvg: return numbers == 0 ? Value() : Value::Number(sum / static_cast<double>(numbers));
      case AggregateFn::kMin: return numbers == 0 ? Value() : Value::Number(min);
      case AggregateFn::kMax: return numbers == 0 ? Value() : Value::Number(max);
    }
    return Value();
  }
};

struct Group {
  std::vector<nlohmann::json> key_json;   // one per GROUP BY path (undefined: discarded)
  std::vector<Accumulator> accumulators;  // one per projection
};

// Distinguishes values by kind and content; equal primitives share a key.
void AppendKey(std::string& key, const Value& v) {
  key += static_cast<char>(v.kind);
  switch (v.kind) {
    case ValueKind::kBool: key += v.boolean ? '1' : '0'; break;
    case ValueKind::kNumber: {
      const double n = v.number == 0 ? 0.0 : v.number;  // -0 == 0
      char bytes[sizeof n];
      std::memcpy(bytes, &n, sizeof n);
      key.append(bytes, sizeof n);
      break;
    }
    case ValueKind::kString: key += std::to_string(v.string.size()) + ':'; key += v.string; break;
    case ValueKind::kArray:
    case ValueKind::kObject: key += v.node->dump(); break;
    default: break;
  }
}

nlohmann::json Discarded() { return nlohmann::json(nlohmann::json::value_t::discarded); }
nlohmann::json KeyJson(const Value& v) { return v.IsDefined() ? ToJson(v) : Discarded(); }

class Aggregator {
 public:
  explicit Aggregator(const Query& query) : query_(query) {}

  void Add(const Row& row) {
    Group& group = query_.group_by.empty() ? SingleGroup() : GroupOf(row);
    for (std::size_t i = 0; i < query_.projections.size(); ++i) {
      const Expr& e = *query_.projections[i].expr;
      if (e.kind != ExprKind::kAggregate) continue;
      group.accumulators[i].Add(e.args.empty() ? Value::Null() : Evaluate(*e.args[0], row));
    }
  }

  nlohmann::json Rows() {
    if (groups_.empty() && query_.group_by.empty()) groups_.push_back(NewGroup({}));
    auto rows = nlohmann::json::array();
    for (const auto& group : groups_) rows.push_back(RowOf(group));
    return rows;
  }

 private:
  Group& SingleGroup() {
    if (groups_.empty()) groups_.push_back(NewGroup({}));
    return groups_.front();
  }

  Group& GroupOf(const Row& row) {
    key_.clear();
    values_.clear();
    for (const auto& g : query_.group_by) {
      values_.push_back(Evaluate(*g, row));
      AppendKey(key_, values_.back());
    }
    auto [it, inserted] = index_.try_emplace(key_, groups_.size());
    if (inserted) groups_.push_back(NewGroup(values_));
    return groups_[it->second];
  }

  Group NewGroup(const std::vector<Value>& values) const {
    Group g;
    for (const auto& v : values) g.key_json.push_back(KeyJson(v));
    g.accumulators.resize(query_.projections.size());
    return g;
  }

  nlohmann::json RowOf(const Group& group) const {
    auto row = nlohmann::json::object();
    for (std::size_t i = 0; i < query_.projections.size(); ++i) {
      const auto& item = query_.projections[i];
      nlohmann::json value = ItemValue(group, i);
      if (!value.is_discarded()) row[item.name] = std::move(value);
    }
    return row;
  }

  nlohmann::json ItemValue(const Group& group, std::size_t i) const {
    const Expr& e = *query_.projections[i].expr;
    if (e.kind == ExprKind::kAggregate) {
      const Value v = group.accumulators[i].Final(e.aggregate);
      return v.IsDefined() ? ToJson(v) : Discarded();
    }
    for (std::size_t g = 0; g < query_.group_by.size(); ++g) {
      const Expr& by = *query_.group_by[g];
      if (by.path.root == e.path.root && by.path.keys == e.path.keys) return group.key_json[g];
    }
    return Discarded();
  }

  const Query& query_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<Group> groups_;
  std::string key_;            // reused per row
  std::vector<Value> values_;  // reused per row
};

}  // namespace

nlohmann::json AggregateRows(const Query& query, const TwinSource& twins) {
  Aggregator aggregator(query);
  ScanTwins(twins, std::nullopt, query.where.get(), query.slots, [&](const Twin&, const Row& row) {
    aggregator.Add(row);
    return true;
  });
  return aggregator.Rows();
}

}  // namespace offhub::domain::query
