// Whole tokenizers over tiny hand-written tokenizer.json files: BPE merge order, unk and
// byte_fallback, subword affixes, ignore_merges, added tokens (lstrip / rstrip / single_word /
// normalized) and TemplateProcessing. Expected ids come from Hugging Face tokenizers 0.23.3 run
// on the same JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;
using sunbae::tok::Tokenizer;
using Ids = std::vector<int32_t>;

// vocab a..abcd with merges ranked so that "bc" wins over "ab".
json tiny_bpe() {
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", nullptr},
              {"post_processor", nullptr},
              {"decoder", nullptr},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab",
                 {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"ab", 5}, {"bc", 6}, {"abc", 7}, {"cd", 8},
                  {"abcd", 9}, {"abd", 10}}},
                {"merges", {"b c", "a b", "a bc", "c d", "abc d"}}}}};
}

std::unique_ptr<Tokenizer> make(const json& j) { return Tokenizer::from_json(j.dump(), "", "test tokenizer.json"); }

json added(const char* content, bool special, bool lstrip = false, bool rstrip = false, bool single_word = false,
           bool normalized = false) {
  return json{{"id", 0},          {"content", content}, {"single_word", single_word}, {"lstrip", lstrip},
              {"rstrip", rstrip}, {"normalized", normalized}, {"special", special}};
}

TEST(TokenizerBpe, MergesLowestRankFirstLeftmostOnTies) {
  json j = tiny_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  j["model"]["unk_token"] = "<unk>";
  auto t = make(j);
  EXPECT_EQ(t->encode("abcd", false), (Ids{9}));  // b c, then a bc, then abc d
  EXPECT_EQ(t->encode("abab", false), (Ids{5, 5}));
  EXPECT_EQ(t->encode("ab cd x", false), (Ids{5, 8, 0}));
  EXPECT_EQ(t->encode("dcba", false), (Ids{4, 3, 2, 1}));
  // Long words take the heap path; same answer as tokenizers.
  std::string longw;
  for (int i = 0; i < 20; ++i) longw += "abcd";
  for (int i = 0; i < 10; ++i) longw += "abab";
  Ids expect(20, 9);
  expect.insert(expect.end(), 20, 5);
  EXPECT_EQ(t->encode(longw, false), expect);
  std::string mixed;
  for (int i = 0; i < 15; ++i) mixed += "bcab";
  Ids expect2;
  for (int i = 0; i < 15; ++i) expect2.insert(expect2.end(), {6, 5});
  expect2.push_back(4);
  EXPECT_EQ(t->encode(mixed + "d", false), expect2);
}

TEST(TokenizerBpe, MergesAsPairs) {
  json j = tiny_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  j["model"]["merges"] = json::parse(R"([["b","c"],["a","b"],["a","bc"],["c","d"],["abc","d"]])");
  auto t = make(j);
  EXPECT_EQ(t->encode("abcd", false), (Ids{9}));
  EXPECT_EQ(t->encode("abab xx ab", false), (Ids{5, 5, 5}));  // no unk token: x dropped
}

TEST(TokenizerBpe, UnknownCharacters) {
  json j = tiny_bpe();
  j["model"]["unk_token"] = "<unk>";
  EXPECT_EQ(make(j)->encode("axyzb", false), (Ids{1, 0, 0, 0, 2}));
  j["model"]["fuse_unk"] = true;
  EXPECT_EQ(make(j)->encode("axyzb", false), (Ids{1, 0, 2}));
  EXPECT_EQ(make(j)->encode("xx", false), (Ids{0}));
  j["model"]["unk_token"] = nullptr;
  EXPECT_EQ(make(j)->encode("axyzb", false), (Ids{5}));  // dropped, then a b merge
  j["model"]["unk_token"] = "<nope>";
  auto t = make(j);
  EXPECT_THROW(t->encode("x", false), sunbae::Error);
}

