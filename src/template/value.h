#pragma once
// Values the template interpreter computes with. They follow Python's object model as jinja2
// sees it, because chat templates are rendered by jinja2 and their output depends on Python
// semantics: str(True) is "True", str([1, 'a']) is "[1, 'a']", 1 == 1.0, dicts keep insertion
// order, an undefined name prints as "" but fails when used in arithmetic.
//
// Strings, lists and dicts are immutable once built (the sandbox forbids list.append and
// friends), so they are shared by pointer and never copied. Runtime objects (namespace, loop,
// macros, bound methods) derive from Object.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::tmpl::detail {

class Value;

// Containers nested deeper than this are refused when built: destroying, printing or comparing
// them recurses once per level, and a template could otherwise nest a list a million deep.
inline constexpr int kMaxNesting = 256;

struct ListData {
  std::vector<Value> items;
  bool tuple = false;  // Python tuple: prints as (a, b) and never equals a list
  int depth = 1;
};

struct DictData {
  std::vector<std::pair<Value, Value>> items;  // insertion order, like a Python dict
  int depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
};

// Runtime-only objects. type_name() is what Python's type(x).__name__ would say, module_name()
// the module jinja2 error messages put in front of it ("jinja2.utils" for a Namespace).
class Object {
 public:
  virtual ~Object() = default;
  virtual const char* type_name() const = 0;
  virtual const char* module_name() const { return "builtins"; }
  virtual void repr(std::string& out, int depth) const = 0;
  virtual bool callable() const { return false; }
  virtual bool truthy() const { return true; }
};

class Value {
 public:
  enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Object };

  Value() = default;  // undefined
  static Value undefined(std::string message);
  static Value none() { return Value(Kind::None); }
  static Value boolean(bool b) {
    Value v(Kind::Bool);
    v.i_ = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v(Kind::Int);
    v.i_ = i;
    return v;
  }
  static Value number(double f) {
    Value v(Kind::Float);
    v.f_ = f;
    return v;
  }
  static Value string(std::string s);
  static Value string(std::shared_ptr<const std::string> s);
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::vector<std::pair<Value, Value>> items);  // keys must be unique
  static Value object(std::shared_ptr<Object> o);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_integral() const { return kind_ == Kind::Int || kind_ == Kind::Bool; }  // Python int
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return is_integral() || is_float(); }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::List && as_list().tuple; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }  // Int or Bool
  double as_float() const { return kind_ == Kind::Float ? f_ : static_cast<double>(i_); }
  const std::string& as_string() const { return *static_cast<const std::string*>(p_.get()); }
  const ListData& as_list() const { return *static_cast<const ListData*>(p_.get()); }
  const DictData& as_dict() const { return *static_cast<const DictData*>(p_.get()); }
  Object* as_object() const {
    return const_cast<Object*>(static_cast<const Object*>(p_.get()));
  }
  template <class T>
  T* object_as() const {
    return kind_ == Kind::Object ? dynamic_cast<T*>(as_object()) : nullptr;
  }
  // The message an UndefinedError would carry ("'x' is undefined", "'dict object' has no ...").
  const std::string& undefined_message() const;
  // Same underlying object (Python `is`) for containers and objects.
  const void* identity() const { return p_.get(); }
  int depth() const;

 private:
  explicit Value(Kind k) : kind_(k) {}
  Kind kind_ = Kind::Undefined;
  union {
    int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<const void> p_;
};

// Python behaviour of the basic operations. Those that Python refuses throw Error with Python's
// message ("'<' not supported between instances of 'int' and 'str'").
bool truthy(const Value& v);
bool equals(const Value& a, const Value& b, int depth = 0);
// -1, 0, 1; `op` names the operator for the TypeError message.
int compare(const Value& a, const Value& b, const char* op, int depth = 0);
bool hashable(const Value& v);

// str(v) and repr(v). Output longer than `limit` bytes throws (a guard against printing a huge
// structure into memory before the output limit can see it).
void append_str(const Value& v, std::string& out, size_t limit = SIZE_MAX);
void append_repr(const Value& v, std::string& out, int depth = 0,
                 size_t limit = SIZE_MAX);
std::string str_of(const Value& v);
std::string repr_of(const Value& v);
void append_py_string_repr(std::string_view s, std::string& out);
// repr(float): shortest round-trip digits, exponent outside [1e-4, 1e16).
void append_float_repr(double f, std::string& out);

std::string type_name(const Value& v);         // "str", "int", "NoneType", "Namespace", ...
std::string object_type_repr(const Value& v);  // "None", "dict object", "jinja2.utils.Namespace object"

Value from_json(const nlohmann::json& j, int depth = 0);

}  // namespace sunbae::tmpl::detail
