#pragma once
// ggml's block layouts (ggml-common.h), byte for byte: a GGUF tensor of these types is an array
// of such blocks per row, read in place. `d`, `m`, `dmin`, `s` are IEEE half precision bits.
#include <cstdint>

namespace sunbae::kernels::cpu {

constexpr int kQK = 32;    // elements per block of the 32-element formats
constexpr int kQKK = 256;  // elements per super-block of the K formats

// x[j] = (q - 8) * d; element j < 16 is the low nibble of qs[j], element j + 16 the high one.
struct BlockQ4_0 { uint16_t d; uint8_t qs[kQK / 2]; };
// x[j] = q * d + m, nibbles as in Q4_0.
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[kQK / 2]; };
// Q4_0 with a fifth bit per element in qh (bit j for element j, little-endian u32): x = (q - 16) d.
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
// Q4_1 with the same fifth bits: x = q * d + m.
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
// x[j] = qs[j] * d.
struct BlockQ8_0 { uint16_t d; int8_t qs[kQK]; };
// Q8_0 plus s = d * sum(qs): the activation side of Q4_1 dot products.
struct BlockQ8_1 { uint16_t d, s; int8_t qs[kQK]; };

// 8 sub-blocks of 32, each with a 6-bit scale and min packed into `scales` (see scale_min_k4):
// x = d * sc * q - dmin * m. qs[32c + l] holds element 64c + l (low nibble) and 64c + 32 + l (high).
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[kQKK / 2]; };
// Q4_K with a fifth bit: bit 2c of qh[l] for element 64c + l, bit 2c + 1 for element 64c + 32 + l.
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[kQKK / 8]; uint8_t qs[kQKK / 2]; };
// 16 sub-blocks of 16 with int8 scales: x = d * scales[e / 16] * (q - 32), q 6 bits: low 4 in ql,
// high 2 in qh. In half h (128 elements), element 128h + 32k + l (k < 4, l < 32) takes
// ql[64h + l + 32 (k & 1)] (low nibble for k < 2, high for k >= 2) and bits 2k..2k+1 of qh[32h + l].
struct BlockQ6_K { uint8_t ql[kQKK / 2]; uint8_t qh[kQKK / 4]; int8_t scales[kQKK / 16]; uint16_t d; };
// The activation side of K-format dot products: f32 scale, sums of each 16 quants.
struct BlockQ8_K { float d; int8_t qs[kQKK]; int16_t bsums[kQKK / 16]; };

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ8_0) == 34 &&
              sizeof(BlockQ8_1) == 36 && sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 &&
              sizeof(BlockQ8_K) == 292);

// Scale and min of sub-block j (0..7) of a Q4_K/Q5_K block: 6 bits each. j < 4: low 6 bits of
// bytes j and j + 4; j >= 4: a nibble of byte j + 4, and the top 2 bits of bytes j - 4 and j.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace sunbae::kernels::cpu
