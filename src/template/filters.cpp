// jinja2's builtin filters (jinja2/filters.py) plus transformers' tojson. Filters that return
// generators in jinja2 (map, select, unique, reverse ...) return lists here; templates consume
// them with |list, |join or a for loop, where the two behave alike.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/objects.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

using U32 = std::u32string;

Value lower_if_string(const Value& v) {
  if (!v.is_string()) return v;
  return Value::string(utf8_encode(py_str_lower(utf8_decode(v.as_string()))));
}

// make_attrgetter: "a.b.0" looks up a, then b, then index 0, with environment.getitem.
std::vector<Value> attribute_parts(const Value& attribute) {
  std::vector<Value> parts;
  if (attribute.is_none() || attribute.is_undefined()) return parts;
  if (!attribute.is_string()) {
    parts.push_back(attribute);
    return parts;
  }
  const std::string& s = attribute.as_string();
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    int64_t index = 0;
    bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos &&
                  parse_py_int(part, 10, &index);
    parts.push_back(digits ? Value::integer(index) : Value::string(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

Value get_path(Interpreter& in, Value item, const std::vector<Value>& parts, const Value* dflt) {
  for (const auto& part : parts) {
    item = in.getitem(item, part);
    if (dflt && item.is_undefined()) item = *dflt;
  }
  return item;
}

// Sort keys of sort/unique/min/max: a comma-separated list of attributes gives a list key.
Value sort_key(Interpreter& in, const Value& item, const Value& attribute, bool case_sensitive,
               bool multi) {
  auto post = [&](const Value& v) { return case_sensitive ? v : lower_if_string(v); };
  // sort uses jinja2's make_multi_attrgetter, whose keys are always lists: Python compares
  // them element by element with == first, so equal keys never reach `<` (even Undefined ones).
  if (multi && attribute.is_string()) {
    std::vector<Value> keys;
    const std::string& s = attribute.as_string();
    size_t start = 0;
    while (true) {
      size_t comma = s.find(',', start);
      Value one = Value::string(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      keys.push_back(post(get_path(in, item, attribute_parts(one), nullptr)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return Value::list(std::move(keys));
  }
  if (multi) return Value::list({post(get_path(in, item, attribute_parts(attribute), nullptr))});
  return post(get_path(in, item, attribute_parts(attribute), nullptr));
}

const std::vector<Value>& items_of(Interpreter& in, const Value& v, Value& holder) {
  holder = in.to_list(v);
  return holder.as_list().items;
}

Value text(Interpreter& in, U32 u) { return in.make_string(utf8_encode(u)); }

// ---- filters ---------------------------------------------------------------------------------

Value f_abs(Interpreter&, const Value& v, CallArgs& a) {
  Params p("abs", a, {});
  if (v.is_float()) return Value::number(std::fabs(v.as_float()));
  if (v.is_integral()) {
    if (v.as_int() == INT64_MIN) fail("integer overflow: the result does not fit in 64 bits");
    return Value::integer(std::llabs(v.as_int()));
  }
  fail("bad operand type for abs(): '", type_name(v), "'");
}

Value f_attr(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("attr", a, {"name"}, 1);
  if (!p[0].is_string()) fail("attribute name must be a string");
  const std::string& name = p[0].as_string();
  // Attribute only: a dict's keys are not attributes.
  if (v.is_dict() && !method_exists(v, name)) {
    std::string msg;
    append_py_string_repr(object_type_repr(v), msg);
    msg += " has no attribute ";
    append_py_string_repr(name, msg);
    return Value::undefined(msg);
  }
  return in.getattr(v, name);
}

Value f_batch(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("batch", a, {"linecount", "fill_with"}, 1);
  if (!p[0].is_integral() || p[0].as_int() <= 0) fail("batch size must be a positive integer");
  size_t n = static_cast<size_t>(p[0].as_int());
  Value holder;
  const auto& items = items_of(in, v, holder);
  std::vector<Value> out, cur;
  for (const auto& item : items) {
    cur.push_back(item);
    if (cur.size() == n) {
      out.push_back(Value::list(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (p.has(1) && !p[1].is_none()) {
      while (cur.size() < n) cur.push_back(p[1]);
    }
    out.push_back(Value::list(std::move(cur)));
  }
  return Value::list(std::move(out));
}

Value f_capitalize(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("capitalize", a, {});
  return text(in, py_str_capitalize(utf8_decode(str_of(v))));
}

Value f_center(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("center", a, {"width"});
  CallArgs args;
  args.pos.push_back(p.get(0, Value::integer(80)));
  return call_method(in, Value::string(str_of(v)), "center", args);
}

Value f_length(Interpreter&, const Value& v, CallArgs& a) {
  Params p("length", a, {});
  switch (v.kind()) {
    case Value::Kind::Undefined: return Value::integer(0);
    case Value::Kind::String: return Value::integer(static_cast<int64_t>(utf8_length(v.as_string())));
    case Value::Kind::List: return Value::integer(static_cast<int64_t>(v.as_list().items.size()));
    case Value::Kind::Dict: return Value::integer(static_cast<int64_t>(v.as_dict().items.size()));
    default:
      if (auto* loop = v.object_as<LoopObj>()) return Value::integer(static_cast<int64_t>(loop->length()));
      fail("object of type '", type_name(v), "' has no len()");
  }
}

Value f_default(Interpreter&, const Value& v, CallArgs& a) {
  Params p("default", a, {"default_value", "boolean"});
  bool boolean = p.has(1) && truthy(p[1]);
  if (v.is_undefined() || (boolean && !truthy(v))) return p.get(0, Value::string(""));
  return v;
}

Value f_dictsort(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("dictsort", a, {"case_sensitive", "by", "reverse"});
  if (v.is_undefined()) in.undefined_error(v);
  if (!v.is_dict()) fail("'", type_name(v), "' object has no attribute 'items'");
  bool cs = p.has(0) && truthy(p[0]);
  std::string by = p.has(1) ? str_of(p[1]) : "key";
  if (by != "key" && by != "value") fail("You can only sort by either \"key\" or \"value\"");
  bool rev = p.has(2) && truthy(p[2]);
  std::vector<Value> pairs;
  for (const auto& [k, val] : v.as_dict().items) pairs.push_back(Value::list({k, val}, true));
  in.charge(static_cast<int64_t>(pairs.size()) * 8);
  size_t pos = by == "key" ? 0 : 1;
  auto key = [&](const Value& pair) {
    const Value& x = pair.as_list().items[pos];
    return cs ? x : lower_if_string(x);
  };
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& x, const Value& y) {
    return rev ? compare(key(y), key(x), "<") < 0 : compare(key(x), key(y), "<") < 0;
  });
  return Value::list(std::move(pairs));
}

Value f_escape(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("escape", a, {});
  std::string s = str_of(v), out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return in.make_string(std::move(out));
}

Value f_first(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("first", a, {});
  if (v.is_list()) {
    const auto& items = v.as_list().items;
    return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
  }
  Value holder;
  const auto& items = items_of(in, v, holder);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_last(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("last", a, {});
  Value holder;
  const auto& items = v.is_list() ? v.as_list().items : items_of(in, v, holder);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_float(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("float", a, {"default"});
  Value dflt = p.get(0, Value::number(0.0));
  if (v.is_undefined()) in.undefined_error(v);
  if (v.is_number()) return Value::number(v.as_float());
  double d;
  if (v.is_string() && parse_py_float(v.as_string(), &d)) return Value::number(d);
  return dflt;
}

Value f_int(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("int", a, {"default", "base"});
  Value dflt = p.get(0, Value::integer(0));
  int base = p.has(1) ? static_cast<int>(p[1].as_int()) : 10;
  if (v.is_undefined()) in.undefined_error(v);
  if (v.is_integral()) return Value::integer(v.as_int());
  auto from_double = [&](double d) -> Value {
    if (std::isnan(d) || std::isinf(d)) return dflt;
    if (std::fabs(d) >= 9.2e18) fail("integer overflow: the result does not fit in 64 bits");
    return Value::integer(static_cast<int64_t>(std::trunc(d)));
  };
  if (v.is_float()) return from_double(v.as_float());
  if (v.is_string()) {
    int64_t i;
    if (parse_py_int(v.as_string(), base, &i)) return Value::integer(i);
    double d;
    if (parse_py_float(v.as_string(), &d)) return from_double(d);
  }
  return dflt;
}

Value f_format(Interpreter& in, const Value& v, CallArgs& a) {
  if (!a.pos.empty() && !a.kw.empty()) fail("can't handle positional and keyword arguments at the same time");
  Value args;
  if (!a.kw.empty()) {
    std::vector<std::pair<Value, Value>> kw;
    for (auto& [k, val] : a.kw) kw.emplace_back(Value::string(k), val);
    args = Value::dict(std::move(kw));
  } else {
    args = Value::list(a.pos, true);
  }
  return in.make_string(percent_format(in, str_of(v), args));
}

// Python's str.splitlines boundaries, used by indent().
std::vector<U32> splitlines(const U32& s) {
  std::vector<U32> lines;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    auto brk = [](char32_t c) {
      return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
             c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    };
    while (j < s.size() && !brk(s[j])) ++j;
    lines.push_back(s.substr(i, j - i));
    if (j < s.size() && s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ++j;
    i = j + 1;
  }
  return lines;
}

Value f_indent(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("indent", a, {"width", "first", "blank"});
  if (v.is_undefined()) in.undefined_error(v);
  // do_indent starts with `s += "\n"`, which only a string survives.
  if (!v.is_string()) fail("unsupported operand type(s) for +=: '", type_name(v), "' and 'str'");
  U32 ind;
  if (p.has(0) && p[0].is_string()) {
    ind = utf8_decode(p[0].as_string());
  } else {
    int64_t w = p.has(0) ? p[0].as_int() : 4;
    if (w > 10000) fail("indent width too large");
    ind = U32(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
  }
  bool first = p.has(1) && truthy(p[1]);
  bool blank = p.has(2) && truthy(p[2]);
  U32 s = utf8_decode(str_of(v)) + U32(1, '\n');
  std::vector<U32> lines = splitlines(s);
  U32 rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += U32(1, '\n') + ind;
      rv += lines[i];
    }
  } else {
    rv = lines.empty() ? U32() : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      rv += U32(1, '\n');
      if (!lines[i].empty()) rv += ind;
      rv += lines[i];
      in.check_size(rv.size());
    }
  }
  if (first) rv = ind + rv;
  return text(in, rv);
}

Value f_join(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("join", a, {"d", "attribute"});
  std::string sep = p.has(0) ? str_of(p[0]) : "";
  Value holder;
  const auto& items = items_of(in, v, holder);
  std::vector<Value> parts;
  bool attr = p.has(1) && !p[1].is_none();
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    if (attr) {
      append_str(get_path(in, items[i], attribute_parts(p[1]), nullptr), out);
    } else {
      append_str(items[i], out, static_cast<size_t>(in.limits().max_output_bytes));
    }
    in.check_size(out.size());
  }
  return in.make_string(std::move(out));
}

Value f_list(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("list", a, {});
  Value l = in.to_list(v);
  if (l.is_tuple()) return Value::list(l.as_list().items);
  return l;
}

Value f_lower(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("lower", a, {});
  return text(in, py_str_lower(utf8_decode(str_of(v))));
}

Value f_upper(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("upper", a, {});
  return text(in, py_str_upper(utf8_decode(str_of(v))));
}

Value f_items(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("items", a, {});
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.as_dict().items) out.push_back(Value::list({k, val}, true));
  in.charge(static_cast<int64_t>(out.size()));
  return Value::list(std::move(out));
}

Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  if (!truthy(v)) return Value::list({});
  Value holder;
  const auto& items = items_of(in, v, holder);
  if (a.pos.empty()) {
    Value attribute, dflt;
    bool has_attr = false, has_default = false;
    for (auto& [k, val] : a.kw) {
      if (k == "attribute") {
        attribute = val;
        has_attr = true;
      } else if (k == "default") {
        dflt = val;
        has_default = true;
      } else {
        fail("Unexpected keyword argument '", k, "'");
      }
    }
    if (!has_attr) fail("map requires a filter argument");
    auto parts = attribute_parts(attribute);
    bool use_default = has_default && !dflt.is_none();
    for (const auto& item : items) {
      in.charge(1);
      out.push_back(get_path(in, item, parts, use_default ? &dflt : nullptr));
    }
    return Value::list(std::move(out));
  }
  if (!a.pos[0].is_string()) fail("map filter name must be a string");
  std::string name = a.pos[0].as_string();
  for (const auto& item : items) {
    in.charge(1);
    CallArgs rest;
    rest.pos.assign(a.pos.begin() + 1, a.pos.end());
    rest.kw = a.kw;
    out.push_back(in.call_filter(name, item, rest));
  }
  return Value::list(std::move(out));
}

Value min_max(Interpreter& in, const Value& v, CallArgs& a, bool want_max) {
  Params p(want_max ? "max" : "min", a, {"case_sensitive", "attribute"});
  bool cs = p.has(0) && truthy(p[0]);
  Value attribute = p.get(1, Value::none());
  Value holder;
  const auto& items = items_of(in, v, holder);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key = sort_key(in, items[0], attribute, cs, false);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = sort_key(in, items[i], attribute, cs, false);
    int c = compare(k, best_key, want_max ? ">" : "<");
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}

Value f_min(Interpreter& in, const Value& v, CallArgs& a) { return min_max(in, v, a, false); }
Value f_max(Interpreter& in, const Value& v, CallArgs& a) { return min_max(in, v, a, true); }

// select / reject / selectattr / rejectattr share jinja2's select_or_reject.
Value select_or_reject(Interpreter& in, const Value& v, CallArgs& a, bool select, bool attr) {
  if (!truthy(v)) return Value::list({});
  Value holder;
  const auto& items = items_of(in, v, holder);
  size_t off = 0;
  std::vector<Value> parts;
  if (attr) {
    if (a.pos.empty()) fail("Missing parameter for attribute name");
    parts = attribute_parts(a.pos[0]);
    off = 1;
  }
  bool has_test = a.pos.size() > off;
  std::string test;
  if (has_test) {
    if (!a.pos[off].is_string()) fail("test name must be a string");
    test = a.pos[off].as_string();
  }
  std::vector<Value> out;
  for (const auto& item : items) {
    in.charge(1);
    Value subject = attr ? get_path(in, item, parts, nullptr) : item;
    bool ok;
    if (has_test) {
      CallArgs rest;
      rest.pos.assign(a.pos.begin() + off + 1, a.pos.end());
      rest.kw = a.kw;
      ok = in.call_test(test, subject, rest);
    } else {
      ok = truthy(subject);
    }
    if (ok == select) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, CallArgs& a) { return select_or_reject(in, v, a, true, false); }
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) { return select_or_reject(in, v, a, false, false); }
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_or_reject(in, v, a, true, true); }
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) { return select_or_reject(in, v, a, false, true); }

Value f_replace(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("replace", a, {"old", "new", "count"}, 2);
  CallArgs args;
  args.pos = {Value::string(str_of(p[0])), Value::string(str_of(p[1]))};
  if (p.has(2) && !p[2].is_none()) args.pos.push_back(p[2]);
  return call_method(in, Value::string(str_of(v)), "replace", args);
}

Value f_reverse(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("reverse", a, {});
  if (v.is_string()) {
    U32 u = utf8_decode(v.as_string());
    std::reverse(u.begin(), u.end());
    return text(in, u);
  }
  Value holder;
  std::vector<Value> items = items_of(in, v, holder);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_round(Interpreter&, const Value& v, CallArgs& a) {
  Params p("round", a, {"precision", "method"});
  int64_t prec = p.has(0) ? p[0].as_int() : 0;
  std::string method = p.has(1) ? str_of(p[1]) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    fail("method must be common, ceil or floor");
  }
  if (!v.is_number()) fail("type ", type_name(v), " doesn't define __round__ method");
  if (method == "common") {
    if (v.is_integral()) return Value::integer(v.as_int());
    double x = v.as_float();
    if (std::isnan(x) || std::isinf(x) || prec > 300) return Value::number(x);
    if (prec >= 0) {
      // printf rounds the exact binary value half-to-even, which is what Python's round() does.
      char buf[1024];  // 309 integer digits + 300 decimals at most
      std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(prec), x);
      return Value::number(std::strtod(buf, nullptr));
    }
    double scale = std::pow(10.0, static_cast<double>(-prec));
    return Value::number(std::nearbyint(x / scale) * scale);
  }
  double scale = std::pow(10.0, static_cast<double>(prec));
  double x = v.as_float() * scale;
  return Value::number((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Value f_sort(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("sort", a, {"reverse", "case_sensitive", "attribute"});
  bool rev = p.has(0) && truthy(p[0]);
  bool cs = p.has(1) && truthy(p[1]);
  Value attribute = p.get(2, Value::none());
  Value holder;
  const auto& items = items_of(in, v, holder);
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& item : items) keyed.emplace_back(sort_key(in, item, attribute, cs, true), item);
  in.charge(static_cast<int64_t>(keyed.size()) * 8);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return rev ? compare(y.first, x.first, "<") < 0 : compare(x.first, y.first, "<") < 0;
  });
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return Value::list(std::move(out));
}

Value f_string(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("string", a, {});
  if (v.is_string()) return v;
  std::string s;
  append_str(v, s, static_cast<size_t>(in.limits().max_output_bytes));
  return in.make_string(std::move(s));
}

Value f_sum(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("sum", a, {"attribute", "start"});
  Value total = p.get(1, Value::integer(0));
  Value holder;
  const auto& items = items_of(in, v, holder);
  bool attr = p.has(0) && !p[0].is_none();
  auto parts = attr ? attribute_parts(p[0]) : std::vector<Value>{};
  for (const auto& item : items) {
    in.charge(1);
    Value x = attr ? get_path(in, item, parts, nullptr) : item;
    if (x.is_undefined()) in.undefined_error(x);
    if (!total.is_number() || !x.is_number()) {
      fail("unsupported operand type(s) for +: '", type_name(total), "' and '", type_name(x), "'");
    }
    if (total.is_integral() && x.is_integral()) {
      int64_t r;
      if (__builtin_add_overflow(total.as_int(), x.as_int(), &r)) fail("integer overflow: the result does not fit in 64 bits");
      total = Value::integer(r);
    } else {
      total = Value::number(total.as_float() + x.as_float());
    }
  }
  return total;
}

Value f_title(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("title", a, {});
  // jinja2 splits on runs of [-\s({\[<] and capitalizes the first character of every piece.
  U32 s = utf8_decode(str_of(v));
  auto sep = [](char32_t c) { return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_isspace(c); };
  U32 out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    bool is_sep = sep(s[i]);
    while (j < s.size() && sep(s[j]) == is_sep) ++j;
    if (is_sep) {
      out.append(s, i, j - i);
    } else {
      py_upper_full(s[i], out);
      out += py_str_lower(std::u32string_view(s).substr(i + 1, j - i - 1));
    }
    i = j;
  }
  return text(in, out);
}

Value f_tojson(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("tojson", a, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions opt;
  opt.ensure_ascii = p.has(0) && truthy(p[0]);
  if (p.has(1) && !p[1].is_none()) {
    opt.has_indent = true;
    if (p[1].is_string()) {
      opt.indent = p[1].as_string();
    } else if (p[1].is_integral()) {
      int64_t n = std::clamp<int64_t>(p[1].as_int(), 0, 1000);
      opt.indent = std::string(static_cast<size_t>(n), ' ');
    } else {
      fail("indent must be an int or a string");
    }
    opt.item_sep = std::string(1, ',');  // json.dumps drops the space when indenting
  }
  if (p.has(2) && !p[2].is_none()) {
    Value seps = in.to_list(p[2]);
    const auto& items = seps.as_list().items;
    if (items.size() != 2 || !items[0].is_string() || !items[1].is_string()) {
      fail("separators must be a (item_separator, key_separator) pair of strings");
    }
    opt.item_sep = items[0].as_string();
    opt.key_sep = items[1].as_string();
  }
  opt.sort_keys = p.has(3) && truthy(p[3]);
  std::string out;
  py_json_dumps(v, opt, out, static_cast<size_t>(in.limits().max_output_bytes));
  return in.make_string(std::move(out));
}

Value f_trim(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("trim", a, {"chars"});
  CallArgs args;
  if (p.has(0)) args.pos.push_back(p[0]);
  return call_method(in, Value::string(str_of(v)), "strip", args);
}

Value f_truncate(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("truncate", a, {"length", "killwords", "end", "leeway"});
  int64_t length = p.has(0) ? p[0].as_int() : 255;
  bool killwords = p.has(1) && truthy(p[1]);
  U32 end = utf8_decode(p.has(2) ? str_of(p[2]) : "...");
  int64_t leeway = p.has(3) && !p[3].is_none() ? p[3].as_int() : 5;
  if (length < static_cast<int64_t>(end.size())) fail("expected length >= ", end.size(), ", got ", length);
  if (leeway < 0) fail("expected leeway >= 0, got ", leeway);
  if (!v.is_string()) {
    // do_truncate returns short values untouched; longer non-strings fail on slicing + str.
    CallArgs none;
    Value n = find_filter("length")(in, v, none);
    if (n.as_int() <= length + leeway) return v;
    fail("can only concatenate ", type_name(v), " (not \"str\") to ", type_name(v));
  }
  U32 s = utf8_decode(v.as_string());
  if (static_cast<int64_t>(s.size()) <= length + leeway) return text(in, s);
  U32 cut = s.substr(0, length - end.size());
  if (killwords) return text(in, cut + end);
  size_t sp = cut.rfind(' ');
  if (sp != U32::npos) cut.resize(sp);
  return text(in, cut + end);
}

Value f_unique(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("unique", a, {"case_sensitive", "attribute"});
  bool cs = p.has(0) && truthy(p[0]);
  Value attribute = p.get(1, Value::none());
  Value holder;
  const auto& items = items_of(in, v, holder);
  std::vector<Value> seen, out;
  for (const auto& item : items) {
    Value key = sort_key(in, item, attribute, cs, false);
    if (!hashable(key)) fail("unhashable type: '", type_name(key), "'");
    in.charge(static_cast<int64_t>(seen.size()) + 1);
    bool dup = std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); });
    if (!dup) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::list(std::move(out));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs& a) {
  Params p("wordcount", a, {});
  U32 s = utf8_decode(str_of(v));
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : s) {
    bool w = py_isword(c);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

struct FilterEntry {
  const char* name;
  FilterFn fn;
};

const FilterEntry kFilters[] = {
    {"abs", f_abs},
    {"attr", f_attr},
    {"batch", f_batch},
    {"capitalize", f_capitalize},
    {"center", f_center},
    {"count", f_length},
    {"d", f_default},
    {"default", f_default},
    {"dictsort", f_dictsort},
    {"e", f_escape},
    {"escape", f_escape},
    {"first", f_first},
    {"float", f_float},
    {"forceescape", f_escape},
    {"format", f_format},
    {"indent", f_indent},
    {"int", f_int},
    {"items", f_items},
    {"join", f_join},
    {"last", f_last},
    {"length", f_length},
    {"list", f_list},
    {"lower", f_lower},
    {"map", f_map},
    {"max", f_max},
    {"min", f_min},
    {"reject", f_reject},
    {"rejectattr", f_rejectattr},
    {"replace", f_replace},
    {"reverse", f_reverse},
    {"round", f_round},
    {"safe", f_string},
    {"select", f_select},
    {"selectattr", f_selectattr},
    {"sort", f_sort},
    {"string", f_string},
    {"sum", f_sum},
    {"title", f_title},
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"truncate", f_truncate},
    {"unique", f_unique},
    {"upper", f_upper},
    {"wordcount", f_wordcount},
};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const auto& f : kFilters) {
    if (name == f.name) return f.fn;
  }
  return nullptr;
}

}  // namespace sunbae::tmpl::detail
