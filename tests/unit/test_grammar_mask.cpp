// Token masks against brute force on real vocabularies: at many automaton states reached by
// constrained generation, the allowed set must equal the set of tokens whose bytes step the
// automaton without rejection (plus EOS exactly when the document can end). Also: the bytes the
// vocabulary assigns each token are what the tokenizer really decodes.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "unit/shared_tokenizers.h"
#include "engine/token_choice.h"
#include "grammar/json_schema.h"
#include "grammar/token_mask.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::grammar {
namespace {

using json = nlohmann::json;

using ::sunbae::test::shared_tokenizers;

bool complete_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = uint8_t(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

const char* kSchema = R"({"type":"object","properties":{
  "name":{"type":"string","maxLength":12},
  "score":{"type":"integer","minimum":1,"maximum":5},
  "ratio":{"type":"number"},
  "level":{"enum":["junior","senior",null]},
  "tags":{"type":"array","items":{"type":"string","minLength":1},"maxItems":3},
  "extra":{"type":"object"},
  "ok":{"type":"boolean"}},
  "required":["name","score","tags"],"additionalProperties":false})";

class RealVocab : public ::testing::TestWithParam<const char*> {};

TEST_P(RealVocab, TokenBytesAreWhatTheTokenizerDecodes) {
  REQUIRE_SHARED_TOKENIZERS();
  auto t = tok::Tokenizer::load((shared_tokenizers() / GetParam()).string());
  const TokenVocab v = TokenVocab::build(*t, t->vocab_size(), {});
  const auto anchor = t->encode("a", false);
  const std::string head = t->decode(anchor, false);
  int64_t checked = 0, with_bytes = 0;
  for (int64_t id = 0; id < t->vocab_size(); ++id) {
    const std::string& b = v.bytes[size_t(id)];
    if (b.empty()) continue;
    ++with_bytes;
    if (!complete_utf8(b)) continue;  // decode alone would show U+FFFD for half a character
    auto ids = anchor;
    ids.push_back(int32_t(id));
    const std::string full = t->decode(ids, false);
    ASSERT_EQ(full.substr(0, head.size()), head) << "id " << id;
    ASSERT_EQ(full.substr(head.size()), b) << "id " << id;
    ++checked;
  }
  // Nearly the whole vocabulary is usable under a grammar (special tokens are not).
  EXPECT_GT(with_bytes, t->vocab_size() * 9 / 10);
  EXPECT_GT(checked, with_bytes * 8 / 10);
}

TEST_P(RealVocab, MaskEqualsBruteForceAlongConstrainedWalks) {
  REQUIRE_SHARED_TOKENIZERS();
  auto t = tok::Tokenizer::load((shared_tokenizers() / GetParam()).string());
  const int64_t eos = 7;  // any id works as EOS here: the vocabulary takes it out of the bytes
  auto v = std::make_shared<const TokenVocab>(TokenVocab::build(*t, t->vocab_size() + 5, {eos}));
  GrammarMasker gm(compile_schema(json::parse(kSchema)), v);
  const JsonMatcher& m = gm.matcher();
  std::mt19937_64 rng(1234);
  int states = 0, ended = 0;
  for (int walk = 0; walk < 12; ++walk) {
    MatchState s = m.initial();
    for (int step = 0; step < 40 && !JsonMatcher::finished(s); ++step) {
      const TokenMask mask = gm.compute(s);
      std::vector<int32_t> allowed;
      for (int64_t id = 0; id < v->size; ++id) {
        bool ok;
        if (id == eos) {
          ok = m.can_end(s);
        } else {
          MatchState c;
          c.copy_from(s);
          ok = !v->bytes[size_t(id)].empty() && m.step(c, v->bytes[size_t(id)]);
        }
        ASSERT_EQ(mask_has(mask, id), ok) << "token " << id << " walk " << walk << " step " << step;
        if (ok) allowed.push_back(int32_t(id));
      }
      ASSERT_FALSE(allowed.empty()) << "dead end at walk " << walk << " step " << step;
      ++states;
      // Half the walks favour short tokens that close values, so documents also get finished.
      int32_t pick = allowed[size_t(rng() % allowed.size())];
      if (walk % 2 == 1)
        for (int k = 0; k < 8; ++k) {
          const int32_t c = allowed[size_t(rng() % allowed.size())];
          if (v->bytes[size_t(c)].size() < v->bytes[size_t(pick)].size() || c == eos) pick = c;
        }
      if (pick == eos) {
        ++ended;
        break;
      }
      ASSERT_TRUE(gm.advance(s, pick));
    }
  }
  EXPECT_GT(states, 200);
}

