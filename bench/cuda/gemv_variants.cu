#include "gemv_variants.h"

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gemv_kernels.cuh"

namespace sunbae::cuda::bench {

namespace {
using namespace gemv_detail;

const uint16_t* wp(const GemvArgs& a) { return static_cast<const uint16_t*>(a.w); }

// v0: the first decode GEMV (one warp per row, 8 warps per block, 4 loads in flight, x re-read
// for every weight chunk), which the library keeps as row_kernel.
template <int M>
void v0(const GemvArgs& a, cudaStream_t s) {
  row_kernel<M, true><<<unsigned((a.N + 7) / 8), 256, 0, s>>>(a.x, wp(a), a.bias, a.N, a.K, a.y, a.accumulate);
}

template <int M, int R, int U, int W = 4, bool PIPE = false>
void fma(const GemvArgs& a, cudaStream_t s) {
  fma_kernel<M, true, R, U, W, false, PIPE><<<unsigned((a.N + W * R - 1) / (W * R)), W * 32, 0, s>>>(a.x, wp(a), a.bias, a.N, a.K,
                                                                                        a.y, a.accumulate, FmaFused{});
}

template <bool SPLIT, int U, int W>
void mma(const GemvArgs& a, cudaStream_t s) {
  const unsigned blocks = unsigned((a.N + 15) / 16);
  if (a.M <= 8)
    mma_kernel<1, true, SPLIT, U, W><<<blocks, W * 32, 0, s>>>(a.x, a.M, wp(a), a.bias, a.N, a.K, a.y, a.accumulate);
  else
    mma_kernel<2, true, SPLIT, U, W><<<blocks, W * 32, 0, s>>>(a.x, a.M, wp(a), a.bias, a.N, a.K, a.y, a.accumulate);
}

using Fn = void (*)(const GemvArgs&, cudaStream_t);
struct Variant {
  const char* name;
  Fn by_m[5];  // M = 1, 2, 4, 8, 16; null where the variant is not built for that M
};
const Variant kVariants[] = {
    {"v0 before (warp/row, u4)", {v0<1>, v0<2>, v0<4>, v0<8>, v0<16>}},
    {"v1 fma r1 u8", {fma<1, 1, 8>, fma<2, 1, 8>, fma<4, 1, 8>, nullptr, nullptr}},
    {"v2 fma r2 u4", {fma<1, 2, 4>, fma<2, 2, 4>, fma<4, 2, 4>, fma<8, 2, 4>, nullptr}},
    {"v3 fma r4 u4", {nullptr, fma<2, 4, 4>, fma<4, 4, 4>, fma<8, 4, 4>, nullptr}},
    {"v4 fma r4 u2", {fma<1, 4, 2>, nullptr, fma<4, 4, 2>, fma<8, 4, 2>, nullptr}},
    {"v5 mma w8 u4", {mma<false, 4, 8>, mma<false, 4, 8>, mma<false, 4, 8>, mma<false, 4, 8>, mma<false, 4, 8>}},
    {"v6 mma split w8 u4", {mma<true, 4, 8>, mma<true, 4, 8>, mma<true, 4, 8>, mma<true, 4, 8>, mma<true, 4, 8>}},
    {"v7 mma split w4 u4", {mma<true, 4, 4>, mma<true, 4, 4>, mma<true, 4, 4>, mma<true, 4, 4>, mma<true, 4, 4>}},
    {"v8 mma split w8 u2", {mma<true, 2, 8>, mma<true, 2, 8>, mma<true, 2, 8>, mma<true, 2, 8>, mma<true, 2, 8>}},
    {"v9 mma w8 u2", {nullptr, nullptr, mma<false, 2, 8>, mma<false, 2, 8>, mma<false, 2, 8>}},
    {"v10 fma r1 u4 w8", {fma<1, 1, 4, 8>, fma<2, 1, 4, 8>, nullptr, nullptr, nullptr}},
    // Double-buffered: the next round's weight loads in flight while this one is consumed.
    {"v11 fma pipe r2 u4 w4", {fma<1, 2, 4, 4, true>, fma<2, 2, 4, 4, true>, nullptr, nullptr, nullptr}},
    {"v12 fma pipe r2 u4 w8", {fma<1, 2, 4, 8, true>, fma<2, 2, 4, 8, true>, nullptr, nullptr, nullptr}},
    {"v13 fma pipe r1 u4 w8", {fma<1, 1, 4, 8, true>, fma<2, 1, 4, 8, true>, nullptr, nullptr, nullptr}},
    {"v14 fma pipe r2 u2 w8", {fma<1, 2, 2, 8, true>, fma<2, 2, 2, 8, true>, nullptr, nullptr, nullptr}},
};

int slot(int M) { return M == 1 ? 0 : M == 2 ? 1 : M == 4 ? 2 : M == 8 ? 3 : M == 16 ? 4 : -1; }

__global__ void fill_kernel(uint16_t* w, int64_t n, bool bf16, uint32_t seed, float scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 0x9e3779b9u ^ uint32_t(i >> 32) * 0x85ebca6bu ^ seed;
    h ^= h >> 16, h *= 0x7feb352du, h ^= h >> 15, h *= 0x846ca68bu, h ^= h >> 16;
    const float f = (float(h >> 8) * (1.f / 8388608.f) - 1.f) * scale;
    w[i] = bf16 ? __bfloat16_as_ushort(__float2bfloat16_rn(f)) : __half_as_ushort(__float2half_rn(f));
  }
}
}  // namespace

int gemv_variant_count() { return int(sizeof(kVariants) / sizeof(kVariants[0])); }
const char* gemv_variant_name(int v) { return kVariants[v].name; }
bool gemv_variant_supports(int v, int M) { return slot(M) >= 0 && kVariants[v].by_m[slot(M)] != nullptr; }

void gemv_variant_run(int v, const GemvArgs& a, cudaStream_t s) {
  SUNBAE_CHECK(a.wtype == WType::BF16 && gemv_variant_supports(v, a.M), "gemv variant ", v, " not built for M = ", a.M);
  kVariants[v].by_m[slot(a.M)](a, s);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

void fill_uniform(void* w, int64_t n, WType t, uint32_t seed, float scale, cudaStream_t s) {
  fill_kernel<<<1024, 256, 0, s>>>(static_cast<uint16_t*>(w), n, t == WType::BF16, seed, scale);
  SUNBAE_CUDA_CHECK_LAUNCH();
}

}  // namespace sunbae::cuda::bench
