#pragma once
// The Llama-family forward pass on the GPU: the same Batch in and Logits out as model::Model.
// Weights in bf16 (or f16 for f16 checkpoints) with q/k/v and gate/up fused into one matrix each,
// f32 residual stream and accumulation, bf16 paged KV cache. Steps of up to 8 rows multiply
// with the GEMV kernel, larger ones with cuBLASLt; decode steps replay a captured CUDA graph.
#include <memory>
#include <vector>

#include "kernels/cuda/sampling.h"
#include "model/gpu_plan.h"
#include "model/model.h"

namespace sunbae::model {

class NcclCommunicator;

class CudaModel {
 public:
  // Uploads `host`'s weights and allocates the KV cache and activation buffers of the plan.
  // Throws Error naming what did not fit.
  // A tensor-parallel rank passes its shard (Model::load_shard) as host and its communicator, on
  // the thread whose current device is the rank's (CudaTensorParallel does both).
  static std::unique_ptr<CudaModel> create(const Model& host, const CudaOptions& options = {},
                                           NcclCommunicator* comm = nullptr);
  ~CudaModel();

  const Model& host() const;
  kv::KVLayout kv_layout() const;  // block ids valid for this cache
  GpuMemoryReport memory() const;
  // As Model::forward, with the KV cache on the GPU; logits copied to the host.
  Logits forward(const Batch& batch);
  // The same step, then one token drawn on the GPU per logit row (params[i] for row i, in batch
  // order); only the token ids come back.
  std::vector<int32_t> forward_sample(const Batch& batch, const std::vector<cuda::SampleRow>& params);
  void set_use_graphs(bool on);
  // One forward_sample step outside any graph, with CUDA events around its collectives:
  // {step ms, collective ms} (from the metadata upload to the tokens back; 0 collective ms for a
  // whole model). The collectives' time includes waiting for the slowest rank.
  std::pair<double, double> profile_collectives(const Batch& batch, const std::vector<cuda::SampleRow>& params);

  struct Impl;  // opaque outside src/model/cuda

 private:
  explicit CudaModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sunbae::model
