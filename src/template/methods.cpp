// Methods of Python's str, dict, list and tuple that templates call (message.content.split(...),
// messages[0].get('role')). Indices and lengths count code points, as Python's do.
#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

const char* const kStrMethods[] = {
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "format",
    "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
    "title", "upper", "zfill"};
const char* const kDictMethods[] = {"clear", "copy", "get", "items", "keys", "pop", "popitem",
                                    "setdefault", "update", "values"};
const char* const kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};
const char* const kListMethods[] = {"append", "clear", "copy", "count", "extend", "index",
                                    "insert", "pop", "remove", "reverse", "sort"};
const char* const kListUnsafe[] = {"append", "clear", "extend", "insert", "pop", "remove",
                                   "reverse", "sort"};
const char* const kTupleMethods[] = {"count", "index"};

template <size_t N>
bool in_table(const char* const (&table)[N], std::string_view name) {
  for (const char* t : table) {
    if (name == t) return true;
  }
  return false;
}

using U32 = std::u32string;

std::string str_arg(const Value& v, const char* what) {
  if (!v.is_string()) fail(what, " must be str, not ", type_name(v));
  return v.as_string();
}

// Python's slice-style clamping of the optional start/end arguments of find(), count(), ...
void adjust(const Params& p, size_t si, int64_t len, int64_t* start, int64_t* end) {
  *start = 0;
  *end = len;
  if (p.has(si) && !p[si].is_none()) {
    if (!p[si].is_integral()) fail("slice indices must be integers or None");
    *start = p[si].as_int();
  }
  if (p.has(si + 1) && !p[si + 1].is_none()) {
    if (!p[si + 1].is_integral()) fail("slice indices must be integers or None");
    *end = p[si + 1].as_int();
  }
  if (*end > len) {
    *end = len;
  } else if (*end < 0) {
    *end = std::max<int64_t>(0, *end + len);
  }
  if (*start < 0) *start = std::max<int64_t>(0, *start + len);
}

int64_t find_in(const U32& hay, const U32& needle, int64_t start, int64_t end, bool reverse) {
  if (start > end || static_cast<int64_t>(needle.size()) > end - start) return -1;
  std::u32string_view window(hay.data() + start, end - start);
  size_t r = reverse ? window.rfind(needle) : window.find(needle);
  return r == std::u32string_view::npos ? -1 : static_cast<int64_t>(r) + start;
}

bool is_line_break(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
         c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

Value make_list(Interpreter& in, std::vector<Value> items, bool tuple = false) {
  in.charge(static_cast<int64_t>(items.size()));
  return Value::list(std::move(items), tuple);
}

Value strings(Interpreter& in, const std::vector<U32>& parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (const auto& p : parts) items.push_back(in.make_string(utf8_encode(p)));
  return make_list(in, std::move(items));
}

U32 strip_chars(const U32& s, const Value* chars, bool left, bool right) {
  U32 set;
  bool ws = !chars || chars->is_none();
  if (!ws) set = utf8_decode(str_arg(*chars, "strip arg"));
  auto strip_it = [&](char32_t c) { return ws ? py_isspace(c) : set.find(c) != U32::npos; };
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e && strip_it(s[b])) ++b;
  }
  if (right) {
    while (e > b && strip_it(s[e - 1])) --e;
  }
  return s.substr(b, e - b);
}

std::vector<U32> split(const U32& s, const Value* sep, int64_t maxsplit, bool from_right) {
  std::vector<U32> out;
  if (maxsplit < 0) maxsplit = INT64_MAX;
  int64_t n = static_cast<int64_t>(s.size());
  if (!sep || sep->is_none()) {
    // CPython's split_whitespace / rsplit_whitespace.
    if (!from_right) {
      int64_t i = 0;
      while (maxsplit-- > 0) {
        while (i < n && py_isspace(s[i])) ++i;
        if (i == n) break;
        int64_t j = i++;
        while (i < n && !py_isspace(s[i])) ++i;
        out.push_back(s.substr(j, i - j));
      }
      if (i < n) {
        while (i < n && py_isspace(s[i])) ++i;
        if (i != n) out.push_back(s.substr(i));
      }
    } else {
      int64_t i = n - 1;
      while (maxsplit-- > 0) {
        while (i >= 0 && py_isspace(s[i])) --i;
        if (i < 0) break;
        int64_t j = i--;
        while (i >= 0 && !py_isspace(s[i])) --i;
        out.push_back(s.substr(i + 1, j - i));
      }
      if (i >= 0) {
        while (i >= 0 && py_isspace(s[i])) --i;
        if (i >= 0) out.push_back(s.substr(0, i + 1));
      }
      std::reverse(out.begin(), out.end());
    }
    return out;
  }
  U32 d = utf8_decode(str_arg(*sep, "separator"));
  if (d.empty()) fail("empty separator");
  if (!from_right) {
    size_t pos = 0;
    while (maxsplit-- > 0) {
      size_t f = s.find(d, pos);
      if (f == U32::npos) break;
      out.push_back(s.substr(pos, f - pos));
      pos = f + d.size();
    }
    out.push_back(s.substr(pos));
  } else {
    size_t end = s.size();
    while (maxsplit-- > 0 && end >= d.size()) {
      size_t f = s.rfind(d, end - d.size());
      if (f == U32::npos) break;
      out.push_back(s.substr(f + d.size(), end - f - d.size()));
      end = f;
    }
    out.push_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
  }
  return out;
}

