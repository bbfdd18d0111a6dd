#include "kernels/cpu/matmul.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/isa.h"

namespace sunbae::kernels::cpu {

namespace {
// Weight rows converted to f32 per tile, so a prefill's M rows reuse one conversion.
constexpr int64_t kTileRows = 8;

void load_row_f32(const WeightMatrix& w, int64_t n, float* out) {
  const size_t row_bytes = size_t(w.cols) * dtype_size(w.dtype);
  widen_to_f32(static_cast<const char*>(w.data) + size_t(n) * row_bytes, w.dtype, w.cols, out);
}
void add_bias(const float* bias, int64_t M, int64_t N, float* y) {
  if (!bias) return;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) y[m * N + n] += bias[n];
}
}  // namespace

void matmul_rows_scalar(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1,
                        float* y) {
  const int64_t K = w.cols, N = w.rows;
  std::vector<float> tile(size_t(kTileRows * K));
  for (int64_t nt = n0; nt < n1; nt += kTileRows) {
    const int64_t nr = std::min(kTileRows, n1 - nt);
    for (int64_t r = 0; r < nr; ++r) load_row_f32(w, nt + r, tile.data() + r * K);
    for (int64_t m = 0; m < M; ++m) {
      const float* xm = x + m * K;
      for (int64_t r = 0; r < nr; ++r) {
        const float* wr = tile.data() + r * K;
        float acc = 0.f;
        for (int64_t k = 0; k < K; ++k) acc += xm[k] * wr[k];
        y[m * N + nt + r] = acc;
      }
    }
  }
}

void matmul(const float* x, int64_t M, const WeightMatrix& w, const float* bias, float* y) {
  if (is_quantized(w.dtype)) {
    matmul_quant(x, M, w, y);
    add_bias(bias, M, w.rows, y);
    return;
  }
  SUNBAE_CHECK(w.dtype == DType::F32 || w.dtype == DType::BF16 || w.dtype == DType::F16,
               "matmul: weight dtype ", dtype_name(w.dtype), " is not supported on the CPU");
  const int64_t N = w.rows;
  const bool simd = active_isa() == Isa::Avx2;
  // Split N across threads in whole tiles; each thread owns its columns of y.
  const int64_t tiles = (N + kTileRows - 1) / kTileRows;
#pragma omp parallel
  {
    const int64_t nth = omp_get_num_threads(), ith = omp_get_thread_num();
    const int64_t t0 = tiles * ith / nth, t1 = tiles * (ith + 1) / nth;
    const int64_t n0 = std::min(N, t0 * kTileRows), n1 = std::min(N, t1 * kTileRows);
    if (n0 < n1) {
#ifdef SUNBAE_HAVE_AVX2_TU
      if (simd)
        matmul_rows_avx2(x, M, w, n0, n1, y);
      else
#endif
        matmul_rows_scalar(x, M, w, n0, n1, y);
    }
  }
  add_bias(bias, M, N, y);
}

}  // namespace sunbae::kernels::cpu
