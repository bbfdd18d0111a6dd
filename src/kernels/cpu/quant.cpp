// Portable bodies of the quantized formats: dequantization, quantization and dot products.
// Dot products sum integer products exactly within a block and scale once per block (or
// sub-block), the same arithmetic as ggml's, so results differ from llama.cpp only by the
// order of float additions across blocks.
#include "kernels/cpu/quant.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/quant_blocks.h"

namespace sunbae::kernels::cpu {

namespace {

// Half -> float through a table: the portable dot products convert a scale per block.
const std::array<float, 65536>& half_table() {
  static const std::array<float, 65536> t = [] {
    std::array<float, 65536> a{};
    for (uint32_t i = 0; i < 65536; ++i) a[i] = f16_to_f32(uint16_t(i));
    return a;
  }();
  return t;
}
inline float h2f(uint16_t h) { return half_table()[h]; }
inline uint16_t f2h(float f) { return f32_to_f16(f); }

// Round half to even, as ggml's nearest_int and AVX's _MM_ROUND_NEAREST do.
inline int nearest(float x) { return int(std::nearbyint(x)); }

// ---------------------------------------------------------------- 32-element formats

void to_float_q4_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = float((b[i].qs[j] & 0xF) - 8) * d;
      y[j + kQK / 2] = float((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

// The value of largest magnitude maps to -8, so the 16 levels cover [-8d, 7d] with d signed.
void from_float_q4_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j)
      if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), max = x[j];
    const float d = max / -8, id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(int(x[j] * id + 8.5f), 0, 15);
      const int q1 = std::clamp(int(x[j + kQK / 2] * id + 8.5f), 0, 15);
      b[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void to_float_q4_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d), m = h2f(b[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = float(b[i].qs[j] & 0xF) * d + m;
      y[j + kQK / 2] = float(b[i].qs[j] >> 4) * d + m;
    }
  }
}

void from_float_q4_1(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float mn = x[0], mx = x[0];
    for (int j = 1; j < kQK; ++j) mn = std::min(mn, x[j]), mx = std::max(mx, x[j]);
    const float d = (mx - mn) / 15, id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    b[i].m = f2h(mn);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::clamp(int((x[j] - mn) * id + 0.5f), 0, 15);
      const int q1 = std::clamp(int((x[j + kQK / 2] - mn) * id + 0.5f), 0, 15);
      b[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

// Element j's 5-bit quant in a Q5_0/Q5_1 block.
template <class Block>
inline int q5_quant(const Block& b, int j) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  const int low = j < kQK / 2 ? (b.qs[j] & 0xF) : (b.qs[j - kQK / 2] >> 4);
  return low | int(((qh >> j) & 1) << 4);
}

template <class Block>
void set_q5(Block& b, const int* q) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    b.qs[j] = uint8_t((q[j] & 0xF) | ((q[j + kQK / 2] & 0xF) << 4));
    qh |= uint32_t(q[j] >> 4) << j;
    qh |= uint32_t(q[j + kQK / 2] >> 4) << (j + kQK / 2);
  }
  std::memcpy(b.qh, &qh, 4);
}

void to_float_q5_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = float(q5_quant(b[i], j) - 16) * d;
  }
}

void from_float_q5_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j)
      if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), max = x[j];
    const float d = max / -16, id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = std::clamp(int(x[j] * id + 16.5f), 0, 31);
    set_q5(b[i], q);
  }
}

void to_float_q5_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d), m = h2f(b[i].m);
    for (int j = 0; j < kQK; ++j) y[j] = float(q5_quant(b[i], j)) * d + m;
  }
}

void from_float_q5_1(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float mn = x[0], mx = x[0];
    for (int j = 1; j < kQK; ++j) mn = std::min(mn, x[j]), mx = std::max(mx, x[j]);
    const float d = (mx - mn) / 31, id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = f2h(d);
    b[i].m = f2h(mn);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = std::clamp(int((x[j] - mn) * id + 0.5f), 0, 31);
    set_q5(b[i], q);
  }
}

