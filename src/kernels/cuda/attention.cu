// Paged bf16 attention: split-K decode for any batch (graph-safe launch shape), flash prefill on
// bf16 tensor cores (mma.sync m16n8k16, f32 accumulate), and the f32 -> bf16 KV store.
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/pdl.cuh"

namespace sunbae::cuda {

namespace {

constexpr float kLog2e = 1.4426950408889634f;  // softmax runs in exp2: scores carry scale * log2(e)
constexpr int kMaxSplits = 32;
constexpr int kThreads = 128;

// From the KV capacity alone, never from positions, so a captured step replays as contexts grow;
// each split then takes an even, runtime share of its row's context (at least one tile).
int decode_splits(int64_t max_blocks) {
  return int(std::clamp<int64_t>((max_blocks + 7) / 8, 1, kMaxSplits));
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ void widen8(const uint4& u, float (&f)[8]) {
  const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    f[2 * i] = __uint_as_float(w[i] << 16);
    f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

// ---------------------------------------------------------------------------------------------
// Decode. A block is (row, kv head, chunk of up to GM of its q heads, split): the q heads of one
// kv head share every K/V load. Lanes take 8 dims each (one 16 B load), so a position row is
// kLpr lanes and a block loads kSlots positions per pass, kPpt passes per tile; the next tile's
// loads are issued before the current tile is computed.

template <int D>
struct DecodeCfg {
  static constexpr int kLpr = D / 8;
  static constexpr int kSlots = kThreads / kLpr;
  static constexpr int kPpt = 4;
  static constexpr int kTile = kSlots * kPpt;  // 128, 64, 32, 16 positions for D = 32 .. 256
  static constexpr int kPerLane = (kTile + 31) / 32;
};

struct DecodeParams {
  AttnBatch a;
  int splits = 1, group = 1, head_chunks = 1;
  float* acc_ws = nullptr;  // [rows, heads, splits, head_dim] unnormalised partial sums
  float* ml_ws = nullptr;   // [rows, heads, splits, 2] (max in log2 units, sum of exp2)
};

template <int D, int GM>
__global__ void __launch_bounds__(kThreads) decode_split_kernel(DecodeParams p) {
  pdl_wait();
  pdl_trigger();
  using C = DecodeCfg<D>;
  constexpr int kWarps = kThreads / 32, kHeadsPerWarp = (GM + kWarps - 1) / kWarps;
  __shared__ float sc[2][GM][C::kTile];  // scores, then probabilities; two tiles so one sync fewer
  __shared__ float alpha_s[2][GM];
  __shared__ float red[kWarps][GM][D];
  __shared__ float ml_s[GM][2];

  const AttnBatch& a = p.a;
  const int r = blockIdx.x, split = blockIdx.z;
  const int kvh = blockIdx.y / p.head_chunks, hc = blockIdx.y % p.head_chunks;
  const int h0 = kvh * p.group + hc * GM;
  const int nh = min(GM, p.group - hc * GM);
  const int hd = int(a.head_dim);
  const int64_t H = a.heads;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int li = tid % C::kLpr, slot = tid / C::kLpr;

  const int pos = a.row_pos[r];
  const int lo = a.window > 0 ? max(0, pos - int(a.window) + 1) : 0;
  const int len = pos - lo + 1;
  const int per = (len + p.splits - 1) / p.splits;
  const int chunk = (per + C::kTile - 1) / C::kTile * C::kTile;
  const int start = lo + split * chunk, end = min(start + chunk, pos + 1);
  if (start >= end) {  // past this row's context: an empty partial that the merge skips
    if (tid < nh) {
      float* ml = p.ml_ws + ((int64_t(r) * H + h0 + tid) * p.splits + split) * 2;
      ml[0] = -INFINITY;
      ml[1] = 0.f;
    }
    return;
  }

  const bool dim_ok = li * 8 < hd;  // lanes past a small head dim (16, 24 in the D = 32 body) idle
  float q[GM][8];
  const float qscale = a.scale * kLog2e;
#pragma unroll
  for (int h = 0; h < GM; ++h) {
#pragma unroll
    for (int j = 0; j < 8; ++j) q[h][j] = 0.f;
    if (dim_ok && h < nh) {
      const float4* src = reinterpret_cast<const float4*>(a.q + (int64_t(r) * H + h0 + h) * hd + li * 8);
      const float4 x = src[0], y = src[1];
      q[h][0] = x.x * qscale, q[h][1] = x.y * qscale, q[h][2] = x.z * qscale, q[h][3] = x.w * qscale;
      q[h][4] = y.x * qscale, q[h][5] = y.y * qscale, q[h][6] = y.z * qscale, q[h][7] = y.w * qscale;
    }
  }

  const int32_t* table = a.tables + int64_t(a.row_seq[r]) * a.max_blocks;
  const int64_t kvd = a.kv_heads * hd;
  const uint16_t* kbase = a.k_pool + kvh * hd + li * 8;
  const uint16_t* vbase = a.v_pool + kvh * hd + li * 8;
  auto load = [&](int t0, uint4 (&k)[C::kPpt], uint4 (&v)[C::kPpt]) {
#pragma unroll
    for (int i = 0; i < C::kPpt; ++i) {
      const int pp = t0 + slot + i * C::kSlots;
      if (dim_ok && pp < end) {
        const int64_t off = (int64_t(table[pp >> 4]) * 16 + (pp & 15)) * kvd;
        k[i] = __ldg(reinterpret_cast<const uint4*>(kbase + off));
        v[i] = __ldg(reinterpret_cast<const uint4*>(vbase + off));
      } else {
        k[i] = v[i] = make_uint4(0, 0, 0, 0);  // never read: unwritten slots may hold NaN
      }
    }
  };

  float m_w[kHeadsPerWarp], l_w[kHeadsPerWarp];
#pragma unroll
  for (int k = 0; k < kHeadsPerWarp; ++k) m_w[k] = -INFINITY, l_w[k] = 0.f;
  float acc[GM][8];
#pragma unroll
  for (int h = 0; h < GM; ++h)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[h][j] = 0.f;

  uint4 kc[C::kPpt], vc[C::kPpt], kn[C::kPpt], vn[C::kPpt];
  load(start, kc, vc);
  int buf = 0;
  for (int t0 = start; t0 < end; t0 += C::kTile, buf ^= 1) {
    const bool more = t0 + C::kTile < end;
    if (more) load(t0 + C::kTile, kn, vn);
#pragma unroll
    for (int i = 0; i < C::kPpt; ++i) {
      float kf[8];
      widen8(kc[i], kf);
      const int t = slot + i * C::kSlots;
#pragma unroll
      for (int h = 0; h < GM; ++h) {
        float d = 0.f;
#pragma unroll
        for (int j = 0; j < 8; ++j) d = fmaf(q[h][j], kf[j], d);
#pragma unroll
        for (int o = C::kLpr / 2; o > 0; o >>= 1) d += __shfl_xor_sync(0xffffffffu, d, o);
        if (li == 0) sc[buf][h][t] = t0 + t < end ? d : -INFINITY;
      }
    }
    __syncthreads();
    // Online softmax: warp w owns heads w, w + 4, ...; each tile holds at least one live position,
    // so the new max is finite and exp2(-inf - m) = 0 clears the first tile's empty history.
#pragma unroll
    for (int k = 0; k < kHeadsPerWarp; ++k) {
      const int h = warp + k * kWarps;
      if (h < GM) {
        float s[C::kPerLane], mx = -INFINITY;
#pragma unroll
        for (int e = 0; e < C::kPerLane; ++e) {
          const int t = lane + 32 * e;
          s[e] = t < C::kTile ? sc[buf][h][t] : -INFINITY;
          mx = fmaxf(mx, s[e]);
        }
        const float mn = fmaxf(m_w[k], warp_max(mx));
        const float al = exp2f(m_w[k] - mn);
        float sum = 0.f;
#pragma unroll
        for (int e = 0; e < C::kPerLane; ++e) {
          const int t = lane + 32 * e;
          const float pr = exp2f(s[e] - mn);
          if (t < C::kTile) sc[buf][h][t] = pr;
          sum += pr;
        }
        l_w[k] = l_w[k] * al + warp_sum(sum);
        m_w[k] = mn;
        if (lane == 0) alpha_s[buf][h] = al;
      }
    }
    __syncthreads();
#pragma unroll
    for (int h = 0; h < GM; ++h) {
      const float al = alpha_s[buf][h];
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[h][j] *= al;
    }
#pragma unroll
    for (int i = 0; i < C::kPpt; ++i) {
      float vf[8];
      widen8(vc[i], vf);
      const int t = slot + i * C::kSlots;
#pragma unroll
      for (int h = 0; h < GM; ++h) {
        const float w = sc[buf][h][t];
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[h][j] = fmaf(w, vf[j], acc[h][j]);
      }
    }
    if (more) {
#pragma unroll
      for (int i = 0; i < C::kPpt; ++i) kc[i] = kn[i], vc[i] = vn[i];
    }
  }

  // Sum the slots: those of one warp by shuffles, the warps through shared memory.
#pragma unroll
  for (int h = 0; h < GM; ++h)
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      float v = acc[h][j];
#pragma unroll
      for (int o = C::kLpr; o < 32; o <<= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (lane < C::kLpr) red[warp][h][li * 8 + j] = v;
    }
#pragma unroll
  for (int k = 0; k < kHeadsPerWarp; ++k) {
    const int h = warp + k * kWarps;
    if (h < GM && lane == 0) ml_s[h][0] = m_w[k], ml_s[h][1] = l_w[k];
  }
  __syncthreads();
  const bool direct = p.splits == 1;
  for (int e = tid; e < nh * hd; e += kThreads) {
    const int h = e / hd, d = e % hd;
    float v = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) v += red[w][h][d];
    const int64_t rh = int64_t(r) * H + h0 + h;
    if (direct)
      a.out[rh * hd + d] = v / ml_s[h][1];
    else
      p.acc_ws[(rh * p.splits + split) * hd + d] = v;
  }
  if (!direct && tid < nh) {
    float* ml = p.ml_ws + ((int64_t(r) * H + h0 + tid) * p.splits + split) * 2;
    ml[0] = ml_s[tid][0];
    ml[1] = ml_s[tid][1];
  }
}

// One block per (row, head): weights exp2(m_s - M) over the non-empty splits.
__global__ void __launch_bounds__(kThreads) decode_merge_kernel(const float* acc_ws, const float* ml_ws, int splits,
                                                                int hd, float* out) {
  pdl_wait();
  pdl_trigger();
  __shared__ float w_s[kMaxSplits];
  __shared__ float inv_s;
  const int64_t rh = blockIdx.x;
  if (threadIdx.x < 32) {
    const int s = threadIdx.x;
    float m = -INFINITY, l = 0.f;
    if (s < splits) {
      m = ml_ws[(rh * splits + s) * 2];
      l = ml_ws[(rh * splits + s) * 2 + 1];
    }
    if (!(l > 0.f)) m = -INFINITY;
    const float M = warp_max(m);
    const float w = l > 0.f ? exp2f(m - M) : 0.f;
    const float den = warp_sum(w * l);
    if (s < kMaxSplits) w_s[s] = w;
    if (s == 0) inv_s = 1.f / den;
  }
  __syncthreads();
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float v = 0.f;
    for (int s = 0; s < splits; ++s)
      if (w_s[s] != 0.f) v = fmaf(w_s[s], acc_ws[(rh * splits + s) * hd + d], v);
    out[rh * hd + d] = v * inv_s;
  }
}

template <int D, int GM>
void launch_decode(const DecodeParams& p, cudaStream_t s) {
  const dim3 grid(unsigned(p.a.rows), unsigned(p.a.kv_heads * p.head_chunks), unsigned(p.splits));
  launch_pdl(decode_split_kernel<D, GM>, grid, kThreads, 0, s, p);
}

template <int D>
void launch_decode_d(DecodeParams& p, cudaStream_t s) {
  // A block takes all q heads of its kv head when they fit (1, up to 4, up to 8); more heads are
  // chunked. D = 256 stops at 4: eight heads' q and accumulators would spill.
  const int g = p.group;
  const int gm = g == 1 ? 1 : (g <= 4 || D == 256) ? 4 : 8;
  p.head_chunks = (g + gm - 1) / gm;
  if (gm == 1)
    launch_decode<D, 1>(p, s);
  else if (gm == 4 || D == 256)
    launch_decode<D, 4>(p, s);
  else
    launch_decode<D, (D == 256 ? 4 : 8)>(p, s);
}

// ---------------------------------------------------------------------------------------------
// Prefill: FlashAttention-2. A block is 64 query rows of one sequence and one q head, 4 warps of
// 16 rows; K/V tiles of kBN positions go to shared memory by cp.async (zero-filled past the
// block's last position and past head_dim), S = Q K^T and O += P V on bf16 mma.sync.

template <int D>
struct PrefillCfg {
  static constexpr int kBM = 64, kBN = D == 256 ? 32 : 64;
  static constexpr int kStride = D + 8;  // bf16 per smem row: the 16 B pad puts ldmatrix rows on distinct banks
  static constexpr size_t kSmem = size_t(kBM + 2 * kBN) * kStride * 2;
};

__device__ __forceinline__ uint32_t smem_addr(const void* p) { return uint32_t(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool ok) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(ok ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(smem_addr(p)));
}
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

template <int D>
__global__ void __launch_bounds__(kThreads) prefill_kernel(AttnBatch a, int group) {
  using C = PrefillCfg<D>;
  constexpr int kBM = C::kBM, kBN = C::kBN, kS = C::kStride, kChunks = D / 8;
  extern __shared__ __align__(16) uint16_t smem[];
  uint16_t* qs = smem;
  uint16_t* ks = qs + kBM * kS;
  uint16_t* vs = ks + kBN * kS;

  const int seq = blockIdx.z, h = blockIdx.y, kvh = h / group;
  const int n = a.seq_rows[seq], i0 = blockIdx.x * kBM;
  if (i0 >= n) return;
  const int row0 = a.seq_row0[seq];
  const int hd = int(a.head_dim), win = int(a.window);
  const int64_t H = a.heads, kvd = a.kv_heads * hd;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int q_hi = a.row_pos[row0 + min(n, i0 + kBM) - 1];
  const int kv_lo = win > 0 ? max(0, a.row_pos[row0 + i0] - win + 1) : 0;
  const int32_t* table = a.tables + int64_t(seq) * a.max_blocks;

  // Q rounded to bf16, zero past head_dim and past the sequence's rows.
  for (int e = tid; e < kBM * (D / 4); e += kThreads) {
    const int rr = e / (D / 4), c = (e % (D / 4)) * 4;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
    if (i0 + rr < n && c < hd) x = *reinterpret_cast<const float4*>(a.q + (int64_t(row0 + i0 + rr) * H + h) * hd + c);
    uint2 packed;
    packed.x = pack_bf16(x.x, x.y);
    packed.y = pack_bf16(x.z, x.w);
    *reinterpret_cast<uint2*>(qs + rr * kS + c) = packed;
  }

  const int g = lane >> 2, tig = lane & 3;
  const int ra = i0 + warp * 16 + g, rb = ra + 8;
  // A row past the sequence sees nothing (position -1); its results are never stored.
  const int pr[2] = {ra < n ? a.row_pos[row0 + ra] : -1, rb < n ? a.row_pos[row0 + rb] : -1};
  const int plo[2] = {win > 0 ? pr[0] - win + 1 : 0, win > 0 ? pr[1] - win + 1 : 0};
  const float sl2 = a.scale * kLog2e;
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m_r[2] = {-INFINITY, -INFINITY}, l_r[2] = {0.f, 0.f};

  for (int t0 = kv_lo; t0 <= q_hi; t0 += kBN) {
    for (int e = tid; e < kBN * kChunks; e += kThreads) {
      const int rr = e / kChunks, c = (e % kChunks) * 8, kp = t0 + rr;
      const bool ok = kp <= q_hi && c < hd;
      const int64_t off = ok ? (int64_t(table[kp >> 4]) * 16 + (kp & 15)) * kvd + kvh * hd + c : 0;
      cp_async16(ks + rr * kS + c, a.k_pool + off, ok);
    }
    cp_async_commit();
    for (int e = tid; e < kBN * kChunks; e += kThreads) {
      const int rr = e / kChunks, c = (e % kChunks) * 8, kp = t0 + rr;
      const bool ok = kp <= q_hi && c < hd;
      const int64_t off = ok ? (int64_t(table[kp >> 4]) * 16 + (kp & 15)) * kvd + kvh * hd + c : 0;
      cp_async16(vs + rr * kS + c, a.v_pool + off, ok);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();

    float s[kBN / 8][4];
#pragma unroll
    for (int i = 0; i < kBN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t qa[4];
      ldmatrix_x4(qa, qs + (warp * 16 + (lane & 15)) * kS + kk * 16 + (lane >> 4) * 8);
#pragma unroll
      for (int nt = 0; nt < kBN / 8; nt += 2) {
        uint32_t kb[4];
        ldmatrix_x4(kb, ks + (nt * 8 + (lane >> 4) * 8 + (lane & 7)) * kS + kk * 16 + ((lane >> 3) & 1) * 8);
        mma_bf16(s[nt], qa, kb[0], kb[1]);
        mma_bf16(s[nt + 1], qa, kb[2], kb[3]);
      }
    }

    // Mask (causal, window, rows past the sequence), then the online softmax of each row; a row
    // with no live key yet keeps max -inf, and its reference 0 keeps exp2 from making NaN.
    float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int nt = 0; nt < kBN / 8; ++nt)
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const int kp = t0 + nt * 8 + tig * 2 + (c & 1), i = c >> 1;
        const float v = kp <= pr[i] && kp >= plo[i] ? s[nt][c] * sl2 : -INFINITY;
        s[nt][c] = v;
        mx[i] = fmaxf(mx[i], v);
      }
    float mu[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
      mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
      const float mn = fmaxf(m_r[i], mx[i]);
      mu[i] = mn == -INFINITY ? 0.f : mn;
      const float al = exp2f(m_r[i] - mu[i]);
      m_r[i] = mn;
      l_r[i] *= al;
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) o[dt][2 * i] *= al, o[dt][2 * i + 1] *= al;
    }
#pragma unroll
    for (int nt = 0; nt < kBN / 8; ++nt)
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const float pv = exp2f(s[nt][c] - mu[c >> 1]);
        s[nt][c] = pv;
        l_r[c >> 1] += pv;
      }

