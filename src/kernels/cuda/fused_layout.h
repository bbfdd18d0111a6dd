#pragma once
// Row orders of the fused weight matrices on the GPU, chosen so that every pair of outputs one
// decode-GEMV epilogue combines sits in two adjacent rows (one warp owns both):
//   gate/up: interleaved, row 2f = gate_proj row f, row 2f + 1 = up_proj row f, so SiLU(gate) * up
//            is computed where the two dot products end;
//   q/k/v:   q heads, then k heads, then v heads (head_dim D rows each); inside each q and k head
//            the rotated dims are pair-interleaved, row 2i = dim i and row 2i + 1 = dim i + rot/2
//            for i < rot/2 (the two halves rotate-half RoPE mixes), dims from rot on and all of v
//            in natural order.
// The weights are permuted once at upload; the kernels that read these outputs unfused (the
// cuBLASLt path for larger steps) read the same order. Host and device share the maps.
#include <cuda_runtime.h>

#include <cstdint>

namespace sunbae::cuda {

// The natural (Hugging Face) row of GPU row `row` of the fused gate/up matrix, F = intermediate.
__host__ __device__ inline int64_t gate_up_source_row(int64_t row, int64_t F) {
  return row % 2 == 0 ? row / 2 : F + row / 2;
}

// The natural row of GPU row `row` of the fused q/k/v matrix (q_heads + kv_heads heads rotate).
__host__ __device__ inline int64_t qkv_source_row(int64_t row, int64_t rope_heads, int64_t head_dim, int64_t rot_dim) {
  const int64_t h = row / head_dim, j = row % head_dim;
  if (h >= rope_heads || j >= rot_dim) return row;
  return h * head_dim + (j % 2 == 0 ? j / 2 : j / 2 + rot_dim / 2);
}

// Where the q/k/v epilogue puts its results: RoPE at pos[m] (frequencies inv_freq + m *
// freq_stride, rot/2 of them), q to q_out [M, Hq, D] f32 in natural dim order, k and v to their
// bf16 cache slots (slots[m] = block * 16 + offset; pools [blocks, 16, Hkv, D]). qkv/M are the
// unfused kernel's input (rope_store_qkv); the GEMV epilogue ignores them.
struct RopeStoreArgs {
  const float* qkv = nullptr;  // [M, (Hq + 2 Hkv) D] in the GPU row order above
  int64_t M = 0, q_heads = 0, kv_heads = 0, head_dim = 0, rot_dim = 0;
  const int32_t* pos = nullptr;
  const float* inv_freq = nullptr;
  int64_t freq_stride = 0;
  const int32_t* slots = nullptr;
  float* q_out = nullptr;
  uint16_t* k_pool = nullptr;
  uint16_t* v_pool = nullptr;
};

}  // namespace sunbae::cuda
