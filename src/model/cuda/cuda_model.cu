#include <cublas_v2.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/gemv.h"
#include "kernels/cuda/ops.h"
#include "model/cuda/cuda_model.h"

namespace sunbae::model {

namespace {
#define SUNBAE_CUBLAS_CHECK(expr)                                                        \
  do {                                                                                   \
    const cublasStatus_t st_ = (expr);                                                   \
    if (st_ != CUBLAS_STATUS_SUCCESS) ::sunbae::fail(#expr, ": cuBLAS status ", int(st_)); \
  } while (0)

using cuda::DeviceBuffer;

struct GpuLinear {
  DeviceBuffer w;     // bf16 [out, in]
  DeviceBuffer bias;  // f32 [out] or empty
  int64_t out = 0, in = 0;
};

struct GpuLayer {
  DeviceBuffer attn_norm, mlp_norm;
  GpuLinear q, k, v, o, gate, up, down;
  int64_t window = 0;
};

DeviceBuffer upload(const void* data, size_t bytes, const std::string& what) {
  DeviceBuffer b(bytes, what);
  SUNBAE_CUDA_CHECK(cudaMemcpy(b.get(), data, bytes, cudaMemcpyHostToDevice));
  return b;
}

std::vector<uint16_t> as_bf16(const void* data, DType t, int64_t n) {
  std::vector<uint16_t> out(static_cast<size_t>(n));
  if (t == DType::BF16) {
    std::memcpy(out.data(), data, size_t(n) * 2);
    return out;
  }
  std::vector<float> f(static_cast<size_t>(n));
  widen_to_f32(data, t, n, f.data());
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = f32_to_bf16(f[size_t(i)]);
  return out;
}

GpuLinear upload_linear(const Linear& l, const std::string& what) {
  GpuLinear g;
  g.out = l.w.rows;
  g.in = l.w.cols;
  const auto w = as_bf16(l.w.data, l.w.dtype, g.out * g.in);
  g.w = upload(w.data(), w.size() * 2, what);
  if (!l.bias.empty()) g.bias = upload(l.bias.data(), l.bias.size() * 4, what + " bias");
  return g;
}
}  // namespace

struct CudaModel::Impl {
  const Model* host = nullptr;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  int64_t kv_blocks = 0, max_tokens = 0;
  DeviceBuffer embed;  // bf16 [vocab, hidden]
  std::vector<GpuLayer> layers;
  DeviceBuffer final_norm;
  GpuLinear lm_head;
  bool lm_head_tied = false;
  DeviceBuffer inv_freq;  // static rope table
  std::vector<DeviceBuffer> k_pool, v_pool;
  // Activations for max_tokens rows, and per-step metadata.
  DeviceBuffer x, h, tmp, q, k, v, att, gate, up, xb, logits, picked;
  DeviceBuffer ids, pos, row_seq, slots, tables, pick_rows, freqs;
  GpuMemoryReport report;
  bool use_graphs = true;
  std::map<std::pair<int64_t, int64_t>, cudaGraphExec_t> graphs;  // (tokens, logit rows)

  // Every launch of one step once its metadata is on the device: a fixed sequence for a given
  // (T, P), so it can be captured into a graph.
  void run_step(int64_t T, int64_t P, int64_t max_blocks, const float* freq_table, int64_t freq_stride);

  ~Impl() {
    for (auto& [key, g] : graphs) cudaGraphExecDestroy(g);
    if (blas) cublasDestroy(blas);
    if (stream) cudaStreamDestroy(stream);
  }

