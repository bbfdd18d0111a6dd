#include "kv/kv_cache.h"

#include <new>

#include "core/error.h"

namespace sunbae::kv {

KVCache::KVCache(const KVLayout& layout) : layout_(layout) {
  SUNBAE_CHECK(layout.num_layers > 0 && layout.num_kv_heads > 0 && layout.head_dim > 0 &&
                   layout.num_blocks >= 0,
               "KV cache: invalid layout");
  const size_t per_layer = size_t(layout.num_blocks) * size_t(layout.block_stride());
  try {
    k_.resize(size_t(layout.num_layers));
    v_.resize(size_t(layout.num_layers));
    for (int64_t l = 0; l < layout.num_layers; ++l) {
      k_[size_t(l)].resize(per_layer);
      v_[size_t(l)].resize(per_layer);
    }
  } catch (const std::bad_alloc&) {
    fail("KV cache: could not allocate ", layout.bytes() / (1 << 20), " MiB for ",
         layout.num_blocks, " blocks");
  }
}

}  // namespace sunbae::kv
