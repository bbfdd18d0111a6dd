#include "template/parser.h"

#include <algorithm>
#include <initializer_list>

#include "core/error.h"
#include "template/builtins.h"
#include "template/lexer.h"

namespace sunbae::tmpl::detail {

namespace {

// Nesting of brackets, expressions and blocks a template may use. Parsing and evaluation
// recurse once per level, so this bounds the native stack whatever the template says.
constexpr int kMaxParseDepth = 200;

const char* describe(const Token& t) {
  switch (t.type) {
    case Tok::Data: return "template data";
    case Tok::VarBegin: return "begin of print statement";
    case Tok::VarEnd: return "end of print statement";
    case Tok::BlockBegin: return "begin of statement block";
    case Tok::BlockEnd: return "end of statement block";
    case Tok::Name: return "name";
    case Tok::String: return "string";
    case Tok::Integer: return "integer";
    case Tok::Float: return "float";
    case Tok::Op: return "operator";
    case Tok::Eof: return "end of template";
  }
  return "token";
}

std::string shown(const Token& t) {
  if (t.type == Tok::Name || t.type == Tok::Op || t.type == Tok::Integer || t.type == Tok::Float) {
    return "'" + t.text + "'";
  }
  return describe(t);
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  std::unique_ptr<Program> parse() {
    auto prog = std::make_unique<Program>();
    prog->body = subparse({});
    if (cur().type != Tok::Eof) error(cur(), "unexpected " + shown(cur()));
    return prog;
  }

 private:
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxParseDepth) {
        p.error(p.cur(), "template nested too deeply (more than " +
                             std::to_string(kMaxParseDepth) + " levels)");
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  [[noreturn]] void error(const Token& at, const std::string& msg) {
    fail(at.line, ":", at.col, ": ", msg);
  }

  const Token& cur() const { return toks_[i_]; }
  const Token& look() const { return toks_[std::min(i_ + 1, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool is_name(const char* v) const { return cur().type == Tok::Name && cur().text == v; }
  bool is_op(const char* v) const { return cur().type == Tok::Op && cur().text == v; }
  bool skip_name(const char* v) {
    if (!is_name(v)) return false;
    next();
    return true;
  }
  bool skip_op(const char* v) {
    if (!is_op(v)) return false;
    next();
    return true;
  }
  const Token& expect(Tok type, const char* what) {
    if (cur().type != type) {
      if (cur().type == Tok::Eof) error(cur(), std::string("unexpected end of template, expected ") + what);
      error(cur(), std::string("expected ") + what + ", got " + shown(cur()));
    }
    return next();
  }
  const Token& expect_op(const char* op) {
    if (!is_op(op)) {
      if (cur().type == Tok::Eof) error(cur(), std::string("unexpected end of template, expected '") + op + "'");
      error(cur(), std::string("expected '") + op + "', got " + shown(cur()));
    }
    return next();
  }
  const Token& expect_name(const char* v) {
    if (!is_name(v)) error(cur(), std::string("expected '") + v + "', got " + shown(cur()));
    return next();
  }

  static ExprPtr mk(ExprKind k, const Token& t) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = t.line;
    e->col = t.col;
    return e;
  }
  static StmtPtr mks(StmtKind k, const Token& t) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->line = t.line;
    s->col = t.col;
    return s;
  }

  // ---- statements ---------------------------------------------------------------------------

  Body subparse(std::initializer_list<const char*> end_tokens) {
    DepthGuard guard(*this);
    Body body;
    while (cur().type != Tok::Eof) {
      const Token& t = cur();
      if (t.type == Tok::Data) {
        auto s = mks(StmtKind::Text, t);
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.type == Tok::VarBegin) {
        next();
        auto s = mks(StmtKind::Output, t);
        s->expr = parse_tuple(false, true, {}, false, false);
        expect(Tok::VarEnd, "end of print statement");
        body.push_back(std::move(s));
      } else if (t.type == Tok::BlockBegin) {
        next();
        for (const char* e : end_tokens) {
          if (is_name(e)) return body;
        }
        body.push_back(parse_statement());
        expect(Tok::BlockEnd, "end of statement block");
      } else {
        error(t, "unexpected " + shown(t));
      }
    }
    return body;
  }

  // jinja2's parse_statements: optional colon, end of the opening tag, the body up to one of
  // `end_tokens`. With drop_needle the end tag's name is consumed as well.
  Body parse_statements(std::initializer_list<const char*> end_tokens, bool drop_needle,
                        const Token& opener) {
    skip_op(":");
    expect(Tok::BlockEnd, "end of statement block");
    Body body = subparse(end_tokens);
    if (cur().type == Tok::Eof) {
      std::string want;
      for (const char* e : end_tokens) want += std::string(want.empty() ? "" : " or ") + "'" + e + "'";
      error(opener, "unexpected end of template: '" + opener.text + "' block never closed (expected " +
                        want + ")");
    }
    if (drop_needle) next();
    return body;
  }

  StmtPtr parse_statement() {
    const Token& t = cur();
    if (t.type != Tok::Name) error(t, "tag name expected");
    const std::string& n = t.text;
    if (n == "for") return parse_for();
    if (n == "if") return parse_if();
    if (n == "set") return parse_set();
    if (n == "macro") return parse_macro();
    if (n == "call") return parse_call_block();
    if (n == "filter") return parse_filter_block();
    if (n == "with") return parse_with();
    if (n == "print") return parse_print();
    if (n == "generation") return parse_scope("endgeneration");
    if (n == "block") return parse_block();
    if (n == "autoescape") {
      const Token& tag = next();
      parse_expression(true);
      auto s = mks(StmtKind::Scope, tag);
      s->body = parse_statements({"endautoescape"}, true, tag);
      return s;
    }
    if (n == "break" || n == "continue") {
      if (loop_depth_ == 0) error(t, "'" + n + "' outside of a for loop");
      return mks(n == "break" ? StmtKind::Break : StmtKind::Continue, next());
    }
    if (n == "extends" || n == "include" || n == "import" || n == "from") {
      error(t, "'" + n + "' needs a template loader, which chat templates do not have");
    }
    error(t, "Encountered unknown tag '" + n + "'.");
  }

  StmtPtr parse_scope(const char* end) {
    const Token& tag = next();
    auto s = mks(StmtKind::Scope, tag);
    s->body = parse_statements({end}, true, tag);
    return s;
  }

  StmtPtr parse_block() {
    const Token& tag = next();
    const Token& name = expect(Tok::Name, "block name");
    std::string block_name = name.text;
    skip_name("scoped");
    skip_name("required");
    auto s = mks(StmtKind::Scope, tag);
    s->body = parse_statements({"endblock"}, true, tag);
    skip_name(block_name.c_str());
    return s;
  }

  StmtPtr parse_for() {
    const Token& tag = expect_name("for");
    auto s = mks(StmtKind::For, tag);
    s->target = parse_assign_target(true, false, {"in"}, false);
    expect_name("in");
    s->expr = parse_tuple(false, false, {"recursive"}, false, false);
    if (skip_name("if")) s->cond = parse_expression(true);
    s->recursive = skip_name("recursive");
    ++loop_depth_;
    s->body = parse_statements({"endfor", "else"}, false, tag);
    --loop_depth_;
    if (next().text == "else") s->else_body = parse_statements({"endfor"}, true, tag);
    return s;
  }

  StmtPtr parse_if() {
    const Token& tag = expect_name("if");
    auto result = mks(StmtKind::If, tag);
    Stmt* node = result.get();
    while (true) {
      node->expr = parse_tuple(false, false, {}, false, false);
      node->body = parse_statements({"elif", "else", "endif"}, false, tag);
      const Token& t = next();
      if (t.text == "elif") {
        auto elif = mks(StmtKind::If, cur());
        Stmt* raw = elif.get();
        node->else_body.push_back(std::move(elif));
        node = raw;
        continue;
      }
      if (t.text == "else") node->else_body = parse_statements({"endif"}, true, tag);
      break;
    }
    return result;
  }

  StmtPtr parse_set() {
    const Token& tag = next();
    ExprPtr target = parse_assign_target(true, false, {}, true);
    if (skip_op("=")) {
      auto s = mks(StmtKind::Set, tag);
      s->target = std::move(target);
      s->expr = parse_tuple(false, true, {}, false, false);
      return s;
    }
    auto s = mks(StmtKind::SetBlock, tag);
    s->target = std::move(target);
    if (is_op("|")) s->expr = parse_filter(nullptr, false);
    s->body = parse_statements({"endset"}, true, tag);
    return s;
  }

  StmtPtr parse_with() {
    const Token& tag = next();
    auto s = mks(StmtKind::With, tag);
    while (cur().type != Tok::BlockEnd) {
      if (!s->targets.empty()) expect_op(",");
      s->targets.push_back(parse_assign_target(true, false, {}, false));
      expect_op("=");
      s->values.push_back(parse_expression(true));
    }
    s->body = parse_statements({"endwith"}, true, tag);
    return s;
  }

  StmtPtr parse_print() {
    const Token& tag = next();
    // {% print a, b %} prints each expression, like consecutive {{ }} tags.
    auto s = mks(StmtKind::Scope, tag);
    while (cur().type != Tok::BlockEnd) {
      if (!s->body.empty()) expect_op(",");
      auto out = mks(StmtKind::Output, cur());
      out->expr = parse_expression(true);
      s->body.push_back(std::move(out));
    }
    return s;
  }

  void parse_signature(Stmt& s) {
    expect_op("(");
    while (!is_op(")")) {
      if (!s.params.empty()) expect_op(",");
      const Token& name = expect(Tok::Name, "parameter name");
      s.params.push_back(name.text);
      if (skip_op("=")) {
        s.defaults.push_back(parse_expression(true));
      } else if (!s.defaults.empty()) {
        error(name, "non-default argument follows default argument");
      }
    }
    expect_op(")");
  }

  // Macros get `varargs`, `kwargs` and `caller` only when their body mentions them, which
  // decides whether extra arguments are accepted (jinja2 inspects the body the same way).
  static void scan_names(const Expr* e, Stmt& m) {
    if (!e) return;
    if (e->kind == ExprKind::Name) {
      if (e->name == "varargs") m.uses_varargs = true;
      if (e->name == "kwargs") m.uses_kwargs = true;
      if (e->name == "caller") m.uses_caller = true;
    }
    for (const auto& i : e->items) scan_names(i.get(), m);
    scan_names(e->a.get(), m);
    scan_names(e->b.get(), m);
    scan_names(e->c.get(), m);
    for (const auto& i : e->args.args) scan_names(i.get(), m);
    for (const auto& k : e->args.kwargs) scan_names(k.value.get(), m);
    scan_names(e->args.dyn_args.get(), m);
    scan_names(e->args.dyn_kwargs.get(), m);
  }
  static void scan_body(const Body& body, Stmt& m) {
    for (const auto& s : body) {
      scan_names(s->expr.get(), m);
      scan_names(s->cond.get(), m);
      for (const auto& d : s->defaults) scan_names(d.get(), m);
      for (const auto& v : s->values) scan_names(v.get(), m);
      scan_body(s->body, m);
      scan_body(s->else_body, m);
    }
  }

  StmtPtr parse_macro() {
    const Token& tag = next();
    auto s = mks(StmtKind::Macro, tag);
    s->name = expect(Tok::Name, "macro name").text;
    parse_signature(*s);
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_statements({"endmacro"}, true, tag);
    loop_depth_ = saved;
    scan_body(s->body, *s);
    return s;
  }

  StmtPtr parse_call_block() {
    const Token& tag = next();
    auto s = mks(StmtKind::CallBlock, tag);
    if (is_op("(")) parse_signature(*s);
    s->expr = parse_expression(true);
    if (s->expr->kind != ExprKind::Call) error(tag, "expected call");
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_statements({"endcall"}, true, tag);
    loop_depth_ = saved;
    scan_body(s->body, *s);
    return s;
  }

  StmtPtr parse_filter_block() {
    const Token& tag = next();
    auto s = mks(StmtKind::FilterBlock, tag);
    s->expr = parse_filter(nullptr, true);
    s->body = parse_statements({"endfilter"}, true, tag);
    return s;
  }

  // ---- expressions ------------------------------------------------------------------------

  static bool can_assign(const Expr& e) {
    if (e.kind == ExprKind::Name || e.kind == ExprKind::NSRef) return true;
    if (e.kind == ExprKind::Tuple) {
      return std::all_of(e.items.begin(), e.items.end(), [](const ExprPtr& i) { return can_assign(*i); });
    }
    return false;
  }

  ExprPtr parse_assign_target(bool with_tuple, bool name_only,
                              std::initializer_list<const char*> extra_end, bool with_namespace) {
    const Token& t = cur();
    ExprPtr target;
    if (name_only) {
      target = mk(ExprKind::Name, t);
      target->name = expect(Tok::Name, "name").text;
    } else if (with_tuple) {
      target = parse_tuple(true, true, extra_end, false, with_namespace);
    } else {
      target = parse_primary(with_namespace);
    }
    if (!can_assign(*target)) error(t, "can't assign to this expression");
    return target;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    Token start = cur();
    ExprPtr expr1 = parse_or();
    while (skip_name("if")) {
      auto e = mk(ExprKind::CondExpr, start);
      e->a = parse_or();  // condition
      if (skip_name("else")) e->c = parse_condexpr();
      e->b = std::move(expr1);
      expr1 = std::move(e);
      start = cur();
    }
    return expr1;
  }

  ExprPtr parse_or() {
    Token start = cur();
    ExprPtr left = parse_and();
    while (skip_name("or")) {
      auto e = mk(ExprKind::Or, start);
      e->a = std::move(left);
      e->b = parse_and();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    Token start = cur();
    ExprPtr left = parse_not();
    while (skip_name("and")) {
      auto e = mk(ExprKind::And, start);
      e->a = std::move(left);
      e->b = parse_not();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = mk(ExprKind::Not, next());
      e->a = parse_not();
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    Token start = cur();
    ExprPtr expr = parse_math1();
    std::vector<CmpOp> ops;
    std::vector<ExprPtr> operands;
    while (true) {
      CmpOp op;
      if (is_op("==")) {
        op = CmpOp::Eq;
      } else if (is_op("!=")) {
        op = CmpOp::Ne;
      } else if (is_op("<")) {
        op = CmpOp::Lt;
      } else if (is_op("<=")) {
        op = CmpOp::Le;
      } else if (is_op(">")) {
        op = CmpOp::Gt;
      } else if (is_op(">=")) {
        op = CmpOp::Ge;
      } else if (is_name("in")) {
        op = CmpOp::In;
      } else if (is_name("not") && look().type == Tok::Name && look().text == "in") {
        next();
        op = CmpOp::NotIn;
      } else {
        break;
      }
      next();
      ops.push_back(op);
      operands.push_back(parse_math1());
    }
    if (ops.empty()) return expr;
    auto e = mk(ExprKind::Compare, start);
    e->a = std::move(expr);
    e->ops = std::move(ops);
    e->items = std::move(operands);
    return e;
  }

  ExprPtr binary(BinOp op, const Token& t, ExprPtr l, ExprPtr r) {
    auto e = mk(ExprKind::Binary, t);
    e->binop = op;
    e->a = std::move(l);
    e->b = std::move(r);
    return e;
  }

  ExprPtr parse_math1() {
    Token start = cur();
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      BinOp op = next().text == "+" ? BinOp::Add : BinOp::Sub;
      left = binary(op, start, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    Token start = cur();
    std::vector<ExprPtr> args;
    args.push_back(parse_math2());
    while (skip_op("~")) args.push_back(parse_math2());
    if (args.size() == 1) return std::move(args[0]);
    auto e = mk(ExprKind::Concat, start);
    e->items = std::move(args);
    return e;
  }

  ExprPtr parse_math2() {
    Token start = cur();
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const std::string& o = next().text;
      BinOp op = o == "*" ? BinOp::Mul : o == "/" ? BinOp::Div : o == "//" ? BinOp::FloorDiv : BinOp::Mod;
      left = binary(op, start, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    Token start = cur();
    ExprPtr left = parse_unary(true);
    while (skip_op("**")) left = binary(BinOp::Pow, start, std::move(left), parse_unary(true));
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      node = mk(t.text == "-" ? ExprKind::Neg : ExprKind::Pos, t);
      node->a = parse_unary(false);
    } else {
      node = parse_primary(false);
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary(bool with_namespace) {
    const Token& t = cur();
    if (t.type == Tok::Name) {
      next();
      if (t.text == "true" || t.text == "True" || t.text == "false" || t.text == "False") {
        auto e = mk(ExprKind::Const, t);
        e->constant = Value::boolean(t.text == "true" || t.text == "True");
        return e;
      }
      if (t.text == "none" || t.text == "None") {
        auto e = mk(ExprKind::Const, t);
        e->constant = Value::none();
        return e;
      }
      if (with_namespace && is_op(".")) {
        next();
        auto e = mk(ExprKind::NSRef, t);
        e->name = t.text;
        e->constant = Value::string(expect(Tok::Name, "attribute name").text);
        return e;
      }
      auto e = mk(ExprKind::Name, t);
      e->name = t.text;
      return e;
    }
    if (t.type == Tok::String) {
      auto e = mk(ExprKind::Const, t);
      std::string s = next().text;
      while (cur().type == Tok::String) s += next().text;  // adjacent literals concatenate
      e->constant = Value::string(std::move(s));
      return e;
    }
    if (t.type == Tok::Integer || t.type == Tok::Float) {
      auto e = mk(ExprKind::Const, t);
      e->constant = t.type == Tok::Integer ? Value::integer(t.ival) : Value::number(t.fval);
      next();
      return e;
    }
    if (is_op("(")) {
      next();
      ExprPtr e = parse_tuple(false, true, {}, true, false);
      expect_op(")");
      return e;
    }
    if (is_op("[")) return parse_list();
    if (is_op("{")) return parse_dict();
    if (t.type == Tok::Eof) error(t, "unexpected end of template");
    error(t, "unexpected " + shown(t));
  }

  bool is_tuple_end(std::initializer_list<const char*> extra_end) const {
    if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")")) return true;
    for (const char* e : extra_end) {
      if (is_name(e)) return true;
    }
    return false;
  }

  ExprPtr parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<const char*> extra_end,
                      bool explicit_parentheses, bool with_namespace) {
    Token start = cur();
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      args.push_back(simplified ? parse_primary(with_namespace) : parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parentheses) {
        if (cur().type == Tok::Eof) error(cur(), "unexpected end of template");
        error(cur(), "Expected an expression, got " + shown(cur()));
      }
    }
    auto e = mk(ExprKind::Tuple, start);
    e->items = std::move(args);
    return e;
  }

  ExprPtr parse_list() {
    const Token& t = expect_op("[");
    auto e = mk(ExprKind::List, t);
    while (!is_op("]")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("]")) break;
      e->items.push_back(parse_expression(true));
    }
    expect_op("]");
    return e;
  }

  ExprPtr parse_dict() {
    const Token& t = expect_op("{");
    auto e = mk(ExprKind::Dict, t);
    while (!is_op("}")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("}")) break;
      e->items.push_back(parse_expression(true));
      expect_op(":");
      e->items.push_back(parse_expression(true));
    }
    expect_op("}");
    return e;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter(std::move(node), false);
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& t = next();
    if (t.text == ".") {
      const Token& attr = cur();
      next();
      if (attr.type == Tok::Name) {
        auto e = mk(ExprKind::Getattr, t);
        e->a = std::move(node);
        e->name = attr.text;
        return e;
      }
      if (attr.type != Tok::Integer) error(attr, "expected name or number");
      auto e = mk(ExprKind::Getitem, t);
      e->a = std::move(node);
      e->b = mk(ExprKind::Const, attr);
      e->b->constant = Value::integer(attr.ival);
      return e;
    }
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    auto e = mk(ExprKind::Getitem, t);
    e->a = std::move(node);
    if (args.size() == 1) {
      e->b = std::move(args[0]);
    } else {
      e->b = mk(ExprKind::Tuple, t);
      e->b->items = std::move(args);
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    const Token& start = cur();
    std::vector<ExprPtr> parts;
    if (is_op(":")) {
      next();
      parts.push_back(nullptr);
    } else {
      ExprPtr node = parse_expression(true);
      if (!is_op(":")) return node;
      next();
      parts.push_back(std::move(node));
    }
    if (is_op(":")) {
      parts.push_back(nullptr);
    } else if (!is_op("]") && !is_op(",")) {
      parts.push_back(parse_expression(true));
    } else {
      parts.push_back(nullptr);
    }
    if (is_op(":")) {
      next();
      if (!is_op("]") && !is_op(",")) {
        parts.push_back(parse_expression(true));
      } else {
        parts.push_back(nullptr);
      }
    } else {
      parts.push_back(nullptr);
    }
    auto e = mk(ExprKind::Slice, start);
    e->a = std::move(parts[0]);
    e->b = std::move(parts[1]);
    e->c = std::move(parts[2]);
    return e;
  }

  ArgList parse_call_args() {
    const Token& open = expect_op("(");
    ArgList out;
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) error(open, "invalid syntax for function call expression");
    };
    while (!is_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*")) {
        ensure(!out.dyn_args && !out.dyn_kwargs);
        next();
        out.dyn_args = parse_expression(true);
      } else if (is_op("**")) {
        ensure(!out.dyn_kwargs);
        next();
        out.dyn_kwargs = parse_expression(true);
      } else if (cur().type == Tok::Name && look().type == Tok::Op && look().text == "=") {
        ensure(!out.dyn_kwargs);
        std::string key = next().text;
        next();
        out.kwargs.push_back(Keyword{key, parse_expression(true)});
      } else {
        ensure(!out.dyn_args && !out.dyn_kwargs && out.kwargs.empty());
        out.args.push_back(parse_expression(true));
      }
      require_comma = true;
    }
    expect_op(")");
    return out;
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = mk(ExprKind::Call, cur());
    e->args = parse_call_args();
    e->a = std::move(node);
    return e;
  }

