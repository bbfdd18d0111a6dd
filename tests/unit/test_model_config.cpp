#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/shapes.h"
#include "core/error.h"
#include "io/model_config.h"

namespace {

using nlohmann::json;
using sunbae::io::Family;
using sunbae::io::ModelConfig;
using sunbae::io::RopeType;

json llama() {
  return {{"architectures", json::array({"LlamaForCausalLM"})},
          {"vocab_size", 1000},
          {"hidden_size", 64},
          {"intermediate_size", 128},
          {"num_hidden_layers", 4},
          {"num_attention_heads", 8}};
}

json with_arch(json j, const char* arch) {
  j["architectures"] = json::array({arch});
  return j;
}

ModelConfig parse(const json& config, const json& generation = nullptr) {
  return sunbae::io::parse_model_config(
      config.dump(), generation.is_null() ? "" : generation.dump(), "test-config");
}

// The message of the Error that parsing throws; fails the test when nothing (or something else) is
// thrown.
std::string error_of_text(const std::string& config, const std::string& generation = "") {
  try {
    sunbae::io::parse_model_config(config, generation, "test-config");
  } catch (const sunbae::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a sunbae::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error for " << config;
  return "";
}
std::string error_of(const json& config) { return error_of_text(config.dump()); }

#define EXPECT_CONTAINS(haystack, needle)                                                 \
  do {                                                                                    \
    const std::string h_ = (haystack);                                                    \
    EXPECT_NE(h_.find(needle), std::string::npos) << "'" << needle << "' not in: " << h_; \
  } while (0)

std::vector<bool> sliding(std::initializer_list<int> on, int n) {
  std::vector<bool> v(size_t(n), false);
  for (int i : on) v[size_t(i)] = true;
  return v;
}

// A scratch directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("sunbae_cfg_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

TEST(ModelConfig, ParsesMinimalLlamaWithDefaults) {
  ModelConfig c = parse(llama());
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.family, Family::Llama);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.num_layers, 4);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.rope.theta, 10000.0);
  EXPECT_DOUBLE_EQ(c.rope.partial_rotary_factor, 1.0);
  EXPECT_EQ(c.hidden_act, "silu");
  EXPECT_FALSE(c.sliding_window.has_value());
  EXPECT_EQ(c.layer_sliding, std::vector<bool>(4, false));
  EXPECT_TRUE(c.bos_token_ids.empty());
  EXPECT_FALSE(c.pad_token_id.has_value());
}

TEST(ModelConfig, OldAndNewRopeKeysGiveTheSameConfig) {
  json old_style = llama();
  old_style["rope_theta"] = 500000.0;
  old_style["rope_scaling"] = {{"rope_type", "llama3"},
                               {"factor", 8.0},
                               {"low_freq_factor", 1.0},
                               {"high_freq_factor", 4.0},
                               {"original_max_position_embeddings", 8192}};
  old_style["torch_dtype"] = "bfloat16";

  json new_style = llama();
  new_style["rope_parameters"] = {
      {"rope_type", "llama3"},   {"rope_theta", 500000.0},
      {"factor", 8.0},           {"low_freq_factor", 1.0},
      {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  new_style["dtype"] = "bfloat16";

  ModelConfig a = parse(old_style), b = parse(new_style);
  EXPECT_EQ(a.rope.type, RopeType::Llama3);
  EXPECT_EQ(b.rope.type, a.rope.type);
  EXPECT_DOUBLE_EQ(b.rope.theta, a.rope.theta);
  EXPECT_DOUBLE_EQ(a.rope.theta, 500000.0);
  EXPECT_DOUBLE_EQ(b.rope.factor, a.rope.factor);
  EXPECT_DOUBLE_EQ(b.rope.low_freq_factor, a.rope.low_freq_factor);
  EXPECT_DOUBLE_EQ(b.rope.high_freq_factor, a.rope.high_freq_factor);
  EXPECT_EQ(b.rope.original_max_position_embeddings, a.rope.original_max_position_embeddings);
  EXPECT_EQ(b.dtype, a.dtype);
  EXPECT_EQ(b.num_parameters(), a.num_parameters());
}

TEST(ModelConfig, RopeParametersWithOnlyThetaIsDefault) {
  json j = llama();
  j["rope_parameters"] = {{"rope_theta", 1e6}, {"rope_type", "default"}};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.rope.theta, 1e6);
}

TEST(ModelConfig, RopeScalingNullIsDefault) {
  json j = llama();
  j["rope_scaling"] = nullptr;
  j["rope_theta"] = 250000;
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope.type, RopeType::Default);
  EXPECT_DOUBLE_EQ(c.rope.theta, 250000.0);
}

