#pragma once
// The Llama-family forward pass on the GPU: the same Batch in and Logits out as model::Model,
// bf16 weights in device memory, f32 activations and accumulation, f32 paged KV cache.
// Matmuls with up to 8 rows (decode) use the GEMV kernel; larger ones cuBLAS bf16 tensor cores.
#include <memory>

#include "model/model.h"

namespace sunbae::model {

struct GpuMemoryReport {
  double weights_mb = 0, kv_cache_mb = 0, activations_mb = 0, workspace_mb = 0;
};

class CudaModel {
 public:
  // Uploads `host`'s weights (converted to bf16) and allocates a KV cache of kv_blocks blocks and
  // activation buffers for up to max_batch_tokens rows. Throws Error naming what did not fit.
  static std::unique_ptr<CudaModel> create(const Model& host, int64_t kv_blocks, int64_t max_batch_tokens);
  ~CudaModel();

  const Model& host() const;
  kv::KVLayout kv_layout() const;
  GpuMemoryReport memory() const;
  // As Model::forward, with the KV cache on the GPU. Steps of up to 8 tokens (decode) replay a
  // CUDA graph captured once per (tokens, logit rows): one launch for the whole step.
  Logits forward(const Batch& batch);
  void set_use_graphs(bool on);

 private:
  struct Impl;
  explicit CudaModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sunbae::model
