// Block-quantized formats: layouts against ggml's own Python implementation (golden.json),
// quantize/dequantize round trips, dot products against float references, scalar vs AVX2, and
// the quantized matmul against per-row dot products.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quant.h"
#include "kernels/cpu/quant_blocks.h"

using namespace sunbae;
using namespace sunbae::kernels::cpu;

namespace {

const DType kWeightTypes[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                              DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::vector<float> random_vec(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  // A few outliers, as real weights and activations have.
  for (int64_t i = 0; i < n; i += 97) v[size_t(i)] *= 6;
  return v;
}

std::vector<char> quantize(DType t, const std::vector<float>& x) {
  std::vector<char> q(dtype_bytes(t, int64_t(x.size())));
  quant_traits(t)->from_float(x.data(), q.data(), int64_t(x.size()));
  return q;
}

std::vector<float> dequantize(DType t, const std::vector<char>& q, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  quant_traits(t)->to_float(q.data(), y.data(), n);
  return y;
}

class IsaGuard {
 public:
  IsaGuard() : saved_(active_isa()) {}
  ~IsaGuard() { set_isa(saved_); }

 private:
  Isa saved_;
};

}  // namespace

// Dequantization of random bytes must equal what ggml's reference (gguf-py) computes: this is
// what pins the bit layouts. Tolerance: 1 ulp-ish (1e-6 relative), for float product order.
TEST(Quant, LayoutsMatchGgmlReference) {
  std::ifstream f(std::string(SUNBAE_FIXTURES_DIR) + "/quant/golden.json");
  ASSERT_TRUE(f.good());
  const nlohmann::json j = nlohmann::json::parse(f);
  const std::pair<const char*, DType> names[] = {{"Q4_0", DType::Q4_0}, {"Q4_1", DType::Q4_1},
                                                  {"Q8_0", DType::Q8_0}, {"Q4_K", DType::Q4_K},
                                                  {"Q5_K", DType::Q5_K}, {"Q6_K", DType::Q6_K},
                                                  {"Q5_0", DType::Q5_0}, {"Q5_1", DType::Q5_1}};
  for (const auto& [name, t] : names) {
    SCOPED_TRACE(name);
    const std::string hex = j.at(name).at("bytes");
    std::vector<char> bytes(hex.size() / 2);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    const std::vector<float> want = j.at(name).at("values");
    ASSERT_EQ(bytes.size(), dtype_bytes(t, int64_t(want.size())));
    const std::vector<float> got = dequantize(t, bytes, int64_t(want.size()));
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-12) << "element " << i;
  }
}

// Round trip error, relative RMS over 4096 Gaussian values with outliers (every 97th x6, so
// most blocks' steps are set by an outlier). Bounds: the error measured on this seeded data
// plus 25% (Q4_0 0.129, Q4_1 0.091, Q5_0 0.064, Q5_1 0.044, Q8_0/Q8_1 0.0083, Q4_K 0.093,
// Q5_K 0.046, Q6_K 0.025, Q8_K 0.017 with 256-element blocks): a broken layout or scale gives errors of order 1, a
// worse quantizer shows as a regression here.
TEST(Quant, RoundTripError) {
  const std::pair<DType, double> bounds[] = {
      {DType::Q4_0, 0.162}, {DType::Q4_1, 0.114}, {DType::Q8_0, 0.0104}, {DType::Q8_1, 0.0104},
      {DType::Q4_K, 0.117}, {DType::Q5_K, 0.058}, {DType::Q6_K, 0.032}, {DType::Q8_K, 0.022},
      {DType::Q5_0, 0.08}, {DType::Q5_1, 0.055}};
  const int64_t n = 4096;
  const std::vector<float> x = random_vec(n, 1);
  for (const auto& [t, bound] : bounds) {
    SCOPED_TRACE(dtype_name(t));
    const std::vector<float> y = dequantize(t, quantize(t, x), n);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n; ++i) {
      err += (double(y[size_t(i)]) - x[size_t(i)]) * (double(y[size_t(i)]) - x[size_t(i)]);
      ref += double(x[size_t(i)]) * x[size_t(i)];
    }
    const double rel = std::sqrt(err / ref);
    EXPECT_LT(rel, bound);
    EXPECT_GT(rel, 0.0);  // a format that returned its input unchanged would be no format at all
  }
}

// All-zero and constant blocks must not divide by zero.
TEST(Quant, DegenerateBlocks) {
  for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q8_1,
                  DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K}) {
    SCOPED_TRACE(dtype_name(t));
    for (float v : {0.0f, 0.75f, -2.0f}) {
      const std::vector<float> x(512, v);
      const std::vector<float> y = dequantize(t, quantize(t, x), 512);
      for (float e : y) {
        ASSERT_TRUE(std::isfinite(e));
        ASSERT_NEAR(e, v, 0.02 * std::fabs(v) + 1e-6);
      }
    }
  }
}