TEST(ModelConfig, LinearRope) {
  json j = llama();
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope.type, RopeType::Linear);
  EXPECT_DOUBLE_EQ(c.rope.factor, 4.0);
}

TEST(ModelConfig, DynamicRopeDefaultsOriginalMaxToMaxPositions) {
  json j = llama();
  j["max_position_embeddings"] = 4096;
  j["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2}};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope.type, RopeType::Dynamic);
  EXPECT_DOUBLE_EQ(c.rope.factor, 2.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 4096);

  j["rope_scaling"]["original_max_position_embeddings"] = 1024;
  EXPECT_EQ(parse(j).rope.original_max_position_embeddings, 1024);
}

TEST(ModelConfig, Llama3Rope) {
  json j = llama();
  j["rope_parameters"] = {{"rope_type", "llama3"},
                          {"factor", 32.0},
                          {"low_freq_factor", 1.0},
                          {"high_freq_factor", 4.0},
                          {"original_max_position_embeddings", 8192},
                          {"rope_theta", 500000.0}};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.rope.type, RopeType::Llama3);
  EXPECT_DOUBLE_EQ(c.rope.factor, 32.0);
  EXPECT_DOUBLE_EQ(c.rope.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(c.rope.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 8192);
}

TEST(ModelConfig, Llama3RopeMissingFieldIsAnError) {
  json j = llama();
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8192}};
  std::string msg = error_of(j);
  EXPECT_CONTAINS(msg, "test-config");
  EXPECT_CONTAINS(msg, "llama3");
  EXPECT_CONTAINS(msg, "rope_scaling.low_freq_factor");

  j["rope_scaling"]["low_freq_factor"] = 1.0;
  j["rope_scaling"].erase("original_max_position_embeddings");
  EXPECT_CONTAINS(error_of(j), "original_max_position_embeddings");
}

