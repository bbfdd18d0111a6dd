// AVX2 dot products on packed blocks. Compiled with -mavx2 -mfma -mf16c; only called when the
// CPU reports those (isa.cpp). Integer products are exact (maddubs pairs stay below int16's
// range for these quant ranges), so each block's integer sum equals the portable one; only the
// float accumulation across blocks is ordered differently.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/cpu/quant.h"
#include "kernels/cpu/quant_blocks.h"

namespace sunbae::kernels::cpu {

namespace {

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// 32 nibbles of a 16-byte array: low nibbles in bytes 0..15, high nibbles in bytes 16..31.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// Sums of adjacent products of signed bytes as 8 int32: maddubs needs one unsigned operand, so
// take |x| and move x's sign onto y.
inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// The same with x unsigned (0..63).
inline __m256i dot_u8_i8(__m256i x, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1));
}

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Scalar combines written as explicit FMAs: C++ lets the compiler contract a*b+c differently in
// the one-row and four-row kernels, and their results must agree bit for bit.
inline float fma_(float a, float b, float c) { return std::fma(a, b, c); }
// A K super-block's contribution: y_d * (d * sum(sc * q * y) - dmin * sum(m * bsum)).
inline float k_block(float sum, float yd, float d, int32_t isum, float dmin, int32_t summ) {
  return fma_(yd, fma_(d, float(isum), -(dmin * float(summ))), sum);
}

}  // namespace

float vec_dot_q4_0_q8_0_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_sub_epi8(unpack_nibbles(a[i].qs), _mm256_set1_epi8(8));
    const __m256i s = dot_i8(q, load32(b[i].qs));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s), acc);
  }
  return hsum(acc);
}

float vec_dot_q4_1_q8_1_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  // Two blocks per step into separate accumulators: one FMA chain would wait on its own latency.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  float mins0 = 0, mins1 = 0;
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m256i s0 = dot_u8_i8(unpack_nibbles(a[i].qs), load32(b[i].qs));
    const __m256i s1 = dot_u8_i8(unpack_nibbles(a[i + 1].qs), load32(b[i + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i + 1].d) * h2f(b[i + 1].d)), _mm256_cvtepi32_ps(s1), acc1);
    mins0 = fma_(h2f(a[i].m), h2f(b[i].s), mins0);
    mins1 = fma_(h2f(a[i + 1].m), h2f(b[i + 1].s), mins1);
  }
  for (; i < nb; ++i) {
    const __m256i s0 = dot_u8_i8(unpack_nibbles(a[i].qs), load32(b[i].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s0), acc0);
    mins0 = fma_(h2f(a[i].m), h2f(b[i].s), mins0);
  }
  return hsum(_mm256_add_ps(acc0, acc1)) + (mins0 + mins1);
}

// Four activation rows against one weight row: the weight blocks are unpacked once for all four.
// Each row's arithmetic is exactly the single-row function's (same operations, same order), so
// a row's result does not depend on how many rows were computed with it.
void vec_dot_q4_1_q8_1_x4_avx2(int64_t n, const void* w, const void* const* x, float* out) {
  const auto* a = static_cast<const BlockQ4_1*>(w);
  const BlockQ8_1* b[4];
  for (int r = 0; r < 4; ++r) b[r] = static_cast<const BlockQ8_1*>(x[r]);
  __m256 acc0[4], acc1[4];
  float mins0[4] = {}, mins1[4] = {};
  for (int r = 0; r < 4; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m256i w0 = unpack_nibbles(a[i].qs), w1 = unpack_nibbles(a[i + 1].qs);
    const float d0 = h2f(a[i].d), d1 = h2f(a[i + 1].d), m0 = h2f(a[i].m), m1 = h2f(a[i + 1].m);
    for (int r = 0; r < 4; ++r) {
      const __m256i s0 = dot_u8_i8(w0, load32(b[r][i].qs));
      const __m256i s1 = dot_u8_i8(w1, load32(b[r][i + 1].qs));
      acc0[r] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * h2f(b[r][i].d)), _mm256_cvtepi32_ps(s0), acc0[r]);
      acc1[r] = _mm256_fmadd_ps(_mm256_set1_ps(d1 * h2f(b[r][i + 1].d)), _mm256_cvtepi32_ps(s1), acc1[r]);
      mins0[r] = fma_(m0, h2f(b[r][i].s), mins0[r]);
      mins1[r] = fma_(m1, h2f(b[r][i + 1].s), mins1[r]);
    }
  }
  for (; i < nb; ++i) {
    const __m256i w0 = unpack_nibbles(a[i].qs);
    const float d0 = h2f(a[i].d), m0 = h2f(a[i].m);
    for (int r = 0; r < 4; ++r) {
      const __m256i s0 = dot_u8_i8(w0, load32(b[r][i].qs));
      acc0[r] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * h2f(b[r][i].d)), _mm256_cvtepi32_ps(s0), acc0[r]);
      mins0[r] = fma_(m0, h2f(b[r][i].s), mins0[r]);
    }
  }
  for (int r = 0; r < 4; ++r) out[r] = hsum(_mm256_add_ps(acc0[r], acc1[r])) + (mins0[r] + mins1[r]);
}

