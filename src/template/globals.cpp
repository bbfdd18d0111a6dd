// Global functions of transformers' chat-template environment (jinja2's defaults plus
// raise_exception and strftime_now), and Python-style argument binding for all builtins.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <string_view>

#include "core/error.h"
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/objects.h"

namespace sunbae::tmpl::detail {

Params::Params(const char* fn, const CallArgs& args, std::initializer_list<const char*> names,
               size_t required)
    : fn_(fn), names_(names), values_(names.size()) {
  if (args.pos.size() > names_.size()) {
    fail(fn, "() takes at most ", names_.size(), " argument(s) (", args.pos.size(), " given)");
  }
  for (size_t i = 0; i < args.pos.size(); ++i) values_[i] = args.pos[i];
  for (const auto& [k, v] : args.kw) {
    size_t j = 0;
    while (j < names_.size() && k != names_[j]) ++j;
    if (j == names_.size()) fail(fn, "() got an unexpected keyword argument '", k, "'");
    if (values_[j]) fail(fn, "() got multiple values for argument '", k, "'");
    values_[j] = v;
  }
  for (size_t i = 0; i < required; ++i) {
    if (!values_[i]) fail(fn, "() missing required argument '", names_[i], "'");
  }
}

const Value& Params::operator[](size_t i) const {
  if (!values_[i]) fail(fn_, "() missing required argument '", names_[i], "'");
  return *values_[i];
}

namespace {

// The sandbox's safe_range: a range longer than this is refused outright.
constexpr int64_t kMaxRange = 100000;

int64_t int_arg(const Value& v) {
  if (!v.is_integral()) fail("'", type_name(v), "' object cannot be interpreted as an integer");
  return v.as_int();
}

Value g_range(Interpreter& in, CallArgs& a) {
  if (!a.kw.empty()) fail("range() takes no keyword arguments");
  if (a.pos.empty()) fail("range expected at least 1 argument, got 0");
  if (a.pos.size() > 3) fail("range expected at most 3 arguments, got ", a.pos.size());
  int64_t start = 0, stop, step = 1;
  if (a.pos.size() == 1) {
    stop = int_arg(a.pos[0]);
  } else {
    start = int_arg(a.pos[0]);
    stop = int_arg(a.pos[1]);
    if (a.pos.size() == 3) step = int_arg(a.pos[2]);
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  __int128 len = 0;
  if (step > 0 && start < stop) {
    len = (static_cast<__int128>(stop) - start - 1) / step + 1;
  } else if (step < 0 && start > stop) {
    len = (static_cast<__int128>(start) - stop - 1) / -static_cast<__int128>(step) + 1;
  }
  if (len > kMaxRange) {
    fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (", kMaxRange, ").");
  }
  in.charge(static_cast<int64_t>(len));
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(len));
  for (int64_t i = 0; i < static_cast<int64_t>(len); ++i) items.push_back(Value::integer(start + i * step));
  return Value::list(std::move(items));
}

// dict(*args, **kwargs): one mapping or iterable of pairs, then keyword items.
std::vector<std::pair<Value, Value>> dict_items(Interpreter& in, CallArgs& a, const char* fn) {
  if (a.pos.size() > 1) fail(fn, " expected at most 1 argument, got ", a.pos.size());
  std::vector<std::pair<Value, Value>> items;
  auto put = [&](Value k, Value v) {
    if (!hashable(k)) fail("unhashable type: '", type_name(k), "'");
    for (auto& [ek, ev] : items) {
      if (equals(ek, k)) {
        ev = std::move(v);
        return;
      }
    }
    items.emplace_back(std::move(k), std::move(v));
  };
  if (!a.pos.empty()) {
    const Value& src = a.pos[0];
    if (src.is_dict()) {
      for (const auto& [k, v] : src.as_dict().items) put(k, v);
    } else {
      Value list = in.to_list(src);
      for (const auto& pair : list.as_list().items) {
        Value kv = in.to_list(pair);
        if (kv.as_list().items.size() != 2) fail("dictionary update sequence element has wrong length");
        put(kv.as_list().items[0], kv.as_list().items[1]);
      }
    }
  }
  for (auto& [k, v] : a.kw) put(Value::string(k), v);
  in.charge(static_cast<int64_t>(items.size()));
  return items;
}

Value g_dict(Interpreter& in, CallArgs& a) { return Value::dict(dict_items(in, a, "dict")); }

Value g_namespace(Interpreter& in, CallArgs& a) {
  auto items = dict_items(in, a, "namespace");
  Value ns = in.new_namespace();
  auto* n = ns.object_as<Namespace>();
  for (auto& [k, v] : items) {
    if (!k.is_string()) fail("namespace keywords must be strings");
    n->set(k.as_string(), v);
  }
  return ns;
}

Value g_raise_exception(Interpreter&, CallArgs& a) {
  Params p("raise_exception", a, {"message"}, 1);
  throw RaisedError(str_of(p[0]));
}

// datetime.now().strftime(format): the C library's strftime, plus the directives Python
// handles itself (%f microseconds; %z and %Z are empty for the naive datetime now() gives).
Value g_strftime_now(Interpreter& in, CallArgs& a) {
  Params p("strftime_now", a, {"format"}, 1);
  if (!p[0].is_string()) fail("strftime() argument 1 must be str, not ", type_name(p[0]));
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  localtime_r(&t, &tm);
  const std::string& fmt = p[0].as_string();
  std::string cooked;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '%' && i + 1 < fmt.size()) {
      char d = fmt[i + 1];
      if (d == 'f') {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "%06lld", static_cast<long long>(micros));
        cooked += buf;
        ++i;
        continue;
      }
      if (d == 'z' || d == 'Z') {
        ++i;
        continue;
      }
      cooked += fmt.substr(i, 2);
      ++i;
      continue;
    }
    cooked.push_back(fmt[i]);
  }
  in.check_size(cooked.size() * 16);
  std::string out(cooked.size() * 16 + 64, '\0');
  // strftime returns 0 both for "too small" and for an empty result; the buffer above is far
  // larger than any expansion of a checked-size format, so 0 means empty.
  size_t n = cooked.empty() ? 0 : std::strftime(out.data(), out.size(), cooked.c_str(), &tm);
  out.resize(n);
  return in.make_string(std::move(out));
}

struct GlobalEntry {
  const char* name;
  BuiltinFunction::Fn fn;
};

const GlobalEntry kGlobals[] = {
    {"range", g_range},
    {"dict", g_dict},
    {"namespace", g_namespace},
    {"raise_exception", g_raise_exception},
    {"strftime_now", g_strftime_now},
};

}  // namespace

Value find_global(std::string_view name) {
  static const std::vector<std::pair<std::string_view, Value>> table = [] {
    std::vector<std::pair<std::string_view, Value>> t;
    for (const auto& g : kGlobals) {
      t.emplace_back(g.name, Value::object(std::make_shared<BuiltinFunction>(g.name, g.fn)));
    }
    return t;
  }();
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return Value();
}

}  // namespace sunbae::tmpl::detail
