#include "domain/query/scan.hpp"

#include <array>
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

class BatchScanner {
 public:
  BatchScanner(const PathSlots& slots, const std::function<bool(const Twin&, const Row&)>& on_row)
      : slots_(slots), on_row_(on_row), values_(slots.size() * kScanBatch) {}

  // Returns false once on_row asked to stop.
  bool Add(const Twin& twin) {
    batch_[size_++] = &twin;
    return size_ < kScanBatch || Flush();
  }

  bool Flush() {
    scratch_.clear();
    for (std::size_t s = 0; s < slots_.size(); ++s) ResolveSlot(s);
    const std::size_t n = size_;
    size_ = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!on_row_(*batch_[i], SlotRow(values_.data() + i, kScanBatch))) return false;
    }
    return true;
  }

 private:
  void ResolveSlot(std::size_t s) {
    const CompiledPath& path = *slots_[s];
    Value* column = &values_[s * kScanBatch];
    if (TwinPathBase(path, *batch_[0]) == nullptr) {
      for (std::size_t i = 0; i < size_; ++i) column[i] = ResolveTwinPath(path, *batch_[i], scratch_);
      return;
    }
    std::array<const Json*, kScanBatch> nodes{};
    for (std::size_t i = 0; i < size_; ++i) nodes[i] = TwinPathBase(path, *batch_[i]);
    LevelWalker(size_).Walk(nodes, path.keys);
    for (std::size_t i = 0; i < size_; ++i) column[i] = nodes[i] != nullptr ? FromJson(*nodes[i]) : Value();
  }

  const PathSlots& slots_;
  const std::function<bool(const Twin&, const Row&)>& on_row_;
  std::array<const Twin*, kScanBatch> batch_{};
  std::size_t size_ = 0;
  std::vector<Value> values_;  // slot-major: values_[slot * kScanBatch + i]
  Scratch scratch_;
};

}  // namespace

void ScanTwins(const TwinSource& twins, std::optional<std::string_view> after, const PathSlots& slots,
               const std::function<bool(const Twin&, const Row&)>& on_row) {
  BatchScanner scanner(slots, on_row);
  bool go_on = true;
  twins.ForEachAfter(after, [&](const Twin& twin) { return go_on = scanner.Add(twin); });
  if (go_on) scanner.Flush();
}

}  // namespace offhub::domain::query
