// CudaModel as one rank of a tensor-parallel group: the vocabulary-parallel embedding and
// lm_head, and the all-reduces after o_proj and down_proj, all on the step's stream so that a
// captured decode graph replays them with the kernels.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/tp_ops.h"
#include "model/cuda/cuda_model_impl.h"
#include "model/cuda/cuda_tp.h"
#include "model/cuda/nccl_communicator.h"

namespace sunbae::model {

int64_t tp_buffer_bytes(const Model& host, int64_t P) {
  const TpShard& s = host.shard();
  if (s.world == 1) return 0;
  return (P * (s.vocab_size - s.vocab) + P * s.vocab_stride + int64_t(s.world) * P * s.vocab_stride) * 4;
}

bool CudaModel::Impl::adds_residual() const { return !comm || comm->rank() == 0; }

namespace {
// Brackets one collective with events when the step is profiled.
struct Timed {
  CudaModel::Impl& m;
  explicit Timed(CudaModel::Impl& impl) : m(impl) { mark(); }
  ~Timed() { mark(); }
  void mark() {
    if (!m.profiling) return;
    if (m.comm_events_used == m.comm_events.size()) {
      cudaEvent_t e;
      SUNBAE_CUDA_CHECK(cudaEventCreate(&e));
      m.comm_events.push_back(e);
    }
    SUNBAE_CUDA_CHECK(cudaEventRecord(m.comm_events[m.comm_events_used++], m.stream));
  }
};
}  // namespace

void CudaModel::Impl::tp_embedding(int64_t T) {
  const TpShard& s = host->shard();
  const int64_t H = host->config().hidden_size;
  cuda::embedding_range(embed.get(), wt, ids.get<int32_t>(), T, H, s.vocab0, s.vocab, x.get<float>(), stream);
  tp_all_reduce(x.get<float>(), T * H);
}

void CudaModel::Impl::tp_all_reduce(float* buf, int64_t n) {
  Timed t(*this);
  comm->set_stream(stream);
  comm->all_reduce_sum(buf, n, DType::F32);
}

float* CudaModel::Impl::lm_head_out() { return comm ? logits_local.get<float>() : logits.get<float>(); }

void CudaModel::Impl::tp_gather_logits(int64_t P) {
  const TpShard& s = host->shard();
  {
    Timed t(*this);
    comm->set_stream(stream);
    // Equal parts of P * stride floats; rank r's part holds its [P, vocab_of(r)] logits first.
    comm->all_gather(logits_local.get<float>(), gathered.get<float>(), P * s.vocab_stride, DType::F32);
  }
  // Interleave the parts into [P, vocab]: one strided copy per rank (memcpy nodes in a graph).
  const int64_t V = s.vocab_size;
  for (int r = 0; r < s.world; ++r) {
    const int64_t n = s.vocab_of(r);
    SUNBAE_CUDA_CHECK(cudaMemcpy2DAsync(logits.get<float>() + int64_t(r) * s.vocab_stride, size_t(V) * 4,
                                        gathered.get<float>() + int64_t(r) * P * s.vocab_stride, size_t(n) * 4,
                                        size_t(n) * 4, size_t(P), cudaMemcpyDeviceToDevice, stream));
  }
}

void CudaModel::Impl::allocate_tp_buffers() {
  const TpShard& s = host->shard();
  const int64_t P = report.max_logit_rows;
  logits = cuda::DeviceBuffer(size_t(P * s.vocab_size) * 4, "activations: gathered logits");
  logits_local = cuda::DeviceBuffer(size_t(P * s.vocab_stride) * 4, "activations: this rank's logits");
  gathered = cuda::DeviceBuffer(size_t(int64_t(s.world) * P * s.vocab_stride) * 4, "activations: all ranks' logits");
}

double CudaModel::Impl::collective_ms() const {
  double ms = 0;
  for (size_t i = 0; i + 1 < comm_events_used; i += 2) {
    float t = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&t, comm_events[i], comm_events[i + 1]));
    ms += t;
  }
  return ms;
}

std::pair<double, double> CudaModel::profile_collectives(const Batch& batch, const std::vector<cuda::SampleRow>& params) {
  Impl& m = *impl_;
  const bool graphs = m.use_graphs;
  cudaEvent_t e0, e1;
  SUNBAE_CUDA_CHECK(cudaEventCreate(&e0));
  SUNBAE_CUDA_CHECK(cudaEventCreate(&e1));
  m.use_graphs = false;
  m.profiling = true;
  m.comm_events_used = 0;
  double step_ms = 0, comm_ms = 0;
  try {
    SUNBAE_CUDA_CHECK(cudaEventRecord(e0, m.stream));
    forward_sample(batch, params);
    SUNBAE_CUDA_CHECK(cudaEventRecord(e1, m.stream));
    SUNBAE_CUDA_CHECK(cudaEventSynchronize(e1));
    float t = 0;
    SUNBAE_CUDA_CHECK(cudaEventElapsedTime(&t, e0, e1));
    step_ms = t;
    comm_ms = m.collective_ms();
  } catch (...) {
    m.use_graphs = graphs;
    m.profiling = false;
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    throw;
  }
  m.use_graphs = graphs;
  m.profiling = false;
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return {step_ms, comm_ms};
}

}  // namespace sunbae::model