void vec_dot_q8_0_q8_0_x4_avx2(int64_t n, const void* w, const void* const* x, float* out) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* b[4];
  for (int r = 0; r < 4; ++r) b[r] = static_cast<const BlockQ8_0*>(x[r]);
  __m256 acc0[4], acc1[4];
  for (int r = 0; r < 4; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m256i w0 = load32(a[i].qs), w1 = load32(a[i + 1].qs);
    const float d0 = h2f(a[i].d), d1 = h2f(a[i + 1].d);
    for (int r = 0; r < 4; ++r) {
      const __m256i s0 = dot_i8(w0, load32(b[r][i].qs));
      const __m256i s1 = dot_i8(w1, load32(b[r][i + 1].qs));
      acc0[r] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * h2f(b[r][i].d)), _mm256_cvtepi32_ps(s0), acc0[r]);
      acc1[r] = _mm256_fmadd_ps(_mm256_set1_ps(d1 * h2f(b[r][i + 1].d)), _mm256_cvtepi32_ps(s1), acc1[r]);
    }
  }
  for (; i < nb; ++i) {
    const __m256i w0 = load32(a[i].qs);
    const float d0 = h2f(a[i].d);
    for (int r = 0; r < 4; ++r) {
      const __m256i s0 = dot_i8(w0, load32(b[r][i].qs));
      acc0[r] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * h2f(b[r][i].d)), _mm256_cvtepi32_ps(s0), acc0[r]);
    }
  }
  for (int r = 0; r < 4; ++r) out[r] = hsum(_mm256_add_ps(acc0[r], acc1[r]));
}

// 32 bits -> 32 bytes, 0xFF where the bit is set (byte j from bit j).
inline __m256i bits_to_bytes(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  const __m256i pick = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32(int(bits)), pick);
  // Byte k of each 8 has every bit set but bit k: the OR is all ones exactly when bit k is set.
  const __m256i others = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
  return _mm256_cmpeq_epi8(_mm256_or_si256(b, others), _mm256_set1_epi64x(-1));
}

float vec_dot_q5_0_q8_0_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    // q - 16 as a signed byte: the low nibble, with 0xF0 or'ed in where the fifth bit is clear.
    const __m256i q = _mm256_or_si256(unpack_nibbles(a[i].qs),
                                      _mm256_andnot_si256(bits_to_bytes(a[i].qh), _mm256_set1_epi8(char(0xF0))));
    const __m256i s = dot_i8(q, load32(b[i].qs));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s), acc);
  }
  return hsum(acc);
}

float vec_dot_q5_1_q8_1_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  __m256 acc = _mm256_setzero_ps();
  float mins = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles(a[i].qs),
                                      _mm256_and_si256(bits_to_bytes(a[i].qh), _mm256_set1_epi8(0x10)));
    const __m256i s = dot_u8_i8(q, load32(b[i].qs));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s), acc);
    mins = fma_(h2f(a[i].m), h2f(b[i].s), mins);
  }
  return hsum(acc) + mins;
}

