// The decode GEMV's dispatch: the FMA kernel below kGemvTensorCoreMinRows rows, the tensor-core
// kernel from there on; the configurations are the winners of bench/cuda/gemv_bench's sweep.
#include <utility>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/gemv_kernels.cuh"
#include "kernels/cuda/pdl.cuh"

namespace sunbae::cuda {

namespace {
using namespace gemv_detail;

// The winners of bench/cuda/gemv_bench's sweep on an H200 (sum of µs over the 7B shapes):
// FMA with 2 rows per warp at M = 1-2, 4 at M = 3 (x re-read from L1 less often per weight
// byte); tensor cores with x split into hi + lo and 2 loads in flight at M = 4-8; at M = 9-16
// x rounded once and 4 in flight (the split versions measured 12% slower there). Inside the
// model on an H100 the sweep's one-warp-a-row (v0) and double-buffered (v11, v12) variants moved
// batch-1 decode by no more than run-to-run spread (docs/PERF.md, 2026-12-07).
constexpr int fma_rows(int M) { return M <= 2 ? 2 : 4; }
constexpr int kFmaUnroll = 4, kFmaWarps = 4;
constexpr int kMmaWarps = 8;
constexpr int mma_unroll(int nt) { return nt == 1 ? 2 : 4; }
constexpr bool mma_split(int nt) { return nt == 1; }
static_assert(kGemvSplitXMaxRows == 8, "the split-x tensor-core instance is the one-n8-tile (M <= 8) one");

template <int M, bool BF16, bool NORM>
void launch_fma_norm(const GemvArgs& a, const FmaFused& f, cudaStream_t s) {
  constexpr int R = fma_rows(M), U = kFmaUnroll;
  const int64_t per_block = int64_t(kFmaWarps) * R;
  const unsigned blocks = unsigned((a.N + per_block - 1) / per_block);
  launch_pdl(fma_kernel<M, BF16, R, U, kFmaWarps, NORM>, blocks, kFmaWarps * 32, 0, s, a.x,
             static_cast<const uint16_t*>(a.w), a.bias, a.N, a.K, a.y, a.accumulate, f);
}

template <int M, bool BF16>
void launch_fma(const GemvArgs& a, cudaStream_t s) {
  FmaFused f;
  f.norm_w = a.norm_w;
  f.eps = a.norm_eps;
  f.epilogue = a.epilogue;
  f.rope = a.rope;
  if (a.norm_w)
    launch_fma_norm<M, BF16, true>(a, f, s);
  else
    launch_fma_norm<M, BF16, false>(a, f, s);
}

template <int NT, bool BF16>
void launch_mma(const GemvArgs& a, cudaStream_t s) {
  const unsigned blocks = unsigned((a.N + 15) / 16);
  launch_pdl(mma_kernel<NT, BF16, mma_split(NT), mma_unroll(NT), kMmaWarps>, blocks, kMmaWarps * 32, 0, s, a.x, a.M,
             static_cast<const uint16_t*>(a.w), a.bias, a.N, a.K, a.y, a.accumulate);
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
  const bool fused = a.norm_w || a.epilogue != GemvEpilogue::Store;
  SUNBAE_CHECK(!fused || a.M <= kGemvFusedMaxRows, "gemv: fused norm/epilogue needs M <= ", kGemvFusedMaxRows,
               ", got ", a.M);
  SUNBAE_CHECK(!a.norm_w || reinterpret_cast<uintptr_t>(a.norm_w) % 16 == 0, "gemv: norm weights must be 16-byte aligned");
  SUNBAE_CHECK(a.epilogue == GemvEpilogue::Store || a.N % 2 == 0, "gemv: pair epilogues need an even N, got ", a.N);
  SUNBAE_CHECK(a.epilogue == GemvEpilogue::Store || !a.accumulate, "gemv: accumulate applies to the store epilogue only");
  if (a.epilogue == GemvEpilogue::RopeQkv) {
    const RopeStoreArgs& r = a.rope;
    SUNBAE_CHECK(r.head_dim % 2 == 0 && r.rot_dim % 2 == 0 && r.rot_dim <= r.head_dim &&
                     a.N == (r.q_heads + 2 * r.kv_heads) * r.head_dim,
                 "gemv: RopeQkv epilogue: ", a.N, " rows for ", r.q_heads, " + 2 x ", r.kv_heads, " heads of ",
                 r.head_dim, " (rot ", r.rot_dim, ")");
  }
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
