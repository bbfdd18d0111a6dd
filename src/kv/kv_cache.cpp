#include "kv/kv_cache.h"

#include "core/error.h"

namespace sunbae::kv {

KVCache::KVCache(const KVLayout& layout) : layout_(layout) {
  SUNBAE_CHECK(layout.num_layers > 0 && layout.num_kv_heads > 0 && layout.head_dim > 0 &&
                   layout.num_blocks >= 0,
               "KV cache: invalid layout");
  mem_ = Buffer(size_t(layout.bytes()), cat("KV cache (", layout.num_blocks, " blocks)"));
}

}  // namespace sunbae::kv
