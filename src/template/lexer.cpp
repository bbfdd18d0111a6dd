#include "template/lexer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

// jinja2 splits the source on \r\n, \r and \n, drops one trailing newline
// (keep_trailing_newline=False) and joins the lines with \n before lexing anything.
std::string normalize_newlines(const std::string& src) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out.push_back(src[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(const std::string& source) : src_(normalize_newlines(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      size_t tag = find_tag_start(pos_);
      if (tag == std::string::npos) {
        emit_data(src_.substr(pos_), pos_);
        pos_ = src_.size();
        break;
      }
      lex_tag(tag);
    }
    Token eof;
    eof.type = Tok::Eof;
    locate(src_.size(), eof);
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void error_at(size_t pos, const std::string& msg) {
    Token t;
    locate(pos, t);
    fail(t.line, ":", t.col, ": ", msg);
  }

  void locate(size_t pos, Token& t) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    size_t line_start = *(it - 1);
    t.line = static_cast<int>(it - line_starts_.begin());
    t.col = static_cast<int>(utf8_length(std::string_view(src_).substr(line_start, pos - line_start))) + 1;
  }

  bool starts_with(size_t pos, const char* s) const {
    size_t n = std::strlen(s);
    return pos + n <= src_.size() && src_.compare(pos, n, s) == 0;
  }

  size_t find_tag_start(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string::npos;
  }

  // Length of the Python-regex `\s*` match at pos (Unicode whitespace, like str.isspace()).
  size_t skip_ws(size_t pos) const {
    size_t p = pos;
    while (p < src_.size()) {
      size_t q = p;
      char32_t c = utf8_next(src_, q);
      if (!py_isspace(c)) break;
      p = q;
    }
    return p;
  }

  static bool all_space(std::string_view s) {
    size_t p = 0;
    while (p < s.size()) {
      if (!py_isspace(utf8_next(s, p))) return false;
    }
    return true;
  }

  static std::string rstrip(std::string_view s) {
    // Python str.rstrip(): walk back over whole code points that are whitespace.
    std::u32string u = utf8_decode(s);
    size_t n = u.size();
    while (n > 0 && py_isspace(u[n - 1])) --n;
    return utf8_encode(std::u32string_view(u).substr(0, n));
  }

  // The OptionalLStrip rule: text before a tag loses trailing whitespace for "-", or, with
  // lstrip_blocks, the indentation of a block/comment tag that starts its line.
  std::string strip_before_tag(std::string text, char sign, bool variable) {
    if (sign == '-') return rstrip(text);
    if (sign != '+' && !variable) {
      size_t nl = text.rfind('\n');
      size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if (l_pos > 0 || line_starting_) {
        std::string_view tail = std::string_view(text).substr(l_pos);
        if (!tail.empty() && all_space(tail)) text.resize(l_pos);
      }
    }
    return text;
  }

  void emit_data(std::string text, size_t pos) {
    if (text.empty()) return;
    Token t;
    t.type = Tok::Data;
    t.text = std::move(text);
    locate(pos, t);
    tokens_.push_back(std::move(t));
  }

  void emit(Tok type, size_t pos, std::string text = {}) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    locate(pos, t);
    tokens_.push_back(std::move(t));
  }

  // `{% raw %}` (with optional -/+ and spaces): returns the end of the match or npos.
  size_t match_raw_begin(size_t tag) const {
    size_t p = tag + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_ws(p);
    if (!starts_with(p, "raw")) return std::string::npos;
    p = skip_ws(p + 3);
    if (starts_with(p, "-%}")) return skip_ws(p + 3);
    if (starts_with(p, "%}")) return p + 2;
    return std::string::npos;
  }

  void lex_tag(size_t tag) {
    char kind = src_[tag + 1];
    char sign = 0;
    if (tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+')) sign = src_[tag + 2];
    size_t raw_end = kind == '%' ? match_raw_begin(tag) : std::string::npos;
    emit_data(strip_before_tag(src_.substr(pos_, tag - pos_), sign, kind == '{'), pos_);
    if (raw_end != std::string::npos) {
      lex_raw(raw_end);
      return;
    }
    size_t body = tag + 2 + (sign ? 1 : 0);
    if (kind == '#') {
      lex_comment(tag, body);
    } else {
      lex_expression_tag(tag, body, kind == '%');
    }
  }

  void lex_raw(size_t begin_end) {
    line_starting_ = begin_end > 0 && src_[begin_end - 1] == '\n';
    for (size_t i = begin_end; i + 1 < src_.size(); ++i) {
      if (!(src_[i] == '{' && src_[i + 1] == '%')) continue;
      size_t p = i + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      p = skip_ws(p);
      if (!starts_with(p, "endraw")) continue;
      p = skip_ws(p + 6);
      size_t end;
      if (starts_with(p, "+%}")) {
        end = p + 3;
      } else if (starts_with(p, "-%}")) {
        end = skip_ws(p + 3);
      } else if (starts_with(p, "%}")) {
        end = p + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;  // trim_blocks
      } else {
        continue;
      }
      emit_data(strip_before_tag(src_.substr(begin_end, i - begin_end), sign, false), begin_end);
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    error_at(begin_end, "Missing end of raw directive");
  }

  void lex_comment(size_t tag, size_t body) {
    for (size_t j = body; j + 1 < src_.size(); ++j) {
      size_t end;
      if (src_[j] == '+' && starts_with(j + 1, "#}")) {
        end = j + 3;
      } else if (src_[j] == '-' && starts_with(j + 1, "#}")) {
        end = skip_ws(j + 3);
      } else if (starts_with(j, "#}")) {
        end = j + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;  // trim_blocks applies to comments
      } else {
        continue;
      }
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    error_at(tag, "Missing end of comment tag");
  }

  void lex_expression_tag(size_t tag, size_t body, bool block) {
    emit(block ? Tok::BlockBegin : Tok::VarBegin, tag);
    std::vector<char> balance;
    size_t p = body;
    while (p < src_.size()) {
      if (balance.empty()) {
        size_t end = std::string::npos;
        if (block) {
          if (starts_with(p, "+%}")) {
            end = p + 3;
          } else if (starts_with(p, "-%}")) {
            end = skip_ws(p + 3);
          } else if (starts_with(p, "%}")) {
            end = p + 2;
            if (end < src_.size() && src_[end] == '\n') ++end;  // trim_blocks
          }
        } else {
          if (starts_with(p, "-}}")) {
            end = skip_ws(p + 3);
          } else if (starts_with(p, "}}")) {
            end = p + 2;
          }
        }
        if (end != std::string::npos) {
          emit(block ? Tok::BlockEnd : Tok::VarEnd, p);
          line_starting_ = src_[end - 1] == '\n';
          pos_ = end;
          return;
        }
      }
      size_t ws = skip_ws(p);
      if (ws != p) {
        p = ws;
        continue;
      }
      p = lex_token(p, balance);
    }
    // Ran out of input inside the tag: the parser reports the missing end tag.
    pos_ = src_.size();
  }

  // `(\d+_)*\d+`: digits with single underscores between them.
  size_t match_digits(size_t p, bool (*ok)(char)) const {
    size_t q = p;
    if (q >= src_.size() || !ok(src_[q])) return std::string::npos;
    while (q < src_.size()) {
      if (ok(src_[q])) {
        ++q;
      } else if (src_[q] == '_' && q + 1 < src_.size() && ok(src_[q + 1])) {
        q += 2;
      } else {
        break;
      }
    }
    return q;
  }

  size_t match_float(size_t p) const {
    if (p > 0 && src_[p - 1] == '.') return std::string::npos;  // (?<!\.)
    size_t q = match_digits(p, [](char c) { return is_digit(c); });
    if (q == std::string::npos) return q;
    size_t frac = std::string::npos;
    if (q < src_.size() && src_[q] == '.') frac = match_digits(q + 1, [](char c) { return is_digit(c); });
    size_t after = frac != std::string::npos ? frac : q;
    if (after < src_.size() && (src_[after] == 'e' || src_[after] == 'E')) {
      size_t e = after + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      size_t ed = match_digits(e, [](char c) { return is_digit(c); });
      if (ed != std::string::npos) return ed;
    }
    return frac;
  }

  size_t match_integer(size_t p, int& base) const {
    auto prefixed = [&](char letter, bool (*ok)(char)) -> size_t {
      if (!(src_[p] == '0' && p + 1 < src_.size() &&
            (src_[p + 1] == letter || src_[p + 1] == letter - 32))) {
        return std::string::npos;
      }
      size_t q = p + 2;
      size_t last = std::string::npos;
      while (q < src_.size()) {  // (_?[digit])+
        size_t r = q;
        if (src_[r] == '_') ++r;
        if (r < src_.size() && ok(src_[r])) {
          q = r + 1;
          last = q;
        } else {
          break;
        }
      }
      return last;
    };
    size_t q;
    if ((q = prefixed('b', [](char c) { return c == '0' || c == '1'; })) != std::string::npos) {
      base = 2;
      return q;
    }
    if ((q = prefixed('o', [](char c) { return c >= '0' && c <= '7'; })) != std::string::npos) {
      base = 8;
      return q;
    }
    if ((q = prefixed('x', [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         })) != std::string::npos) {
      base = 16;
      return q;
    }
    base = 10;
    if (src_[p] >= '1' && src_[p] <= '9') {
      q = p + 1;
      while (q < src_.size()) {
        size_t r = q;
        if (src_[r] == '_') ++r;
        if (r < src_.size() && is_digit(src_[r])) {
          q = r + 1;
        } else {
          break;
        }
      }
      return q;
    }
    if (src_[p] == '0') {
      q = p + 1;
      while (q < src_.size()) {
        size_t r = q;
        if (src_[r] == '_') ++r;
        if (r < src_.size() && src_[r] == '0') {
          q = r + 1;
        } else {
          break;
        }
      }
      return q;
    }
    return std::string::npos;
  }

  static bool name_start(char32_t c) {
    return c == '_' || (c < 0x80 ? std::isalpha(static_cast<int>(c)) != 0 : py_isalpha(c));
  }
  static bool name_char(char32_t c) {
    return c == '_' || (c < 0x80 ? std::isalnum(static_cast<int>(c)) != 0 : py_isalnum(c));
  }

  size_t lex_token(size_t p, std::vector<char>& balance) {
    char c = src_[p];
    if (is_digit(c)) {
      size_t f = match_float(p);
      if (f != std::string::npos) {
        std::string digits;
        for (size_t i = p; i < f; ++i) {
          if (src_[i] != '_') digits.push_back(src_[i]);
        }
        Token t;
        t.type = Tok::Float;
        t.text = src_.substr(p, f - p);
        t.fval = std::strtod(digits.c_str(), nullptr);
        locate(p, t);
        tokens_.push_back(std::move(t));
        return f;
      }
      int base = 10;
      size_t q = match_integer(p, base);
      if (q != std::string::npos) {
        Token t;
        t.type = Tok::Integer;
        t.text = src_.substr(p, q - p);
        locate(p, t);
        uint64_t v = 0;
        size_t start = base == 10 ? p : p + 2;
        for (size_t i = start; i < q; ++i) {
          char d = src_[i];
          if (d == '_') continue;
          int digit = is_digit(d) ? d - '0' : (std::tolower(d) - 'a' + 10);
          if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / base) {
            error_at(p, "integer literal too large");
          }
          v = v * base + digit;
        }
        t.ival = static_cast<int64_t>(v);
        tokens_.push_back(std::move(t));
        return q;
      }
    }
    {
      size_t q = p;
      char32_t cp = utf8_next(src_, q);
      if (name_start(cp)) {
        while (q < src_.size()) {
          size_t r = q;
          if (!name_char(utf8_next(src_, r))) break;
          q = r;
        }
        emit(Tok::Name, p, src_.substr(p, q - p));
        return q;
      }
    }
    if (c == '\'' || c == '"') return lex_string(p);
    static const char* const kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*",
                                       "%",  "~",  "[",  "]",  "(",  ")",  "{", "}", ">", "<",
                                       "=",  ".",  ":",  "|",  ",",  ";"};
    for (const char* op : kOps) {
      if (!starts_with(p, op)) continue;
      std::string o(op);
      if (o == "{" || o == "(" || o == "[") {
        balance.push_back(o == "{" ? '}' : (o == "(" ? ')' : ']'));
      } else if (o == "}" || o == ")" || o == "]") {
        if (balance.empty()) error_at(p, "unexpected '" + o + "'");
        char expected = balance.back();
        balance.pop_back();
        if (expected != o[0]) {
          error_at(p, "unexpected '" + o + "', expected '" + std::string(1, expected) + "'");
        }
      }
      emit(Tok::Op, p, o);
      return p + o.size();
    }
    size_t q = p;
    char32_t bad = utf8_next(src_, q);
    std::string shown;
    utf8_append(shown, bad);
    error_at(p, "unexpected char '" + shown + "'");
  }

  // Python's "unicode-escape" decoding of the literal's body, which is what jinja2 applies.
  size_t lex_string(size_t p) {
    char quote = src_[p];
    size_t q = p + 1;
    while (q < src_.size() && src_[q] != quote) {
      if (src_[q] == '\\') ++q;
      ++q;
    }
    if (q >= src_.size()) error_at(p, std::string("unexpected char '") + quote + "'");
    std::string_view body(src_.data() + p + 1, q - p - 1);
    std::string out;
    size_t i = 0;
    auto hex_value = [&](size_t at, int n) -> long {
      if (at + n > body.size()) return -1;
      long v = 0;
      for (int k = 0; k < n; ++k) {
        char h = body[at + k];
        int d;
        if (is_digit(h)) {
          d = h - '0';
        } else if (h >= 'a' && h <= 'f') {
          d = h - 'a' + 10;
        } else if (h >= 'A' && h <= 'F') {
          d = h - 'A' + 10;
        } else {
          return -1;
        }
        v = v * 16 + d;
      }
      return v;
    };
    while (i < body.size()) {
      char ch = body[i];
      if (ch != '\\' || i + 1 >= body.size()) {
        out.push_back(ch);
        ++i;
        continue;
      }
      char e = body[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          long v = hex_value(i, n);
          if (v < 0) error_at(p, std::string("truncated \\") + e + " escape");
          if (v > 0x10FFFF) error_at(p, "illegal Unicode character");
          utf8_append(out, static_cast<char32_t>(v));
          i += n;
          break;
        }
        case 'N':
          error_at(p, "\\N{...} escapes are not supported");
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k) {
              v = v * 8 + (body[i++] - '0');
            }
            utf8_append(out, static_cast<char32_t>(v));
          } else if (static_cast<unsigned char>(e) >= 0x80) {
            // jinja2 backslash-escapes non-ASCII text before decoding, so "\é" comes out as
            // the four characters \xe9.
            size_t at = i - 1;
            char32_t cp = utf8_next(body, at);
            char buf[16];
            if (cp < 0x100) {
              std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
            } else if (cp < 0x10000) {
              std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
            } else {
              std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
            }
            out += buf;
            i = at;
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    emit(Tok::String, p, std::move(out));
    return q + 1;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;
};

}  // namespace

std::vector<Token> lex(const std::string& source) { return Lexer(source).run(); }

}  // namespace sunbae::tmpl::detail
