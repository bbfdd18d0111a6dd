#include "model/cuda/cuda_tensor_parallel.h"

#include <algorithm>

#include "kernels/cuda/cuda_check.h"

namespace sunbae::model {

CudaTensorParallel::CudaTensorParallel(io::ModelConfig config, std::shared_ptr<const TensorSource> weights, int world)
    : config_(std::move(config)), weights_(std::move(weights)), threads_(world) {}

std::unique_ptr<CudaTensorParallel> CudaTensorParallel::create(const io::ModelConfig& config,
                                                               std::shared_ptr<const TensorSource> weights, int world,
                                                               const CudaOptions& options) {
  // The cheap refusals first: the split, then the GPU count (NcclGroup checks it too).
  for (int r = 0; r < world; ++r) tp_shard(config, world, r);
  const int gpus = visible_gpus();
  SUNBAE_CHECK(world <= gpus, "--tensor-parallel ", world, " needs ", world, " GPUs; ", gpus, " visible");
  auto g = std::unique_ptr<CudaTensorParallel>(new CudaTensorParallel(config, std::move(weights), world));
  // Shards are cut on this thread: a source may cache what it reads (GGUF's un-permuted q/k).
  for (int r = 0; r < world; ++r) g->hosts_.push_back(Model::load_shard(config, g->weights_, tp_shard(config, world, r)));
  g->nccl_ = std::make_unique<NcclGroup>(world);
  g->gpus_.resize(size_t(world));
  g->on_ranks([&](int r) { g->gpus_[size_t(r)] = CudaModel::create(*g->hosts_[size_t(r)], options, &g->nccl_->rank(r)); });
  // Each rank planned its KV cache from its own free memory: only blocks every rank has are used.
  g->kv_blocks_ = g->gpus_[0]->kv_layout().num_blocks;
  for (const auto& m : g->gpus_) g->kv_blocks_ = std::min(g->kv_blocks_, m->kv_layout().num_blocks);
  return g;
}

CudaTensorParallel::~CudaTensorParallel() {
  // Device state is released on its own device's thread.
  try {
    threads_.run([&](int r) {
      cudaSetDevice(r);
      gpus_[size_t(r)].reset();
    });
  } catch (...) {
  }
}

void CudaTensorParallel::on_ranks(const std::function<void(int)>& job) {
  SUNBAE_CHECK(!failed_, "tensor parallel: a rank failed in an earlier step; the group cannot run");
  try {
    threads_.run(
        [&](int r) {
          SUNBAE_CUDA_CHECK(cudaSetDevice(r));
          job(r);
        },
        [&](int) { nccl_->abort(); });
  } catch (...) {
    failed_ = true;
    throw;
  }
}

kv::KVLayout CudaTensorParallel::kv_layout() const {
  kv::KVLayout l = gpus_[0]->kv_layout();
  l.num_blocks = kv_blocks_;
  return l;
}

Logits CudaTensorParallel::forward(const Batch& batch) {
  hosts_[0]->validate(batch, kv_layout());  // refused here, before any rank waits on a peer
  Logits out;
  on_ranks([&](int r) {
    Logits l = gpus_[size_t(r)]->forward(batch);
    if (r == 0) out = std::move(l);
  });
  return out;
}

std::vector<int32_t> CudaTensorParallel::forward_sample(const Batch& batch, const std::vector<cuda::SampleRow>& params) {
  hosts_[0]->validate(batch, kv_layout());
  std::vector<int32_t> out;
  on_ranks([&](int r) {
    std::vector<int32_t> t = gpus_[size_t(r)]->forward_sample(batch, params);
    if (r == 0) out = std::move(t);
  });
  return out;
}

void CudaTensorParallel::set_use_graphs(bool on) {
  for (auto& m : gpus_) m->set_use_graphs(on);
}

std::pair<double, double> CudaTensorParallel::profile_collectives(const Batch& batch,
                                                                  const std::vector<cuda::SampleRow>& params) {
  hosts_[0]->validate(batch, kv_layout());
  std::pair<double, double> out;
  on_ranks([&](int r) {
    const auto p = gpus_[size_t(r)]->profile_collectives(batch, params);
    if (r == 0) out = p;
  });
  return out;
}

}  // namespace sunbae::model
