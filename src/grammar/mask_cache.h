#pragma once
// Token masks cached by (masker, automaton state bytes), shared by every schema's masker and every
// thread that computes masks, and bounded in bytes: a 152k-token vocabulary makes each mask 19 KB,
// so a count limit per schema (the first design) let 32 schemas hold 1.2 GB. The key space is split
// into shards, each with its own lock and least-recently-used list, so the mask workers and the
// engine thread rarely meet on a lock; each shard keeps to its share of the byte budget.
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sunbae::grammar {

using TokenMask = std::vector<uint64_t>;  // bit i: token i allowed

class MaskCache {
 public:
  static constexpr size_t kDefaultBytes = size_t(128) << 20;
  static constexpr size_t kShards = 16;

  explicit MaskCache(size_t max_bytes = kDefaultBytes);
  MaskCache(const MaskCache&) = delete;
  MaskCache& operator=(const MaskCache&) = delete;

  // Null when absent. A returned mask stays valid for its holder after eviction.
  std::shared_ptr<const TokenMask> find(uint64_t owner, std::string_view state) const;
  // Keeps the mask unless it alone exceeds a shard's share; evicts the least recently used first.
  void insert(uint64_t owner, std::string_view state, std::shared_ptr<const TokenMask> mask);

  size_t bytes() const;  // what the cached entries account for, over all shards
  size_t max_bytes() const { return max_bytes_; }
  size_t entries() const;
  size_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  // What one entry is charged: the mask, the key and the bookkeeping around them.
  static size_t entry_bytes(size_t mask_words, size_t key_bytes);

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const TokenMask> mask;
    size_t bytes = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    mutable std::list<Entry> lru;  // front: most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into lru's keys
    size_t bytes = 0;
  };
  static std::string make_key(uint64_t owner, std::string_view state);
  Shard& shard_of(std::string_view key) const;

  size_t max_bytes_;
  size_t shard_bytes_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> evictions_{0};
};

}  // namespace sunbae::grammar
