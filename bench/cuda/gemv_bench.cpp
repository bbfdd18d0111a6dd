// Decode GEMV timing sweep at Mistral-7B's matrix shapes against the card's measured copy
// bandwidth (the memory-bound floor). Prints a table, writes JSON (argv[1], optional).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemv.h"

using namespace sunbae;
using namespace sunbae::cuda;

namespace {
template <class F>
float time_ms(F&& f, int reps) {
  cudaEvent_t a, b;
  SUNBAE_CUDA_CHECK(cudaEventCreate(&a));
  SUNBAE_CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) f(i);  // warm-up
  std::vector<float> t;
  for (int r = 0; r < reps; ++r) {
    SUNBAE_CUDA_CHECK(cudaEventRecord(a));
    f(r);
    SUNBAE_CUDA_CHECK(cudaEventRecord(b));
    SUNBAE_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];  // median
}
}  // namespace

int main(int argc, char** argv) {
  try {
    cudaDeviceProp prop{};
    SUNBAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    // Copy bandwidth: bytes read + written over a 2 GiB device-to-device copy.
    const size_t copy_bytes = size_t(2) << 30;
    DeviceBuffer src(copy_bytes, "copy src"), dst(copy_bytes, "copy dst");
    SUNBAE_CUDA_CHECK(cudaMemset(src.get(), 1, copy_bytes));
    const float copy_ms = time_ms([&](int) { SUNBAE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), copy_bytes, cudaMemcpyDeviceToDevice)); }, 10);
    const double bw = 2.0 * double(copy_bytes) / (copy_ms * 1e-3) / 1e9;

    struct Shape { const char* name; int64_t N, K; };
    // Mistral-7B's matrices as the model holds them (q/k/v and gate/up fused).
    const Shape shapes[] = {{"qkv 6144x4096", 6144, 4096}, {"o 4096x4096", 4096, 4096},
                            {"gate/up 28672x4096", 28672, 4096}, {"down 4096x14336", 4096, 14336},
                            {"lm_head 32768x4096", 32768, 4096}};
    nlohmann::ordered_json out = {{"device", prop.name}, {"copy_gb_per_s", bw}, {"rows", nlohmann::json::array()}};
    std::printf("%s, measured copy bandwidth %.0f GB/s\n", prop.name, bw);
    std::printf("| %-20s | M | us | GB/s | %% of copy BW |\n|---|---|---|---|---|\n", "shape");
    std::mt19937 rng(1);
    for (const Shape& s : shapes) {
      // Enough copies of W that each timed run reads weights that are not in L2 (50 MB on H100).
      const size_t wbytes = size_t(s.N * s.K) * 2;
      const int copies = int(std::max<size_t>(2, (size_t(200) << 20) / wbytes + 1));
      std::vector<DeviceBuffer> ws;
      std::vector<uint16_t> host(size_t(s.N * s.K));
      for (auto& v : host) v = f32_to_bf16(std::normal_distribution<float>()(rng) * 0.02f);
      for (int c = 0; c < copies; ++c) {
        ws.emplace_back(wbytes, "weights");
        SUNBAE_CUDA_CHECK(cudaMemcpy(ws.back().get(), host.data(), wbytes, cudaMemcpyHostToDevice));
      }
      DeviceBuffer x(size_t(kGemvMaxRows * s.K) * 4, "x"), y(size_t(kGemvMaxRows * s.N) * 4, "y");
      std::vector<float> hx(size_t(kGemvMaxRows * s.K));
      for (auto& v : hx) v = std::normal_distribution<float>()(rng);
      SUNBAE_CUDA_CHECK(cudaMemcpy(x.get(), hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
      for (int M : {1, 2, 4, 8, 16}) {
        const float ms = time_ms([&](int r) {
          GemvArgs a;
          a.x = x.get<float>();
          a.M = M;
          a.w = ws[size_t(r) % ws.size()].get();
          a.N = s.N;
          a.K = s.K;
          a.y = y.get<float>();
          gemv(a, nullptr);
        }, 50);
        const double gbs = double(wbytes) / (ms * 1e-3) / 1e9;
        std::printf("| %-20s | %d | %.1f | %.0f | %.0f%% |\n", s.name, M, ms * 1e3, gbs, 100.0 * gbs / bw);
        out["rows"].push_back({{"shape", s.name}, {"M", M}, {"us", ms * 1e3}, {"gb_per_s", gbs}, {"pct_of_copy_bw", 100.0 * gbs / bw}});
      }
    }
    if (argc > 1) std::ofstream(argv[1]) << out.dump(1) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
