#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "core/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/unicode_tables.h"

namespace sunbae::tok {

namespace {

// One match-data block, match context and JIT stack per thread, shared by every Regex: only
// group 0 is ever read, so one ovector pair is enough whatever the pattern.
struct ThreadMatch {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mc = nullptr;
  pcre2_jit_stack* js = nullptr;
  ThreadMatch() {
    md = pcre2_match_data_create(1, nullptr);
    mc = pcre2_match_context_create(nullptr);
    // Long runs of whitespace with (?!\S) backtrack deeply; the stack grows on demand.
    js = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    if (!md || !mc || !js) fail("regex: out of memory creating match data");
    pcre2_jit_stack_assign(mc, nullptr, js);
  }
  ~ThreadMatch() {
    pcre2_jit_stack_free(js);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
  }
};

ThreadMatch& thread_match() {
  thread_local ThreadMatch tm;
  return tm;
}

std::string pcre_error(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char*>(buf);
}

// Oniguruma's \w (Unicode): Alphabetic, marks, decimal digits, connector punctuation, plus the
// Latin-1 superscripts and fractions its single-byte table counts as word characters (checked
// against tokenizers over every assigned code point).
constexpr const char* kWordBody = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";

// Class items for code points PCRE2's Unicode 14 tables leave unassigned but Oniguruma (Unicode
// 16) puts in `category` (one letter for a group: "L" = Lu Ll Lt Lm Lo), e.g. the 2022+ emoji.
std::string newer_items(std::string_view category, bool newer) {
  std::string out;
  if (!newer) return out;
  char buf[32];
  for (size_t k = 0; k < unicode_tables::kRegexCategories_size; ++k) {
    const auto& c = unicode_tables::kRegexCategories[k];
    const std::string_view name(c.name);
    if (!(category == name || (category.size() == 1 && name[0] == category[0]))) continue;
    for (size_t r = 0; r < c.size; ++r) {
      std::snprintf(buf, sizeof buf, "\\x{%X}-\\x{%X}", c.ranges[r].lo, c.ranges[r].hi);
      out += buf;
    }
  }
  return out;
}

std::string word_items(bool newer) {
  std::string out = kWordBody;
  if (!newer) return out;
  char buf[32];
  for (size_t r = 0; r < unicode_tables::kRegexWord_size; ++r) {
    std::snprintf(buf, sizeof buf, "\\x{%X}-\\x{%X}", unicode_tables::kRegexWord[r].lo, unicode_tables::kRegexWord[r].hi);
    out += buf;
  }
  return out;
}

// "[" + body + "]" (or "[^"), built by appending: GCC 12 misreports prepending to a temporary.
std::string bracket(const std::string& body, bool negate = false) {
  std::string s(negate ? "[^" : "[");
  s += body;
  s += ']';
  return s;
}

bool is_category_name(std::string_view n) {
  static constexpr std::string_view kNames[] = {"L",  "M",  "N",  "P",  "S",  "Z",  "C",  "Lu", "Ll", "Lt",
                                                "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd",
                                                "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs",
                                                "Zl", "Zp", "Cc", "Cf", "Co", "Cn", "Cs"};
  for (auto k : kNames)
    if (n == k) return true;
  return false;
}

}  // namespace

std::string Regex::escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    const auto u = uint8_t(c);
    if (u < 0x80 && !std::isalnum(u) && c != ' ' && c != '_') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string Regex::translate_oniguruma(std::string_view p, std::string_view what, bool newer) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  size_t class_start = 0;  // index in p just after '[' or '[^'
  auto unsupported = [&](std::string_view construct) {
    fail(what, ": regex ", construct, " in /", std::string(p),
         "/ has no PCRE2 equivalent in this implementation");
  };
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) fail(what, ": regex /", std::string(p), "/ ends with a backslash");
      const char e = p[i + 1];
      switch (e) {
        case 's': out += "\\p{WSpace}"; break;
        case 'S': out += "\\P{WSpace}"; break;
        case 'w':
          out += in_class ? word_items(newer) : bracket(word_items(newer));
          break;
        case 'W':
          if (in_class) unsupported("\\W inside a character class");
          out += bracket(word_items(newer), true);
          break;
        case 'd':
        case 'D': {
          const std::string items = "\\p{Nd}" + newer_items("Nd", newer);
          if (in_class && e == 'D') unsupported("\\D inside a character class");
          out += in_class ? items : bracket(items, e == 'D');
          break;
        }
        case 'p':
        case 'P': {
          // \p{X} / \pX / \p{^X}: general categories get Oniguruma's newer code points too.
          std::string name;
          size_t len = 3;
          if (i + 2 < p.size() && p[i + 2] == '{') {
            const size_t close = p.find('}', i + 3);
            if (close == std::string_view::npos) fail(what, ": regex /", std::string(p), "/: unterminated \\p{");
            name = std::string(p.substr(i + 3, close - i - 3));
            len = close + 1 - i;
          } else if (i + 2 < p.size()) {
            name = std::string(1, p[i + 2]);
          }
          bool negated = e == 'P';
          std::string bare = name;
          if (!bare.empty() && bare[0] == '^') {
            negated = !negated;
            bare.erase(0, 1);
          }
          const std::string extra = is_category_name(bare) ? newer_items(bare, newer) : std::string();
          const std::string prop = "\\p{" + bare + "}";
          if (extra.empty()) {
            out += negated ? "\\P{" : "\\p{";
            out += bare;
            out += '}';
          } else if (!in_class) {
            out += bracket(prop + extra, negated);
          } else if (!negated) {
            out += prop + extra;
          } else {
            unsupported("a negated Unicode category inside a character class");
          }
          i += len;
          continue;
        }
        case 'h': out += in_class ? "0-9a-fA-F" : "[0-9a-fA-F]"; break;
        case 'b':
        case 'B': {
          if (in_class) {  // backspace in both dialects
            out += "\\b";
            break;
          }
          // Word boundaries over Oniguruma's \w, which PCRE2's own \b does not share.
          const std::string w = bracket(word_items(newer));
          out += e == 'b' ? "(?:(?<=" + w + ")(?!" + w + ")|(?<!" + w + ")(?=" + w + "))"
                          : "(?:(?<=" + w + ")(?=" + w + ")|(?<!" + w + ")(?!" + w + "))";
          break;
        }
        case 'H':
          if (in_class) unsupported("\\H inside a character class");
          out += "[^0-9a-fA-F]";
          break;
        case 'u': {
          // \uHHHH (Ruby syntax) -> \x{HHHH}
          if (i + 6 > p.size()) fail(what, ": regex /", std::string(p), "/: bad \\u escape");
          for (size_t k = i + 2; k < i + 6; ++k)
            if (!std::isxdigit(uint8_t(p[k]))) fail(what, ": regex /", std::string(p), "/: bad \\u escape");
          out += "\\x{" + std::string(p.substr(i + 2, 4)) + "}";
          i += 6;
          continue;
        }
        case 'X': case 'R': case 'K': case 'y': case 'Y': case 'O': case 'N':
          unsupported(std::string("\\") + e);
          break;
        default: {
          out.push_back('\\');
          const size_t n = unicode::utf8_len(uint8_t(e));
          out.append(p.substr(i + 1, n));
          i += 1 + n;
          continue;
        }
      }
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[') {
        if (i + 1 < p.size() && p[i + 1] == ':') {
          const size_t close = p.find(":]", i + 2);
          if (close == std::string_view::npos) unsupported("unterminated POSIX class");
          out.append(p.substr(i, close + 2 - i));
          i = close + 2;
          continue;
        }
        unsupported("nested character class");
      }
      if (c == '&' && i + 1 < p.size() && p[i + 1] == '&') unsupported("class intersection &&");
      if (c == ']' && i != class_start) in_class = false;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      ++i;
      if (i < p.size() && p[i] == '^') {
        out.push_back('^');
        ++i;
      }
      class_start = i;
      continue;
    }
    if (c == '{' && i + 1 < p.size() && p[i + 1] == ',') {
      // Oniguruma reads {,n} as {0,n}; PCRE2 10.42 would read it as literal text.
      size_t k = i + 2;
      while (k < p.size() && std::isdigit(uint8_t(p[k]))) ++k;
      if (k > i + 2 && k < p.size() && p[k] == '}') {
        out += "{0," + std::string(p.substr(i + 2, k - i - 2)) + "}";
        i = k + 1;
        continue;
      }
    }
    if (c == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      // Inline options: Ruby's (?m) is PCRE2's (?s); anything else but i/x is refused.
      size_t k = i + 2;
      std::string opts;
      while (k < p.size() && (std::isalpha(uint8_t(p[k])) || p[k] == '-')) opts.push_back(p[k++]);
      if (!opts.empty() && k < p.size() && (p[k] == ':' || p[k] == ')')) {
        std::string mapped;
        for (char o : opts) {
          if (o == 'i' || o == 'x' || o == '-') mapped.push_back(o);
          else if (o == 'm') mapped.push_back('s');
          else unsupported(std::string("inline option (?") + opts + ")");
        }
        out += "(?" + mapped;
        i = k;
        continue;
      }
    }
    const size_t n = unicode::utf8_len(uint8_t(c));
    out.append(p.substr(i, n));
    i += n;
  }
  if (in_class) fail(what, ": regex /", std::string(p), "/ has an unterminated character class");
  return out;
}

