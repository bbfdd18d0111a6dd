#pragma once
// The q/k/v epilogue for one pair of adjacent rows of the fused projection (fused_layout.h), shared
// by the decode GEMV's epilogue and the unfused rope_store kernel so both write the same values.
#include <cuda_bf16.h>

#include "kernels/cuda/fused_layout.h"

namespace sunbae::cuda {

// Rows n, n + 1 (n even) of step row m hold v0, v1: rotate them if they are a RoPE pair of a q or
// k head, then store q (f32) or k / v (bf16 cache).
__device__ __forceinline__ void rope_store_pair(const RopeStoreArgs& a, int64_t m, int64_t n, float v0, float v1) {
  const int64_t D = a.head_dim, h = n / D, j = n % D;
  const int64_t rope_heads = a.q_heads + a.kv_heads, kvd = a.kv_heads * D;
  const int64_t slot = a.slots[m];
  if (h >= rope_heads) {
    uint16_t* vd = a.v_pool + slot * kvd + (h - rope_heads) * D + j;
    vd[0] = __bfloat16_as_ushort(__float2bfloat16_rn(v0));
    vd[1] = __bfloat16_as_ushort(__float2bfloat16_rn(v1));
    return;
  }
  int64_t d0 = j, d1 = j + 1;
  float r0 = v0, r1 = v1;
  if (j < a.rot_dim) {
    const int64_t i = j / 2;
    d0 = i;
    d1 = i + a.rot_dim / 2;
    float sn, cs;
    sincosf(float(a.pos[m]) * a.inv_freq[m * a.freq_stride + i], &sn, &cs);  // precise: angles reach 1e5 rad
    r0 = v0 * cs - v1 * sn;
    r1 = v1 * cs + v0 * sn;
  }
  if (h < a.q_heads) {
    float* q = a.q_out + (m * a.q_heads + h) * D;
    q[d0] = r0;
    q[d1] = r1;
  } else {
    uint16_t* kd = a.k_pool + slot * kvd + (h - a.q_heads) * D;
    kd[d0] = __bfloat16_as_ushort(__float2bfloat16_rn(r0));
    kd[d1] = __bfloat16_as_ushort(__float2bfloat16_rn(r1));
  }
}

__device__ __forceinline__ float silu_times(float g, float u) { return g / (1.f + __expf(-g)) * u; }

}  // namespace sunbae::cuda
