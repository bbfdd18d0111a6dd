// The tokenizer's building blocks on their own: UTF-8 helpers, the GPT-2 byte table, the
// Oniguruma -> PCRE2 regex translation, normalizers and pre-tokenizers. Expected outputs were
// produced by Hugging Face tokenizers 0.23.3 (normalize_str / pre_tokenize_str) on the same input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace {

using nlohmann::json;
using sunbae::tok::Normalizer;
using sunbae::tok::Piece;
using sunbae::tok::Pieces;
using sunbae::tok::PreTokenizer;
using sunbae::tok::Regex;
namespace unicode = sunbae::tok::unicode;
namespace byte_level = sunbae::tok::byte_level;

std::string normalize(const std::string& spec, std::string text) {
  auto n = Normalizer::from_json(json::parse(spec), "test normalizer");
  n->normalize(text);
  return text;
}

std::vector<std::string> pre_tokenize(const std::string& spec, const std::string& text) {
  auto p = PreTokenizer::from_json(json::parse(spec), "test pre_tokenizer");
  Pieces pieces, tmp;
  pieces.text = text;
  pieces.list.push_back(Piece{0, uint32_t(text.size()), true});
  p->apply(pieces, tmp);
  std::vector<std::string> out;
  for (const Piece& pc : pieces.list) out.emplace_back(pieces.view(pc));
  return out;
}

std::vector<std::string> regex_matches(const std::string& pattern, const std::string& text) {
  Regex re(pattern, Regex::Syntax::Oniguruma, "test");
  std::vector<std::string> out;
  re.for_each_match(text, [&](size_t b, size_t e) { out.push_back(text.substr(b, e - b)); });
  return out;
}

using Strings = std::vector<std::string>;

TEST(TokenizerUnicode, ByteLevelTableRoundTripsEveryByte) {
  const auto& t = byte_level::table();
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(char(b));
  std::string mapped, back;
  byte_level::map_bytes(all, mapped);
  EXPECT_EQ(unicode::count_cps(mapped), 256u);
  ASSERT_TRUE(byte_level::unmap(mapped, back));
  EXPECT_EQ(back, all);
  // GPT-2's table: printable Latin-1 maps to itself, space to U+0120, newline to U+010A.
  EXPECT_EQ(t.byte_to_cp['a'], uint32_t('a'));
  EXPECT_EQ(t.byte_to_cp[' '], 0x120u);
  EXPECT_EQ(t.byte_to_cp['\n'], 0x10Au);
  EXPECT_EQ(t.byte_to_cp[0xAD], 0x143u);
  std::string out;
  EXPECT_FALSE(byte_level::unmap("a\xE2\x96\x81", out));  // U+2581 is not in the table
}

