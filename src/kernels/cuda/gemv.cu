#include <cuda_bf16.h>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

namespace {
constexpr int kWarps = 8;  // per block; one output row per warp
constexpr int kUnroll = 4; // 16-byte weight loads in flight per lane

__device__ __forceinline__ void widen8(const uint4& v, float (&f)[8]) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    f[2 * i] = __uint_as_float(w[i] << 16);
    f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

template <int M>
__global__ void __launch_bounds__(kWarps * 32)
    gemv_bf16_kernel(const float* __restrict__ x, const uint16_t* __restrict__ w,
                     const float* __restrict__ bias, int64_t N, int64_t K, float* __restrict__ y) {
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (n >= N) return;
  const uint4* wrow = reinterpret_cast<const uint4*>(w + n * K);
  const int64_t chunks = K / 8;  // 8 bf16 per 16-byte load
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = 0.f;

  int64_t c = lane;
  for (; c + 32 * (kUnroll - 1) < chunks; c += 32 * kUnroll) {
    uint4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = __ldg(wrow + c + 32 * u);  // all loads issued first
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float f[8];
      widen8(v[u], f);
      const int64_t k = (c + 32 * u) * 8;
#pragma unroll
      for (int m = 0; m < M; ++m) {
        const float4 a = __ldg(reinterpret_cast<const float4*>(x + m * K + k));
        const float4 b = __ldg(reinterpret_cast<const float4*>(x + m * K + k + 4));
        acc[m] += f[0] * a.x + f[1] * a.y + f[2] * a.z + f[3] * a.w + f[4] * b.x + f[5] * b.y +
                  f[6] * b.z + f[7] * b.w;
      }
    }
  }
  for (; c < chunks; c += 32) {
    float f[8];
    widen8(__ldg(wrow + c), f);
    const int64_t k = c * 8;
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const float4 a = __ldg(reinterpret_cast<const float4*>(x + m * K + k));
      const float4 b = __ldg(reinterpret_cast<const float4*>(x + m * K + k + 4));
      acc[m] += f[0] * a.x + f[1] * a.y + f[2] * a.z + f[3] * a.w + f[4] * b.x + f[5] * b.y +
                f[6] * b.z + f[7] * b.w;
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) {
    float s = acc[m];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0) y[m * N + n] = s + (bias ? bias[n] : 0.f);
  }
}

template <int M>
void launch(const float* x, const uint16_t* w, const float* bias, int64_t N, int64_t K, float* y,
            cudaStream_t stream) {
  const unsigned blocks = unsigned((N + kWarps - 1) / kWarps);
  gemv_bf16_kernel<M><<<blocks, kWarps * 32, 0, stream>>>(x, w, bias, N, K, y);
  SUNBAE_CUDA_CHECK_LAUNCH();
}
}  // namespace

void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K,
               float* y, cudaStream_t stream) {
  SUNBAE_CHECK(K % 8 == 0, "gemv_bf16: K = ", K, " is not a multiple of 8");
  SUNBAE_CHECK(reinterpret_cast<uintptr_t>(w) % 16 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0,
               "gemv_bf16: operands must be 16-byte aligned");
  switch (M) {
    case 1: return launch<1>(x, w, bias, N, K, y, stream);
    case 2: return launch<2>(x, w, bias, N, K, y, stream);
    case 3: return launch<3>(x, w, bias, N, K, y, stream);
    case 4: return launch<4>(x, w, bias, N, K, y, stream);
    case 5: return launch<5>(x, w, bias, N, K, y, stream);
    case 6: return launch<6>(x, w, bias, N, K, y, stream);
    case 7: return launch<7>(x, w, bias, N, K, y, stream);
    case 8: return launch<8>(x, w, bias, N, K, y, stream);
    default: fail("gemv_bf16: M = ", M, " outside 1..", kGemvMaxRows);
  }
}

}  // namespace sunbae::cuda