  void matmul(const GpuLinear& l, const float* in, int64_t M, float* out, const uint16_t* weight = nullptr) {
    const uint16_t* w = weight ? weight : l.w.get<uint16_t>();
    const float* bias = l.bias.size() ? l.bias.get<float>() : nullptr;
    if (M <= 8 && l.in % 8 == 0) {
      cuda::gemv_bf16(in, int(M), w, bias, l.out, l.in, out, stream);
      return;
    }
    // Tensor cores: bf16 activations, f32 accumulate and output. Row-major Y = X W^T is
    // column-major Y^T = W X^T with W read transposed.
    cuda::to_bf16(in, M * l.in, xb.get<uint16_t>(), stream);
    const float alpha = 1.f, beta = 0.f;
    SUNBAE_CUBLAS_CHECK(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, int(l.out), int(M), int(l.in), &alpha, w,
                                     CUDA_R_16BF, int(l.in), xb.get(), CUDA_R_16BF, int(l.in), &beta, out,
                                     CUDA_R_32F, int(l.out), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    if (bias) cuda::add_bias(out, bias, M, l.out, stream);
  }
};

CudaModel::CudaModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudaModel::~CudaModel() = default;
const Model& CudaModel::host() const { return *impl_->host; }
kv::KVLayout CudaModel::kv_layout() const { return impl_->host->kv_layout(impl_->kv_blocks); }
GpuMemoryReport CudaModel::memory() const { return impl_->report; }
void CudaModel::set_use_graphs(bool on) { impl_->use_graphs = on; }

std::unique_ptr<CudaModel> CudaModel::create(const Model& host, int64_t kv_blocks, int64_t max_batch_tokens) {
  const io::ModelConfig& c = host.config();
  SUNBAE_CHECK(kv_blocks > 0 && max_batch_tokens > 0, "CudaModel: kv_blocks and max_batch_tokens must be > 0");
  auto m = std::make_unique<Impl>();
  m->host = &host;
  m->kv_blocks = kv_blocks;
  m->max_tokens = max_batch_tokens;
  SUNBAE_CUDA_CHECK(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking));
  SUNBAE_CUBLAS_CHECK(cublasCreate(&m->blas));
  SUNBAE_CUBLAS_CHECK(cublasSetStream(m->blas, m->stream));

  size_t free0 = 0, total = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free0, &total));
  const ModelWeights& w = host.weights();
  const int64_t H = c.hidden_size;
  {
    const auto e = as_bf16(w.embed.data, w.embed.dtype, w.embed.numel());
    m->embed = upload(e.data(), e.size() * 2, "embedding table");
  }
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& L = w.layers[i];
    const std::string n = "layer " + std::to_string(i);
    GpuLayer g;
    g.attn_norm = upload(L.attn_norm.data(), L.attn_norm.size() * 4, n + " norm");
    g.mlp_norm = upload(L.mlp_norm.data(), L.mlp_norm.size() * 4, n + " norm");
    g.q = upload_linear(L.q, n + " q_proj");
    g.k = upload_linear(L.k, n + " k_proj");
    g.v = upload_linear(L.v, n + " v_proj");
    g.o = upload_linear(L.o, n + " o_proj");
    g.gate = upload_linear(L.gate, n + " gate_proj");
    g.up = upload_linear(L.up, n + " up_proj");
    g.down = upload_linear(L.down, n + " down_proj");
    g.window = L.sliding ? *c.sliding_window : 0;
    m->layers.push_back(std::move(g));
  }
  m->final_norm = upload(w.final_norm.data(), w.final_norm.size() * 4, "final norm");
  m->lm_head_tied = c.tie_word_embeddings;
  m->lm_head.out = c.vocab_size;
  m->lm_head.in = H;
  if (!m->lm_head_tied) m->lm_head = upload_linear(w.lm_head, "lm_head");
  const std::vector<float> inv = host.inv_freq_for(0);
  m->inv_freq = upload(inv.data(), inv.size() * 4, "rope table");
  size_t free1 = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free1, &total));
  m->report.weights_mb = double(free0 - free1) / (1 << 20);

  const kv::KVLayout lay = host.kv_layout(kv_blocks);
  const size_t pool_bytes = size_t(lay.num_blocks) * size_t(lay.block_stride()) * 4;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    m->k_pool.emplace_back(pool_bytes, "KV cache (" + std::to_string(kv_blocks) + " blocks)");
    m->v_pool.emplace_back(pool_bytes, "KV cache (" + std::to_string(kv_blocks) + " blocks)");
  }
  m->report.kv_cache_mb = double(2 * c.num_layers * pool_bytes) / (1 << 20);

  const int64_t T = max_batch_tokens, F = c.intermediate_size;
  const int64_t qd = c.num_heads * c.head_dim, kvd = c.num_kv_heads * c.head_dim;
  const int64_t widest = std::max({H, F, qd});
  auto act = [&](size_t bytes, const char* what) { return DeviceBuffer(bytes, std::string("activations: ") + what); };
  m->x = act(size_t(T * H) * 4, "x");
  m->h = act(size_t(T * H) * 4, "h");
  m->tmp = act(size_t(T * H) * 4, "tmp");
  m->q = act(size_t(T * qd) * 4, "q");
  m->k = act(size_t(T * kvd) * 4, "k");
  m->v = act(size_t(T * kvd) * 4, "v");
  m->att = act(size_t(T * qd) * 4, "attention");
  m->gate = act(size_t(T * F) * 4, "gate");
  m->up = act(size_t(T * F) * 4, "up");
  m->picked = act(size_t(T * H) * 4, "picked rows");
  m->logits = act(size_t(T * c.vocab_size) * 4, "logits");
  m->xb = act(size_t(T * widest) * 2, "bf16 activations");
  m->ids = act(size_t(T) * 4, "ids");
  m->pos = act(size_t(T) * 4, "positions");
  m->row_seq = act(size_t(T) * 4, "row sequences");
  m->slots = act(size_t(T) * 4, "slots");
  m->pick_rows = act(size_t(T) * 4, "picked row ids");
  m->tables = act(size_t(T) * size_t(kv_blocks) * 4, "block tables");
  m->freqs = act(size_t(T) * inv.size() * 4, "rope frequencies");
  size_t free2 = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free2, &total));
  m->report.activations_mb = double(free1 - free2) / (1 << 20) - m->report.kv_cache_mb;
  return std::unique_ptr<CudaModel>(new CudaModel(std::move(m)));
}

