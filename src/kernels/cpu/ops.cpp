#include "kernels/cpu/ops.h"

#include <cmath>

#include "core/error.h"
#include "kernels/cpu/quant.h"

namespace sunbae::kernels::cpu {

void embedding(const TensorView& table, const int32_t* ids, int64_t M, float* out) {
  const int64_t D = table.dim(1);
  const size_t row_bytes = dtype_bytes(table.dtype, D);
  const QuantTraits* q = quant_traits(table.dtype);  // quantized rows dequantize one at a time
#pragma omp parallel for if (M * D > 65536)
  for (int64_t m = 0; m < M; ++m) {
    const char* row = static_cast<const char*>(table.data) + size_t(ids[m]) * row_bytes;
    if (q) q->to_float(row, out + m * D, D);
    else widen_to_f32(row, table.dtype, D, out + m * D);
  }
}

void rmsnorm(const float* x, const float* w, float eps, int64_t M, int64_t D, float* y) {
#pragma omp parallel for if (M > 4)
  for (int64_t m = 0; m < M; ++m) {
    const float* xm = x + m * D;
    float* ym = y + m * D;
    // Sum in double: the reference (torch, f32) pairs its adds; double keeps us within 1e-7.
    double ss = 0.0;
    for (int64_t d = 0; d < D; ++d) ss += double(xm[d]) * xm[d];
    const float inv = 1.0f / std::sqrt(float(ss / double(D)) + eps);
    for (int64_t d = 0; d < D; ++d) ym[d] = w[d] * (xm[d] * inv);
  }
}

void layernorm(const float* x, const float* w, const float* b, float eps, int64_t M, int64_t D, float* y) {
#pragma omp parallel for if (M > 4)
  for (int64_t m = 0; m < M; ++m) {
    const float* xm = x + m * D;
    float* ym = y + m * D;
    // Two passes in double, as rmsnorm: torch's f32 reductions land within 1e-7 of it.
    double sum = 0.0;
    for (int64_t d = 0; d < D; ++d) sum += xm[d];
    const double mean = sum / double(D);
    double ss = 0.0;
    for (int64_t d = 0; d < D; ++d) ss += (xm[d] - mean) * (xm[d] - mean);
    const float inv = float(1.0 / std::sqrt(ss / double(D) + double(eps)));
    const float mu = float(mean);
    for (int64_t d = 0; d < D; ++d) ym[d] = (xm[d] - mu) * inv * w[d] + b[d];
  }
}

void add_inplace(float* x, const float* y, int64_t n) {
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void silu_mul(float* gate, const float* up, int64_t M, int64_t F) {
  const int64_t n = M * F;
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void gelu(float* x, int64_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

void rope(float* x, int64_t M, int64_t heads, int64_t head_dim, int64_t rot_dim,
          const int64_t* positions, const float* const* inv_freq_rows) {
  const int64_t half = rot_dim / 2;
#pragma omp parallel for if (M > 4)
  for (int64_t m = 0; m < M; ++m) {
    const float pos = float(positions[m]);
    const float* inv_freq = inv_freq_rows[m];
    for (int64_t i = 0; i < half; ++i) {
      // The angle is formed in f32 as the reference does (position * inv_freq in f32).
      const float angle = pos * inv_freq[i];
      const float c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < heads; ++h) {
        float* v = x + (m * heads + h) * head_dim;
        const float a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
  }
}

}  // namespace sunbae::kernels::cpu
