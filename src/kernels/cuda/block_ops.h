#pragma once
// Fused decoder-block kernels of the CUDA backend (f32 residual stream; half = bf16 or f16, the
// weights' type, for what feeds the tensor-core GEMM). Each has a CPU twin in kernels/cpu and a
// test against it in tests/cuda/test_block_ops.cpp.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

// Where a kernel's output goes: f32, or rounded (to nearest even) to the weights' half type.
enum class OutType { F32, BF16, F16 };
inline OutType half_of(WType w) { return w == WType::BF16 ? OutType::BF16 : OutType::F16; }

// out[m, :] = table[ids[m], :] widened to f32; table [vocab, D] in `type`.
void embedding(const void* table, WType type, const int32_t* ids, int64_t M, int64_t D, float* out, cudaStream_t s);
// y[m, :] = x[m, :] / sqrt(mean(x[m, :]^2) + eps) * w, written as `out`.
void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, void* y, OutType out, cudaStream_t s);
// y[m, :F] = silu(gu[m, :F]) * gu[m, F:2F] (gate and up projections side by side, one GEMM).
void silu_mul_fused(const float* gu, int64_t M, int64_t F, void* y, OutType out, cudaStream_t s);
// dst[i, :] = src[rows[i], :] for i < n, D floats a row.
void gather_rows(const float* src, const int32_t* rows, int64_t n, int64_t D, float* dst, cudaStream_t s);
// x rounded to the half type, for the tensor-core GEMM's activations.
void to_half(const float* x, int64_t n, void* y, OutType out, cudaStream_t s);

// dst[i] = offset + scale * u_i, u_i uniform in [-1, 1) from a hash of (seed, i): random weights
// made on the GPU for benchmarks, so a 7B model needs no host copy.
void fill_uniform(void* dst, int64_t n, OutType t, float scale, float offset, uint64_t seed, cudaStream_t s);

// One pass over the fused q/k/v projection rows qkv[m] = [q (Hq*D) | k (Hkv*D) | v (Hkv*D)]:
// rotate-half RoPE on dims [0, rot) of every q and k head at position pos[m] (frequencies
// inv_freq + m * freq_stride, rot/2 of them), q to q_out [M, Hq, D] f32, and k and v to their
// bf16 cache slots (slots[m] = block * 16 + offset; pools [blocks, 16, Hkv, D]).
struct RopeStoreArgs {
  const float* qkv = nullptr;
  int64_t M = 0, q_heads = 0, kv_heads = 0, head_dim = 0, rot_dim = 0;
  const int32_t* pos = nullptr;
  const float* inv_freq = nullptr;
  int64_t freq_stride = 0;
  const int32_t* slots = nullptr;
  float* q_out = nullptr;
  uint16_t* k_pool = nullptr;
  uint16_t* v_pool = nullptr;
};
void rope_store_qkv(const RopeStoreArgs& a, cudaStream_t s);

}  // namespace sunbae::cuda
