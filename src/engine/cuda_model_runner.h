#pragma once
// The engine's CUDA backend: CudaModel's forward(Batch) over its own bf16 paged KV cache.
// Header-only and included only where SUNBAE_HAVE_CUDA is defined (the app, linked with
// sunbae_cuda), so that sunbae_core never needs the CUDA toolkit.
#include <memory>
#include <string>

#include "engine/model_runner.h"
#include "model/cuda/cuda_model.h"

namespace sunbae::engine {

class CudaModelRunner : public ModelRunner {
 public:
  // options.max_batch_tokens / max_seqs must cover the scheduler's budget and running limit, and
  // max_context the engine's context, or CudaModel refuses the step.
  CudaModelRunner(std::unique_ptr<model::Model> host, const model::CudaOptions& options)
      : host_(std::move(host)), gpu_(model::CudaModel::create(*host_, options)) {}

  const io::ModelConfig& config() const override { return host_->config(); }
  int64_t num_kv_blocks() const override { return gpu_->kv_layout().num_blocks; }
  model::Logits forward(const model::Batch& batch) override { return gpu_->forward(batch); }
  std::string device() const override { return "cuda"; }
  // Drawing on the GPU keeps a step's logits (rows x vocab floats) on the device and takes the
  // per-row sampling off the engine thread. Off only to time the two against each other.
  bool samples_on_device() const override { return device_sampling_; }
  std::vector<int32_t> forward_sample(const model::Batch& batch, const std::vector<DeviceDraw>& draws) override {
    std::vector<cuda::SampleRow> rows(draws.size());
    for (size_t i = 0; i < draws.size(); ++i)
      rows[i] = {draws[i].temperature, draws[i].top_k, draws[i].top_p, draws[i].min_p, draws[i].seed, draws[i].step};
    return gpu_->forward_sample(batch, rows);
  }
  void set_device_sampling(bool on) { device_sampling_ = on; }
  const model::CudaModel& gpu() const { return *gpu_; }

 private:
  std::unique_ptr<model::Model> host_;  // CudaModel keeps a reference to it
  std::unique_ptr<model::CudaModel> gpu_;
  bool device_sampling_ = true;
};

}  // namespace sunbae::engine
