#pragma once
// Device code of the decode GEMV, shared by the library (gemv.cu instantiates the chosen
// configurations) and the bench's variant sweep (bench/cuda/gemv_variants.cu). Both kernels read
// every weight byte once with 16-byte loads and keep several such loads in flight per thread, all
// issued before any is consumed, because the kernel is bound by how many bytes are in flight.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/gemv.h"
#include "kernels/cuda/pdl.cuh"
#include "kernels/cuda/rope_pair.cuh"

namespace sunbae::cuda::gemv_detail {

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

__device__ __forceinline__ float dot8(const float (&f)[8], const float4& a, const float4& b) {
  return f[0] * a.x + f[1] * a.y + f[2] * a.z + f[3] * a.w + f[4] * b.x + f[5] * b.y + f[6] * b.z + f[7] * b.w;
}

__device__ __forceinline__ void store(float* __restrict__ y, int64_t i, float s, bool accumulate) {
  y[i] = accumulate ? y[i] + s : s;
}

// What the FMA kernel fuses around the product (gemv.h): passed by value, read in the epilogue.
struct FmaFused {
  const float* norm_w = nullptr;
  float eps = 0.f;
  GemvEpilogue epilogue = GemvEpilogue::Store;
  RopeStoreArgs rope;
};

// FP32-FMA path. A warp owns R consecutive output rows and its lanes stride over K in 16-byte
// chunks; each x chunk is read once for all R rows, which is what keeps L1 traffic for x below
// the weight traffic when M > 1 (per 16 weight bytes a lane reads M * 32 / R bytes of x). Every
// warp sees all of x, so with NORM it also sums x^2 on the way and scales its dot products by
// 1 / rms at the end: RMSNorm costs no pass of its own. The first round of weight loads is issued
// before pdl_wait (weights are constant), so under programmatic dependent launch they are in
// flight while the previous kernel drains.
template <int M, bool BF16, int R, int U, int WARPS, bool NORM = false, bool PIPE = false>
__global__ void __launch_bounds__(WARPS * 32)
    fma_kernel(const float* __restrict__ x, const uint16_t* __restrict__ w, const float* __restrict__ bias,
               int64_t N, int64_t K, float* __restrict__ y, bool accumulate, FmaFused fused) {
  const int lane = threadIdx.x & 31;
  const int64_t n0 = (int64_t(blockIdx.x) * WARPS + (threadIdx.x >> 5)) * R;
  if (n0 >= N) return;
  const int64_t chunks = K / 8;  // 8 halves per 16-byte load
  const uint4* wr[R];
#pragma unroll
  for (int r = 0; r < R; ++r) wr[r] = reinterpret_cast<const uint4*>(w + (n0 + r < N ? n0 + r : N - 1) * K);
  float acc[R][M], ss[M];
#pragma unroll
  for (int m = 0; m < M; ++m) {
    ss[m] = 0.f;
#pragma unroll
    for (int r = 0; r < R; ++r) acc[r][m] = 0.f;
  }

  // Loads past the last chunk re-read the last one (always in bounds, an L1 hit) and are zeroed
  // after, so every round issues all R * U loads unconditionally: a conditional load would make
  // the compiler wait for each before the next.
  const int64_t last = chunks - 1;
  uint4 v[R][U];
  auto load_round = [&](int64_t c0) {
#pragma unroll
    for (int u = 0; u < U; ++u)
#pragma unroll
      for (int r = 0; r < R; ++r) v[r][u] = __ldg(wr[r] + min(c0 + 32 * u, last));
  };
  load_round(lane);
  pdl_wait();
  pdl_trigger();
  for (int64_t c0 = lane; c0 < chunks; c0 += 32 * U) {
    // PIPE: the next round's loads are issued before this round is consumed (twice the bytes in
    // flight per warp, for matrices too narrow to fill the GPU with warps).
    uint4 cur[R][U];
    if constexpr (PIPE) {
#pragma unroll
      for (int u = 0; u < U; ++u)
#pragma unroll
        for (int r = 0; r < R; ++r) cur[r][u] = v[r][u];
      if (c0 + 32 * U < chunks) load_round(c0 + 32 * U);
    } else {
      if (c0 != lane) load_round(c0);
#pragma unroll
      for (int u = 0; u < U; ++u)
#pragma unroll
        for (int r = 0; r < R; ++r) cur[r][u] = v[r][u];
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t c = min(c0 + 32 * u, last);
      const bool ok = c0 + 32 * u < chunks;
      float f[R][8];
#pragma unroll
      for (int r = 0; r < R; ++r) widen8<BF16>(ok ? cur[r][u] : make_uint4(0, 0, 0, 0), f[r]);
      float4 ga, gb;
      if constexpr (NORM) {
        ga = __ldg(reinterpret_cast<const float4*>(fused.norm_w + c * 8));
        gb = __ldg(reinterpret_cast<const float4*>(fused.norm_w + c * 8 + 4));
      }
#pragma unroll
      for (int m = 0; m < M; ++m) {
        float4 a = __ldg(reinterpret_cast<const float4*>(x + m * K + c * 8));
        float4 b = __ldg(reinterpret_cast<const float4*>(x + m * K + c * 8 + 4));
        if constexpr (NORM) {
          if (ok) ss[m] += a.x * a.x + a.y * a.y + a.z * a.z + a.w * a.w + b.x * b.x + b.y * b.y + b.z * b.z + b.w * b.w;
          a = make_float4(a.x * ga.x, a.y * ga.y, a.z * ga.z, a.w * ga.w);
          b = make_float4(b.x * gb.x, b.y * gb.y, b.z * gb.z, b.w * gb.w);
        }
#pragma unroll
        for (int r = 0; r < R; ++r) acc[r][m] += dot8(f[r], a, b);
      }
    }
  }
  // Butterfly sums leave every lane with every total; lane (r * M + m) % 32 stores (r, m).
  float inv[M];
#pragma unroll
  for (int m = 0; m < M; ++m) {
    inv[m] = 1.f;
    if constexpr (NORM) {
      float s = ss[m];
#pragma unroll
      for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
      inv[m] = rsqrtf(s / float(K) + fused.eps);
    }
  }
  float out[R][M];
#pragma unroll
  for (int r = 0; r < R; ++r)
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float s = acc[r][m];
#pragma unroll
      for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
      const int64_t n = n0 + r;
      out[r][m] = s * inv[m] + (bias && n < N ? bias[n] : 0.f);
    }
  if (fused.epilogue == GemvEpilogue::Store) {
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int m = 0; m < M; ++m)
        if (lane == (r * M + m) % 32 && n0 + r < N) store(y, m * N + n0 + r, out[r][m], accumulate);
    return;
  }
  // Pair epilogues: rows (n0 + 2p, n0 + 2p + 1); n0 is a multiple of R (even) and N is even.
