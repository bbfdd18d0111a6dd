// The decode GEMV against a double-precision reference on random inputs (never zeros), outputs
// poisoned with NaN before every run so an unwritten element fails, and rows past M checked to
// stay poisoned so a stray write fails too.
#include <gtest/gtest.h>

#include <cstring>

#include "core/dtype.h"
#include "cuda/cuda_test_util.h"
#include "kernels/cuda/gemv.h"

namespace sunbae::cuda {
namespace {
using namespace test;

// y = x · W^T (+ bias) (+ y0) in double over the same half weights the GPU reads.
std::vector<float> reference(const std::vector<float>& x, int M, const std::vector<uint16_t>& w, bool bf16,
                             const float* bias, const float* y0, int64_t N, int64_t K) {
  std::vector<double> wd(w.size());
  for (size_t i = 0; i < w.size(); ++i) wd[i] = bf16 ? bf16_to_f32(w[i]) : f16_to_f32(w[i]);
  std::vector<float> y(size_t(M * N));
  for (int m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = bias ? bias[n] : 0.0;
      for (int64_t k = 0; k < K; ++k) s += double(x[size_t(m * K + k)]) * wd[size_t(n * K + k)];
      y[size_t(m * N + n)] = float(s + (y0 ? y0[size_t(m * N + n)] : 0.0));
    }
  return y;
}

GemvArgs make_args(const DeviceBuffer& x, int M, const DeviceBuffer& w, bool bf16, const float* bias, int64_t N,
                   int64_t K, const DeviceBuffer& y, bool acc) {
  GemvArgs a;
  a.x = x.get<float>();
  a.M = M;
  a.w = w.get();
  a.wtype = bf16 ? WType::BF16 : WType::F16;
  a.bias = bias;
  a.N = N;
  a.K = K;
  a.y = y.get<float>();
  a.accumulate = acc;
  return a;
}

// N never a multiple of the 8 or 16 rows a block owns, K = 8 * odd (a partial last round of
// loads) except 4096, and one long K for the summation error.
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{3, 40}, {37, 72}, {129, 1032}, {1001, 4096}, {515, 14344}};

TEST(CudaKernels, GemvMatchesDoubleReference) {
  std::normal_distribution<float> nd;
  for (bool bf16 : {true, false}) {
    for (size_t si = 0; si < kShapes.size(); ++si) {
      const auto [N, K] = kShapes[si];
      std::vector<uint16_t> w(size_t(N * K));
      for (auto& v : w) {
        const float f = nd(rng()) / std::sqrt(float(K));
        v = bf16 ? f32_to_bf16(f) : f32_to_f16(f);
      }
      DeviceBuffer dw = up(w);
      for (int M = 1; M <= kGemvMaxRows; ++M) {
        // Consecutive M walk through all four (bias, accumulate) combinations on every shape.
        const bool bias_on = (M + si) % 2 == 1, acc = (M + si) / 2 % 2 == 1;
        std::vector<float> x = randn(size_t(M * K)), bias = randn(size_t(N)), y0 = randn(size_t(M * N));
        const std::vector<float> ref =
            reference(x, M, w, bf16, bias_on ? bias.data() : nullptr, acc ? y0.data() : nullptr, N, K);
        DeviceBuffer dx = up(x), db = up(bias);
        DeviceBuffer dy = poisoned(size_t(kGemvMaxRows * N) * 4);
        if (acc) SUNBAE_CUDA_CHECK(cudaMemcpy(dy.get(), y0.data(), y0.size() * 4, cudaMemcpyHostToDevice));
        gemv(make_args(dx, M, dw, bf16, bias_on ? db.get<float>() : nullptr, N, K, dy, acc), nullptr);
        const std::vector<float> all = down<float>(dy, size_t(kGemvMaxRows * N));
        const std::vector<float> got(all.begin(), all.begin() + long(M * N));
        // FMA path: f32 sums of exact f32 products in another order, ~1e-6 relative at K = 14344.
        // Split-x tensor cores: x enters as hi + lo halves, ~2^-17 (bf16) relative per element,
        // so ~2e-6 on the sums, plus the same f32 summation error. Rounded-x tensor cores: x's
        // rounding error, up to 2^-9 relative per element and random in sign, gives ~1e-3 on
        // the sums (4e-3 leaves room for the worst of 16 * N outputs).
        const double tol = M < kGemvTensorCoreMinRows ? 1e-5 : M <= kGemvSplitXMaxRows ? 3e-5 : 4e-3;
        EXPECT_LT(rel_err(got, ref), tol) << "bf16=" << bf16 << " M=" << M << " N=" << N << " K=" << K
                                          << " bias=" << bias_on << " acc=" << acc << " (" << gemv_kernel_name(M) << ")";
        bool tail_poisoned = true;
        for (size_t i = size_t(M * N); i < all.size(); ++i) {
          uint32_t u;
          std::memcpy(&u, &all[i], 4);
          tail_poisoned &= u == 0xffffffffu;
        }
        EXPECT_TRUE(tail_poisoned) << "rows past M written: M=" << M << " N=" << N << " K=" << K;
      }
    }
  }
}

TEST(CudaKernels, GemvBf16WrapperMatchesGemv) {
  const int64_t N = 77, K = 264;
  std::vector<uint16_t> w(size_t(N * K));
  for (auto& v : w) v = f32_to_bf16(randn(1, 0.1f)[0]);
  const std::vector<float> x = randn(size_t(8 * K)), bias = randn(size_t(N));
  DeviceBuffer dx = up(x), dw = up(w), db = up(bias);
  for (int M : {1, 3, 8}) {
    DeviceBuffer y1 = poisoned(size_t(M * N) * 4), y2 = poisoned(size_t(M * N) * 4);
    gemv_bf16(dx.get<float>(), M, dw.get<uint16_t>(), db.get<float>(), N, K, y1.get<float>(), nullptr);
    gemv(make_args(dx, M, dw, true, db.get<float>(), N, K, y2, false), nullptr);
    const std::vector<float> a = down<float>(y1, size_t(M * N)), b = down<float>(y2, size_t(M * N));
    EXPECT_EQ(rel_err(a, b), 0.0) << "M=" << M;  // the same kernel on the same inputs: bit-identical
  }
}

TEST(CudaKernels, GemvRejectsShapesItCannotRun) {
  EXPECT_THROW(gemv_bf16(nullptr, 1, nullptr, nullptr, 8, 12, nullptr, nullptr), Error);
  DeviceBuffer x(64 * sizeof(float), "x"), w(64 * 2, "w"), y(64, "y");
  EXPECT_THROW(gemv_bf16(x.get<float>(), 9, w.get<uint16_t>(), nullptr, 1, 64, y.get<float>(), nullptr), Error);
  GemvArgs a = make_args(x, kGemvMaxRows + 1, w, true, nullptr, 1, 64, y, false);
  EXPECT_THROW(gemv(a, nullptr), Error);
  a.M = 0;
  EXPECT_THROW(gemv(a, nullptr), Error);
  a.M = 1;
  a.K = 60;
  EXPECT_THROW(gemv(a, nullptr), Error);
}

}  // namespace
}  // namespace sunbae::cuda
