#pragma once
// Syntax tree of a parsed template: jinja2's node types, reduced to what the interpreter
// evaluates. One struct per family (expressions, statements) with fields used per kind, so the
// interpreter is a pair of switches rather than a visitor hierarchy.
#include <memory>
#include <string>
#include <vector>

#include "template/value.h"

namespace sunbae::tmpl::detail {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

class Interpreter;
struct CallArgs;
using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);
using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

struct Keyword {
  std::string name;
  ExprPtr value;
};

// Arguments as written at a call, filter or test: f(a, b, k=v, *rest, **more).
struct ArgList {
  std::vector<ExprPtr> args;
  std::vector<Keyword> kwargs;
  ExprPtr dyn_args;
  ExprPtr dyn_kwargs;
};

enum class ExprKind {
  Const,     // constant
  Name,      // name
  NSRef,     // name.attr as an assignment target (namespace attribute)
  List,      // items
  Tuple,     // items
  Dict,      // items: key, value, key, value, ...
  Getattr,   // a.name
  Getitem,   // a[b]
  Slice,     // a:b:c inside a subscript, each may be null
  Call,      // a(args)
  Filter,    // a|name(args); a is null for the filter of a {% filter %} / {% set x | f %} block
  Test,      // a is name(args)
  Not,       // not a
  Neg,       // -a
  Pos,       // +a
  Binary,    // a op b
  And,       // a and b
  Or,        // a or b
  Concat,    // items joined with ~
  Compare,   // a op0 items[0] op1 items[1] ...
  CondExpr,  // b if a else c (c may be null)
};

enum class BinOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow };
enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge, In, NotIn };

struct Expr {
  ExprKind kind;
  int line = 0;
  int col = 0;
  Value constant;
  std::string name;
  std::vector<ExprPtr> items;
  ExprPtr a, b, c;
  BinOp binop = BinOp::Add;
  std::vector<CmpOp> ops;
  ArgList args;
  FilterFn filter = nullptr;  // resolved when parsed: an unknown filter is a compile error
  TestFn test = nullptr;
};

enum class StmtKind {
  Text,         // text
  Output,       // {{ expr }}
  If,           // if expr: body else else_body (elif is an If inside else_body)
  For,          // for target in expr [if cond] [recursive]: body else else_body
  Set,          // set target = expr
  SetBlock,     // set target [| filter] ... endset; filter is in expr (may be null)
  Macro,        // macro name(params=defaults): body
  CallBlock,    // call(params) expr: body   (body becomes `caller`)
  FilterBlock,  // filter expr: body
  With,         // with targets = values: body
  Break,
  Continue,
  Scope,        // body rendered in place: {% generation %}, {% block %}, {% autoescape %}
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  int col = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr target;
  ExprPtr cond;
  bool recursive = false;
  Body body;
  Body else_body;
  // Macros and call blocks: parameter names, and default expressions for the last ones.
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
  // With: targets[i] = values[i].
  std::vector<ExprPtr> targets;
  std::vector<ExprPtr> values;
};

struct Program {
  Body body;
};

}  // namespace sunbae::tmpl::detail
