#include "io/model_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "io/files.h"

namespace sunbae::io {

namespace {

using nlohmann::json;

enum class Arch { Llama, Mistral, Qwen2, GptNeoX };

struct ArchInfo {
  const char* name;
  Arch arch;
  const char* model_type;
};

constexpr ArchInfo kArchs[] = {
    {"LlamaForCausalLM", Arch::Llama, "llama"},
    {"MistralForCausalLM", Arch::Mistral, "mistral"},
    {"Qwen2ForCausalLM", Arch::Qwen2, "qwen2"},
    {"GPTNeoXForCausalLM", Arch::GptNeoX, "gpt_neox"},
};

// transformers' MistralConfig and Qwen2Config defaults for a config.json that omits these keys.
constexpr int64_t kDefaultSlidingWindow = 4096;
constexpr int64_t kDefaultQwen2MaxWindowLayers = 28;
// GPTNeoXConfig's defaults.
constexpr double kDefaultNeoXRotaryPct = 0.25;
constexpr double kDefaultNeoXLayerNormEps = 1e-5;

std::string brief(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Typed access to one JSON object; every error names the source and the field's full path.
// A key that is present with a null value reads as absent, as it does for transformers' configs.
class Fields {
 public:
  Fields(const json& obj, const std::string& source, std::string prefix = "")
      : obj_(obj), source_(source), prefix_(std::move(prefix)) {}

  std::string path(const std::string& key) const { return prefix_ + key; }

  const json* get(const std::string& key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool present(const std::string& key) const { return obj_.contains(key); }

  [[noreturn]] void wrong_type(const std::string& key, const char* expected) const {
    const json& v = obj_.at(key);
    fail(source_, ": '", path(key), "' must be ", expected, ", got ", v.type_name(), " ", brief(v));
  }
  [[noreturn]] void invalid(const std::string& key, const std::string& why) const {
    fail(source_, ": '", path(key), "' ", why);
  }

  std::optional<int64_t> opt_int(const std::string& key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    return to_int(*v, key);
  }
  int64_t req_int(const std::string& key) const {
    if (!get(key)) fail(source_, ": '", path(key), "' is missing");
    return *opt_int(key);
  }
  std::optional<double> opt_double(const std::string& key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) wrong_type(key, "a number");
    return v->get<double>();
  }
  std::optional<bool> opt_bool(const std::string& key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) wrong_type(key, "true or false");
    return v->get<bool>();
  }
  std::optional<std::string> opt_string(const std::string& key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) wrong_type(key, "a string");
    return v->get<std::string>();
  }
  const json* opt_object(const std::string& key) const {
    const json* v = get(key);
    if (v && !v->is_object()) wrong_type(key, "an object");
    return v;
  }

  int64_t to_int(const json& v, const std::string& key) const {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        invalid(key, cat("is out of range: ", brief(v)));
      return int64_t(v.get<uint64_t>());
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    fail(source_, ": '", path(key), "' must be an integer, got ", v.type_name(), " ", brief(v));
  }

  // "bos_token_id"/"eos_token_id": an int, a list of ints, or null (no token).
  std::optional<std::vector<int64_t>> opt_token_ids(const std::string& key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    std::vector<int64_t> ids;
    if (v->is_array()) {
      for (const json& e : *v) {
        if (!e.is_number_integer()) wrong_type(key, "an integer or a list of integers");
        ids.push_back(to_int(e, key));
      }
    } else if (v->is_number_integer()) {
      ids.push_back(to_int(*v, key));
    } else {
      wrong_type(key, "an integer or a list of integers");
    }
    return ids;
  }

  const std::string& source() const { return source_; }

 private:
  const json& obj_;
  const std::string& source_;
  std::string prefix_;
};

json parse_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(source, ": invalid JSON: ", e.what());
  }
  if (!j.is_object())
    fail(source, ": expected a JSON object at the top level, got ", j.type_name());
  return j;
}

int64_t positive_int(const Fields& f, const std::string& key) {
  int64_t v = f.req_int(key);
  if (v <= 0) f.invalid(key, cat("must be > 0, got ", v));
  return v;
}

