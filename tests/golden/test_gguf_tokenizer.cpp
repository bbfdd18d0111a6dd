// GGUF vocabularies against Hugging Face `tokenizers`' own ids: real tokenizer.json files from
// the shared folder are written as GGUF tokenizer.ggml.* metadata the way llama.cpp's converter
// writes them (token list, token types, merges or SentencePiece scores, special ids, add_bos,
// pre-tokenizer name), read back through Sunbae's GGUF path, and every corpus string must encode
// to exactly the ids tokenizers gave for the original file (tests/tokenizer/data/expected-*).
//
// A SentencePiece GGUF carries scores, not merges; the shared files carry merges, so each merged
// piece gets the score -(rank of the first merge that makes it): the order SentencePiece's
// scores impose, from which the loader must rebuild an equivalent merge list.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>

#include "golden/gguf_builder.h"
#include "io/files.h"
#include "tokenizer/tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sunbae::test {
namespace {

fs::path shared(const std::string& name) {
  if (const char* env = std::getenv("SUNBAE_SHARED_TOKENIZERS"); env && *env) return fs::path(env) / name;
  return (fs::path(SUNBAE_FIXTURES_DIR) / "../../../shared/tokenizers" / name).lexically_normal();
}
fs::path data(const std::string& leaf) {
  return (fs::path(SUNBAE_FIXTURES_DIR) / "../tokenizer/data" / leaf).lexically_normal();
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  for (size_t start = 0; start < s.size();) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.emplace_back(s, start, nl - start);
    start = nl + 1;
  }
  return out;
}

struct Case {
  const char* name;
  const char* model;  // tokenizer.ggml.model
  const char* pre;    // tokenizer.ggml.pre (gpt2 only)
};

// tokenizer.json -> GGUF, as convert_hf_to_gguf.py would: ids in order, added special tokens as
// CONTROL, other added tokens USER_DEFINED, <0xNN> pieces BYTE, the unknown piece UNKNOWN.
std::string write_gguf(const Case& c, const fs::path& out) {
  const json tj = json::parse(io::read_maybe_gzip((shared(c.name) / "tokenizer.json.gz").string()));
  const json& m = tj.at("model");
  std::map<int64_t, std::string> by_id;
  for (auto& [tok, id] : m.at("vocab").items()) by_id[id.get<int64_t>()] = tok;
  std::map<int64_t, bool> added;  // id -> special
  for (const auto& a : tj.at("added_tokens")) {
    by_id[a.at("id").get<int64_t>()] = a.at("content").get<std::string>();
    added[a.at("id").get<int64_t>()] = a.at("special").get<bool>();
  }
  const int64_t n = by_id.rbegin()->first + 1;
  std::vector<std::string> toks(static_cast<size_t>(n));
  std::vector<int32_t> types(static_cast<size_t>(n), 1);
  for (auto& [id, t] : by_id) toks[size_t(id)] = t;
  const std::string unk = m.value("unk_token", json()).is_string() ? m["unk_token"].get<std::string>() : "";
  for (int64_t id = 0; id < n; ++id) {
    const std::string& t = toks[size_t(id)];
    if (added.count(id)) types[size_t(id)] = added[id] ? 3 : 4;
    if (t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>') types[size_t(id)] = 6;
    if (!unk.empty() && t == unk) types[size_t(id)] = 2;
  }
  std::vector<std::string> merges;
  for (const auto& mg : m.at("merges"))
    merges.push_back(mg.is_string() ? mg.get<std::string>() : mg[0].get<std::string>() + " " + mg[1].get<std::string>());

  GgufBuilder b;
  b.kv_str("tokenizer.ggml.model", c.model);
  b.kv_strs("tokenizer.ggml.tokens", toks);
  b.kv_i32s("tokenizer.ggml.token_type", types);
  if (std::string_view(c.model) == "gpt2") {
    b.kv_str("tokenizer.ggml.pre", c.pre);
    b.kv_strs("tokenizer.ggml.merges", merges);
  } else {
    std::map<std::string, size_t> first_rank;
    for (size_t r = 0; r < merges.size(); ++r) {
      const size_t sp = merges[r].find(' ');
      first_rank.emplace(merges[r].substr(0, sp) + merges[r].substr(sp + 1), r);
    }
    std::vector<float> scores(static_cast<size_t>(n), -1e9f);
    for (int64_t id = 0; id < n; ++id)
      if (auto it = first_rank.find(toks[size_t(id)]); it != first_rank.end()) scores[size_t(id)] = -float(it->second);
    b.kv_f32s("tokenizer.ggml.scores", scores);
  }
  // Which special tokens the post-processor adds: bos when the original prepends one.
  const json& post = tj.at("post_processor");
  const std::string post_text = post.dump();
  std::optional<int64_t> bos;
  for (const char* cand : {"<s>", "<|begin_of_text|>"})
    for (int64_t id = 0; id < n; ++id)
      if (toks[size_t(id)] == cand) bos = id;
  if (bos) b.kv_u32("tokenizer.ggml.bos_token_id", uint32_t(*bos));
  b.kv_bool("tokenizer.ggml.add_bos_token", bos && post_text.find(toks[size_t(*bos)]) != std::string::npos);
  b.write(out.string());
  return out.string();
}

class GgufTokenizer : public ::testing::TestWithParam<Case> {};

TEST_P(GgufTokenizer, MatchesHuggingFaceOnTheCorpus) {
  const Case c = GetParam();
  if (!fs::exists(shared(c.name))) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << shared(c.name) << " missing under CI=true";
    GTEST_SKIP() << shared(c.name) << " not found";
  }
  const fs::path path = fs::temp_directory_path() / ("sunbae_tok_" + std::to_string(::getpid()) + c.name + ".gguf");
  auto tok = tok::Tokenizer::load(write_gguf(c, path));
  fs::remove(path);
  const auto corpus = lines(io::read_maybe_gzip(data("corpus.jsonl").string()));
  const auto expected = lines(io::read_maybe_gzip(data(std::string("expected-") + c.name + ".jsonl.gz").string()));
  ASSERT_EQ(corpus.size(), expected.size());
  size_t bad = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = json::parse(corpus[i]).at("text");
    const json e = json::parse(expected[i]);
    const auto plain = tok->encode(text, false), special = tok->encode(text, true);
    if (plain != e.at("ids").get<std::vector<int32_t>>() || special != e.at("ids_special").get<std::vector<int32_t>>()) {
      if (++bad <= 3) ADD_FAILURE() << "line " << i << ": " << text;
    }
  }
  EXPECT_EQ(bad, 0u) << "of " << corpus.size();
}

INSTANTIATE_TEST_SUITE_P(
    Shared, GgufTokenizer,
    ::testing::Values(Case{"mistral-v0.1", "llama", ""}, Case{"llama2-rebuilt", "llama", ""},
                      Case{"llama3-instruct", "gpt2", "llama-bpe"}, Case{"qwen3", "gpt2", "qwen2"}),
    [](const auto& info) {
      std::string s = info.param.name;
      for (char& ch : s)
        if (!isalnum(uint8_t(ch))) ch = '_';
      return s;
    });

}  // namespace
}  // namespace sunbae::test
