#pragma once
// Attention over the paged bf16 KV cache, for a varlen batch (rows = new tokens of all sequences,
// sequence by sequence). Two kernels behind one metadata struct:
//  - decode_attention: any batch, one (row, head) pair per block group, positions split across
//    blocks (split-K) and merged; its launch shape depends only on (rows, heads, kv capacity), so
//    a step can be captured in a CUDA graph and replayed while sequences grow.
//  - prefill_attention: flash attention on tensor cores for rows that come in runs (prompts and
//    prefill chunks); its launch shape depends on max_seq_rows, known on the host.
// Both compute out[r, h] = softmax(scale · q[r, h] · K^T) V over the positions row r may see:
// [lo, row_pos[r]] of its sequence, lo = row_pos[r] - window + 1 when window > 0, else 0.
// Cache layout: [blocks, 16, kv_heads, head_dim] bf16 per layer, for K and V alike.
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

struct AttnBatch {
  const float* q = nullptr;          // [rows, heads, head_dim] f32, RoPE applied
  const uint16_t* k_pool = nullptr;  // bf16 [blocks, 16, kv_heads, head_dim]
  const uint16_t* v_pool = nullptr;
  const int32_t* row_pos = nullptr;  // [rows] position of each row
  const int32_t* row_seq = nullptr;  // [rows] sequence of each row
  const int32_t* seq_row0 = nullptr; // [n_seqs] first row of each sequence (prefill only)
  const int32_t* seq_rows = nullptr; // [n_seqs] number of rows of each sequence (prefill only)
  const int32_t* tables = nullptr;   // [n_seqs, max_blocks] block ids
  int64_t max_blocks = 0;            // row stride of tables = KV capacity in blocks of one sequence
  int64_t rows = 0, n_seqs = 0;
  int64_t max_seq_rows = 0;          // host-known max of seq_rows (prefill only)
  int64_t heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 1.f;
  int64_t window = 0;
  float* out = nullptr;              // [rows, heads, head_dim] f32
  float* workspace = nullptr;        // decode split-K partials: decode_workspace_floats() floats
};

// Head dims the kernels are built for (the seed models': 64, 128, 256; the tiny fixtures' too).
bool attention_supports_head_dim(int64_t head_dim);
// Floats of workspace decode_attention needs for this shape.
int64_t decode_workspace_floats(int64_t rows, int64_t heads, int64_t head_dim, int64_t max_blocks);
void decode_attention(const AttnBatch& a, cudaStream_t s);
void prefill_attention(const AttnBatch& a, cudaStream_t s);

// k, v: [rows, kv_heads, head_dim] f32 -> bf16 cache slots (slots[r] = block * 16 + offset).
void kv_store_bf16(const float* k, const float* v, const int32_t* slots, int64_t rows, int64_t kv_heads,
                   int64_t head_dim, uint16_t* k_pool, uint16_t* v_pool, cudaStream_t s);

}  // namespace sunbae::cuda
