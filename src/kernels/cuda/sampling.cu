// GPU token selection: one block per row runs the rule of kernels/sampling_rule.h with no sort.
// Pass 1 finds the max, its first index and any NaN; greedy rows stop there. Pass 2 writes each
// token's weight e to the workspace. Top-k and top-p thresholds are radix selections over the
// bits of e (non-negative floats order as their bits), 10 bits per pass, counting tokens (top-k)
// or summing integer masses (top-p) per bucket; the draw is a prefix scan over the kept tokens
// in index order that stops at the tile holding the target.
#include <cstdint>

#include "kernels/cuda/pdl.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/sampling.h"
#include "kernels/sampling_rule.h"

namespace sunbae::cuda {

namespace {
using kernels::token_mass;
using u64 = unsigned long long;

constexpr int kThreads = 1024;  // one row per block: the most loads in flight for a lone row
constexpr int kWarps = kThreads / 32;
constexpr int kDigitBits = 10;  // e <= 1.0f has its top two bits clear: 30 bits, three passes
constexpr int kBuckets = 1 << kDigitBits;
static_assert(kBuckets == kThreads, "each thread owns one bucket in the radix walk");

struct Shared {
  u64 hist[kBuckets];
  u64 scratch[kWarps];
  float max_v[kWarps];
  int max_i[kWarps];
  uint32_t digit;
  u64 above;
  int found;
};

__device__ u64 block_sum(u64 v, Shared& sh) {
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(~0u, v, o);
  __syncthreads();  // the scratch may still be read by a previous call
  if ((threadIdx.x & 31) == 0) sh.scratch[threadIdx.x >> 5] = v;
  __syncthreads();
  v = sh.scratch[threadIdx.x & 31];
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(~0u, v, o);
  return v;
}

// Inclusive prefix sum over threads in index order; `total` gets the block's sum.
__device__ u64 block_scan(u64 v, Shared& sh, u64& total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 1; o < 32; o <<= 1) {
    const u64 y = __shfl_up_sync(~0u, v, o);
    if (lane >= o) v += y;
  }
  __syncthreads();
  if (lane == 31) sh.scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    u64 w = sh.scratch[lane];
    for (int o = 1; o < 32; o <<= 1) {
      const u64 y = __shfl_up_sync(~0u, w, o);
      if (lane >= o) w += y;
    }
    sh.scratch[lane] = w;
  }
  __syncthreads();
  total = sh.scratch[kWarps - 1];
  return v + (warp ? sh.scratch[warp - 1] : 0);
}

// f(i, x) for this thread's elements of p[0, n), 16-byte loads when the row allows them.
template <class F>
__device__ void for_each(const float* p, int64_t n, F&& f) {
  if (n % 4 == 0 && (reinterpret_cast<uintptr_t>(p) & 15) == 0) {
    const float4* p4 = reinterpret_cast<const float4*>(p);
#pragma unroll 4
    for (int64_t j = threadIdx.x; j < n / 4; j += kThreads) {
      const float4 v = p4[j];
      f(4 * j, v.x), f(4 * j + 1, v.y), f(4 * j + 2, v.z), f(4 * j + 3, v.w);
    }
  } else {
    for (int64_t i = threadIdx.x; i < n; i += kThreads) f(i, p[i]);
  }
}

__device__ bool better(float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); }

// The k-th largest e (by_mass false, k >= 1, counted with multiplicity) or the largest e whose
// set {e >= t} reaches top_p of mass_k (by_mass true), as the bits of e. Each pass narrows the
// prefix by one 10-bit digit; `above` is the count or mass of the tokens above the prefix.
__device__ uint32_t radix_select(const float* e, int64_t V, bool by_mass, u64 k, float top_p, u64 mass_k,
                                 Shared& sh) {
  uint32_t prefix = 0;
  u64 above = 0;
  for (int shift = 2 * kDigitBits; shift >= 0; shift -= kDigitBits) {
    const uint32_t high = shift + kDigitBits >= 32 ? 0u : ~0u << (shift + kDigitBits);
    sh.hist[threadIdx.x] = 0;
    __syncthreads();
    for_each(e, V, [&](int64_t, float x) {
      const uint32_t key = __float_as_uint(x);
      if ((key & high) != prefix) return;
      const u64 amount = by_mass ? token_mass(x) : 1;
      if (amount) atomicAdd(&sh.hist[(key >> shift) & (kBuckets - 1)], amount);
    });
    __syncthreads();
    // Thread t holds bucket 1023 - t, so the scan gives each bucket the amount at or above it.
    const uint32_t digit = kBuckets - 1 - threadIdx.x;
    const u64 own = sh.hist[digit];
    u64 total;
    const u64 incl = above + block_scan(own, sh, total), excl = incl - own;
    const bool hit = by_mass ? kernels::top_p_reached(incl, top_p, mass_k) && !kernels::top_p_reached(excl, top_p, mass_k)
                             : excl < k && incl >= k;
    if (hit) sh.digit = digit, sh.above = excl;
    __syncthreads();
    prefix |= sh.digit << shift;
    above = sh.above;
  }
  return prefix;
}