TEST(ModelConfig, UnknownRopeTypeIsAnError) {
  json j = llama();
  j["rope_scaling"] = {
      {"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  std::string msg = error_of(j);
  EXPECT_CONTAINS(msg, "test-config");
  EXPECT_CONTAINS(msg, "'yarn' is not supported");

  j = llama();
  j["rope_parameters"] = {{"rope_type", "longrope"}};
  EXPECT_CONTAINS(error_of(j), "'longrope'");
}

TEST(ModelConfig, PartialRotaryFactorFromTopLevelOrRopeParameters) {
  json j = llama();
  j["partial_rotary_factor"] = 0.5;
  EXPECT_DOUBLE_EQ(parse(j).rope.partial_rotary_factor, 0.5);

  j = llama();
  j["rope_parameters"] = {{"rope_type", "default"}, {"partial_rotary_factor", 0.25}};
  EXPECT_DOUBLE_EQ(parse(j).rope.partial_rotary_factor, 0.25);

  j["rope_parameters"]["partial_rotary_factor"] = 1.5;
  EXPECT_CONTAINS(error_of(j), "partial_rotary_factor");
}

TEST(ModelConfig, HeadDimExplicitOrDerived) {
  ModelConfig derived = parse(llama());
  EXPECT_EQ(derived.head_dim, 8);

  json j = llama();
  j["head_dim"] = 32;
  EXPECT_EQ(parse(j).head_dim, 32);

  j["head_dim"] = nullptr;
  EXPECT_EQ(parse(j).head_dim, 8);

  j = llama();
  j["hidden_size"] = 60;
  EXPECT_CONTAINS(error_of(j), "not divisible");
  j["head_dim"] = 16;  // an explicit head_dim needs no divisibility
  EXPECT_EQ(parse(j).head_dim, 16);
}

TEST(ModelConfig, KvHeadsDefaultToAttentionHeads) {
  EXPECT_EQ(parse(llama()).num_kv_heads, 8);

  json j = llama();
  j["num_key_value_heads"] = 2;
  EXPECT_EQ(parse(j).num_kv_heads, 2);
}

TEST(ModelConfig, KvHeadsMustDivideAttentionHeads) {
  json j = llama();
  j["num_key_value_heads"] = 3;
  std::string msg = error_of(j);
  EXPECT_CONTAINS(msg, "num_key_value_heads");
  EXPECT_CONTAINS(msg, "(3)");

  j["num_key_value_heads"] = 0;
  EXPECT_CONTAINS(error_of(j), "num_key_value_heads");
}

TEST(ModelConfig, RequiredFieldsMustBePresentAndPositive) {
  for (const char* key : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads"}) {
    json j = llama();
    j.erase(key);
    EXPECT_CONTAINS(error_of(j), std::string("'") + key + "' is missing");
    j[key] = 0;
    EXPECT_CONTAINS(error_of(j), "must be > 0");
  }
}

TEST(ModelConfig, TiedEmbeddingsDefaultFalseAndExplicit) {
  for (const char* arch : {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"}) {
    json j = with_arch(llama(), arch);
    ModelConfig untied = parse(j);
    EXPECT_FALSE(untied.tie_word_embeddings) << arch;
    j["tie_word_embeddings"] = true;
    ModelConfig tied = parse(j);
    EXPECT_TRUE(tied.tie_word_embeddings) << arch;
    EXPECT_EQ(untied.num_parameters() - tied.num_parameters(), 1000 * 64) << arch;
  }
}

TEST(ModelConfig, LlamaBiasesFollowAttentionAndMlpBias) {
  json j = llama();
  ModelConfig none = parse(j);
  EXPECT_FALSE(none.qkv_bias || none.o_bias || none.mlp_bias);

  j["attention_bias"] = true;
  j["mlp_bias"] = true;
  ModelConfig both = parse(j);
  EXPECT_TRUE(both.qkv_bias);
  EXPECT_TRUE(both.o_bias);
  EXPECT_TRUE(both.mlp_bias);
  // q,k,v,o biases: 64 each (no GQA here) per layer; mlp: 128 + 128 + 64 per layer.
  EXPECT_EQ(both.num_parameters() - none.num_parameters(), 4 * (4 * 64 + 2 * 128 + 64));
}

TEST(ModelConfig, Qwen2HasQkvBiasOnly) {
  json j = with_arch(llama(), "Qwen2ForCausalLM");
  j["attention_bias"] = false;
  j["mlp_bias"] = true;  // not Qwen2 keys: ignored
  ModelConfig c = parse(j);
  EXPECT_EQ(c.family, Family::Qwen2);
  EXPECT_EQ(c.model_type, "qwen2");
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias);
  EXPECT_FALSE(c.mlp_bias);
}

TEST(ModelConfig, MistralSlidingWindowNullIntOrAbsent) {
  json j = with_arch(llama(), "MistralForCausalLM");
  j["sliding_window"] = nullptr;
  ModelConfig off = parse(j);
  EXPECT_EQ(off.family, Family::Llama);
  EXPECT_FALSE(off.sliding_window.has_value());
  EXPECT_EQ(off.layer_sliding, std::vector<bool>(4, false));

  j["sliding_window"] = 4096;
  ModelConfig on = parse(j);
  EXPECT_EQ(on.sliding_window, 4096);
  EXPECT_EQ(on.layer_sliding, std::vector<bool>(4, true));

  j.erase("sliding_window");  // MistralConfig's default
  EXPECT_EQ(parse(j).sliding_window, 4096);

  j["sliding_window"] = "4096";
  EXPECT_CONTAINS(error_of(j), "'sliding_window' must be an integer");
}

TEST(ModelConfig, Qwen2LayerTypes) {
  json j = with_arch(llama(), "Qwen2ForCausalLM");
  j["use_sliding_window"] = true;
  j["sliding_window"] = 512;
  j["layer_types"] = {"full_attention", "sliding_attention", "full_attention", "sliding_attention"};
  ModelConfig c = parse(j);
  EXPECT_EQ(c.sliding_window, 512);
  EXPECT_EQ(c.layer_sliding, sliding({1, 3}, 4));

  j["layer_types"] = {"full_attention", "full_attention", "full_attention", "full_attention"};
  ModelConfig none = parse(j);
  EXPECT_FALSE(none.sliding_window.has_value());
  EXPECT_EQ(none.layer_sliding, std::vector<bool>(4, false));

  j["layer_types"] = {"full_attention", "sliding_attention"};
  EXPECT_CONTAINS(error_of(j), "layer_types");

  j["layer_types"] = {"full_attention", "chunked_attention", "full_attention", "full_attention"};
  EXPECT_CONTAINS(error_of(j), "chunked_attention");

  // transformers drops the window unless use_sliding_window; a sliding layer then has none.
  j["layer_types"] = {"full_attention", "sliding_attention", "full_attention", "full_attention"};
  j["use_sliding_window"] = false;
  EXPECT_CONTAINS(error_of(j), "no window");
}

TEST(ModelConfig, Qwen2UseSlidingWindowAndMaxWindowLayers) {
  json j = with_arch(llama(), "Qwen2ForCausalLM");
  j["sliding_window"] = 131072;
  j["max_window_layers"] = 2;
  j["use_sliding_window"] = false;
  ModelConfig off = parse(j);
  EXPECT_FALSE(off.sliding_window.has_value());
  EXPECT_EQ(off.layer_sliding, std::vector<bool>(4, false));

  j["use_sliding_window"] = true;
  ModelConfig on = parse(j);
  EXPECT_EQ(on.sliding_window, 131072);
  EXPECT_EQ(on.layer_sliding, sliding({2, 3}, 4));

  // Qwen2Config's default max_window_layers is 28: no layer of 4 reaches it.
  j.erase("max_window_layers");
  ModelConfig beyond = parse(j);
  EXPECT_FALSE(beyond.sliding_window.has_value());
  EXPECT_EQ(beyond.layer_sliding, std::vector<bool>(4, false));
}

TEST(ModelConfig, LlamaNeverSlides) {
  json j = llama();
  j["sliding_window"] = 1024;
  j["use_sliding_window"] = true;
  j["layer_types"] = {"sliding_attention", "sliding_attention", "sliding_attention",
                      "sliding_attention"};
  ModelConfig c = parse(j);
  EXPECT_FALSE(c.sliding_window.has_value());
  EXPECT_EQ(c.layer_sliding, std::vector<bool>(4, false));
}

TEST(ModelConfig, TokenIdsIntListOrNull) {
  json j = llama();
  j["bos_token_id"] = 1;
  j["eos_token_id"] = json::array({2, 32000});
  j["pad_token_id"] = 0;
  ModelConfig c = parse(j);
  EXPECT_EQ(c.bos_token_ids, std::vector<int64_t>{1});
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2, 32000}));
  EXPECT_EQ(c.pad_token_id, 0);

  j["bos_token_id"] = nullptr;
  j["eos_token_id"] = nullptr;
  j["pad_token_id"] = nullptr;
  ModelConfig none = parse(j);
  EXPECT_TRUE(none.bos_token_ids.empty());
  EXPECT_TRUE(none.eos_token_ids.empty());
  EXPECT_FALSE(none.pad_token_id.has_value());

  j["eos_token_id"] = json::array({2, "x"});
  EXPECT_CONTAINS(error_of(j), "eos_token_id");
}

