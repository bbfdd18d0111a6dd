#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "kernels/cuda/block_ops.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/pdl.cuh"
#include "kernels/cuda/rope_pair.cuh"

namespace sunbae::cuda {

namespace {
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ float block_sum(float v) {
  __shared__ float part[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = lane < int(blockDim.x >> 5) ? part[lane] : 0.f;
  return warp_sum(v);
}

__device__ __forceinline__ float half_to_f32(uint16_t h, bool bf16) {
  return bf16 ? __uint_as_float(uint32_t(h) << 16) : __half2float(__ushort_as_half(h));
}

__device__ __forceinline__ uint16_t f32_to_half(float f, bool bf16) {
  return bf16 ? __bfloat16_as_ushort(__float2bfloat16_rn(f)) : __half_as_ushort(__float2half_rn(f));
}

__device__ __forceinline__ void store(void* y, int64_t i, float v, OutType t) {
  if (t == OutType::F32)
    static_cast<float*>(y)[i] = v;
  else
    static_cast<uint16_t*>(y)[i] = f32_to_half(v, t == OutType::BF16);
}

unsigned grid_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

__global__ void embedding_kernel(const uint16_t* table, bool bf16, const int32_t* ids, int64_t D, float* out) {
  pdl_wait();
  pdl_trigger();
  const uint16_t* row = table + int64_t(ids[blockIdx.x]) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) out[blockIdx.x * D + d] = half_to_f32(row[d], bf16);
}

__global__ void rmsnorm_kernel(const float* x, const float* w, float eps, int64_t D, void* y, OutType t) {
  pdl_wait();
  pdl_trigger();
  const float* xm = x + blockIdx.x * D;
  float ss = 0.f;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) ss += xm[d] * xm[d];
  const float inv = rsqrtf(block_sum(ss) / float(D) + eps);
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) store(y, blockIdx.x * D + d, w[d] * (xm[d] * inv), t);
}

__global__ void silu_mul_kernel(const float* gu, int64_t F, int64_t n, void* y, OutType t) {
  pdl_wait();
  pdl_trigger();
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int64_t m = i / F, f = i % F;
  store(y, i, silu_times(gu[m * 2 * F + 2 * f], gu[m * 2 * F + 2 * f + 1]), t);
}

__global__ void to_half_kernel(const float* x, int64_t n, void* y, OutType t) {
  pdl_wait();
  pdl_trigger();
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) store(y, i, x[i], t);
}

__global__ void gather_kernel(const float* src, const int32_t* rows, int64_t D, float* dst) {
  pdl_wait();
  pdl_trigger();
  const float* r = src + int64_t(rows[blockIdx.x]) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) dst[int64_t(blockIdx.x) * D + d] = r[d];
}

__device__ __forceinline__ uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

__global__ void fill_kernel(void* dst, int64_t n, OutType t, float scale, float offset, uint64_t seed) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float u = 2.f * float(mix64(seed ^ (uint64_t(i) * 0x632be59bd9b4e019ull)) >> 40) / float(1 << 24) - 1.f;
    store(dst, i, offset + scale * u, t);
  }
}

// One block per row; thread t takes the row's pair (2t, 2t + 1).
__global__ void rope_store_kernel(RopeStoreArgs a) {
  pdl_wait();
  pdl_trigger();
  const int64_t m = blockIdx.x, W = (a.q_heads + 2 * a.kv_heads) * a.head_dim;
  const float* row = a.qkv + m * W;
  for (int64_t t = threadIdx.x; t < W / 2; t += blockDim.x) rope_store_pair(a, m, 2 * t, row[2 * t], row[2 * t + 1]);
}
}  // namespace

void embedding(const void* table, WType type, const int32_t* ids, int64_t M, int64_t D, float* out, cudaStream_t s) {
  if (M == 0) return;
  launch_pdl(embedding_kernel, unsigned(M), 256, 0, s, static_cast<const uint16_t*>(table), type == WType::BF16, ids, D, out);
}

void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, void* y, OutType out, cudaStream_t s) {
  if (M == 0) return;
  launch_pdl(rmsnorm_kernel, unsigned(M), 512, 0, s, x, w, eps, D, y, out);
}

void silu_mul_fused(const float* gu, int64_t M, int64_t F, void* y, OutType out, cudaStream_t s) {
  if (M * F == 0) return;
  launch_pdl(silu_mul_kernel, grid_for(M * F, 256), 256, 0, s, gu, F, M * F, y, out);
}

void to_half(const float* x, int64_t n, void* y, OutType out, cudaStream_t s) {
  if (n == 0) return;
  launch_pdl(to_half_kernel, grid_for(n, 256), 256, 0, s, x, n, y, out);
}

void gather_rows(const float* src, const int32_t* rows, int64_t n, int64_t D, float* dst, cudaStream_t s) {
  if (n == 0) return;
  launch_pdl(gather_kernel, unsigned(n), 256, 0, s, src, rows, D, dst);
}

void fill_uniform(void* dst, int64_t n, OutType t, float scale, float offset, uint64_t seed, cudaStream_t s) {
  if (n == 0) return;
  fill_kernel<<<unsigned(std::min<int64_t>(grid_for(n, 256), 8192)), 256, 0, s>>>(dst, n, t, scale, offset, seed);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void rope_store_qkv(const RopeStoreArgs& a, cudaStream_t s) {
  SUNBAE_CHECK(a.rot_dim % 2 == 0 && a.head_dim % 2 == 0 && a.rot_dim <= a.head_dim, "rope_store_qkv: bad rotary dims");
  if (a.M == 0) return;
  launch_pdl(rope_store_kernel, unsigned(a.M), 256, 0, s, a);
}

}  // namespace sunbae::cuda
