// The decode GEMV's dispatch: the FMA kernel below kGemvTensorCoreMinRows rows, the tensor-core
// kernel from there on; the configurations are the winners of bench/cuda/gemv_bench's sweep.
#include <utility>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/gemv_kernels.cuh"

namespace sunbae::cuda {

namespace {
using namespace gemv_detail;

// The winners of bench/cuda/gemv_bench's sweep on an H200 (sum of µs over the 7B shapes):
// FMA with 2 rows per warp at M = 1-2, 4 at M = 3 (x re-read from L1 less often per weight
// byte); tensor cores with x split into hi + lo and 2 loads in flight at M = 4-8; at M = 9-16
// x rounded once and 4 in flight (the split versions measured 12% slower there).
constexpr int fma_rows(int M) { return M <= 2 ? 2 : 4; }
constexpr int kFmaUnroll = 4, kFmaWarps = 4;
constexpr int kMmaWarps = 8;
constexpr int mma_unroll(int nt) { return nt == 1 ? 2 : 4; }
constexpr bool mma_split(int nt) { return nt == 1; }
static_assert(kGemvSplitXMaxRows == 8, "the split-x tensor-core instance is the one-n8-tile (M <= 8) one");

template <int M, bool BF16>
void launch_fma(const GemvArgs& a, cudaStream_t s) {
  constexpr int R = fma_rows(M), U = kFmaUnroll;
  const int64_t per_block = int64_t(kFmaWarps) * R;
  const unsigned blocks = unsigned((a.N + per_block - 1) / per_block);
  fma_kernel<M, BF16, R, U, kFmaWarps><<<blocks, kFmaWarps * 32, 0, s>>>(
      a.x, static_cast<const uint16_t*>(a.w), a.bias, a.N, a.K, a.y, a.accumulate);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

template <int NT, bool BF16>
void launch_mma(const GemvArgs& a, cudaStream_t s) {
  const unsigned blocks = unsigned((a.N + 15) / 16);
  mma_kernel<NT, BF16, mma_split(NT), mma_unroll(NT), kMmaWarps><<<blocks, kMmaWarps * 32, 0, s>>>(
      a.x, a.M, static_cast<const uint16_t*>(a.w), a.bias, a.N, a.K, a.y, a.accumulate);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

template <bool BF16, int... Ms>
void dispatch_fma(const GemvArgs& a, cudaStream_t s, std::integer_sequence<int, Ms...>) {
  ((a.M == Ms + 1 ? launch_fma<Ms + 1, BF16>(a, s) : void()), ...);
}

template <bool BF16>
void run(const GemvArgs& a, cudaStream_t s) {
  if (a.M < kGemvTensorCoreMinRows)
    dispatch_fma<BF16>(a, s, std::make_integer_sequence<int, kGemvTensorCoreMinRows - 1>{});
  else if (a.M <= kGemvSplitXMaxRows)
    launch_mma<1, BF16>(a, s);
  else
    launch_mma<2, BF16>(a, s);
}
}  // namespace

void gemv(const GemvArgs& a, cudaStream_t stream) {
  SUNBAE_CHECK(a.M >= 1 && a.M <= kGemvMaxRows, "gemv: M = ", a.M, " outside 1..", kGemvMaxRows);
  SUNBAE_CHECK(a.K % 8 == 0, "gemv: K = ", a.K, " is not a multiple of 8");
  SUNBAE_CHECK(reinterpret_cast<uintptr_t>(a.w) % 16 == 0 && reinterpret_cast<uintptr_t>(a.x) % 16 == 0,
               "gemv: operands must be 16-byte aligned");
  if (a.N == 0) return;
  if (a.wtype == WType::BF16)
    run<true>(a, stream);
  else
    run<false>(a, stream);
}

const char* gemv_kernel_name(int M) {
  if (M < kGemvTensorCoreMinRows) return fma_rows(M) == 2 ? "fma r2 u4 w4" : "fma r4 u4 w4";
  return M <= 8 ? "mma split w8 u2" : "mma w8 u4";
}

void gemv_bf16(const float* x, int M, const uint16_t* w, const float* bias, int64_t N, int64_t K, float* y,
               cudaStream_t stream) {
  SUNBAE_CHECK(M >= 1 && M <= 8, "gemv_bf16: M = ", M, " outside 1..8");
  GemvArgs a;
  a.x = x;
  a.M = M;
  a.w = w;
  a.bias = bias;
  a.N = N;
  a.K = K;
  a.y = y;
  gemv(a, stream);
}

}  // namespace sunbae::cuda