TEST(ModelConfig, GenerationConfigOverridesTokenIdsAndSetsSampling) {
  json j = llama();
  j["bos_token_id"] = 1;
  j["eos_token_id"] = 2;
  json g = {{"bos_token_id", 128000},
            {"eos_token_id", json::array({128001, 128009})},
            {"do_sample", true},
            {"temperature", 0.6},
            {"top_k", 20},
            {"top_p", 0.9},
            {"max_new_tokens", 256},
            {"repetition_penalty", 1.05}};
  ModelConfig c = parse(j, g);
  EXPECT_EQ(c.bos_token_ids, std::vector<int64_t>{128000});
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128009}));
  EXPECT_TRUE(c.generation.do_sample);
  EXPECT_DOUBLE_EQ(c.generation.temperature, 0.6);
  EXPECT_EQ(c.generation.top_k, 20);
  EXPECT_DOUBLE_EQ(c.generation.top_p, 0.9);
  EXPECT_EQ(c.generation.max_new_tokens, 256);
  EXPECT_DOUBLE_EQ(c.generation.repetition_penalty, 1.05);

  // Absent (or null) generation values leave config.json's and the defaults in place.
  ModelConfig plain = parse(j, json{{"eos_token_id", nullptr}});
  EXPECT_EQ(plain.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_EQ(plain.bos_token_ids, std::vector<int64_t>{1});
  EXPECT_FALSE(plain.generation.do_sample);
  EXPECT_EQ(plain.generation.top_k, 50);
  EXPECT_FALSE(plain.generation.max_new_tokens.has_value());
}

