#pragma once
// The seam between the engine loop and a backend: it owns the model and its KV storage, and runs
// one varlen batch per call. The CPU runner wraps Model + KVCache; a CUDA runner wraps CudaModel
// (same forward(Batch)) and its device KV cache, and is built only with SUNBAE_CUDA.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/model_config.h"
#include "model/batch.h"
#include "model/cpu_tensor_parallel.h"
#include "model/model.h"

namespace sunbae::engine {

// One logit row's draw on the device: select_token's rule (kernels/sampling_rule.h) with these
// parameters, at the token's (seed, step).
struct DeviceDraw {
  float temperature = 0.f;
  int32_t top_k = 0;
  float top_p = 1.f, min_p = 0.f;
  uint64_t seed = 0, step = 0;
};

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  virtual const io::ModelConfig& config() const = 0;
  virtual int64_t num_kv_blocks() const = 0;
  // Writes the batch's K/V into the runner's cache and returns the requested logits rows.
  virtual model::Logits forward(const model::Batch& batch) = 0;
  virtual std::string device() const = 0;  // "cpu", "cuda"
  // Whether forward_sample draws on the device, so the step's logits never cross to the host.
  virtual bool samples_on_device() const { return false; }
  // The step, then one token per logit row (draws[i] for row i, in batch order); -1 for a row
  // holding a NaN.
  virtual std::vector<int32_t> forward_sample(const model::Batch& batch, const std::vector<DeviceDraw>& draws);
};

// KV blocks that fit in `budget_bytes` of cache with the model's layout (at least one).
int64_t kv_blocks_for_bytes(const model::Model& model, int64_t budget_bytes);

class CpuModelRunner : public ModelRunner {
 public:
  CpuModelRunner(std::unique_ptr<model::Model> model, int64_t num_blocks);
  const io::ModelConfig& config() const override { return model_->config(); }
  int64_t num_kv_blocks() const override { return cache_.layout().num_blocks; }
  model::Logits forward(const model::Batch& batch) override { return model_->forward(batch, cache_); }
  std::string device() const override { return "cpu"; }

 private:
  std::unique_ptr<model::Model> model_;
  kv::KVCache cache_;
};

// The CPU model split over N rank threads (model/cpu_tensor_parallel.h): one memory bus, so no
// faster than one rank; it serves to run the tensor-parallel path end to end without GPUs.
class CpuTensorParallelRunner : public ModelRunner {
 public:
  explicit CpuTensorParallelRunner(std::unique_ptr<model::CpuTensorParallel> tp) : tp_(std::move(tp)) {}
  const io::ModelConfig& config() const override { return tp_->config(); }
  int64_t num_kv_blocks() const override { return tp_->num_kv_blocks(); }
  model::Logits forward(const model::Batch& batch) override { return tp_->forward(batch); }
  std::string device() const override { return "cpu x" + std::to_string(tp_->world()) + " tensor-parallel"; }

 private:
  std::unique_ptr<model::CpuTensorParallel> tp_;
};

}  // namespace sunbae::engine
