#include "kv/block_manager.h"

#include <algorithm>

#include "core/error.h"

namespace sunbae::kv {

namespace {
uint64_t mix(uint64_t h, uint64_t v) {
  // splitmix64 finalizer over a running FNV-style combine: cheap and well distributed.
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}
constexpr uint64_t kRootHash = 0x5375'6e62'6165'0001ULL;
}  // namespace

BlockManager::BlockManager(int64_t num_blocks, bool enable_prefix_cache) : enable_cache_(enable_prefix_cache) {
  SUNBAE_CHECK(num_blocks > 0 && num_blocks <= INT32_MAX, "KV cache: bad block count ", num_blocks);
  const size_t n = size_t(num_blocks);
  refs_.assign(n, 0);
  hash_of_.assign(n, 0);
  has_hash_.assign(n, 0);
  tokens_of_.resize(n);
  lru_pos_.resize(n);
  in_lru_.assign(n, 0);
  for (int64_t i = num_blocks - 1; i >= 0; --i) free_.push_back(BlockId(i));
}

uint64_t BlockManager::block_hash(uint64_t parent, const int32_t* tokens) {
  uint64_t h = mix(kRootHash, parent);
  for (int64_t i = 0; i < kBlockSize; ++i) h = mix(h, uint32_t(tokens[i]));
  return h;
}

int64_t BlockManager::ref_count(BlockId id) const {
  SUNBAE_CHECK(id >= 0 && size_t(id) < refs_.size(), "KV cache: block id ", id, " out of range");
  return refs_[size_t(id)];
}

double BlockManager::usage() const {
  return double(num_blocks() - num_free()) / double(num_blocks());
}

int64_t BlockManager::peek_prefix(const std::vector<int32_t>& tokens) const {
  if (!enable_cache_ || tokens.empty()) return 0;
  const int64_t max_blocks = (int64_t(tokens.size()) - 1) / kBlockSize;
  uint64_t h = 0;
  int64_t n = 0;
  for (; n < max_blocks; ++n) {
    const int32_t* t = tokens.data() + n * kBlockSize;
    h = block_hash(h, t);
    auto it = map_.find(h);
    if (it == map_.end() || !std::equal(t, t + kBlockSize, tokens_of_[size_t(it->second)].begin())) break;
  }
  return n * kBlockSize;
}

int64_t BlockManager::acquire_prefix(SeqBlocks& seq, const std::vector<int32_t>& tokens) {
  SUNBAE_CHECK(seq.blocks.empty(), "acquire_prefix: the sequence already holds blocks");
  if (!enable_cache_) return 0;
  const int64_t n = peek_prefix(tokens) / kBlockSize;
  uint64_t h = 0;
  for (int64_t i = 0; i < n; ++i) {
    h = block_hash(h, tokens.data() + i * kBlockSize);
    const BlockId id = map_.at(h);
    if (refs_[size_t(id)] == 0) {
      lru_.erase(lru_pos_[size_t(id)]);
      in_lru_[size_t(id)] = 0;
    }
    ++refs_[size_t(id)];
    seq.blocks.push_back(id);
    seq.hashes.push_back(h);
  }
  return n * kBlockSize;
}

void BlockManager::unhash(BlockId id) {
  map_.erase(hash_of_[size_t(id)]);
  has_hash_[size_t(id)] = 0;
  tokens_of_[size_t(id)].clear();
}

BlockId BlockManager::take_block() {
  BlockId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = lru_.front();
    lru_.pop_front();
    in_lru_[size_t(id)] = 0;
    unhash(id);
  }
  refs_[size_t(id)] = 1;
  return id;
}

bool BlockManager::reserve(SeqBlocks& seq, int64_t num_tokens) {
  const int64_t need = blocks_for_tokens(num_tokens) - int64_t(seq.blocks.size());
  if (need <= 0) return true;
  if (num_free() < need) return false;
  for (int64_t i = 0; i < need; ++i) seq.blocks.push_back(take_block());
  return true;
}