TEST(ModelConfig, GenerationConfigErrorsNameTheGenerationSource) {
  std::string msg = error_of_text(llama().dump(), R"({"top_k": "many"})");
  EXPECT_CONTAINS(msg, "generation");
  EXPECT_CONTAINS(msg, "top_k");
  EXPECT_CONTAINS(error_of_text(llama().dump(), R"({"top_p": 1.5})"), "top_p");
  EXPECT_CONTAINS(error_of_text(llama().dump(), "{oops"), "generation");
}

TEST(ModelConfig, DtypeKeys) {
  json j = llama();
  EXPECT_EQ(parse(j).dtype, sunbae::DType::F32);
  j["torch_dtype"] = "float16";
  EXPECT_EQ(parse(j).dtype, sunbae::DType::F16);
  j["torch_dtype"] = "bfloat16";
  EXPECT_EQ(parse(j).dtype, sunbae::DType::BF16);
  j["dtype"] = "float32";  // transformers 5's key wins
  EXPECT_EQ(parse(j).dtype, sunbae::DType::F32);
  j.erase("torch_dtype");
  // Informational only (tensors carry their own dtypes): an unfamiliar name does not fail a load.
  j["dtype"] = "float8_e4m3fn";
  EXPECT_EQ(parse(j).dtype, sunbae::DType::F32);
}

TEST(ModelConfig, OddRotaryDimsAreRejected) {
  json j = llama();
  j["head_dim"] = 10;
  j["partial_rotary_factor"] = 0.5;  // 5 rotary dims: no partner for the last one
  EXPECT_CONTAINS(error_of(j), "gives 5 rotary dims");
}

TEST(ModelConfig, MistralIgnoresBiasFlagsAndDefaultsContextLikeTransformers) {
  json j = with_arch(llama(), "MistralForCausalLM");
  j["attention_bias"] = true;
  j["mlp_bias"] = true;
  j.erase("max_position_embeddings");
  const auto c = parse(j);
  EXPECT_FALSE(c.qkv_bias || c.o_bias || c.mlp_bias);
  EXPECT_EQ(c.max_position_embeddings, 131072);
}

json neox() {
  return {{"architectures", json::array({"GPTNeoXForCausalLM"})},
          {"vocab_size", 1000},
          {"hidden_size", 64},
          {"intermediate_size", 256},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4}};
}

// GPTNeoXConfig's defaults: LayerNorm eps 1e-5, rotary_pct 0.25, base 10000, parallel residual,
// attention biases on, exact GELU.
TEST(ModelConfig, GptNeoXDefaults) {
  const auto c = parse(neox());
  EXPECT_EQ(c.family, Family::GptNeoX);
  EXPECT_EQ(c.model_type, "gpt_neox");
  EXPECT_EQ(c.norm, sunbae::io::NormType::LayerNorm);
  EXPECT_EQ(c.activation, sunbae::io::Activation::Gelu);
  EXPECT_FALSE(c.gated_mlp);
  EXPECT_TRUE(c.parallel_residual);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope.partial_rotary_factor, 0.25);
  EXPECT_DOUBLE_EQ(c.rope.theta, 10000.0);
  EXPECT_TRUE(c.qkv_bias && c.o_bias && c.mlp_bias);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_FALSE(c.sliding_window.has_value());
  // Llama keeps its own block.
  const auto l = parse(llama());
  EXPECT_EQ(l.norm, sunbae::io::NormType::RMSNorm);
  EXPECT_TRUE(l.gated_mlp);
  EXPECT_FALSE(l.parallel_residual);
}

// Checkpoints on the Hub (Polyglot-Ko, KoAlpaca) use the pre-5.x spelling; transformers 5 writes
// rope_parameters. Both describe the same rotation.
TEST(ModelConfig, GptNeoXOldAndNewRopeSpellings) {
  json old = neox();
  old["rotary_pct"] = 0.5;
  old["rotary_emb_base"] = 20000;
  old["layer_norm_eps"] = 1e-3;
  old["use_parallel_residual"] = false;
  old["attention_bias"] = false;
  json now = neox();
  now["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 20000}, {"partial_rotary_factor", 0.5}};
  for (const json& j : {old, now}) {
    const auto c = parse(j);
    EXPECT_DOUBLE_EQ(c.rope.partial_rotary_factor, 0.5);
    EXPECT_DOUBLE_EQ(c.rope.theta, 20000.0);
  }
  const auto c = parse(old);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-3);
  EXPECT_FALSE(c.parallel_residual);
  EXPECT_FALSE(c.qkv_bias || c.o_bias);
  EXPECT_TRUE(c.mlp_bias);
  // Llama ignores the NeoX spellings (its config class has no such keys).
  json l = llama();
  l["rotary_pct"] = 0.5;
  EXPECT_DOUBLE_EQ(parse(l).rope.partial_rotary_factor, 1.0);
}

