// Python's string formatting as templates reach it: `fmt % args`, str.format(), format specs,
// and the int()/float() parsing used by the int and float filters.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

// str.strip() with no arguments, by whole code points.
std::string strip_ws(std::string_view s) {
  std::u32string u = utf8_decode(s);
  size_t b = 0, e = u.size();
  while (b < e && py_isspace(u[b])) ++b;
  while (e > b && py_isspace(u[e - 1])) --e;
  return utf8_encode(std::u32string_view(u).substr(b, e - b));
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

void group_digits(std::string& digits, char sep, int every) {
  // digits: the integer part only, no sign.
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % every == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  digits = out;
}

struct Spec {
  char32_t fill = ' ';
  char align = 0;
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int width = -1;
  char grouping = 0;
  int precision = -1;
  char type = 0;
};

Spec parse_spec(std::string_view spec) {
  Spec s;
  std::u32string u = utf8_decode(spec);
  size_t i = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (u.size() >= 2 && is_align(u[1])) {
    s.fill = u[0];
    s.align = static_cast<char>(u[1]);
    i = 2;
  } else if (!u.empty() && is_align(u[0])) {
    s.align = static_cast<char>(u[0]);
    i = 1;
  }
  if (i < u.size() && (u[i] == '+' || u[i] == '-' || u[i] == ' ')) s.sign = static_cast<char>(u[i++]);
  if (i < u.size() && u[i] == '#') {
    s.alt = true;
    ++i;
  }
  if (i < u.size() && u[i] == '0') {
    s.zero = true;
    ++i;
  }
  if (i < u.size() && u[i] >= '0' && u[i] <= '9') {
    s.width = 0;
    while (i < u.size() && u[i] >= '0' && u[i] <= '9') s.width = s.width * 10 + (u[i++] - '0');
    if (s.width > 100000) fail("format width too large");
  }
  if (i < u.size() && (u[i] == ',' || u[i] == '_')) s.grouping = static_cast<char>(u[i++]);
  if (i < u.size() && u[i] == '.') {
    ++i;
    if (i >= u.size() || u[i] < '0' || u[i] > '9') fail("Format specifier missing precision");
    s.precision = 0;
    while (i < u.size() && u[i] >= '0' && u[i] <= '9') s.precision = s.precision * 10 + (u[i++] - '0');
    if (s.precision > 1000) fail("format precision too large");
  }
  if (i < u.size()) s.type = static_cast<char>(u[i++]);
  if (i != u.size()) fail("Invalid format specifier '", std::string(spec), "'");
  if (s.zero && !s.align) {
    s.fill = '0';
    s.align = '=';
  }
  return s;
}

// Pads `body` (already signed/prefixed: sign and prefix are its first `prefix_len` bytes).
std::string pad(const std::string& body, size_t prefix_len, const Spec& s, char default_align) {
  size_t len = utf8_length(body);
  if (s.width < 0 || len >= static_cast<size_t>(s.width)) return body;
  size_t n = s.width - len;
  std::string fill;
  utf8_append(fill, s.fill);
  auto rep = [&](size_t k) {
    std::string r;
    for (size_t i = 0; i < k; ++i) r += fill;
    return r;
  };
  char align = s.align ? s.align : default_align;
  switch (align) {
    case '<': return body + rep(n);
    case '^': return rep(n / 2) + body + rep(n - n / 2);
    case '=': return body.substr(0, prefix_len) + rep(n) + body.substr(prefix_len);
    default: return rep(n) + body;
  }
}

std::string format_int(int64_t v, const Spec& s) {
  char type = s.type ? s.type : 'd';
  if (type == 'c') {
    std::string out;
    utf8_append(out, static_cast<char32_t>(v));
    return pad(out, 0, s, '<');
  }
  bool neg = v < 0;
  uint64_t mag = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
  if (type != 'd' && type != 'n' && base == 10) fail("Unknown format code '", type, "' for object of type 'int'");
  std::string digits;
  do {
    int d = static_cast<int>(mag % base);
    digits.insert(digits.begin(), static_cast<char>(d < 10 ? '0' + d : (type == 'X' ? 'A' : 'a') + d - 10));
    mag /= base;
  } while (mag);
  if (s.grouping) group_digits(digits, s.grouping, base == 10 ? 3 : 4);
  std::string prefix = neg ? "-" : (s.sign == '+' ? "+" : (s.sign == ' ' ? " " : ""));
  if (s.alt && base != 10) prefix += type == 'X' ? "0X" : (type == 'x' ? "0x" : (type == 'o' ? "0o" : "0b"));
  return pad(prefix + digits, prefix.size(), s, '>');
}

std::string format_float(double v, const Spec& s) {
  char type = s.type;
  std::string body;
  bool neg = std::signbit(v) && !std::isnan(v);
  double mag = std::fabs(v);
  if (!type && s.precision < 0) {
    append_float_repr(mag, body);
  } else if (std::isinf(mag) || std::isnan(mag)) {
    body = std::isnan(mag) ? "nan" : "inf";
    if (type == 'F' || type == 'E' || type == 'G') body = std::isnan(mag) ? "NAN" : "INF";
    if (type == '%') body += "%";
  } else {
    int prec = s.precision < 0 ? 6 : s.precision;
    char fmt[16];
    char conv = type ? type : 'g';
    double x = mag;
    if (conv == '%') {
      x *= 100;
      conv = 'f';
    }
    if (conv == 'n') conv = 'g';
    if (conv != 'f' && conv != 'F' && conv != 'e' && conv != 'E' && conv != 'g' && conv != 'G') {
      fail("Unknown format code '", type, "' for object of type 'float'");
    }
    std::snprintf(fmt, sizeof(fmt), "%%%s.%d%c", s.alt ? "#" : "", prec, conv);
    char buf[1536];
    std::snprintf(buf, sizeof(buf), fmt, x);
    body = buf;
    if (!type && body.find_first_of(".e") == std::string::npos) body += ".0";
    if (type == '%') body += "%";
  }
  if (s.grouping) {
    size_t end = body.find_first_not_of("0123456789");
    std::string ip = body.substr(0, end);
    group_digits(ip, s.grouping, 3);
    body = ip + (end == std::string::npos ? "" : body.substr(end));
  }
  std::string prefix = neg ? "-" : (s.sign == '+' ? "+" : (s.sign == ' ' ? " " : ""));
  return pad(prefix + body, prefix.size(), s, '>');
}

}  // namespace

