#include "template/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

int child_depth(const Value& v) { return v.depth(); }

void check_nesting(int depth) {
  if (depth > kMaxNesting) fail("data nested deeper than ", kMaxNesting, " levels");
}

void check_limit(const std::string& out, size_t limit) {
  if (out.size() > limit) fail("string exceeds the output limit of ", limit, " bytes (max_output_bytes)");
}

}  // namespace

const Value* DictData::find(const Value& key) const {
  for (const auto& [k, v] : items) {
    if (equals(k, key)) return &v;
  }
  return nullptr;
}

const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k.is_string() && k.as_string() == key) return &v;
  }
  return nullptr;
}

Value Value::undefined(std::string message) {
  Value v(Kind::Undefined);
  v.p_ = std::make_shared<const std::string>(std::move(message));
  return v;
}

Value Value::string(std::string s) {
  Value v(Kind::String);
  v.p_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::string(std::shared_ptr<const std::string> s) {
  Value v(Kind::String);
  v.p_ = std::move(s);
  return v;
}

Value Value::list(std::vector<Value> items, bool tuple) {
  auto data = std::make_shared<ListData>();
  int d = 0;
  for (const auto& item : items) d = std::max(d, child_depth(item));
  data->depth = d + 1;
  check_nesting(data->depth);
  data->items = std::move(items);
  data->tuple = tuple;
  Value v(Kind::List);
  v.p_ = std::move(data);
  return v;
}

Value Value::dict(std::vector<std::pair<Value, Value>> items) {
  auto data = std::make_shared<DictData>();
  int d = 0;
  for (const auto& [k, item] : items) d = std::max({d, child_depth(k), child_depth(item)});
  data->depth = d + 1;
  check_nesting(data->depth);
  data->items = std::move(items);
  Value v(Kind::Dict);
  v.p_ = std::move(data);
  return v;
}

Value Value::object(std::shared_ptr<Object> o) {
  Value v(Kind::Object);
  v.p_ = std::shared_ptr<const void>(std::move(o));
  return v;
}

const std::string& Value::undefined_message() const {
  static const std::string kGeneric = "value is undefined";
  if (kind_ != Kind::Undefined || !p_) return kGeneric;
  return *static_cast<const std::string*>(p_.get());
}

int Value::depth() const {
  if (kind_ == Kind::List) return as_list().depth;
  if (kind_ == Kind::Dict) return as_dict().depth;
  return 0;
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None:
      return false;
    case Value::Kind::Bool:
    case Value::Kind::Int:
      return v.as_int() != 0;
    case Value::Kind::Float:
      return v.as_float() != 0.0;
    case Value::Kind::String:
      return !v.as_string().empty();
    case Value::Kind::List:
      return !v.as_list().items.empty();
    case Value::Kind::Dict:
      return !v.as_dict().items.empty();
    case Value::Kind::Object:
      return v.as_object()->truthy();
  }
  return false;
}

bool equals(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting * 2) fail("comparison nested too deeply");
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::Undefined:
    case K::None:
      return true;
    case K::String:
      return a.identity() == b.identity() || a.as_string() == b.as_string();
    case K::List: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.tuple != y.tuple || x.items.size() != y.items.size()) return false;
      if (&x == &y) return true;
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!equals(x.items[i], y.items[i], depth + 1)) return false;
      }
      return true;
    }
    case K::Dict: {
      const auto& x = a.as_dict();
      const auto& y = b.as_dict();
      if (x.items.size() != y.items.size()) return false;
      if (&x == &y) return true;
      for (const auto& [k, v] : x.items) {
        const Value* other = y.find(k);
        if (!other || !equals(v, *other, depth + 1)) return false;
      }
      return true;
    }
    case K::Object:
      return a.identity() == b.identity();
    default:
      return false;
  }
}

int compare(const Value& a, const Value& b, const char* op, int depth) {
  if (depth > kMaxNesting * 2) fail("comparison nested too deeply");
  auto refuse = [&]() -> int {
    fail("'", op, "' not supported between instances of '", type_name(a), "' and '",
         type_name(b), "'");
  };
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.as_float(), y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.as_int(), y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    // UTF-8 byte order is code point order, which is how Python orders str.
    int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.as_list().items;
    const auto& y = b.as_list().items;
    size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i) {
      if (!equals(x[i], y[i], depth + 1)) return compare(x[i], y[i], op, depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return refuse();
}

bool hashable(const Value& v) {
  if (v.is_list()) {
    if (!v.is_tuple()) return false;
    for (const auto& item : v.as_list().items) {
      if (!hashable(item)) return false;
    }
    return true;
  }
  return !v.is_dict();
}

void append_float_repr(double f, std::string& out) {
  if (std::isnan(f)) {
    out += "nan";
    return;
  }
  if (std::isinf(f)) {
    out += f < 0 ? "-inf" : "inf";
    return;
  }
  // Shortest round-trip digits from to_chars, laid out the way CPython's float_repr does.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  bool neg = false;
  if (!sci.empty() && sci[0] == '-') {
    neg = true;
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  int decpt = exp10 + 1;
  if (neg) out.push_back('-');
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits;
      out.append(decpt - digits.size(), '0');
      out += ".0";
    } else {
      out.append(digits, 0, decpt);
      out.push_back('.');
      out.append(digits, decpt, std::string::npos);
    }
  } else {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    int x = decpt - 1;
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    out += eb;
  }
}