const ArchInfo& parse_architecture(const Fields& f) {
  std::string name;
  if (const json* archs = f.get("architectures")) {
    if (!archs->is_array()) f.wrong_type("architectures", "a list of strings");
    if (!archs->empty()) {
      if (!(*archs)[0].is_string()) f.wrong_type("architectures", "a list of strings");
      name = (*archs)[0].get<std::string>();
    }
  }
  if (name.empty())
    fail(f.source(), ": no architecture given ('architectures' is missing or empty); supported: ",
         supported_architectures());
  for (const ArchInfo& a : kArchs)
    if (name == a.name) return a;
  fail(f.source(), ": architecture '", name,
       "' is not supported; supported: ", supported_architectures());
}

// GPT-NeoX configs before transformers 5 spell rope_theta "rotary_emb_base" and the rotary
// fraction "rotary_pct" (default 0.25); `neox` reads those spellings too.
void parse_rope(const Fields& top, bool neox, ModelConfig& c) {
  // Old files: "rope_theta" plus an optional "rope_scaling" dict. transformers 5 writes one
  // "rope_parameters" dict holding rope_theta too. Like transformers, a non-empty rope_scaling
  // wins over rope_parameters.
  const json* scaling = top.opt_object("rope_scaling");
  const json* params = top.opt_object("rope_parameters");
  const bool use_scaling = scaling && !scaling->empty();
  const json* chosen = use_scaling ? scaling : params;
  const std::string key = use_scaling ? "rope_scaling" : "rope_parameters";
  static const json kEmpty = json::object();
  const Fields r(chosen ? *chosen : kEmpty, top.source(), key + ".");

  for (const char* layer_type : {"full_attention", "sliding_attention"})
    if (const json* v = r.get(layer_type); v && v->is_object())
      fail(top.source(), ": per-layer-type '", key, "' is not supported");

  std::optional<double> theta = r.opt_double("rope_theta");
  if (!theta) theta = top.opt_double("rope_theta");
  if (!theta && use_scaling && params)
    theta = Fields(*params, top.source(), "rope_parameters.").opt_double("rope_theta");
  if (!theta && neox) theta = top.opt_double("rotary_emb_base");
  c.rope.theta = theta.value_or(10000.0);
  if (!(c.rope.theta > 0)) fail(top.source(), ": rope_theta must be > 0, got ", c.rope.theta);

  std::optional<double> partial = r.opt_double("partial_rotary_factor");
  if (!partial) partial = top.opt_double("partial_rotary_factor");
  if (!partial && neox) partial = top.opt_double("rotary_pct").value_or(kDefaultNeoXRotaryPct);
  c.rope.partial_rotary_factor = partial.value_or(1.0);
  if (!(c.rope.partial_rotary_factor > 0 && c.rope.partial_rotary_factor <= 1))
    fail(top.source(), ": partial_rotary_factor must be in (0, 1], got ",
         c.rope.partial_rotary_factor);
  // transformers rotates int(head_dim * factor) dims in pairs; an odd count has no partner.
  const int64_t rot = int64_t(double(c.head_dim) * c.rope.partial_rotary_factor);
  if (rot < 2 || rot % 2 != 0)
    fail(top.source(), ": head_dim ", c.head_dim, " x partial_rotary_factor ",
         c.rope.partial_rotary_factor, " gives ", rot, " rotary dims; need an even number >= 2");

  std::optional<std::string> type = r.opt_string("rope_type");
  if (!type) type = r.opt_string("type");
  const std::string t = type.value_or("default");

  auto required = [&](const char* field) {
    std::optional<double> v = r.opt_double(field);
    if (!v) fail(top.source(), ": rope type '", t, "' needs '", r.path(field), "'");
    if (!(*v > 0)) r.invalid(field, cat("must be > 0, got ", *v));
    return *v;
  };
  auto original_max = [&](bool need) {
    std::optional<int64_t> v = r.opt_int("original_max_position_embeddings");
    if (!v && need)
      fail(top.source(), ": rope type '", t, "' needs '",
           r.path("original_max_position_embeddings"), "'");
    int64_t m = v.value_or(c.max_position_embeddings);
    if (m <= 0) r.invalid("original_max_position_embeddings", cat("must be > 0, got ", m));
    return m;
  };

  if (t == "default") {
    c.rope.type = RopeType::Default;
  } else if (t == "linear") {
    c.rope.type = RopeType::Linear;
    c.rope.factor = required("factor");
  } else if (t == "dynamic") {
    c.rope.type = RopeType::Dynamic;
    c.rope.factor = required("factor");
    c.rope.original_max_position_embeddings = original_max(false);
  } else if (t == "llama3") {
    c.rope.type = RopeType::Llama3;
    c.rope.factor = required("factor");
    c.rope.low_freq_factor = required("low_freq_factor");
    c.rope.high_freq_factor = required("high_freq_factor");
    c.rope.original_max_position_embeddings = original_max(true);
    // The llama3 ramp divides by (high - low).
    if (!(c.rope.high_freq_factor > c.rope.low_freq_factor))
      fail(top.source(), ": rope type 'llama3' needs high_freq_factor > low_freq_factor, got ",
           c.rope.high_freq_factor, " and ", c.rope.low_freq_factor);
  } else {
    fail(top.source(), ": rope type '", t,
         "' is not supported; supported: default, linear, dynamic, llama3");
  }
}

