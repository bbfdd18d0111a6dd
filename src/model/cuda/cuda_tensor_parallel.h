#pragma once
// One model across the GPUs of one host: rank r is GPU r, driven by its own thread, holding its
// shard (tp_shard.h) in a CudaModel of its own and talking to the others through NCCL. The caller
// (the engine's scheduler, the bench) runs once and hands every rank the same batch; rank 0's
// logits or tokens come back.
#include <functional>
#include <memory>
#include <vector>

#include "core/rank_threads.h"
#include "model/cuda/cuda_model.h"
#include "model/cuda/nccl_communicator.h"

namespace sunbae::model {

class CudaTensorParallel {
 public:
  // Throws Error when the model does not split `world` ways, fewer than `world` GPUs are visible,
  // the build has no NCCL, or a rank's plan does not fit its GPU. options apply to every rank.
  static std::unique_ptr<CudaTensorParallel> create(const io::ModelConfig& config,
                                                    std::shared_ptr<const TensorSource> weights, int world,
                                                    const CudaOptions& options = {});
  ~CudaTensorParallel();

  const io::ModelConfig& config() const { return config_; }  // the whole model's
  int world() const { return int(hosts_.size()); }
  const Model& host(int rank) const { return *hosts_[size_t(rank)]; }
  kv::KVLayout kv_layout() const;  // of rank 0; blocks valid on every rank
  GpuMemoryReport memory(int rank = 0) const { return gpus_[size_t(rank)]->memory(); }

  Logits forward(const Batch& batch);
  std::vector<int32_t> forward_sample(const Batch& batch, const std::vector<cuda::SampleRow>& params);
  void set_use_graphs(bool on);
  // Rank 0's {step ms, collective ms} of one step outside graphs (CudaModel::profile_collectives).
  std::pair<double, double> profile_collectives(const Batch& batch, const std::vector<cuda::SampleRow>& params);

 private:
  CudaTensorParallel(io::ModelConfig config, std::shared_ptr<const TensorSource> weights, int world);
  // Runs job on every rank's thread with its device current; a failure aborts NCCL so no peer
  // hangs, and leaves the group unusable.
  void on_ranks(const std::function<void(int)>& job);

  io::ModelConfig config_;
  std::shared_ptr<const TensorSource> weights_;
  std::vector<std::unique_ptr<Model>> hosts_;
  std::unique_ptr<NcclGroup> nccl_;
  std::vector<std::unique_ptr<CudaModel>> gpus_;
  int64_t kv_blocks_ = 0;
  RankThreads threads_;
  bool failed_ = false;
};

}  // namespace sunbae::model
