#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "model/cuda/cuda_bench.h"
#include "model/cuda/cuda_model.h"
#include "model/cuda/cuda_tensor_parallel.h"
#include "model/cuda/nccl_communicator.h"

namespace sunbae::model {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Bytes read + written per second by a 2 GiB device-to-device copy: the card's usable bandwidth.
double copy_gb_per_s() {
  const size_t n = size_t(2) << 30;
  cuda::DeviceBuffer a(n, "bandwidth probe"), b(n, "bandwidth probe");
  SUNBAE_CUDA_CHECK(cudaMemset(a.get(), 1, n));
  cudaEvent_t e0, e1;
  SUNBAE_CUDA_CHECK(cudaEventCreate(&e0));
  SUNBAE_CUDA_CHECK(cudaEventCreate(&e1));
  std::vector<double> t;
  for (int i = 0; i < 13; ++i) {
    SUNBAE_CUDA_CHECK(cudaEventRecord(e0));
    SUNBAE_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), n, cudaMemcpyDeviceToDevice));
    SUNBAE_CUDA_CHECK(cudaEventRecord(e1));
    SUNBAE_CUDA_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    if (i >= 3) t.push_back(ms);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return 2.0 * double(n) / (median(t) * 1e-3) / 1e9;
}

double used_mb() {
  size_t free_b = 0, total_b = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return double(total_b - free_b) / (1 << 20);
}

struct Seq {
  kv::BlockTable table;
  std::vector<int32_t> prompt;
  int32_t last = 0;
};

std::vector<cuda::SampleRow> greedy(size_t n) { return std::vector<cuda::SampleRow>(n); }

// One GPU or a tensor-parallel group, behind the calls the bench makes.
struct Gpu {
  std::unique_ptr<CudaModel> one;
  std::unique_ptr<CudaTensorParallel> tp;
  std::vector<int32_t> sample(const Batch& b, const std::vector<cuda::SampleRow>& p) {
    return tp ? tp->forward_sample(b, p) : one->forward_sample(b, p);
  }
  std::pair<double, double> profile(const Batch& b, const std::vector<cuda::SampleRow>& p) {
    return tp ? tp->profile_collectives(b, p) : one->profile_collectives(b, p);
  }
  GpuMemoryReport memory() const { return tp ? tp->memory(0) : one->memory(); }
};
}  // namespace

