// Malformed tokenizer.json / tokenizer_config.json and bad inputs: always a sunbae::Error whose
// message names the file or component, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;
using sunbae::tok::Tokenizer;

json valid() {
  return json::parse(R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
    "normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,
    "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,
      "end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,
      "vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}})");
}

// The Error message from_json throws; a test failure when nothing (or something else) is thrown.
std::string error_of(const std::string& tokenizer_json, const std::string& config_json = "") {
  try {
    Tokenizer::from_json(tokenizer_json, config_json, "my/tokenizer.json");
  } catch (const sunbae::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a sunbae::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error for " << tokenizer_json.substr(0, 200);
  return "";
}

void expect_error(const json& j, const std::string& needle) {
  const std::string msg = error_of(j.dump());
  EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg;
  EXPECT_NE(msg.find("my/tokenizer.json"), std::string::npos) << "message does not name the file: " << msg;
}

TEST(TokenizerErrors, MalformedJson) {
  for (const char* bad : {"", "{", "{\"model\": }", "[1,2]", "{\"a\": \"\xFF\"}", "{\"a\": \"\\ud800\"}", "null"}) {
    const std::string msg = error_of(bad);
    EXPECT_NE(msg.find("my/tokenizer.json"), std::string::npos) << msg;
  }
  EXPECT_NE(error_of("{").find("malformed JSON"), std::string::npos);
  EXPECT_NE(error_of(valid().dump(), "{not json").find("tokenizer_config"), std::string::npos);
}

TEST(TokenizerErrors, MissingOrUnsupportedComponents) {
  json j = valid();
  j.erase("model");
  expect_error(j, "missing 'model'");
  j = valid();
  j["model"]["type"] = "WordPiece";
  expect_error(j, "WordPiece");
  j = valid();
  j["model"].erase("vocab");
  expect_error(j, "'vocab'");
  j = valid();
  j["normalizer"] = {{"type", "BertNormalizer"}};
  expect_error(j, "normalizer: unsupported normalizer type 'BertNormalizer'");
  j = valid();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "UnicodeScripts"}}}}};
  expect_error(j, "UnicodeScripts");
  j = valid();
  j["post_processor"] = {{"type", "RobertaProcessing"}};
  expect_error(j, "RobertaProcessing");
  j = valid();
  j["decoder"] = {{"type", "CTC"}};
  expect_error(j, "CTC");
  j = valid();
  j["model"]["cache_capacity"] = 10;
  expect_error(j, "unsupported option 'cache_capacity'");
  j = valid();
  j["truncation"] = {{"max_length", 8}};
  expect_error(j, "truncation");
  j = valid();
  j["version"] = "2.0";
  expect_error(j, "version");
  j = valid();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  expect_error(j, "pre_tokenizer Split");
}

TEST(TokenizerErrors, BadVocabAndMerges) {
  json j = valid();
  j["model"]["merges"] = {"a c"};
  expect_error(j, "'c' which is not in the vocabulary");
  j = valid();
  j["model"]["merges"] = {"b a"};
  expect_error(j, "result 'ba' is not in the vocabulary");
  j = valid();
  j["model"]["merges"] = {"a  b"};
  expect_error(j, "merges[0]");
  j = valid();
  j["model"]["merges"] = {json::array({"a"})};
  expect_error(j, "merges[0]");
  j = valid();
  j["model"]["vocab"]["c"] = -1;
  expect_error(j, "out of range");
  j = valid();
  j["model"]["vocab"]["c"] = 1LL << 40;
  expect_error(j, "out of range");
  j = valid();
  j["model"]["vocab"]["c"] = "3";
  expect_error(j, "not an integer");
  j = valid();
  j["added_tokens"] = json::array({{{"id", -5}, {"content", "<x>"}}});
  expect_error(j, "out of range");
  j = valid();
  j["added_tokens"] = json::array({{{"id", 3}}});
  expect_error(j, "missing field 'content'");
}

TEST(TokenizerErrors, TemplateIds) {
  json j = valid();
  j["post_processor"] = json::parse(R"({"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},
      {"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[7],"tokens":["<s>"]}}})");
  expect_error(j, "outside the vocabulary");
  j["post_processor"]["special_tokens"]["<s>"]["ids"] = {1};
  j["post_processor"]["single"][0]["SpecialToken"]["id"] = "<t>";
  expect_error(j, "'<t>' missing from special_tokens");
}

TEST(TokenizerErrors, BadInputsAtRunTime) {
  auto t = Tokenizer::from_json(valid().dump(), "", "t");
  EXPECT_THROW(t->encode("ab\xC3", false), sunbae::Error);
  EXPECT_THROW(t->encode("\xED\xA0\x80", false), sunbae::Error);  // encoded surrogate
  EXPECT_THROW(t->decode({3}, false), sunbae::Error);
  EXPECT_THROW(t->decode({-1}, false), sunbae::Error);
  // NUL is an ordinary (here unknown, so dropped) character: a and b then merge, as in tokenizers.
  EXPECT_EQ(t->encode(std::string("a\0b", 3), false), (std::vector<int32_t>{2}));
}

TEST(TokenizerErrors, ConfigFields) {
  const std::string tj = valid().dump();
  auto t = Tokenizer::from_json(
      tj, R"({"bos_token":{"__type":"AddedToken","content":"<s>"},"eos_token":"</s>","chat_template":"{{x}}"})", "t");
  EXPECT_EQ(t->bos_token(), "<s>");
  EXPECT_EQ(t->eos_token(), "</s>");
  EXPECT_EQ(t->chat_template(), "{{x}}");
  t = Tokenizer::from_json(
      tj, R"({"bos_token":null,"chat_template":[{"name":"tool_use","template":"T"},{"name":"default","template":"D"}]})",
      "t");
  EXPECT_EQ(t->bos_token(), std::nullopt);
  EXPECT_EQ(t->eos_token(), std::nullopt);
  EXPECT_EQ(t->chat_template(), "D");
  EXPECT_NE(error_of(tj, R"({"eos_token":5})").find("eos_token"), std::string::npos);
  EXPECT_NE(error_of(tj, R"({"chat_template":7})").find("chat_template"), std::string::npos);
}

TEST(TokenizerErrors, LoadFromDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / "sunbae_tokenizer_load_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  try {
    Tokenizer::load(dir.string());
    ADD_FAILURE() << "no error for an empty directory";
  } catch (const sunbae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "tokenizer.json") << valid().dump();
  std::ofstream(dir / "tokenizer_config.json") << R"({"eos_token":"b"})";
  auto t = Tokenizer::load(dir.string());
  EXPECT_EQ(t->encode("ab", false), (std::vector<int32_t>{2}));
  EXPECT_EQ(t->eos_token(), "b");
  std::ofstream(dir / "tokenizer_config.json") << "{oops";
  try {
    Tokenizer::load(dir.string());
    ADD_FAILURE() << "no error for a malformed config";
  } catch (const sunbae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
