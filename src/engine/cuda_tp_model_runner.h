#pragma once
// The engine over a CUDA tensor-parallel group (model/cuda/cuda_tensor_parallel.h): the engine
// loop schedules once per step and the group runs the batch on every GPU. Header-only and
// included only under SUNBAE_HAVE_CUDA, like cuda_model_runner.h.
#include <memory>
#include <string>

#include "engine/model_runner.h"
#include "model/cuda/cuda_tensor_parallel.h"

namespace sunbae::engine {

class CudaTensorParallelRunner : public ModelRunner {
 public:
  explicit CudaTensorParallelRunner(std::unique_ptr<model::CudaTensorParallel> tp) : tp_(std::move(tp)) {}
  const io::ModelConfig& config() const override { return tp_->config(); }
  int64_t num_kv_blocks() const override { return tp_->kv_layout().num_blocks; }
  model::Logits forward(const model::Batch& batch) override { return tp_->forward(batch); }
  std::string device() const override { return "cuda x" + std::to_string(tp_->world()) + " tensor-parallel"; }

 private:
  std::unique_ptr<model::CudaTensorParallel> tp_;
};

}  // namespace sunbae::engine