TEST(ModelConfig, GptNeoXActivationMustBeExactGelu) {
  json j = neox();
  j["hidden_act"] = "gelu_new";
  EXPECT_CONTAINS(error_of(j), "hidden_act 'gelu_new' is not supported for GPTNeoXForCausalLM; only 'gelu' is");
  j["hidden_act"] = "gelu";
  EXPECT_NO_THROW(parse(j));
  EXPECT_CONTAINS(error_of(with_arch(j, "LlamaForCausalLM")), "only 'silu' is");
  j["layer_norm_eps"] = 0;
  EXPECT_CONTAINS(error_of(j), "'layer_norm_eps' must be > 0");
}

TEST(ModelConfig, UnknownArchitectureListsSupported) {
  json j = with_arch(llama(), "GemmaForCausalLM");
  std::string msg = error_of(j);
  EXPECT_CONTAINS(msg,
                  "test-config: architecture 'GemmaForCausalLM' is not supported; supported: "
                  "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPTNeoXForCausalLM");
  EXPECT_EQ(sunbae::io::supported_architectures(),
            "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPTNeoXForCausalLM");

  j.erase("architectures");
  EXPECT_CONTAINS(error_of(j), "supported: LlamaForCausalLM");
  j["architectures"] = json::array();
  EXPECT_CONTAINS(error_of(j), "supported: LlamaForCausalLM");
}

TEST(ModelConfig, HiddenActMustBeSilu) {
  json j = llama();
  j["hidden_act"] = "gelu";
  EXPECT_CONTAINS(error_of(j), "hidden_act 'gelu'");
}

TEST(ModelConfig, WrongTypedFieldNamesSourceAndField) {
  json j = llama();
  j["hidden_size"] = "4096";
  std::string msg = error_of(j);
  EXPECT_CONTAINS(msg, "test-config");
  EXPECT_CONTAINS(msg, "'hidden_size' must be an integer");

  j = llama();
  j["num_hidden_layers"] = 4.5;
  EXPECT_CONTAINS(error_of(j), "'num_hidden_layers' must be an integer");

  j = llama();
  j["tie_word_embeddings"] = "yes";
  EXPECT_CONTAINS(error_of(j), "'tie_word_embeddings' must be true or false");

  j = llama();
  j["rope_scaling"] = {{"type", "linear"}, {"factor", "4"}};
  EXPECT_CONTAINS(error_of(j), "'rope_scaling.factor' must be a number");

  j = llama();
  j["vocab_size"] = 18446744073709551615ull;
  EXPECT_CONTAINS(error_of(j), "out of range");
}

TEST(ModelConfig, InvalidJsonNamesTheSource) {
  EXPECT_CONTAINS(error_of_text("{\"vocab_size\": 10,"), "test-config: invalid JSON");
  EXPECT_CONTAINS(error_of_text("[1, 2]"), "test-config: expected a JSON object");
}

TEST(ModelConfig, LoadFromDirectory) {
  TempDir dir;
  json j = llama();
  j["eos_token_id"] = 2;
  dir.write("config.json", j.dump());
  ModelConfig c = sunbae::io::load_model_config(dir.path.string());
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{2});
  EXPECT_FALSE(c.generation.do_sample);

  dir.write("generation_config.json", R"({"eos_token_id": [2, 7], "do_sample": true})");
  c = sunbae::io::load_model_config(dir.path.string());
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2, 7}));
  EXPECT_TRUE(c.generation.do_sample);

  dir.write("generation_config.json", R"({"top_p": "high"})");
  try {
    sunbae::io::load_model_config(dir.path.string());
    ADD_FAILURE() << "no error";
  } catch (const sunbae::Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), (dir.path / "generation_config.json").string());
  }
}