namespace {

void* compile(const std::string& pcre_pattern, bool multiline, std::string_view original, std::string_view what,
              bool& jit) {
  pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE off = 0;
  const uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | (multiline ? PCRE2_MULTILINE : 0);
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcre_pattern.data()), pcre_pattern.size(), opts, &err,
                             &off, cc);
  pcre2_compile_context_free(cc);
  if (!code) fail(what, ": invalid regex /", std::string(original), "/ at offset ", off, ": ", pcre_error(err));
  jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return code;
}

// Code points some translated class gains over PCRE2's own tables (Unicode 15+): a bitmap for
// the BMP, the sorted ranges beyond.
struct NewerSet {
  std::vector<uint64_t> bmp = std::vector<uint64_t>(0x10000 / 64);
  std::vector<unicode_tables::CpRange> astral;
  NewerSet() {
    std::vector<unicode_tables::CpRange> all;
    for (size_t k = 0; k < unicode_tables::kRegexCategories_size; ++k) {
      const auto& c = unicode_tables::kRegexCategories[k];
      all.insert(all.end(), c.ranges, c.ranges + c.size);
    }
    all.insert(all.end(), unicode_tables::kRegexWord, unicode_tables::kRegexWord + unicode_tables::kRegexWord_size);
    for (const auto& r : all) {
      for (uint32_t c = r.lo; c <= r.hi && c < 0x10000; ++c) bmp[c >> 6] |= uint64_t(1) << (c & 63);
      if (r.hi >= 0x10000) astral.push_back({std::max<uint32_t>(r.lo, 0x10000), r.hi});
    }
    std::sort(astral.begin(), astral.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
    // Merge overlaps so in_ranges' binary search stays valid.
    std::vector<unicode_tables::CpRange> merged;
    for (const auto& r : astral) {
      if (!merged.empty() && r.lo <= merged.back().hi + 1)
        merged.back().hi = std::max(merged.back().hi, r.hi);
      else
        merged.push_back(r);
    }
    astral.swap(merged);
  }
  bool contains(uint32_t c) const {
    if (c < 0x10000) return (bmp[c >> 6] >> (c & 63)) & 1;
    return unicode_tables::in_ranges(astral.data(), astral.size(), c);
  }
};

const NewerSet& newer_set() {
  static const NewerSet s;
  return s;
}

}  // namespace

