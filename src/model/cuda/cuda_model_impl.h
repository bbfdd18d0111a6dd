#pragma once
// CudaModel's state, shared by the weight upload (cuda_weights.cu) and the forward pass
// (cuda_model.cu). Not for use outside src/model/cuda.
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "kernels/cuda/block_ops.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/gemv.h"
#include "model/cuda/cuda_model.h"

namespace sunbae::model {

struct GpuLinear {
  cuda::DeviceBuffer w;     // [out, in] in the model's half type; empty when shared (tied lm_head)
  const void* shared = nullptr;
  cuda::DeviceBuffer bias;  // f32 [out] or empty
  int64_t out = 0, in = 0;
  const void* weight() const { return shared ? shared : w.get(); }
  const float* bias_ptr() const { return bias.size() ? bias.get<float>() : nullptr; }
};

struct GpuLayer {
  cuda::DeviceBuffer attn_norm, mlp_norm;  // f32 [hidden]
  GpuLinear qkv;      // [q_heads*D + 2*kv_heads*D, hidden]: q, k, v rows (rotary pairs interleaved, fused_layout.h)
  GpuLinear o;        // [hidden, q_heads*D]
  GpuLinear gate_up;  // [2*intermediate, hidden]: gate and up rows interleaved (fused_layout.h)
  GpuLinear down;     // [hidden, intermediate]
  int64_t window = 0;
};

// Steps of up to this many rows multiply with the GEMV kernels (f32 inputs; tensor cores from 4
// rows), larger ones with cuBLASLt (half inputs): at 16 rows cuBLASLt ran Mistral-7B's decode step
// 43% faster than the tensor-core GEMV (H100, 2026-12-07), at 8 the GEMV still reads 68-92% of
// the copy bandwidth.
constexpr int64_t kGemvRows = 8;

class NcclCommunicator;

struct CudaModel::Impl {
  const Model* host = nullptr;
  CudaOptions opt;
  GpuMemoryReport report;
  cuda::WType wt = cuda::WType::BF16;
  cudaStream_t stream = nullptr;
  std::unique_ptr<cuda::Gemm> gemm;

  cuda::DeviceBuffer embed;  // [vocab, hidden] half
  std::vector<GpuLayer> layers;
  cuda::DeviceBuffer final_norm;
  GpuLinear lm_head;
  cuda::DeviceBuffer inv_freq;  // static rope table, rot/2 floats
  std::vector<cuda::DeviceBuffer> k_pool, v_pool;  // per layer, bf16 [blocks, 16, kv_heads, D]

  // Activations for max_batch_tokens rows (f32 unless named half).
  cuda::DeviceBuffer x, h, hb, qkv, q, att, gate_up, act_, picked, logits;
  // Step metadata.
  cuda::DeviceBuffer ids, pos, row_seq, slots, picks, seq_row0, seq_rows, tables, freqs, tokens, sample_rows;
  cuda::DeviceBuffer attn_ws, sample_ws;

  bool use_graphs = true;
  // Rows up to which steps take the GEMV (kGemvRows; SUNBAE_GEMV_ROWS sets 3..16, for timing the
  // tensor-core GEMV against cuBLASLt).
  int64_t gemv_rows = kGemvRows;
  std::map<std::tuple<int64_t, int64_t, bool>, cudaGraphExec_t> graphs;  // (rows, logit rows, sampled)

  // Tensor parallelism (cuda_tp.cu); comm is null for a whole model. A rank's host is its shard:
  // o/down hold its input columns, so their outputs are partial sums. Rank 0 adds its part (and
  // the bias) to the residual x, the other ranks write theirs over x, and the all-reduce of x
  // leaves every rank x + bias + the sum of all parts.
  NcclCommunicator* comm = nullptr;
  cuda::DeviceBuffer logits_local, gathered;  // [P, this rank's vocab]; [world, P, vocab stride]
  bool profiling = false;                     // record events around each collective
  std::vector<cudaEvent_t> comm_events;       // start, end of each collective of the profiled step
  size_t comm_events_used = 0;
  bool adds_residual() const;
  void tp_embedding(int64_t T);
  void tp_all_reduce(float* buf, int64_t n);
  float* lm_head_out();  // where lm_head writes: the logits, or this rank's part of them
  void tp_gather_logits(int64_t P);
  void allocate_tp_buffers();
  double collective_ms() const;  // summed over the profiled step's events

  ~Impl();
  void upload_weights();     // cuda_weights.cu
  void allocate_buffers();   // cuda_weights.cu
  // y (=/+=) in · W^T + bias: the GEMV kernel for up to kGemvRows rows (f32 input),
  // cuBLASLt for more (half input).
  void linear(const GpuLinear& l, const float* in, const void* in_half, int64_t M, float* y, bool accumulate);
  cuda::GemvArgs gemv_args(const GpuLinear& l, const float* in, int64_t M, float* y, bool accumulate) const;
  // Every launch of one step once its metadata is on the device (capturable into a graph).
  void run_step(int64_t T, int64_t P, int64_t n_seqs, int64_t max_seq_rows, bool decode_only, bool sample,
                const float* freq_table, int64_t freq_stride);
};

}  // namespace sunbae::model
