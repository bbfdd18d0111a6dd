#pragma once
// Paged KV cache bookkeeping: fixed-size blocks handed out by id, reference counted so that
// sequences can share blocks (forks, and later the prefix cache).
//
// Invariants (checked by tests/unit/test_block_allocator.cpp):
//   - a block is either free (ref 0, in the free list exactly once) or in use (ref >= 1);
//   - num_free() + number of blocks with ref >= 1 == num_blocks();
//   - releasing a free block or referencing a free block is an error, never silent.
#include <cstdint>
#include <optional>
#include <vector>

namespace sunbae::kv {

constexpr int64_t kBlockSize = 16;  // tokens per KV block

using BlockId = int32_t;

class BlockAllocator {
 public:
  explicit BlockAllocator(int64_t num_blocks);

  std::optional<BlockId> allocate();  // ref 1; nullopt when none is free
  void ref(BlockId id);               // another owner
  void release(BlockId id);           // drop one owner; back to the free list at zero

  int64_t ref_count(BlockId id) const;
  int64_t num_free() const { return int64_t(free_.size()); }
  int64_t num_blocks() const { return int64_t(refs_.size()); }

 private:
  void check_id(BlockId id) const;
  std::vector<int32_t> refs_;
  std::vector<BlockId> free_;  // LIFO: recently freed blocks are warm in cache
};

// A sequence's block table: block i holds the KV of positions [16 i, 16 i + 16).
class BlockTable {
 public:
  // Grows the table to hold num_tokens positions. Returns false, leaving the table unchanged,
  // when the allocator has too few free blocks.
  bool reserve(BlockAllocator& alloc, int64_t num_tokens);
  // Releases every block (each drops one reference) and empties the table.
  void release_all(BlockAllocator& alloc);
  // A copy sharing every block (refs + 1), for forks.
  BlockTable fork(BlockAllocator& alloc) const;

  const std::vector<BlockId>& blocks() const { return blocks_; }
  int64_t capacity_tokens() const { return int64_t(blocks_.size()) * kBlockSize; }

 private:
  std::vector<BlockId> blocks_;
};

inline int64_t blocks_for_tokens(int64_t n) { return (n + kBlockSize - 1) / kBlockSize; }

}  // namespace sunbae::kv