// transformers reads a window only for use_sliding_window, and then defaults a missing one.
std::optional<int64_t> window_value(const Fields& f, bool enabled) {
  std::optional<int64_t> w = f.opt_int("sliding_window");
  if (!enabled) return std::nullopt;
  if (!f.present("sliding_window")) return kDefaultSlidingWindow;
  if (w && *w <= 0) f.invalid("sliding_window", cat("must be > 0, got ", *w));
  return w;
}

void parse_sliding(const Fields& f, Arch arch, ModelConfig& c) {
  c.layer_sliding.assign(size_t(c.num_layers), false);
  std::optional<int64_t> window;

  if (arch == Arch::Mistral) {
    // MistralConfig: every layer slides when sliding_window is an int; null turns it off.
    window = window_value(f, true);
    if (window) c.layer_sliding.assign(size_t(c.num_layers), true);
  } else if (arch == Arch::Qwen2) {
    window = window_value(f, f.opt_bool("use_sliding_window").value_or(false));
    if (const json* types = f.get("layer_types")) {
      if (!types->is_array()) f.wrong_type("layer_types", "a list of strings");
      if (int64_t(types->size()) != c.num_layers)
        f.invalid("layer_types",
                  cat("has ", types->size(), " entries but num_hidden_layers is ", c.num_layers));
      for (size_t i = 0; i < types->size(); ++i) {
        const json& v = (*types)[i];
        if (v.is_string() && v == "sliding_attention") {
          c.layer_sliding[i] = true;
        } else if (!(v.is_string() && v == "full_attention")) {
          f.invalid("layer_types",
                    cat("entry ", i, " must be \"full_attention\" or \"sliding_attention\", got ",
                        brief(v)));
        }
        // transformers would fail building the sliding mask for this layer.
        if (c.layer_sliding[i] && !window)
          f.invalid("layer_types", cat("marks layer ", i,
                                       " sliding_attention but no window is set "
                                       "(use_sliding_window is false or sliding_window is null)"));
      }
    } else if (window) {
      std::optional<int64_t> first = f.opt_int("max_window_layers");
      int64_t from = first.value_or(kDefaultQwen2MaxWindowLayers);
      if (from < 0) f.invalid("max_window_layers", cat("must be >= 0, got ", from));
      for (int64_t i = from; i < c.num_layers; ++i) c.layer_sliding[size_t(i)] = true;
    }
  }
  // LlamaConfig has no sliding window; its layer_types never mark a layer sliding.

  if (std::find(c.layer_sliding.begin(), c.layer_sliding.end(), true) != c.layer_sliding.end())
    c.sliding_window = window;
}

