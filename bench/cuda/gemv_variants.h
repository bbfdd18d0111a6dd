#pragma once
// The bench's numbered GEMV variants (llm.c dev/cuda style): the kernel before this rewrite, the
// FMA kernel at several rows-per-warp / loads-in-flight settings and the tensor-core kernel at
// several block shapes, all over the same GemvArgs as the library, so the sweep can say which
// configuration the library should hold. Only bf16 weights: the f16 kernels differ in the
// widening alone and are timed through the library.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/gemv.h"

namespace sunbae::cuda::bench {

int gemv_variant_count();
const char* gemv_variant_name(int v);
bool gemv_variant_supports(int v, int M);  // the bench's M in {1, 2, 4, 8, 16}
void gemv_variant_run(int v, const GemvArgs& a, cudaStream_t s);

// w[0..n) = uniform(-scale, scale) from a counter hash, as bf16 or f16: filled on the GPU so a
// 1 GB lm_head costs no host time.
void fill_uniform(void* w, int64_t n, WType t, uint32_t seed, float scale, cudaStream_t s);

}  // namespace sunbae::cuda::bench
