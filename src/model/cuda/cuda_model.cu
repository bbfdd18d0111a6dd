// CudaModel's forward pass: step metadata to the device, then one fixed sequence of launches per
// step (captured once per decode shape into a CUDA graph and replayed).
#include <algorithm>
#include <cmath>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/cuda_check.h"
#include "model/cuda/cuda_model_impl.h"

namespace sunbae::model {

CudaModel::CudaModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudaModel::~CudaModel() = default;
const Model& CudaModel::host() const { return *impl_->host; }
kv::KVLayout CudaModel::kv_layout() const { return impl_->host->kv_layout(impl_->report.kv_blocks); }
GpuMemoryReport CudaModel::memory() const { return impl_->report; }
void CudaModel::set_use_graphs(bool on) { impl_->use_graphs = on; }

cuda::GemvArgs CudaModel::Impl::gemv_args(const GpuLinear& l, const float* in, int64_t M, float* y,
                                          bool accumulate) const {
  cuda::GemvArgs a;
  a.x = in;
  a.M = int(M);
  a.w = l.weight();
  a.wtype = wt;
  a.bias = l.bias_ptr();
  a.N = l.out;
  a.K = l.in;
  a.y = y;
  a.accumulate = accumulate;
  return a;
}

void CudaModel::Impl::linear(const GpuLinear& l, const float* in, const void* in_half, int64_t M, float* y,
                             bool accumulate) {
  if (M <= gemv_rows)
    cuda::gemv(gemv_args(l, in, M, y, accumulate), stream);
  else
    gemm->run(in_half, l.weight(), wt, l.bias_ptr(), M, l.out, l.in, y, accumulate, stream);
}

namespace {
struct StepMeta {
  std::vector<int32_t> ids, pos, row_seq, slots, picks, seq_row0, seq_rows, tables;
  std::vector<float> freqs;
  int64_t max_seq_rows = 0;
  bool decode_only = true;
};
}  // namespace

static StepMeta build_meta(const Model& host, const Batch& batch, int64_t max_blocks) {
  const bool dynamic = host.config().rope.type == io::RopeType::Dynamic;
  StepMeta m;
  m.tables.assign(batch.seqs.size() * size_t(max_blocks), 0);
  for (size_t s = 0; s < batch.seqs.size(); ++s) {
    const SequenceStep& st = batch.seqs[s];
    SUNBAE_CHECK(int64_t(st.blocks->size()) <= max_blocks, "CUDA forward: sequence ", s, " has a block table of ",
                 st.blocks->size(), " blocks, more than the ", max_blocks, " of the largest context planned");
    std::copy(st.blocks->begin(), st.blocks->end(), m.tables.begin() + long(s * size_t(max_blocks)));
    const int64_t n = int64_t(st.tokens.size());
    m.seq_row0.push_back(int32_t(m.ids.size()));
    m.seq_rows.push_back(int32_t(n));
    m.max_seq_rows = std::max(m.max_seq_rows, n);
    m.decode_only &= n == 1;
    const std::vector<float> f = dynamic ? host.inv_freq_for(st.start_pos + n) : std::vector<float>();
    for (int32_t r : st.logit_rows) m.picks.push_back(int32_t(m.ids.size()) + r);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t p = st.start_pos + i;
      m.ids.push_back(st.tokens[size_t(i)]);
      m.pos.push_back(int32_t(p));
      m.row_seq.push_back(int32_t(s));
      m.slots.push_back(int32_t((*st.blocks)[size_t(p / kv::kBlockSize)] * kv::kBlockSize + p % kv::kBlockSize));
      m.freqs.insert(m.freqs.end(), f.begin(), f.end());
    }
  }
  return m;
}