Logits CudaModel::forward(const Batch& batch) {
  Impl& m = *impl_;
  const Model& host = *m.host;
  const io::ModelConfig& c = host.config();
  host.validate(batch, kv_layout());
  const int64_t half = int64_t(m.inv_freq.size() / sizeof(float));
  const bool dynamic = c.rope.type == io::RopeType::Dynamic;

  std::vector<int32_t> ids, pos, row_seq, slots, picks;
  // Tables use the cache's capacity as their stride, so a captured step stays valid as
  // sequences grow.
  const size_t max_blocks = size_t(m.kv_blocks);
  for (const SequenceStep& st : batch.seqs)
    SUNBAE_CHECK(st.blocks->size() <= max_blocks, "CUDA forward: block table longer than the cache");
  std::vector<int32_t> tables(batch.seqs.size() * max_blocks, 0);
  std::vector<float> freqs;
  for (size_t s = 0; s < batch.seqs.size(); ++s) {
    const SequenceStep& st = batch.seqs[s];
    std::copy(st.blocks->begin(), st.blocks->end(), tables.begin() + long(s * max_blocks));
    const std::vector<float> f = dynamic ? host.inv_freq_for(st.start_pos + int64_t(st.tokens.size())) : std::vector<float>();
    for (int32_t r : st.logit_rows) picks.push_back(int32_t(ids.size()) + r);
    for (size_t i = 0; i < st.tokens.size(); ++i) {
      const int64_t p = st.start_pos + int64_t(i);
      ids.push_back(st.tokens[i]);
      pos.push_back(int32_t(p));
      row_seq.push_back(int32_t(s));
      slots.push_back(int32_t((*st.blocks)[size_t(p / kv::kBlockSize)] * kv::kBlockSize + p % kv::kBlockSize));
      freqs.insert(freqs.end(), f.begin(), f.end());
    }
  }
  const int64_t T = int64_t(ids.size()), P = int64_t(picks.size());
  SUNBAE_CHECK(T <= m.max_tokens, "CUDA forward: batch of ", T, " tokens exceeds max_batch_tokens ", m.max_tokens);
  SUNBAE_CHECK(int64_t(batch.seqs.size()) <= m.max_tokens, "CUDA forward: too many sequences");
  auto put = [&](DeviceBuffer& dst, const void* src, size_t bytes) {
    if (bytes) SUNBAE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, bytes, cudaMemcpyHostToDevice, m.stream));
  };
  put(m.ids, ids.data(), ids.size() * 4);
  put(m.pos, pos.data(), pos.size() * 4);
  put(m.row_seq, row_seq.data(), row_seq.size() * 4);
  put(m.slots, slots.data(), slots.size() * 4);
  put(m.tables, tables.data(), tables.size() * 4);
  put(m.pick_rows, picks.data(), picks.size() * 4);
  if (dynamic) put(m.freqs, freqs.data(), freqs.size() * 4);
  const float* freq_table = dynamic ? m.freqs.get<float>() : m.inv_freq.get<float>();
  const int64_t freq_stride = dynamic ? half : 0;

  cudaStream_t s = m.stream;
  const bool graph = m.use_graphs && T <= 8;
  if (graph) {
    auto it = m.graphs.find({T, P});
    if (it == m.graphs.end()) {
      cudaGraph_t g = nullptr;
      SUNBAE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
      try {
        m.run_step(T, P, int64_t(max_blocks), freq_table, freq_stride);
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
      it = m.graphs.emplace(std::make_pair(T, P), exec).first;
    }
    SUNBAE_CUDA_CHECK(cudaGraphLaunch(it->second, s));
  } else {
    m.run_step(T, P, int64_t(max_blocks), freq_table, freq_stride);
  }
  Logits out;
  out.rows = P;
  out.vocab = c.vocab_size;
  if (P > 0) {
    out.data.resize(size_t(P * c.vocab_size));
    SUNBAE_CUDA_CHECK(cudaMemcpyAsync(out.data.data(), m.logits.get(), out.data.size() * 4, cudaMemcpyDeviceToHost, s));
  }
  SUNBAE_CUDA_CHECK(cudaStreamSynchronize(s));
  return out;
}

