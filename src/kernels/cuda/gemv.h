#pragma once
// Decode-time skinny GEMM: y[M, N] = x[M, K] · W[N, K]^T with bf16 weights, f32 activations and
// accumulation, for M = 1..8 rows (batch-1..8 decode). Memory-bound: each weight byte is read
// once with 16-byte coalesced loads; x comes through L1.
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

constexpr int kGemvMaxRows = 8;

// Requirements: 1 <= M <= kGemvMaxRows, K % 8 == 0, W and x 16-byte aligned. bias may be null.
void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K,
               float* y, cudaStream_t stream);

}  // namespace sunbae::cuda
