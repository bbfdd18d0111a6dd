#include "core/dtype.h"

#include <iterator>

namespace sunbae {

namespace {
struct Row {
  DType t;
  const char* name;
  size_t size;      // bytes per block
  int64_t block;    // elements per block
};
// Block sizes and byte counts are ggml's (ggml-common.h), so GGUF tensors map onto them as stored.
constexpr Row kTable[] = {
    {DType::F32, "F32", 4, 1},    {DType::F16, "F16", 2, 1},    {DType::BF16, "BF16", 2, 1},
    {DType::I8, "I8", 1, 1},      {DType::U8, "U8", 1, 1},      {DType::I32, "I32", 4, 1},
    {DType::I64, "I64", 8, 1},    {DType::BOOL, "BOOL", 1, 1},  {DType::Q4_0, "Q4_0", 18, 32},
    {DType::Q4_1, "Q4_1", 20, 32}, {DType::Q8_0, "Q8_0", 34, 32}, {DType::Q8_1, "Q8_1", 36, 32},
    {DType::Q4_K, "Q4_K", 144, 256}, {DType::Q5_K, "Q5_K", 176, 256},
    {DType::Q6_K, "Q6_K", 210, 256}, {DType::Q8_K, "Q8_K", 292, 256},
    {DType::Q5_0, "Q5_0", 22, 32},   {DType::Q5_1, "Q5_1", 24, 32},
};
static_assert(std::size(kTable) == size_t(DType::Q5_1) + 1);
}  // namespace

size_t dtype_size(DType t) { return kTable[size_t(t)].size; }
int64_t dtype_block_elems(DType t) { return kTable[size_t(t)].block; }
bool is_quantized(DType t) { return kTable[size_t(t)].block > 1; }
const char* dtype_name(DType t) { return kTable[size_t(t)].name; }

bool parse_dtype(std::string_view s, DType* out) {
  for (const Row& r : kTable) {
    if (r.block == 1 && s == r.name) {
      *out = r.t;
      return true;
    }
  }
  return false;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while ((man & 0x400u) == 0) {
        man <<= 1;
        --exp;
      }
      man &= 0x3ffu;
      u = sign | (exp << 23) | (man << 13);
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (man << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000u;
  int32_t exp = int32_t((u >> 23) & 0xffu) - 127 + 15;
  uint32_t man = u & 0x7fffffu;
  if (((u >> 23) & 0xffu) == 0xffu) return uint16_t(sign | 0x7c00u | (man ? 0x200u : 0));
  if (exp >= 31) return uint16_t(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return uint16_t(sign);
    man |= 0x800000u;
    uint32_t shift = uint32_t(14 - exp);
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = sign | (uint32_t(exp) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;
  return uint16_t(half);
}

void widen_to_f32(const void* src, DType t, int64_t n, float* out) {
  const auto* b = static_cast<const uint8_t*>(src);
  if (t == DType::F32) {
    std::memcpy(out, src, size_t(n) * 4);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, b + 2 * i, 2);
    out[i] = t == DType::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
  }
}

}  // namespace sunbae