void append_py_string_repr(std::string_view s, std::string& out) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  out.push_back(quote);
  size_t pos = 0;
  char hex[16];
  while (pos < s.size()) {
    char32_t c = utf8_next(s, pos);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    } else if (c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else if (py_isprintable(c)) {
      utf8_append(out, c);
    } else if (c < 0x100) {
      std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    } else if (c < 0x10000) {
      std::snprintf(hex, sizeof(hex), "\\u%04x", static_cast<unsigned>(c));
      out += hex;
    } else {
      std::snprintf(hex, sizeof(hex), "\\U%08x", static_cast<unsigned>(c));
      out += hex;
    }
  }
  out.push_back(quote);
}

void append_repr(const Value& v, std::string& out, int depth, size_t limit) {
  if (depth > kMaxNesting * 2) fail("value nested too deeply to print");
  switch (v.kind()) {
    case Value::Kind::Undefined:
      out += "Undefined";
      return;
    case Value::Kind::String:
      append_py_string_repr(v.as_string(), out);
      check_limit(out, limit);
      return;
    case Value::Kind::List: {
      const auto& l = v.as_list();
      out.push_back(l.tuple ? '(' : '[');
      for (size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        append_repr(l.items[i], out, depth + 1, limit);
        check_limit(out, limit);
      }
      if (l.tuple && l.items.size() == 1) out.push_back(',');
      out.push_back(l.tuple ? ')' : ']');
      return;
    }
    case Value::Kind::Dict: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, item] : v.as_dict().items) {
        if (!first) out += ", ";
        first = false;
        append_repr(k, out, depth + 1, limit);
        out += ": ";
        append_repr(item, out, depth + 1, limit);
        check_limit(out, limit);
      }
      out.push_back('}');
      return;
    }
    case Value::Kind::Object:
      v.as_object()->repr(out, depth + 1);
      check_limit(out, limit);
      return;
    default:
      append_str(v, out, limit);
  }
}

void append_str(const Value& v, std::string& out, size_t limit) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return;
    case Value::Kind::None:
      out += "None";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "True" : "False";
      return;
    case Value::Kind::Int: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), v.as_int());
      out.append(buf, r.ptr);
      return;
    }
    case Value::Kind::Float:
      append_float_repr(v.as_float(), out);
      return;
    case Value::Kind::String:
      if (out.size() + v.as_string().size() > limit) {
        fail("string exceeds the output limit of ", limit, " bytes (max_output_bytes)");
      }
      out += v.as_string();
      return;
    default:
      append_repr(v, out, 0, limit);
  }
}

std::string str_of(const Value& v) {
  if (v.is_string()) return v.as_string();
  std::string s;
  append_str(v, s);
  return s;
}

std::string repr_of(const Value& v) {
  std::string s;
  append_repr(v, s);
  return s;
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return "Undefined";
    case Value::Kind::None: return "NoneType";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "str";
    case Value::Kind::List: return v.is_tuple() ? "tuple" : "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Object: return v.as_object()->type_name();
  }
  return "object";
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_undefined()) return "jinja2.runtime.Undefined object";
  if (v.is_object() && std::strcmp(v.as_object()->module_name(), "builtins") != 0) {
    return std::string(v.as_object()->module_name()) + "." + type_name(v) + " object";
  }
  return type_name(v) + " object";
}

Value from_json(const nlohmann::json& j, int depth) {
  if (depth > kMaxNesting) fail("context data nested deeper than ", kMaxNesting, " levels");
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::integer(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::number(static_cast<double>(u));
      }
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::number(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value::string(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<Value, Value>> items;
      items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        items.emplace_back(Value::string(it.key()), from_json(it.value(), depth + 1));
      }
      return Value::dict(std::move(items));
    }
    default:
      fail("unsupported JSON value in the template context (binary data)");
  }
}

}  // namespace sunbae::tmpl::detail