std::string format_spec(const Value& v, std::string_view spec) {
  if (spec.empty()) return str_of(v);
  Spec s = parse_spec(spec);
  if (v.is_integral() && !(v.is_bool() && !s.type)) {
    if (s.type == 'e' || s.type == 'E' || s.type == 'f' || s.type == 'F' || s.type == 'g' ||
        s.type == 'G' || s.type == '%') {
      return format_float(static_cast<double>(v.as_int()), s);
    }
    return format_int(v.as_int(), s);
  }
  if (v.is_float()) return format_float(v.as_float(), s);
  if (v.is_string() || v.is_bool()) {
    if (s.type && s.type != 's') fail("Unknown format code '", s.type, "' for object of type 'str'");
    if (s.sign != '-' || s.alt) fail("Sign not allowed in string format specifier");
    std::string body = str_of(v);
    if (s.precision >= 0) {
      std::u32string u = utf8_decode(body);
      if (u.size() > static_cast<size_t>(s.precision)) u.resize(s.precision);
      body = utf8_encode(u);
    }
    return pad(body, 0, s, '<');
  }
  fail("unsupported format string passed to ", type_name(v), ".__format__");
}

bool parse_py_int(std::string_view text, int base, int64_t* out) {
  std::string stripped = strip_ws(text);
  std::string_view s = stripped;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto has_prefix = [&](char p) {
    return s.size() >= 2 && s[0] == '0' && (s[1] == p || s[1] == p - 32);
  };
  if (base == 0) {
    base = has_prefix('x') ? 16 : has_prefix('o') ? 8 : has_prefix('b') ? 2 : 10;
    if (base != 10) s.remove_prefix(2);
  } else if ((base == 16 && has_prefix('x')) || (base == 8 && has_prefix('o')) || (base == 2 && has_prefix('b'))) {
    s.remove_prefix(2);
    if (!s.empty() && s[0] == '_') s.remove_prefix(1);
  }
  if (base < 2 || base > 36 || s.empty()) return false;
  uint64_t v = 0;
  bool prev_digit = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (!prev_digit || i + 1 >= s.size()) return false;
      prev_digit = false;
      continue;
    }
    int d = digit_value(s[i]);
    if (d >= base) return false;
    if (v > (static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0) - d) / base) return false;
    v = v * base + d;
    prev_digit = true;
  }
  if (!prev_digit) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool parse_py_float(std::string_view text, double* out) {
  std::string stripped = strip_ws(text);
  std::string_view s = stripped;
  std::string clean;
  bool neg = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lower;
  for (char c : body) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "inf" || lower == "infinity") {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (lower == "nan") {
    *out = NAN;
    return true;
  }
  if (body.empty()) return false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '_') {
      bool ok = i > 0 && i + 1 < body.size() && std::isdigit(static_cast<unsigned char>(body[i - 1])) &&
                std::isdigit(static_cast<unsigned char>(body[i + 1]));
      if (!ok) return false;
      continue;
    }
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return false;
    }
    clean.push_back(c);
  }
  const char* begin = clean.c_str();
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end != begin + clean.size()) return false;
  *out = neg ? -v : v;
  return true;
}

