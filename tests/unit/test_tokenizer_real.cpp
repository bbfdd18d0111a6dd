// The seven real tokenizer.json files in shared/tokenizers: the README's sanity ids, a few harder
// strings whose ids and decodes come from Hugging Face tokenizers 0.23.3 on the same files, the
// tokenizer_config fields, and streaming decode of Korean and emoji. (The 2,000-string parity
// suite lives elsewhere; this is the quick check that the real files load and agree.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "unit/shared_tokenizers.h"
#include "tokenizer/tokenizer.h"

namespace {

using sunbae::tok::IncrementalDetokenizer;
using sunbae::tok::Tokenizer;
using Ids = std::vector<int32_t>;

using ::sunbae::test::shared_tokenizers;

// Loading the large files takes a while; each is loaded once for the whole test binary.
const Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& t = cache[name];
  if (!t) t = Tokenizer::load((shared_tokenizers() / name).string());
  return *t;
}

struct Case {
  std::string text;
  Ids ids;  // with special tokens
  std::string decoded;  // decode(ids, skip_special_tokens=true)
};
struct Expected {
  std::string name;
  int64_t vocab_size;
  std::vector<Case> cases;
};

const std::vector<Expected>& expected() {
  static const std::vector<Expected> e = {
    {"llama3-instruct", 128256, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {128000, 101193, 124409, 11, 110572, 0, 104008, 32179, 10997, 45204, 54289, 80052, 13}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {128000, 755, 282, 2120, 997, 262, 471, 865, 334, 17, 220, 674, 91416, 9468, 239, 235, 9468, 237, 121}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {128000, 220, 358, 6, 4178, 2343, 400, 4513, 1774, 13, 3080, 271, 82022}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {128000, 45147, 31868, 65562, 60, 15960, 66028, 65562, 32061, 82, 1822, 91, 318, 5011, 91, 29, 882, 128009}, "<s>[INST] hi [/INST]</s><|im_start|>user"},
    }},
    {"qwen3", 151669, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {126246, 144370, 91145, 11, 133196, 0, 130092, 31079, 10764, 44104, 53189, 78952, 13}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {750, 282, 2075, 982, 262, 470, 856, 334, 17, 220, 671, 90316, 144349, 145375}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {220, 358, 6, 4086, 2291, 400, 16, 17, 18, 19, 20, 13, 21, 22, 271, 80922}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {44047, 30768, 64462, 60, 15588, 64928, 64462, 30961, 82, 29, 151644, 872, 27, 91, 68, 354, 842, 91, 29}, "<s>[INST] hi [/INST]</s>user<|eot_id|>"},
    }},
    {"gemma", 256000, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {2, 238179, 243415, 204551, 235269, 154094, 235341, 114490, 236770, 235248, 242756, 50691, 47555, 235265}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {2, 1293, 517, 235278, 235297, 1245, 108, 141, 773, 1141, 688, 235284, 139, 235345, 79937, 237019, 239518}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {2, 139, 235285, 235303, 1650, 2523, 697, 235274, 235284, 235304, 235310, 235308, 235265, 235318, 235324, 109, 226, 1032}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {2, 204, 235309, 19647, 235307, 5827, 113701, 19647, 235307, 213, 235322, 235371, 571, 235298, 2997, 73786, 1645, 235322, 235371, 235249, 562, 235298, 539, 73786}, "<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>"},
    }},
    {"deepseek-v3", 128815, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {31404, 11939, 246, 4567, 73527, 14, 76878, 3, 51345, 9227, 61291, 238, 45652, 34941, 16}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {3465, 285, 4042, 3395, 361, 1354, 1527, 666, 20, 223, 1823, 53769, 225, 92526, 40965, 124}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {223, 342, 9, 3699, 3353, 957, 6895, 1883, 16, 3186, 271, 200, 949}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {114355, 86594, 72869, 63, 19346, 80793, 72869, 63, 1718, 85, 5451, 94, 328, 37864, 94, 32, 5265, 30, 94, 71, 347, 5165, 94, 32}, "<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>"},
    }},
    {"mistral-v0.1", 32000, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {1, 28705, 30325, 238, 136, 152, 29136, 29721, 29517, 28725, 28705, 29721, 30106, 28808, 28705, 29282, 30779, 29433, 28705, 240, 136, 144, 29304, 29404, 29429, 29194, 29043, 28723}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {1, 801, 285, 28732, 28744, 1329, 13, 2287, 604, 1318, 348, 28750, 28705, 422, 28705, 30575, 30195, 31007}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {1, 259, 315, 28742, 5292, 2136, 429, 28740, 28750, 28770, 28781, 28782, 28723, 28784, 28787, 13, 13, 12, 3306}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {1, 1, 733, 16289, 28793, 12014, 733, 28748, 16289, 28793, 2, 523, 28766, 321, 28730, 2521, 28766, 28767, 1838, 28789, 28766, 28706, 322, 28730, 313, 28766, 28767}, "[INST] hi [/INST] <|im_start|>user<|eot_id|>"},
    }},
    {"llama2-rebuilt", 32000, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {1, 29871, 31734, 238, 136, 152, 30944, 31578, 31527, 29892, 29871, 31578, 237, 182, 135, 29991, 29871, 30877, 31293, 31129, 29871, 240, 136, 144, 30784, 31177, 239, 161, 136, 31063, 30709, 29889}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {1, 822, 285, 29898, 29916, 1125, 13, 1678, 736, 921, 1068, 29906, 29871, 396, 29871, 243, 162, 155, 131, 243, 162, 148, 144, 243, 162, 146, 192}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {1, 259, 306, 29915, 2208, 5146, 395, 29896, 29906, 29941, 29946, 29945, 29889, 29953, 29955, 13, 13, 12, 3707}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {1, 1, 518, 25580, 29962, 7251, 518, 29914, 25580, 29962, 2, 529, 29989, 326, 29918, 2962, 29989, 29958, 1792, 29966, 29989, 29872, 327, 29918, 333, 29989, 29958}, "[INST] hi [/INST] <|im_start|>user<|eot_id|>"},
    }},
    {"mistral-v0.3-rebuilt", 32768, {
        {"안녕하세요, 세계! 한국어 텍스트입니다.", {1, 29473, 31093, 1006, 904, 920, 29904, 30489, 30285, 29493, 29473, 30489, 30874, 29576, 29473, 30050, 31547, 30201, 29473, 1008, 904, 912, 30072, 30172, 30197, 29962, 29811, 29491}, "안녕하세요, 세계! 한국어 텍스트입니다."},
        {"def f(x):\n    return x**2  # 😀👍🏽", {1, 1569, 1053, 29500, 29512, 2097, 781, 3055, 1372, 2086, 1116, 29518, 29473, 1190, 29473, 31343, 30963, 31775}, "def f(x):\n    return x**2  # 😀👍🏽"},
        {"  I'LL pay $12345.67\n\n\tnow", {1, 1027, 1083, 29510, 6060, 2904, 1197, 29508, 29518, 29538, 29549, 29550, 29491, 29552, 29555, 781, 781, 780, 4074}, "  I'LL pay $12345.67\n\n\tnow"},
        {"<s>[INST] hi [/INST]</s><|im_start|>user<|eot_id|>", {1, 1, 3, 29473, 12782, 29473, 4, 2, 1291, 29534, 1089, 29498, 3289, 29534, 29535, 2606, 29557, 29534, 29474, 1090, 29498, 1081, 29534, 29535}, " hi  <|im_start|>user<|eot_id|>"},
    }},
  };
  return e;
}