nlohmann::ordered_json cuda_bench(const Model& host, const CudaBenchOptions& o) {
  const io::ModelConfig& c = host.config();
  SUNBAE_CHECK(o.prompt >= 1 && o.gen >= 2, "bench: prompt >= 1 and gen >= 2");
  if (o.tensor_parallel > 1) {  // refused before any run, not as an error row of each
    for (int r = 0; r < o.tensor_parallel; ++r) tp_shard(c, o.tensor_parallel, r);
    SUNBAE_CHECK(o.tensor_parallel <= visible_gpus(), "--tensor-parallel ", o.tensor_parallel, " needs ",
                 o.tensor_parallel, " GPUs; ", visible_gpus(), " visible");
  }
  cudaDeviceProp prop{};
  SUNBAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::fprintf(stderr, "measuring copy bandwidth ...\n");
  const double bw = copy_gb_per_s();
  // A decode step reads every weight once except the embedding table (one row of it), unless
  // lm_head is that table.
  // With tensor parallelism each GPU reads its shard's weights: the floor is rank 0's.
  const int N = o.tensor_parallel;
  SUNBAE_CHECK(N == 1 || o.weights, "bench: --tensor-parallel needs the model's tensors");
  const io::ModelConfig rc = N > 1 ? shard_config(c, tp_shard(c, N, 0)) : c;
  const int64_t e = 2;
  int64_t step_bytes = gpu_weight_bytes(rc, DType::BF16) - (c.tie_word_embeddings ? 0 : rc.vocab_size * c.hidden_size * e);
  const double floor_tps = bw * 1e9 / double(step_bytes);
  nlohmann::ordered_json j = {{"gpu", prop.name}, {"copy_gb_per_s", bw}, {"decode_step_mb", double(step_bytes) / (1 << 20)},
                              {"decode_floor_tokens_per_s", floor_tps}, {"prompt_tokens", o.prompt}, {"gen_tokens", o.gen},
                              {"tensor_parallel", N}};
  std::mt19937 rng(7);
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (int64_t B : o.batches) {
    nlohmann::ordered_json r = {{"batch", B}};
    try {
      const int64_t ctx = B == 1 ? std::max(o.context, o.prompt + o.gen) : o.prompt + o.gen;
      CudaOptions opt;
      opt.max_batch_tokens = std::max(o.prompt, B);
      opt.max_seqs = std::max<int64_t>(B, 1);
      opt.max_context = ctx;
      opt.kv_blocks = B * kv::blocks_for_tokens(ctx);
      opt.gpu_memory_mb = o.gpu_memory_mb;
      opt.synthetic_seed = o.synthetic_seed;
      std::fprintf(stderr, "batch %ld: uploading weights, KV for %ld x %ld tokens ...\n", long(B), long(B), long(ctx));
      const double used0 = used_mb();
      Gpu gpu;
      if (N > 1)
        gpu.tp = CudaTensorParallel::create(c, o.weights, N, opt);
      else
        gpu.one = CudaModel::create(host, opt);
      kv::BlockAllocator alloc(opt.kv_blocks);
      std::vector<Seq> seqs(static_cast<size_t>(B));
      for (Seq& s : seqs) {
        SUNBAE_CHECK(s.table.reserve(alloc, ctx), "bench: KV cache too small");
        s.prompt.resize(size_t(o.prompt));
        for (auto& id : s.prompt) id = int32_t(rng() % uint32_t(c.vocab_size));
      }
      auto prefill = [&](Seq& s) {
        Batch b;
        b.seqs.push_back({s.prompt, 0, &s.table.blocks(), {int32_t(o.prompt - 1)}});
        s.last = gpu.sample(b, greedy(1))[0];
      };
      prefill(seqs[0]);  // warm-up: cuBLASLt plans, module load
      std::vector<double> t;
      for (int rep = 0; rep < 5; ++rep) {
        const double t0 = now_s();
        prefill(seqs[0]);
        t.push_back(now_s() - t0);
      }
      const double ttft = median(t);
      for (size_t i = 1; i < seqs.size(); ++i) prefill(seqs[i]);
      std::fprintf(stderr, "batch %ld: decoding %ld steps ...\n", long(B), long(o.gen));
      auto step = [&](int64_t i) {
        Batch b;
        for (Seq& s : seqs) b.seqs.push_back({{s.last}, o.prompt + i, &s.table.blocks(), {0}});
        const std::vector<int32_t> tok = gpu.sample(b, greedy(seqs.size()));
        for (size_t k = 0; k < seqs.size(); ++k) seqs[k].last = tok[k];
      };
      step(0);  // captures this batch's graph
      const double t0 = now_s();
      for (int64_t i = 1; i < o.gen; ++i) step(i);
      const double dt = now_s() - t0;
      const double tps = double(B * (o.gen - 1)) / dt;
      const GpuMemoryReport mem = gpu.memory();
      if (N > 1) {
        // The last decode step again, outside graphs, with events around each collective: the
        // share of the step rank 0 spends in NCCL (its peers' lateness included).
        Batch b;
        for (Seq& s : seqs) b.seqs.push_back({{s.last}, o.prompt + o.gen - 1, &s.table.blocks(), {0}});
        const auto [step_ms, comm_ms] = gpu.profile(b, greedy(seqs.size()));
        r["profiled_step_ms"] = step_ms;
        r["allreduce_ms"] = comm_ms;
        r["allreduce_pct"] = 100.0 * comm_ms / step_ms;
      }
      r["ttft_ms"] = ttft * 1e3;
      r["prefill_tokens_per_s"] = double(o.prompt) / ttft;
      r["decode_tokens_per_s"] = tps;
      r["decode_ms_per_step"] = dt * 1e3 / double(o.gen - 1);
      if (B == 1) r["decode_pct_of_floor"] = 100.0 * tps / floor_tps;
      r["context_tokens"] = ctx;
      r["weights_mb"] = mem.weights_mb;
      r["kv_cache_mb"] = mem.kv_cache_mb;
      r["activations_mb"] = mem.activations_mb;
      r["workspace_mb"] = mem.workspace_mb;
      r["model_vram_mb"] = used_mb() - used0;
      r["device_vram_used_mb"] = used_mb();
    } catch (const Error& err) {
      r["error"] = err.what();
      std::fprintf(stderr, "batch %ld: %s\n", long(B), err.what());
    }
    runs.push_back(r);
  }
  j["runs"] = runs;
  return j;
}

}  // namespace sunbae::model
