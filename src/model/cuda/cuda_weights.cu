// CudaModel::create: the memory plan, then the weights (converted to the half type, q/k/v and
// gate/up fused), the bf16 KV cache and the step buffers.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/fused_layout.h"
#include "model/cuda/cuda_model_impl.h"
#include "model/cuda/cuda_tp.h"

namespace sunbae::model {

namespace {
using cuda::DeviceBuffer;

// n values of `src` (F32, BF16 or F16) in the half type.
std::vector<uint16_t> to_half_host(const void* src, DType t, int64_t n, DType half) {
  std::vector<uint16_t> out(static_cast<size_t>(n));
  if (t == half) {
    std::memcpy(out.data(), src, size_t(n) * 2);
    return out;
  }
  std::vector<float> f(static_cast<size_t>(n));
  widen_to_f32(src, t, n, f.data());
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = half == DType::BF16 ? f32_to_bf16(f[size_t(i)]) : f32_to_f16(f[size_t(i)]);
  return out;
}

void copy_in(void* dst, const void* src, size_t bytes) {
  SUNBAE_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}

DeviceBuffer upload_f32(const std::vector<float>& v, const std::string& what) {
  DeviceBuffer b(v.size() * 4, what);
  copy_in(b.get(), v.data(), v.size() * 4);
  return b;
}

// Where the weights come from: the host tensors, or values made on the GPU.
struct Source {
  DType half;
  std::optional<uint64_t> seed;  // synthetic
  mutable uint64_t counter = 0;  // one stream of values per tensor

