#include "template/interpreter.h"

#include <memory>
#include <new>
#include <stdexcept>


namespace sunbae::tmpl::detail {

namespace {

// Owns a scope for the duration of a statement. A scope a macro or recursive loop closed over
// (captured) moves to the interpreter's arena instead, so the closure stays valid.
class ScopeHolder {
 public:
  ScopeHolder(std::vector<std::unique_ptr<Scope>>& arena, Scope* parent) : arena_(arena) {
    renew(parent);
  }
  ~ScopeHolder() { release(); }
  Scope* get() const { return scope_.get(); }
  void renew(Scope* parent) {
    release();
    scope_ = std::make_unique<Scope>();
    scope_->parent = parent;
  }

 private:
  void release() {
    if (scope_ && scope_->captured) arena_.push_back(std::move(scope_));
    scope_.reset();
  }
  std::vector<std::unique_ptr<Scope>>& arena_;
  std::unique_ptr<Scope> scope_;
};

void capture(Scope* s) {
  for (; s && !s->captured; s = s->parent) s->captured = true;
}

}  // namespace

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent) {
    for (const auto& [k, v] : s->vars) {
      if (k == name) return &v;
    }
  }
  return nullptr;
}

void Scope::set(const std::string& name, Value v) {
  for (auto& [k, val] : vars) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  vars.emplace_back(name, std::move(v));
}

// Each nested evaluation takes ~350 bytes of stack (eval + eval_inner frames), so 1000 levels
// stay under 512 KB even with macro frames interleaved; real templates nest well below 100.
constexpr int kMaxNativeDepth = 1000;

Interpreter::NativeDepth::NativeDepth(Interpreter& i) : in(i) {
  if (++in.native_depth_ > kMaxNativeDepth) {
    --in.native_depth_;
    fail("template evaluation nested more than ", kMaxNativeDepth, " levels deep");
  }
}

Interpreter::CallDepth::CallDepth(Interpreter& i) : in(i) {
  if (++in.call_depth_ > in.limits_.max_depth) {
    --in.call_depth_;
    fail("recursion deeper than ", in.limits_.max_depth, " calls (max_depth)");
  }
}

Interpreter::~Interpreter() {
  // Namespaces are the only mutable containers, so the only way to build a reference cycle
  // (ns.self = ns); emptying them all breaks every cycle before the values are released.
  for (auto& ns : namespaces_) ns->attrs.clear();
}

std::string Interpreter::render(const Program& program, const nlohmann::json& context) {
  if (!context.is_object() && !context.is_null()) fail("the chat template context must be a JSON object");
  auto root = std::make_unique<Scope>();
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it) {
      root->vars.emplace_back(it.key(), from_json(it.value()));
    }
  }
  std::string out;
  out_ = &out;
  try {
    exec_body(program.body, root.get());
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    fail("out of memory while rendering the chat template");
  } catch (const std::exception& e) {
    // Only Errors may leave the interpreter; anything else is a bug worth a clear message.
    fail("internal error while rendering the chat template: ", e.what());
  }
  out_ = nullptr;
  scopes_.push_back(std::move(root));
  return out;
}

void Interpreter::charge(int64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    fail("the template ran more than ", limits_.max_steps, " evaluation steps (max_steps)");
  }
}

void Interpreter::check_size(size_t bytes) const {
  if (static_cast<int64_t>(bytes) > limits_.max_output_bytes) {
    fail("a string of ", bytes, " bytes exceeds the output limit of ", limits_.max_output_bytes,
         " bytes (max_output_bytes)");
  }
}

Value Interpreter::make_string(std::string s) {
  check_size(s.size());
  charge_bytes(s.size());
  return Value::string(std::move(s));
}

Value Interpreter::new_namespace() {
  auto ns = std::make_shared<Namespace>();
  namespaces_.push_back(ns);
  return Value::object(ns);
}

void Interpreter::emit(std::string_view s) {
  if (static_cast<int64_t>(out_->size() + s.size()) > limits_.max_output_bytes) {
    fail("the rendered output exceeds ", limits_.max_output_bytes, " bytes (max_output_bytes)");
  }
  charge_bytes(s.size());
  out_->append(s);
}

void Interpreter::emit_value(const Value& v) {
  if (v.is_string()) {
    emit(v.as_string());
    return;
  }
  std::string tmp;
  append_str(v, tmp, static_cast<size_t>(limits_.max_output_bytes));
  emit(tmp);
}

[[noreturn]] void Interpreter::undefined_error(const Value& undefined) {
  fail(undefined.undefined_message());
}

