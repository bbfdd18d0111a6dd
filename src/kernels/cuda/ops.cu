#include <cuda_bf16.h>

#include <cfloat>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"

namespace sunbae::cuda {

namespace {
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Block-wide sum for blockDim.x a multiple of 32 (<= 1024).
__device__ float block_sum(float v) {
  __shared__ float part[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // part[] may still be read by a previous call
  if (lane == 0) part[warp] = v;
  __syncthreads();
  const int nw = blockDim.x >> 5;
  v = lane < nw ? part[lane] : 0.f;
  return warp_sum(v);
}

unsigned grid_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

__global__ void embedding_kernel(const uint16_t* table, const int32_t* ids, int64_t D, float* out) {
  const int64_t m = blockIdx.x;
  const uint16_t* row = table + int64_t(ids[m]) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) out[m * D + d] = __uint_as_float(uint32_t(row[d]) << 16);
}

__global__ void rmsnorm_kernel(const float* x, const float* w, float eps, int64_t D, float* y) {
  const float* xm = x + blockIdx.x * D;
  float ss = 0.f;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) ss += xm[d] * xm[d];
  ss = block_sum(ss);
  const float inv = rsqrtf(ss / float(D) + eps);
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) y[blockIdx.x * D + d] = w[d] * (xm[d] * inv);
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] += y[i];
}

__global__ void silu_mul_kernel(float* g, const float* u, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const float a = g[i];
    g[i] = a / (1.f + __expf(-a)) * u[i];
  }
}

__global__ void rope_kernel(float* x, int64_t heads, int64_t head_dim, int64_t half, const int32_t* pos,
                            const float* freqs, int64_t freq_stride) {
  const int64_t m = blockIdx.x;
  const float p = float(pos[m]);
  const float* inv_freq = freqs + m * freq_stride;
  for (int64_t t = threadIdx.x; t < heads * half; t += blockDim.x) {
    const int64_t h = t / half, i = t % half;
    float sn, cs;
    sincosf(p * inv_freq[i], &sn, &cs);  // precise sincos: angles reach 1e5 rad at long context
    float* v = x + (m * heads + h) * head_dim;
    const float a = v[i], b = v[i + half];
    v[i] = a * cs - b * sn;
    v[i + half] = b * cs + a * sn;
  }
}

__global__ void add_bias_kernel(float* y, const float* b, int64_t n, int64_t N) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += b[i % N];
}

__global__ void to_bf16_kernel(const float* x, int64_t n, uint16_t* out) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const __nv_bfloat16 h = __float2bfloat16_rn(x[i]);
    out[i] = *reinterpret_cast<const uint16_t*>(&h);
  }
}

__global__ void gather_kernel(const float* src, const int32_t* rows, int64_t D, float* dst) {
  const float* s = src + int64_t(rows[blockIdx.x]) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) dst[int64_t(blockIdx.x) * D + d] = s[d];
}

__global__ void kv_store_kernel(const float* k, const float* v, const int32_t* slots, int64_t stride,
                                float* kp, float* vp) {
  const int64_t r = blockIdx.x;
  const int64_t dst = int64_t(slots[r]) * stride;
  for (int64_t i = threadIdx.x; i < stride; i += blockDim.x) {
    kp[dst + i] = k[r * stride + i];
    vp[dst + i] = v[r * stride + i];
  }
}

// One block per (row, head), kAttnWarps warps: warp w takes the visible positions w, w + W, ...
// four at a time (independent loads in flight), each lane holding head_dim / 32 dims, with an
// online softmax per warp; the warps' partial (max, sum, acc) are merged through shared memory.
constexpr int kMaxDimsPerLane = 8;
constexpr int kAttnWarps = 8;
constexpr int kAttnUnroll = 4;
__global__ void __launch_bounds__(kAttnWarps * 32) attention_kernel(AttnArgs a) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t r = blockIdx.x / a.heads, h = blockIdx.x % a.heads;
  const int64_t kvh = h / (a.heads / a.kv_heads);
  const int64_t D = a.head_dim, stride = a.kv_heads * D;
  const int32_t pos = a.row_pos[r];
  const int32_t* table = a.tables + int64_t(a.row_seq[r]) * a.max_blocks;
  const int64_t lo = a.window > 0 ? max(int64_t(0), int64_t(pos) - a.window + 1) : 0;
  float q[kMaxDimsPerLane], acc[kMaxDimsPerLane];
#pragma unroll
  for (int j = 0; j < kMaxDimsPerLane; ++j) {
    const int64_t d = lane + 32 * j;
    q[j] = d < D ? a.q[(r * a.heads + h) * D + d] * a.scale : 0.f;
    acc[j] = 0.f;
  }
  float mx = -FLT_MAX, sum = 0.f;
  for (int64_t p0 = lo + warp; p0 <= pos; p0 += int64_t(kAttnWarps) * kAttnUnroll) {
    float dot[kAttnUnroll];
    int64_t off[kAttnUnroll];
#pragma unroll
    for (int u = 0; u < kAttnUnroll; ++u) {
      const int64_t p = p0 + int64_t(u) * kAttnWarps;
      off[u] = p <= pos ? (int64_t(table[p / 16]) * 16 + p % 16) * stride + kvh * D : -1;
      float d0 = 0.f;
      if (off[u] >= 0) {
#pragma unroll
        for (int j = 0; j < kMaxDimsPerLane; ++j) {
          const int64_t d = lane + 32 * j;
          if (d < D) d0 += q[j] * a.k_pool[off[u] + d];
        }
      }
      dot[u] = d0;
    }
#pragma unroll
    for (int u = 0; u < kAttnUnroll; ++u) dot[u] = warp_sum(dot[u]);
#pragma unroll
    for (int u = 0; u < kAttnUnroll; ++u) {
      if (off[u] < 0) continue;
      const float nmx = fmaxf(mx, dot[u]);
      const float corr = __expf(mx - nmx), w = __expf(dot[u] - nmx);
      sum = sum * corr + w;
#pragma unroll
      for (int j = 0; j < kMaxDimsPerLane; ++j) {
        const int64_t d = lane + 32 * j;
        if (d < D) acc[j] = acc[j] * corr + w * a.v_pool[off[u] + d];
      }
      mx = nmx;
    }
  }
  __shared__ float s_mx[kAttnWarps], s_sum[kAttnWarps];
  __shared__ float s_acc[kAttnWarps][32 * kMaxDimsPerLane];
  if (lane == 0) s_mx[warp] = mx, s_sum[warp] = sum;
