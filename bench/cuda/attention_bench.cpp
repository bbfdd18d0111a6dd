// Paged bf16 attention timing at Mistral-7B's attention shape (32 q heads, 8 kv heads, D = 128):
// decode at batch 1/16/64 for contexts 512 and 4096 against the card's copy bandwidth, and
// causal prefill of 512 and 2048 tokens in TFLOP/s. Each figure is one layer's call, the median
// over reps of a CUDA graph of kLayers calls (as the model replays a step), each call reading its
// own blocks so K/V come from HBM, not L2. Prints a table, writes JSON (argv[1], optional).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"

using namespace sunbae;
using namespace sunbae::cuda;

namespace {
constexpr int64_t kHeads = 32, kKvHeads = 8, kD = 128, kBlock = 16;
constexpr int64_t kPoolBlocks = 32768;  // 1 GiB each for K and V
constexpr int kLayers = 16;

float median_ms(cudaStream_t s, const std::function<void()>& f, int reps) {
  cudaEvent_t a, b;
  SUNBAE_CUDA_CHECK(cudaEventCreate(&a));
  SUNBAE_CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) f();  // warm-up
  std::vector<float> t;
  for (int r = 0; r < reps; ++r) {
    SUNBAE_CUDA_CHECK(cudaEventRecord(a, s));
    f();
    SUNBAE_CUDA_CHECK(cudaEventRecord(b, s));
    SUNBAE_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  SUNBAE_CUDA_CHECK(cudaEventDestroy(a));
  SUNBAE_CUDA_CHECK(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Median time of one call, from a graph of kLayers calls (call i with tables of copy i).
float per_call_ms(cudaStream_t s, const std::function<void(int)>& call) {
  cudaGraph_t g = nullptr;
  cudaGraphExec_t exec = nullptr;
  SUNBAE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int l = 0; l < kLayers; ++l) call(l);
  SUNBAE_CUDA_CHECK(cudaStreamEndCapture(s, &g));
  SUNBAE_CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  const float ms = median_ms(s, [&] { SUNBAE_CUDA_CHECK(cudaGraphLaunch(exec, s)); }, 30) / kLayers;
  SUNBAE_CUDA_CHECK(cudaGraphExecDestroy(exec));
  SUNBAE_CUDA_CHECK(cudaGraphDestroy(g));
  return ms;
}

template <class T>
DeviceBuffer upload(const std::vector<T>& v, const char* what) {
  DeviceBuffer b(v.size() * sizeof(T), what);
  SUNBAE_CUDA_CHECK(cudaMemcpy(b.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b;
}

// Block tables for kLayers copies of `seqs` sequences of `ctx` positions each, stride max_blocks,
// drawn without repeats (while the pool lasts) from a shuffled pool.
std::vector<int32_t> make_tables(int64_t seqs, int64_t ctx, int64_t max_blocks, std::mt19937& rng) {
  std::vector<int32_t> ids(static_cast<size_t>(kPoolBlocks));
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<int32_t> t(size_t(kLayers * seqs * max_blocks), 0);
  size_t next = 0;
  for (int64_t c = 0; c < kLayers * seqs; ++c)
    for (int64_t b = 0; b < (ctx + kBlock - 1) / kBlock; ++b) t[size_t(c * max_blocks + b)] = ids[next++ % ids.size()];
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    cudaDeviceProp prop{};
    SUNBAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    cudaStream_t s = nullptr;
    SUNBAE_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const size_t pool_bytes = size_t(kPoolBlocks * kBlock * kKvHeads * kD) * 2;
    DeviceBuffer kp(pool_bytes, "K pool"), vp(pool_bytes, "V pool");
    const float copy_ms = median_ms(s, [&] {
      SUNBAE_CUDA_CHECK(cudaMemcpyAsync(vp.get(), kp.get(), pool_bytes, cudaMemcpyDeviceToDevice, s));
    }, 10);
    const double copy_bw = 2.0 * double(pool_bytes) / (copy_ms * 1e-3) / 1e9;
    {
      // Finite bf16 everywhere (every slot a table names holds data): 16 MiB of random values tiled.
      std::mt19937 rng(1);
      std::vector<uint16_t> h(size_t(8) << 20);
      for (auto& v : h) v = f32_to_bf16(std::normal_distribution<float>()(rng));
      for (size_t off = 0; off < pool_bytes; off += h.size() * 2) {
        SUNBAE_CUDA_CHECK(cudaMemcpy(kp.get<char>() + off, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
        SUNBAE_CUDA_CHECK(cudaMemcpy(vp.get<char>() + off, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
      }
    }
    nlohmann::ordered_json out = {{"device", prop.name}, {"copy_gb_per_s", copy_bw}, {"shape", "mistral-7b"},
                                  {"decode", nlohmann::json::array()}, {"prefill", nlohmann::json::array()}};
    std::printf("%s, copy bandwidth %.0f GB/s; Mistral-7B attention (32 q / 8 kv heads, D=128), per layer\n",
                prop.name, copy_bw);
    std::mt19937 rng(2);

    std::printf("| decode batch | context | capacity | us | GB/s (K+V) | %% of copy BW |\n|---|---|---|---|---|---|\n");
    const int64_t capacity_blocks = 4096 / kBlock;  // the model plans max_blocks from its max context
    for (int64_t B : {1, 16, 64})
      for (int64_t ctx : {512, 4096}) {
        const int64_t MB = capacity_blocks;
        std::vector<int32_t> pos(size_t(B), int32_t(ctx - 1)), seq(static_cast<size_t>(B));
        std::iota(seq.begin(), seq.end(), 0);
        std::vector<float> q(size_t(B * kHeads * kD));
        for (auto& v : q) v = std::normal_distribution<float>()(rng);
        DeviceBuffer dq = upload(q, "q"), dpos = upload(pos, "positions"), dseq = upload(seq, "row sequences");
        DeviceBuffer dtab = upload(make_tables(B, ctx, MB, rng), "tables");
        DeviceBuffer dout(size_t(B * kHeads * kD) * 4, "out");
        DeviceBuffer ws(size_t(std::max<int64_t>(1, decode_workspace_floats(B, kHeads, kD, MB))) * 4, "workspace");
        AttnBatch a;
        a.q = dq.get<float>(), a.k_pool = kp.get<uint16_t>(), a.v_pool = vp.get<uint16_t>();
        a.row_pos = dpos.get<int32_t>(), a.row_seq = dseq.get<int32_t>();
        a.max_blocks = MB, a.rows = B, a.n_seqs = B, a.max_seq_rows = 1;
        a.heads = kHeads, a.kv_heads = kKvHeads, a.head_dim = kD, a.scale = 1.f / std::sqrt(float(kD));
        a.out = dout.get<float>(), a.workspace = ws.get<float>();
        const float ms = per_call_ms(s, [&](int l) {
          AttnBatch b = a;
          b.tables = dtab.get<int32_t>() + int64_t(l) * B * MB;
          decode_attention(b, s);
        });
        const double bytes = double(B * ctx * kKvHeads * kD * 2 * 2);
        const double gbs = bytes / (ms * 1e-3) / 1e9;
        std::printf("| %ld | %ld | %ld | %.1f | %.0f | %.0f%% |\n", long(B), long(ctx), long(MB * kBlock), ms * 1e3, gbs,
                    100.0 * gbs / copy_bw);
        out["decode"].push_back({{"batch", B}, {"context", ctx}, {"capacity", MB * kBlock}, {"us", ms * 1e3},
                                 {"gb_per_s", gbs}, {"pct_of_copy_bw", 100.0 * gbs / copy_bw}});
      }

    std::printf("\n| prefill tokens | us | TFLOP/s (causal) |\n|---|---|---|\n");
    for (int64_t T : {512, 2048}) {
      const int64_t MB = (T + kBlock - 1) / kBlock;
      std::vector<int32_t> pos(static_cast<size_t>(T)), seq(size_t(T), 0), row0 = {0}, rows = {int32_t(T)};
      std::iota(pos.begin(), pos.end(), 0);
      std::vector<float> q(size_t(T * kHeads * kD));
      for (auto& v : q) v = std::normal_distribution<float>()(rng);
      DeviceBuffer dq = upload(q, "q"), dpos = upload(pos, "positions"), dseq = upload(seq, "row sequences");
      DeviceBuffer d0 = upload(row0, "seq rows"), dn = upload(rows, "seq lengths");
      DeviceBuffer dtab = upload(make_tables(1, T, MB, rng), "tables");
      DeviceBuffer dout(size_t(T * kHeads * kD) * 4, "out");
      AttnBatch a;
      a.q = dq.get<float>(), a.k_pool = kp.get<uint16_t>(), a.v_pool = vp.get<uint16_t>();
      a.row_pos = dpos.get<int32_t>(), a.row_seq = dseq.get<int32_t>();
      a.seq_row0 = d0.get<int32_t>(), a.seq_rows = dn.get<int32_t>();
      a.max_blocks = MB, a.rows = T, a.n_seqs = 1, a.max_seq_rows = T;
      a.heads = kHeads, a.kv_heads = kKvHeads, a.head_dim = kD, a.scale = 1.f / std::sqrt(float(kD));
      a.out = dout.get<float>();
      a.tables = dtab.get<int32_t>();
      prefill_attention(a, s);  // once outside capture: the first call sets the kernel's smem limit
      const float ms = per_call_ms(s, [&](int l) {
        AttnBatch b = a;
        b.tables = dtab.get<int32_t>() + int64_t(l) * MB;
        prefill_attention(b, s);
      });
      // Causal: row i sees i + 1 keys; QK^T and PV are 2 flops per multiply-add each.
      const double flops = double(T) * double(T + 1) / 2 * double(kD) * 4 * double(kHeads);
      const double tfs = flops / (ms * 1e-3) / 1e12;
      std::printf("| %ld | %.1f | %.1f |\n", long(T), ms * 1e3, tfs);
      out["prefill"].push_back({{"tokens", T}, {"us", ms * 1e3}, {"tflop_per_s", tfs}});
    }
    if (argc > 1) std::ofstream(argv[1]) << out.dump(1) << "\n";
    SUNBAE_CUDA_CHECK(cudaStreamDestroy(s));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
