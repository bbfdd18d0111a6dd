#pragma once
// The random number of one token draw, a pure function of (seed, step): counter-based, so the CPU
// sampler and the GPU kernel draw the same number without sharing generator state, a batch row can
// be drawn in any order, and a sequence replayed from token `step` draws what it drew the first time.
// Host and device code both include this header (nvcc sees __host__ __device__).
#include <cstdint>

#ifdef __CUDACC__
#define SUNBAE_HD __host__ __device__
#else
#define SUNBAE_HD
#endif

namespace sunbae::kernels {

// SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijection whose every output bit depends on
// every input bit.
SUNBAE_HD inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// 64 uniform bits for token `step` of the sequence seeded with `seed`: the SplitMix64 stream
// seeded with mix64(seed), taken at position step, so nearby seeds give unrelated streams.
SUNBAE_HD inline uint64_t draw_bits(uint64_t seed, uint64_t step) {
  return mix64(mix64(seed) + (step + 1) * 0x9e3779b97f4a7c15ull);
}

// floor(bits / 2^64 * total): a uniform point in [0, total) in integer arithmetic, exact on both
// sides (the probability of each value is within 2^-64 of 1 / total).
SUNBAE_HD inline uint64_t draw_target(uint64_t bits, uint64_t total) {
#ifdef __CUDA_ARCH__
  return __umul64hi(bits, total);
#else
  return uint64_t((unsigned __int128)bits * total >> 64);
#endif
}

}  // namespace sunbae::kernels
