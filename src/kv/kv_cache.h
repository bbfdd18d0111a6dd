#pragma once
// KV storage for the CPU backend: per layer, K and V pools of
// [num_blocks, kBlockSize, num_kv_heads, head_dim] f32, addressed through block tables.
#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "kv/block_allocator.h"

namespace sunbae::kv {

struct KVLayout {
  int64_t num_layers = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t num_blocks = 0;

  int64_t token_stride() const { return num_kv_heads * head_dim; }
  int64_t block_stride() const { return kBlockSize * token_stride(); }
  // Bytes for K and V of every layer.
  int64_t bytes() const { return 2 * num_layers * num_blocks * block_stride() * int64_t(sizeof(float)); }
};

class KVCache {
 public:
  explicit KVCache(const KVLayout& layout);  // throws Error when the memory cannot be had

  const KVLayout& layout() const { return layout_; }
  float* k(int64_t layer) { return pool(layer, 0); }
  float* v(int64_t layer) { return pool(layer, 1); }
  const float* k(int64_t layer) const { return const_cast<KVCache*>(this)->pool(layer, 0); }
  const float* v(int64_t layer) const { return const_cast<KVCache*>(this)->pool(layer, 1); }

 private:
  float* pool(int64_t layer, int kv) {
    return reinterpret_cast<float*>(mem_.data()) + (2 * layer + kv) * layout_.num_blocks * layout_.block_stride();
  }
  KVLayout layout_;
  Buffer mem_;  // [layer][k|v][block][slot][kv_head][head_dim]
};

}  // namespace sunbae::kv
