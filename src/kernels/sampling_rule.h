#pragma once
// The one definition of token selection from a row of logits l[0, V), implemented exactly by both
// engine::Sampler (CPU, the reference) and cuda::sample_rows, so the same logits, parameters, seed
// and step give the same token on both. Every quantity that decides anything is computed with
// correctly rounded float operations (no library exp, whose last bit differs between glibc and
// CUDA) or with integers (whose sums do not depend on the order a GPU adds them in).
//
// With m = max l and T = float temperature:
//   greedy, !(T > 0): the first index of the largest logit (as torch.argmax).
//   otherwise token i has a weight e_i = token_weight(l_i, m, 1/T) in [0, 1], e = 1 at the max,
//   and a mass w_i = token_mass(e_i) = floor(e_i * 2^40), an integer. Filters, in vLLM's order,
//   are each a threshold on e with every token tied at a threshold kept (as HF's and vLLM's
//   top-k keep ties):
//   1. top-k, 0 < k < V: t_k = the k-th largest e counted with multiplicity; K = {i : e_i >= t_k}.
//   2. top-p, p < 1: S_K = sum of w over K; t_p = the largest e value t whose set {e >= t} has a
//      mass reaching p * S_K (top_p_reached): the most likely tokens down to the tie group that
//      crosses the mass. It is never below t_k, so tokens outside K need no special case.
//   3. min-p, min_p > 0: keep p_i >= min_p * p_max; the max token is always kept and e is p / p_max,
//      so this is e >= min_p (capped at 1, so the max survives any min_p).
//   kept = {i : e_i >= t}, t = max(t_k, t_p, min(min_p, 1)); S = sum of w over kept (>= 2^40).
//   draw: D = draw_target(draw_bits(seed, step), S) in [0, S); the token is the first kept index,
//   walking in index order, at which the running sum of kept w exceeds D. Any fixed walk order
//   picks i with probability w_i / S; index order is the one a GPU prefix scan walks.
// top_k = 1 keeps every token whose e rounds to 1 (a logit within float rounding of the max), so
// it equals greedy except for such near-ties.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/draw_random.h"

namespace sunbae::kernels {

// Masses are e scaled to 40 bits: a row of 256k tokens sums below 2^58, and the mass dropped by
// the truncation is under 2^-40 per token, i.e. < 2.4e-7 of the total (>= 2^40) at vocab 256k.
constexpr int kMassBits = 40;

namespace rule_detail {
// Correctly rounded float primitives. nvcc contracts a * b + c into an FMA unless told not to; the
// host compiler (ISO C++, baseline x86-64) does not, so the device side spells out each rounding.
SUNBAE_HD inline float sub(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
SUNBAE_HD inline float mul(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
SUNBAE_HD inline float div(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
// fmaf is correctly rounded by IEEE 754 on both sides (glibc uses the FMA instruction when the CPU
// has one and an exact emulation when not).
SUNBAE_HD inline float fma(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fmaf_rn(a, b, c);
#else
  return std::fmaf(a, b, c);
#endif
}
// 2^n for a normal exponent, built from its bits.
SUNBAE_HD inline float pow2(int n) {
  const uint32_t bits = uint32_t(n + 127) << 23;
#ifdef __CUDA_ARCH__
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
#endif
}
}  // namespace rule_detail

// e^x for x <= 0 in float from correctly rounded operations only (~2 ulp, enough for sampling);
// 0 below -86 (where e^x nears the smallest normal float) and for NaN. exp(0) is exactly 1.
SUNBAE_HD inline float exp_nonpositive(float x) {
  using namespace rule_detail;
  if (!(x >= -86.f)) return 0.f;
  // x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in a high part exact in 16 bits and a low part.
  const float n = floorf(fma(x, 1.44269504f, 0.5f));
  float r = fma(n, -0.693145751953125f, x);
  r = fma(n, -1.428606765330187e-06f, r);
  // Taylor to degree 7: the remainder is < 5e-9 on |r| <= 0.347.
  float p = 1.f / 5040.f;
  p = fma(p, r, 1.f / 720.f);
  p = fma(p, r, 1.f / 120.f);
  p = fma(p, r, 1.f / 24.f);
  p = fma(p, r, 1.f / 6.f);
  p = fma(p, r, 0.5f);
  p = fma(p, r, 1.f);
  p = fma(p, r, 1.f);
  return mul(p, pow2(int(n)));  // n >= -124 and p > 0.7: a normal product, exact
}

// e_i = exp((l_i - m) / T) as exp_nonpositive((l_i - m) * (1/T)). The max itself is 1 without
// arithmetic, which also makes a +inf max (inf - inf) and an all -inf row well defined.
SUNBAE_HD inline float inv_temperature(float temperature) { return rule_detail::div(1.f, temperature); }
SUNBAE_HD inline float token_weight(float logit, float max_logit, float inv_t) {
  if (logit == max_logit) return 1.f;
  return exp_nonpositive(rule_detail::mul(rule_detail::sub(logit, max_logit), inv_t));
}

// w = floor(e * 2^40): the scaling is exact, the conversion truncates on both sides.
SUNBAE_HD inline uint64_t token_mass(float e) { return uint64_t(rule_detail::mul(e, 1099511627776.f)); }

// Whether a set of mass `cum` reaches the fraction p of `mass_k`: double(cum) >= p * double(mass_k),
// each step one correctly rounded double operation on both sides. A target below 1 (p <= 0) is
// raised to 1, which keeps the same answer for any valid p (the max's tie group alone has mass
// 2^40) and keeps an invalid p from selecting nothing.
SUNBAE_HD inline bool top_p_reached(uint64_t cum, float p, uint64_t mass_k) {
#ifdef __CUDA_ARCH__
  double target = __dmul_rn(double(p), __ull2double_rn(mass_k));
  const double c = __ull2double_rn(cum);
#else
  double target = double(p) * double(mass_k);
  const double c = double(cum);
#endif
  if (!(target >= 1.0)) target = 1.0;
  return c >= target;
}

}  // namespace sunbae::kernels
