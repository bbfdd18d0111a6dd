// Decode GEMV timing sweep at the 7B models' matrix shapes (as the model holds them: q/k/v and
// gate/up fused) against the card's copy bandwidth measured in the same run (the memory-bound
// floor). Times the library's gemv() for bf16 and f16 weights at M = 1, 2, 4, 8, 16 and the
// bench's numbered variants (bf16) for the same shapes, says which variant won for each M, and
// writes everything as JSON (argv[1], optional).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "gemv_variants.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemv.h"

using namespace sunbae;
using namespace sunbae::cuda;

namespace {
// Launches per timed interval: one launch between two events would also time the host's launch
// latency (several µs, a third of a 4096x4096 GEMV), which a replayed decode graph does not pay.
constexpr int kLaunches = 20;

// Median over reps of the time per launch, f(i) making launch i.
template <class F>
double time_us(F&& f, int reps) {
  cudaEvent_t a, b;
  SUNBAE_CUDA_CHECK(cudaEventCreate(&a));
  SUNBAE_CUDA_CHECK(cudaEventCreate(&b));
  int i = 0;
  for (int w = 0; w < 3; ++w) f(i++);  // warm-up
  std::vector<float> t;
  for (int r = 0; r < reps; ++r) {
    SUNBAE_CUDA_CHECK(cudaEventRecord(a));
    for (int l = 0; l < kLaunches; ++l) f(i++);
    SUNBAE_CUDA_CHECK(cudaEventRecord(b));
    SUNBAE_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  SUNBAE_CUDA_CHECK(cudaEventDestroy(a));
  SUNBAE_CUDA_CHECK(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return double(t[t.size() / 2]) * 1e3 / kLaunches;
}

struct Shape {
  const char* name;
  int64_t N, K;
  bool bias;
};
// Mistral-7B, Llama-3-8B's lm_head, Qwen2.5-7B (whose q/k/v carry a bias).
const Shape kShapes[] = {
    {"mistral qkv 6144x4096", 6144, 4096, false},        {"mistral o 4096x4096", 4096, 4096, false},
    {"mistral gate_up 28672x4096", 28672, 4096, false},  {"mistral down 4096x14336", 4096, 14336, false},
    {"mistral lm_head 32768x4096", 32768, 4096, false},  {"llama3 lm_head 128256x4096", 128256, 4096, false},
    {"qwen qkv 4608x3584 +bias", 4608, 3584, true},      {"qwen gate_up 37888x3584", 37888, 3584, false},
    {"qwen down 3584x18944", 3584, 18944, false},        {"qwen lm_head 152064x3584", 152064, 3584, false},
};
const int kMs[] = {1, 2, 4, 8, 16};

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& ref) {
  double mr = 0, md = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    mr = std::max(mr, std::fabs(double(ref[i])));
    md = std::max(md, std::fabs(double(a[i]) - ref[i]));
  }
  return md / mr;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    cudaDeviceProp prop{};
    SUNBAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    // Copy bandwidth: bytes read + written over a 2 GiB device-to-device copy.
    const size_t copy_bytes = size_t(2) << 30;
    double bw = 0;
    {
      DeviceBuffer src(copy_bytes, "copy src"), dst(copy_bytes, "copy dst");
      SUNBAE_CUDA_CHECK(cudaMemset(src.get(), 1, copy_bytes));
      const double us = time_us([&](int) {
        SUNBAE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), copy_bytes, cudaMemcpyDeviceToDevice));
      }, 3);
      bw = 2.0 * double(copy_bytes) / (us * 1e-6) / 1e9;
    }
    nlohmann::ordered_json out = {{"device", prop.name},
                                  {"sms", prop.multiProcessorCount},
                                  {"copy_gb_per_s", bw},
                                  {"launches_per_timing", kLaunches},
                                  {"rows", nlohmann::json::array()},
                                  {"variants", nlohmann::json::array()}};
    std::printf("%s (%d SMs), measured copy bandwidth %.0f GB/s; us = median per launch, %d back-to-back\n",
                prop.name, prop.multiProcessorCount, bw, kLaunches);
    std::printf("\n## library gemv()\n| %-28s | w | M | kernel | us | GB/s | %% of copy BW |\n|---|---|---|---|---|---|---|\n",
                "shape");
    std::vector<std::string> vlines;
    std::map<int, std::vector<double>> vsum;  // per M: sum of us over the shapes, per variant
    std::map<int, double> lib_sum;            // per M: the library's sum (bf16)
    std::mt19937 rng(1);
    for (const Shape& s : kShapes) {
      // Enough copies of W that consecutive launches never find their weights in L2 (50 MB).
      const size_t wbytes = size_t(s.N * s.K) * 2;
      const int copies = int(std::max<size_t>(2, (size_t(256) << 20) / wbytes + 1));
      std::vector<DeviceBuffer> ws;
      for (int c = 0; c < copies; ++c) ws.emplace_back(wbytes, "weights");
      DeviceBuffer x(size_t(kGemvMaxRows * s.K) * 4, "x"), y(size_t(kGemvMaxRows * s.N) * 4, "y"),
          bias(size_t(s.N) * 4, "bias");
      std::vector<float> hx(size_t(kGemvMaxRows * s.K)), hb(size_t(s.N));
      for (auto& v : hx) v = std::normal_distribution<float>()(rng);
      for (auto& v : hb) v = std::normal_distribution<float>()(rng);
      SUNBAE_CUDA_CHECK(cudaMemcpy(x.get(), hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
      SUNBAE_CUDA_CHECK(cudaMemcpy(bias.get(), hb.data(), hb.size() * 4, cudaMemcpyHostToDevice));
      auto args = [&](int M, WType t, int i) {
        GemvArgs a;
        a.x = x.get<float>();
        a.M = M;
        a.w = ws[size_t(i) % ws.size()].get();
        a.wtype = t;
        a.bias = s.bias ? bias.get<float>() : nullptr;
        a.N = s.N;
        a.K = s.K;
        a.y = y.get<float>();
        return a;
      };
      auto pct = [&](double us) { return 100.0 * double(wbytes) / (us * 1e-6) / 1e9 / bw; };
      for (WType t : {WType::BF16, WType::F16}) {
        const char* tn = t == WType::BF16 ? "bf16" : "f16";
        for (int c = 0; c < copies; ++c)
          bench::fill_uniform(ws[size_t(c)].get(), s.N * s.K, t, uint32_t(c + 1), 0.03f, nullptr);
        SUNBAE_CUDA_CHECK(cudaDeviceSynchronize());
        for (int M : kMs) {
          const double us = time_us([&](int i) { gemv(args(M, t, i), nullptr); }, 15);
          const double gbs = double(wbytes) / (us * 1e-6) / 1e9;
          std::printf("| %-28s | %s | %d | %s | %.1f | %.0f | %.0f%% |\n", s.name, tn, M, gemv_kernel_name(M), us, gbs,
                      pct(us));
          out["rows"].push_back({{"shape", s.name}, {"N", s.N}, {"K", s.K}, {"bias", s.bias}, {"wtype", tn},
                                 {"M", M}, {"kernel", gemv_kernel_name(M)}, {"us", us}, {"gb_per_s", gbs},
                                 {"pct_of_copy_bw", pct(us)}});
          if (t != WType::BF16) continue;
          lib_sum[M] += us;
          // The variants on the same bf16 weights; each one's output against the library's.
          gemv(args(M, t, 0), nullptr);
          std::vector<float> ref(size_t(M * s.N)), got(ref.size());
          SUNBAE_CUDA_CHECK(cudaMemcpy(ref.data(), y.get(), ref.size() * 4, cudaMemcpyDeviceToHost));
          std::string line = std::string("| ") + s.name + " | " + std::to_string(M) + " |";
          auto& sums = vsum[M];
          sums.resize(size_t(bench::gemv_variant_count()), 0.0);
          for (int v = 0; v < bench::gemv_variant_count(); ++v) {
            if (!bench::gemv_variant_supports(v, M)) {
              line += " - |";
              sums[size_t(v)] = INFINITY;
              continue;
            }
            SUNBAE_CUDA_CHECK(cudaMemset(y.get(), 0xff, y.size()));
            bench::gemv_variant_run(v, args(M, t, 0), nullptr);
            SUNBAE_CUDA_CHECK(cudaMemcpy(got.data(), y.get(), got.size() * 4, cudaMemcpyDeviceToHost));
            const double diff = max_rel_diff(got, ref);
            const double vus = time_us([&](int i) { bench::gemv_variant_run(v, args(M, t, i), nullptr); }, 9);
            sums[size_t(v)] += vus;
            char cell[64];
            std::snprintf(cell, sizeof cell, " %.1f (%.0f%%)%s |", vus, pct(vus), diff < 1e-2 ? "" : " WRONG");
            line += cell;
            out["variants"].push_back({{"shape", s.name}, {"M", M}, {"variant", bench::gemv_variant_name(v)},
                                       {"us", vus}, {"pct_of_copy_bw", pct(vus)}, {"rel_diff_vs_library", diff}});
          }
          vlines.push_back(line);
        }
      }
    }
    std::printf("\n## variants, bf16 weights: us per launch (%% of copy BW); WRONG = output differs from gemv()'s by > 1e-2\n| shape | M |");
    for (int v = 0; v < bench::gemv_variant_count(); ++v) std::printf(" %s |", bench::gemv_variant_name(v));
    std::printf("\n|---|---|%s\n", std::string(size_t(bench::gemv_variant_count()) * 4, '-').c_str());
    for (const auto& l : vlines) std::printf("%s\n", l.c_str());
    std::printf("\n## winner per M (sum of us over the %zu shapes, bf16)\n", std::size(kShapes));
    nlohmann::ordered_json win = nlohmann::json::array();
    for (int M : kMs) {
      const auto& sums = vsum[M];
      const int best = int(std::min_element(sums.begin(), sums.end()) - sums.begin());
      std::printf("M=%2d: %s, %.1f us; library (%s) %.1f us\n", M, bench::gemv_variant_name(best), sums[size_t(best)],
                  gemv_kernel_name(M), lib_sum[M]);
      win.push_back({{"M", M}, {"winner", bench::gemv_variant_name(best)}, {"winner_sum_us", sums[size_t(best)]},
                     {"library_kernel", gemv_kernel_name(M)}, {"library_sum_us", lib_sum[M]}});
    }
    out["winners"] = win;
    if (argc > 1) std::ofstream(argv[1]) << out.dump(1) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
