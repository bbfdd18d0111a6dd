// The GPU memory plan is host arithmetic: checked here without a GPU, on the published
// Mistral-7B config, against numbers worked out by hand.
#include <gtest/gtest.h>

#include "bench/shapes.h"
#include "core/error.h"
#include "model/gpu_plan.h"

namespace sunbae::model {
namespace {

io::ModelConfig mistral() {
  return io::parse_model_config(bench::find_shape("mistral-7b").config_json, "", "mistral-7b");
}

TEST(GpuPlan, WeightBytesAreTheParameterCountInHalfPlusF32Norms) {
  const io::ModelConfig c = mistral();
  // Every matrix in 2 bytes, the 2 norms per layer and the final one in f32 (4 bytes).
  const int64_t norms = (2 * c.num_layers + 1) * c.hidden_size;
  EXPECT_EQ(gpu_weight_bytes(c, DType::BF16), 2 * (c.num_parameters() - norms) + 4 * norms);
  EXPECT_EQ(gpu_weight_bytes(c, DType::F16), gpu_weight_bytes(c, DType::BF16));
}

TEST(GpuPlan, OnlyTheLlamaBlockRunsOnTheGpu) {
  EXPECT_EQ(cuda_unsupported(mistral()), "");
  const io::ModelConfig neox =
      io::parse_model_config(bench::find_shape("polyglot-ko-12.8b").config_json, "", "polyglot");
  EXPECT_NE(cuda_unsupported(neox).find("GPTNeoXForCausalLM is not supported on the GPU"), std::string::npos);
  // Each NeoX feature alone is enough to refuse: none has a CUDA kernel.
  for (auto change : {+[](io::ModelConfig& c) { c.norm = io::NormType::LayerNorm; },
                      +[](io::ModelConfig& c) { c.gated_mlp = false; },
                      +[](io::ModelConfig& c) { c.activation = io::Activation::Gelu; },
                      +[](io::ModelConfig& c) { c.parallel_residual = true; }}) {
    io::ModelConfig c = mistral();
    change(c);
    EXPECT_NE(cuda_unsupported(c), "");
  }
}

TEST(GpuPlan, KvTakesWhatTheBudgetLeaves) {
  const io::ModelConfig c = mistral();
  CudaOptions o;
  o.gpu_memory_mb = 24 * 1024;  // an L4
  o.max_context = 4096;
  const GpuMemoryReport r = plan_gpu_memory(c, o, DType::BF16, 80 * 1024, 64 << 20);
  // One block: K and V, 32 layers, 16 tokens, 8 kv heads x 128 dims, bf16 = 2 MiB.
  EXPECT_EQ(r.kv_block_bytes, 2 * 32 * 16 * 8 * 128 * 2);
  EXPECT_EQ(r.max_blocks_per_seq, 256);
  EXPECT_EQ(r.max_logit_rows, 64);
  EXPECT_NEAR(r.total_mb(), 24 * 1024, 2.0);  // the cache fills the budget to the last block
  // 24576 MB - 13825 (weights) - ~151 (activations for 512 rows: the 56 MB gate/up and 28 MB
  // MLP buffers the largest) - 64 (workspace) = ~10536 MB: ~5268 blocks of 2 MiB.
  EXPECT_GT(r.kv_blocks, 5200);
  EXPECT_LT(r.kv_blocks, 5300);
  EXPECT_GT(r.activations_mb, 140);
  EXPECT_LT(r.activations_mb, 160);
  EXPECT_DOUBLE_EQ(r.kv_cache_mb, double(r.kv_blocks) * 2.0);
}

TEST(GpuPlan, WhatDoesNotFitIsNamed) {
  const io::ModelConfig c = mistral();
  CudaOptions o;
  o.gpu_memory_mb = 8 * 1024;
  auto message = [&](const CudaOptions& opt, double free_mb) {
    try {
      plan_gpu_memory(c, opt, DType::BF16, free_mb, 64 << 20);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(o, 80 * 1024).find("the weights (13825 MB)"), std::string::npos) << message(o, 80 * 1024);
  o.gpu_memory_mb = 0;  // 90% of what is free
  EXPECT_NE(message(o, 10 * 1024).find("do not fit in the 9216 MB budget"), std::string::npos);
  o.gpu_memory_mb = 100 * 1024;
  EXPECT_NE(message(o, 80 * 1024).find("is more than the 81920 MB free"), std::string::npos);
  o.gpu_memory_mb = 16 * 1024;
  o.kv_blocks = 2000;  // 4000 MB of KV next to 13.8 GB of weights
  EXPECT_NE(message(o, 80 * 1024).find("a KV cache of 2000 blocks (4000 MB) does not fit"), std::string::npos)
      << message(o, 80 * 1024);
  o.kv_blocks = 100;
  EXPECT_EQ(message(o, 80 * 1024), "no error");
  o.max_seqs = 1000;  // more sequences than rows
  EXPECT_NE(message(o, 80 * 1024).find("max_seqs"), std::string::npos);
}

}  // namespace
}  // namespace sunbae::model