// The shared body of forward and forward_sample: validates, uploads, launches (or replays).
static void launch_step(CudaModel::Impl& m, const Batch& batch, const std::vector<cuda::SampleRow>* sample) {
  const Model& host = *m.host;
  const io::ModelConfig& c = host.config();
  host.validate(batch, host.kv_layout(m.report.kv_blocks));
  const int64_t MB = m.report.max_blocks_per_seq;
  const StepMeta meta = build_meta(host, batch, MB);
  const int64_t T = int64_t(meta.ids.size()), P = int64_t(meta.picks.size()), S = int64_t(batch.seqs.size());
  SUNBAE_CHECK(T <= m.opt.max_batch_tokens, "CUDA forward: a step of ", T, " tokens exceeds max_batch_tokens ",
               m.opt.max_batch_tokens);
  SUNBAE_CHECK(S <= m.opt.max_seqs, "CUDA forward: ", S, " sequences exceed max_seqs ", m.opt.max_seqs);
  SUNBAE_CHECK(P <= m.report.max_logit_rows, "CUDA forward: ", P, " logit rows exceed the ", m.report.max_logit_rows,
               " planned");
  if (sample)
    SUNBAE_CHECK(int64_t(sample->size()) == P, "CUDA forward: ", sample->size(), " sampling rows for ", P,
                 " logit rows");
  cudaStream_t s = m.stream;
  auto put = [&](cuda::DeviceBuffer& dst, const void* src, size_t bytes) {
    if (bytes) SUNBAE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, s));
  };
  put(m.ids, meta.ids.data(), meta.ids.size() * 4);
  put(m.pos, meta.pos.data(), meta.pos.size() * 4);
  put(m.row_seq, meta.row_seq.data(), meta.row_seq.size() * 4);
  put(m.slots, meta.slots.data(), meta.slots.size() * 4);
  put(m.picks, meta.picks.data(), meta.picks.size() * 4);
  put(m.seq_row0, meta.seq_row0.data(), meta.seq_row0.size() * 4);
  put(m.seq_rows, meta.seq_rows.data(), meta.seq_rows.size() * 4);
  put(m.tables, meta.tables.data(), meta.tables.size() * 4);
  if (sample) put(m.sample_rows, sample->data(), sample->size() * sizeof(cuda::SampleRow));
  const bool dynamic = c.rope.type == io::RopeType::Dynamic;
  if (dynamic) put(m.freqs, meta.freqs.data(), meta.freqs.size() * 4);
  const float* freq_table = dynamic ? m.freqs.get<float>() : m.inv_freq.get<float>();
  const int64_t freq_stride = dynamic ? int64_t(m.inv_freq.size() / 4) : 0;

  const bool sampled = sample != nullptr;
  if (m.use_graphs && meta.decode_only && T <= m.opt.max_graph_tokens) {
    const auto key = std::make_tuple(T, P, sampled);
    auto it = m.graphs.find(key);
    if (it == m.graphs.end()) {
      // Warm once outside capture so cuBLASLt picks its algorithm before the graph records it.
      m.run_step(T, P, S, 1, true, sampled, freq_table, freq_stride);
      SUNBAE_CUDA_CHECK(cudaStreamSynchronize(s));
      // The warm run wrote this step's K/V already; replaying rewrites the same values.
      cudaGraph_t g = nullptr;
      SUNBAE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
      try {
        m.run_step(T, P, S, 1, true, sampled, freq_table, freq_stride);
      } catch (...) {
        cudaStreamEndCapture(s, &g);
        if (g) cudaGraphDestroy(g);
        throw;
      }
      SUNBAE_CUDA_CHECK(cudaStreamEndCapture(s, &g));
      cudaGraphExec_t exec = nullptr;
      const cudaError_t st = cudaGraphInstantiate(&exec, g, 0);
      cudaGraphDestroy(g);
      SUNBAE_CUDA_CHECK(st);
      it = m.graphs.emplace(key, exec).first;
    }
    SUNBAE_CUDA_CHECK(cudaGraphLaunch(it->second, s));
  } else {
    m.run_step(T, P, S, meta.max_seq_rows, meta.decode_only, sampled, freq_table, freq_stride);
  }
}

Logits CudaModel::forward(const Batch& batch) {
  Impl& m = *impl_;
  launch_step(m, batch, nullptr);
  Logits out;
  for (const SequenceStep& st : batch.seqs) out.rows += int64_t(st.logit_rows.size());
  out.vocab = m.host->vocab_size();
  // Every rank of a group holds the gathered logits; rank 0 alone brings them back.
  if (out.rows > 0 && m.adds_residual()) {
    out.data.resize(size_t(out.rows * out.vocab));
    SUNBAE_CUDA_CHECK(cudaMemcpyAsync(out.data.data(), m.logits.get(), out.data.size() * 4, cudaMemcpyDeviceToHost,
                                      m.stream));
  }
  SUNBAE_CUDA_CHECK(cudaStreamSynchronize(m.stream));
  return out;
}

std::vector<int32_t> CudaModel::forward_sample(const Batch& batch, const std::vector<cuda::SampleRow>& params) {
  Impl& m = *impl_;
  launch_step(m, batch, &params);
  std::vector<int32_t> out(params.size());
  if (!out.empty())
    SUNBAE_CUDA_CHECK(cudaMemcpyAsync(out.data(), m.tokens.get(), out.size() * 4, cudaMemcpyDeviceToHost, m.stream));
  SUNBAE_CUDA_CHECK(cudaStreamSynchronize(m.stream));
  return out;
}

