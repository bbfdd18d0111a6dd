#pragma once
// The CPU type-traits table for ggml's block-quantized formats: one row per format, as
// ggml-cpu's type_traits_cpu. Weights stay packed; a matmul quantizes each activation row once
// to the row's `vec_dot_type` and takes integer dot products block by block (what llama.cpp
// does, so both engines round the same way).
#include <cstdint>

#include "core/dtype.h"

namespace sunbae::kernels::cpu {

using ToFloatFn = void (*)(const void* blocks, float* out, int64_t n);
using FromFloatFn = void (*)(const float* in, void* blocks, int64_t n);
// Dot product of n elements: a weight row in this format and an activation row in vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* w, const void* x);
// The same for four activation rows at once (out[r] bit-identical to VecDotFn on x[r]).
using VecDotX4Fn = void (*)(int64_t n, const void* w, const void* const* x, float* out);

struct QuantTraits {
  DType type;
  DType vec_dot_type;      // the activation format its dot product takes (none for Q8_1/Q8_K)
  ToFloatFn to_float;      // dequantize n elements (n a multiple of the block)
  FromFloatFn from_float;  // quantize n elements
  VecDotFn vec_dot;        // portable; nullptr for activation-only formats
  VecDotFn vec_dot_avx2;   // nullptr where the portable one is used on AVX2 machines too
  VecDotX4Fn vec_dot_x4_avx2 = nullptr;  // prompt rows four at a time, where it pays
};

// nullptr for plain dtypes.
const QuantTraits* quant_traits(DType t);
// The dot product the active ISA uses for t, and its four-row form (nullptr when none).
VecDotFn vec_dot_for(const QuantTraits& t);
VecDotX4Fn vec_dot_x4_for(const QuantTraits& t);

// Per-format portable bodies (quant.cpp) and AVX2 bodies (quant_avx2.cpp), exposed for tests.
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* x);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* x);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* x);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* x);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* x);
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* x);
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* x);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* x);
float vec_dot_q4_0_q8_0_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q4_1_q8_1_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q8_0_q8_0_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q4_k_q8_k_avx2(int64_t n, const void* w, const void* x);
void vec_dot_q4_1_q8_1_x4_avx2(int64_t n, const void* w, const void* const* x, float* out);
void vec_dot_q8_0_q8_0_x4_avx2(int64_t n, const void* w, const void* const* x, float* out);
void vec_dot_q4_k_q8_k_x4_avx2(int64_t n, const void* w, const void* const* x, float* out);
void vec_dot_q6_k_q8_k_x4_avx2(int64_t n, const void* w, const void* const* x, float* out);
float vec_dot_q5_0_q8_0_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q5_1_q8_1_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q5_k_q8_k_avx2(int64_t n, const void* w, const void* x);
float vec_dot_q6_k_q8_k_avx2(int64_t n, const void* w, const void* x);

// y[M, N] = x[M, K] · W^T for a quantized W (rows [n0, n1) of it); xq holds x's rows already
// quantized to the vec_dot_type, row_bytes apart.
void matmul_quant_rows(const void* xq, size_t xq_row_bytes, int64_t M, const void* w, DType wt,
                       int64_t N, int64_t K, int64_t n0, int64_t n1, float* y);

}  // namespace sunbae::kernels::cpu