    cp_async_wait<0>();
    __syncthreads();
#pragma unroll
    for (int kt = 0; kt < kBN / 16; ++kt) {
      const uint32_t pa[4] = {pack_bf16(s[2 * kt][0], s[2 * kt][1]), pack_bf16(s[2 * kt][2], s[2 * kt][3]),
                              pack_bf16(s[2 * kt + 1][0], s[2 * kt + 1][1]),
                              pack_bf16(s[2 * kt + 1][2], s[2 * kt + 1][3])};
#pragma unroll
      for (int dt = 0; dt < D / 8; dt += 2) {
        uint32_t vb[4];
        ldmatrix_x4_trans(vb, vs + (kt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * kS + dt * 8 + (lane >> 4) * 8);
        mma_bf16(o[dt], pa, vb[0], vb[1]);
        mma_bf16(o[dt + 1], pa, vb[2], vb[3]);
      }
    }
    __syncthreads();  // the next tile overwrites K and V
  }

  float inv[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    l_r[i] += __shfl_xor_sync(0xffffffffu, l_r[i], 1);
    l_r[i] += __shfl_xor_sync(0xffffffffu, l_r[i], 2);
    inv[i] = 1.f / l_r[i];
  }
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
    const int d = dt * 8 + tig * 2;
    if (d >= hd) continue;
    if (ra < n)
      *reinterpret_cast<float2*>(a.out + (int64_t(row0 + ra) * H + h) * hd + d) =
          make_float2(o[dt][0] * inv[0], o[dt][1] * inv[0]);
    if (rb < n)
      *reinterpret_cast<float2*>(a.out + (int64_t(row0 + rb) * H + h) * hd + d) =
          make_float2(o[dt][2] * inv[1], o[dt][3] * inv[1]);
  }
}

