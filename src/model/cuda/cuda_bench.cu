#include <chrono>
#include <random>

#include "kernels/cuda/cuda_check.h"
#include "model/cuda/cuda_bench.h"
#include "model/cuda/cuda_model.h"

namespace sunbae::model {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int32_t argmax(const float* l, int64_t V) {
  int64_t b = 0;
  for (int64_t i = 1; i < V; ++i)
    if (l[i] > l[b]) b = i;
  return int32_t(b);
}
}  // namespace

nlohmann::ordered_json cuda_bench(const Model& host, int64_t prompt, int64_t gen) {
  const io::ModelConfig& c = host.config();
  const int64_t blocks = kv::blocks_for_tokens(prompt + gen);
  auto gpu = CudaModel::create(host, blocks, prompt);
  kv::BlockAllocator alloc(blocks);
  kv::BlockTable table;
  SUNBAE_CHECK(table.reserve(alloc, prompt + gen), "KV cache too small");
  std::mt19937 rng(7);
  std::vector<int32_t> ids(static_cast<size_t>(prompt));
  for (auto& id : ids) id = int32_t(rng() % uint32_t(c.vocab_size));

  auto prefill = [&] {
    Batch b;
    b.seqs.push_back({ids, 0, &table.blocks(), {int32_t(prompt - 1)}});
    return gpu->forward(b);
  };
  prefill();  // warm-up: cuBLAS heuristics, module load
  const int reps = 5;
  double t0 = now_s();
  Logits l;
  for (int r = 0; r < reps; ++r) l = prefill();
  const double prefill_s = (now_s() - t0) / reps;

  int32_t tok = argmax(l.row(0), l.vocab);
  t0 = now_s();
  for (int64_t i = 0; i < gen; ++i) {
    Batch b;
    b.seqs.push_back({{tok}, prompt + i, &table.blocks(), {0}});
    l = gpu->forward(b);
    tok = argmax(l.row(0), l.vocab);
  }
  const double decode_s = now_s() - t0;
  size_t free_b = 0, total_b = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  cudaDeviceProp prop{};
  SUNBAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const GpuMemoryReport mem = gpu->memory();
  return {{"gpu", prop.name},
          {"prompt_tokens", prompt},
          {"gen_tokens", gen},
          {"ttft_ms", prefill_s * 1e3},
          {"prefill_tokens_per_s", double(prompt) / prefill_s},
          {"decode_tokens_per_s", double(gen) / decode_s},
          {"decode_ms_per_token", decode_s * 1e3 / double(gen)},
          {"weights_mb", mem.weights_mb},
          {"kv_cache_mb", mem.kv_cache_mb},
          {"activations_mb", mem.activations_mb},
          {"vram_used_mb", double(total_b - free_b) / (1 << 20)}};
}

}  // namespace sunbae::model