TEST(ModelConfig, MissingConfigJsonInDirectory) {
  TempDir dir;
  const std::string expected = (dir.path / "config.json").string() + ": not found";
  try {
    sunbae::io::load_model_config(dir.path.string());
    ADD_FAILURE() << "no error";
  } catch (const sunbae::Error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }

  dir.write("config.json", "{not json");
  try {
    sunbae::io::load_model_config(dir.path.string());
    ADD_FAILURE() << "no error";
  } catch (const sunbae::Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), (dir.path / "config.json").string() + ": invalid JSON");
  }
}

TEST(ModelConfig, NumParametersCountsEveryWeight) {
  json j = llama();
  j["num_key_value_heads"] = 2;
  ModelConfig c = parse(j);
  const int64_t d = 64, v = 1000, ff = 128, kv = 2 * 8;
  const int64_t layer = d * d + 2 * d * kv + d * d + 3 * d * ff + 2 * d;
  EXPECT_EQ(c.num_parameters(), v * d + 4 * layer + d + v * d);
}

TEST(NamedShapes, FindShapeListsValidNames) {
  EXPECT_EQ(sunbae::bench::find_shape("llama-3-8b").hf_model,
            "meta-llama/Meta-Llama-3-8B-Instruct");
  try {
    sunbae::bench::find_shape("llama-9b");
    ADD_FAILURE() << "no error";
  } catch (const sunbae::Error& e) {
    std::string msg = e.what();
    EXPECT_CONTAINS(msg, "llama-9b");
    for (const auto& s : sunbae::bench::named_shapes()) EXPECT_CONTAINS(msg, s.name);
  }
}

TEST(NamedShapes, AllAreValidJsonAndTheSupportedOnesParse) {
  const auto& shapes = sunbae::bench::named_shapes();
  EXPECT_EQ(shapes.size(), 8u);
  for (const auto& s : shapes) {
    SCOPED_TRACE(s.name);
    json j = json::parse(s.config_json);  // every shape is well-formed JSON
    EXPECT_TRUE(j.contains("architectures"));
    if (s.supported) {
      EXPECT_NO_THROW(sunbae::io::parse_model_config(s.config_json, "", s.name));
    } else {
      EXPECT_THROW(sunbae::io::parse_model_config(s.config_json, "", s.name), sunbae::Error);
    }
  }
}

TEST(NamedShapes, SupportedShapesMatchPublishedSizes) {
  struct Expect {
    const char* name;
    double params;
  };
  for (Expect e :
       {Expect{"mistral-7b", 7.25e9}, Expect{"qwen2.5-7b", 7.62e9}, Expect{"llama-3-8b", 8.03e9},
        Expect{"polyglot-ko-12.8b", 12.8e9}}) {
    const sunbae::bench::NamedShape s = sunbae::bench::find_shape(e.name);  // a copy: gcc 13 flags the reference
    ModelConfig c = sunbae::io::parse_model_config(s.config_json, "", s.name);
    EXPECT_NEAR(double(c.num_parameters()), e.params, 0.01 * e.params) << e.name;
  }

  ModelConfig mistral =
      sunbae::io::parse_model_config(sunbae::bench::find_shape("mistral-7b").config_json, "", "m");
  EXPECT_FALSE(mistral.sliding_window.has_value());
  EXPECT_EQ(mistral.num_kv_heads, 8);

  ModelConfig qwen =
      sunbae::io::parse_model_config(sunbae::bench::find_shape("qwen2.5-7b").config_json, "", "q");
  EXPECT_EQ(qwen.family, Family::Qwen2);
  EXPECT_FALSE(qwen.sliding_window.has_value());  // use_sliding_window is false
  EXPECT_EQ(qwen.dtype, sunbae::DType::BF16);

  ModelConfig ko = sunbae::io::parse_model_config(
      sunbae::bench::find_shape("llama-2-ko-7b").config_json, "", "k");
  EXPECT_EQ(ko.vocab_size, 46336);
  EXPECT_EQ(ko.num_kv_heads, 32);
  EXPECT_DOUBLE_EQ(ko.rope.theta, 10000.0);
  EXPECT_EQ(ko.dtype, sunbae::DType::F16);

  ModelConfig polyglot =
      sunbae::io::parse_model_config(sunbae::bench::find_shape("polyglot-ko-12.8b").config_json, "", "p");
  EXPECT_EQ(polyglot.family, Family::GptNeoX);
  EXPECT_TRUE(polyglot.parallel_residual);
  EXPECT_DOUBLE_EQ(polyglot.rope.partial_rotary_factor, 0.5);  // rotary_pct
  EXPECT_EQ(polyglot.head_dim, 128);
}

}  // namespace
