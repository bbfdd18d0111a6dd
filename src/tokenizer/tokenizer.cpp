#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "io/files.h"
#include "io/gguf.h"
#include "tokenizer/added_vocab.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/json_util.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

namespace {

using jsonu::json;

json parse_json(const std::string& text, const std::string& source) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail(source, ": malformed JSON: ", e.what());
  }
}

// bos_token & co. are a string, {"content": ...} (an AddedToken dump) or null.
std::optional<std::string> token_field(const json& cfg, const char* key, const std::string& source) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  fail(source, ": '", key, "' must be a string or an object with a string 'content'");
}

std::vector<AddedToken> parse_added_tokens(const json& list, const std::string& what) {
  std::vector<AddedToken> out;
  if (list.is_null()) return out;
  if (!list.is_array()) fail(what, ": must be an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string w = cat(what, "[", i, "]");
    jsonu::check_keys(e, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}, w);
    const int64_t id = jsonu::get_int(e, "id", w);
    if (id < 0 || id > INT32_MAX) fail(w, ": id ", id, " is out of range");
    AddedToken t;
    t.content = jsonu::get_string(e, "content", w);
    t.single_word = jsonu::get_bool(e, "single_word", false, w);
    t.lstrip = jsonu::get_bool(e, "lstrip", false, w);
    t.rstrip = jsonu::get_bool(e, "rstrip", false, w);
    t.normalized = jsonu::get_bool(e, "normalized", true, w);
    t.special = jsonu::get_bool(e, "special", false, w);
    out.push_back(std::move(t));
  }
  return out;
}

class HfTokenizer final : public Tokenizer {
 public:
  HfTokenizer(const std::string& tokenizer_json, const std::string& config_json, const std::string& source,
              const std::string& config_source);

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override {
    int32_t id = added_->token_to_id(token);
    if (id < 0) id = model_->token_to_id(token);
    return id < 0 ? std::nullopt : std::optional<int32_t>(id);
  }
  std::optional<std::string> id_to_token(int32_t id) const override {
    if (id < 0 || size_t(id) >= id_token_.size() || !id_token_[size_t(id)]) return std::nullopt;
    return *id_token_[size_t(id)];
  }
  bool is_special(int32_t id) const override { return id >= 0 && size_t(id) < skip_.size() && skip_[size_t(id)]; }
  const std::string& chat_template() const override { return chat_template_; }
  const std::optional<std::string>& bos_token() const override { return bos_; }
  const std::optional<std::string>& eos_token() const override { return eos_; }
  bool decodes_by_window() const override { return !decoder_ || decoder_->window_safe(); }

 private:
  struct Workspace {
    std::vector<Segment> raw_segments, norm_segments;
    std::string normalized;
    Pieces pieces, tmp;
  };
  static Workspace& workspace() {
    thread_local Workspace ws;
    return ws;
  }
  // Pre-tokenizer and model over one piece of text that holds no added token.
  void tokenize_text(std::string_view text, const Piece& where, Workspace& ws, std::vector<int32_t>& ids) const;


  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Bpe> model_;
  std::unique_ptr<AddedVocab> added_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<const std::string*> id_token_;  // added tokens take precedence over the model's
  std::vector<uint8_t> skip_;                 // id dropped by skip_special_tokens
  int64_t vocab_size_ = 0;
  std::string chat_template_;
  std::optional<std::string> bos_, eos_;
};