float vec_dot_q8_0_q8_0_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m256i s0 = dot_i8(load32(a[i].qs), load32(b[i].qs));
    const __m256i s1 = dot_i8(load32(a[i + 1].qs), load32(b[i + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i + 1].d) * h2f(b[i + 1].d)), _mm256_cvtepi32_ps(s1), acc1);
  }
  for (; i < nb; ++i) {
    const __m256i s0 = dot_i8(load32(a[i].qs), load32(b[i].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(s0), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float vec_dot_q4_k_q8_k_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_K*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  float sum = 0;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    __m256i acc = _mm256_setzero_si256();
    int32_t summ = 0;
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      scale_min_k4(2 * c, a[i].scales, &sc0, &m0);
      scale_min_k4(2 * c + 1, a[i].scales, &sc1, &m1);
      summ += m0 * (b[i].bsums[4 * c] + b[i].bsums[4 * c + 1]) +
              m1 * (b[i].bsums[4 * c + 2] + b[i].bsums[4 * c + 3]);
      const __m256i q = load32(a[i].qs + 32 * c);
      const __m256i lo = _mm256_and_si256(q, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const __m256i p0 = _mm256_maddubs_epi16(lo, load32(b[i].qs + 64 * c));
      const __m256i p1 = _mm256_maddubs_epi16(hi, load32(b[i].qs + 64 * c + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)));
    }
    sum = k_block(sum, b[i].d, h2f(a[i].d), hsum_i32(acc), h2f(a[i].dmin), summ);
  }
  return sum;
}

float vec_dot_q5_k_q8_k_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_K*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  float sum = 0;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    __m256i acc = _mm256_setzero_si256();
    int32_t summ = 0;
    const __m256i qh = load32(a[i].qh);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      scale_min_k4(2 * c, a[i].scales, &sc0, &m0);
      scale_min_k4(2 * c + 1, a[i].scales, &sc1, &m1);
      summ += m0 * (b[i].bsums[4 * c] + b[i].bsums[4 * c + 1]) +
              m1 * (b[i].bsums[4 * c + 2] + b[i].bsums[4 * c + 3]);
      const __m256i q = load32(a[i].qs + 32 * c);
      // Fifth bits: bit 2c of qh[l] for the low nibbles, bit 2c + 1 for the high ones, moved to
      // bit 4 (shifts of 16-bit lanes keep each byte's masked bit inside that byte).
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low4), h0);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4), h1);
      const __m256i p0 = _mm256_maddubs_epi16(lo, load32(b[i].qs + 64 * c));
      const __m256i p1 = _mm256_maddubs_epi16(hi, load32(b[i].qs + 64 * c + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)));
    }
    sum = k_block(sum, b[i].d, h2f(a[i].d), hsum_i32(acc), h2f(a[i].dmin), summ);
  }
  return sum;
}

float vec_dot_q6_k_q8_k_avx2(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ6_K*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  const __m256i low4 = _mm256_set1_epi8(0x0F), low2 = _mm256_set1_epi8(0x03);
  const __m256i k32 = _mm256_set1_epi8(32);
  float sum = 0;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load32(a[i].ql + 64 * h), ql1 = load32(a[i].ql + 64 * h + 32);
      const __m256i qh = load32(a[i].qh + 32 * h);
      const __m256i lows[4] = {
          _mm256_and_si256(ql0, low4), _mm256_and_si256(ql1, low4),
          _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
          _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4)};
      for (int k = 0; k < 4; ++k) {
        const __m256i highs = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), low2);
        const __m256i q = _mm256_or_si256(lows[k], _mm256_slli_epi16(highs, 4));
        const __m256i y = load32(b[i].qs + 128 * h + 32 * k);
        // (q - 32) * y as q * y - 32 * y, both through maddubs (q is unsigned 0..63).
        const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y), _mm256_maddubs_epi16(k32, y));
        const int sb = 8 * h + 2 * k;  // the two 16-element sub-blocks these 32 span
        const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(a[i].scales[sb + 1]),
                                            _mm_set1_epi16(a[i].scales[sb]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, sc));
      }
    }
    sum = fma_(h2f(a[i].d) * b[i].d, float(hsum_i32(acc)), sum);
  }
  return sum;
}

