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

// Summation order, shared by every path so that a row's result does not depend on how many
// rows are computed with it (batch invariance, tested bit for bit): K is cut into blocks of kKc;
// within a block, 8-lane FMA accumulation over whole 8-vectors, a horizontal sum, then the
// block's leftover elements one by one; block sums are added in order to the total.
constexpr int64_t kKc = 256;

// Few activation rows (decode): widen each weight vector in registers and use it for every row.
template <DType T, int MR>
void rows_direct(const float* x, const WeightMatrix& w, int64_t n0, int64_t n1, float* y) {
  const int64_t K = w.cols, N = w.rows;
  for (int64_t n = n0; n < n1; ++n) {
    const void* wr = row_ptr<T>(w, n);
    float total[MR] = {};
    for (int64_t kb = 0; kb < K; kb += kKc) {
      const int64_t ke = std::min(K, kb + kKc), k8 = kb + ((ke - kb) & ~int64_t(7));
      __m256 acc[MR];
      for (int m = 0; m < MR; ++m) acc[m] = _mm256_setzero_ps();
      for (int64_t k = kb; k < k8; k += 8) {
        const __m256 wv = load8<T>(wr, k);
        for (int m = 0; m < MR; ++m) acc[m] = _mm256_fmadd_ps(_mm256_loadu_ps(x + m * K + k), wv, acc[m]);
      }
      for (int m = 0; m < MR; ++m) {
        float s = hsum(acc[m]);
        for (int64_t k = k8; k < ke; ++k) s += x[m * K + k] * load1<T>(wr, k);
        total[m] += s;
      }
    }
    for (int m = 0; m < MR; ++m) y[m * N + n] = total[m];
  }
}

// One block's dot product in the shared order.
inline float block_dot(const float* a, const float* b, int64_t len) {
  const int64_t l8 = len & ~int64_t(7);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t k = 0; k < l8; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
  float s = hsum(acc);
  for (int64_t k = l8; k < len; ++k) s += a[k] * b[k];
  return s;
}

// Many activation rows (prefill): a tile of weight rows x one K block is widened into a packed
// f32 buffer that stays in L2, and a 4x3 register block of dot products runs over it with the
// 4 activation rows' slices in L1.
template <DType T>
void rows_tiled(const float* x, int64_t M, const WeightMatrix& w, int64_t n0, int64_t n1, float* y) {
  constexpr int64_t kTile = 48;
  const int64_t K = w.cols, N = w.rows;
  thread_local std::vector<float> pack;
  pack.resize(size_t(kTile * kKc));
  for (int64_t m = 0; m < M; ++m) std::fill(y + m * N + n0, y + m * N + n1, 0.0f);
  for (int64_t nt = n0; nt < n1; nt += kTile) {
    const int64_t nr = std::min(kTile, n1 - nt);
    for (int64_t kb = 0; kb < K; kb += kKc) {
      const int64_t len = std::min(kKc, K - kb), l8 = len & ~int64_t(7);
      for (int64_t r = 0; r < nr; ++r) {
        const void* wr = row_ptr<T>(w, nt + r);
        float* dst = pack.data() + r * kKc;
        for (int64_t k = 0; k < l8; k += 8) _mm256_storeu_ps(dst + k, load8<T>(wr, kb + k));
        for (int64_t k = l8; k < len; ++k) dst[k] = load1<T>(wr, kb + k);
      }
      int64_t m = 0;
      for (; m + 4 <= M; m += 4) {
        const float* xb = x + m * K + kb;
        int64_t r = 0;
        for (; r + 3 <= nr; r += 3) {
          const float* wb = pack.data() + r * kKc;
          __m256 acc[4][3];
          for (auto& row : acc)
            for (auto& a : row) a = _mm256_setzero_ps();
          for (int64_t k = 0; k < l8; k += 8) {
            const __m256 b0 = _mm256_loadu_ps(wb + k), b1 = _mm256_loadu_ps(wb + kKc + k),
                         b2 = _mm256_loadu_ps(wb + 2 * kKc + k);
            for (int i = 0; i < 4; ++i) {
              const __m256 xv = _mm256_loadu_ps(xb + i * K + k);
              acc[i][0] = _mm256_fmadd_ps(xv, b0, acc[i][0]);
              acc[i][1] = _mm256_fmadd_ps(xv, b1, acc[i][1]);
              acc[i][2] = _mm256_fmadd_ps(xv, b2, acc[i][2]);
            }
          }
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 3; ++j) {
              float s = hsum(acc[i][j]);
              for (int64_t k = l8; k < len; ++k) s += xb[i * K + k] * wb[j * kKc + k];
              y[(m + i) * N + nt + r + j] += s;
            }
        }
        for (; r < nr; ++r)
          for (int i = 0; i < 4; ++i) y[(m + i) * N + nt + r] += block_dot(xb + i * K, pack.data() + r * kKc, len);
      }
      for (; m < M; ++m)
        for (int64_t r = 0; r < nr; ++r)
          y[m * N + nt + r] += block_dot(x + m * K + kb, pack.data() + r * kKc, len);
    }
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