TEST(TokenizerRealFiles, ReadmeSanityIds) {
  REQUIRE_SHARED_TOKENIZERS();
  const std::map<std::string, Ids> sanity = {
      {"llama2-rebuilt", {1, 15043, 29892, 590, 11203, 338, 274, 1082}},
      {"mistral-v0.1", {1, 22557, 28725, 586, 3914, 349, 17949}},
      {"mistral-v0.3-rebuilt", {1, 23325, 29493, 1354, 4682, 1117, 18717}},
      {"llama3-instruct", {128000, 9906, 11, 856, 5679, 374, 19369}},
      {"qwen3", {9707, 11, 847, 5562, 374, 18838}},
      {"gemma", {2, 4521, 235269, 970, 5929, 603, 9786}},
      {"deepseek-v3", {19923, 14, 1026, 6397, 344, 33125}},
  };
  for (const auto& [name, ids] : sanity) {
    const Tokenizer& t = tokenizer(name);
    EXPECT_EQ(t.encode("Hello, my dog is cute", true), ids) << name;
    EXPECT_EQ(t.decode(ids, true), "Hello, my dog is cute") << name;
  }
}

TEST(TokenizerRealFiles, HarderStrings) {
  REQUIRE_SHARED_TOKENIZERS();
  for (const Expected& e : expected()) {
    const Tokenizer& t = tokenizer(e.name);
    EXPECT_EQ(t.vocab_size(), e.vocab_size) << e.name;
    for (const Case& c : e.cases) {
      EXPECT_EQ(t.encode(c.text, true), c.ids) << e.name << ": " << c.text;
      EXPECT_EQ(t.decode(c.ids, true), c.decoded) << e.name << ": " << c.text;
    }
  }
}