#pragma unroll
  for (int p = 0; p < R / 2; ++p)
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const int64_t n = n0 + 2 * p;
      if (lane != (p * M + m) % 32 || n >= N) continue;
      if (fused.epilogue == GemvEpilogue::SiluPairs)
        y[m * (N / 2) + n / 2] = silu_times(out[2 * p][m], out[2 * p + 1][m]);
      else
        rope_store_pair(fused.rope, m, n, out[2 * p][m], out[2 * p + 1][m]);
    }
}

// One warp per output row, 8 rows a block, 4 loads in flight (the first decode GEMV's shape), kept
// as the sweep's baseline (bench/cuda/gemv_variants.cu v0): alone it reads a long-K matrix
// (down_proj) faster than fma_kernel, but not inside the model (docs/PERF.md). The main loop
// covers whole rounds of 4 x 32 chunks with no clamping; a tail loop takes the rest.
template <int M, bool BF16>
__global__ void __launch_bounds__(256)
    row_kernel(const float* __restrict__ x, const uint16_t* __restrict__ w, const float* __restrict__ bias,
               int64_t N, int64_t K, float* __restrict__ y, bool accumulate) {
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * 8 + (threadIdx.x >> 5);
  if (n >= N) return;
  const uint4* wrow = reinterpret_cast<const uint4*>(w + n * K);
  const int64_t chunks = K / 8;
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = 0.f;
  auto chunk = [&](const uint4& v, int64_t k) {
    float f[8];
    widen8<BF16>(v, f);
#pragma unroll
    for (int m = 0; m < M; ++m)
      acc[m] += dot8(f, __ldg(reinterpret_cast<const float4*>(x + m * K + k)),
                     __ldg(reinterpret_cast<const float4*>(x + m * K + k + 4)));
  };
  int64_t c = lane;
  uint4 v[4];
  const bool full = c + 32 * 3 < chunks;
  if (full) {  // the first round's weights go out before pdl_wait (fma_kernel)
#pragma unroll
    for (int u = 0; u < 4; ++u) v[u] = __ldg(wrow + c + 32 * u);
  }
  pdl_wait();
  pdl_trigger();
  for (; c + 32 * 3 < chunks; c += 32 * 4) {
    if (c != lane) {
#pragma unroll
      for (int u = 0; u < 4; ++u) v[u] = __ldg(wrow + c + 32 * u);
    }
#pragma unroll
    for (int u = 0; u < 4; ++u) chunk(v[u], (c + 32 * u) * 8);
  }
  for (; c < chunks; c += 32) chunk(__ldg(wrow + c), c * 8);
#pragma unroll
  for (int m = 0; m < M; ++m) {
    float s = acc[m];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0) store(y, m * N + n, s + (bias ? bias[n] : 0.f), accumulate);
  }
}