void to_float_q8_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = float(b[i].qs[j]) * d;
  }
}

// Activation quantization as llama.cpp's x86 path does it: id = 127 / amax, round half to even.
// Returns the unrounded scale times the sum of the quants (Q8_1's s, before rounding to half).
template <class Block>
float quantize_q8_block(const float* x, Block& b) {
  float amax = 0;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127, id = amax != 0 ? 127.0f / amax : 0.0f;
  b.d = f2h(d);
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    b.qs[j] = int8_t(nearest(x[j] * id));
    sum += b.qs[j];
  }
  return d * float(sum);
}

void from_float_q8_0(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) quantize_q8_block(x + i * kQK, b[i]);
}

void to_float_q8_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = float(b[i].qs[j]) * d;
  }
}

void from_float_q8_1(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    b[i].s = f2h(quantize_q8_block(x + i * kQK, b[i]));
  }
}

// ---------------------------------------------------------------- K formats

// Writes sub-block j's 6-bit scale and min into the packed 12 bytes (inverse of scale_min_k4).
void pack_scale_min_k4(int j, uint8_t sc, uint8_t m, uint8_t* q) {
  if (j < 4) {
    q[j] = uint8_t((q[j] & 0xC0) | sc);
    q[j + 4] = uint8_t((q[j + 4] & 0xC0) | m);
  } else {
    q[j + 4] = uint8_t((sc & 0xF) | ((m & 0xF) << 4));
    q[j - 4] = uint8_t((q[j - 4] & 0x3F) | ((sc >> 4) << 6));
    q[j] = uint8_t((q[j] & 0x3F) | ((m >> 4) << 6));
  }
}

// Quants (0..levels) of a Q4_K/Q5_K super-block: per sub-block of 32 an asymmetric range with
// min <= 0, whose scale and min are themselves quantized to 6 bits against d and dmin. A plain
// min/max fit (ggml's files use a search for the best fit; any fit reads back the same way).
void quantize_k_asym(const float* x, int levels, uint16_t* d_out, uint16_t* dmin_out,
                     uint8_t* scales, uint8_t* q) {
  float sub_scale[8], sub_min[8];
  for (int j = 0; j < 8; ++j) {
    float mn = 0, mx = 0;
    for (int l = 0; l < 32; ++l) mn = std::min(mn, x[32 * j + l]), mx = std::max(mx, x[32 * j + l]);
    sub_scale[j] = (mx - mn) / float(levels);
    sub_min[j] = -mn;
  }
  const float max_scale = *std::max_element(sub_scale, sub_scale + 8);
  const float max_min = *std::max_element(sub_min, sub_min + 8);
  const float d = f16_to_f32(f2h(max_scale / 63)), dmin = f16_to_f32(f2h(max_min / 63));
  *d_out = f2h(max_scale / 63);
  *dmin_out = f2h(max_min / 63);
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    // Round the scale up so the sub-block's range still fits in `levels` steps.
    const int sc = d > 0 ? std::min(63, int(std::ceil(sub_scale[j] / d))) : 0;
    const int m = dmin > 0 ? std::min(63, nearest(sub_min[j] / dmin)) : 0;
    pack_scale_min_k4(j, uint8_t(sc), uint8_t(m), scales);
    const float step = d * float(sc), off = dmin * float(m);
    for (int l = 0; l < 32; ++l) {
      const int v = step > 0 ? nearest((x[32 * j + l] + off) / step) : 0;
      q[32 * j + l] = uint8_t(std::clamp(v, 0, levels));
    }
  }
}

void to_float_q4_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      scale_min_k4(2 * c, b[i].scales, &sc0, &m0);
      scale_min_k4(2 * c + 1, b[i].scales, &sc1, &m1);
      const uint8_t* qs = b[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) *y++ = d * float(sc0) * float(qs[l] & 0xF) - dmin * float(m0);
      for (int l = 0; l < 32; ++l) *y++ = d * float(sc1) * float(qs[l] >> 4) - dmin * float(m1);
    }
  }
}