__global__ void __launch_bounds__(kThreads, 1)
    sample_kernel(const float* __restrict__ logits, int64_t V, const SampleRow* __restrict__ params,
                  int32_t* __restrict__ out, float* __restrict__ workspace) {
  pdl_wait();
  pdl_trigger();
  __shared__ Shared sh;
  const float* l = logits + int64_t(blockIdx.x) * V;
  const SampleRow p = params[blockIdx.x];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  float bv = -INFINITY;
  int bi = INT32_MAX;
  bool nan = false;
  for_each(l, V, [&](int64_t i, float x) {
    nan |= x != x;
    if (better(x, int(i), bv, bi)) bv = x, bi = int(i);
  });
  for (int o = 16; o; o >>= 1) {
    const float ov = __shfl_xor_sync(~0u, bv, o);
    const int oi = __shfl_xor_sync(~0u, bi, o);
    if (better(ov, oi, bv, bi)) bv = ov, bi = oi;
  }
  if (lane == 0) sh.max_v[warp] = bv, sh.max_i[warp] = bi;
  nan = __syncthreads_or(nan);
  bv = sh.max_v[lane], bi = sh.max_i[lane];
  for (int o = 16; o; o >>= 1) {
    const float ov = __shfl_xor_sync(~0u, bv, o);
    const int oi = __shfl_xor_sync(~0u, bi, o);
    if (better(ov, oi, bv, bi)) bv = ov, bi = oi;
  }
  if (nan || !(p.temperature > 0.f)) {
    if (threadIdx.x == 0) out[blockIdx.x] = nan ? -1 : bi;
    return;
  }

  float* e = workspace + int64_t(blockIdx.x) * V;
  const float inv_t = kernels::inv_temperature(p.temperature);
  u64 part = 0;
  for (int64_t i = threadIdx.x; i < V; i += kThreads) {
    const float x = kernels::token_weight(__ldg(l + i), bv, inv_t);
    e[i] = x;
    part += token_mass(x);
  }
  const u64 mass_all = block_sum(part, sh);  // its first barrier also publishes e to the block

  float t = 0.f;
  u64 mass_k = mass_all;
  if (p.top_k > 0 && p.top_k < V) {
    t = __uint_as_float(radix_select(e, V, false, u64(p.top_k), 0.f, 0, sh));
    part = 0;
    for_each(e, V, [&](int64_t, float x) { part += x >= t ? token_mass(x) : 0; });
    mass_k = block_sum(part, sh);
  }
  if (p.top_p < 1.f) t = fmaxf(t, __uint_as_float(radix_select(e, V, true, 0, p.top_p, mass_k, sh)));
  if (p.min_p > t) t = fminf(p.min_p, 1.f);
  u64 mass = mass_all;
  if (t > 0.f) {
    part = 0;
    for_each(e, V, [&](int64_t, float x) { part += x >= t ? token_mass(x) : 0; });
    mass = block_sum(part, sh);
  }
  const u64 target = kernels::draw_target(kernels::draw_bits(p.seed, p.step), mass);

  // Tiles of 4 consecutive tokens per thread, walked in index order until the running mass passes
  // the target; the thread whose span crosses it finds the token.
  if (threadIdx.x == 0) sh.found = -1;
  u64 running = 0;
  for (int64_t base = 0; base < V; base += 4 * kThreads) {
    const int64_t i0 = base + 4 * threadIdx.x;
    u64 own = 0;
    for (int c = 0; c < 4 && i0 + c < V; ++c) own += e[i0 + c] >= t ? token_mass(e[i0 + c]) : 0;
    u64 total;
    const u64 incl = running + block_scan(own, sh, total);
    if (own && incl > target && incl - own <= target) {
      u64 cum = incl - own;
      for (int c = 0;; ++c)
        if (e[i0 + c] >= t && (cum += token_mass(e[i0 + c])) > target) {
          sh.found = int(i0 + c);
          break;
        }
    }
    __syncthreads();
    if (sh.found >= 0) break;
    running += total;
  }
  if (threadIdx.x == 0) out[blockIdx.x] = sh.found;
}
}  // namespace

size_t sample_workspace_bytes(int64_t M, int64_t vocab) { return size_t(M) * size_t(vocab) * sizeof(float); }

void sample_rows(const float* logits, int64_t M, int64_t vocab, const SampleRow* params, int32_t* out,
                 void* workspace, cudaStream_t s) {
  SUNBAE_CHECK(M >= 0 && M < (int64_t(1) << 31), "sample_rows: ", M, " rows");
  SUNBAE_CHECK(vocab > 0 && vocab < INT32_MAX, "sample_rows: vocabulary of ", vocab);
  if (M == 0) return;
  launch_pdl(sample_kernel, unsigned(M), kThreads, 0, s, logits, vocab, params, out, static_cast<float*>(workspace));
}

}  // namespace sunbae::cuda
