#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

namespace {
constexpr int kWarps = 8;   // per block; one output row per warp
constexpr int kUnroll = 4;  // 16-byte weight loads in flight per lane

template <bool BF16>
__device__ __forceinline__ void widen8(const uint4& v, float (&f)[8]) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (BF16) {
      f[2 * i] = __uint_as_float(w[i] << 16);
      f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    } else {
      const float2 p = __half22float2(*reinterpret_cast<const __half2*>(&w[i]));
      f[2 * i] = p.x;
      f[2 * i + 1] = p.y;
    }
  }
}

template <int M, bool BF16>
__device__ __forceinline__ void fma_chunk(const uint4& wv, const float* __restrict__ x, int64_t K, int64_t k,
                                          float (&acc)[M]) {
  float f[8];
  widen8<BF16>(wv, f);
#pragma unroll
  for (int m = 0; m < M; ++m) {
    const float4 a = __ldg(reinterpret_cast<const float4*>(x + m * K + k));
    const float4 b = __ldg(reinterpret_cast<const float4*>(x + m * K + k + 4));
    acc[m] += f[0] * a.x + f[1] * a.y + f[2] * a.z + f[3] * a.w + f[4] * b.x + f[5] * b.y + f[6] * b.z + f[7] * b.w;
  }
}

template <int M, bool BF16>
__global__ void __launch_bounds__(kWarps * 32)
    gemv_kernel(const float* __restrict__ x, const uint16_t* __restrict__ w, const float* __restrict__ bias,
                int64_t N, int64_t K, float* __restrict__ y, bool accumulate) {
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (n >= N) return;
  const uint4* wrow = reinterpret_cast<const uint4*>(w + n * K);
  const int64_t chunks = K / 8;  // 8 halves per 16-byte load
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = 0.f;
  int64_t c = lane;
  for (; c + 32 * (kUnroll - 1) < chunks; c += 32 * kUnroll) {
    uint4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = __ldg(wrow + c + 32 * u);  // all loads issued first
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) fma_chunk<M, BF16>(v[u], x, K, (c + 32 * u) * 8, acc);
  }
  for (; c < chunks; c += 32) fma_chunk<M, BF16>(__ldg(wrow + c), x, K, c * 8, acc);
#pragma unroll
  for (int m = 0; m < M; ++m) {
    float s = acc[m];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0) {
      s += bias ? bias[n] : 0.f;
      y[m * N + n] = accumulate ? y[m * N + n] + s : s;
    }
  }
}

template <int M>
void launch(const GemvArgs& a, cudaStream_t s) {
  const unsigned blocks = unsigned((a.N + kWarps - 1) / kWarps);
  const auto* w = static_cast<const uint16_t*>(a.w);
  if (a.wtype == WType::BF16)
    gemv_kernel<M, true><<<blocks, kWarps * 32, 0, s>>>(a.x, w, a.bias, a.N, a.K, a.y, a.accumulate);
  else
    gemv_kernel<M, false><<<blocks, kWarps * 32, 0, s>>>(a.x, w, a.bias, a.N, a.K, a.y, a.accumulate);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

template <int... Ms>
void dispatch(const GemvArgs& a, cudaStream_t s, std::integer_sequence<int, Ms...>) {
  ((a.M == Ms + 1 ? launch<Ms + 1>(a, s) : void()), ...);
}
}  // namespace

void gemv(const GemvArgs& a, cudaStream_t stream) {
  SUNBAE_CHECK(a.M >= 1 && a.M <= kGemvMaxRows, "gemv: M = ", a.M, " outside 1..", kGemvMaxRows);
  SUNBAE_CHECK(a.K % 8 == 0, "gemv: K = ", a.K, " is not a multiple of 8");
  SUNBAE_CHECK(reinterpret_cast<uintptr_t>(a.w) % 16 == 0 && reinterpret_cast<uintptr_t>(a.x) % 16 == 0,
               "gemv: operands must be 16-byte aligned");
  if (a.N == 0) return;
  dispatch(a, stream, std::make_integer_sequence<int, kGemvMaxRows>{});
}

void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K, float* y,
               cudaStream_t stream) {
  SUNBAE_CHECK(M >= 1 && M <= 8, "gemv_bf16: M = ", M, " outside 1..8");
  GemvArgs a;
  a.x = x;
  a.M = M;
  a.w = w;
  a.bias = bias;
  a.N = N;
  a.K = K;
  a.y = y;
  gemv(a, stream);
}

}  // namespace sunbae::cuda