void from_float_q4_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_K*>(dst);
  uint8_t q[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    quantize_k_asym(x, 15, &b[i].d, &b[i].dmin, b[i].scales, q);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) b[i].qs[32 * c + l] = uint8_t(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  }
}

void to_float_q5_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      scale_min_k4(2 * c, b[i].scales, &sc0, &m0);
      scale_min_k4(2 * c + 1, b[i].scales, &sc1, &m1);
      const uint8_t* qs = b[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        const int q = (qs[l] & 0xF) | (((b[i].qh[l] >> (2 * c)) & 1) << 4);
        *y++ = d * float(sc0) * float(q) - dmin * float(m0);
      }
      for (int l = 0; l < 32; ++l) {
        const int q = (qs[l] >> 4) | (((b[i].qh[l] >> (2 * c + 1)) & 1) << 4);
        *y++ = d * float(sc1) * float(q) - dmin * float(m1);
      }
    }
  }
}

void from_float_q5_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_K*>(dst);
  uint8_t q[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    quantize_k_asym(x, 31, &b[i].d, &b[i].dmin, b[i].scales, q);
    std::memset(b[i].qh, 0, sizeof b[i].qh);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = q[64 * c + l], hi = q[64 * c + 32 + l];
        b[i].qs[32 * c + l] = uint8_t((lo & 0xF) | ((hi & 0xF) << 4));
        b[i].qh[l] |= uint8_t(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
  }
}

// Element e (< 256) of a Q6_K block as its 6-bit quant (0..63).
inline int q6_quant(const BlockQ6_K& b, int e) {
  const int h = e / 128, k = (e % 128) / 32, l = e % 32;
  const uint8_t lo = b.ql[64 * h + l + 32 * (k & 1)];
  const int low4 = k < 2 ? (lo & 0xF) : (lo >> 4);
  return low4 | (((b.qh[32 * h + l] >> (2 * k)) & 3) << 4);
}

void to_float_q6_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i, y += kQKK) {
    const float d = h2f(b[i].d);
    for (int e = 0; e < kQKK; ++e) y[e] = d * float(b[i].scales[e / 16]) * float(q6_quant(b[i], e) - 32);
  }
}

// Symmetric per 16: the value of largest magnitude maps to -32; the 16 int8 scales against d.
void from_float_q6_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float sub[16];
    float amax = 0;
    for (int s = 0; s < 16; ++s) {
      float a = 0, mx = 0;
      for (int l = 0; l < 16; ++l)
        if (std::fabs(x[16 * s + l]) > a) a = std::fabs(x[16 * s + l]), mx = x[16 * s + l];
      sub[s] = mx / -32;
      amax = std::max(amax, std::fabs(sub[s]));
    }
    const uint16_t dh = f2h(amax / 127);
    const float d = f16_to_f32(dh);
    b[i].d = dh;
    std::memset(b[i].ql, 0, sizeof b[i].ql);
    std::memset(b[i].qh, 0, sizeof b[i].qh);
    for (int s = 0; s < 16; ++s) {
      const int sc = d > 0 ? std::clamp(nearest(sub[s] / d), -127, 127) : 0;
      b[i].scales[s] = int8_t(sc);
      const float step = d * float(sc);
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * s + l;
        const int q = std::clamp((step != 0 ? nearest(x[e] / step) : 0) + 32, 0, 63);
        const int h = e / 128, k = (e % 128) / 32, ll = e % 32;
        uint8_t& lo = b[i].ql[64 * h + ll + 32 * (k & 1)];
        lo = uint8_t(lo | (k < 2 ? (q & 0xF) : ((q & 0xF) << 4)));
        b[i].qh[32 * h + ll] = uint8_t(b[i].qh[32 * h + ll] | ((q >> 4) << (2 * k)));
      }
    }
  }
}

