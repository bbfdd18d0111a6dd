#pragma once
// Fused decoder-block kernels of the CUDA backend (f32 residual stream; half = bf16 or f16, the
// weights' type, for what feeds the tensor-core GEMM). Each has a CPU twin in kernels/cpu and a
// test against it in tests/cuda/test_block_ops.cpp.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/fused_layout.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

// Where a kernel's output goes: f32, or rounded (to nearest even) to the weights' half type.
enum class OutType { F32, BF16, F16 };
inline OutType half_of(WType w) { return w == WType::BF16 ? OutType::BF16 : OutType::F16; }

// out[m, :] = table[ids[m], :] widened to f32; table [vocab, D] in `type`.
void embedding(const void* table, WType type, const int32_t* ids, int64_t M, int64_t D, float* out, cudaStream_t s);
// y[m, :] = x[m, :] / sqrt(mean(x[m, :]^2) + eps) * w, written as `out`.
void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, void* y, OutType out, cudaStream_t s);
// y[m, f] = silu(gu[m, 2f]) * gu[m, 2f + 1] (the interleaved gate/up rows of fused_layout.h).
void silu_mul_fused(const float* gu, int64_t M, int64_t F, void* y, OutType out, cudaStream_t s);
// dst[i, :] = src[rows[i], :] for i < n, D floats a row.
void gather_rows(const float* src, const int32_t* rows, int64_t n, int64_t D, float* dst, cudaStream_t s);
// x rounded to the half type, for the tensor-core GEMM's activations.
void to_half(const float* x, int64_t n, void* y, OutType out, cudaStream_t s);

// dst[i] = offset + scale * u_i, u_i uniform in [-1, 1) from a hash of (seed, i): random weights
// made on the GPU for benchmarks, so a 7B model needs no host copy.
void fill_uniform(void* dst, int64_t n, OutType t, float scale, float offset, uint64_t seed, cudaStream_t s);

// One pass over the fused q/k/v projection rows a.qkv (GPU row order, fused_layout.h): RoPE on
// the q and k heads, q to a.q_out, k and v to their bf16 cache slots; the unfused twin of the
// decode GEMV's RopeQkv epilogue.
void rope_store_qkv(const RopeStoreArgs& a, cudaStream_t s);

}  // namespace sunbae::cuda
