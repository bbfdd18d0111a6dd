// sunbae_tiny_model --tokenizer SRC --out DIR [--seed N]: writes a random-weight Llama checkpoint
// (config.json + model.safetensors, hidden 64, 2 layers) whose vocabulary is SRC's, next to SRC's
// tokenizer (tokenizer.json + tokenizer_config.json). SRC is a tokenizer folder (plain or .gz files)
// or a GGUF file, whose vocabulary and chat template are written out as tokenizer.json.
//
// The feedback property tests serve it: a model that knows nothing, sampling at temperature 1.0
// over a real BPE vocabulary, can only produce valid feedback JSON because of the decoding mask.
// Generated at test time, so nothing large is committed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/gguf.h"
#include "io/safetensors.h"
#include "model/weight_names.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace sunbae;

namespace {

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  SUNBAE_CHECK(out, "cannot write ", p.string());
  out << text;
}

int run(const std::string& src, const fs::path& out, uint64_t seed) {
  fs::create_directories(out);
  if (fs::is_regular_file(src)) {
    const auto g = io::GgufFile::open(src);
    const auto tj = tok::gguf_tokenizer_json(*g);
    write_text(out / "tokenizer.json", tj.tokenizer.dump());
    write_text(out / "tokenizer_config.json", tj.config.dump());
  } else {
    for (const char* name : {"tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "tokenizer_config.json.gz"})
      if (fs::exists(fs::path(src) / name))
        fs::copy_file(fs::path(src) / name, out / name, fs::copy_options::overwrite_existing);
  }
  const auto tokenizer = tok::Tokenizer::load(out.string());
  const int64_t vocab = tokenizer->vocab_size();
  SUNBAE_CHECK(tokenizer->eos_token(), src, ": the tokenizer names no EOS token");
  const int64_t eos = *tokenizer->token_to_id(*tokenizer->eos_token());
  const int64_t bos = tokenizer->bos_token() ? *tokenizer->token_to_id(*tokenizer->bos_token()) : eos;

  const int64_t hidden = 64, layers = 2, heads = 4, kv_heads = 2, head_dim = 16, inter = 128;
  const json config = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", hidden},
                       {"intermediate_size", inter}, {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                       {"num_key_value_heads", kv_heads}, {"head_dim", head_dim}, {"hidden_act", "silu"},
                       {"max_position_embeddings", 16384}, {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0},
                       {"tie_word_embeddings", false}, {"vocab_size", vocab}, {"bos_token_id", bos},
                       {"eos_token_id", eos}, {"torch_dtype", "float32"}};
  write_text(out / "config.json", config.dump(2));

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  const model::WeightNames& n = model::kLlamaNames;
  const std::string lm_head = std::string(n.lm_head) + ".weight";
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {std::string(n.embed) + ".weight", {vocab, hidden}},
      {std::string(n.final_norm) + ".weight", {hidden}},
      {lm_head, {vocab, hidden}}};
  for (int64_t l = 0; l < layers; ++l) {
    shapes.push_back({n.layer(l, n.attn_norm) + ".weight", {hidden}});
    shapes.push_back({n.layer(l, n.mlp_norm) + ".weight", {hidden}});
    shapes.push_back({n.layer(l, n.q) + ".weight", {heads * head_dim, hidden}});
    shapes.push_back({n.layer(l, n.k) + ".weight", {kv_heads * head_dim, hidden}});
    shapes.push_back({n.layer(l, n.v) + ".weight", {kv_heads * head_dim, hidden}});
    shapes.push_back({n.layer(l, n.o) + ".weight", {hidden, heads * head_dim}});
    shapes.push_back({n.layer(l, n.gate) + ".weight", {inter, hidden}});
    shapes.push_back({n.layer(l, n.up) + ".weight", {inter, hidden}});
    shapes.push_back({n.layer(l, n.down) + ".weight", {hidden, inter}});
  }
  std::vector<std::vector<float>> data;
  std::vector<std::pair<std::string, TensorView>> tensors;
  for (const auto& [name, shape] : shapes) {
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    std::vector<float> v(static_cast<size_t>(numel));
    const bool norm = shape.size() == 1;
    // Unit-scale logits: a peaked but arbitrary next-token distribution at temperature 1.0.
    const float scale = norm ? 0.f : name == lm_head ? 0.5f : 0.15f;
    for (float& x : v) x = norm ? 1.f : scale * normal(rng);
    data.push_back(std::move(v));
    tensors.push_back({name, TensorView{data.back().data(), DType::F32, shape}});
  }
  io::write_safetensors((out / "model.safetensors").string(), tensors);
  std::printf("%s: vocab %lld, eos %lld\n", out.string().c_str(), (long long)vocab, (long long)eos);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string src, out;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tokenizer") src = argv[i + 1];
    else if (a == "--out") out = argv[i + 1];
    else if (a == "--seed") seed = std::stoull(argv[i + 1]);
    else return std::fprintf(stderr, "unknown argument %s\n", a.c_str()), 2;
  }
  if (src.empty() || out.empty()) {
    std::fprintf(stderr, "usage: sunbae_tiny_model --tokenizer DIR_OR_GGUF --out DIR [--seed N]\n");
    return 2;
  }
  try {
    return run(src, out, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