  void matrix(void* dst, const void* src, DType t, int64_t n, float scale) const {
    if (seed) return fill(dst, n, half == DType::BF16 ? cuda::OutType::BF16 : cuda::OutType::F16, scale, 0.f);
    const auto h = to_half_host(src, t, n, half);
    copy_in(dst, h.data(), h.size() * 2);
  }
  DeviceBuffer vec(const std::vector<float>& v, float scale, float offset, const std::string& what) const {
    if (!seed) return upload_f32(v, what);
    DeviceBuffer b(v.size() * 4, what);
    fill(b.get(), int64_t(v.size()), cuda::OutType::F32, scale, offset);
    return b;
  }
  void fill(void* dst, int64_t n, cuda::OutType t, float scale, float offset) const {
    cuda::fill_uniform(dst, n, t, scale, offset, *seed * 0x9e3779b97f4a7c15ull + ++counter, nullptr);
  }
};

// GPU row -> row of the naturally stacked matrix (fused_layout.h); empty: the natural order.
using RowMap = std::function<int64_t(int64_t)>;

// Linears stacked by rows into one matrix (and one bias, zeros where a part has none), rows in
// the order row_of gives. Synthetic values: U(-1, 1) / sqrt(fan_in), biases 0.1 U(-1, 1), as
// bench::SyntheticWeights makes them (i.i.d., so their order needs no permuting).
GpuLinear stack(std::initializer_list<const Linear*> parts, const Source& src, const std::string& what,
                const RowMap& row_of = {}) {
  GpuLinear g;
  g.in = (*parts.begin())->w.cols;
  bool any_bias = false;
  for (const Linear* l : parts) {
    SUNBAE_CHECK(l->w.cols == g.in, what, ": stacked matrices differ in width");
    g.out += l->w.rows;
    any_bias |= !l->bias.empty();
  }
  g.w = DeviceBuffer(size_t(g.out * g.in) * 2, what);
  std::vector<float> bias;
  std::vector<uint16_t> natural;  // host path with a row map: the whole matrix, then permuted
  if (row_of && !src.seed) natural.resize(size_t(g.out * g.in));
  int64_t row = 0;
  for (const Linear* l : parts) {
    const int64_t n = l->w.rows * l->w.cols;
    if (natural.empty()) {
      src.matrix(g.w.get<uint16_t>() + row * g.in, l->w.data, l->w.dtype, n, 1.f / std::sqrt(float(g.in)));
    } else {
      const std::vector<uint16_t> h = to_half_host(l->w.data, l->w.dtype, n, src.half);
      std::copy(h.begin(), h.end(), natural.begin() + row * g.in);
    }
    if (any_bias) {
      if (l->bias.empty())
        bias.resize(bias.size() + size_t(l->w.rows), 0.f);
      else
        bias.insert(bias.end(), l->bias.begin(), l->bias.end());
    }
    row += l->w.rows;
  }
  if (!natural.empty()) {
    std::vector<uint16_t> rows(natural.size());
    for (int64_t r = 0; r < g.out; ++r)
      std::copy_n(natural.begin() + row_of(r) * g.in, g.in, rows.begin() + r * g.in);
    copy_in(g.w.get(), rows.data(), rows.size() * 2);
  }
  if (any_bias && row_of) {
    std::vector<float> permuted(bias.size());
    for (int64_t r = 0; r < g.out; ++r) permuted[size_t(r)] = bias[size_t(row_of(r))];
    bias.swap(permuted);
  }
  if (any_bias) g.bias = src.vec(bias, 0.1f, 0.f, what + " bias");
  return g;
}

DType default_half(const Model& m) {
  return m.weights().dtypes == std::vector<std::string>{"F16"} ? DType::F16 : DType::BF16;
}

size_t free_bytes() {
  size_t free_b = 0, total_b = 0;
  SUNBAE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}
}  // namespace

CudaModel::Impl::~Impl() {
  for (auto& [key, g] : graphs) cudaGraphExecDestroy(g);
  for (cudaEvent_t e : comm_events) cudaEventDestroy(e);
  if (stream) cudaStreamDestroy(stream);
}

void CudaModel::Impl::upload_weights() {
  const io::ModelConfig& c = host->config();
  const ModelWeights& w = host->weights();
  const Source src{report.weight_dtype, opt.synthetic_seed};
  const int64_t rot = 2 * int64_t(host->inv_freq_for(0).size());
  const RowMap qkv_rows = [&](int64_t r) { return cuda::qkv_source_row(r, c.num_heads + c.num_kv_heads, c.head_dim, rot); };
  const RowMap gate_up_rows = [&](int64_t r) { return cuda::gate_up_source_row(r, c.intermediate_size); };
  embed = DeviceBuffer(size_t(w.embed.numel()) * 2, "embedding table");
  src.matrix(embed.get(), w.embed.data, w.embed.dtype, w.embed.numel(), 1.f);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& L = w.layers[i];
    const std::string n = "layer " + std::to_string(i);
    GpuLayer g;
    if (src.seed) std::fprintf(stderr, "\rrandom weights on the GPU: layer %zu/%zu", i + 1, w.layers.size());
    g.attn_norm = src.vec(L.attn_norm, 0.1f, 1.f, n + " input norm");
    g.mlp_norm = src.vec(L.mlp_norm, 0.1f, 1.f, n + " post-attention norm");
    g.qkv = stack({&L.q, &L.k, &L.v}, src, n + " q/k/v projections", qkv_rows);
    g.o = stack({&L.o}, src, n + " o_proj");
    g.gate_up = stack({&L.gate, &L.up}, src, n + " gate/up projections", gate_up_rows);
    g.down = stack({&L.down}, src, n + " down_proj");
    if (!adds_residual()) {  // row-parallel biases are added once, by rank 0 (cuda_model_impl.h)
      g.o.bias = DeviceBuffer();
      g.down.bias = DeviceBuffer();
    }
    g.window = L.sliding ? *c.sliding_window : 0;
    layers.push_back(std::move(g));
  }
  if (src.seed) std::fprintf(stderr, "\n");
  final_norm = src.vec(w.final_norm, 0.1f, 1.f, "final norm");
  if (c.tie_word_embeddings) {
    lm_head.shared = embed.get();
    lm_head.out = c.vocab_size;
    lm_head.in = c.hidden_size;
  } else {
    lm_head = stack({&w.lm_head}, src, "lm_head");
  }
  SUNBAE_CUDA_CHECK(cudaDeviceSynchronize());
  inv_freq = upload_f32(host->inv_freq_for(0), "rope table");
}

