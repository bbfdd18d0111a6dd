// Compiled with -mavx2 -mfma -mf16c; only called when the CPU reports those (see isa.cpp).
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/matmul.h"

namespace sunbae::kernels::cpu {

namespace {
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Eight weights starting at element k of row `row`, widened to f32.
template <DType T>
inline __m256 load8(const void* row, int64_t k) {
  if constexpr (T == DType::F32) {
    return _mm256_loadu_ps(static_cast<const float*>(row) + k);
  } else if constexpr (T == DType::BF16) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(row) + k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  } else {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(row) + k));
    return _mm256_cvtph_ps(h);
  }
}

template <DType T>
inline float load1(const void* row, int64_t k) {
  if constexpr (T == DType::F32) return static_cast<const float*>(row)[k];
  else if constexpr (T == DType::BF16) return bf16_to_f32(static_cast<const uint16_t*>(row)[k]);
  else return f16_to_f32(static_cast<const uint16_t*>(row)[k]);
}

template <DType T>
const void* row_ptr(const WeightMatrix& w, int64_t n) {
  return static_cast<const char*>(w.data) + size_t(n) * size_t(w.cols) * dtype_size(T);
}

// Few activation rows (decode): widen each weight vector in registers and use it for every row.
template <DType T, int MR>
void rows_direct(const float* x, const WeightMatrix& w, int64_t n0, int64_t n1, float* y) {
  const int64_t K = w.cols, N = w.rows, K8 = K & ~int64_t(7);
  for (int64_t n = n0; n < n1; ++n) {
    const void* wr = row_ptr<T>(w, n);
    __m256 acc[MR];
    for (int m = 0; m < MR; ++m) acc[m] = _mm256_setzero_ps();
    for (int64_t k = 0; k < K8; k += 8) {
      const __m256 wv = load8<T>(wr, k);
      for (int m = 0; m < MR; ++m) acc[m] = _mm256_fmadd_ps(_mm256_loadu_ps(x + m * K + k), wv, acc[m]);
    }
    for (int m = 0; m < MR; ++m) {
      float s = hsum(acc[m]);
      for (int64_t k = K8; k < K; ++k) s += x[m * K + k] * load1<T>(wr, k);
      y[m * N + n] = s;
    }
  }
}

inline float dot_f32(const float* a, const float* b, int64_t K) {
  const int64_t K8 = K & ~int64_t(7);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t k = 0; k < K8; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
  float s = hsum(acc);
  for (int64_t k = K8; k < K; ++k) s += a[k] * b[k];
  return s;
}

// Many activation rows (prefill): widen a tile of weight rows once into f32, then a 4x2
// register block of dot products over it.
template <DType T>
void rows_tiled(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1, float* y) {
  constexpr int64_t kTile = 16;
  const int64_t K = w.cols, N = w.rows, K8 = K & ~int64_t(7);
  thread_local std::vector<float> tile;
  tile.resize(size_t(kTile * K));
  for (int64_t nt = n0; nt < n1; nt += kTile) {
    const int64_t nr = std::min(kTile, n1 - nt);
    for (int64_t r = 0; r < nr; ++r) {
      const void* wr = row_ptr<T>(w, nt + r);
      float* dst = tile.data() + r * K;
      for (int64_t k = 0; k < K8; k += 8) _mm256_storeu_ps(dst + k, load8<T>(wr, k));
      for (int64_t k = K8; k < K; ++k) dst[k] = load1<T>(wr, k);
    }
    int64_t m = 0;
    for (; m + 4 <= M; m += 4) {
      const float* x0 = x + m * K;
      int64_t r = 0;
      for (; r + 2 <= nr; r += 2) {
        const float* w0 = tile.data() + r * K;
        const float* w1 = w0 + K;
        __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
               a30 = a00, a31 = a00;
        for (int64_t k = 0; k < K8; k += 8) {
          const __m256 b0 = _mm256_loadu_ps(w0 + k), b1 = _mm256_loadu_ps(w1 + k);
          __m256 xv = _mm256_loadu_ps(x0 + k);
          a00 = _mm256_fmadd_ps(xv, b0, a00); a01 = _mm256_fmadd_ps(xv, b1, a01);
          xv = _mm256_loadu_ps(x0 + K + k);
          a10 = _mm256_fmadd_ps(xv, b0, a10); a11 = _mm256_fmadd_ps(xv, b1, a11);
          xv = _mm256_loadu_ps(x0 + 2 * K + k);
          a20 = _mm256_fmadd_ps(xv, b0, a20); a21 = _mm256_fmadd_ps(xv, b1, a21);
          xv = _mm256_loadu_ps(x0 + 3 * K + k);
          a30 = _mm256_fmadd_ps(xv, b0, a30); a31 = _mm256_fmadd_ps(xv, b1, a31);
        }
        float s[8] = {hsum(a00), hsum(a01), hsum(a10), hsum(a11),
                      hsum(a20), hsum(a21), hsum(a30), hsum(a31)};
        for (int64_t k = K8; k < K; ++k) {
          for (int i = 0; i < 4; ++i) {
            s[2 * i] += x0[i * K + k] * w0[k];
            s[2 * i + 1] += x0[i * K + k] * w1[k];
          }
        }
        for (int i = 0; i < 4; ++i) {
          y[(m + i) * N + nt + r] = s[2 * i];
          y[(m + i) * N + nt + r + 1] = s[2 * i + 1];
        }
      }
      for (; r < nr; ++r)
        for (int i = 0; i < 4; ++i) y[(m + i) * N + nt + r] = dot_f32(x0 + i * K, tile.data() + r * K, K);
    }
    for (; m < M; ++m)
      for (int64_t r = 0; r < nr; ++r) y[m * N + nt + r] = dot_f32(x + m * K, tile.data() + r * K, K);
  }
}

template <DType T>
void rows(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1, float* y) {
  switch (M) {
    case 1: return rows_direct<T, 1>(x, w, n0, n1, y);
    case 2: return rows_direct<T, 2>(x, w, n0, n1, y);
    case 3: return rows_direct<T, 3>(x, w, n0, n1, y);
    default: return rows_tiled<T>(x, M, w, n0, n1, y);
  }
}
}  // namespace

void matmul_rows_avx2(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1,
                      float* y) {
  switch (w.dtype) {
    case DType::F32: return rows<DType::F32>(x, M, w, n0, n1, y);
    case DType::BF16: return rows<DType::BF16>(x, M, w, n0, n1, y);
    default: return rows<DType::F16>(x, M, w, n0, n1, y);
  }
}

}  // namespace sunbae::kernels::cpu
