#include "domain/query/scan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace offhub::domain::query {
namespace {

using Json = nlohmann::json;

// Maps up to this size get all their nodes prefetched; bigger ones are
// searched cold (walking every node would cost more than it saves).
constexpr std::size_t kPrefetchMaxKeys = 16;

void Prefetch(const void* p) { __builtin_prefetch(p); }

// Resolves one path for a whole batch, one key level at a time: first the
// maps of every twin are prefetched, then their nodes (an in-order walk that
// advances all twins by one node per step, so the loads of a step are
// independent), then each twin looks its key up in cache.
class LevelWalker {
 public:
  explicit LevelWalker(std::size_t size) : size_(size) {}

  void Walk(std::array<const Json*, kScanBatch>& nodes, const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      PrefetchMaps(nodes);
      PrefetchNodes();
      for (std::size_t i = 0; i < size_; ++i) {
        if (maps_[i] == nullptr) {
          nodes[i] = nullptr;
          continue;
        }
        const auto it = maps_[i]->find(key);
        nodes[i] = it == maps_[i]->end() ? nullptr : &it->second;
      }
    }
  }

 private:
  void PrefetchMaps(const std::array<const Json*, kScanBatch>& nodes) {
    for (std::size_t i = 0; i < size_; ++i) {
      maps_[i] = nodes[i] != nullptr ? nodes[i]->get_ptr<const Json::object_t*>() : nullptr;
      if (maps_[i] != nullptr) Prefetch(maps_[i]);
    }
  }

  void PrefetchNodes() {
    for (std::size_t i = 0; i < size_; ++i) {
      const bool small = maps_[i] != nullptr && maps_[i]->size() <= kPrefetchMaxKeys;
      cursors_[i] = small ? maps_[i]->begin() : Json::object_t::const_iterator();
      ends_[i] = small ? maps_[i]->end() : cursors_[i];
    }
    for (bool more = true; more;) {
      more = false;
      for (std::size_t i = 0; i < size_; ++i) {
        if (cursors_[i] == ends_[i]) continue;
        Prefetch(&*cursors_[i]);
        ++cursors_[i];
        more = true;
      }
    }
  }

  std::size_t size_;
  std::array<const Json::object_t*, kScanBatch> maps_{};
  std::array<Json::object_t::const_iterator, kScanBatch> cursors_{};
  std::array<Json::object_t::const_iterator, kScanBatch> ends_{};
};

// Twins of a batch by position, e.g. those still passing the WHERE.
struct Selection {
  std::array<std::uint8_t, kScanBatch> at{};
  std::size_t size = 0;
};

void CollectSlots(const Expr& e, std::vector<std::size_t>& out) {
  if (e.kind == ExprKind::kPath) out.push_back(e.slot);
  for (const auto& arg : e.args) CollectSlots(*arg, out);
}

class BatchScanner {
 public:
  BatchScanner(const Expr* where, const PathSlots& slots, const std::function<bool(const Twin&, const Row&)>& on_row)
      : slots_(slots), on_row_(on_row), values_(slots.size() * kScanBatch), resolved_(slots.size()) {
    if (where != nullptr && where->kind == ExprKind::kAnd) {
      for (const auto& arg : where->args) conjuncts_.push_back(arg.get());
    } else if (where != nullptr) {
      conjuncts_.push_back(where);
    }
    for (const Expr* c : conjuncts_) CollectSlots(*c, conjunct_slots_.emplace_back());
  }

  // Returns false once on_row asked to stop.
  bool Add(const Twin& twin) {
    batch_[size_++] = &twin;
    return size_ < kScanBatch || Flush();
  }

  // Filters the batch conjunct by conjunct (each resolving its paths only for
  // the twins still in), then shows the survivors with every path resolved.
  bool Flush() {
    scratch_.clear();
    std::fill(resolved_.begin(), resolved_.end(), 0);
    Selection in;
    for (std::size_t i = 0; i < size_; ++i) in.at[in.size++] = static_cast<std::uint8_t>(i);
    for (std::size_t c = 0; c < conjuncts_.size() && in.size > 0; ++c) {
      for (std::size_t s : conjunct_slots_[c]) ResolveSlot(s, in);
      in = Keep(*conjuncts_[c], in);
    }
    for (std::size_t s = 0; s < slots_.size(); ++s) ResolveSlot(s, in);
    size_ = 0;
    for (std::size_t k = 0; k < in.size; ++k) {
      if (!on_row_(*batch_[in.at[k]], RowOf(in.at[k]))) return false;
    }
    return true;
  }

 private:
  Selection Keep(const Expr& conjunct, const Selection& in) const {
    Selection out;
    for (std::size_t k = 0; k < in.size; ++k) {
      if (Evaluate(conjunct, RowOf(in.at[k])).IsTrue()) out.at[out.size++] = in.at[k];
    }
    return out;
  }

  // Batch row `i` as a SlotRow. A query without paths has no values: then no
  // pointer into them is formed (null + i is undefined behaviour).
  SlotRow RowOf(std::size_t i) const { return SlotRow(values_.empty() ? nullptr : values_.data() + i, kScanBatch); }

  // Resolves slot `s` for the selected twins that do not have it yet.
  void ResolveSlot(std::size_t s, const Selection& in) {
    Selection todo;
    for (std::size_t k = 0; k < in.size; ++k) {
      if ((resolved_[s] >> in.at[k] & 1) == 0) todo.at[todo.size++] = in.at[k];
    }
    if (todo.size == 0) return;
    const CompiledPath& path = *slots_[s];
    Value* column = &values_[s * kScanBatch];
    for (std::size_t k = 0; k < todo.size; ++k) resolved_[s] |= std::uint64_t{1} << todo.at[k];
    if (TwinPathBase(path, *batch_[todo.at[0]]) == nullptr) {
      for (std::size_t k = 0; k < todo.size; ++k) column[todo.at[k]] = ResolveTwinPath(path, *batch_[todo.at[k]], scratch_);
      return;
    }
    std::array<const Json*, kScanBatch> nodes{};
    for (std::size_t k = 0; k < todo.size; ++k) nodes[k] = TwinPathBase(path, *batch_[todo.at[k]]);
    LevelWalker(todo.size).Walk(nodes, path.keys);
    for (std::size_t k = 0; k < todo.size; ++k) {
      if (nodes[k] != nullptr && nodes[k]->is_string()) Prefetch(nodes[k]->get_ptr<const Json::string_t*>());
    }
    for (std::size_t k = 0; k < todo.size; ++k) column[todo.at[k]] = nodes[k] != nullptr ? FromJson(*nodes[k]) : Value();
  }

  const PathSlots& slots_;
  const std::function<bool(const Twin&, const Row&)>& on_row_;
  std::array<const Twin*, kScanBatch> batch_{};
  std::size_t size_ = 0;
  std::vector<Value> values_;            // slot-major: values_[slot * kScanBatch + i]
  std::vector<std::uint64_t> resolved_;  // per slot: which batch positions hold their value
  std::vector<const Expr*> conjuncts_;   // the WHERE's top-level AND terms
  std::vector<std::vector<std::size_t>> conjunct_slots_;
  Scratch scratch_;
};

}  // namespace

void ScanTwins(const TwinSource& twins, std::optional<std::string_view> after, const Expr* where,
               const PathSlots& slots, const std::function<bool(const Twin&, const Row&)>& on_row) {
  BatchScanner scanner(where, slots, on_row);
  bool go_on = true;
  twins.ForEachAfter(after, [&](const Twin& twin) { return go_on = scanner.Add(twin); });
  if (go_on) scanner.Flush();
}

}  // namespace offhub::domain::query