TEST(TokenizerBpe, ByteFallback) {
  json j = tiny_bpe();
  j["model"]["vocab"] =
      json{{"<unk>", 0}, {"<0xE2>", 1}, {"<0x82>", 2}, {"<0xAC>", 3}, {"a", 4}, {"b", 5}, {"ab", 6}, {"<0x21>", 7}};
  j["model"]["merges"] = {"a b"};
  j["model"]["unk_token"] = "<unk>";
  j["model"]["fuse_unk"] = true;
  j["model"]["byte_fallback"] = true;
  j["decoder"] = json::parse(R"({"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]})");
  auto t = make(j);
  EXPECT_EQ(t->encode("ab€!x?ab", false), (Ids{6, 1, 2, 3, 7, 0, 6}));  // x? fused to one unk
  EXPECT_EQ(t->encode("€€", false), (Ids{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(t->decode({1, 2, 3, 7, 4}, false), "€!a");
  EXPECT_EQ(t->decode({1, 2, 7}, false), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // one U+FFFD per byte
  EXPECT_EQ(t->decode({1, 1, 2, 3}, false), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TokenizerBpe, SubwordPrefixAndSuffix) {
  json j = tiny_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  j["model"]["vocab"] =
      json{{"<unk>", 0}, {"a", 1}, {"##b", 2}, {"ab", 3}, {"##c</w>", 4}, {"a</w>", 5}, {"##b</w>", 6}};
  j["model"]["merges"] = {"a ##b"};  // merges to a + "b" (the prefix is cut from the right side)
  j["model"]["unk_token"] = "<unk>";
  j["model"]["continuing_subword_prefix"] = "##";
  j["model"]["end_of_word_suffix"] = "</w>";
  EXPECT_EQ(make(j)->encode("abc a ab abb", false), (Ids{3, 4, 5, 1, 6, 3, 6}));
}

TEST(TokenizerBpe, IgnoreMerges) {
  json j = tiny_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  EXPECT_EQ(make(j)->encode("abd", false), (Ids{5, 4}));
  j["model"]["ignore_merges"] = true;
  auto t = make(j);
  EXPECT_EQ(t->encode("abd abd", false), (Ids{10, 10}));  // the whole word is a token
  EXPECT_EQ(t->encode("abdd", false), (Ids{5, 4, 4}));
}

TEST(TokenizerBpe, LongSentencePieceLines) {
  // No pre-tokenizer: a whole line is one word. Without merges into a following "▁" it is merged
  // part by part; with one ("b ▁") it must be merged as a whole. Ids from tokenizers.
  json j = tiny_bpe();
  j["normalizer"] = json::parse(R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
      {"type":"Replace","pattern":{"String":" "},"content":"▁"}]})");
  j["model"]["vocab"] = json{{"▁", 0}, {"a", 1}, {"b", 2}, {"▁a", 3}, {"ab", 4}, {"b▁", 5}, {"▁ab", 6}};
  std::string text;
  for (int i = 0; i < 100; ++i) text += i ? " ab" : "ab";
  text += " ba";
  j["model"]["merges"] = {"a b", "▁ a", "▁a b"};
  Ids expect;
  for (int i = 0; i < 100; ++i) expect.insert(expect.end(), {0, 4});
  expect.insert(expect.end(), {0, 2, 1});
  EXPECT_EQ(make(j)->encode(text, false), expect);
  j["model"]["merges"] = {"b ▁", "a b", "▁ a", "▁a b"};
  Ids expect2 = {3};
  for (int i = 0; i < 99; ++i) expect2.insert(expect2.end(), {5, 1});
  expect2.insert(expect2.end(), {5, 2, 1});
  EXPECT_EQ(make(j)->encode(text, false), expect2);
}

TEST(TokenizerBpe, DropoutRefused) {
  json j = tiny_bpe();
  j["model"]["dropout"] = 0.1;
  EXPECT_THROW(make(j), sunbae::Error);
  j["model"]["dropout"] = 0.0;  // tokenizers treats 0 as no dropout
  EXPECT_NO_THROW(make(j));
}

json added_tokens_tokenizer() {
  json j = tiny_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  j["normalizer"] = {{"type", "Lowercase"}};
  j["added_tokens"] = {added("<mask>", true, true, true),
                       added("[SEP]", true, false, true),
                       added("[CLS]", true, true, false),
                       added("dd", false, false, false, true),
                       added("<x>", false),
                       added("<x>y", false),
                       added("CD", false, false, false, false, true),
                       added("ab", false)};
  j["post_processor"] = json::parse(R"({"type":"TemplateProcessing",
    "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}}],
    "pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":1}}],
    "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[13],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[12],"tokens":["[SEP]"]}}})");
  return j;
}

