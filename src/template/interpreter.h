#pragma once
// Evaluates a parsed template against a context, with jinja2's scoping rules and the sandbox
// limits: every statement, expression and loop iteration costs a step, bulk work (copying a
// long string or list) costs in proportion, recursion and output size are capped. A template
// can therefore only fail with an Error, never hang, exhaust memory or overflow the stack.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "template/ast.h"
#include "template/builtins.h"
#include "template/chat_template.h"
#include "template/objects.h"
#include "template/value.h"

namespace sunbae::tmpl::detail {

// An error that already names its template position; outer frames pass it through.
class LocatedError : public Error {
 public:
  using Error::Error;
};

// raise_exception(message) from the template: surfaces with exactly the template's message,
// as transformers surfaces jinja2's TemplateError.
class RaisedError : public Error {
 public:
  using Error::Error;
};

// Variables of one jinja2 frame: the template top level, one loop iteration, a macro call.
// Lookups walk to the parent, which is how a loop body or macro sees enclosing variables.
struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  Scope* parent = nullptr;
  bool captured = false;  // a macro closes over it, so it must outlive its statement
  const Value* lookup(const std::string& name) const;
  void set(const std::string& name, Value v);
};

class Interpreter {
 public:
  explicit Interpreter(const Limits& limits) : limits_(limits) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string render(const Program& program, const nlohmann::json& context);

  // ---- services for builtins ---------------------------------------------------------------
  void charge(int64_t steps);
  void charge_bytes(size_t bytes) { charge(static_cast<int64_t>(bytes / 64) + 1); }
  // Refuses strings beyond the output limit before they are built.
  void check_size(size_t bytes) const;
  Value make_string(std::string s);
  const Limits& limits() const { return limits_; }

  Value getattr(const Value& obj, const std::string& name);
  Value getitem(const Value& obj, const Value& key);
  Value call(const Value& callee, CallArgs& args);
  Value call_filter(const std::string& name, const Value& v, CallArgs& args);
  bool call_test(const std::string& name, const Value& v, CallArgs& args);
  // Python iter(v) materialized: a list or tuple as is, dict keys, string characters, nothing
  // for Undefined. Throws TypeError for values that are not iterable.
  Value to_list(const Value& v);
  [[noreturn]] void undefined_error(const Value& undefined);
  Value new_namespace();

  // Macro and recursive-loop calls, from the objects in objects.h.
  Value call_macro(MacroObj& m, CallArgs& args);
  Value call_loop(const Stmt& stmt, Scope* scope, const Value& iterable, int depth0);

 private:
  enum class Flow { Normal, Break, Continue };

  // Nesting of eval()/exec() frames on the native stack: macro recursion times expression
  // depth could otherwise need megabytes of stack (max_depth 64 x 100 nested operators).
  struct NativeDepth {
    Interpreter& in;
    explicit NativeDepth(Interpreter& i);
    ~NativeDepth() { --in.native_depth_; }
  };
  struct CallDepth {
    Interpreter& in;
    explicit CallDepth(Interpreter& i);
    ~CallDepth() { --in.call_depth_; }
  };
  // Redirects output into `buf` for the lifetime of the guard (macro bodies, {% set %} blocks).
  struct Capture {
    Interpreter& in;
    std::string* saved;
    Capture(Interpreter& i, std::string* buf) : in(i), saved(i.out_) { i.out_ = buf; }
    ~Capture() { in.out_ = saved; }
  };

  Scope* new_scope(Scope* parent);
  void emit(std::string_view s);
  void emit_value(const Value& v);

  Flow exec_body(const Body& body, Scope* scope);
  Flow exec(const Stmt& s, Scope* scope);
  Flow exec_inner(const Stmt& s, Scope* scope);
  void exec_for(const Stmt& s, Scope* scope, const Value& iterable, int depth0);
  void assign(const Expr& target, const Value& v, Scope* scope);

  Value eval(const Expr& e, Scope* scope);
  Value eval_inner(const Expr& e, Scope* scope);
  Value eval_filter_chain(const Expr& e, Scope* scope, const Value* hole);
  Value eval_unary(bool negate, const Value& v);
  Value eval_binary(BinOp op, const Value& a, const Value& b);
  bool eval_compare(CmpOp op, const Value& a, const Value& b);
  bool contains(const Value& container, const Value& item);
  Value slice(const Value& obj, const Expr& s, Scope* scope);
  CallArgs eval_args(const ArgList& a, Scope* scope);
  Value lookup(const std::string& name, Scope* scope);

  const Limits& limits_;
  int64_t steps_ = 0;
  int call_depth_ = 0;
  int native_depth_ = 0;
  std::string* out_ = nullptr;
  std::vector<std::unique_ptr<Scope>> scopes_;
  std::vector<std::shared_ptr<Namespace>> namespaces_;
};

}  // namespace sunbae::tmpl::detail
