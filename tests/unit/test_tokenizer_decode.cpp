// Decoders and the streaming detokenizer. Decoder expectations come from Hugging Face tokenizers
// 0.23.3 (decoder.decode on the same token strings).
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/decoder.h"
#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;
using sunbae::tok::Decoder;
using sunbae::tok::IncrementalDetokenizer;
using sunbae::tok::Tokenizer;
using Ids = std::vector<int32_t>;
using Strings = std::vector<std::string>;

const std::string kFFFD = "\xEF\xBF\xBD";

std::string decode(const std::string& spec, Strings tokens) {
  auto d = Decoder::from_json(json::parse(spec), "test decoder");
  d->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

TEST(TokenizerDecoder, ByteLevel) {
  const char* bl = R"({"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true})";
  // A token with characters outside the byte table passes through as its own bytes.
  EXPECT_EQ(decode(bl, {"ĠHello", "Ġì", "ķľ", "êµŃ", "<|x|>", "é"}), " Hello 앜국<|x|>" + kFFFD);
  EXPECT_EQ(decode(bl, {"ì", "ķ", "Ġa", "ì"}), kFFFD + " a" + kFFFD);
}

TEST(TokenizerDecoder, Metaspace) {
  EXPECT_EQ(decode(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true})",
                   {"▁▁Hey", "▁friend", "▁", "!"}),
            "Hey friend !");
  EXPECT_EQ(decode(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true})",
                   {"▁Hey", "▁friend"}),
            " Hey friend");
}