template <int D>
void launch_prefill(const AttnBatch& a, cudaStream_t s) {
  using C = PrefillCfg<D>;
  // Over 48 KB of dynamic shared memory is opt-in, once per kernel (and process).
  static const bool smem_set = [] {
    SUNBAE_CUDA_CHECK(cudaFuncSetAttribute(prefill_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           int(C::kSmem)));
    return true;
  }();
  (void)smem_set;
  const dim3 grid(unsigned((a.max_seq_rows + C::kBM - 1) / C::kBM), unsigned(a.heads), unsigned(a.n_seqs));
  prefill_kernel<D><<<grid, kThreads, C::kSmem, s>>>(a, int(a.heads / a.kv_heads));
  SUNBAE_CUDA_CHECK_LAUNCH();
}

__global__ void kv_store_kernel(const float* k, const float* v, const int32_t* slots, int64_t kvd, uint16_t* k_pool,
                                uint16_t* v_pool) {
  const int64_t r = blockIdx.x, dst = int64_t(slots[r]) * kvd;
  for (int64_t e = threadIdx.x; e < kvd; e += blockDim.x) {
    k_pool[dst + e] = __bfloat16_as_ushort(__float2bfloat16_rn(k[r * kvd + e]));
    v_pool[dst + e] = __bfloat16_as_ushort(__float2bfloat16_rn(v[r * kvd + e]));
  }
}