void CudaModel::Impl::run_step(int64_t T, int64_t P, int64_t max_blocks, const float* freq_table,
                               int64_t freq_stride) {
  Impl& m = *this;
  const io::ModelConfig& c = m.host->config();
  const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
  const int64_t Hq = c.num_heads, Hkv = c.num_kv_heads;
  const int64_t rot = 2 * int64_t(m.inv_freq.size() / sizeof(float));
  cudaStream_t s = m.stream;
  float *x = m.x.get<float>(), *h = m.h.get<float>(), *tmp = m.tmp.get<float>();
  cuda::embedding_bf16(m.embed.get<uint16_t>(), m.ids.get<int32_t>(), T, H, x, s);
  for (size_t l = 0; l < m.layers.size(); ++l) {
    GpuLayer& L = m.layers[l];
    cuda::rmsnorm(x, L.attn_norm.get<float>(), float(c.rms_norm_eps), T, H, h, s);
    m.matmul(L.q, h, T, m.q.get<float>());
    m.matmul(L.k, h, T, m.k.get<float>());
    m.matmul(L.v, h, T, m.v.get<float>());
    cuda::rope(m.q.get<float>(), T, Hq, D, rot, m.pos.get<int32_t>(), freq_table, freq_stride, s);
    cuda::rope(m.k.get<float>(), T, Hkv, D, rot, m.pos.get<int32_t>(), freq_table, freq_stride, s);
    cuda::kv_store(m.k.get<float>(), m.v.get<float>(), m.slots.get<int32_t>(), T, Hkv, D,
                   m.k_pool[l].get<float>(), m.v_pool[l].get<float>(), s);
    cuda::AttnArgs a{m.q.get<float>(), m.k_pool[l].get<float>(), m.v_pool[l].get<float>(), m.pos.get<int32_t>(),
                     m.row_seq.get<int32_t>(), m.tables.get<int32_t>(), int64_t(max_blocks), T, Hq, Hkv, D,
                     1.f / std::sqrt(float(D)), L.window, m.att.get<float>()};
    cuda::paged_attention(a, s);
    m.matmul(L.o, m.att.get<float>(), T, tmp);
    cuda::add_inplace(x, tmp, T * H, s);
    cuda::rmsnorm(x, L.mlp_norm.get<float>(), float(c.rms_norm_eps), T, H, h, s);
    m.matmul(L.gate, h, T, m.gate.get<float>());
    m.matmul(L.up, h, T, m.up.get<float>());
    cuda::silu_mul(m.gate.get<float>(), m.up.get<float>(), T * F, s);
    m.matmul(L.down, m.gate.get<float>(), T, tmp);
    cuda::add_inplace(x, tmp, T * H, s);
  }
  if (P > 0) {
    cuda::gather_rows(x, m.pick_rows.get<int32_t>(), P, H, m.picked.get<float>(), s);
    cuda::rmsnorm(m.picked.get<float>(), m.final_norm.get<float>(), float(c.rms_norm_eps), P, H, m.picked.get<float>(), s);
    m.matmul(m.lm_head, m.picked.get<float>(), P, m.logits.get<float>(),
             m.lm_head_tied ? m.embed.get<uint16_t>() : nullptr);
  }
}


}  // namespace sunbae::model