HfTokenizer::HfTokenizer(const std::string& tokenizer_json, const std::string& config_json,
                         const std::string& source, const std::string& csource) {
  const json j = parse_json(tokenizer_json, source);
  if (!j.is_object()) fail(source, ": expected a JSON object at the top level");
  if (auto v = j.find("version"); v != j.end() && !(v->is_string() && v->get<std::string>() == "1.0"))
    fail(source, ": unknown tokenizer version ", v->dump());
  for (const char* opt : {"truncation", "padding"}) {
    auto it = j.find(opt);
    if (it != j.end() && !it->is_null()) fail(source, ": ", opt, " is not supported (must be null)");
  }
  auto get = [&](const char* key) -> const json& {
    static const json null_json;
    auto it = j.find(key);
    return it == j.end() ? null_json : *it;
  };

  const json& model = get("model");
  if (model.is_null()) fail(source, ": missing 'model'");
  jsonu::require_object(model, source + ": model");
  {
    auto type = model.find("type");
    if (type != model.end() && !(type->is_string() && type->get<std::string>() == "BPE"))
      fail(source, ": model: unsupported model type ", type->dump(), " (only BPE is implemented)");
    if (type == model.end() && model.find("merges") == model.end())
      fail(source, ": model: no 'type' and not a BPE model (no merges)");
  }
  normalizer_ = Normalizer::from_json(get("normalizer"), source + ": normalizer");
  pre_tokenizer_ = PreTokenizer::from_json(get("pre_tokenizer"), source + ": pre_tokenizer");
  model_ = std::make_unique<Bpe>(model, source + ": model BPE");
  if (pre_tokenizer_) {
    if (ByteLevelPreTokenizer* bl = pre_tokenizer_->trailing_byte_level()) {
      bl->defer_mapping();
      model_->enable_byte_level();
    }
  }

  const auto added_tokens = parse_added_tokens(get("added_tokens"), source + ": added_tokens");
  added_ = std::make_unique<AddedVocab>(
      added_tokens, [&](std::string_view t) { return model_->token_to_id(t); }, model_->vocab_len(),
      normalizer_.get());

  // Id tables over the model's ids and every added token's.
  size_t limit = model_->id_limit();
  added_->for_each([&](std::string_view, int32_t id) { limit = std::max(limit, size_t(id) + 1); });
  id_token_.assign(limit, nullptr);
  for (size_t id = 0; id < model_->id_limit(); ++id) id_token_[id] = model_->id_to_token(int32_t(id));
  vocab_size_ = int64_t(model_->vocab_len());
  added_->for_each([&](std::string_view content, int32_t id) {
    const AddedToken* t = added_->token_of_id(id);
    if (t) id_token_[size_t(id)] = &t->content;
    if (model_->token_to_id(content) < 0) ++vocab_size_;
  });
  skip_.assign(limit, 0);
  for (size_t id = 0; id < limit; ++id)
    skip_[id] = id_token_[id] && added_->is_special_content(*id_token_[id]);

  post_processor_ = PostProcessor::from_json(get("post_processor"), source + ": post_processor", [&](int64_t id) {
    return id >= 0 && size_t(id) < id_token_.size() && id_token_[size_t(id)] != nullptr;
  });
  decoder_ = Decoder::from_json(get("decoder"), source + ": decoder");

  if (!config_json.empty()) {
    const json cfg = parse_json(config_json, csource);
    if (!cfg.is_object()) fail(csource, ": expected a JSON object at the top level");
    if (auto t = cfg.find("chat_template"); t != cfg.end() && !t->is_null()) {
      if (t->is_string()) {
        chat_template_ = t->get<std::string>();
      } else if (t->is_array()) {
        // Named templates: the "default" one is the chat template.
        for (const json& e : *t) {
          if (!e.is_object() || !e.contains("name") || !e.contains("template") || !e["name"].is_string() ||
              !e["template"].is_string())
            fail(csource, ": chat_template list entries must be {\"name\", \"template\"} strings");
          if (e["name"] == "default") chat_template_ = e["template"].get<std::string>();
        }
      } else {
        fail(csource, ": chat_template must be a string or a list of named templates");
      }
    }
    bos_ = token_field(cfg, "bos_token", csource);
    eos_ = token_field(cfg, "eos_token", csource);
  }
}