void check_shape(const AttnBatch& a, const char* what) {
  SUNBAE_CHECK(attention_supports_head_dim(a.head_dim), what, ": head_dim ", a.head_dim,
               " is not built (supported: 8, 16, 24, 32, 64, 128, 256)");
  SUNBAE_CHECK(a.kv_heads > 0 && a.heads % a.kv_heads == 0, what, ": ", a.heads, " heads over ", a.kv_heads,
               " kv heads");
  SUNBAE_CHECK(a.max_blocks > 0, what, ": empty block tables");
}

}  // namespace

bool attention_supports_head_dim(int64_t head_dim) {
  return head_dim == 64 || head_dim == 128 || head_dim == 256 || (head_dim > 0 && head_dim <= 32 && head_dim % 8 == 0);
}

int64_t decode_workspace_floats(int64_t rows, int64_t heads, int64_t head_dim, int64_t max_blocks) {
  const int splits = decode_splits(max_blocks);
  return splits == 1 ? 0 : rows * heads * splits * (head_dim + 2);
}

void decode_attention(const AttnBatch& a, cudaStream_t s) {
  check_shape(a, "decode_attention");
  if (a.rows == 0) return;
  DecodeParams p;
  p.a = a;
  p.splits = decode_splits(a.max_blocks);
  p.group = int(a.heads / a.kv_heads);
  if (p.splits > 1) {
    SUNBAE_CHECK(a.workspace != nullptr, "decode_attention: no workspace for ", p.splits, " splits");
    p.acc_ws = a.workspace;
    p.ml_ws = a.workspace + a.rows * a.heads * p.splits * a.head_dim;
  }
  switch (a.head_dim) {
    case 64: launch_decode_d<64>(p, s); break;
    case 128: launch_decode_d<128>(p, s); break;
    case 256: launch_decode_d<256>(p, s); break;
    default: launch_decode_d<32>(p, s); break;
  }
  if (p.splits > 1) {
    launch_pdl(decode_merge_kernel, unsigned(a.rows * a.heads), kThreads, 0, s, p.acc_ws, p.ml_ws, p.splits,
               int(a.head_dim), a.out);
  }
}

void prefill_attention(const AttnBatch& a, cudaStream_t s) {
  check_shape(a, "prefill_attention");
  if (a.rows == 0 || a.n_seqs == 0 || a.max_seq_rows == 0) return;
  switch (a.head_dim) {
    case 64: launch_prefill<64>(a, s); break;
    case 128: launch_prefill<128>(a, s); break;
    case 256: launch_prefill<256>(a, s); break;
    default:
      if (a.head_dim <= 16)
        launch_prefill<16>(a, s);
      else
        launch_prefill<32>(a, s);
  }
}

void kv_store_bf16(const float* k, const float* v, const int32_t* slots, int64_t rows, int64_t kv_heads,
                   int64_t head_dim, uint16_t* k_pool, uint16_t* v_pool, cudaStream_t s) {
  if (rows == 0) return;
  kv_store_kernel<<<unsigned(rows), kThreads, 0, s>>>(k, v, slots, kv_heads * head_dim, k_pool, v_pool);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

}  // namespace sunbae::cuda
