#include "tokenizer/pre_tokenizer.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/json_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

using jsonu::json;

void split_by_behavior(const Piece& piece, std::vector<Cut>& cuts, SplitBehavior behavior,
                       std::vector<Piece>& out) {
  // Folds exactly as tokenizers' NormalizedString::split does, including its quirks (the first
  // cut of Contiguous always starts a part; a match at the very start of MergedWithPrevious
  // stays alone).
  std::vector<Cut>& parts = cuts;
  size_t n = 0;  // parts kept so far, compacted in place
  switch (behavior) {
    case SplitBehavior::Isolated:
      n = cuts.size();
      break;
    case SplitBehavior::Removed:
      for (const Cut& c : cuts)
        if (!c.match) parts[n++] = c;
      break;
    case SplitBehavior::Contiguous: {
      bool prev = false;
      for (const Cut& c : cuts) {
        if (c.match == prev && n > 0)
          parts[n - 1].end = c.end;
        else
          parts[n++] = c;
        prev = c.match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool prev = false;
      for (const Cut& c : cuts) {
        if (c.match && !prev && n > 0)
          parts[n - 1].end = c.end;
        else
          parts[n++] = c;
        prev = c.match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      // Right to left, then the kept parts are in reverse order at the front.
      bool prev = false;
      std::vector<Cut> rev;
      rev.reserve(cuts.size());
      for (size_t i = cuts.size(); i-- > 0;) {
        const Cut& c = cuts[i];
        if (c.match && !prev && !rev.empty())
          rev.back().begin = c.begin;
        else
          rev.push_back(c);
        prev = c.match;
      }
      n = 0;
      for (size_t i = rev.size(); i-- > 0;) parts[n++] = rev[i];
      break;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Cut& c = parts[i];
    if (c.end <= c.begin) continue;
    out.push_back(sub_piece(piece, c.begin, c.end));
  }
}

namespace {

SplitBehavior parse_behavior(const json& j, std::string_view what) {
  if (!j.is_string()) fail(what, ": 'behavior' must be a string");
  const std::string b = j.get<std::string>();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  fail(what, ": unsupported split behavior '", b, "'");
}

// Cuts of `text` at regex (or literal) matches: gaps are non-matches, as Pattern::find_matches.
template <class MatchFn>
void cuts_from_matches(std::string_view text, MatchFn&& for_each_match, bool invert, std::vector<Cut>& cuts) {
  cuts.clear();
  uint32_t prev = 0;
  for_each_match(text, [&](size_t b, size_t e) {
    if (prev != b) cuts.push_back(Cut{prev, uint32_t(b), invert});
    cuts.push_back(Cut{uint32_t(b), uint32_t(e), !invert});
    prev = uint32_t(e);
  });
  if (prev != text.size()) cuts.push_back(Cut{prev, uint32_t(text.size()), invert});
}

// Cuts at every character satisfying pred, each such character its own match (tokenizers'
// Pattern impl for Fn(char) -> bool).
template <class Pred>
void cuts_from_chars(std::string_view text, Pred&& pred, std::vector<Cut>& cuts) {
  cuts.clear();
  uint32_t last = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t b = i;
    const uint32_t cp = unicode::next_cp(text, i);
    if (pred(cp)) {
      if (last < b) cuts.push_back(Cut{last, uint32_t(b), false});
      cuts.push_back(Cut{uint32_t(b), uint32_t(i), true});
      last = uint32_t(i);
    }
  }
  if (last < text.size()) cuts.push_back(Cut{last, uint32_t(text.size()), false});
}

// Splitting steps share this shape: cut each piece, fold, collect.
template <class CutFn>
void split_all(Pieces& p, Pieces& tmp, SplitBehavior behavior, CutFn&& cut) {
  thread_local std::vector<Cut> cuts;
  tmp.list.clear();
  for (const Piece& pc : p.list) {
    cut(p.view(pc), cuts);
    split_by_behavior(pc, cuts, behavior, tmp.list);
  }
  p.list.swap(tmp.list);
}

class Split final : public PreTokenizer {
 public:
  Split(const json& pattern, SplitBehavior b, bool invert, std::string_view what)
      : pattern_(pattern, what), behavior_(b), invert_(invert) {}
  void apply(Pieces& p, Pieces& tmp) const override {
    split_all(p, tmp, behavior_, [&](std::string_view text, std::vector<Cut>& cuts) {
      cuts_from_matches(
          text, [&](std::string_view t, auto&& f) { pattern_.for_each_match(t, f); }, invert_, cuts);
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void apply(Pieces& p, Pieces& tmp) const override {
    split_all(p, tmp, individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous,
              [](std::string_view text, std::vector<Cut>& cuts) { cuts_from_chars(text, unicode::is_numeric, cuts); });
  }

 private:
  bool individual_;
};

class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior b) : behavior_(b) {}
  void apply(Pieces& p, Pieces& tmp) const override {
    split_all(p, tmp, behavior_, [](std::string_view text, std::vector<Cut>& cuts) {
      cuts_from_chars(text, unicode::is_punctuation, cuts);
    });
  }

 private:
  SplitBehavior behavior_;
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void apply(Pieces& p, Pieces& tmp) const override {
    split_all(p, tmp, SplitBehavior::Removed, [](std::string_view text, std::vector<Cut>& cuts) {
      cuts_from_chars(text, unicode::is_whitespace, cuts);
    });
  }
};

// Whitespace is the regex \w+|[^\w\s]+ (Rust `regex` crate: UTS#18 \w, White_Space \s) with
// the matches kept: maximal runs of word characters and of other non-space characters.
class Whitespace final : public PreTokenizer {
 public:
  void apply(Pieces& p, Pieces& tmp) const override {
    tmp.list.clear();
    for (const Piece& pc : p.list) {
      const std::string_view text = p.view(pc);
      size_t i = 0;
      while (i < text.size()) {
        size_t k = i;
        const uint32_t c = unicode::next_cp(text, k);
        if (unicode::is_whitespace(c)) {
          i = k;
          continue;
        }
        const bool word = unicode::is_regex_word_char(c);
        size_t end = k;
        while (end < text.size()) {
          size_t n = end;
          const uint32_t d = unicode::next_cp(text, n);
          if (unicode::is_whitespace(d) || unicode::is_regex_word_char(d) != word) break;
          end = n;
        }
        tmp.list.push_back(sub_piece(pc, uint32_t(i), uint32_t(end)));
        i = end;
      }
    }
    p.list.swap(tmp.list);
  }
};

enum class PrependScheme { Always, First, Never };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(uint32_t replacement, PrependScheme scheme, bool split)
      : rep_(unicode::to_utf8(replacement)), scheme_(scheme), split_(split) {}
  void apply(Pieces& p, Pieces& tmp) const override {
    tmp.text.clear();
    tmp.list.clear();
    thread_local std::vector<Cut> cuts;
    for (const Piece& pc : p.list) {
      const std::string_view src = p.view(pc);
      Piece out{uint32_t(tmp.text.size()), 0, pc.first, 0};
      const bool starts_with_rep = src.substr(0, 1) == " " || src.substr(0, rep_.size()) == rep_;
      // A prepended character is aligned to the piece's start, so it joins the zero region.
      if (!starts_with_rep && (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && pc.first))) {
        tmp.text += rep_;
        if (pc.first) out.zero_len = uint32_t(rep_.size());
      }
      for (size_t i = 0; i < src.size(); ++i) {
        if (src[i] == ' ')
          tmp.text += rep_;
        else
          tmp.text.push_back(src[i]);
        if (i + 1 == pc.zero_len) out.zero_len = uint32_t(tmp.text.size() - out.begin);
      }
      out.end = uint32_t(tmp.text.size());
      if (out.end == out.begin) continue;
      if (!split_) {
        tmp.list.push_back(out);
        continue;
      }
      // Split on the replacement, each occurrence joined to what follows it.
      const std::string_view t = std::string_view(tmp.text).substr(out.begin, out.end - out.begin);
      cuts.clear();
      uint32_t last = 0;
      for (size_t pos = t.find(rep_); pos != std::string_view::npos; pos = t.find(rep_, pos + rep_.size())) {
        if (last < pos) cuts.push_back(Cut{last, uint32_t(pos), false});
        cuts.push_back(Cut{uint32_t(pos), uint32_t(pos + rep_.size()), true});
        last = uint32_t(pos + rep_.size());
      }
      if (last < t.size()) cuts.push_back(Cut{last, uint32_t(t.size()), false});
      split_by_behavior(out, cuts, SplitBehavior::MergedWithNext, tmp.list);
    }
    p.text.swap(tmp.text);
    p.list.swap(tmp.list);
  }

 private:
  std::string rep_;
  PrependScheme scheme_;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void apply(Pieces& p, Pieces& tmp) const override {
    for (const auto& part : parts_) part->apply(p, tmp);
  }
  ByteLevelPreTokenizer* trailing_byte_level() override {
    return parts_.empty() ? nullptr : parts_.back()->trailing_byte_level();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

const Regex& gpt2_regex() {
  static const Regex re("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                        Regex::Syntax::Oniguruma, "pre_tokenizer ByteLevel");
  return re;
}

}  // namespace

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
    : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
  if (use_regex_) gpt2_regex();
}

void ByteLevelPreTokenizer::apply(Pieces& p, Pieces& tmp) const {
  if (add_prefix_space_) {
    // Only pieces not already starting with a space grow one, so the text is rebuilt.
    tmp.text.clear();
    tmp.list.clear();
    for (const Piece& pc : p.list) {
      const std::string_view src = p.view(pc);
      Piece out{uint32_t(tmp.text.size()), 0, pc.first, 0};
      const bool grow = src.empty() || src[0] != ' ';
      if (grow) tmp.text.push_back(' ');
      tmp.text.append(src);
      out.end = uint32_t(tmp.text.size());
      if (pc.first) out.zero_len = pc.zero_len + (grow ? 1 : 0);
      tmp.list.push_back(out);
    }
    p.text.swap(tmp.text);
    p.list.swap(tmp.list);
  }
  if (use_regex_) {
    const Regex& re = gpt2_regex();
    split_all(p, tmp, SplitBehavior::Isolated, [&](std::string_view text, std::vector<Cut>& cuts) {
      cuts_from_matches(
          text, [&](std::string_view t, auto&& f) { re.for_each_match(t, f); }, false, cuts);
    });
  }
  if (map_bytes_) {
    tmp.text.clear();
    tmp.list.clear();
    for (const Piece& pc : p.list) {
      Piece out{uint32_t(tmp.text.size()), 0, pc.first, 0};
      const std::string_view src = p.view(pc);
      byte_level::map_bytes(src.substr(0, pc.zero_len), tmp.text);
      out.zero_len = uint32_t(tmp.text.size() - out.begin);
      byte_level::map_bytes(src.substr(pc.zero_len), tmp.text);
      out.end = uint32_t(tmp.text.size());
      tmp.list.push_back(out);
    }
    p.text.swap(tmp.text);
    p.list.swap(tmp.list);
  }
}

std::unique_ptr<PreTokenizer> PreTokenizer::from_json(const json& j, std::string_view what_in) {
  if (j.is_null()) return nullptr;
  const std::string where(what_in);
  jsonu::require_object(j, where);
  const std::string type = jsonu::get_string(j, "type", where);
  const std::string what = where + " " + type;
  if (type == "Sequence") {
    jsonu::check_keys(j, {"type", "pretokenizers"}, what);
    const json& list = jsonu::field(j, "pretokenizers", what);
    if (!list.is_array()) fail(what, ": 'pretokenizers' must be an array");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_null()) fail(what, ": pretokenizers[", i, "] is null");
      parts.push_back(from_json(list[i], cat(what, "[", i, "]")));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  if (type == "ByteLevel") {
    jsonu::check_keys(j, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, what);
    return std::make_unique<ByteLevelPreTokenizer>(jsonu::get_bool(j, "add_prefix_space", true, what),
                                                   jsonu::get_bool(j, "use_regex", true, what));
  }
  if (type == "Split") {
    jsonu::check_keys(j, {"type", "pattern", "behavior", "invert"}, what);
    return std::make_unique<Split>(jsonu::field(j, "pattern", what),
                                   parse_behavior(jsonu::field(j, "behavior", what), what),
                                   jsonu::get_bool(j, "invert", false, what), what);
  }
  if (type == "Metaspace") {
    jsonu::check_keys(j, {"type", "replacement", "add_prefix_space", "prepend_scheme", "split", "str_rep"}, what);
    const uint32_t rep = jsonu::get_char(j, "replacement", what);
    auto scheme_name = jsonu::get_opt_string(j, "prepend_scheme", what);
    PrependScheme scheme = PrependScheme::Always;
    if (scheme_name) {
      if (*scheme_name == "always") scheme = PrependScheme::Always;
      else if (*scheme_name == "first") scheme = PrependScheme::First;
      else if (*scheme_name == "never") scheme = PrependScheme::Never;
      else fail(what, ": unsupported prepend_scheme '", *scheme_name, "'");
    }
    // Legacy files carry add_prefix_space instead; false must agree with the scheme (tokenizers
    // refuses the file otherwise, the scheme defaulting to "always").
    auto aps = j.find("add_prefix_space");
    if (aps != j.end() && aps->is_boolean() && !aps->get<bool>()) {
      if (scheme != PrependScheme::Never || !scheme_name)
        fail(what, ": add_prefix_space=false does not match prepend_scheme");
      scheme = PrependScheme::Never;
    }
    return std::make_unique<Metaspace>(rep, scheme, jsonu::get_bool(j, "split", true, what));
  }
  if (type == "Digits") {
    jsonu::check_keys(j, {"type", "individual_digits"}, what);
    return std::make_unique<Digits>(jsonu::get_bool(j, "individual_digits", false, what));
  }
  if (type == "Punctuation") {
    jsonu::check_keys(j, {"type", "behavior"}, what);
    auto it = j.find("behavior");
    return std::make_unique<Punctuation>(it == j.end() ? SplitBehavior::Isolated : parse_behavior(*it, what));
  }
  if (type == "Whitespace") {
    jsonu::check_keys(j, {"type"}, what);
    return std::make_unique<Whitespace>();
  }
  if (type == "WhitespaceSplit") {
    jsonu::check_keys(j, {"type"}, what);
    return std::make_unique<WhitespaceSplit>();
  }
  fail(where, ": unsupported pre-tokenizer type '", type, "'");
}

}  // namespace sunbae::tok
