#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sunbae {

// Plain element types (safetensors' names), then ggml's block-quantized formats (GGUF files):
// a block of dtype_block_elems() consecutive elements of a row packed into dtype_size() bytes.
// Q8_1 and Q8_K exist only as the activation side of quantized dot products.
enum class DType : uint8_t {
  F32, F16, BF16, I8, U8, I32, I64, BOOL,
  Q4_0, Q4_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K, Q5_0, Q5_1,
};

size_t dtype_size(DType t);          // bytes per block (per element for plain types)
int64_t dtype_block_elems(DType t);  // 1 for plain types, 32 or 256 for quantized ones
bool is_quantized(DType t);
const char* dtype_name(DType t);  // safetensors spelling: "F32", "BF16", ...; ggml's: "Q4_K", ...
// Parses a safetensors dtype string; returns false for names Sunbae does not read (quantized
// names included: safetensors files never hold them).
bool parse_dtype(std::string_view s, DType* out);
// Bytes of n elements of t; n must be a whole number of blocks (callers check).
inline size_t dtype_bytes(DType t, int64_t n) { return size_t(n / dtype_block_elems(t)) * dtype_size(t); }

inline float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round-to-nearest-even, NaN kept quiet: the same rounding torch uses for .to(bfloat16).
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// out[i] = src[i] widened to f32 for i < n; src is F32, BF16 or F16 and need not be aligned.
// Any other dtype is a caller bug (loaders admit only these three), so it is not checked here.
void widen_to_f32(const void* src, DType t, int64_t n, float* out);

}  // namespace sunbae
