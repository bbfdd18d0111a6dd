#pragma once
// Causal GQA attention over the paged KV cache, for a varlen batch.
#include <cstdint>

#include "kv/block_allocator.h"

namespace sunbae::kernels::cpu {

// One sequence's slice of the batch: rows [row0, row0 + n_new) of q/k/v/out hold its new tokens,
// at positions [start_pos, start_pos + n_new); its block table covers at least those positions.
struct AttnSeq {
  int64_t row0 = 0;
  int64_t n_new = 0;
  int64_t start_pos = 0;
  const kv::BlockId* blocks = nullptr;
  int64_t n_blocks = 0;
};

struct AttnShape {
  int64_t num_heads = 0;     // query heads
  int64_t num_kv_heads = 0;  // divides num_heads
  int64_t head_dim = 0;
  float scale = 1.0f;        // usually 1 / sqrt(head_dim)
  int64_t window = 0;        // > 0: a query at p sees keys at positions > p - window
};

// Stores the new tokens' K and V ([rows, num_kv_heads, head_dim]) into their cache slots.
void kv_store(const float* k, const float* v, const AttnSeq* seqs, int64_t n_seqs,
              const AttnShape& shape, float* k_pool, float* v_pool);

// out[row, h, :] = softmax(q[row, h] · K^T * scale) V over the keys the query may see, read from
// the pools ([blocks, kBlockSize, num_kv_heads, head_dim]). Call after kv_store for this step.
void paged_attention(const float* q, const AttnSeq* seqs, int64_t n_seqs, const AttnShape& shape,
                     const float* k_pool, const float* v_pool, float* out);

}  // namespace sunbae::kernels::cpu