TEST(TokenizerDecoder, ByteFallbackFuseStripReplace) {
  EXPECT_EQ(decode(R"({"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]})",
                   {"a", "<0xE2>", "<0x82>", "<0xAC>", "<0xe2>", "b", "<0xFF>", "<0x41>", "<0x+A>", "<0xG1>"}),
            "a" + kFFFD + kFFFD + kFFFD + kFFFD + "b" + kFFFD + kFFFD + kFFFD + "<0xG1>");
  EXPECT_EQ(decode(R"({"type":"ByteFallback"})", {"<0xEC>", "<0x95>", "x", "<0xEC>", "<0x95>", "<0x88>"}),
            kFFFD + kFFFD + "x안");
  const char* llama = R"({"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},
      {"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]})";
  EXPECT_EQ(decode(llama, {"▁▁Hello", "▁world", "<0x21>"}), " Hello world!");
  EXPECT_EQ(decode(R"({"type":"Strip","content":"x","start":2,"stop":1})", {"xxxaxx", "xax", "ax", "xa", "aaa"}),
            "xaxaaaaaa");
  EXPECT_EQ(decode(R"({"type":"Replace","pattern":{"Regex":"a+"},"content":"-"})", {"baaac", "aa", "b"}), "b-c-b");
  EXPECT_EQ(decode(R"({"type":"Fuse"})", {"a", "b", " c"}), "ab c");
  EXPECT_THROW(Decoder::from_json(json::parse(R"({"type":"WordPiece","prefix":"##"})"), "d"), sunbae::Error);
  EXPECT_THROW(Decoder::from_json(json::parse(R"({"type":"Strip","content":"ab","start":1,"stop":0})"), "d"),
               sunbae::Error);
}

// Byte-level BPE whose vocabulary is only the 256 byte characters: every UTF-8 byte is a token,
// so multi-byte characters arrive in pieces.
std::unique_ptr<Tokenizer> byte_tokenizer() {
  json vocab = json::object();
  const auto& t = sunbae::tok::byte_level::table();
  for (int b = 0; b < 256; ++b) vocab[t.byte_to_utf8[size_t(b)]] = b;
  json j = {{"version", "1.0"},
            {"added_tokens", json::array({{{"id", 256}, {"content", "<|eot|>"}, {"special", true}, {"normalized", false}}})},
            {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
            {"post_processor", nullptr},
            {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}}};
  return Tokenizer::from_json(j.dump(), "", "byte tokenizer");
}

// SentencePiece-style: "▁" + a few letters, byte fallback for everything else, Llama-2's decoder.
std::string fallback_json() {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  char name[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  int id = 259;
  for (const char* s : {"▁", "a", "b", "▁a", "한", "▁한"}) vocab[s] = id++;
  json j = {{"version", "1.0"},
            {"added_tokens", json::parse(R"([{"id":0,"content":"<unk>","special":true,"normalized":false},
                {"id":1,"content":"<s>","special":true,"normalized":false},{"id":2,"content":"</s>","special":true,"normalized":false}])")},
            {"normalizer", json::parse(R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
                {"type":"Replace","pattern":{"String":" "},"content":"▁"}]})")},
            {"pre_tokenizer", nullptr},
            {"post_processor", json::parse(R"({"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},
                {"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[1],"tokens":["<s>"]}}})")},
            {"decoder", json::parse(R"({"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},
                {"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]})")},
            {"model", {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true},
                       {"vocab", vocab}, {"merges", {"▁ a", "▁ 한"}}}}};
  return j.dump();
}

std::unique_ptr<Tokenizer> fallback_tokenizer() { return Tokenizer::from_json(fallback_json(), "", "fallback tokenizer"); }

// Streams every prefix of ids: the pieces must concatenate to decode(prefix), and no piece may
// carry U+FFFD unless the full decode has one there too.
void check_stream(const Tokenizer& t, const Ids& ids, bool skip) {
  const bool fffd_expected = t.decode(ids, skip).find(kFFFD) != std::string::npos;
  for (size_t n = 0; n <= ids.size(); ++n) {
    IncrementalDetokenizer d(t, skip);
    std::string acc;
    for (size_t i = 0; i < n; ++i) {
      const std::string piece = d.push(ids[i]);
      if (!fffd_expected)
        EXPECT_EQ(piece.find(kFFFD), std::string::npos) << "U+FFFD mid-stream at id " << i << " of " << n;
      acc += piece;
    }
    const size_t streamed = acc.size();
    acc += d.finish();
    const Ids prefix(ids.begin(), ids.begin() + long(n));
    const std::string full = t.decode(prefix, skip);
    EXPECT_EQ(acc, full) << "prefix of " << n << " ids";
    // Text really streams: finish() only has the last word or so left (an unfinished character,
    // or a byte-fallback run, which stays open until a non-byte token ends it). A prefix that cuts
    // a character decodes to U+FFFDs instead, which says nothing about streaming.
    if (full.find(kFFFD) == std::string::npos)
      EXPECT_LE(acc.size() - streamed, 24u) << "prefix of " << n << " ids";
  }
}

const char* kKoreanEmoji = "안녕하세요, 세계! 한국어 😀👍🏽 🇰🇷 텍스트 입니다.";

TEST(TokenizerDetokenizer, ByteLevelKoreanAndEmojiEveryPrefix) {
  auto t = byte_tokenizer();
  Ids ids = t->encode(kKoreanEmoji, false);
  ids.push_back(256);
  check_stream(*t, ids, false);
  check_stream(*t, ids, true);
  // A special token splitting a character: skipped, the character joins up again; kept, both
  // halves are U+FFFD in the full decode and the stream must say the same.
  ids.insert(ids.begin() + 4, 256);
  check_stream(*t, ids, false);
  check_stream(*t, ids, true);
}

TEST(TokenizerDetokenizer, ByteFallbackKoreanAndEmojiEveryPrefix) {
  auto t = fallback_tokenizer();
  Ids ids = t->encode(std::string(kKoreanEmoji) + " 한 a", true);
  ids.push_back(2);
  check_stream(*t, ids, false);
  check_stream(*t, ids, true);
}

TEST(TokenizerDetokenizer, TrailingStripDecoderStreamsWholeSequence) {
  // Strip with stop > 0 drops a trailing space that later text brings back; the detokenizer then
  // decodes the whole sequence each step instead of a window.
  json j = json::parse(fallback_json());
  j["decoder"] = json::parse(R"({"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},
      {"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":2,"stop":1}]})");
  auto t = Tokenizer::from_json(j.dump(), "", "strip tokenizer");
  EXPECT_FALSE(t->decodes_by_window());
  EXPECT_TRUE(fallback_tokenizer()->decodes_by_window());
  const Ids ids = t->encode("a  b a   한 b ", true);
  check_stream(*t, ids, false);
  check_stream(*t, ids, true);
}

TEST(TokenizerDetokenizer, InvalidByteRunMatchesFullDecode) {
  // An invalid run turns into U+FFFD per byte only once the run is known: nothing before it may
  // have been emitted already.
  auto t = fallback_tokenizer();
  const Ids ids = {1, 3 + 0x41, 3 + 0xFF, 3 + 0xEC, 262, 3 + 0xEC, 3 + 0x95};
  IncrementalDetokenizer d(*t, false);
  std::string acc;
  for (int32_t id : ids) acc += d.push(id);
  acc += d.finish();
  EXPECT_EQ(acc, t->decode(ids, false));
  EXPECT_EQ(t->decode({3 + 0x41, 3 + 0xFF}, true), kFFFD + kFFFD);
}

TEST(TokenizerDetokenizer, UnknownIdIsAnError) {
  auto t = byte_tokenizer();
  IncrementalDetokenizer d(*t, false);
  EXPECT_THROW(d.push(100000), sunbae::Error);
  EXPECT_THROW(t->decode({-1}, false), sunbae::Error);
}

}  // namespace
