#pragma once
// The library a template can call: filters (x|trim), tests (x is defined), methods of builtin
// types ('a,b'.split(',')), global functions (range, namespace, raise_exception) and the
// json.dumps behind transformers' tojson. Each follows the Python function jinja2 would run.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "template/ast.h"
#include "template/value.h"

namespace sunbae::tmpl::detail {

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

// Binds call arguments to named parameters the way Python does: positionals first, then
// keywords by name; too many or unknown arguments throw TypeError-style Errors naming `fn`.
class Params {
 public:
  Params(const char* fn, const CallArgs& args, std::initializer_list<const char*> names,
         size_t required = 0);
  bool has(size_t i) const { return values_[i].has_value(); }
  const Value& operator[](size_t i) const;
  Value get(size_t i, Value fallback) const { return has(i) ? *values_[i] : std::move(fallback); }

 private:
  const char* fn_;
  std::vector<const char*> names_;
  std::vector<std::optional<Value>> values_;
};

FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// Methods of str, dict and list values. `method_exists` says whether `obj.name` is a method
// (attribute lookup prefers methods over dict keys, as Python's getattr does).
bool method_exists(const Value& obj, std::string_view name);
// Mutating methods (list.append, dict.update ...) that the immutable sandbox refuses.
bool method_is_unsafe(const Value& obj, std::string_view name);
Value call_method(Interpreter& in, const Value& self, const std::string& name, CallArgs& args);

// Global functions; Undefined when `name` is not one.
Value find_global(std::string_view name);

// json.dumps(v, ensure_ascii, indent, separators, sort_keys) with Python's output format.
struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;  // per level, when has_indent
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
};
void py_json_dumps(const Value& v, const JsonOptions& opt, std::string& out, size_t limit);

// Python int()/float() of a string (whitespace and underscores allowed); false when invalid.
bool parse_py_int(std::string_view s, int base, int64_t* out);
bool parse_py_float(std::string_view s, double* out);

// printf-style `fmt % args`, shared by the % operator and the format filter.
std::string percent_format(Interpreter& in, const std::string& fmt, const Value& args);
// str.format(*args, **kwargs) with the format-spec mini-language for str, int and float.
std::string str_format(Interpreter& in, const std::string& fmt, const CallArgs& args);
// format(value, spec) for one value: [[fill]align][sign][#][0][width][,|_][.precision][type].
std::string format_spec(const Value& v, std::string_view spec);

}  // namespace sunbae::tmpl::detail