Regex::Regex(std::string_view pattern, Syntax syntax, std::string_view what) {
  if (!unicode::is_valid_utf8(pattern)) fail(what, ": regex pattern is not valid UTF-8");
  const bool onig = syntax == Syntax::Oniguruma;
  pcre_pattern_ = onig ? translate_oniguruma(pattern, what, true) : std::string(pattern);
  code_ = compile(pcre_pattern_, onig, pattern, what, jit_);
  if (onig) {
    // The same pattern without the Unicode 15+ additions, for the (usual) text that has none of
    // those characters: PCRE2 matches its own property tables faster than long class lists.
    const std::string plain = translate_oniguruma(pattern, what, false);
    if (plain != pcre_pattern_) plain_code_ = compile(plain, true, pattern, what, plain_jit_);
  }
}

Regex::~Regex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
  if (plain_code_) pcre2_code_free(static_cast<pcre2_code*>(plain_code_));
}

Regex::Code Regex::pick(std::string_view text) const {
  if (!plain_code_) return Code{code_, jit_};
  const NewerSet& newer = newer_set();
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    // Every such character is U+0800 or above: three or four bytes.
    if (p[i] < 0xE0) {
      ++i;
      continue;
    }
    if (newer.contains(unicode::next_cp(text, i))) return Code{code_, jit_};
  }
  return Code{plain_code_, plain_jit_};
}

size_t Regex::char_len_at(std::string_view text, size_t i) { return unicode::utf8_len(uint8_t(text[i])); }

bool Regex::find(std::string_view text, size_t from, size_t& start, size_t& end) const {
  return find_with(pick(text), text, from, start, end);
}

bool Regex::find_with(Code c, std::string_view text, size_t from, size_t& start, size_t& end) const {
  ThreadMatch& tm = thread_match();
  auto* code = static_cast<pcre2_code*>(c.code);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const int rc = c.jit ? pcre2_jit_match(code, subject, text.size(), from, 0, tm.md, tm.mc)
                       : pcre2_match(code, subject, text.size(), from, PCRE2_NO_UTF_CHECK, tm.md, tm.mc);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) fail("regex /", pcre_pattern_, "/: match failed: ", pcre_error(rc));
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(tm.md);
  start = ov[0];
  end = ov[1];
  return true;
}

Pattern::Pattern(std::string literal) : literal_(std::move(literal)) {
  if (literal_.empty()) regex_ = std::make_unique<Regex>("", Regex::Syntax::Pcre2, "pattern");
}

Pattern::Pattern(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object() || j.size() != 1)
    fail(what, ": pattern must be {\"String\": ...} or {\"Regex\": ...}, found ", j.dump());
  auto it = j.begin();
  if (!it.value().is_string()) fail(what, ": pattern value must be a string, found ", it.value().type_name());
  const std::string v = it.value().get<std::string>();
  if (it.key() == "String") {
    literal_ = v;
    if (literal_.empty()) regex_ = std::make_unique<Regex>("", Regex::Syntax::Pcre2, what);
  } else if (it.key() == "Regex") {
    regex_ = std::make_unique<Regex>(v, Regex::Syntax::Oniguruma, what);
  } else {
    fail(what, ": unsupported pattern kind '", it.key(), "' (String or Regex)");
  }
}

}  // namespace sunbae::tok