TEST(TokenizerUnicode, LossyUtf8MatchesRust) {
  // One U+FFFD per maximal ill-formed subpart, as String::from_utf8_lossy.
  EXPECT_EQ(unicode::utf8_lossy("a\xEC\x95"), "a\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_lossy("\xEC\x95\xEC\x95\x88"), "\xEF\xBF\xBD\xEC\x95\x88");
  EXPECT_EQ(unicode::utf8_lossy("\xE0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_lossy("\xFF" "b\xC0\xAF"), "\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(unicode::utf8_lossy("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_lossy("ok 한국 😀"), "ok 한국 😀");
  EXPECT_EQ(unicode::find_invalid_utf8("abcdefghij\xC3"), 10u);
  EXPECT_TRUE(unicode::is_valid_utf8(std::string("a\0b", 3)));
}

TEST(TokenizerUnicode, CharacterClasses) {
  EXPECT_TRUE(unicode::is_whitespace(0x3000));
  EXPECT_TRUE(unicode::is_whitespace(0x85));
  EXPECT_FALSE(unicode::is_whitespace(0x200B));
  EXPECT_FALSE(unicode::is_whitespace(0x180E));
  EXPECT_TRUE(unicode::is_numeric(0x2163));   // Ⅳ (Nl)
  EXPECT_TRUE(unicode::is_numeric(0xBD));     // ½ (No)
  EXPECT_TRUE(unicode::is_punctuation('$'));  // ASCII punctuation even though it is Sc
  EXPECT_TRUE(unicode::is_punctuation(0x3002));
  EXPECT_FALSE(unicode::is_punctuation(0x20AC));
  EXPECT_TRUE(unicode::is_regex_word_char(0x24B6));  // Ⓐ: Alphabetic
  EXPECT_TRUE(unicode::is_regex_word_char(0x200D));  // ZWJ: Join_Control
  EXPECT_FALSE(unicode::is_regex_word_char(0xBD));
}

TEST(TokenizerRegex, OnigurumaClassesTranslate) {
  // \s is White_Space (U+180E and U+200B are not), \w is Oniguruma's word class.
  EXPECT_EQ(regex_matches("\\s", "a\u180Eb\u200Bc\u0085d\u00A0e"), (Strings{"\u0085", "\u00A0"}));
  EXPECT_EQ(regex_matches("\\w+", "a_٣Ⅳ½́‿ x\u200D²"), (Strings{"a_٣Ⅳ½́‿", "x", "²"}));
  EXPECT_EQ(regex_matches("\\h+", "0af xyz AF"), (Strings{"0af", "AF"}));
  // ^ and $ are line anchors in Oniguruma.
  EXPECT_EQ(regex_matches("^a", "a\na\na"), (Strings{"a", "a", "a"}));
  EXPECT_EQ(regex_matches("a$", "a\nba\n"), (Strings{"a", "a"}));
  EXPECT_EQ(regex_matches("(?i:'s|'ll)", "'S 'ſ 'Ll"), (Strings{"'S", "'ſ", "'Ll"}));
  EXPECT_EQ(regex_matches("\\bab", "ab xab _ab éab"), (Strings{"ab"}));
  EXPECT_EQ(regex_matches(".", "a\nb\r"), (Strings{"a", "b", "\r"}));
}

TEST(TokenizerRegex, UnicodeNewerThanPcre2) {
  // tokenizers' Oniguruma knows Unicode 16; PCRE2 10.42 stops at 14. 🪿 (15.0), 🫩 (16.0),
  // CJK Extension H (15.0) and Garay (16.0) still land in the right classes.
  EXPECT_EQ(regex_matches("\\p{S}+", "a\U0001FABF\U0001FAE9b"), (Strings{"\U0001FABF\U0001FAE9"}));
  EXPECT_EQ(regex_matches("\\p{L}+", "1\U00031350\U00010D4A2"), (Strings{"\U00031350\U00010D4A"}));
  EXPECT_EQ(regex_matches("[^\\s\\p{L}\\p{N}]+", "x\U0001FABF y"), (Strings{"\U0001FABF"}));
  EXPECT_EQ(regex_matches("\\w+", "\U00031350 \U0001FABF"), (Strings{"\U00031350"}));
  // Text without such characters takes the plain translation; same answers.
  EXPECT_EQ(regex_matches("\\p{S}+", "a+b"), (Strings{"+"}));
}

TEST(TokenizerRegex, EmptyMatchesAdvanceLikeOnig) {
  // The onig crate skips an empty match right where the previous match ended.
  EXPECT_EQ(regex_matches("a*", "baac"), (Strings{"", "aa", ""}));
  EXPECT_EQ(regex_matches("x{,2}", "xxx"), (Strings{"xx", "x"}));
  // Seen through Replace, as tokenizers' normalize_str shows them.
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"Regex":"a*"},"content":"-"})", "baac"), "-b-c-");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"Regex":""},"content":"-"})", "abc"), "-a-b-c-");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"String":""},"content":"-"})", "abc"), "-a-b-c-");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"Regex":"\\b"},"content":"-"})", "ab cd"), "-ab- -cd-");
}

TEST(TokenizerRegex, UnsupportedSyntaxFailsAtLoad) {
  EXPECT_THROW(Regex("[a[b]]", Regex::Syntax::Oniguruma, "t"), sunbae::Error);
  EXPECT_THROW(Regex("[a&&b]", Regex::Syntax::Oniguruma, "t"), sunbae::Error);
  EXPECT_THROW(Regex("\\X", Regex::Syntax::Oniguruma, "t"), sunbae::Error);
  EXPECT_THROW(Regex("(unclosed", Regex::Syntax::Oniguruma, "t"), sunbae::Error);
  try {
    Regex("[\\W]", Regex::Syntax::Oniguruma, "pre_tokenizer Split");
    FAIL() << "no error";
  } catch (const sunbae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("pre_tokenizer Split"), std::string::npos) << e.what();
  }
}