void CudaModel::Impl::allocate_buffers() {
  const io::ModelConfig& c = host->config();
  const int64_t T = opt.max_batch_tokens, S = opt.max_seqs, P = report.max_logit_rows;
  const int64_t MB = report.max_blocks_per_seq;
  const size_t pool = size_t(report.kv_block_bytes / (2 * c.num_layers));
  const std::string kv = "KV cache (" + std::to_string(report.kv_blocks) + " blocks)";
  for (int64_t l = 0; l < c.num_layers; ++l) {
    k_pool.emplace_back(pool * size_t(report.kv_blocks), kv);
    v_pool.emplace_back(pool * size_t(report.kv_blocks), kv);
  }
  const ActivationSizes a = activation_sizes(c, T, S, P, MB);
  auto act = [](int64_t bytes, const char* what) { return DeviceBuffer(size_t(bytes), std::string("activations: ") + what); };
  x = act(a.x, "residual");
  h = act(a.h, "normed");
  hb = act(a.hb, "half activations");
  qkv = act(a.qkv, "q/k/v");
  q = act(a.q, "roped q");
  att = act(a.att, "attention");
  gate_up = act(a.gate_up, "gate/up");
  act_ = act(a.act, "mlp");
  picked = act(a.picked, "picked rows");
  logits = act(a.logits, "logits");
  ids = act(T * 4, "ids");
  pos = act(T * 4, "positions");
  row_seq = act(T * 4, "row sequences");
  slots = act(T * 4, "slots");
  picks = act(P * 4, "picked row ids");
  tokens = act(P * 4, "sampled tokens");
  seq_row0 = act(S * 4, "sequence rows");
  seq_rows = act(S * 4, "sequence lengths");
  tables = act(S * MB * 4, "block tables");
  freqs = act(T * c.head_dim / 2 * 4, "rope frequencies");
  sample_rows = act(P * int64_t(sizeof(cuda::SampleRow)), "sampling parameters");
}

std::unique_ptr<CudaModel> CudaModel::create(const Model& host, const CudaOptions& options, NcclCommunicator* comm) {
  const io::ModelConfig& c = host.config();
  const std::string unsupported = cuda_unsupported(c);
  SUNBAE_CHECK(unsupported.empty(), "CUDA backend: ", unsupported);
  SUNBAE_CHECK(cuda::attention_supports_head_dim(c.head_dim), "CUDA backend: head_dim ", c.head_dim,
               " is not built (supported: 16..32, 64, 128, 256)");
  auto m = std::make_unique<Impl>();
  m->host = &host;
  m->comm = comm;
  if (const char* e = std::getenv("SUNBAE_GEMV_ROWS")) {
    m->gemv_rows = std::atoll(e);
    SUNBAE_CHECK(m->gemv_rows >= cuda::kGemvFusedMaxRows && m->gemv_rows <= cuda::kGemvMaxRows, "SUNBAE_GEMV_ROWS=",
                 e, ": expected ", cuda::kGemvFusedMaxRows, "..", cuda::kGemvMaxRows);
  }
  m->opt = options;
  const DType half = options.weight_dtype.value_or(default_half(host));
  m->wt = half == DType::F16 ? cuda::WType::F16 : cuda::WType::BF16;
  const int64_t P = options.max_logit_rows > 0 ? options.max_logit_rows : options.max_seqs;
  const int64_t ctx = options.max_context > 0 ? options.max_context : c.max_position_embeddings;
  const int64_t workspace = int64_t(cuda::Gemm::kWorkspaceBytes) +
      cuda::decode_workspace_floats(options.max_seqs, c.num_heads, c.head_dim, kv::blocks_for_tokens(ctx)) * 4 +
      int64_t(cuda::sample_workspace_bytes(P, host.vocab_size())) + tp_buffer_bytes(host, P);
  m->report = plan_gpu_memory(c, options, half, double(free_bytes()) / (1 << 20), workspace);

  SUNBAE_CUDA_CHECK(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking));
  const size_t free0 = free_bytes();
  m->upload_weights();
  const size_t free1 = free_bytes();
  m->allocate_buffers();
  if (comm) m->allocate_tp_buffers();
  m->gemm = std::make_unique<cuda::Gemm>();
  m->attn_ws = DeviceBuffer(size_t(cuda::decode_workspace_floats(options.max_seqs, c.num_heads, c.head_dim,
                                                                 m->report.max_blocks_per_seq)) * 4,
                            "attention workspace");
  m->sample_ws = DeviceBuffer(cuda::sample_workspace_bytes(P, host.vocab_size()), "sampling workspace");
  const size_t free2 = free_bytes();
  // What the plan said against what the driver saw go (allocation granularity adds a little).
  m->report.weights_mb = double(free0 - free1) / (1 << 20);
  const double rest = double(free1 - free2) / (1 << 20);
  m->report.activations_mb = std::max(0.0, rest - m->report.kv_cache_mb - m->report.workspace_mb);
  return std::unique_ptr<CudaModel>(new CudaModel(std::move(m)));
}

}  // namespace sunbae::model
