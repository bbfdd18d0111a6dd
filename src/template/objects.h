#pragma once
// Runtime objects a template can hold in a variable besides plain data: namespace(), the loop
// variable, macros (and `caller`), builtin functions and bound methods ('abc'.upper).
#include <string>
#include <utility>
#include <vector>

#include "template/ast.h"
#include "template/builtins.h"
#include "template/value.h"

namespace sunbae::tmpl::detail {

struct Scope;

// jinja2.utils.Namespace: the one mutable container, assigned with {% set ns.attr = ... %}.
class Namespace : public Object {
 public:
  std::vector<std::pair<std::string, Value>> attrs;
  const char* type_name() const override { return "Namespace"; }
  const char* module_name() const override { return "jinja2.utils"; }
  void repr(std::string& out, int depth) const override;
  const Value* find(const std::string& name) const;
  void set(const std::string& name, Value v);
};

class Callable : public Object {
 public:
  bool callable() const override { return true; }
  virtual Value call(Interpreter& in, CallArgs& args) = 0;
};

class BuiltinFunction : public Callable {
 public:
  using Fn = Value (*)(Interpreter&, CallArgs&);
  BuiltinFunction(const char* name, Fn fn) : name_(name), fn_(fn) {}
  const char* type_name() const override { return "builtin_function_or_method"; }
  void repr(std::string& out, int) const override;
  Value call(Interpreter& in, CallArgs& args) override { return fn_(in, args); }

 private:
  const char* name_;
  Fn fn_;
};

// A method looked up on a value, called later: 'a-b'.split, messages.index, loop.cycle.
class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  const char* type_name() const override { return "builtin_function_or_method"; }
  void repr(std::string& out, int) const override;
  Value call(Interpreter& in, CallArgs& args) override;

 private:
  Value self_;
  std::string name_;
};

// A {% macro %}, or the body of a {% call %} block passed to the macro as `caller`. Looks up
// free names in the scope it was defined in, at call time (jinja2's closure semantics).
class MacroObj : public Callable {
 public:
  MacroObj(const Stmt* def, Scope* closure, bool is_caller)
      : def_(def), closure_(closure), is_caller_(is_caller) {}
  const char* type_name() const override { return "Macro"; }
  const char* module_name() const override { return "jinja2.runtime"; }
  void repr(std::string& out, int) const override;
  Value call(Interpreter& in, CallArgs& args) override;
  const Stmt* def() const { return def_; }
  Scope* closure() const { return closure_; }
  bool is_caller() const { return is_caller_; }

 private:
  const Stmt* def_;
  Scope* closure_;
  bool is_caller_;
};

// The `loop` variable of a for loop; callable as loop(children) in a recursive loop.
class LoopObj : public Callable {
 public:
  LoopObj(Value items, const Stmt* stmt, Scope* scope, int depth0)
      : items_(std::move(items)), stmt_(stmt), scope_(scope), depth0_(depth0) {}
  const char* type_name() const override { return "LoopContext"; }
  const char* module_name() const override { return "jinja2.runtime"; }
  void repr(std::string& out, int) const override;
  bool truthy() const override { return length() > 0; }
  Value call(Interpreter& in, CallArgs& args) override;

  Value attr(const std::string& name) const;  // Undefined when there is no such attribute
  Value cycle(CallArgs& args) const;
  Value changed(CallArgs& args);
  size_t length() const { return items_.as_list().items.size(); }
  size_t index0 = 0;

 private:
  Value items_;
  const Stmt* stmt_;
  Scope* scope_;
  int depth0_;
  bool has_last_ = false;
  Value last_changed_;
};

}  // namespace sunbae::tmpl::detail