void BlockManager::commit(SeqBlocks& seq, const std::vector<int32_t>& tokens, int64_t num_computed) {
  SUNBAE_CHECK(num_computed <= int64_t(tokens.size()) &&
                   blocks_for_tokens(num_computed) <= int64_t(seq.blocks.size()),
               "commit: ", num_computed, " computed tokens exceed the sequence or its blocks");
  const int64_t full = num_computed / kBlockSize;
  while (int64_t(seq.hashes.size()) < full) {
    const size_t i = seq.hashes.size();
    const uint64_t parent = i == 0 ? 0 : seq.hashes[i - 1];
    const int32_t* t = tokens.data() + i * kBlockSize;
    const uint64_t h = block_hash(parent, t);
    seq.hashes.push_back(h);
    const BlockId id = seq.blocks[i];
    // A block computed twice (two sequences missed at once) stays unhashed: the first copy serves.
    if (!enable_cache_ || has_hash_[size_t(id)] || map_.count(h)) continue;
    map_.emplace(h, id);
    hash_of_[size_t(id)] = h;
    has_hash_[size_t(id)] = 1;
    tokens_of_[size_t(id)].assign(t, t + kBlockSize);
  }
}

void BlockManager::release(SeqBlocks& seq) {
  for (auto it = seq.blocks.rbegin(); it != seq.blocks.rend(); ++it) {
    const BlockId id = *it;
    SUNBAE_CHECK(id >= 0 && size_t(id) < refs_.size(), "KV cache: block id ", id, " out of range");
    SUNBAE_CHECK(refs_[size_t(id)] > 0, "KV cache: double free of block ", id);
    if (--refs_[size_t(id)] > 0) continue;
    if (has_hash_[size_t(id)]) {
      lru_pos_[size_t(id)] = lru_.insert(lru_.end(), id);
      in_lru_[size_t(id)] = 1;
    } else {
      free_.push_back(id);
    }
  }
  seq.blocks.clear();
  seq.hashes.clear();
}

void BlockManager::check_invariants(const std::vector<const SeqBlocks*>& tables) const {
  const size_t n = refs_.size();
  std::vector<int32_t> listed(n, 0);
  for (const SeqBlocks* s : tables) {
    SUNBAE_CHECK(s->hashes.size() <= s->blocks.size(), "a table has more hashes than blocks");
    for (BlockId id : s->blocks) {
      SUNBAE_CHECK(id >= 0 && size_t(id) < n, "a table lists block ", id, " out of range");
      ++listed[size_t(id)];
    }
  }
  std::vector<int32_t> in_free(n, 0), in_lru(n, 0);
  for (BlockId id : free_) ++in_free[size_t(id)];
  for (BlockId id : lru_) ++in_lru[size_t(id)];
  for (size_t i = 0; i < n; ++i) {
    SUNBAE_CHECK(refs_[i] == listed[i], "block ", i, ": ref ", refs_[i], " but ", listed[i], " tables list it");
    const int states = (refs_[i] > 0) + in_free[i] + in_lru[i];
    SUNBAE_CHECK(states == 1, "block ", i, " is in ", states, " states (ref ", refs_[i], ", free ", in_free[i],
                 ", cached ", in_lru[i], ")");
    SUNBAE_CHECK(!in_free[i] || !has_hash_[i], "free block ", i, " still has a hash");
    SUNBAE_CHECK(!in_lru[i] || has_hash_[i], "cached block ", i, " has no hash");
    SUNBAE_CHECK(bool(in_lru[i]) == bool(in_lru_[i]), "block ", i, ": LRU flag out of step");
    if (has_hash_[i]) {
      auto it = map_.find(hash_of_[i]);
      SUNBAE_CHECK(it != map_.end() && size_t(it->second) == i, "hashed block ", i, " missing from the map");
    }
  }
  for (const auto& [h, id] : map_)
    SUNBAE_CHECK(has_hash_[size_t(id)] && hash_of_[size_t(id)] == h, "map entry for block ", id, " is stale");
  SUNBAE_CHECK(free_.size() + lru_.size() + size_t(std::count_if(refs_.begin(), refs_.end(),
                                                                  [](int32_t r) { return r > 0; })) == n,
               "free + cached + in use != total");
}

}  // namespace sunbae::kv