TEST(TokenizerNormalizer, EachType) {
  EXPECT_EQ(normalize(R"({"type":"NFC"})", "e\u0301 \u1100\u1161\u11A8"), "é 각");
  EXPECT_EQ(normalize(R"({"type":"NFD"})", "é 각"), "e\u0301 \u1100\u1161\u11A8");
  EXPECT_EQ(normalize(R"({"type":"NFKC"})", "ﬁ ① ² Ｈ"), "fi 1 2 H");
  EXPECT_EQ(normalize(R"({"type":"NFKD"})", "ﬁé"), "fie\u0301");
  // Per character, no final-sigma rule; İ lowercases to two code points.
  EXPECT_EQ(normalize(R"({"type":"Lowercase"})", "HeLLo ÀΣΑΣ İ"), "hello àσασ i̇");
  EXPECT_EQ(normalize(R"({"type":"Strip","strip_left":true,"strip_right":false})", "  \u3000x  "), "x  ");
  EXPECT_EQ(normalize(R"({"type":"Strip","strip_left":true,"strip_right":true})", "  \u3000x \n"), "x");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"String":"  "},"content":"_"})", "a     b"), "a__ b");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"Regex":"\\d+"},"content":"#"})", "a1b22c333"), "a#b#c#");
  const char* llama = R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
                        {"type":"Replace","pattern":{"String":" "},"content":"▁"}]})";
  EXPECT_EQ(normalize(llama, "hi there"), "▁hi▁there");
  EXPECT_EQ(normalize(R"({"type":"Prepend","prepend":"▁"})", ""), "");
  EXPECT_EQ(Normalizer::from_json(json(nullptr), "n"), nullptr);
}

TEST(TokenizerNormalizer, UnicodeVersionsOfTokenizers) {
  // tokenizers' normalization tables predate U+1DF6 (Unicode 10): to it the mark is an unknown
  // starter, so nothing reorders or composes across it.
  EXPECT_EQ(normalize(R"({"type":"NFC"})", "a\u1DF6\u0301"), "a\u1DF6\u0301");
  EXPECT_EQ(normalize(R"({"type":"NFC"})", "a\u0301\u1DF6"), "\u00E1\u1DF6");
  // Rust's lowercase knows the Unicode 16 case pairs.
  EXPECT_EQ(normalize(R"({"type":"Lowercase"})", "\u1C89\uA7CB"), "\u1C8A\u0264");
  EXPECT_EQ(pre_tokenize(R"({"type":"Digits","individual_digits":true})", "a\U00011DE0b"),
            (Strings{"a", "\U00011DE0", "b"}));
  // is_punc uses an old table: U+09FD (Unicode 10) is not punctuation to it.
  EXPECT_EQ(pre_tokenize(R"({"type":"Punctuation"})", "a\u09FDb"), (Strings{"a\u09FDb"}));
}

TEST(TokenizerNormalizer, UnsupportedFailsLoudly) {
  EXPECT_THROW(Normalizer::from_json(json::parse(R"({"type":"BertNormalizer"})"), "n"), sunbae::Error);
  EXPECT_THROW(Normalizer::from_json(json::parse(R"({"type":"NFC","extra":1})"), "n"), sunbae::Error);
  EXPECT_THROW(Normalizer::from_json(json::parse(R"({"type":"Replace","pattern":{"Glob":"x"},"content":""})"), "n"),
               sunbae::Error);
}

TEST(TokenizerPreTokenizer, SplitBehaviours) {
  const std::string text = "Hey  friend!  How are you?";
  auto split = [&](const char* behavior, bool invert) {
    return pre_tokenize(std::string(R"({"type":"Split","pattern":{"String":" "},"behavior":")") + behavior +
                            R"(","invert":)" + (invert ? "true" : "false") + "}",
                        text);
  };
  EXPECT_EQ(split("Removed", false), (Strings{"Hey", "friend!", "How", "are", "you?"}));
  EXPECT_EQ(split("Removed", true), (Strings{" ", " ", " ", " ", " ", " "}));
  EXPECT_EQ(split("Isolated", false), (Strings{"Hey", " ", " ", "friend!", " ", " ", "How", " ", "are", " ", "you?"}));
  EXPECT_EQ(split("MergedWithPrevious", false), (Strings{"Hey ", " ", "friend! ", " ", "How ", "are ", "you?"}));
  EXPECT_EQ(split("MergedWithPrevious", true), (Strings{"Hey", " ", " friend!", " ", " How", " are", " you?"}));
  EXPECT_EQ(split("MergedWithNext", false), (Strings{"Hey", " ", " friend!", " ", " How", " are", " you?"}));
  EXPECT_EQ(split("MergedWithNext", true), (Strings{"Hey ", " ", "friend! ", " ", "How ", "are ", "you?"}));
  EXPECT_EQ(split("Contiguous", false), (Strings{"Hey", "  ", "friend!", "  ", "How", " ", "are", " ", "you?"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Removed","invert":false})",
                         " a  b \n c "),
            (Strings{"a", "b", "c"}));
}

