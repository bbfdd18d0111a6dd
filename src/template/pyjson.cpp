// Python's json.dumps, which transformers' tojson filter calls (with ensure_ascii=False by
// default, unlike jinja2's own tojson). Tool schemas reach the prompt through it, so spacing,
// key order and float spelling must be Python's: {"a": 1.0, "b": [1, 2]}.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "template/builtins.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

void json_string(std::string_view s, bool ensure_ascii, std::string& out) {
  out.push_back('"');
  size_t pos = 0;
  char buf[16];
  while (pos < s.size()) {
    char32_t c = utf8_next(s, pos);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (c < 0x20 || (ensure_ascii && c > 0x7E)) {
      if (c >= 0x10000 && !(c >= 0xDC80 && c <= 0xDCFF)) {
        char32_t v = c - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 | (v >> 10)),
                      static_cast<unsigned>(0xDC00 | (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
    } else {
      utf8_append(out, c);
    }
  }
  out.push_back('"');
}

void json_float(double f, std::string& out) {
  if (std::isnan(f)) {
    out += "NaN";
  } else if (std::isinf(f)) {
    out += f < 0 ? "-Infinity" : "Infinity";
  } else {
    append_float_repr(f, out);
  }
}

// Dict keys become strings the way json.dumps converts them.
std::string json_key(const Value& k) {
  switch (k.kind()) {
    case Value::Kind::String: return k.as_string();
    case Value::Kind::Bool: return k.as_bool() ? "true" : "false";
    case Value::Kind::None: return "null";
    case Value::Kind::Int: return str_of(k);
    case Value::Kind::Float: {
      std::string s;
      json_float(k.as_float(), s);
      return s;
    }
    default:
      fail("keys must be str, int, float, bool or None, not ", type_name(k));
  }
}

void dump(const Value& v, const JsonOptions& opt, std::string& out, size_t limit, int level) {
  if (level > kMaxNesting * 2) fail("Circular reference detected");
  if (out.size() > limit) fail("tojson output exceeds the output limit of ", limit, " bytes (max_output_bytes)");
  auto newline = [&](int lvl) {
    out.push_back('\n');
    for (int i = 0; i < lvl; ++i) out += opt.indent;
  };
  switch (v.kind()) {
    case Value::Kind::None:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      append_str(v, out);
      return;
    case Value::Kind::Float:
      json_float(v.as_float(), out);
      return;
    case Value::Kind::String:
      json_string(v.as_string(), opt.ensure_ascii, out);
      return;
    case Value::Kind::List: {
      const auto& items = v.as_list().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      if (opt.has_indent) newline(level + 1);
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) {
          out += opt.item_sep;
          if (opt.has_indent) newline(level + 1);
        }
        dump(items[i], opt, out, limit, level + 1);
      }
      if (opt.has_indent) newline(level);
      out.push_back(']');
      return;
    }
    case Value::Kind::Dict: {
      const auto& items = v.as_dict().items;
      if (items.empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<Value, Value>*> order;
      for (const auto& kv : items) order.push_back(&kv);
      if (opt.sort_keys) {
        std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
          return compare(a->first, b->first, "<") < 0;
        });
      }
      out.push_back('{');
      if (opt.has_indent) newline(level + 1);
      bool first = true;
      for (const auto* kv : order) {
        if (!first) {
          out += opt.item_sep;
          if (opt.has_indent) newline(level + 1);
        }
        first = false;
        json_string(json_key(kv->first), opt.ensure_ascii, out);
        out += opt.key_sep;
        dump(kv->second, opt, out, limit, level + 1);
      }
      if (opt.has_indent) newline(level);
      out.push_back('}');
      return;
    }
    default:
      fail("Object of type ", type_name(v), " is not JSON serializable");
  }
}

}  // namespace

void py_json_dumps(const Value& v, const JsonOptions& opt, std::string& out, size_t limit) {
  dump(v, opt, out, limit, 0);
  if (out.size() > limit) fail("tojson output exceeds the output limit of ", limit, " bytes (max_output_bytes)");
}

}  // namespace sunbae::tmpl::detail
