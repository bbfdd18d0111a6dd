// The property behind response_format: with the random-weight llama fixture sampling at
// temperature 1.0 over a byte-level vocabulary, every constrained choice ends with "stop" and its
// text parses and validates against the schema, for many seeds -- while the same seeds without the
// mask almost never give valid JSON, so the mask, not luck, is what holds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/token_choice.h"
#include "grammar/json_schema.h"
#include "model/model.h"
#include "unit/byte_tokenizer.h"

namespace sunbae::engine {
namespace {

using json = nlohmann::json;
using test::byte_tokenizer;

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

// An independent checker of the supported subset, written from JSON Schema's rules.
bool validates(const json& v, const json& s) {
  if (s.contains("enum")) return std::find(s["enum"].begin(), s["enum"].end(), v) != s["enum"].end();
  if (s.contains("anyOf")) {
    for (const auto& o : s["anyOf"])
      if (validates(v, o)) return true;
    return false;
  }
  if (s.contains("type") && s["type"].is_array()) {
    for (const auto& t : s["type"]) {
      json one = s;
      one["type"] = t;
      if (validates(v, one)) return true;
    }
    return false;
  }
  const std::string t = s.value("type", "");
  if (t == "null") return v.is_null();
  if (t == "boolean") return v.is_boolean();
  if (t == "integer")
    return v.is_number_integer() && v.get<int64_t>() >= s.value("minimum", INT64_MIN) &&
           v.get<int64_t>() <= s.value("maximum", INT64_MAX);
  if (t == "number") return v.is_number();
  if (t == "string")
    return v.is_string() && code_points(v.get<std::string>()) >= s.value("minLength", size_t(0)) &&
           code_points(v.get<std::string>()) <= s.value("maxLength", SIZE_MAX);
  if (t == "array") {
    if (!v.is_array() || v.size() < s.value("minItems", size_t(0)) || v.size() > s.value("maxItems", SIZE_MAX))
      return false;
    for (const auto& x : v)
      if (!validates(x, s["items"])) return false;
    return true;
  }
  if (t == "object") {
    if (!v.is_object()) return false;
    for (const auto& r : s.value("required", json::array()))
      if (!v.contains(r.get<std::string>())) return false;
    for (auto it = v.begin(); it != v.end(); ++it)
      if (!s["properties"].contains(it.key()) || !validates(it.value(), s["properties"][it.key()])) return false;
    return true;
  }
  return false;
}

// Each fits the fixture's 128-token context at one byte per token, so "length" cannot be the end.
const char* kSchemas[] = {
    R"({"type":"object","properties":{"name":{"type":"string","maxLength":4},
        "age":{"type":"integer","minimum":0,"maximum":99},
        "tags":{"type":"array","items":{"enum":["x","yz"]},"maxItems":2},"ok":{"type":"boolean"}},
        "required":["name","age"],"additionalProperties":false})",
    R"({"type":"array","minItems":1,"maxItems":3,"items":{"type":"object","properties":{
        "k":{"enum":[1,2,3]},"v":{"type":["null","boolean"]}},"required":["k"],"additionalProperties":false}})",
    R"({"anyOf":[{"type":"integer","minimum":-50,"maximum":50},{"type":"string","maxLength":3},{"type":"null"}]})",
};

struct Result {
  std::string text;
  FinishReason finish = FinishReason::None;
  std::string error;
};

std::vector<Result> run(Engine& e, std::shared_ptr<const grammar::Grammar> g, uint64_t seed, int64_t n) {
  Request r;
  r.prompt = {97, 98, 99};
  r.params.sampling.temperature = 1.0;
  r.params.sampling.seed = seed;
  r.params.max_tokens = 120;
  r.params.n = n;
  r.params.grammar = std::move(g);
  auto stream = e.submit(std::move(r));
  std::vector<Result> out(static_cast<size_t>(n));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!stream->done() && std::chrono::steady_clock::now() < deadline) {
    std::vector<Event> evs;
    stream->next(evs, std::chrono::milliseconds(50));
    for (auto& ev : evs) {
      auto& o = out[size_t(ev.index)];
      o.text += ev.text;
      if (ev.finish != FinishReason::None) o.finish = ev.finish, o.error = ev.error;
    }
  }
  return out;
}

TEST(ConstrainedEngine, EveryOutputAtTemperatureOneValidatesAgainstItsSchema) {
  auto model = model::Model::load(std::string(SUNBAE_FIXTURES_DIR) + "/llama");
  Engine e(std::make_unique<CpuModelRunner>(std::move(model), 512), byte_tokenizer(), EngineOptions{});
  int valid = 0, total = 0, unconstrained_valid = 0;
  for (const char* text : kSchemas) {
    const json schema = json::parse(text);
    auto g = grammar::compile_schema(schema);
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      for (const Result& r : run(e, g, seed * 1000, 8)) {
        ++total;
        ASSERT_EQ(r.error, "");
        ASSERT_EQ(r.finish, FinishReason::Stop) << r.text;
        json v;
        ASSERT_NO_THROW(v = json::parse(r.text)) << r.text;
        ASSERT_TRUE(validates(v, schema)) << r.text << " against " << text;
        ++valid;
      }
      for (const Result& r : run(e, nullptr, seed * 1000, 8)) {
        const json v = json::parse(r.text, nullptr, false);
        unconstrained_valid += !v.is_discarded() && validates(v, schema);
      }
    }
  }
  EXPECT_EQ(valid, total);
  EXPECT_EQ(total, 3 * 4 * 8);
  // Without the mask the random model writes noise: at most a stray lucky case (a bare digit
  // or "null" for the third schema's anyOf), never most of them.
  EXPECT_LT(unconstrained_valid, total / 10);
}

TEST(ConstrainedEngine, ApplyTokenMaskSetsExactlyTheDisallowedLogitsToMinusInfinity) {
  const int64_t vocab = 200;  // not a multiple of 64: the last word is partial
  std::vector<uint64_t> mask(4, 0);
  mask[0] = ~uint64_t(0);     // all of word 0
  mask[2] = 0x8000000000000001ull;  // ids 128 and 191
  mask[3] = 0x4;              // id 194
  std::vector<float> row(vocab);
  for (int64_t i = 0; i < vocab; ++i) row[size_t(i)] = float(i) * 0.5f - 3.f;
  std::vector<float> masked = row;
  ASSERT_TRUE(apply_token_mask(masked.data(), vocab, mask));
  for (int64_t i = 0; i < vocab; ++i) {
    const bool allowed = i < 64 || i == 128 || i == 191 || i == 194;
    if (allowed) EXPECT_EQ(masked[size_t(i)], row[size_t(i)]) << i;
    else EXPECT_EQ(masked[size_t(i)], -std::numeric_limits<float>::infinity()) << i;
  }
  EXPECT_FALSE(apply_token_mask(masked.data(), vocab, std::vector<uint64_t>(4, 0)));
}

TEST(ConstrainedEngine, RequestsThatCannotHonourAGrammarAreRefused) {
  auto model = model::Model::load(std::string(SUNBAE_FIXTURES_DIR) + "/llama");
  Engine e(std::make_unique<CpuModelRunner>(std::move(model), 64), nullptr, EngineOptions{});
  Request r;
  r.prompt = {1, 2};
  r.params.grammar = grammar::compile_any_object();
  EXPECT_THROW(e.submit(r), RequestError);  // no tokenizer
  r.params.ignore_eos = true;
  EXPECT_THROW(r.params.validate(), RequestError);
}

}  // namespace
}  // namespace sunbae::engine
