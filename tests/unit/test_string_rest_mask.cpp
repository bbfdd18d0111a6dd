// Inside a long length-limited string the masker shares the walked part of the mask (tokens with
// quotes, escapes, partial UTF-8) between positions whose count leaves the same room for those
// tokens. Checked: at every position of constrained walks through such strings, on a real
// vocabulary and a synthetic one, the cached mask equals the mask computed from scratch, and the
// sharing happens (fewer rest walks than positions).
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "grammar/json_schema.h"
#include "grammar/token_mask.h"
#include "tokenizer/tokenizer.h"
#include "unit/shared_tokenizers.h"

namespace sunbae::grammar {
namespace {

// Bounded on both sides, and counted but unbounded above.
const char* kSchemas[] = {R"({"type":"array","items":{"type":"string","minLength":5,"maxLength":300},"maxItems":6})",
                          R"({"type":"array","items":{"type":"string","minLength":10},"maxItems":6})"};

// Walks documents, preferring string text so the walk spends its time deep inside strings, and
// compares the cached mask with a fresh one at every state.
void check_walks(const std::shared_ptr<const TokenVocab>& v, const char* schema, int64_t tokens, uint64_t seed) {
  auto cache = std::make_shared<MaskCache>(size_t(256) << 20);
  GrammarMasker gm(compile_schema(nlohmann::json::parse(schema)), v, cache);
  std::mt19937_64 rng(seed);
  MatchState s = gm.matcher().initial();
  int64_t in_string = 0;
  std::set<std::string> string_states;
  for (int64_t i = 0; i < tokens; ++i) {
    const TokenMask fresh = gm.compute(s);
    ASSERT_EQ(*gm.get(s), fresh) << "token " << i;
    int64_t room = 0;
    if (gm.matcher().in_string_chars(s, room)) ++in_string, string_states.emplace(s.key());
    std::vector<int32_t> ok;
    for (int32_t id = 0; id < v->size; ++id)
      if (mask_has(fresh, id) && !gm.is_eos(id)) ok.push_back(id);
    if (ok.empty() || JsonMatcher::finished(s)) {
      s = gm.matcher().initial();
      continue;
    }
    // Mostly tokens without a quote, so strings grow long; now and then any token, so they close.
    std::vector<int32_t> no_quote;
    for (int32_t id : ok)
      if (v->bytes[size_t(id)].find('"') == std::string::npos) no_quote.push_back(id);
    const auto& from = no_quote.empty() || rng() % 40 == 0 ? ok : no_quote;
    const int32_t pick = from[rng() % from.size()];
    ASSERT_TRUE(gm.advance(s, pick));
  }
  EXPECT_GT(in_string, tokens / 3);
  // One whole mask per distinct state (nothing is evicted); the rest masks are shared by the
  // string positions, so there are far fewer of them than positions.
  const size_t rest_masks = cache->entries() - gm.cache_misses();
  EXPECT_LT(2 * rest_masks, string_states.size());
}

TEST(StringRestMask, SyntheticVocabularyCachedEqualsFresh) {
  std::vector<std::string> bytes;
  for (const char* t : {"[", "]", ",", "\"", "a", "bc", "def", "ghij", "\\n", "\\u00e9", "\",", "\"]", "x\"", "yz\",",
                        "\xC3", "\xA9", "\xC3\xA9", "\xE2\x82", "\xAC\"", "0", "12", "-3", "klmnopqrstu", "<eos>"})
    bytes.push_back(t);
  auto v = std::make_shared<const TokenVocab>(TokenVocab::from_bytes(bytes, {int32_t(bytes.size() - 1)}));
  for (const char* schema : kSchemas)
    for (uint64_t seed = 1; seed <= 3; ++seed) check_walks(v, schema, 1500, seed);
}

TEST(StringRestMask, RealVocabularyCachedEqualsFresh) {
  REQUIRE_SHARED_TOKENIZERS();
  auto t = tok::Tokenizer::load((test::shared_tokenizers() / "llama3-instruct").string());
  auto v = std::make_shared<const TokenVocab>(TokenVocab::build(*t, t->vocab_size(), {}));
  for (const char* schema : kSchemas) check_walks(v, schema, 300, 7);
}

}  // namespace
}  // namespace sunbae::grammar