void CudaModel::Impl::run_step(int64_t T, int64_t P, int64_t n_seqs, int64_t max_seq_rows, bool decode_only,
                               bool sample, const float* freq_table, int64_t freq_stride) {
  const io::ModelConfig& c = host->config();
  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const int64_t Hq = c.num_heads, Hkv = c.num_kv_heads;
  // Three regimes by step rows: up to kGemvFusedMaxRows, one GEMV launch per projection with the
  // RMSNorm, RoPE + KV store and SiLU fused in (batch-1 decode is launch-latency bound); up to
  // kGemvRows, the tensor-core GEMV with those as kernels of their own (f32 activations); beyond,
  // cuBLASLt over half activations.
  const bool fused = T <= cuda::kGemvFusedMaxRows;
  const bool small = T <= gemv_rows;
  const cuda::OutType half = cuda::half_of(wt);
  const float eps = float(c.rms_norm_eps);
  float* xr = x.get<float>();
  void* normed = small ? h.get() : hb.get();
  const cuda::OutType norm_out = small ? cuda::OutType::F32 : half;

  cuda::RopeStoreArgs r;
  r.qkv = qkv.get<float>();
  r.M = T;
  r.q_heads = Hq;
  r.kv_heads = Hkv;
  r.head_dim = D;
  r.rot_dim = 2 * int64_t(inv_freq.size() / 4);
  r.pos = pos.get<int32_t>();
  r.inv_freq = freq_table;
  r.freq_stride = freq_stride;
  r.slots = slots.get<int32_t>();
  r.q_out = q.get<float>();

  if (comm)
    tp_embedding(T);
  else
    cuda::embedding(embed.get(), wt, ids.get<int32_t>(), T, H, xr, stream);
  for (size_t l = 0; l < layers.size(); ++l) {
    GpuLayer& L = layers[l];
    r.k_pool = k_pool[l].get<uint16_t>();
    r.v_pool = v_pool[l].get<uint16_t>();
    if (fused) {
      cuda::GemvArgs g = gemv_args(L.qkv, xr, T, nullptr, false);
      g.norm_w = L.attn_norm.get<float>();
      g.norm_eps = eps;
      g.epilogue = cuda::GemvEpilogue::RopeQkv;
      g.rope = r;
      cuda::gemv(g, stream);
    } else {
      cuda::rmsnorm(xr, L.attn_norm.get<float>(), eps, T, H, normed, norm_out, stream);
      linear(L.qkv, h.get<float>(), hb.get(), T, qkv.get<float>(), false);
      cuda::rope_store_qkv(r, stream);
    }

    cuda::AttnBatch a;
    a.q = q.get<float>();
    a.k_pool = k_pool[l].get<uint16_t>();
    a.v_pool = v_pool[l].get<uint16_t>();
    a.row_pos = pos.get<int32_t>();
    a.row_seq = row_seq.get<int32_t>();
    a.seq_row0 = seq_row0.get<int32_t>();
    a.seq_rows = seq_rows.get<int32_t>();
    a.tables = tables.get<int32_t>();
    a.max_blocks = report.max_blocks_per_seq;
    a.rows = T;
    a.n_seqs = n_seqs;
    a.max_seq_rows = max_seq_rows;
    a.heads = Hq;
    a.kv_heads = Hkv;
    a.head_dim = D;
    a.scale = 1.f / std::sqrt(float(D));
    a.window = L.window;
    a.out = att.get<float>();
    a.workspace = attn_ws.get<float>();
    if (decode_only)
      cuda::decode_attention(a, stream);
    else
      cuda::prefill_attention(a, stream);
    if (!small) cuda::to_half(att.get<float>(), T * Hq * D, hb.get(), half, stream);
    linear(L.o, att.get<float>(), hb.get(), T, xr, adds_residual());  // residual add in the epilogue
    if (comm) tp_all_reduce(xr, T * H);

    if (fused) {
      cuda::GemvArgs g = gemv_args(L.gate_up, xr, T, act_.get<float>(), false);
      g.norm_w = L.mlp_norm.get<float>();
      g.norm_eps = eps;
      g.epilogue = cuda::GemvEpilogue::SiluPairs;
      cuda::gemv(g, stream);
    } else {
      cuda::rmsnorm(xr, L.mlp_norm.get<float>(), eps, T, H, normed, norm_out, stream);
      linear(L.gate_up, h.get<float>(), hb.get(), T, gate_up.get<float>(), false);
      cuda::silu_mul_fused(gate_up.get<float>(), T, F, small ? act_.get() : hb.get(),
                           small ? cuda::OutType::F32 : half, stream);
    }
    linear(L.down, act_.get<float>(), hb.get(), T, xr, adds_residual());
    if (comm) tp_all_reduce(xr, T * H);
  }
  if (P == 0) return;
  cuda::gather_rows(xr, picks.get<int32_t>(), P, H, picked.get<float>(), stream);
  if (P <= cuda::kGemvFusedMaxRows) {
    cuda::GemvArgs g = gemv_args(lm_head, picked.get<float>(), P, lm_head_out(), false);
    g.norm_w = final_norm.get<float>();
    g.norm_eps = eps;
    cuda::gemv(g, stream);
  } else {
    const bool small_p = P <= gemv_rows;
    cuda::rmsnorm(picked.get<float>(), final_norm.get<float>(), eps, P, H, small_p ? h.get() : hb.get(),
                  small_p ? cuda::OutType::F32 : half, stream);
    linear(lm_head, h.get<float>(), hb.get(), P, lm_head_out(), false);
  }
  if (comm) tp_gather_logits(P);
  if (sample)
    cuda::sample_rows(logits.get<float>(), P, host->vocab_size(), sample_rows.get<cuda::SampleRow>(), tokens.get<int32_t>(),
                      sample_ws.get(), stream);
}

}  // namespace sunbae::model
