// The decode GEMV's fused prologue and epilogues (gemv.h, M <= kGemvFusedMaxRows) against CPU
// references built from the unfused pieces: RMSNorm (double), the product (double over the same
// half weights), then SiLU * up or RoPE (kernels/cpu/ops.h) on the natural row order. Random
// inputs, outputs poisoned.
#include <gtest/gtest.h>

#include <cmath>

#include "core/dtype.h"
#include "cuda/cuda_test_util.h"
#include "kernels/cpu/ops.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {
namespace {
using namespace test;

struct Problem {
  int M;
  int64_t N, K;
  bool bf16;
  std::vector<uint16_t> w;
  std::vector<float> x, g, bias;
  float eps = 1e-5f;
};

Problem make(int M, int64_t N, int64_t K, bool bf16, float x_scale) {
  Problem p{M, N, K, bf16, std::vector<uint16_t>(size_t(N * K)), randn(size_t(M * K), x_scale), randn(size_t(K), 0.3f),
            randn(size_t(N), 0.1f)};
  for (auto& gv : p.g) gv += 1.f;  // norm weights near 1, as trained models have them
  std::normal_distribution<float> nd;
  for (auto& v : p.w) {
    const float f = nd(rng()) / std::sqrt(float(K));
    v = bf16 ? f32_to_bf16(f) : f32_to_f16(f);
  }
  return p;
}

// normed(x) · W^T + bias in double, rows in the weights' (GPU) order.
std::vector<double> reference(const Problem& p, bool with_bias) {
  std::vector<double> y(size_t(p.M * p.N));
  for (int m = 0; m < p.M; ++m) {
    double ss = 0;
    for (int64_t k = 0; k < p.K; ++k) ss += double(p.x[size_t(m * p.K + k)]) * p.x[size_t(m * p.K + k)];
    const double inv = 1.0 / std::sqrt(ss / double(p.K) + p.eps);
    for (int64_t n = 0; n < p.N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < p.K; ++k) {
        const uint16_t h = p.w[size_t(n * p.K + k)];
        s += double(p.x[size_t(m * p.K + k)]) * inv * p.g[size_t(k)] * (p.bf16 ? bf16_to_f32(h) : f16_to_f32(h));
      }
      y[size_t(m * p.N + n)] = s + (with_bias ? p.bias[size_t(n)] : 0.0);
    }
  }
  return y;
}

struct Device {
  DeviceBuffer w, x, g, bias;
  explicit Device(const Problem& p) : w(up(p.w)), x(up(p.x)), g(up(p.g)), bias(up(p.bias)) {}
};

GemvArgs args(const Problem& p, const Device& d, bool with_bias, float* y) {
  GemvArgs a;
  a.x = d.x.get<float>();
  a.M = p.M;
  a.w = d.w.get();
  a.wtype = p.bf16 ? WType::BF16 : WType::F16;
  a.bias = with_bias ? d.bias.get<float>() : nullptr;
  a.N = p.N;
  a.K = p.K;
  a.y = y;
  a.norm_w = d.g.get<float>();
  a.norm_eps = p.eps;
  return a;
}

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// FMA path: f32 sums of exact f32 products in another order plus one f32 rsqrt: ~1e-6 relative.
constexpr double kTol = 2e-5;

TEST(CudaGemvFused, RmsNormPrologueWithStoreAndAccumulate) {
  for (bool bf16 : {true, false})
    for (int M = 1; M <= kGemvFusedMaxRows; ++M)
      for (const auto& [N, K] : std::vector<std::pair<int64_t, int64_t>>{{37, 72}, {1001, 4096}, {130, 14344}}) {
        // Residual-stream scale (tens) in x: the norm must not care.
        const Problem p = make(M, N, K, bf16, 30.f);
        const Device d(p);
        const bool acc = (M + N) % 2 == 1;
        const std::vector<float> y0 = randn(size_t(M * N));
        std::vector<double> ref = reference(p, true);
        if (acc)
          for (size_t i = 0; i < ref.size(); ++i) ref[i] += y0[i];
        DeviceBuffer y = acc ? up(y0) : poisoned(size_t(M * N) * 4);
        GemvArgs a = args(p, d, true, y.get<float>());
        a.accumulate = acc;
        gemv(a, nullptr);
        EXPECT_LT(rel_err(down<float>(y, size_t(M * N)), to_float(ref)), kTol)
            << "bf16=" << bf16 << " M=" << M << " N=" << N << " K=" << K << " acc=" << acc;
      }
}

TEST(CudaGemvFused, SiluOfInterleavedGateUpPairs) {
  for (bool bf16 : {true, false})
    for (int M = 1; M <= kGemvFusedMaxRows; ++M) {
      const int64_t F = 333, K = 264;
      const Problem p = make(M, 2 * F, K, bf16, 1.f);
      const Device d(p);
      const std::vector<double> gu = reference(p, false);
      std::vector<float> ref(size_t(M * F));
      for (int m = 0; m < M; ++m)
        for (int64_t f = 0; f < F; ++f) {
          const double g = gu[size_t(m * 2 * F + 2 * f)], u = gu[size_t(m * 2 * F + 2 * f + 1)];
          ref[size_t(m * F + f)] = float(g / (1.0 + std::exp(-g)) * u);
        }
      DeviceBuffer y = poisoned(size_t(M * F) * 4);
      GemvArgs a = args(p, d, false, y.get<float>());
      a.epilogue = GemvEpilogue::SiluPairs;
      gemv(a, nullptr);
      EXPECT_LT(rel_err(down<float>(y, size_t(M * F)), ref), kTol) << "bf16=" << bf16 << " M=" << M;
    }
}