void to_float_q8_k(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i, y += kQKK)
    for (int j = 0; j < kQKK; ++j) y[j] = b[i].d * float(b[i].qs[j]);
}

// ggml's quantize_row_q8_K: the value of largest magnitude maps to -127 (the scale keeps its
// sign), quants capped at 127, plus the sum of each 16.
void from_float_q8_k(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0, mx = 0;
    for (int j = 0; j < kQKK; ++j)
      if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), mx = x[j];
    if (amax == 0) {
      std::memset(&b[i], 0, sizeof b[i]);
      continue;
    }
    const float iscale = -127.0f / mx;
    for (int j = 0; j < kQKK; ++j) b[i].qs[j] = int8_t(std::min(127, nearest(iscale * x[j])));
    for (int s = 0; s < 16; ++s) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[i].qs[16 * s + l];
      b[i].bsums[s] = int16_t(sum);
    }
    b[i].d = 1 / iscale;
  }
}

}  // namespace

// ---------------------------------------------------------------- dot products

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int s = 0;
    for (int j = 0; j < kQK / 2; ++j)
      s += ((a[i].qs[j] & 0xF) - 8) * b[i].qs[j] + ((a[i].qs[j] >> 4) - 8) * b[i].qs[j + kQK / 2];
    sum += h2f(a[i].d) * h2f(b[i].d) * float(s);
  }
  return sum;
}

float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int s = 0;
    for (int j = 0; j < kQK / 2; ++j)
      s += (a[i].qs[j] & 0xF) * b[i].qs[j] + (a[i].qs[j] >> 4) * b[i].qs[j + kQK / 2];
    sum += h2f(a[i].d) * h2f(b[i].d) * float(s) + h2f(a[i].m) * h2f(b[i].s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int s = 0;
    for (int j = 0; j < kQK; ++j) s += (q5_quant(a[i], j) - 16) * b[i].qs[j];
    sum += h2f(a[i].d) * h2f(b[i].d) * float(s);
  }
  return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int s = 0;
    for (int j = 0; j < kQK; ++j) s += q5_quant(a[i], j) * b[i].qs[j];
    sum += h2f(a[i].d) * h2f(b[i].d) * float(s) + h2f(a[i].m) * h2f(b[i].s);
  }
  return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int s = 0;
    for (int j = 0; j < kQK; ++j) s += a[i].qs[j] * b[i].qs[j];
    sum += h2f(a[i].d) * h2f(b[i].d) * float(s);
  }
  return sum;
}

namespace {
// Q4_K and Q5_K share everything but where a quant's bits live.
template <class Block, int (*Quant)(const Block&, int)>
float vec_dot_k_asym(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const Block*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    int32_t sumq = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      scale_min_k4(j, a[i].scales, &sc, &m);
      int32_t s = 0;
      for (int l = 0; l < 32; ++l) s += Quant(a[i], 32 * j + l) * b[i].qs[32 * j + l];
      sumq += int32_t(sc) * s;
      summ += int32_t(m) * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
    }
    sum += b[i].d * (h2f(a[i].d) * float(sumq) - h2f(a[i].dmin) * float(summ));
  }
  return sum;
}

int q4k_quant(const BlockQ4_K& b, int e) {
  const int c = e / 64, l = e % 32;
  return (e % 64) < 32 ? (b.qs[32 * c + l] & 0xF) : (b.qs[32 * c + l] >> 4);
}
int q5k_quant(const BlockQ5_K& b, int e) {
  const int c = e / 64, l = e % 32, hi = (e % 64) >= 32;
  const int low = hi ? (b.qs[32 * c + l] >> 4) : (b.qs[32 * c + l] & 0xF);
  return low | (((b.qh[l] >> (2 * c + hi)) & 1) << 4);
}
}  // namespace

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* x) {
  return vec_dot_k_asym<BlockQ4_K, q4k_quant>(n, w, x);
}
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* x) {
  return vec_dot_k_asym<BlockQ5_K, q5k_quant>(n, w, x);
}

