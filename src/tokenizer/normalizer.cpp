#include "tokenizer/normalizer.h"

#include <algorithm>
#include <vector>

#include "tokenizer/json_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

namespace {

using jsonu::json;

class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(unicode::NormForm f) : form_(f) {}
  void normalize(std::string& s, uint32_t& zero_len) const override {
    // Characters composed or decomposed from the leading ones keep their alignment.
    if (zero_len) zero_len = uint32_t(unicode::normalize(std::string_view(s).substr(0, zero_len), form_).size());
    s = unicode::normalize(s, form_);
    zero_len = std::min(zero_len, uint32_t(s.size()));
  }

 private:
  unicode::NormForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& s, uint32_t& zero_len) const override {
    if (zero_len) zero_len = uint32_t(unicode::lowercase(std::string_view(s).substr(0, zero_len)).size());
    s = unicode::lowercase(s);
  }
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s, uint32_t& zero_len) const override {
    if (s.empty()) return;
    s.insert(0, prepend_);
    zero_len += uint32_t(prepend_.size());
  }

 private:
  std::string prepend_;
};

class Replace final : public Normalizer {
 public:
  Replace(const json& pattern, std::string content, std::string_view what)
      : pattern_(pattern, what), content_(std::move(content)) {}
  void normalize(std::string& s, uint32_t& zero_len) const override {
    std::string out;
    size_t last = 0;
    bool any = false;
    // The zero region of the result: kept bytes stay zero where they were, replacement text is
    // zero when the last byte it replaces was (or it is inserted at the very start).
    uint32_t zero = 0;
    bool open = zero_len > 0;
    auto keep = [&](size_t from, size_t to) {
      if (!open || from >= to) return;
      const size_t z = from < zero_len ? std::min<size_t>(to, zero_len) - from : 0;
      zero += uint32_t(z);
      if (from + z < to) open = false;
    };
    pattern_.for_each_match(s, [&](size_t b, size_t e) {
      if (!any) out.reserve(s.size() + 16);
      any = true;
      out.append(s, last, b - last);
      keep(last, b);
      out += content_;
      if (open && !content_.empty()) {
        if (e == 0 || e - 1 < zero_len)
          zero += uint32_t(content_.size());
        else
          open = false;
      }
      last = e;
    });
    if (!any) return;
    out.append(s, last, std::string::npos);
    keep(last, s.size());
    s.swap(out);
    zero_len = zero;
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s, uint32_t& zero_len) const override {
    size_t b = 0, e = s.size();
    if (left_) {
      while (b < e) {
        size_t i = b;
        if (!unicode::is_whitespace(unicode::next_cp(s, i))) break;
        b = i;
      }
    }
    if (right_) {
      while (e > b) {
        size_t i = unicode::prev_cp_start(s, e), k = i;
        if (!unicode::is_whitespace(unicode::next_cp(s, k))) break;
        e = i;
      }
    }
    s = s.substr(b, e - b);
    zero_len = zero_len > b ? std::min(uint32_t(zero_len - b), uint32_t(s.size())) : 0;
  }

 private:
  bool left_, right_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::string& s, uint32_t& zero_len) const override {
    for (const auto& p : parts_) p->normalize(s, zero_len);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::unique_ptr<Normalizer> Normalizer::from_json(const json& j, std::string_view what_in) {
  if (j.is_null()) return nullptr;
  const std::string where(what_in);
  jsonu::require_object(j, where);
  const std::string type = jsonu::get_string(j, "type", where);
  const std::string what = where + " " + type;
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    jsonu::check_keys(j, {"type"}, what);
    const auto f = type == "NFC"    ? unicode::NormForm::NFC
                   : type == "NFD"  ? unicode::NormForm::NFD
                   : type == "NFKC" ? unicode::NormForm::NFKC
                                    : unicode::NormForm::NFKD;
    return std::make_unique<UnicodeForm>(f);
  }
  if (type == "Lowercase") {
    jsonu::check_keys(j, {"type"}, what);
    return std::make_unique<Lowercase>();
  }
  if (type == "Prepend") {
    jsonu::check_keys(j, {"type", "prepend"}, what);
    return std::make_unique<Prepend>(jsonu::get_string(j, "prepend", what));
  }
  if (type == "Replace") {
    jsonu::check_keys(j, {"type", "pattern", "content"}, what);
    return std::make_unique<Replace>(jsonu::field(j, "pattern", what), jsonu::get_string(j, "content", what),
                                     what);
  }
  if (type == "Strip") {
    jsonu::check_keys(j, {"type", "strip_left", "strip_right"}, what);
    return std::make_unique<Strip>(jsonu::get_bool(j, "strip_left", false, what),
                                   jsonu::get_bool(j, "strip_right", false, what));
  }
  if (type == "Sequence") {
    jsonu::check_keys(j, {"type", "normalizers"}, what);
    const json& list = jsonu::field(j, "normalizers", what);
    if (!list.is_array()) fail(what, ": 'normalizers' must be an array");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_null()) fail(what, ": normalizers[", i, "] is null");
      parts.push_back(from_json(list[i], cat(what, "[", i, "]")));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail(where, ": unsupported normalizer type '", type, "'");
}

}  // namespace sunbae::tok
