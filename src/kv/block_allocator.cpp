#include "kv/block_allocator.h"

#include "core/error.h"

namespace sunbae::kv {

BlockAllocator::BlockAllocator(int64_t num_blocks) {
  SUNBAE_CHECK(num_blocks >= 0 && num_blocks <= INT32_MAX, "KV cache: bad block count ", num_blocks);
  refs_.assign(size_t(num_blocks), 0);
  free_.reserve(size_t(num_blocks));
  for (int64_t i = num_blocks - 1; i >= 0; --i) free_.push_back(BlockId(i));
}

void BlockAllocator::check_id(BlockId id) const {
  SUNBAE_CHECK(id >= 0 && size_t(id) < refs_.size(), "KV cache: block id ", id,
               " out of range (", refs_.size(), " blocks)");
}

std::optional<BlockId> BlockAllocator::allocate() {
  if (free_.empty()) return std::nullopt;
  BlockId id = free_.back();
  free_.pop_back();
  refs_[size_t(id)] = 1;
  return id;
}

void BlockAllocator::ref(BlockId id) {
  check_id(id);
  SUNBAE_CHECK(refs_[size_t(id)] > 0, "KV cache: ref of free block ", id);
  ++refs_[size_t(id)];
}

void BlockAllocator::release(BlockId id) {
  check_id(id);
  SUNBAE_CHECK(refs_[size_t(id)] > 0, "KV cache: double free of block ", id);
  if (--refs_[size_t(id)] == 0) free_.push_back(id);
}

int64_t BlockAllocator::ref_count(BlockId id) const {
  check_id(id);
  return refs_[size_t(id)];
}

bool BlockTable::reserve(BlockAllocator& alloc, int64_t num_tokens) {
  const int64_t need = blocks_for_tokens(num_tokens) - int64_t(blocks_.size());
  if (need <= 0) return true;
  if (alloc.num_free() < need) return false;
  for (int64_t i = 0; i < need; ++i) blocks_.push_back(*alloc.allocate());
  return true;
}

void BlockTable::release_all(BlockAllocator& alloc) {
  for (BlockId id : blocks_) alloc.release(id);
  blocks_.clear();
}

BlockTable BlockTable::fork(BlockAllocator& alloc) const {
  for (BlockId id : blocks_) alloc.ref(id);
  BlockTable copy;
  copy.blocks_ = blocks_;
  return copy;
}

}  // namespace sunbae::kv