#pragma unroll
  for (int j = 0; j < kMaxDimsPerLane; ++j) s_acc[warp][lane + 32 * j] = acc[j];
  __syncthreads();
  // Merge; a warp that saw no position (short rows) has max -FLT_MAX and weighs nothing.
  float M = -FLT_MAX;
  for (int w = 0; w < kAttnWarps; ++w) M = fmaxf(M, s_mx[w]);
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    float num = 0.f, den = 0.f;
    for (int w = 0; w < kAttnWarps; ++w) {
      const float c = s_mx[w] == -FLT_MAX ? 0.f : __expf(s_mx[w] - M);
      num += c * s_acc[w][d];
      den += c * s_sum[w];
    }
    a.out[(r * a.heads + h) * D + d] = num / den;
  }
}

__global__ void argmax_kernel(const float* logits, int64_t vocab, int32_t* out) {
  const float* row = logits + blockIdx.x * vocab;
  float best = -FLT_MAX;
  int32_t idx = INT32_MAX;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    if (row[i] > best) best = row[i], idx = int32_t(i);
  }
  __shared__ float sv[1024];
  __shared__ int32_t si[1024];
  sv[threadIdx.x] = best;
  si[threadIdx.x] = idx;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) {
      const float ov = sv[threadIdx.x + s];
      const int32_t oi = si[threadIdx.x + s];
      if (ov > sv[threadIdx.x] || (ov == sv[threadIdx.x] && oi < si[threadIdx.x])) sv[threadIdx.x] = ov, si[threadIdx.x] = oi;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = si[0];
}
}  // namespace

void embedding_bf16(const uint16_t* table, const int32_t* ids, int64_t M, int64_t D, float* out, cudaStream_t s) {
  if (M == 0) return;
  embedding_kernel<<<unsigned(M), 256, 0, s>>>(table, ids, D, out);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, float* y, cudaStream_t s) {
  if (M == 0) return;
  rmsnorm_kernel<<<unsigned(M), 512, 0, s>>>(x, w, eps, D, y);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void add_inplace(float* x, const float* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  add_kernel<<<grid_for(n, 256), 256, 0, s>>>(x, y, n);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void silu_mul(float* gate, const float* up, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  silu_mul_kernel<<<grid_for(n, 256), 256, 0, s>>>(gate, up, n);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void rope(float* x, int64_t M, int64_t heads, int64_t head_dim, int64_t rot_dim, const int32_t* positions,
          const float* inv_freq, int64_t freq_stride, cudaStream_t s) {
  if (M == 0) return;
  rope_kernel<<<unsigned(M), 256, 0, s>>>(x, heads, head_dim, rot_dim / 2, positions, inv_freq, freq_stride);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void add_bias(float* y, const float* bias, int64_t M, int64_t N, cudaStream_t s) {
  if (M * N == 0) return;
  add_bias_kernel<<<grid_for(M * N, 256), 256, 0, s>>>(y, bias, M * N, N);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void to_bf16(const float* x, int64_t n, uint16_t* out, cudaStream_t s) {
  if (n == 0) return;
  to_bf16_kernel<<<grid_for(n, 256), 256, 0, s>>>(x, n, out);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void gather_rows(const float* src, const int32_t* rows, int64_t n, int64_t D, float* dst, cudaStream_t s) {
  if (n == 0) return;
  gather_kernel<<<unsigned(n), 256, 0, s>>>(src, rows, D, dst);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void kv_store(const float* k, const float* v, const int32_t* slots, int64_t rows, int64_t kv_heads,
              int64_t head_dim, float* k_pool, float* v_pool, cudaStream_t s) {
  if (rows == 0) return;
  kv_store_kernel<<<unsigned(rows), 256, 0, s>>>(k, v, slots, kv_heads * head_dim, k_pool, v_pool);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void paged_attention(const AttnArgs& a, cudaStream_t s) {
  SUNBAE_CHECK(a.head_dim <= 32 * kMaxDimsPerLane, "paged_attention: head_dim ", a.head_dim, " > ",
               32 * kMaxDimsPerLane);
  SUNBAE_CHECK(a.kv_heads > 0 && a.heads % a.kv_heads == 0, "paged_attention: bad head counts");
  if (a.rows == 0) return;
  attention_kernel<<<unsigned(a.rows * a.heads), kAttnWarps * 32, 0, s>>>(a);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void argmax_rows(const float* logits, int64_t M, int64_t vocab, int32_t* out, cudaStream_t s) {
  if (M == 0) return;
  argmax_kernel<<<unsigned(M), 1024, 0, s>>>(logits, vocab, out);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

}  // namespace sunbae::cuda