// K formats, four activation rows: scales and unpacked quants shared; integer sums are exact,
// so each row's result equals the single-row kernel's bit for bit.
void vec_dot_q4_k_q8_k_x4_avx2(int64_t n, const void* w, const void* const* x, float* out) {
  const auto* a = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* b[4];
  for (int r = 0; r < 4; ++r) b[r] = static_cast<const BlockQ8_K*>(x[r]);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  float sum[4] = {};
  for (int64_t i = 0; i < n / kQKK; ++i) {
    __m256i acc[4];
    int32_t summ[4] = {};
    for (int r = 0; r < 4; ++r) acc[r] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      scale_min_k4(2 * c, a[i].scales, &sc0, &m0);
      scale_min_k4(2 * c + 1, a[i].scales, &sc1, &m1);
      const __m256i q = load32(a[i].qs + 32 * c);
      const __m256i lo = _mm256_and_si256(q, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const __m256i s0 = _mm256_set1_epi16(sc0), s1 = _mm256_set1_epi16(sc1);
      for (int r = 0; r < 4; ++r) {
        const BlockQ8_K& y = b[r][i];
        summ[r] += m0 * (y.bsums[4 * c] + y.bsums[4 * c + 1]) + m1 * (y.bsums[4 * c + 2] + y.bsums[4 * c + 3]);
        const __m256i p0 = _mm256_maddubs_epi16(lo, load32(y.qs + 64 * c));
        const __m256i p1 = _mm256_maddubs_epi16(hi, load32(y.qs + 64 * c + 32));
        acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(p0, s0));
        acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(p1, s1));
      }
    }
    const float d = h2f(a[i].d), dmin = h2f(a[i].dmin);
    for (int r = 0; r < 4; ++r) sum[r] = k_block(sum[r], b[r][i].d, d, hsum_i32(acc[r]), dmin, summ[r]);
  }
  for (int r = 0; r < 4; ++r) out[r] = sum[r];
}

void vec_dot_q6_k_q8_k_x4_avx2(int64_t n, const void* w, const void* const* x, float* out) {
  const auto* a = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* b[4];
  for (int r = 0; r < 4; ++r) b[r] = static_cast<const BlockQ8_K*>(x[r]);
  const __m256i low4 = _mm256_set1_epi8(0x0F), low2 = _mm256_set1_epi8(0x03);
  const __m256i k32 = _mm256_set1_epi8(32);
  float sum[4] = {};
  for (int64_t i = 0; i < n / kQKK; ++i) {
    __m256i acc[4];
    for (int r = 0; r < 4; ++r) acc[r] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load32(a[i].ql + 64 * h), ql1 = load32(a[i].ql + 64 * h + 32);
      const __m256i qh = load32(a[i].qh + 32 * h);
      const __m256i lows[4] = {
          _mm256_and_si256(ql0, low4), _mm256_and_si256(ql1, low4),
          _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
          _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4)};
      for (int k = 0; k < 4; ++k) {
        const __m256i highs = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), low2);
        const __m256i q = _mm256_or_si256(lows[k], _mm256_slli_epi16(highs, 4));
        const int sb = 8 * h + 2 * k;
        const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(a[i].scales[sb + 1]), _mm_set1_epi16(a[i].scales[sb]));
        for (int r = 0; r < 4; ++r) {
          const __m256i y = load32(b[r][i].qs + 128 * h + 32 * k);
          const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y), _mm256_maddubs_epi16(k32, y));
          acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(p, sc));
        }
      }
    }
    const float d = h2f(a[i].d);
    for (int r = 0; r < 4; ++r) sum[r] = fma_(d * b[r][i].d, float(hsum_i32(acc[r])), sum[r]);
  }
  for (int r = 0; r < 4; ++r) out[r] = sum[r];
}

}  // namespace sunbae::kernels::cpu
