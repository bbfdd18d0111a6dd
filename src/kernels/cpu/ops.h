#pragma once
// Elementwise and normalisation kernels of the decoder block, f32 activations.
#include <cstdint>

#include "core/tensor.h"

namespace sunbae::kernels::cpu {

// out[m, :] = table[ids[m], :] widened to f32; table is [vocab, D] in F32/BF16/F16
// or a quantized format (each looked-up row dequantized).
void embedding(const TensorView& table, const int32_t* ids, int64_t M, float* out);

// y = x / sqrt(mean(x^2) + eps) * w, row by row ([M, D]); y may alias x.
void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, float* y);

// y = (x - mean(x)) / sqrt(var(x) + eps) * w + b, row by row ([M, D], biased variance as
// torch.nn.LayerNorm); y may alias x.
void layernorm(const float* x, const float* w, const float* b, float eps, int64_t M, int64_t D, float* y);

// x += y over n elements.
void add_inplace(float* x, const float* y, int64_t n);

// gate[m, :] = silu(gate[m, :]) * up[m, :]  ([M, F]).
void silu_mul(float* gate, const float* up, int64_t M, int64_t F);

// x = gelu(x) = x / 2 * (1 + erf(x / sqrt(2))) over n elements: the exact form, transformers'
// "gelu" (torch.nn.functional.gelu with approximate="none").
void gelu(float* x, int64_t n);

// Rotary embedding, rotate-half layout (Llama/HF): for each of M rows of `heads` heads of
// `head_dim`, the first rot_dim dims rotate by angle pos * inv_freq[i] (i < rot_dim / 2).
// positions[m] and inv_freq_rows[m] (a pointer to rot_dim / 2 frequencies) are per row, so one
// call serves a batch of sequences with their own positions and (dynamic) frequencies.
void rope(float* x, int64_t M, int64_t heads, int64_t head_dim, int64_t rot_dim,
          const int64_t* positions, const float* const* inv_freq_rows);

}  // namespace sunbae::kernels::cpu
