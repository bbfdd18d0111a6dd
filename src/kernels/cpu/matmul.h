#pragma once
#include <cstdint>

#include "kernels/weights.h"

namespace sunbae::kernels::cpu {

// y[M, N] = x[M, K] · W[N, K]^T (+ bias[N] when not null); f32 accumulate, all cores.
void matmul(const float* x, int64_t M, const WeightMatrix& w, const float* bias, float* y);

// The same for block-quantized W (matmul_quant.cpp); matmul dispatches to it.
void matmul_quant(const float* x, int64_t M, const WeightMatrix& w, float* y);

// The per-ISA bodies, each computing rows [n0, n1) of W for all M rows of x.
void matmul_rows_scalar(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1,
                        float* y);
void matmul_rows_avx2(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1,
                      float* y);

}  // namespace sunbae::kernels::cpu