std::string percent_format(Interpreter& in, const std::string& fmt, const Value& args) {
  std::vector<Value> values;
  const DictData* mapping = nullptr;
  if (args.is_tuple()) {
    values = args.as_list().items;
  } else {
    values.push_back(args);
    if (args.is_dict()) mapping = &args.as_dict();
  }
  size_t next = 0;
  bool used_mapping = false;
  auto take = [&]() -> const Value& {
    if (next >= values.size()) fail("not enough arguments for format string");
    return values[next++];
  };
  std::string out;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      out.push_back(c);
      ++i;
      continue;
    }
    ++i;
    if (i >= fmt.size()) fail("incomplete format");
    const Value* arg = nullptr;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos) fail("incomplete format key");
      if (!mapping) fail("format requires a mapping");
      const Value* v = mapping->find(std::string_view(fmt).substr(i + 1, close - i - 1));
      if (!v) fail("KeyError: '", fmt.substr(i + 1, close - i - 1), "'");
      arg = v;
      used_mapping = true;
      i = close + 1;
    }
    Spec s;
    std::string flags;
    while (i < fmt.size() && std::string("-+ #0").find(fmt[i]) != std::string::npos) flags.push_back(fmt[i++]);
    for (char f : flags) {
      if (f == '-') s.align = '<';
      if (f == '+') s.sign = '+';
      if (f == ' ' && s.sign != '+') s.sign = ' ';
      if (f == '#') s.alt = true;
      if (f == '0') s.zero = true;
    }
    if (i < fmt.size() && fmt[i] == '*') {
      const Value& w = take();
      if (!w.is_integral()) fail("* wants int");
      s.width = static_cast<int>(std::min<int64_t>(std::abs(w.as_int()), 100000));
      if (w.as_int() < 0) s.align = '<';
      ++i;
    } else {
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) {
        s.width = std::max(s.width, 0) * 10 + (fmt[i++] - '0');
        if (s.width > 100000) fail("width too big");
      }
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      s.precision = 0;
      if (i < fmt.size() && fmt[i] == '*') {
        const Value& p = take();
        if (!p.is_integral()) fail("* wants int");
        s.precision = static_cast<int>(std::min<int64_t>(std::max<int64_t>(p.as_int(), 0), 1000));
        ++i;
      } else {
        while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) {
          s.precision = s.precision * 10 + (fmt[i++] - '0');
          if (s.precision > 1000) fail("precision too big");
        }
      }
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) fail("incomplete format");
    char conv = fmt[i++];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    const Value& v = arg ? *arg : take();
    if (s.zero && s.align != '<') {
      s.fill = '0';
      s.align = '=';
    }
    std::string piece;
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        std::string text = conv == 's' ? str_of(v) : repr_of(v);
        if (s.precision >= 0) {
          std::u32string u = utf8_decode(text);
          if (u.size() > static_cast<size_t>(s.precision)) u.resize(s.precision);
          text = utf8_encode(u);
        }
        Spec sp = s;
        sp.fill = ' ';
        if (sp.align == '=') sp.align = '>';
        piece = pad(text, 0, sp, '>');
        break;
      }
      case 'd':
      case 'i':
      case 'u': {
        if (!v.is_number()) fail("%", conv, " format: a real number is required, not ", type_name(v));
        int64_t n = v.is_float() ? static_cast<int64_t>(std::trunc(v.as_float())) : v.as_int();
        Spec sp = s;
        sp.type = 'd';
        sp.precision = -1;
        piece = format_int(n, sp);
        break;
      }
      case 'x':
      case 'X':
      case 'o': {
        if (!v.is_integral()) fail("%", conv, " format: an integer is required, not ", type_name(v));
        Spec sp = s;
        sp.type = conv;
        sp.precision = -1;
        piece = format_int(v.as_int(), sp);
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        if (!v.is_number()) fail("must be real number, not ", type_name(v));
        Spec sp = s;
        sp.type = conv;
        if (sp.precision < 0) sp.precision = 6;
        piece = format_float(v.as_float(), sp);
        break;
      }
      case 'c': {
        if (v.is_integral()) {
          utf8_append(piece, static_cast<char32_t>(v.as_int()));
        } else if (v.is_string() && utf8_length(v.as_string()) == 1) {
          piece = v.as_string();
        } else {
          fail("%c requires int or char");
        }
        Spec sp = s;
        sp.fill = ' ';
        piece = pad(piece, 0, sp, '>');
        break;
      }
      default:
        fail("unsupported format character '", conv, "'");
    }
    out += piece;
    in.check_size(out.size());
  }
  // CPython skips this check when the argument supports indexing (a list, a dict, Undefined).
  bool indexable = !args.is_tuple() && (args.is_dict() || args.is_list() || args.is_undefined());
  if (!used_mapping && next < values.size() && !indexable) {
    fail("not all arguments converted during string formatting");
  }
  in.charge_bytes(out.size());
  return out;
}

