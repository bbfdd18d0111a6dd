#include "template/objects.h"

#include "core/error.h"
#include "template/interpreter.h"

namespace sunbae::tmpl::detail {

void Namespace::repr(std::string& out, int depth) const {
  out += "<Namespace {";
  bool first = true;
  for (const auto& [k, v] : attrs) {
    if (!first) out += ", ";
    first = false;
    append_py_string_repr(k, out);
    out += ": ";
    append_repr(v, out, depth + 1);
  }
  out += "}>";
}

const Value* Namespace::find(const std::string& name) const {
  for (const auto& [k, v] : attrs) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Namespace::set(const std::string& name, Value v) {
  for (auto& [k, val] : attrs) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  attrs.emplace_back(name, std::move(v));
}

void BuiltinFunction::repr(std::string& out, int) const {
  out += "<built-in function ";
  out += name_;
  out += ">";
}

void BoundMethod::repr(std::string& out, int) const {
  out += "<built-in method " + name_ + " of " + detail::type_name(self_) + " object>";
}

Value BoundMethod::call(Interpreter& in, CallArgs& args) {
  if (auto* loop = self_.object_as<LoopObj>()) {
    if (name_ == "cycle") return loop->cycle(args);
    return loop->changed(args);
  }
  return call_method(in, self_, name_, args);
}

void MacroObj::repr(std::string& out, int) const {
  out += "<Macro ";
  append_py_string_repr(is_caller_ ? "caller" : def_->name, out);
  out += ">";
}

Value MacroObj::call(Interpreter& in, CallArgs& args) { return in.call_macro(*this, args); }

void LoopObj::repr(std::string& out, int) const {
  out += "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(length()) + ">";
}

Value LoopObj::call(Interpreter& in, CallArgs& args) {
  if (!stmt_->recursive) {
    fail("The loop must have the 'recursive' marker to be called recursively.");
  }
  if (args.pos.size() != 1 || !args.kw.empty()) fail("loop() takes exactly one iterable");
  return in.call_loop(*stmt_, scope_, args.pos[0], depth0_ + 1);
}

Value LoopObj::attr(const std::string& name) const {
  const auto& items = items_.as_list().items;
  size_t n = items.size();
  auto num = [](size_t v) { return Value::integer(static_cast<int64_t>(v)); };
  if (name == "index") return num(index0 + 1);
  if (name == "index0") return num(index0);
  if (name == "revindex") return num(n - index0);
  if (name == "revindex0") return num(n - index0 - 1);
  if (name == "first") return Value::boolean(index0 == 0);
  if (name == "last") return Value::boolean(index0 + 1 == n);
  if (name == "length") return num(n);
  if (name == "depth") return Value::integer(depth0_ + 1);
  if (name == "depth0") return Value::integer(depth0_);
  if (name == "previtem") {
    return index0 > 0 ? items[index0 - 1] : Value::undefined("there is no previous item");
  }
  if (name == "nextitem") {
    return index0 + 1 < n ? items[index0 + 1] : Value::undefined("there is no next item");
  }
  std::string msg;
  append_py_string_repr("jinja2.runtime.LoopContext object", msg);
  msg += " has no attribute ";
  append_py_string_repr(name, msg);
  return Value::undefined(msg);
}

Value LoopObj::cycle(CallArgs& args) const {
  if (args.pos.empty()) fail("no items for cycling given");
  return args.pos[index0 % args.pos.size()];
}

Value LoopObj::changed(CallArgs& args) {
  Value now = Value::list(args.pos, true);
  if (!has_last_ || !equals(now, last_changed_)) {
    has_last_ = true;
    last_changed_ = std::move(now);
    return Value::boolean(true);
  }
  return Value::boolean(false);
}

}  // namespace sunbae::tmpl::detail