bool affix_match(const U32& s, const Value& affix, const Params& p, bool suffix) {
  int64_t start, end;
  adjust(p, 1, static_cast<int64_t>(s.size()), &start, &end);
  auto one = [&](const Value& a) {
    U32 x = utf8_decode(str_arg(a, suffix ? "endswith arg" : "startswith arg"));
    if (start > end || static_cast<int64_t>(x.size()) > end - start) return false;
    if (suffix) return s.compare(end - x.size(), x.size(), x) == 0;
    return s.compare(start, x.size(), x) == 0;
  };
  if (affix.is_tuple()) {
    for (const auto& a : affix.as_list().items) {
      if (one(a)) return true;
    }
    return false;
  }
  return one(affix);
}

template <class Pred>
bool all_chars(const U32& s, Pred pred, bool empty_result = false) {
  if (s.empty()) return empty_result;
  for (char32_t c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

U32 padded(const U32& s, int64_t width, char32_t fill, char how) {
  int64_t len = static_cast<int64_t>(s.size());
  if (width <= len) return s;
  if (width > 10'000'000) fail("width too large");
  int64_t marg = width - len;
  int64_t left = how == 'l' ? 0 : how == 'r' ? marg : marg / 2 + (marg & width & 1);
  return U32(left, fill) + s + U32(marg - left, fill);
}

char32_t fill_arg(const Params& p, size_t i) {
  if (!p.has(i)) return ' ';
  U32 f = utf8_decode(str_arg(p[i], "fill character"));
  if (f.size() != 1) fail("The fill character must be exactly one character long");
  return f[0];
}

int64_t int_param(const Value& v) {
  if (!v.is_integral()) fail("'", type_name(v), "' object cannot be interpreted as an integer");
  return v.as_int();
}

Value str_method(Interpreter& in, const Value& self, const std::string& name, CallArgs& args) {
  const std::string& raw = self.as_string();
  in.charge_bytes(raw.size());
  auto str = [&](U32 u) { return in.make_string(utf8_encode(u)); };
  if (name == "format") return in.make_string(str_format(in, raw, args));
  if (name == "join") {
    Params p("join", args, {"iterable"}, 1);
    Value items = in.to_list(p[0]);
    std::string out;
    size_t idx = 0;
    for (const auto& item : items.as_list().items) {
      if (!item.is_string()) {
        fail("sequence item ", idx, ": expected str instance, ", type_name(item), " found");
      }
      if (idx++) out += raw;
      out += item.as_string();
      in.check_size(out.size());
    }
    return in.make_string(std::move(out));
  }
  U32 s = utf8_decode(raw);
  int64_t len = static_cast<int64_t>(s.size());
  if (name == "upper" || name == "lower" || name == "casefold" || name == "swapcase" ||
      name == "title" || name == "capitalize") {
    Params p(name.c_str(), args, {});
    if (name == "upper") return str(py_str_upper(s));
    if (name == "lower" || name == "casefold") return str(py_str_lower(s));
    if (name == "swapcase") return str(py_str_swapcase(s));
    if (name == "title") return str(py_str_title(s));
    return str(py_str_capitalize(s));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    Params p(name.c_str(), args, {"chars"});
    const Value* chars = p.has(0) ? &p[0] : nullptr;
    return str(strip_chars(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    Params p(name.c_str(), args, {"sep", "maxsplit"});
    const Value* sep = p.has(0) ? &p[0] : nullptr;
    int64_t maxsplit = p.has(1) ? int_param(p[1]) : -1;
    return strings(in, split(s, sep, maxsplit, name == "rsplit"));
  }
  if (name == "splitlines") {
    Params p("splitlines", args, {"keepends"});
    bool keep = p.has(0) && truthy(p[0]);
    std::vector<U32> lines;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i;
      while (j < s.size() && !is_line_break(s[j])) ++j;
      size_t eol = j;
      if (j < s.size()) {
        eol = (s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ? j + 2 : j + 1;
      }
      lines.push_back(s.substr(i, (keep ? eol : j) - i));
      i = eol;
    }
    return strings(in, lines);
  }
  if (name == "startswith" || name == "endswith") {
    Params p(name.c_str(), args, {"prefix", "start", "end"}, 1);
    return Value::boolean(affix_match(s, p[0], p, name == "endswith"));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    Params p(name.c_str(), args, {"sub", "start", "end"}, 1);
    U32 sub = utf8_decode(str_arg(p[0], "substring"));
    int64_t start, end;
    adjust(p, 1, len, &start, &end);
    if (name == "count") {
      if (start > end) return Value::integer(0);
      if (sub.empty()) return Value::integer(end - start + 1);
      int64_t n = 0;
      for (int64_t at = find_in(s, sub, start, end, false); at >= 0;
           at = find_in(s, sub, at + static_cast<int64_t>(sub.size()), end, false)) {
        ++n;
      }
      return Value::integer(n);
    }
    int64_t at = find_in(s, sub, start, end, name[0] == 'r');
    if (at < 0 && (name == "index" || name == "rindex")) fail("substring not found");
    return Value::integer(at);
  }
  if (name == "replace") {
    Params p("replace", args, {"old", "new", "count"}, 2);
    U32 old = utf8_decode(str_arg(p[0], "replace() argument 1"));
    U32 rep = utf8_decode(str_arg(p[1], "replace() argument 2"));
    int64_t count = p.has(2) ? int_param(p[2]) : -1;
    if (count < 0) count = INT64_MAX;
    U32 out;
    if (old.empty()) {
      int64_t done = 0;
      for (size_t i = 0; i <= s.size(); ++i) {
        if (done < count) {
          out += rep;
          ++done;
        }
        if (i < s.size()) out.push_back(s[i]);
        in.check_size(out.size());
      }
    } else {
      size_t pos = 0;
      int64_t done = 0;
      while (done < count) {
        size_t f = s.find(old, pos);
        if (f == U32::npos) break;
        out.append(s, pos, f - pos);
        out += rep;
        pos = f + old.size();
        ++done;
        in.check_size(out.size());
      }
      out.append(s, pos, U32::npos);
    }
    return str(out);
  }
  if (name == "partition" || name == "rpartition") {
    Params p(name.c_str(), args, {"sep"}, 1);
    U32 sep = utf8_decode(str_arg(p[0], "separator"));
    if (sep.empty()) fail("empty separator");
    size_t f = name == "partition" ? s.find(sep) : s.rfind(sep);
    std::vector<Value> parts;
    if (f == U32::npos) {
      U32 empty;
      parts = name == "partition"
                  ? std::vector<Value>{str(s), str(empty), str(empty)}
                  : std::vector<Value>{str(empty), str(empty), str(s)};
    } else {
      parts = {str(s.substr(0, f)), str(sep), str(s.substr(f + sep.size()))};
    }
    return make_list(in, std::move(parts), true);
  }
  if (name == "removeprefix" || name == "removesuffix") {
    Params p(name.c_str(), args, {"affix"}, 1);
    U32 a = utf8_decode(str_arg(p[0], name.c_str()));
    if (name == "removeprefix" && s.compare(0, a.size(), a) == 0) return str(s.substr(a.size()));
    if (name == "removesuffix" && !a.empty() && s.size() >= a.size() &&
        s.compare(s.size() - a.size(), a.size(), a) == 0) {
      return str(s.substr(0, s.size() - a.size()));
    }
    return self;
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    Params p(name.c_str(), args, {"width", "fillchar"}, 1);
    int64_t width = int_param(p[0]);
    in.check_size(static_cast<size_t>(std::max<int64_t>(width, 0)));
    return str(padded(s, width, fill_arg(p, 1), name == "center" ? 'c' : (name == "ljust" ? 'l' : 'r')));
  }
  if (name == "zfill") {
    Params p("zfill", args, {"width"}, 1);
    int64_t width = int_param(p[0]);
    in.check_size(static_cast<size_t>(std::max<int64_t>(width, 0)));
    if (width <= len) return self;
    U32 out = U32(width - len, '0') + s;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      out[0] = s[0];
      out[width - len] = '0';
    }
    return str(out);
  }
  if (name == "expandtabs") {
    Params p("expandtabs", args, {"tabsize"});
    int64_t tab = p.has(0) ? int_param(p[0]) : 8;
    U32 out;
    int64_t col = 0;
    for (char32_t c : s) {
      if (c == '\t') {
        if (tab > 0) {
          int64_t n = tab - col % tab;
          in.check_size(out.size() + static_cast<size_t>(n));
          out.append(n, ' ');
          col += n;
        }
      } else {
        out.push_back(c);
        col = (c == '\n' || c == '\r') ? 0 : col + 1;
      }
      in.check_size(out.size());
    }
    return str(out);
  }
  Params none(name.c_str(), args, {});
  if (name == "isalnum") return Value::boolean(all_chars(s, py_isalnum));
  if (name == "isalpha") return Value::boolean(all_chars(s, py_isalpha));
  if (name == "isascii") return Value::boolean(all_chars(s, [](char32_t c) { return c < 0x80; }, true));
  if (name == "isdecimal") return Value::boolean(all_chars(s, py_isdecimal));
  if (name == "isdigit") return Value::boolean(all_chars(s, py_isdigit));
  if (name == "isnumeric") return Value::boolean(all_chars(s, py_isnumeric));
  if (name == "isspace") return Value::boolean(all_chars(s, py_isspace));
  if (name == "isprintable") return Value::boolean(all_chars(s, py_isprintable, true));
  if (name == "islower" || name == "isupper") {
    bool lower = name == "islower";
    bool cased = false;
    for (char32_t c : s) {
      if ((lower ? py_isupper(c) : py_islower(c)) || py_istitle(c)) return Value::boolean(false);
      if (lower ? py_islower(c) : py_isupper(c)) cased = true;
    }
    return Value::boolean(cased);
  }
  if (name == "istitle") {
    bool cased = false, prev = false;
    for (char32_t c : s) {
      if (py_isupper(c) || py_istitle(c)) {
        if (prev) return Value::boolean(false);
        prev = cased = true;
      } else if (py_islower(c)) {
        if (!prev) return Value::boolean(false);
        prev = cased = true;
      } else {
        prev = false;
      }
    }
    return Value::boolean(cased);
  }
  fail("'str' object has no attribute '", name, "'");
}

Value dict_method(Interpreter& in, const Value& self, const std::string& name, CallArgs& args) {
  const auto& d = self.as_dict();
  in.charge(static_cast<int64_t>(d.items.size()));
  if (name == "get") {
    Params p("get", args, {"key", "default"}, 1);
    if (!hashable(p[0])) fail("unhashable type: '", type_name(p[0]), "'");
    if (const Value* v = d.find(p[0])) return *v;
    return p.get(1, Value::none());
  }
  Params none(name.c_str(), args, {});
  if (name == "copy") return self;
  std::vector<Value> out;
  out.reserve(d.items.size());
  for (const auto& [k, v] : d.items) {
    if (name == "keys") {
      out.push_back(k);
    } else if (name == "values") {
      out.push_back(v);
    } else {
      out.push_back(Value::list({k, v}, true));
    }
  }
  return Value::list(std::move(out));
}

Value list_method(Interpreter& in, const Value& self, const std::string& name, CallArgs& args) {
  const auto& items = self.as_list().items;
  in.charge(static_cast<int64_t>(items.size()));
  if (name == "copy") {
    Params none("copy", args, {});
    return Value::list(items);
  }
  if (name == "count") {
    Params p("count", args, {"value"}, 1);
    int64_t n = 0;
    for (const auto& v : items) n += equals(v, p[0]) ? 1 : 0;
    return Value::integer(n);
  }
  Params p("index", args, {"value", "start", "stop"}, 1);
  int64_t start, end;
  adjust(p, 1, static_cast<int64_t>(items.size()), &start, &end);
  for (int64_t i = start; i < end; ++i) {
    if (equals(items[i], p[0])) return Value::integer(i);
  }
  fail(repr_of(p[0]), " is not in ", self.is_tuple() ? "tuple" : "list");
}

}  // namespace

bool method_exists(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::String: return in_table(kStrMethods, name);
    case Value::Kind::Dict: return in_table(kDictMethods, name);
    case Value::Kind::List: return obj.is_tuple() ? in_table(kTupleMethods, name) : in_table(kListMethods, name);
    default: return false;
  }
}

bool method_is_unsafe(const Value& obj, std::string_view name) {
  if (obj.is_dict()) return in_table(kDictUnsafe, name);
  if (obj.is_list() && !obj.is_tuple()) return in_table(kListUnsafe, name);
  return false;
}

Value call_method(Interpreter& in, const Value& self, const std::string& name, CallArgs& args) {
  if (method_is_unsafe(self, name)) {
    fail("access to attribute '", name, "' of '", type_name(self), "' object is unsafe.");
  }
  if (self.is_string()) return str_method(in, self, name, args);
  if (self.is_dict()) return dict_method(in, self, name, args);
  if (self.is_list()) return list_method(in, self, name, args);
  fail("'", type_name(self), "' object has no attribute '", name, "'");
}

}  // namespace sunbae::tmpl::detail