TEST(CudaGemvFused, RopeAndKvStoreOfPairInterleavedQkv) {
  struct Case { int64_t Hq, Hkv, D, rot; };
  for (const Case& cs : {Case{4, 2, 64, 64}, Case{2, 1, 128, 64}, Case{3, 3, 24, 24}})
    for (int M = 1; M <= kGemvFusedMaxRows; ++M) {
      const int64_t qd = cs.Hq * cs.D, kvd = cs.Hkv * cs.D, N = qd + 2 * kvd, K = 136, half = cs.rot / 2;
      const Problem p = make(M, N, K, true, 1.f);
      const Device d(p);
      // The product in GPU row order, taken back to the natural order, then the CPU RoPE.
      const std::vector<double> prod = reference(p, true);
      std::vector<float> nat(prod.size());
      for (int m = 0; m < M; ++m)
        for (int64_t r = 0; r < N; ++r)
          nat[size_t(m * N + qkv_source_row(r, cs.Hq + cs.Hkv, cs.D, cs.rot))] = float(prod[size_t(m * N + r)]);
      std::vector<float> q(size_t(M * qd)), k(size_t(M * kvd)), v(size_t(M * kvd));
      for (int m = 0; m < M; ++m) {
        std::copy_n(nat.begin() + m * N, qd, q.begin() + m * qd);
        std::copy_n(nat.begin() + m * N + qd, kvd, k.begin() + m * kvd);
        std::copy_n(nat.begin() + m * N + qd + kvd, kvd, v.begin() + m * kvd);
      }
      const std::vector<int32_t> pos = {5, 4095, 70001}, slots = {9, 0, 30};
      std::vector<float> inv(static_cast<size_t>(half));
      for (int64_t i = 0; i < half; ++i) inv[size_t(i)] = std::pow(10000.f, -float(2 * i) / float(cs.rot));
      const std::vector<int64_t> pos64(pos.begin(), pos.begin() + M);
      const std::vector<const float*> rows(size_t(M), inv.data());
      kernels::cpu::rope(q.data(), M, cs.Hq, cs.D, cs.rot, pos64.data(), rows.data());
      kernels::cpu::rope(k.data(), M, cs.Hkv, cs.D, cs.rot, pos64.data(), rows.data());

      const int64_t slots_n = 32;
      DeviceBuffer dpos = up(pos), dslots = up(slots), dinv = up(inv);
      DeviceBuffer dq = poisoned(q.size() * 4), kp = poisoned(size_t(slots_n * kvd) * 2),
                   vp = poisoned(size_t(slots_n * kvd) * 2);
      GemvArgs a = args(p, d, true, nullptr);
      a.epilogue = GemvEpilogue::RopeQkv;
      a.rope.q_heads = cs.Hq;
      a.rope.kv_heads = cs.Hkv;
      a.rope.head_dim = cs.D;
      a.rope.rot_dim = cs.rot;
      a.rope.pos = dpos.get<int32_t>();
      a.rope.inv_freq = dinv.get<float>();
      a.rope.slots = dslots.get<int32_t>();
      a.rope.q_out = dq.get<float>();
      a.rope.k_pool = kp.get<uint16_t>();
      a.rope.v_pool = vp.get<uint16_t>();
      gemv(a, nullptr);
      // q: the product's f32 error, then the same f32 angle and precise sincos as the CPU.
      EXPECT_LT(rel_err(down<float>(dq, q.size()), q), kTol) << "D=" << cs.D << " M=" << M;
      const auto hk = down<uint16_t>(kp, size_t(slots_n * kvd)), hv = down<uint16_t>(vp, size_t(slots_n * kvd));
      std::vector<float> gk(k.size()), gv(v.size());
      for (int m = 0; m < M; ++m)
        for (int64_t i = 0; i < kvd; ++i) {
          gk[size_t(m * kvd + i)] = bf16_to_f32(hk[size_t(slots[size_t(m)] * kvd + i)]);
          gv[size_t(m * kvd + i)] = bf16_to_f32(hv[size_t(slots[size_t(m)] * kvd + i)]);
        }
      // k and v: one bf16 rounding (2^-9 relative) on top.
      EXPECT_LT(rel_err(gk, k), 4e-3) << "D=" << cs.D << " M=" << M;
      EXPECT_LT(rel_err(gv, v), 4e-3) << "D=" << cs.D << " M=" << M;
    }
}

TEST(CudaGemvFused, RefusesWhatItCannotFuse) {
  const Problem p = make(1, 64, 64, true, 1.f);
  const Device d(p);
  DeviceBuffer y = poisoned(64 * 16 * 4);
  GemvArgs a = args(p, d, false, y.get<float>());
  a.M = kGemvFusedMaxRows + 1;
  EXPECT_THROW(gemv(a, nullptr), Error);  // the tensor-core rows fuse nothing
  a.M = 1;
  a.epilogue = GemvEpilogue::SiluPairs;
  a.accumulate = true;
  EXPECT_THROW(gemv(a, nullptr), Error);
  a.accumulate = false;
  a.epilogue = GemvEpilogue::RopeQkv;  // 64 rows are not (Hq + 2 Hkv) * D for these heads
  a.rope.q_heads = 2;
  a.rope.kv_heads = 1;
  a.rope.head_dim = 24;
  a.rope.rot_dim = 24;
  EXPECT_THROW(gemv(a, nullptr), Error);
}

}  // namespace
}  // namespace sunbae::cuda