float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ6_K*>(w);
  const auto* b = static_cast<const BlockQ8_K*>(x);
  float sum = 0;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    int32_t s = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int32_t t = 0;
      for (int l = 0; l < 16; ++l) t += (q6_quant(a[i], 16 * sb + l) - 32) * b[i].qs[16 * sb + l];
      s += int32_t(a[i].scales[sb]) * t;
    }
    sum += h2f(a[i].d) * b[i].d * float(s);
  }
  return sum;
}

// ---------------------------------------------------------------- the table

namespace {
#ifdef SUNBAE_HAVE_AVX2_TU
#define SUNBAE_AVX2(fn) fn
#else
#define SUNBAE_AVX2(fn) nullptr
#endif
const QuantTraits kTraits[] = {
    {DType::Q4_0, DType::Q8_0, to_float_q4_0, from_float_q4_0, vec_dot_q4_0_q8_0, SUNBAE_AVX2(vec_dot_q4_0_q8_0_avx2)},
    {DType::Q4_1, DType::Q8_1, to_float_q4_1, from_float_q4_1, vec_dot_q4_1_q8_1, SUNBAE_AVX2(vec_dot_q4_1_q8_1_avx2),
     SUNBAE_AVX2(vec_dot_q4_1_q8_1_x4_avx2)},
    {DType::Q8_0, DType::Q8_0, to_float_q8_0, from_float_q8_0, vec_dot_q8_0_q8_0, SUNBAE_AVX2(vec_dot_q8_0_q8_0_avx2),
     SUNBAE_AVX2(vec_dot_q8_0_q8_0_x4_avx2)},
    {DType::Q8_1, DType::Q8_1, to_float_q8_1, from_float_q8_1, nullptr, nullptr},
    {DType::Q5_0, DType::Q8_0, to_float_q5_0, from_float_q5_0, vec_dot_q5_0_q8_0, SUNBAE_AVX2(vec_dot_q5_0_q8_0_avx2)},
    {DType::Q5_1, DType::Q8_1, to_float_q5_1, from_float_q5_1, vec_dot_q5_1_q8_1, SUNBAE_AVX2(vec_dot_q5_1_q8_1_avx2)},
    {DType::Q4_K, DType::Q8_K, to_float_q4_k, from_float_q4_k, vec_dot_q4_k_q8_k, SUNBAE_AVX2(vec_dot_q4_k_q8_k_avx2),
     SUNBAE_AVX2(vec_dot_q4_k_q8_k_x4_avx2)},
    {DType::Q5_K, DType::Q8_K, to_float_q5_k, from_float_q5_k, vec_dot_q5_k_q8_k, SUNBAE_AVX2(vec_dot_q5_k_q8_k_avx2)},
    {DType::Q6_K, DType::Q8_K, to_float_q6_k, from_float_q6_k, vec_dot_q6_k_q8_k, SUNBAE_AVX2(vec_dot_q6_k_q8_k_avx2),
     SUNBAE_AVX2(vec_dot_q6_k_q8_k_x4_avx2)},
    {DType::Q8_K, DType::Q8_K, to_float_q8_k, from_float_q8_k, nullptr, nullptr},
};
#undef SUNBAE_AVX2
}  // namespace

const QuantTraits* quant_traits(DType t) {
  for (const QuantTraits& q : kTraits)
    if (q.type == t) return &q;
  return nullptr;
}

VecDotFn vec_dot_for(const QuantTraits& t) {
  return active_isa() == Isa::Avx2 && t.vec_dot_avx2 ? t.vec_dot_avx2 : t.vec_dot;
}

VecDotX4Fn vec_dot_x4_for(const QuantTraits& t) {
  return active_isa() == Isa::Avx2 ? t.vec_dot_x4_avx2 : nullptr;
}

}  // namespace sunbae::kernels::cpu