TEST(TokenizerAddedTokens, StripSingleWordNormalized) {
  auto t = make(added_tokens_tokenizer());
  // Ids as tokenizers assigns them: the next free id in file order; "ab" keeps the model's 5.
  EXPECT_EQ(t->token_to_id("<mask>"), 11);
  EXPECT_EQ(t->token_to_id("CD"), 17);
  EXPECT_EQ(t->token_to_id("ab"), 5);
  EXPECT_EQ(t->vocab_size(), 18);
  EXPECT_EQ(t->encode("a <mask> b", false), (Ids{1, 11, 2}));  // lstrip+rstrip take both spaces
  EXPECT_EQ(t->encode("a<mask>b", false), (Ids{1, 11, 2}));
  EXPECT_EQ(t->encode("ab  [SEP]  cd", false), (Ids{5, 12, 17}));  // rstrip only
  EXPECT_EQ(t->encode("ab  [CLS]  cd", false), (Ids{5, 13, 17}));  // lstrip only
  EXPECT_EQ(t->encode("dd add dd.", false), (Ids{14, 1, 4, 4, 14}));  // "dd" inside "add" is no word
  EXPECT_EQ(t->encode("<x>y<x>", false), (Ids{16, 15}));  // longest match first
  EXPECT_EQ(t->encode("ABCD cd CD", false), (Ids{5, 17, 17, 17}));  // normalized token on lowercased text
  EXPECT_EQ(t->encode("abab", false), (Ids{5, 5}));
}

TEST(TokenizerAddedTokens, TemplateProcessingAndSpecialFlags) {
  auto t = make(added_tokens_tokenizer());
  EXPECT_EQ(t->encode("a <mask> b", true), (Ids{13, 1, 11, 2, 12}));
  EXPECT_EQ(t->encode("", true), (Ids{13, 12}));
  EXPECT_EQ(t->encode("", false), (Ids{}));
  EXPECT_TRUE(t->is_special(11));
  EXPECT_FALSE(t->is_special(14));
  EXPECT_FALSE(t->is_special(5));
  EXPECT_EQ(t->id_to_token(16), "<x>y");
  EXPECT_EQ(t->id_to_token(99), std::nullopt);
  // No decoder: tokens joined by spaces; special ones dropped on request.
  EXPECT_EQ(t->decode({13, 5, 11, 12}, false), "[CLS] ab <mask> [SEP]");
  EXPECT_EQ(t->decode({13, 5, 11, 12}, true), "ab");
  EXPECT_EQ(t->decode({15, 12}, true), "<x>");
}

TEST(TokenizerAddedTokens, RstripOverlapQuirk) {
  // tokenizers resumes matching after the raw match, so a token made of spaces can match inside
  // the spaces an rstrip token already took; the ids show both.
  json j = tiny_bpe();
  j["added_tokens"] = {added("[SEP]", true, false, true), added("  ", false)};
  auto t = make(j);
  EXPECT_EQ(t->encode("a [SEP]  b", false), (Ids{1, 11, 12, 2}));
}

TEST(TokenizerAddedTokens, ConcurrentEncodeAgrees) {
  auto t = make(added_tokens_tokenizer());
  const std::vector<std::string> inputs = {"a <mask> b", "dd add dd.", "ABCD cd CD", "abab abcd dcba"};
  std::vector<Ids> expect;
  for (const auto& s : inputs) expect.push_back(t->encode(s, true));
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 500; ++rep)
        for (size_t i = 0; i < inputs.size(); ++i) bad[size_t(k)] += t->encode(inputs[i], true) != expect[i];
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

}  // namespace
