#pragma once
// Decode-time skinny GEMM: y[M, N] = x[M, K] · W[N, K]^T (or y += that) with bf16 or f16
// weights, f32 activations and f32 accumulation, for M = 1..kGemvMaxRows rows (batch-1..16
// decode). Memory-bound: each weight byte is read once with 16-byte coalesced loads.
//
// Which kernel runs (picked by bench/cuda/gemv_bench's variant sweep on an H200):
//   M <  kGemvTensorCoreMinRows (1-3): FP32 FMA, x read as f32: ~1e-6 relative error (summation
//       order only).
//   M >= kGemvTensorCoreMinRows: tensor cores (mma.sync m16n8k16, W as A, x as B, f32 accumulate).
//     M <= kGemvSplitXMaxRows (4-8): x split into a half-precision head and tail (x = hi + lo, two
//       products), so x enters with ~16 significant bits: ~1e-5 relative.
//     M 9-16: x rounded to the weight type once: ~1e-3 relative (bf16's 8 significant bits).
//   With f16 weights the tensor-core paths need |x| < 65504 (f16 range), which normalized
//   activations and attention / SiLU outputs are.
// For M <= kGemvFusedMaxRows the FMA kernel also fuses what surrounds a decode-step projection
// (one launch instead of three, and no round trip of the intermediate through memory):
//   prologue: RMSNorm of x's rows (x / rms(x) * norm_w), the sum of squares taken from the same
//             x loads the product uses;
//   epilogue: SiLU(gate) * up over the interleaved gate/up rows, or RoPE + the q / KV-cache store
//             over the pair-interleaved q/k/v rows (fused_layout.h).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/fused_layout.h"

namespace sunbae::cuda {

constexpr int kGemvMaxRows = 16;
constexpr int kGemvTensorCoreMinRows = 4;
constexpr int kGemvSplitXMaxRows = 8;
constexpr int kGemvFusedMaxRows = kGemvTensorCoreMinRows - 1;

enum class WType { BF16, F16 };

enum class GemvEpilogue {
  Store,      // y[m, n] (=/+=) result
  SiluPairs,  // y[m, f] = silu(result[2f]) * result[2f + 1]; y is [M, N/2]
  RopeQkv,    // rope_store_pair over rows (2i, 2i + 1) into GemvArgs::rope's outputs; y unused
};

struct GemvArgs {
  const float* x = nullptr;   // [M, K] f32, 16-byte aligned
  int M = 1;
  const void* w = nullptr;    // [N, K] bf16 or f16, 16-byte aligned
  WType wtype = WType::BF16;
  const float* bias = nullptr;  // [N] or null
  int64_t N = 0, K = 0;       // K % 8 == 0
  float* y = nullptr;         // [M, N] f32
  bool accumulate = false;    // y += x · W^T (+ bias): the residual add fused into the epilogue
  // Fused parts (M <= kGemvFusedMaxRows only):
  const float* norm_w = nullptr;  // [K]: x's rows are RMS-normalized with these weights first
  float norm_eps = 0.f;
  GemvEpilogue epilogue = GemvEpilogue::Store;
  RopeStoreArgs rope;             // RopeQkv's outputs (qkv and M unused)
};
void gemv(const GemvArgs& a, cudaStream_t stream);
// What gemv() runs for M rows, for bench tables and logs ("fma r2 u4", "mma split w8 u4", ...).
const char* gemv_kernel_name(int M);

// The earlier entry point: bf16 weights, y = x · W^T + bias, M <= 8.
void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K,
               float* y, cudaStream_t stream);

}  // namespace sunbae::cuda
