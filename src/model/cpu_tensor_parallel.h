#pragma once
// The CPU model as N tensor-parallel ranks in one process: one thread per rank, each holding only
// its shard (tp_shard.h) and a KV cache of only its KV heads, the ranks summing their partial
// results through a CpuCommGroup after attention and after the MLP. It exists to run and test the
// sharded forward pass without GPUs: its logits equal the unsharded model's up to fp32 summation
// order (tests/unit/test_tensor_parallel.cpp).
#include <memory>
#include <vector>

#include "core/cpu_communicator.h"
#include "core/rank_threads.h"
#include "kv/kv_cache.h"
#include "model/model.h"

namespace sunbae::model {

class CpuTensorParallel {
 public:
  // `world` shards of the model in `dir` (Model::open), each with a KV cache of num_blocks blocks
  // (block ids are shared: a sequence's table addresses the same blocks on every rank).
  static std::unique_ptr<CpuTensorParallel> load(const std::string& dir, int world, int64_t num_blocks);
  CpuTensorParallel(io::ModelConfig config, std::shared_ptr<const TensorSource> weights, int world,
                    int64_t num_blocks);

  const io::ModelConfig& config() const { return config_; }  // the whole model's
  int world() const { return int(ranks_.size()); }
  const Model& rank(int r) const { return *ranks_[size_t(r)]; }
  const kv::KVCache& cache(int r) const { return *caches_[size_t(r)]; }
  int64_t num_kv_blocks() const { return caches_[0]->layout().num_blocks; }

  // The caller (scheduler) runs once: the batch is validated here, then every rank's thread reads
  // the same Batch. Returns rank 0's logits (every rank holds them after the gather).
  Logits forward(const Batch& batch);

 private:
  io::ModelConfig config_;
  std::shared_ptr<const TensorSource> weights_;  // the full model's tensors, viewed by the shards
  std::vector<std::unique_ptr<Model>> ranks_;
  std::vector<std::unique_ptr<kv::KVCache>> caches_;
  CpuCommGroup comm_;
  RankThreads threads_;
  bool failed_ = false;  // a rank failed mid-step: the group's caches and barrier are unusable
};

}  // namespace sunbae::model
