#include "tokenizer/decoder.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/json_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

namespace {

using jsonu::json;

// All tokens become one string: GPT-2 characters back to bytes (a token with any other
// character contributes its own UTF-8 bytes), then lossy UTF-8.
class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens)
      if (!byte_level::unmap(t, bytes)) bytes += t;
    tokens.assign(1, unicode::utf8_lossy(bytes));
  }
};

class Metaspace final : public Decoder {
 public:
  Metaspace(uint32_t replacement, bool strip_first) : rep_(unicode::to_utf8(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (t.find(rep_) == std::string::npos) continue;
      std::string out;
      for (size_t k = 0; k < t.size();) {
        if (t.compare(k, rep_.size(), rep_) == 0) {
          // Every replacement in the first token goes (not only a leading one), as tokenizers does.
          if (!(i == 0 && strip_first_)) out.push_back(' ');
          k += rep_.size();
        } else {
          const size_t n = unicode::utf8_len(uint8_t(t[k]));
          out.append(t, k, n);
          k += n;
        }
      }
      t.swap(out);
    }
  }

 private:
  std::string rep_;
  bool strip_first_;
};

class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string run;
    size_t run_len = 0;
    auto flush = [&]() {
      if (run_len == 0) return;
      if (unicode::is_valid_utf8(run)) {
        out.push_back(run);
      } else {
        // An invalid run turns into one U+FFFD per byte token.
        for (size_t i = 0; i < run_len; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      run.clear();
      run_len = 0;
    };
    for (std::string& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') byte = parse_hex_byte(t[3], t[4]);
      if (byte >= 0) {
        run.push_back(char(byte));
        ++run_len;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }

 private:
  // Rust's u8::from_str_radix(.., 16) on two characters, which also takes a leading '+'.
  static int parse_hex_byte(char a, char b) {
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hb = hex(b);
    if (hb < 0) return -1;
    if (a == '+') return hb;
    const int ha = hex(a);
    return ha < 0 ? -1 : ha * 16 + hb;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class Strip final : public Decoder {
 public:
  Strip(uint32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  bool window_safe() const override { return start_ <= 1 && stop_ == 0; }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::vector<std::pair<size_t, uint32_t>> chars;  // (byte offset, code point)
      for (size_t i = 0; i < t.size();) {
        const size_t b = i;
        chars.emplace_back(b, unicode::next_cp(t, i));
      }
      size_t start_cut = 0;
      for (size_t i = 0; i < start_ && i < chars.size() && chars[i].second == content_; ++i) start_cut = i + 1;
      size_t stop_cut = chars.size();
      for (size_t i = 0; i < stop_ && i < chars.size(); ++i) {
        const size_t index = chars.size() - i - 1;
        if (chars[index].second != content_) break;
        stop_cut = index;
      }
      if (stop_cut <= start_cut) {
        t.clear();
        continue;
      }
      const size_t b = start_cut < chars.size() ? chars[start_cut].first : t.size();
      const size_t e = stop_cut < chars.size() ? chars[stop_cut].first : t.size();
      t = t.substr(b, e - b);
    }
  }

 private:
  uint32_t content_;
  size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  Replace(const json& pattern, std::string content, std::string_view what)
      : pattern_(pattern, what), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::string out;
      size_t last = 0;
      bool any = false;
      pattern_.for_each_match(t, [&](size_t b, size_t e) {
        out.append(t, last, b - last);
        out += content_;
        last = e;
        any = true;
      });
      if (!any) continue;
      out.append(t, last, std::string::npos);
      t.swap(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }
  bool window_safe() const override {
    for (const auto& p : parts_)
      if (!p->window_safe()) return false;
    return true;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

size_t get_count(const json& j, const char* key, const std::string& what) {
  const int64_t v = jsonu::get_int(j, key, what);
  if (v < 0) fail(what, ": '", key, "' must not be negative");
  return size_t(v);
}

}  // namespace

std::unique_ptr<Decoder> Decoder::from_json(const json& j, std::string_view what_in) {
  if (j.is_null()) return nullptr;
  const std::string where(what_in);
  jsonu::require_object(j, where);
  const std::string type = jsonu::get_string(j, "type", where);
  const std::string what = where + " " + type;
  if (type == "ByteLevel") {
    jsonu::check_keys(j, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, what);
    return std::make_unique<ByteLevel>();
  }
  if (type == "Metaspace") {
    jsonu::check_keys(j, {"type", "replacement", "add_prefix_space", "prepend_scheme", "split", "str_rep"}, what);
    const uint32_t rep = jsonu::get_char(j, "replacement", what);
    bool strip_first = true;  // prepend_scheme defaults to "always"
    auto scheme = jsonu::get_opt_string(j, "prepend_scheme", what);
    if (scheme) {
      if (*scheme == "never") strip_first = false;
      else if (*scheme != "always" && *scheme != "first") fail(what, ": unsupported prepend_scheme '", *scheme, "'");
    }
    auto aps = j.find("add_prefix_space");
    if (aps != j.end() && aps->is_boolean() && !aps->get<bool>()) {
      if (!scheme || *scheme != "never") fail(what, ": add_prefix_space=false does not match prepend_scheme");
      strip_first = false;
    }
    return std::make_unique<Metaspace>(rep, strip_first);
  }
  if (type == "ByteFallback") {
    jsonu::check_keys(j, {"type"}, what);
    return std::make_unique<ByteFallback>();
  }
  if (type == "Fuse") {
    jsonu::check_keys(j, {"type"}, what);
    return std::make_unique<Fuse>();
  }
  if (type == "Strip") {
    jsonu::check_keys(j, {"type", "content", "start", "stop"}, what);
    return std::make_unique<Strip>(jsonu::get_char(j, "content", what), get_count(j, "start", what),
                                   get_count(j, "stop", what));
  }
  if (type == "Replace") {
    jsonu::check_keys(j, {"type", "pattern", "content"}, what);
    return std::make_unique<Replace>(jsonu::field(j, "pattern", what), jsonu::get_string(j, "content", what), what);
  }
  if (type == "Sequence") {
    jsonu::check_keys(j, {"type", "decoders"}, what);
    const json& list = jsonu::field(j, "decoders", what);
    if (!list.is_array()) fail(what, ": 'decoders' must be an array");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_null()) fail(what, ": decoders[", i, "] is null");
      parts.push_back(from_json(list[i], cat(what, "[", i, "]")));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail(where, ": unsupported decoder type '", type, "'");
}

}  // namespace sunbae::tok
