#include "grammar/mask_cache.h"

#include <cstring>
#include <functional>

namespace sunbae::grammar {

MaskCache::MaskCache(size_t max_bytes)
    : max_bytes_(max_bytes), shard_bytes_(max_bytes / kShards), shards_(std::make_unique<Shard[]>(kShards)) {}

size_t MaskCache::entry_bytes(size_t mask_words, size_t key_bytes) {
  // The vector's buffer and control block, the list node, the hash node and bucket: roughly.
  return mask_words * sizeof(uint64_t) + 2 * key_bytes + 160;
}

std::string MaskCache::make_key(uint64_t owner, std::string_view state) {
  std::string k(sizeof(owner) + state.size(), '\0');
  std::memcpy(k.data(), &owner, sizeof(owner));
  std::memcpy(k.data() + sizeof(owner), state.data(), state.size());
  return k;
}

MaskCache::Shard& MaskCache::shard_of(std::string_view key) const {
  // The high bits: the index's buckets use the low ones.
  return shards_[(std::hash<std::string_view>{}(key) >> 48) % kShards];
}

std::shared_ptr<const TokenMask> MaskCache::find(uint64_t owner, std::string_view state) const {
  // One key buffer per thread: a lookup, the common case, allocates nothing.
  thread_local std::string key;
  key.resize(sizeof(owner) + state.size());
  std::memcpy(key.data(), &owner, sizeof(owner));
  std::memcpy(key.data() + sizeof(owner), state.data(), state.size());
  Shard& s = shard_of(key);
  std::lock_guard<std::mutex> lk(s.mu);
  auto it = s.index.find(std::string_view(key));
  if (it == s.index.end()) return nullptr;
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->mask;
}

void MaskCache::insert(uint64_t owner, std::string_view state, std::shared_ptr<const TokenMask> mask) {
  Entry e;
  e.key = make_key(owner, state);
  e.bytes = entry_bytes(mask->size(), e.key.size());
  e.mask = std::move(mask);
  if (e.bytes > shard_bytes_) return;
  Shard& s = shard_of(e.key);
  std::shared_ptr<const TokenMask> dropped;  // freed outside the lock
  std::lock_guard<std::mutex> lk(s.mu);
  // Two threads may compute the same state at once; the first copy stays.
  if (s.index.count(std::string_view(e.key))) return;
  size_t evicted = 0;
  while (s.bytes + e.bytes > shard_bytes_ && !s.lru.empty()) {
    Entry& old = s.lru.back();
    s.index.erase(std::string_view(old.key));
    s.bytes -= old.bytes;
    dropped = std::move(old.mask);
    s.lru.pop_back();
    ++evicted;
  }
  if (evicted) evictions_.fetch_add(evicted, std::memory_order_relaxed);
  s.bytes += e.bytes;
  s.lru.push_front(std::move(e));
  s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
}

size_t MaskCache::bytes() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lk(shards_[i].mu);
    n += shards_[i].bytes;
  }
  return n;
}

size_t MaskCache::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lk(shards_[i].mu);
    n += shards_[i].lru.size();
  }
  return n;
}

}  // namespace sunbae::grammar
