#include "kv/kv_cache.h"

#include "core/error.h"

namespace sunbae::kv {

KVCache::KVCache(const KVLayout& layout) : layout_(layout) {
  SUNBAE_CHECK(layout.num_layers > 0 && layout.num_kv_heads > 0 && layout.head_dim > 0 &&
                   layout.num_blocks >= 0,
               "KV cache: invalid layout");
  int64_t bytes = 2 * int64_t(sizeof(float));
  for (int64_t f : {layout.num_layers, layout.num_blocks, kBlockSize, layout.num_kv_heads, layout.head_dim})
    SUNBAE_CHECK(!__builtin_mul_overflow(bytes, f, &bytes), "KV cache: size overflows");
  mem_ = Buffer(size_t(bytes), cat("KV cache (", layout.num_blocks, " blocks)"));
}

}  // namespace sunbae::kv