template <bool BF16>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  uint32_t r;
  if constexpr (BF16) {
    const __nv_bfloat162 p = __floats2bfloat162_rn(lo, hi);
    r = *reinterpret_cast<const uint32_t*>(&p);
  } else {
    const __half2 p = __floats2half2_rn(lo, hi);
    r = *reinterpret_cast<const uint32_t*>(&p);
  }
  return r;
}

template <bool BF16>
__device__ __forceinline__ float2 unpack2(uint32_t v) {
  if constexpr (BF16) return make_float2(__uint_as_float(v << 16), __uint_as_float(v & 0xffff0000u));
  else return __half22float2(*reinterpret_cast<const __half2*>(&v));
}

// c += A (16x16, row-major) · B (16x8, column-major), half inputs, f32 accumulate.
template <bool BF16>
__device__ __forceinline__ void mma16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                         uint32_t b0, uint32_t b1) {
  if constexpr (BF16)
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// Tensor-core path: y^T[16 rows of W, 8*NT rows of x] per block, W as the A operand straight from
// its 16-byte loads, x rounded to the weight type as B. A dot product does not care in which order
// k runs, so the thread (g = lane/4, t = lane%4) that loads the 8 consecutive k of chunk c from
// rows g and g+8 simply declares them the k it holds in two m16n8k16 steps, and supplies x's same
// 8 k of batch row g as B. SPLIT also feeds x - round(x) as a second B, so x reaches the products
// with ~16 bits instead of 8 (bf16) at the cost of twice the (cheap) mma. The WARPS warps of a
// block split K and meet in shared memory, which gives small-N matrices enough loads in flight.
template <int NT, bool BF16, bool SPLIT, int U, int WARPS>
__global__ void __launch_bounds__(WARPS * 32)
    mma_kernel(const float* __restrict__ x, int M, const uint16_t* __restrict__ w, const float* __restrict__ bias,
               int64_t N, int64_t K, float* __restrict__ y, bool accumulate) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t n0 = int64_t(blockIdx.x) * 16;
  // Rows past N repeat row N-1 so every load stays in bounds; their results are not stored.
  const uint4* wa = reinterpret_cast<const uint4*>(w + (n0 + g < N ? n0 + g : N - 1) * K);
  const uint4* wb = reinterpret_cast<const uint4*>(w + (n0 + g + 8 < N ? n0 + g + 8 : N - 1) * K);
  const int64_t chunks = K / 8;
  const float* xr[NT];
  bool xv[NT];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    xv[nt] = nt * 8 + g < M;
    xr[nt] = x + (xv[nt] ? nt * 8 + g : 0) * K;
  }
  float acc[NT][4];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) acc[nt][i] = 0.f;

  // The loop bound is warp-uniform (mma.sync needs the whole warp); chunks past K load zeros.
  // The first round of weight loads goes out before pdl_wait, as in fma_kernel.
  uint4 va[U], vb[U];
  auto load_round = [&](int64_t base) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t c = min(base + 4 * u + t, chunks - 1);  // in bounds, zeroed below (see fma_kernel)
      va[u] = __ldg(wa + c);
      vb[u] = __ldg(wb + c);
    }
  };
  const int64_t base0 = int64_t(warp) * U * 4;
  load_round(base0);
  pdl_wait();
  pdl_trigger();
  for (int64_t base = base0; base < chunks; base += int64_t(WARPS) * U * 4) {
    if (base != base0) load_round(base);
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t c = min(base + 4 * u + t, chunks - 1);
      if (base + 4 * u + t >= chunks) va[u] = vb[u] = make_uint4(0, 0, 0, 0);
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        float4 p = make_float4(0.f, 0.f, 0.f, 0.f), q = p;
        if (xv[nt]) {
          p = __ldg(reinterpret_cast<const float4*>(xr[nt] + c * 8));
          q = __ldg(reinterpret_cast<const float4*>(xr[nt] + c * 8 + 4));
        }
        const uint32_t b0 = pack2<BF16>(p.x, p.y), b1 = pack2<BF16>(p.z, p.w);
        const uint32_t b2 = pack2<BF16>(q.x, q.y), b3 = pack2<BF16>(q.z, q.w);
        mma16816<BF16>(acc[nt], va[u].x, vb[u].x, va[u].y, vb[u].y, b0, b1);
        mma16816<BF16>(acc[nt], va[u].z, vb[u].z, va[u].w, vb[u].w, b2, b3);
        if constexpr (SPLIT) {
          const float2 h0 = unpack2<BF16>(b0), h1 = unpack2<BF16>(b1), h2 = unpack2<BF16>(b2), h3 = unpack2<BF16>(b3);
          mma16816<BF16>(acc[nt], va[u].x, vb[u].x, va[u].y, vb[u].y, pack2<BF16>(p.x - h0.x, p.y - h0.y),
                         pack2<BF16>(p.z - h1.x, p.w - h1.y));
          mma16816<BF16>(acc[nt], va[u].z, vb[u].z, va[u].w, vb[u].w, pack2<BF16>(q.x - h2.x, q.y - h2.y),
                         pack2<BF16>(q.z - h3.x, q.w - h3.y));
        }
      }
    }
  }

  __shared__ float red[WARPS][NT * 4][32];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) red[warp][nt * 4 + i][lane] = acc[nt][i];
  __syncthreads();
  for (int idx = threadIdx.x; idx < NT * 4 * 32; idx += WARPS * 32) {
    const int l = idx & 31, j = idx >> 5;
    float s = 0.f;
#pragma unroll
    for (int wi = 0; wi < WARPS; ++wi) s += red[wi][j][l];
    // Accumulator layout of m16n8: c0,c1 at (row l/4, cols 2(l%4)+{0,1}), c2,c3 at row l/4 + 8.
    const int i = j & 3, m = (j >> 2) * 8 + 2 * (l & 3) + (i & 1);
    const int64_t n = n0 + (l >> 2) + (i >= 2 ? 8 : 0);
    if (n < N && m < M) store(y, m * N + n, s + (bias ? bias[n] : 0.f), accumulate);
  }
}

}  // namespace sunbae::cuda::gemv_detail
