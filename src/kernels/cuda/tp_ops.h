#pragma once
// Kernels only tensor parallelism needs.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {

// Vocabulary-parallel embedding: out[m, :] = table[ids[m] - v0, :] widened to f32 when ids[m] is
// in [v0, v0 + n) (the rows this rank's table holds), zeros otherwise; summed over the ranks,
// every row is looked up exactly once.
void embedding_range(const void* table, WType type, const int32_t* ids, int64_t M, int64_t D, int64_t v0, int64_t n,
                     float* out, cudaStream_t s);

}  // namespace sunbae::cuda
