#include "tokenizer/gguf_vocab.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "core/error.h"

namespace sunbae::tok {

using nlohmann::json;

namespace {

// llama_token_type in llama.cpp / gguf-py's TokenType.
enum TokenType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

const char* const kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char* const kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}
json split(const char* regex) {
  return {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

// The Hugging Face pre-tokenizer equivalent to llama.cpp's for each tokenizer.ggml.pre value
// (llama-vocab.cpp maps the name to a regex list; these are the tokenizer.json files those
// models ship). Also whether the model's BPE ignores merges for whole-vocabulary words.
struct Pre {
  json pre_tokenizer;
  bool ignore_merges = false;
  json normalizer = nullptr;
};
Pre pre_tokenizer_for(const std::string& pre, const std::string& path) {
  if (pre.empty() || pre == "default" || pre == "gpt-2" || pre == "gpt2")
    return {byte_level(true)};
  // StarCoder family (SmolLM among them): every digit alone, then GPT-2's split.
  if (pre == "smollm" || pre == "starcoder" || pre == "refact" || pre == "codeshell")
    return {json{{"type", "Sequence"},
                 {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)}}}};
  if (pre == "llama-bpe" || pre == "llama3" || pre == "falcon3")
    return {json{{"type", "Sequence"}, {"pretokenizers", {split(kLlama3Regex), byte_level(false)}}}, true};
  // Qwen2's tokenizer.json also NFC-normalizes (llama.cpp does not; transformers does).
  if (pre == "qwen2" || pre == "deepseek-r1-qwen")
    return {json{{"type", "Sequence"}, {"pretokenizers", {split(kQwen2Regex), byte_level(false)}}}, false,
            json{{"type", "NFC"}}};
  fail(path, ": tokenizer.ggml.pre '", pre,
       "' is not supported (default, gpt-2, smollm, starcoder, refact, codeshell, llama-bpe, qwen2 are)");
}

// Byte length of the UTF-8 sequence starting with byte c (1 for a stray continuation byte).
size_t utf8_len(unsigned char c) { return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

// SentencePiece BPE scores -> a merge list, as transformers' SentencePieceExtractor does when it
// converts a Llama tokenizer: every split of a piece into two pieces of the vocabulary is a
// merge, ranked by the merged piece's score (highest first; ties in id order), the splits of
// one piece ordered by the ids of their halves.
std::vector<std::pair<std::string, std::string>> merges_from_scores(const std::vector<std::string>& toks,
                                                                    const std::vector<double>& scores) {
  std::unordered_map<std::string_view, int64_t> id;
  id.reserve(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) id.emplace(toks[i], int64_t(i));
  std::vector<size_t> order(toks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<std::pair<std::string, std::string>> merges;
  for (size_t t : order) {
    const std::string& piece = toks[t];
    std::vector<std::tuple<int64_t, int64_t, size_t>> local;  // (id_l, id_r, split byte)
    for (size_t cut = utf8_len(uint8_t(piece[0])); cut < piece.size(); cut += utf8_len(uint8_t(piece[cut]))) {
      auto l = id.find(std::string_view(piece).substr(0, cut));
      auto r = id.find(std::string_view(piece).substr(cut));
      if (l != id.end() && r != id.end()) local.emplace_back(l->second, r->second, cut);
    }
    std::sort(local.begin(), local.end());
    for (const auto& [l, r, cut] : local) merges.emplace_back(piece.substr(0, cut), piece.substr(cut));
  }
  return merges;
}

json added_tokens(const std::vector<std::string>& toks, const std::vector<int64_t>& types, bool unknown_too) {
  json added = json::array();
  for (size_t id = 0; id < toks.size(); ++id) {
    const int64_t t = types[id];
    // Control tokens are special (skipped when decoding with skip_special_tokens); user-defined
    // ones are matched whole in text like llama.cpp does, but decode as text.
    if (t == kControl || t == kUserDefined || (unknown_too && t == kUnknown))
      added.push_back({{"id", id}, {"content", toks[id]}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", t != kUserDefined}});
  }
  return added;
}

// bos/eos added around the sequence, as TemplateProcessing (null when neither is added).
json post_processor(const std::vector<std::string>& toks, std::optional<int64_t> bos, bool add_bos,
                    std::optional<int64_t> eos, bool add_eos, const std::string& path) {
  if (!add_bos && !add_eos) return nullptr;
  SUNBAE_CHECK(!add_bos || bos, path, ": add_bos_token is set but bos_token_id is missing");
  SUNBAE_CHECK(!add_eos || eos, path, ": add_eos_token is set but eos_token_id is missing");
  json single = json::array(), specials = json::object();
  auto special = [&](int64_t id) {
    const std::string& s = toks[size_t(id)];
    single.push_back({{"SpecialToken", {{"id", s}, {"type_id", 0}}}});
    specials[s] = {{"id", s}, {"ids", {id}}, {"tokens", {s}}};
  };
  if (add_bos) special(*bos);
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (add_eos) special(*eos);
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", single}, {"special_tokens", specials}};
}

}  // namespace

GgufTokenizerJson gguf_tokenizer_json(const io::GgufFile& g) {
  const std::string& path = g.path();
  const std::string model = g.get_string("tokenizer.ggml.model");
  SUNBAE_CHECK(model == "gpt2" || model == "llama", path, ": tokenizer.ggml.model '", model,
               "' is not supported (gpt2, byte-level BPE, and llama, SentencePiece BPE, are)");
  const bool spm = model == "llama";
  const io::GgufValue* tokens = g.find("tokenizer.ggml.tokens");
  SUNBAE_CHECK(tokens && tokens->type == io::GgufType::ARRAY && tokens->elem == io::GgufType::STRING &&
                   !tokens->strings.empty(),
               path, ": tokenizer.ggml.tokens must be a non-empty array of strings");
  const std::vector<std::string>& toks = tokens->strings;
  const int64_t n = int64_t(toks.size());

  std::vector<int64_t> types(toks.size(), kNormal);
  if (const io::GgufValue* t = g.find("tokenizer.ggml.token_type")) {
    SUNBAE_CHECK(t->type == io::GgufType::ARRAY && t->ints.size() == toks.size(), path,
                 ": tokenizer.ggml.token_type must be an integer array as long as the ", n, " tokens");
    types = t->ints;
  }
  auto special_id = [&](const char* key) -> std::optional<int64_t> {
    if (!g.find(key)) return std::nullopt;
    const int64_t id = g.get_int(key);
    SUNBAE_CHECK(id >= 0 && id < n, path, ": ", key, " = ", id, " is outside the ", n, " tokens");
    return id;
  };
  const auto bos = special_id("tokenizer.ggml.bos_token_id");
  const auto eos = special_id("tokenizer.ggml.eos_token_id");
  const auto unk = special_id("tokenizer.ggml.unknown_token_id");
  auto flag = [&](const char* key, bool dflt) { return g.find(key) ? g.get_bool(key) : dflt; };
  // llama.cpp's defaults: SentencePiece vocabularies add bos and a leading space, gpt2 ones neither.
  const bool add_bos = flag("tokenizer.ggml.add_bos_token", spm);
  const bool add_eos = flag("tokenizer.ggml.add_eos_token", false);
  json vocab = json::object();
  for (int64_t id = 0; id < n; ++id) vocab[toks[size_t(id)]] = id;

  GgufTokenizerJson out;
  if (spm) {
    const io::GgufValue* sc = g.find("tokenizer.ggml.scores");
    SUNBAE_CHECK(sc && sc->type == io::GgufType::ARRAY && sc->floats.size() == toks.size(), path,
                 ": tokenizer.ggml.scores must be a float array as long as the ", n, " tokens");
    json merges = json::array();
    for (auto& [l, r] : merges_from_scores(toks, sc->floats)) merges.push_back({std::move(l), std::move(r)});
    const bool space_prefix = flag("tokenizer.ggml.add_space_prefix", true);
    // The tokenizer.json transformers writes for a Llama/Mistral SentencePiece model (legacy
    // form): "▁" for spaces, one prepended to each text run, byte fallback for unknown bytes.
    json norm = json::array();
    if (space_prefix) norm.push_back({{"type", "Prepend"}, {"prepend", "\u2581"}});
    norm.push_back({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}});
    json dec = json::array({{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                            {{"type", "ByteFallback"}}, {{"type", "Fuse"}}});
    if (space_prefix) dec.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    out.tokenizer = {
        {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
        {"added_tokens", added_tokens(toks, types, true)},
        {"normalizer", {{"type", "Sequence"}, {"normalizers", norm}}},
        {"pre_tokenizer", nullptr},
        {"post_processor", post_processor(toks, bos, add_bos, eos, add_eos, path)},
        {"decoder", {{"type", "Sequence"}, {"decoders", dec}}},
        {"model",
         {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", toks[size_t(unk.value_or(0))]},
          {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", true},
          {"byte_fallback", true}, {"vocab", vocab}, {"merges", merges}}},
    };
  } else {
    const io::GgufValue* merges = g.find("tokenizer.ggml.merges");
    SUNBAE_CHECK(merges && merges->type == io::GgufType::ARRAY && merges->elem == io::GgufType::STRING,
                 path, ": tokenizer.ggml.merges must be an array of strings for a gpt2 tokenizer");
    for (size_t i = 0; i < merges->strings.size(); ++i) {
      const std::string& m = merges->strings[i];
      const size_t sp = m.find(' ');
      SUNBAE_CHECK(sp != std::string::npos && sp > 0 && sp + 1 < m.size() && m.find(' ', sp + 1) == std::string::npos,
                   path, ": tokenizer.ggml.merges[", i, "] '", m, "' is not two tokens joined by one space");
    }
    const Pre pre = pre_tokenizer_for(g.find("tokenizer.ggml.pre") ? g.get_string("tokenizer.ggml.pre") : "", path);
    out.tokenizer = {
        {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
        {"added_tokens", added_tokens(toks, types, false)},
        {"normalizer", pre.normalizer},
        {"pre_tokenizer", pre.pre_tokenizer},
        {"post_processor", post_processor(toks, bos, add_bos, eos, add_eos, path)},
        {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
        {"model",
         {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", unk ? json(toks[size_t(*unk)]) : json(nullptr)},
          {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
          {"byte_fallback", false}, {"ignore_merges", pre.ignore_merges}, {"vocab", vocab},
          {"merges", merges->strings}}},
    };
  }
  out.config = json::object();
  if (const io::GgufValue* t = g.find("tokenizer.chat_template")) {
    SUNBAE_CHECK(t->type == io::GgufType::STRING, path, ": tokenizer.chat_template must be a string");
    out.config["chat_template"] = t->s;
  }
  if (bos) out.config["bos_token"] = toks[size_t(*bos)];
  if (eos) out.config["eos_token"] = toks[size_t(*eos)];
  return out;
}

std::unique_ptr<Tokenizer> load_gguf_tokenizer(const io::GgufFile& g) {
  const GgufTokenizerJson j = gguf_tokenizer_json(g);
  return Tokenizer::from_json(j.tokenizer.dump(), j.config.dump(), g.path());
}

}  // namespace sunbae::tok