void HfTokenizer::tokenize_text(std::string_view text, const Piece& where, Workspace& ws,
                                std::vector<int32_t>& ids) const {
  if (!pre_tokenizer_) {
    model_->tokenize(text, ids);
    return;
  }
  ws.pieces.text.assign(text);
  ws.pieces.list.assign(1, Piece{0, uint32_t(text.size()), where.first, where.zero_len});
  pre_tokenizer_->apply(ws.pieces, ws.tmp);
  for (const Piece& p : ws.pieces.list) model_->tokenize(ws.pieces.view(p), ids);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const size_t bad = unicode::find_invalid_utf8(text);
  if (bad != text.size()) fail("encode: input is not valid UTF-8 (byte offset ", bad, ")");
  if (text.size() >= (size_t(1) << 31)) fail("encode: input of ", text.size(), " bytes is too long");
  Workspace& ws = workspace();
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  ws.raw_segments.clear();
  if (added_->has_raw())
    added_->split(text, false, ws.raw_segments);
  else if (!text.empty())
    ws.raw_segments.push_back(Segment{0, text.size(), -1});
  for (const Segment& s : ws.raw_segments) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    if (s.end <= s.begin) continue;
    std::string_view piece = text.substr(s.begin, s.end - s.begin);
    // Whether this text starts the input (tokenizers: its original offset is 0), and which of its
    // leading bytes do: the first character, followed through the normalizer.
    const bool first = s.begin == 0;
    uint32_t zero_len = first ? uint32_t(unicode::utf8_len(uint8_t(piece[0]))) : 0;
    if (normalizer_) {
      ws.normalized.assign(piece);
      normalizer_->normalize(ws.normalized, zero_len);
      piece = ws.normalized;
      if (piece.empty()) continue;
    }
    // tokenizers always cuts the normalized text again for normalized added tokens (into one part
    // when there are none), so each part starts wherever its first character came from.
    const Piece whole{0, uint32_t(piece.size()), first, zero_len};
    if (!added_->has_normalized()) {
      tokenize_text(piece, sub_piece(whole, 0, whole.end), ws, ids);
      continue;
    }
    ws.norm_segments.clear();
    added_->split(piece, true, ws.norm_segments);
    for (const Segment& n : ws.norm_segments) {
      if (n.id >= 0)
        ids.push_back(n.id);
      else if (n.end > n.begin)
        tokenize_text(piece.substr(n.begin, n.end - n.begin), sub_piece(whole, uint32_t(n.begin), uint32_t(n.end)), ws,
                      ids);
    }
  }
  if (add_special_tokens && post_processor_) post_processor_->process(ids);
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id < 0 || size_t(id) >= id_token_.size() || !id_token_[size_t(id)])
      fail("decode: token id ", id, " is not in the vocabulary (", vocab_size_, " tokens)");
    if (skip_special_tokens && skip_[size_t(id)]) continue;
    tokens.push_back(*id_token_[size_t(id)]);
  }
  std::string out;
  if (decoder_) {
    decoder_->decode_chain(tokens);
    for (const auto& t : tokens) out += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out.push_back(' ');
      out += tokens[i];
    }
  }
  return out;
}

// The first of name, name.gz in dir: {path, content}; an empty path when neither exists.
std::pair<std::string, std::string> read_first(const std::filesystem::path& dir, const char* name, bool required) {
  for (const std::string& candidate : {std::string(name), std::string(name) + ".gz"}) {
    const auto path = dir / candidate;
    if (std::filesystem::exists(path)) return {path.string(), io::read_maybe_gzip(path.string())};
  }
  if (required) fail(dir.string(), ": no ", name, " (or ", name, ".gz) in this directory");
  return {};
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& dir) {
  if (io::GgufFile::sniff(dir)) return load_gguf_tokenizer(*io::GgufFile::open(dir));
  const std::filesystem::path d(dir);
  const auto [path, tokenizer_json] = read_first(d, "tokenizer.json", true);
  const auto [config_path, config_json] = read_first(d, "tokenizer_config.json", false);
  return std::make_unique<HfTokenizer>(tokenizer_json, config_json, path, config_path);
}

std::unique_ptr<Tokenizer> Tokenizer::from_json(const std::string& tokenizer_json, const std::string& config_json,
                                                const std::string& source) {
  return std::make_unique<HfTokenizer>(tokenizer_json, config_json, source, source + " (tokenizer_config.json)");
}

}  // namespace sunbae::tok