// Sampling at temperature 1.0 from random logits (a random-weight model's stand-in) over a real
// vocabulary under the mask: the tokenizer's own decode of every output parses and satisfies the
// schema, whose rules are checked here by hand rather than by the automaton.
TEST_P(RealVocab, RandomLogitsUnderTheMaskAlwaysDecodeToValidJson) {
  REQUIRE_SHARED_TOKENIZERS();
  auto t = tok::Tokenizer::load((shared_tokenizers() / GetParam()).string());
  const int64_t vocab = t->vocab_size();
  const int32_t eos = 2;
  auto v = std::make_shared<const TokenVocab>(TokenVocab::build(*t, vocab, {eos}));
  GrammarMasker gm(compile_schema(json::parse(R"({"type":"object","properties":{
      "w":{"type":"string","maxLength":6},"n":{"type":"integer","minimum":-3,"maximum":300},
      "e":{"enum":["\uac00\ub098","b"]},"a":{"type":"array","items":{"type":"boolean"},"maxItems":3}},
      "required":["w","n","e"],"additionalProperties":false})")), v);
  std::mt19937_64 rng(99);
  std::normal_distribution<float> nd(0.f, 2.f);
  std::vector<float> row(static_cast<size_t>(vocab));
  engine::RequestParams p;
  p.sampling.temperature = 1.0;
  const std::vector<int64_t> eos_ids = {eos};
  for (int doc = 0; doc < 16; ++doc) {
    MatchState s = gm.matcher().initial();
    std::vector<int32_t> ids, hist = {0};
    bool ended = false;
    for (int step = 0; step < 200 && !ended; ++step) {
      for (auto& x : row) x = nd(rng);
      engine::TokenChoiceInput in{row.data(), vocab, &hist, step, uint64_t(doc), &eos_ids};
      in.allowed = &gm.mask(s);
      const int32_t tk = engine::choose_token(in, p).token;
      if (tk == eos) break;
      ASSERT_TRUE(gm.advance(s, tk));
      ids.push_back(tk);
      ended = JsonMatcher::finished(s);
    }
    ASSERT_TRUE(ended || gm.matcher().can_end(s)) << "document " << doc << " did not close in 200 tokens";
    const std::string text = t->decode(ids, true);
    json d;
    ASSERT_NO_THROW(d = json::parse(text)) << text;
    ASSERT_TRUE(d.is_object()) << text;
    for (auto it = d.begin(); it != d.end(); ++it) ASSERT_TRUE(it.key() == "w" || it.key() == "n" || it.key() == "e" || it.key() == "a") << text;
    ASSERT_TRUE(d.contains("w") && d["w"].is_string() && d.contains("n") && d["n"].is_number_integer() && d.contains("e")) << text;
    size_t cps = 0;
    for (char c : d["w"].get<std::string>()) cps += (uint8_t(c) & 0xC0) != 0x80;
    EXPECT_LE(cps, 6u) << text;
    EXPECT_GE(d["n"].get<int64_t>(), -3) << text;
    EXPECT_LE(d["n"].get<int64_t>(), 300) << text;
    EXPECT_TRUE(d["e"] == "\xEA\xB0\x80\xEB\x82\x98" || d["e"] == "b") << text;
    if (d.contains("a")) {
      ASSERT_TRUE(d["a"].is_array() && d["a"].size() <= 3) << text;
      for (const auto& b : d["a"]) EXPECT_TRUE(b.is_boolean()) << text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, RealVocab, ::testing::Values("llama3-instruct", "mistral-v0.1", "qwen3"));

TEST(GrammarMask, CacheGivesTheComputedMask) {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, char(b)));
  for (const char* s : {"{\"", "\":", "\",\"", "\"}", "12", "}", "true", "tr", "ue}", "\xE2\x82", "\xAC"}) bytes.push_back(s);
  auto v = std::make_shared<const TokenVocab>(TokenVocab::from_bytes(bytes, {0}));
  GrammarMasker gm(compile_any_object(), v);
  MatchState s = gm.matcher().initial();
  for (const char* piece : {"{\"", "a", "\":", "tr", "ue", ",", "\"", "\xE2\x82", "\xAC", "\":", "12"}) {
    const TokenMask want = gm.compute(s);
    EXPECT_EQ(gm.mask(s), want);
    EXPECT_EQ(gm.mask(s), want);  // from the cache
    ASSERT_TRUE(gm.matcher().step(s, piece)) << piece;
  }
  EXPECT_GE(gm.cache_hits(), 11u);
  EXPECT_FALSE(mask_has(gm.mask(s), 0));  // inside an object: no EOS
  ASSERT_TRUE(gm.matcher().step(s, "}"));
  EXPECT_TRUE(mask_has(gm.compute(s), 0));  // complete: EOS only
  EXPECT_FALSE(mask_has(gm.compute(s), '}'));
}

}  // namespace
}  // namespace sunbae::grammar
