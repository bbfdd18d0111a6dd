// Attribute and item access (jinja2's sandboxed getattr/getitem), calls and iteration.
// obj.name prefers a method, then a dict key; obj[key] prefers the key, then the
// attribute; a miss gives an Undefined that knows how to explain itself.
#include <memory>

#include "template/interpreter.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

std::string attr_message(const Value& obj, const std::string& name) {
  std::string msg;
  append_py_string_repr(object_type_repr(obj), msg);
  msg += " has no attribute ";
  append_py_string_repr(name, msg);
  return msg;
}

Value undefined_attr(const Value& obj, const std::string& name) {
  return Value::undefined(attr_message(obj, name));
}

Value undefined_item(const Value& obj, const Value& key) {
  if (key.is_string()) return undefined_attr(obj, key.as_string());
  return Value::undefined(object_type_repr(obj) + " has no element " + repr_of(key));
}

Value unsafe_attr(const Value& obj, const std::string& name) {
  std::string msg = "access to attribute ";
  append_py_string_repr(name, msg);
  msg += " of ";
  append_py_string_repr(type_name(obj), msg);
  msg += " object is unsafe.";
  return Value::undefined(msg);
}

bool is_dunder(const std::string& name) {
  return name.size() >= 4 && name.compare(0, 2, "__") == 0 &&
         name.compare(name.size() - 2, 2, "__") == 0;
}

}  // namespace

Value Interpreter::getattr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) undefined_error(obj);
  // The sandbox hides Python internals (obj.__class__ and friends).
  if (is_dunder(name)) return unsafe_attr(obj, name);
  if (auto* ns = obj.object_as<Namespace>()) {
    if (const Value* v = ns->find(name)) return *v;
    return undefined_attr(obj, name);
  }
  if (auto* loop = obj.object_as<LoopObj>()) {
    if (name == "cycle" || name == "changed") return Value::object(std::make_shared<BoundMethod>(obj, name));
    return loop->attr(name);
  }
  if (method_exists(obj, name)) {
    if (method_is_unsafe(obj, name)) return unsafe_attr(obj, name);
    return Value::object(std::make_shared<BoundMethod>(obj, name));
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.as_dict().find(name)) return *v;
  }
  return undefined_attr(obj, name);
}

Value Interpreter::getitem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) undefined_error(obj);
  if (obj.is_dict()) {
    if (hashable(key)) {
      if (const Value* v = obj.as_dict().find(key)) return *v;
    }
  } else if (obj.is_list() && key.is_integral()) {
    const auto& items = obj.as_list().items;
    int64_t i = key.as_int();
    int64_t n = static_cast<int64_t>(items.size());
    if (i < 0) i += n;
    if (i >= 0 && i < n) return items[i];
  } else if (obj.is_string() && key.is_integral()) {
    const std::string& s = obj.as_string();
    charge_bytes(s.size());
    int64_t i = key.as_int();
    if (i < 0) i += static_cast<int64_t>(utf8_length(s));
    if (i >= 0) {
      size_t pos = 0;
      for (int64_t k = 0; pos < s.size(); ++k) {
        size_t start = pos;
        utf8_next(s, pos);
        if (k == i) return Value::string(s.substr(start, pos - start));
      }
    }
  }
  // Python's obj[key] failed: jinja2 then tries the attribute of that name.
  if (key.is_string()) {
    const std::string& name = key.as_string();
    if (is_dunder(name)) return unsafe_attr(obj, name);
    if (auto* ns = obj.object_as<Namespace>()) {
      if (const Value* v = ns->find(name)) return *v;
    } else if (obj.object_as<LoopObj>()) {
      return getattr(obj, name);
    } else if (method_exists(obj, name)) {
      if (method_is_unsafe(obj, name)) return unsafe_attr(obj, name);
      return Value::object(std::make_shared<BoundMethod>(obj, name));
    }
  }
  return undefined_item(obj, key);
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) undefined_error(callee);
  if (auto* c = callee.object_as<Callable>()) return c->call(*this, args);
  fail("'", type_name(callee), "' object is not callable");
}

Value Interpreter::call_filter(const std::string& name, const Value& v, CallArgs& args) {
  FilterFn f = find_filter(name);
  if (!f) fail("No filter named '", name, "'.");
  return f(*this, v, args);
}

bool Interpreter::call_test(const std::string& name, const Value& v, CallArgs& args) {
  TestFn t = find_test(name);
  if (!t) fail("No test named '", name, "'.");
  return t(*this, v, args);
}

Value Interpreter::to_list(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::List:
      return v;
    case Value::Kind::Undefined:
      return Value::list({});
    case Value::Kind::Dict: {
      std::vector<Value> keys;
      keys.reserve(v.as_dict().items.size());
      for (const auto& [k, item] : v.as_dict().items) keys.push_back(k);
      charge(static_cast<int64_t>(keys.size()));
      return Value::list(std::move(keys));
    }
    case Value::Kind::String: {
      std::vector<Value> chars;
      const std::string& s = v.as_string();
      size_t pos = 0;
      while (pos < s.size()) {
        size_t start = pos;
        utf8_next(s, pos);
        chars.push_back(Value::string(s.substr(start, pos - start)));
      }
      charge(static_cast<int64_t>(chars.size()));
      return Value::list(std::move(chars));
    }
    default:
      fail("'", type_name(v), "' object is not iterable");
  }
}

}  // namespace sunbae::tmpl::detail