// Dot products. Against the dequantized operands in double, the integer block sums are exact,
// so only float rounding remains: 1e-5 of sum |w x|; Q4_1 adds, per block, |m| times the error
// of its activation sum `s` = d * sum(q) stored in half precision (d and s each rounded:
// 2 * 2^-11 of |d sum(q)|). Against the unquantized activations the bound is
// deterministic: each activation moves by at most 0.57 of its block's step (half a step plus
// the half-precision scale's rounding over 127 steps).
TEST(Quant, DotProductsAgainstFloatReference) {
  IsaGuard guard;
  const int64_t K = 1024;
  for (DType t : kWeightTypes) {
    SCOPED_TRACE(dtype_name(t));
    const QuantTraits& tr = *quant_traits(t);
    const DType xt = tr.vec_dot_type;
    for (uint32_t seed = 0; seed < 5; ++seed) {
      const std::vector<float> w = random_vec(K, 100 + seed, 0.05f);
      const std::vector<float> x = random_vec(K, 200 + seed, 2.0f);
      const std::vector<char> wq = quantize(t, w), xq = quantize(xt, x);
      const std::vector<float> wd = dequantize(t, wq, K), xd = dequantize(xt, xq, K);

      double exact = 0, mag = 0, ref = 0, bound = 0;
      const int64_t xb = dtype_block_elems(xt);
      for (int64_t b = 0; b < K / xb; ++b) {
        float amax = 0;
        for (int64_t i = b * xb; i < (b + 1) * xb; ++i) amax = std::max(amax, std::fabs(x[size_t(i)]));
        const double step = amax / 127.0;
        for (int64_t i = b * xb; i < (b + 1) * xb; ++i) {
          exact += double(wd[size_t(i)]) * xd[size_t(i)];
          ref += double(wd[size_t(i)]) * x[size_t(i)];
          mag += std::fabs(double(wd[size_t(i)]) * x[size_t(i)]);
          bound += std::fabs(wd[size_t(i)]) * 0.57 * step;
        }
      }
      double tol = 1e-5 * mag;
      if (t == DType::Q4_1 || t == DType::Q5_1) {
        const auto* xb1 = reinterpret_cast<const BlockQ8_1*>(xq.data());
        for (int64_t b = 0; b < K / kQK; ++b) {
          const uint16_t m = t == DType::Q4_1 ? reinterpret_cast<const BlockQ4_1*>(wq.data())[b].m
                                              : reinterpret_cast<const BlockQ5_1*>(wq.data())[b].m;
          int qsum = 0;
          for (int j = 0; j < kQK; ++j) qsum += xb1[b].qs[j];
          tol += std::fabs(f16_to_f32(m)) * std::abs(qsum) * f16_to_f32(xb1[b].d) * 0x1p-10 * 1.01;
        }
      }
      for (Isa isa : {Isa::Scalar, best_isa()}) {
        set_isa(isa);
        const float got = vec_dot_for(tr)(K, wq.data(), xq.data());
        EXPECT_NEAR(got, exact, tol) << isa_name(isa);
        EXPECT_NEAR(got, ref, bound + tol) << isa_name(isa);
      }
    }
  }
}

// The AVX2 bodies against the portable ones on the same blocks (both exact in their integer
// parts): 1e-5 relative to sum |w x|.
TEST(Quant, Avx2MatchesScalar) {
  if (best_isa() != Isa::Avx2) GTEST_SKIP() << "CPU has no AVX2";
  const int64_t K = 2048;
  for (DType t : kWeightTypes) {
    SCOPED_TRACE(dtype_name(t));
    const QuantTraits& tr = *quant_traits(t);
    if (!tr.vec_dot_avx2) continue;
    const std::vector<float> w = random_vec(K, 7), x = random_vec(K, 8);
    const std::vector<char> wq = quantize(t, w), xq = quantize(tr.vec_dot_type, x);
    double mag = 0;
    for (int64_t i = 0; i < K; ++i) mag += std::fabs(double(w[size_t(i)]) * x[size_t(i)]);
    EXPECT_NEAR(tr.vec_dot_avx2(K, wq.data(), xq.data()), tr.vec_dot(K, wq.data(), xq.data()), 1e-5 * mag);
  }
}

// matmul over a quantized weight: every output is the dot product of its row (bit-identical,
// whatever M, threads or tiles), bias added.
TEST(Quant, MatmulEqualsRowDots) {
  const int64_t N = 37, K = 512;
  for (DType t : kWeightTypes) {
    SCOPED_TRACE(dtype_name(t));
    const QuantTraits& tr = *quant_traits(t);
    const std::vector<float> wf = random_vec(N * K, 11);
    const std::vector<char> wq = quantize(t, wf);
    const std::vector<float> bias = random_vec(N, 12);
    const kernels::WeightMatrix W{wq.data(), t, N, K};
    for (int64_t M : {1, 3, 9}) {
      const std::vector<float> x = random_vec(M * K, 13);
      std::vector<float> y(size_t(M * N), NAN);
      matmul(x.data(), M, W, bias.data(), y.data());
      for (int64_t m = 0; m < M; ++m) {
        const std::vector<float> xm(x.begin() + m * K, x.begin() + (m + 1) * K);
        const std::vector<char> xq = quantize(tr.vec_dot_type, xm);
        for (int64_t n = 0; n < N; ++n) {
          const float want = vec_dot_for(tr)(K, wq.data() + dtype_bytes(t, K) * size_t(n), xq.data()) + bias[size_t(n)];
          ASSERT_EQ(y[size_t(m * N + n)], want) << "m " << m << " n " << n;
        }
      }
    }
  }
}

TEST(Quant, MatmulRejectsPartialBlocks) {
  std::vector<char> w(dtype_bytes(DType::Q4_K, 256) * 2);
  const kernels::WeightMatrix W{w.data(), DType::Q4_K, 1, 320};  // 320 is not a multiple of 256
  std::vector<float> x(320, 1.f), y(1);
  EXPECT_THROW(matmul(x.data(), 1, W, nullptr, y.data()), Error);
}