std::string str_format(Interpreter& in, const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  bool manual = false;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        i += 2;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      i += 2;
      continue;
    }
    // {field[!conv][:spec]}; the spec may contain one level of nested {} fields.
    size_t j = i + 1;
    int nest = 0;
    while (j < fmt.size() && (fmt[j] != '}' || nest > 0)) {
      if (fmt[j] == '{') ++nest;
      if (fmt[j] == '}') --nest;
      ++j;
    }
    if (j >= fmt.size()) fail("expected '}' before end of string");
    std::string field = fmt.substr(i + 1, j - i - 1);
    i = j + 1;
    std::string spec;
    char conv = 0;
    size_t colon = std::string::npos;
    for (size_t k = 0, br = 0; k < field.size(); ++k) {
      if (field[k] == '[') ++br;
      if (field[k] == ']' && br) --br;
      if (field[k] == ':' && !br) {
        colon = k;
        break;
      }
    }
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) fail("expected ':' after conversion specifier");
      conv = field[bang + 1];
      field.resize(bang);
    }
    // Head: index, name or empty (automatic numbering), then .attr / [key] parts.
    size_t head_end = field.find_first_of(".[");
    std::string head = field.substr(0, head_end);
    Value v;
    if (head.empty()) {
      if (manual) fail("cannot switch from manual field specification to automatic field numbering");
      if (auto_index >= args.pos.size()) fail("Replacement index ", auto_index, " out of range for positional args tuple");
      v = args.pos[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(head[0]))) {
      manual = true;
      int64_t idx = -1;
      if (!parse_py_int(head, 10, &idx) || idx < 0 || static_cast<size_t>(idx) >= args.pos.size()) {
        fail("Replacement index ", head, " out of range for positional args tuple");
      }
      v = args.pos[static_cast<size_t>(idx)];
    } else {
      bool found = false;
      for (const auto& [k, kv] : args.kw) {
        if (k == head) {
          v = kv;
          found = true;
        }
      }
      if (!found) fail("KeyError: '", head, "'");
    }
    size_t p = head_end;
    while (p != std::string::npos && p < field.size()) {
      if (field[p] == '.') {
        size_t q = field.find_first_of(".[", p + 1);
        std::string attr = field.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1);
        if (!attr.empty() && attr[0] == '_') fail("access to attribute '", attr, "' is unsafe");
        v = in.getattr(v, attr);
        p = q;
      } else {
        size_t q = field.find(']', p);
        if (q == std::string::npos) fail("Missing ']' in format string");
        std::string key = field.substr(p + 1, q - p - 1);
        int64_t index = 0;
        bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
                       parse_py_int(key, 10, &index);
        v = in.getitem(v, numeric ? Value::integer(index) : Value::string(key));
        p = q + 1;
      }
    }
    if (spec.find('{') != std::string::npos) {
      CallArgs nested = args;
      spec = str_format(in, spec, nested);
    }
    if (conv == 'r' || conv == 'a') {
      v = Value::string(repr_of(v));
    } else if (conv == 's') {
      v = Value::string(str_of(v));
    } else if (conv) {
      fail("Unknown conversion specifier ", conv);
    }
    out += format_spec(v, spec);
    in.check_size(out.size());
  }
  in.charge_bytes(out.size());
  return out;
}

}  // namespace sunbae::tmpl::detail