// ---- statements -----------------------------------------------------------------------------

Interpreter::Flow Interpreter::exec_body(const Body& body, Scope* scope) {
  for (const auto& s : body) {
    Flow f = exec(*s, scope);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, Scope* scope) {
  try {
    NativeDepth depth(*this);
    charge(1);
    return exec_inner(s, scope);
  } catch (const LocatedError&) {
    throw;
  } catch (const RaisedError&) {
    throw;
  } catch (const Error& e) {
    throw LocatedError(cat(s.line, ":", s.col, ": ", e.what()));
  }
}

Interpreter::Flow Interpreter::exec_inner(const Stmt& s, Scope* scope) {
  switch (s.kind) {
    case StmtKind::Text:
      emit(s.text);
      return Flow::Normal;
    case StmtKind::Output:
      emit_value(eval(*s.expr, scope));
      return Flow::Normal;
    case StmtKind::If:
      return exec_body(truthy(eval(*s.expr, scope)) ? s.body : s.else_body, scope);
    case StmtKind::For:
      exec_for(s, scope, eval(*s.expr, scope), 0);
      return Flow::Normal;
    case StmtKind::Set:
      assign(*s.target, eval(*s.expr, scope), scope);
      return Flow::Normal;
    case StmtKind::SetBlock: {
      std::string buf;
      {
        ScopeHolder inner(scopes_, scope);
        Capture c(*this, &buf);
        exec_body(s.body, inner.get());
      }
      Value v = make_string(std::move(buf));
      if (s.expr) v = eval_filter_chain(*s.expr, scope, &v);
      assign(*s.target, v, scope);
      return Flow::Normal;
    }
    case StmtKind::Macro: {
      capture(scope);
      scope->set(s.name, Value::object(std::make_shared<MacroObj>(&s, scope, false)));
      return Flow::Normal;
    }
    case StmtKind::CallBlock: {
      capture(scope);
      Value caller = Value::object(std::make_shared<MacroObj>(&s, scope, true));
      const Expr& call_expr = *s.expr;
      Value callee = eval(*call_expr.a, scope);
      CallArgs args = eval_args(call_expr.args, scope);
      args.kw.emplace_back("caller", caller);
      emit_value(call(callee, args));
      return Flow::Normal;
    }
    case StmtKind::FilterBlock: {
      std::string buf;
      {
        ScopeHolder inner(scopes_, scope);
        Capture c(*this, &buf);
        exec_body(s.body, inner.get());
      }
      Value v = make_string(std::move(buf));
      emit_value(eval_filter_chain(*s.expr, scope, &v));
      return Flow::Normal;
    }
    case StmtKind::With: {
      std::vector<Value> values;
      for (const auto& v : s.values) values.push_back(eval(*v, scope));
      ScopeHolder inner(scopes_, scope);
      for (size_t i = 0; i < s.targets.size(); ++i) assign(*s.targets[i], values[i], inner.get());
      return exec_body(s.body, inner.get());
    }
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
    case StmtKind::Scope: {
      ScopeHolder inner(scopes_, scope);
      return exec_body(s.body, inner.get());
    }
  }
  return Flow::Normal;
}

void Interpreter::exec_for(const Stmt& s, Scope* scope, const Value& iterable, int depth0) {
  Value list = to_list(iterable);
  if (s.cond) {
    // `for x in xs if cond`: the filter runs first, so loop.index and loop.length count only
    // the kept items (and the condition cannot see `loop`).
    std::vector<Value> kept;
    ScopeHolder probe(scopes_, scope);
    for (const auto& item : list.as_list().items) {
      charge(1);
      if (probe.get()->captured) probe.renew(scope);
      probe.get()->vars.clear();
      assign(*s.target, item, probe.get());
      if (truthy(eval(*s.cond, probe.get()))) kept.push_back(item);
    }
    list = Value::list(std::move(kept));
  }
  const auto& items = list.as_list().items;
  if (items.empty()) {
    ScopeHolder inner(scopes_, scope);
    exec_body(s.else_body, inner.get());
    return;
  }
  if (s.recursive) capture(scope);
  auto loop = std::make_shared<LoopObj>(list, &s, scope, depth0);
  Value loop_value = Value::object(loop);
  ScopeHolder iter(scopes_, scope);
  for (size_t i = 0; i < items.size(); ++i) {
    charge(1);
    // Each iteration starts from the enclosing variables: what the body set last time is
    // gone, as in jinja2.
    if (iter.get()->captured) {
      iter.renew(scope);
    } else {
      iter.get()->vars.clear();
    }
    loop->index0 = i;
    iter.get()->vars.emplace_back("loop", loop_value);
    assign(*s.target, items[i], iter.get());
    if (exec_body(s.body, iter.get()) == Flow::Break) break;
  }
}

Value Interpreter::call_loop(const Stmt& stmt, Scope* scope, const Value& iterable, int depth0) {
  CallDepth depth(*this);
  std::string buf;
  {
    Capture c(*this, &buf);
    exec_for(stmt, scope, iterable, depth0);
  }
  return make_string(std::move(buf));
}

void Interpreter::assign(const Expr& target, const Value& v, Scope* scope) {
  switch (target.kind) {
    case ExprKind::Name:
      scope->set(target.name, v);
      return;
    case ExprKind::NSRef: {
      const Value* ns = scope->lookup(target.name);
      Namespace* n = ns ? ns->object_as<Namespace>() : nullptr;
      if (!n) fail("cannot assign attribute on non-namespace object");
      n->set(target.constant.as_string(), v);
      return;
    }
    case ExprKind::Tuple: {
      Value list = to_list(v);
      const auto& items = list.as_list().items;
      size_t want = target.items.size();
      if (items.size() < want) {
        fail("not enough values to unpack (expected ", want, ", got ", items.size(), ")");
      }
      if (items.size() > want) fail("too many values to unpack (expected ", want, ")");
      for (size_t i = 0; i < want; ++i) assign(*target.items[i], items[i], scope);
      return;
    }
    default:
      fail("can't assign to this expression");
  }
}

// ---- expressions ----------------------------------------------------------------------------

Value Interpreter::eval(const Expr& e, Scope* scope) {
  try {
    NativeDepth depth(*this);
    charge(1);
    return eval_inner(e, scope);
  } catch (const LocatedError&) {
    throw;
  } catch (const RaisedError&) {
    throw;
  } catch (const Error& err) {
    throw LocatedError(cat(e.line, ":", e.col, ": ", err.what()));
  }
}

Value Interpreter::lookup(const std::string& name, Scope* scope) {
  if (const Value* v = scope->lookup(name)) return *v;
  Value g = find_global(name);
  if (!g.is_undefined()) return g;
  std::string msg;
  append_py_string_repr(name, msg);
  return Value::undefined(msg + " is undefined");
}

CallArgs Interpreter::eval_args(const ArgList& a, Scope* scope) {
  CallArgs out;
  for (const auto& arg : a.args) out.pos.push_back(eval(*arg, scope));
  for (const auto& kw : a.kwargs) out.kw.emplace_back(kw.name, eval(*kw.value, scope));
  if (a.dyn_args) {
    Value extra = to_list(eval(*a.dyn_args, scope));
    for (const auto& v : extra.as_list().items) out.pos.push_back(v);
  }
  if (a.dyn_kwargs) {
    Value extra = eval(*a.dyn_kwargs, scope);
    if (!extra.is_dict()) fail("argument after ** must be a mapping, not ", type_name(extra));
    for (const auto& [k, v] : extra.as_dict().items) {
      if (!k.is_string()) fail("keywords must be strings");
      out.kw.emplace_back(k.as_string(), v);
    }
  }
  return out;
}

Value Interpreter::eval_inner(const Expr& e, Scope* scope) {
  switch (e.kind) {
    case ExprKind::Const:
      return e.constant;
    case ExprKind::Name:
      return lookup(e.name, scope);
    case ExprKind::NSRef:
      fail("namespace reference outside an assignment");
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.items.size());
      for (const auto& i : e.items) items.push_back(eval(*i, scope));
      return Value::list(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      std::vector<std::pair<Value, Value>> items;
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        Value k = eval(*e.items[i], scope);
        Value v = eval(*e.items[i + 1], scope);
        if (!hashable(k)) fail("unhashable type: '", type_name(k), "'");
        bool replaced = false;
        for (auto& [ek, ev] : items) {
          if (equals(ek, k)) {
            ev = std::move(v);
            replaced = true;
            break;
          }
        }
        if (!replaced) items.emplace_back(std::move(k), std::move(v));
      }
      return Value::dict(std::move(items));
    }
    case ExprKind::Getattr:
      return getattr(eval(*e.a, scope), e.name);
    case ExprKind::Getitem: {
      Value obj = eval(*e.a, scope);
      if (e.b->kind == ExprKind::Slice) return slice(obj, *e.b, scope);
      return getitem(obj, eval(*e.b, scope));
    }
    case ExprKind::Slice:
      fail("slice outside a subscript");
    case ExprKind::Call: {
      Value callee = eval(*e.a, scope);
      CallArgs args = eval_args(e.args, scope);
      return call(callee, args);
    }
    case ExprKind::Filter:
      return eval_filter_chain(e, scope, nullptr);
    case ExprKind::Test: {
      Value subject = eval(*e.a, scope);
      CallArgs args = eval_args(e.args, scope);
      return Value::boolean(e.test(*this, subject, args));
    }
    case ExprKind::Not:
      return Value::boolean(!truthy(eval(*e.a, scope)));
    case ExprKind::Neg:
    case ExprKind::Pos:
      return eval_unary(e.kind == ExprKind::Neg, eval(*e.a, scope));
    case ExprKind::Binary: {
      Value a = eval(*e.a, scope);
      Value b = eval(*e.b, scope);
      return eval_binary(e.binop, a, b);
    }
    case ExprKind::And: {
      Value a = eval(*e.a, scope);
      return truthy(a) ? eval(*e.b, scope) : a;
    }
    case ExprKind::Or: {
      Value a = eval(*e.a, scope);
      return truthy(a) ? a : eval(*e.b, scope);
    }
    case ExprKind::Concat: {
      std::string s;
      for (const auto& i : e.items) {
        append_str(eval(*i, scope), s, static_cast<size_t>(limits_.max_output_bytes));
        check_size(s.size());
      }
      return make_string(std::move(s));
    }
    case ExprKind::Compare: {
      Value left = eval(*e.a, scope);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.items[i], scope);
        if (!eval_compare(e.ops[i], left, right)) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case ExprKind::CondExpr:
      if (truthy(eval(*e.a, scope))) return eval(*e.b, scope);
      if (e.c) return eval(*e.c, scope);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined.");
  }
  fail("unknown expression");
}