  ExprPtr parse_filter(ExprPtr node, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) next();
      const Token& tok = expect(Tok::Name, "filter name");
      Token name_tok = tok;
      std::string name = tok.text;
      while (is_op(".")) {
        next();
        name += "." + expect(Tok::Name, "name").text;
      }
      auto e = mk(ExprKind::Filter, name_tok);
      e->name = name;
      e->filter = find_filter(name);
      if (!e->filter) error(name_tok, "No filter named '" + name + "'.");
      if (is_op("(")) e->args = parse_call_args();
      e->a = std::move(node);
      node = std::move(e);
      start_inline = false;
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    const Token& is_tok = next();
    bool negated = skip_name("not");
    const Token& name_tok = expect(Tok::Name, "test name");
    Token saved = name_tok;
    std::string name = name_tok.text;
    while (is_op(".")) {
      next();
      name += "." + expect(Tok::Name, "name").text;
    }
    auto e = mk(ExprKind::Test, saved);
    e->name = name;
    e->test = find_test(name);
    if (!e->test) error(saved, "No test named '" + name + "'.");
    if (is_op("(")) {
      e->args = parse_call_args();
    } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Integer ||
                cur().type == Tok::Float || is_op("(") || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) error(cur(), "You cannot chain multiple tests with is");
      ExprPtr arg = parse_primary(false);
      e->args.args.push_back(parse_postfix(std::move(arg)));
    }
    e->a = std::move(node);
    if (!negated) return e;
    auto n = mk(ExprKind::Not, is_tok);
    n->a = std::move(e);
    return n;
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse_template(const std::string& source) {
  return Parser(lex(source)).parse();
}

}  // namespace sunbae::tmpl::detail