TEST(TokenizerRealFiles, CharactersNewerThanPcre2) {
  // 🪿 🫎 (Unicode 15), 🫩 (16) and a CJK Extension H ideograph (15): tokenizers' Oniguruma knows
  // them, PCRE2's Unicode 14 tables do not.
  REQUIRE_SHARED_TOKENIZERS();
  const std::string text = "Goose \U0001FABF, moose \U0001FACE, face \U0001FAE9! \U00031350 ok";
  const std::map<std::string, Ids> want = {
      {"llama3-instruct", {11087, 974, 11410, 103, 123, 11, 4647, 974, 11410, 104, 236, 11, 3663, 11410, 104, 102, 0,
                           109697, 109, 235, 238, 5509}},
      {"qwen3", {10850, 960, 11162, 103, 123, 11, 4544, 960, 11162, 104, 236, 11, 3579, 11162, 104, 102, 0, 220, 172, 109,
                 235, 238, 5394}},
      {"deepseek-v3", {5188, 863, 7351, 106, 126, 14, 4698, 863, 7351, 107, 239, 14, 4219, 7351, 107, 105, 3, 86387, 112,
                       238, 241, 9109}},
      {"gemma", {125953, 235248, 457, 376, 387, 408, 235269, 99120, 235248, 457, 376, 388, 359, 235269, 3142, 235248, 457,
                 376, 388, 386, 235341, 235248, 457, 394, 358, 361, 4634}},
  };
  for (const auto& [name, ids] : want) EXPECT_EQ(tokenizer(name).encode(text, false), ids) << name;
}

TEST(TokenizerRealFiles, ConfigFields) {
  REQUIRE_SHARED_TOKENIZERS();
  EXPECT_EQ(tokenizer("llama3-instruct").bos_token(), "<|begin_of_text|>");
  EXPECT_EQ(tokenizer("llama3-instruct").eos_token(), "<|eot_id|>");
  EXPECT_EQ(tokenizer("qwen3").bos_token(), std::nullopt);
  EXPECT_EQ(tokenizer("qwen3").eos_token(), "<|im_end|>");
  EXPECT_EQ(tokenizer("deepseek-v3").bos_token(), "<｜begin▁of▁sentence｜>");  // an AddedToken object
  EXPECT_EQ(tokenizer("gemma").eos_token(), "<eos>");
  EXPECT_EQ(tokenizer("mistral-v0.1").bos_token(), "<s>");
  for (const char* name : {"llama3-instruct", "qwen3", "gemma", "deepseek-v3"})
    EXPECT_FALSE(tokenizer(name).chat_template().empty()) << name;
  EXPECT_TRUE(tokenizer("mistral-v0.1").chat_template().empty());
  EXPECT_EQ(tokenizer("llama3-instruct").token_to_id("<|eot_id|>"), 128009);
  EXPECT_TRUE(tokenizer("llama3-instruct").is_special(128009));
  EXPECT_FALSE(tokenizer("qwen3").is_special(151668));  // </think> is added but not special
  EXPECT_EQ(tokenizer("gemma").id_to_token(2), "<bos>");
}

TEST(TokenizerRealFiles, StreamingKoreanAndEmojiEveryPrefix) {
  REQUIRE_SHARED_TOKENIZERS();
  const std::string text = "안녕하세요! 오늘 날씨가 정말 좋네요 😀👍🏽🇰🇷 뷁똠 햏 — 끝.";
  const std::string fffd = "\xEF\xBF\xBD";
  for (const Expected& e : expected()) {
    const Tokenizer& t = tokenizer(e.name);
    const Ids ids = t.encode(text, true);
    for (bool skip : {false, true}) {
      for (size_t n = 0; n <= ids.size(); ++n) {
        IncrementalDetokenizer d(t, skip);
        std::string acc;
        for (size_t i = 0; i < n; ++i) {
          const std::string piece = d.push(ids[i]);
          EXPECT_EQ(piece.find(fffd), std::string::npos) << e.name << ": U+FFFD at id " << i;
          acc += piece;
        }
        acc += d.finish();
        EXPECT_EQ(acc, t.decode(Ids(ids.begin(), ids.begin() + long(n)), skip)) << e.name << " prefix " << n;
      }
    }
  }
}

}  // namespace
