// y = x · W^T for block-quantized W: each activation row is quantized once to the weight
// format's vec_dot_type, then every output is one dot product over packed blocks. A row's
// result depends only on that row, so batching and chunking stay bit-identical.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quant.h"

namespace sunbae::kernels::cpu {

namespace {
// Weight rows per tile: a tile is reused for every activation row while it sits in L1.
constexpr int64_t kTileRows = 8;
}  // namespace

void matmul_quant_rows(const void* xq, size_t xq_row_bytes, int64_t M, const void* w, DType wt,
                       int64_t N, int64_t K, int64_t n0, int64_t n1, float* y) {
  const QuantTraits& t = *quant_traits(wt);
  const VecDotFn dot = vec_dot_for(t);
  const VecDotX4Fn dot4 = vec_dot_x4_for(t);
  const size_t w_row_bytes = dtype_bytes(wt, K);
  const auto* wb = static_cast<const char*>(w);
  const auto* xb = static_cast<const char*>(xq);
  for (int64_t nt = n0; nt < n1; nt += kTileRows) {
    const int64_t ne = std::min(n1, nt + kTileRows);
    int64_t m = 0;
    if (dot4) {
      for (; m + 4 <= M; m += 4) {
        const void* xs[4];
        for (int r = 0; r < 4; ++r) xs[r] = xb + size_t(m + r) * xq_row_bytes;
        for (int64_t n = nt; n < ne; ++n) {
          float out[4];
          dot4(K, wb + size_t(n) * w_row_bytes, xs, out);
          for (int r = 0; r < 4; ++r) y[(m + r) * N + n] = out[r];
        }
      }
    }
    for (; m < M; ++m)
      for (int64_t n = nt; n < ne; ++n)
        y[m * N + n] = dot(K, wb + size_t(n) * w_row_bytes, xb + size_t(m) * xq_row_bytes);
  }
}

void matmul_quant(const float* x, int64_t M, const WeightMatrix& w, float* y) {
  const QuantTraits* t = quant_traits(w.dtype);
  SUNBAE_CHECK(t && t->vec_dot, "matmul: weight dtype ", dtype_name(w.dtype),
               " has no dot product on the CPU");
  const int64_t K = w.cols, N = w.rows;
  const DType xt = t->vec_dot_type;
  SUNBAE_CHECK(K % dtype_block_elems(w.dtype) == 0 && K % dtype_block_elems(xt) == 0, "matmul: ",
               dtype_name(w.dtype), " rows of ", K, " elements are not whole blocks");
  const size_t row_bytes = dtype_bytes(xt, K);
  const QuantTraits& xtraits = *quant_traits(xt);
  // Per call, not per thread: M rows of K/32 small blocks (a few KB for decode).
  thread_local std::vector<char> scratch;
  scratch.resize(size_t(M) * row_bytes);
  char* const xq = scratch.data();  // the calling thread's buffer, shared with the team below
  const int64_t tiles = (N + kTileRows - 1) / kTileRows;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t m = 0; m < M; ++m) xtraits.from_float(x + m * K, xq + size_t(m) * row_bytes, K);
    const int64_t nth = omp_get_num_threads(), ith = omp_get_thread_num();
    const int64_t t0 = tiles * ith / nth, t1 = tiles * (ith + 1) / nth;
    const int64_t n0 = std::min(N, t0 * kTileRows), n1 = std::min(N, t1 * kTileRows);
    if (n0 < n1) matmul_quant_rows(xq, row_bytes, M, w.data, w.dtype, N, K, n0, n1, y);
  }
}

}  // namespace sunbae::kernels::cpu
