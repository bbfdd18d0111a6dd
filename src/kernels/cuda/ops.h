#pragma once
// Decoder-block kernels of the CUDA backend, f32 activations, one launch each; every one has a
// CPU reference in kernels/cpu and a test against it (tests/cuda).
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

// out[m, :] = table[ids[m], :] (bf16 table [vocab, D]) widened to f32.
void embedding_bf16(const uint16_t* table, const int32_t* ids, int64_t M, int64_t D, float* out,
                    cudaStream_t s);
// y = x / sqrt(mean(x^2) + eps) * w, per row of D.
void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, float* y, cudaStream_t s);
// x += y over n elements.
void add_inplace(float* x, const float* y, int64_t n, cudaStream_t s);
// gate = silu(gate) * up over n elements.
void silu_mul(float* gate, const float* up, int64_t n, cudaStream_t s);
// Rotate-half RoPE on M rows of `heads` heads: dims [0, rot) rotate by positions[m] * f[i] with
// f = inv_freq + m * freq_stride (rot / 2 values; stride 0 shares one table, rot / 2 gives each
// row its own, as dynamic NTK scaling needs).
void rope(float* x, int64_t M, int64_t heads, int64_t head_dim, int64_t rot_dim,
          const int32_t* positions, const float* inv_freq, int64_t freq_stride, cudaStream_t s);
// y[m, n] += bias[n] for M rows of N.
void add_bias(float* y, const float* bias, int64_t M, int64_t N, cudaStream_t s);
// bf16 copy of f32 values (round to nearest even), for the tensor-core GEMM's activations.
void to_bf16(const float* x, int64_t n, uint16_t* out, cudaStream_t s);
// dst[i, :] = src[rows[i], :] for i < n, D floats a row.
void gather_rows(const float* src, const int32_t* rows, int64_t n, int64_t D, float* dst, cudaStream_t s);

// Paged KV layout as the CPU backend: [blocks, 16, kv_heads, head_dim] f32 per layer and K/V.
// slots[r] = block * 16 + offset of row r's position.
void kv_store(const float* k, const float* v, const int32_t* slots, int64_t rows, int64_t kv_heads,
              int64_t head_dim, float* k_pool, float* v_pool, cudaStream_t s);

// Causal GQA attention over the paged cache for a varlen batch: row r attends to positions
// [lo, pos[r]] of its sequence, read through its block table. row_seq[r] picks the sequence;
// tables is [n_seqs, max_blocks]. window > 0: lo = pos - window + 1.
struct AttnArgs {
  const float* q;           // [rows, heads, head_dim]
  const float* k_pool;
  const float* v_pool;
  const int32_t* row_pos;   // [rows]
  const int32_t* row_seq;   // [rows]
  const int32_t* tables;    // [n_seqs, max_blocks]
  int64_t max_blocks;
  int64_t rows, heads, kv_heads, head_dim;
  float scale;
  int64_t window;
  float* out;               // [rows, heads, head_dim]
};
void paged_attention(const AttnArgs& a, cudaStream_t s);

// out[m] = index of the largest of logits[m, :vocab] (first on ties).
void argmax_rows(const float* logits, int64_t M, int64_t vocab, int32_t* out, cudaStream_t s);

}  // namespace sunbae::cuda