DType parse_dtype_field(const Fields& f) {
  const char* key = f.get("dtype") ? "dtype" : "torch_dtype";
  std::optional<std::string> s = f.opt_string(key);
  // Informational (each tensor carries its own dtype): an unfamiliar name is not an error.
  if (s && *s == "float16") return DType::F16;
  if (s && *s == "bfloat16") return DType::BF16;
  return DType::F32;
}

void parse_generation(const std::string& text, const std::string& source, ModelConfig& c) {
  if (text.empty()) return;
  const json j = parse_json(text, source);
  const Fields f(j, source);
  GenerationDefaults& g = c.generation;

  g.do_sample = f.opt_bool("do_sample").value_or(g.do_sample);
  g.temperature = f.opt_double("temperature").value_or(g.temperature);
  if (g.temperature < 0) f.invalid("temperature", cat("must be >= 0, got ", g.temperature));
  g.top_k = f.opt_int("top_k").value_or(g.top_k);
  if (g.top_k < 0) f.invalid("top_k", cat("must be >= 0, got ", g.top_k));
  g.top_p = f.opt_double("top_p").value_or(g.top_p);
  if (!(g.top_p >= 0 && g.top_p <= 1)) f.invalid("top_p", cat("must be in [0, 1], got ", g.top_p));
  g.repetition_penalty = f.opt_double("repetition_penalty").value_or(g.repetition_penalty);
  if (!(g.repetition_penalty > 0))
    f.invalid("repetition_penalty", cat("must be > 0, got ", g.repetition_penalty));
  if (std::optional<int64_t> n = f.opt_int("max_new_tokens")) {
    if (*n <= 0) f.invalid("max_new_tokens", cat("must be > 0, got ", *n));
    g.max_new_tokens = n;
  }
  // A null here leaves config.json's ids in place rather than removing every stop token.
  if (auto ids = f.opt_token_ids("bos_token_id")) c.bos_token_ids = *ids;
  if (auto ids = f.opt_token_ids("eos_token_id")) c.eos_token_ids = *ids;
}

