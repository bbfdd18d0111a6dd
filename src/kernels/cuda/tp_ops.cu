#include <cuda_fp16.h>

#include "kernels/cuda/pdl.cuh"
#include "kernels/cuda/tp_ops.h"

namespace sunbae::cuda {

namespace {
__global__ void embedding_range_kernel(const uint16_t* table, bool bf16, const int32_t* ids, int64_t D, int64_t v0,
                                       int64_t n, float* out) {
  pdl_wait();
  pdl_trigger();
  const int64_t local = int64_t(ids[blockIdx.x]) - v0;
  float* y = out + blockIdx.x * D;
  if (local < 0 || local >= n) {
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) y[d] = 0.f;
    return;
  }
  const uint16_t* row = table + local * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x)
    y[d] = bf16 ? __uint_as_float(uint32_t(row[d]) << 16) : __half2float(__ushort_as_half(row[d]));
}
}  // namespace

void embedding_range(const void* table, WType type, const int32_t* ids, int64_t M, int64_t D, int64_t v0, int64_t n,
                     float* out, cudaStream_t s) {
  if (M == 0) return;
  launch_pdl(embedding_range_kernel, unsigned(M), 256, 0, s, static_cast<const uint16_t*>(table), type == WType::BF16,
             ids, D, v0, n, out);
}

}  // namespace sunbae::cuda