Value Interpreter::eval_filter_chain(const Expr& e, Scope* scope, const Value* hole) {
  Value subject;
  if (!e.a) {
    subject = *hole;
  } else if (hole && e.a->kind == ExprKind::Filter) {
    subject = eval_filter_chain(*e.a, scope, hole);
  } else {
    subject = eval(*e.a, scope);
  }
  CallArgs args = eval_args(e.args, scope);
  return e.filter(*this, subject, args);
}

Value Interpreter::call_macro(MacroObj& m, CallArgs& args) {
  CallDepth depth(*this);
  const Stmt& d = *m.def();
  const std::string name = m.is_caller() ? "caller" : d.name;
  ScopeHolder holder(scopes_, m.closure());
  Scope* s = holder.get();
  size_t np = d.params.size();
  std::vector<bool> bound(np, false);
  std::vector<Value> extra;
  for (size_t i = 0; i < args.pos.size(); ++i) {
    if (i < np) {
      s->set(d.params[i], args.pos[i]);
      bound[i] = true;
    } else {
      extra.push_back(args.pos[i]);
    }
  }
  if (!extra.empty() && !d.uses_varargs) {
    fail("macro '", name, "' takes not more than ", np, " argument(s)");
  }
  std::vector<std::pair<Value, Value>> extra_kw;
  Value caller;
  bool has_caller = false;
  for (auto& [k, v] : args.kw) {
    size_t j = 0;
    while (j < np && d.params[j] != k) ++j;
    if (j < np) {
      if (bound[j]) fail("macro '", name, "' got multiple values for argument '", k, "'");
      s->set(k, v);
      bound[j] = true;
    } else if (k == "caller" && !m.is_caller()) {
      caller = v;
      has_caller = true;
    } else if (d.uses_kwargs) {
      extra_kw.emplace_back(Value::string(k), v);
    } else {
      fail("macro '", name, "' takes no keyword argument '", k, "'");
    }
  }
  size_t first_default = np - d.defaults.size();
  for (size_t j = 0; j < np; ++j) {
    if (bound[j]) continue;
    if (j >= first_default) {
      s->set(d.params[j], eval(*d.defaults[j - first_default], s));
    } else {
      s->set(d.params[j], Value::undefined("parameter '" + d.params[j] + "' was not provided"));
    }
  }
  if (d.uses_varargs) s->set("varargs", Value::list(std::move(extra), true));
  if (d.uses_kwargs) s->set("kwargs", Value::dict(std::move(extra_kw)));
  if (!m.is_caller() && (d.uses_caller || has_caller)) {
    s->set("caller", has_caller ? caller : Value::undefined("No caller defined"));
  }
  std::string buf;
  {
    Capture c(*this, &buf);
    exec_body(d.body, s);
  }
  return make_string(std::move(buf));
}

}  // namespace sunbae::tmpl::detail