ModelConfig parse(const std::string& config_json, const std::string& config_source,
                  const std::string& generation_json, const std::string& generation_source) {
  const json j = parse_json(config_json, config_source);
  const Fields f(j, config_source);
  ModelConfig c;

  const ArchInfo& arch = parse_architecture(f);
  c.architecture = arch.name;
  c.model_type = f.opt_string("model_type").value_or(arch.model_type);
  const bool neox = arch.arch == Arch::GptNeoX;
  c.family = arch.arch == Arch::Qwen2 ? Family::Qwen2 : neox ? Family::GptNeoX : Family::Llama;

  c.vocab_size = positive_int(f, "vocab_size");
  c.hidden_size = positive_int(f, "hidden_size");
  c.intermediate_size = positive_int(f, "intermediate_size");
  c.num_layers = positive_int(f, "num_hidden_layers");
  c.num_heads = positive_int(f, "num_attention_heads");

  c.num_kv_heads = f.opt_int("num_key_value_heads").value_or(c.num_heads);
  if (c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    fail(config_source, ": num_key_value_heads (", c.num_kv_heads,
         ") must be > 0 and divide num_attention_heads (", c.num_heads, ")");

  if (std::optional<int64_t> hd = f.opt_int("head_dim")) {
    if (*hd <= 0) f.invalid("head_dim", cat("must be > 0, got ", *hd));
    c.head_dim = *hd;
  } else {
    if (c.hidden_size % c.num_heads != 0)
      fail(config_source, ": hidden_size (", c.hidden_size,
           ") is not divisible by num_attention_heads (", c.num_heads,
           ") and no head_dim is given");
    c.head_dim = c.hidden_size / c.num_heads;
  }

  // Absent: the transformers config class's own default.
  const int64_t default_context = arch.arch == Arch::Qwen2 ? 32768 : arch.arch == Arch::Mistral ? 131072 : 2048;
  c.max_position_embeddings = f.opt_int("max_position_embeddings").value_or(default_context);
  if (c.max_position_embeddings <= 0)
    f.invalid("max_position_embeddings", cat("must be > 0, got ", c.max_position_embeddings));
  const char* eps_key = neox ? "layer_norm_eps" : "rms_norm_eps";
  c.rms_norm_eps = f.opt_double(eps_key).value_or(neox ? kDefaultNeoXLayerNormEps : 1e-6);
  if (!(c.rms_norm_eps > 0)) f.invalid(eps_key, cat("must be > 0, got ", c.rms_norm_eps));

  // transformers maps "gelu" to the exact erf GELU; the tanh and sigmoid approximations
  // ("gelu_new", "gelu_fast", ...) would each need their own kernel.
  const char* act = neox ? "gelu" : "silu";
  c.hidden_act = f.opt_string("hidden_act").value_or(act);
  if (c.hidden_act != act)
    fail(config_source, ": hidden_act '", c.hidden_act, "' is not supported for ", arch.name, "; only '", act,
         "' is");
  c.activation = neox ? Activation::Gelu : Activation::Silu;
  c.norm = neox ? NormType::LayerNorm : NormType::RMSNorm;
  c.gated_mlp = !neox;
  // GPTNeoXConfig defaults use_parallel_residual to true.
  c.parallel_residual = neox && f.opt_bool("use_parallel_residual").value_or(true);

  parse_rope(f, neox, c);

  c.tie_word_embeddings = f.opt_bool("tie_word_embeddings").value_or(false);
  if (neox) {
    // GPTNeoXConfig.attention_bias (default true) covers query_key_value and dense; the MLP's
    // two linears always have biases.
    c.qkv_bias = c.o_bias = f.opt_bool("attention_bias").value_or(true);
    c.mlp_bias = true;
  } else if (arch.arch == Arch::Qwen2) {
    c.qkv_bias = true;
    c.o_bias = false;
    c.mlp_bias = false;
  } else {
    // MistralConfig has neither attention_bias nor mlp_bias: its projections never have biases.
    const bool llama = arch.arch == Arch::Llama;
    c.qkv_bias = c.o_bias = llama && f.opt_bool("attention_bias").value_or(false);
    c.mlp_bias = llama && f.opt_bool("mlp_bias").value_or(false);
  }

  parse_sliding(f, arch.arch, c);

  c.bos_token_ids = f.opt_token_ids("bos_token_id").value_or(std::vector<int64_t>{});
  c.eos_token_ids = f.opt_token_ids("eos_token_id").value_or(std::vector<int64_t>{});
  c.pad_token_id = f.opt_int("pad_token_id");
  c.dtype = parse_dtype_field(f);

  parse_generation(generation_json, generation_source, c);
  return c;
}


}  // namespace

int64_t ModelConfig::num_parameters() const {
  const int64_t d = hidden_size;
  const int64_t q = num_heads * head_dim;
  const int64_t kv = num_kv_heads * head_dim;
  const int64_t attention =
      d * q + 2 * d * kv + q * d + (qkv_bias ? q + 2 * kv : 0) + (o_bias ? d : 0);
  const int64_t mlp_in = gated_mlp ? 2 : 1;
  const int64_t mlp = (mlp_in + 1) * d * intermediate_size + (mlp_bias ? mlp_in * intermediate_size + d : 0);
  const int64_t norm_params = norm == NormType::LayerNorm ? 2 * d : d;  // weight (+ bias)
  const int64_t norms = 2 * norm_params;
  const int64_t embeddings = vocab_size * d;
  return embeddings + num_layers * (attention + mlp + norms) + norm_params +
         (tie_word_embeddings ? 0 : embeddings);
}

ModelConfig parse_model_config(const std::string& config_json, const std::string& generation_json,
                               const std::string& source) {
  return parse(config_json, source, generation_json, source + " (generation config)");
}

ModelConfig load_model_config(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path config_path = fs::path(dir) / "config.json";
  const fs::path generation_path = fs::path(dir) / "generation_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(config_path, ec)) fail(config_path.string(), ": not found");
  const std::string config = read_text_file(config_path);
  const std::string generation =
      fs::is_regular_file(generation_path, ec) ? read_text_file(generation_path) : "";
  return parse(config, config_path.string(), generation, generation_path.string());
}

std::string supported_architectures() {
  std::string s;
  for (const ArchInfo& a : kArchs) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

}  // namespace sunbae::io
