#pragma once
// Decode-time skinny GEMM: y[M, N] = x[M, K] · W[N, K]^T (or y += that) with bf16 or f16
// weights, f32 activations and f32 accumulation, for M = 1..kGemvMaxRows rows (batch-1..16
// decode). Memory-bound: each weight byte is read once with 16-byte coalesced loads.
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

constexpr int kGemvMaxRows = 16;

enum class WType { BF16, F16 };

struct GemvArgs {
  const float* x = nullptr;   // [M, K] f32, 16-byte aligned
  int M = 1;
  const void* w = nullptr;    // [N, K] bf16 or f16, 16-byte aligned
  WType wtype = WType::BF16;
  const float* bias = nullptr;  // [N] or null
  int64_t N = 0, K = 0;       // K % 8 == 0
  float* y = nullptr;         // [M, N] f32
  bool accumulate = false;    // y += x · W^T (+ bias): the residual add fused into the epilogue
};
void gemv(const GemvArgs& a, cudaStream_t stream);

// The earlier entry point: bf16 weights, y = x · W^T + bias, M <= 8.
void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K,
               float* y, cudaStream_t stream);

}  // namespace sunbae::cuda