TEST(TokenizerPreTokenizer, Llama3Pattern) {
  const char* spec =
      R"({"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false})";
  EXPECT_EQ(pre_tokenize(spec, "I'LL pay $12345 for 3 apples!!\n\n  ok  안녕ʼs x\u00A0y"),
            (Strings{"I", "'LL", " pay", " $", "123", "45", " for", " ", "3", " apples", "!!\n\n", " ", " ok", " ",
                     " 안녕ʼs", " x", "\u00A0y"}));
}

TEST(TokenizerPreTokenizer, MetaspaceSchemes) {
  auto meta = [](const char* scheme, bool split) {
    return pre_tokenize(std::string(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":")") + scheme +
                            R"(","split":)" + (split ? "true" : "false") + "}",
                        "Hey  friend ▁x");
  };
  EXPECT_EQ(meta("always", true), (Strings{"▁Hey", "▁", "▁friend", "▁", "▁x"}));
  EXPECT_EQ(meta("always", false), (Strings{"▁Hey▁▁friend▁▁x"}));
  EXPECT_EQ(meta("first", true), (Strings{"▁Hey", "▁", "▁friend", "▁", "▁x"}));
  EXPECT_EQ(meta("never", true), (Strings{"Hey", "▁", "▁friend", "▁", "▁x"}));
  EXPECT_EQ(meta("never", false), (Strings{"Hey▁▁friend▁▁x"}));
  // "first" only prepends to text that starts the input.
  auto p = PreTokenizer::from_json(json::parse(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first"})"), "m");
  Pieces pieces, tmp;
  pieces.text = "ab";
  pieces.list.push_back(Piece{0, 2, false});
  p->apply(pieces, tmp);
  ASSERT_EQ(pieces.list.size(), 1u);
  EXPECT_EQ(pieces.view(pieces.list[0]), "ab");
  // Legacy add_prefix_space=false without prepend_scheme "never" is refused, as tokenizers does.
  EXPECT_THROW(PreTokenizer::from_json(json::parse(R"({"type":"Metaspace","replacement":"▁","add_prefix_space":false})"), "m"),
               sunbae::Error);
}

TEST(TokenizerPreTokenizer, DigitsPunctuationWhitespace) {
  EXPECT_EQ(pre_tokenize(R"({"type":"Digits","individual_digits":true})", "a123b4"),
            (Strings{"a", "1", "2", "3", "b", "4"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"Digits","individual_digits":false})", "a123b4"), (Strings{"a", "123", "b", "4"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"Punctuation"})", "Hi, there!! (ok)"),
            (Strings{"Hi", ",", " there", "!", "!", " ", "(", "ok", ")"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"Whitespace"})", "Hi, there!! (ok) x_y 12"),
            (Strings{"Hi", ",", "there", "!!", "(", "ok", ")", "x_y", "12"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"WhitespaceSplit"})", " Hi, \tthere\u3000x "), (Strings{"Hi,", "there", "x"}));
}

TEST(TokenizerPreTokenizer, ByteLevel) {
  EXPECT_EQ(pre_tokenize(R"({"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true})",
                         "Hello world's 123  \n 한국"),
            (Strings{"ĠHello", "Ġworld", "'s", "Ġ123", "ĠĠĊ", "ĠíķľêµŃ"}));
  EXPECT_EQ(pre_tokenize(R"({"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false})", "a b"),
            (Strings{"aĠb"}));
  EXPECT_THROW(PreTokenizer::from_json(json::parse(R"({"type":"BertPreTokenizer"})"), "p"), sunbae::Error);
  EXPECT_THROW(PreTokenizer::from_json(json::parse(R"({"type":"Split","pattern":{"String":" "},"behavior":"Sideways"})"), "p"),
               sunbae::Error);
}

}  // namespace
