#pragma once
// Short-vector primitives for kernels whose inner loops run over one head (64-256 floats):
// scalar and AVX2 bodies, chosen by the active ISA.
#include <cstdint>

namespace sunbae::kernels::cpu {

struct VecOps {
  float (*dot)(const float* a, const float* b, int64_t n);
  void (*axpy)(float alpha, const float* x, float* y, int64_t n);  // y += alpha * x
};

const VecOps& vec_ops();  // for active_isa(); look it up once per kernel call

// The AVX2 table (vec_avx2.cpp); only called when the CPU has AVX2 and FMA.
const VecOps& vec_ops_avx2();

}  // namespace sunbae::kernels::cpu
