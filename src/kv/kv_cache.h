#pragma once
// KV storage for the CPU backend: per layer, K and V pools of
// [num_blocks, kBlockSize, num_kv_heads, head_dim] f32, addressed through block tables.
#include <cstdint>
#include <vector>

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
  float* k(int64_t layer) { return k_[size_t(layer)].data(); }
  float* v(int64_t layer) { return v_[size_t(layer)].data(); }
  const float* k(int64_t layer) const { return k_[size_t(layer)].data(); }
  const float* v(int64_t layer) const { return v_[size_t(layer)].data(); }

 private:
  KVLayout layout_;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace sunbae::kv
