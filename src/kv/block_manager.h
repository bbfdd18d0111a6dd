#pragma once
// KV blocks for the serving engine, with prefix caching: every full block a sequence computes is
// registered under a hash chained over all tokens up to its end, so a later sequence whose prompt
// starts with the same tokens reuses those blocks instead of recomputing them. Blocks no sequence
// references stay cached until their memory is needed, and are evicted least recently used first.
//
// Invariants (checked by check_invariants(), exercised by tests/unit/test_block_manager.cpp):
//   - every block is in exactly one state: in use (ref >= 1), free (ref 0, no hash, in the free
//     list once) or cached (ref 0, hashed, in the LRU list once);
//   - a block's ref count equals the number of sequence tables (SeqBlocks) that list it;
//   - the hash map holds each hashed block exactly once, under its own hash; a hashed block is
//     full and its KV is never written again (only a table's partial last block is written);
//   - num_free() == free + cached, and free + cached + in use == num_blocks().
// Releasing a block twice is an Error, never silent.
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "kv/block_allocator.h"

namespace sunbae::kv {

// One sequence's blocks: block i holds positions [16 i, 16 i + 16). hashes[i] is the chain hash
// of block i for the full blocks registered so far (hashes.size() <= blocks.size()).
struct SeqBlocks {
  std::vector<BlockId> blocks;
  std::vector<uint64_t> hashes;
};

struct PrefixCacheStats {
  int64_t queries = 0;  // prompt tokens looked up
  int64_t hits = 0;     // of those, tokens found cached
};

class BlockManager {
 public:
  BlockManager(int64_t num_blocks, bool enable_prefix_cache);

  // Chain hash of a full block: a function of the previous block's hash and this block's tokens.
  static uint64_t block_hash(uint64_t parent, const int32_t* tokens);

  // For a sequence holding no blocks: takes a reference on the longest run of cached full blocks
  // that prefixes `tokens`, leaving at least one token uncomputed (its logits are needed).
  // Returns the number of tokens whose KV is now present (a multiple of kBlockSize). Counts
  // nothing: the caller records the lookup with note_lookup once the sequence is admitted.
  int64_t acquire_prefix(SeqBlocks& seq, const std::vector<int32_t>& tokens);
  void note_lookup(int64_t queried_tokens, int64_t hit_tokens) {
    stats_.queries += queried_tokens;
    stats_.hits += hit_tokens;
  }
  // How many tokens acquire_prefix would find, without taking anything or counting a query.
  int64_t peek_prefix(const std::vector<int32_t>& tokens) const;

  // Grows the table to hold num_tokens positions, evicting cached blocks as needed. All or
  // nothing: false, the table unchanged, when too few blocks are free or cached.
  bool reserve(SeqBlocks& seq, int64_t num_tokens);
  // Registers the blocks made full by computing tokens [0, num_computed) in the prefix cache.
  void commit(SeqBlocks& seq, const std::vector<int32_t>& tokens, int64_t num_computed);
  // Drops the sequence's references and empties its table. Blocks of the tail are released first
  // so that, among a sequence's cached blocks, the prompt's start is evicted last.
  void release(SeqBlocks& seq);

  int64_t num_blocks() const { return int64_t(refs_.size()); }
  int64_t num_free() const { return int64_t(free_.size() + lru_.size()); }  // free + evictable
  int64_t num_cached() const { return int64_t(map_.size()); }
  int64_t ref_count(BlockId id) const;
  double usage() const;  // fraction of blocks in use by sequences
  const PrefixCacheStats& stats() const { return stats_; }
  bool prefix_caching() const { return enable_cache_; }

  // Throws Error describing the first broken invariant; `tables` are every live SeqBlocks.
  void check_invariants(const std::vector<const SeqBlocks*>& tables) const;

 private:
  BlockId take_block();  // a free block, else the least recently used cached one (evicted)
  void unhash(BlockId id);

  bool enable_cache_;
  std::vector<int32_t> refs_;
  std::vector<uint64_t> hash_of_;                // valid where has_hash_
  std::vector<uint8_t> has_hash_;
  std::vector<std::vector<int32_t>> tokens_of_;  // a hashed block's tokens, to rule out collisions
  std::vector<BlockId> free_;                    // ref 0, unhashed
  std::list<BlockId> lru_;                       // ref 0, hashed; front evicted first
  std::vector<std::list<BlockId>::iterator> lru_pos_;
  std::vector<uint8_t> in_lru_;
  std::unordered_map<uint64_t, BlockId> map_;
  PrefixCacheStats stats_;
};

}  // namespace sunbae::kv
