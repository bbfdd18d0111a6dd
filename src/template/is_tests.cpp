// jinja2's builtin tests (`x is defined`, `x is string`, `n is divisibleby 3` ...), from
// jinja2/tests.py. Note Python's view of types: bool is a number and an integer is not a
// bool for `integer`; Undefined counts as a sequence and as iterable.
#include <string>

#include "core/error.h"
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/objects.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

const Value& other(const char* name, CallArgs& a, std::optional<Params>& holder) {
  holder.emplace(name, a, std::initializer_list<const char*>{"other"}, 1);
  return (*holder)[0];
}

int64_t mod_operand(Interpreter& in, const Value& v, int64_t divisor) {
  if (v.is_undefined()) in.undefined_error(v);
  if (v.is_integral()) {
    if (divisor == 0) fail("integer modulo by zero");
    int64_t m = v.as_int() % divisor;
    if (m != 0 && ((m < 0) != (divisor < 0))) m += divisor;
    return m;
  }
  if (v.is_float()) {
    double m = std::fmod(v.as_float(), static_cast<double>(divisor));
    if (m != 0 && ((m < 0) != (divisor < 0))) m += divisor;
    return m == 0 ? 0 : (m == 1 ? 1 : 2);
  }
  if (v.is_string()) fail("not all arguments converted during string formatting");
  fail("unsupported operand type(s) for %: '", type_name(v), "' and 'int'");
}

bool t_odd(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("odd", a, {});
  return mod_operand(in, v, 2) == 1;
}

bool t_even(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("even", a, {});
  return mod_operand(in, v, 2) == 0;
}

bool t_divisibleby(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("divisibleby", a, {"num"}, 1);
  if (!p[0].is_integral()) fail("divisibleby requires an integer");
  return mod_operand(in, v, p[0].as_int()) == 0;
}

bool t_defined(Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); }
bool t_undefined(Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); }
bool t_none(Interpreter&, const Value& v, CallArgs&) { return v.is_none(); }
bool t_boolean(Interpreter&, const Value& v, CallArgs&) { return v.is_bool(); }
bool t_false(Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }
bool t_true(Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }
bool t_integer(Interpreter&, const Value& v, CallArgs&) { return v.is_int(); }
bool t_float(Interpreter&, const Value& v, CallArgs&) { return v.is_float(); }
bool t_string(Interpreter&, const Value& v, CallArgs&) { return v.is_string(); }
bool t_mapping(Interpreter&, const Value& v, CallArgs&) { return v.is_dict(); }
bool t_number(Interpreter&, const Value& v, CallArgs&) { return v.is_number(); }
bool t_escaped(Interpreter&, const Value&, CallArgs&) { return false; }

bool t_sequence(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}

bool t_iterable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined() || v.object_as<LoopObj>();
}

bool t_callable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_undefined() || (v.is_object() && v.as_object()->callable());
}

bool case_test(const Value& v, bool lower) {
  std::u32string s = utf8_decode(str_of(v));
  bool cased = false;
  for (char32_t c : s) {
    if ((lower ? py_isupper(c) : py_islower(c)) || py_istitle(c)) return false;
    if (lower ? py_islower(c) : py_isupper(c)) cased = true;
  }
  return cased;
}

bool t_lower(Interpreter&, const Value& v, CallArgs&) { return case_test(v, true); }
bool t_upper(Interpreter&, const Value& v, CallArgs&) { return case_test(v, false); }

bool t_sameas(Interpreter&, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  const Value& o = other("sameas", a, h);
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case Value::Kind::None:
    case Value::Kind::Undefined:
      return v.kind() == Value::Kind::None;
    case Value::Kind::Bool:
    case Value::Kind::Int:
      return v.as_int() == o.as_int();
    case Value::Kind::Float:
      return v.as_float() == o.as_float();
    default:
      return v.identity() == o.identity();
  }
}

bool t_in(Interpreter& in, const Value& v, CallArgs& a) {
  Params p("in", a, {"seq"}, 1);
  const Value& seq = p[0];
  if (seq.is_string()) {
    if (!v.is_string()) fail("'in <string>' requires string as left operand, not ", type_name(v));
    return seq.as_string().find(v.as_string()) != std::string::npos;
  }
  if (seq.is_dict()) {
    if (!hashable(v)) fail("unhashable type: '", type_name(v), "'");
    return seq.as_dict().find(v) != nullptr;
  }
  if (seq.is_undefined()) return false;
  Value l = in.to_list(seq);
  for (const auto& x : l.as_list().items) {
    if (equals(x, v)) return true;
  }
  return false;
}

bool t_filter(Interpreter&, const Value& v, CallArgs&) { return v.is_string() && find_filter(v.as_string()); }
bool t_test(Interpreter&, const Value& v, CallArgs&) { return v.is_string() && find_test(v.as_string()); }

bool t_eq(Interpreter&, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return equals(v, other("eq", a, h));
}
bool t_ne(Interpreter&, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return !equals(v, other("ne", a, h));
}

int ordered(Interpreter& in, const Value& v, const Value& o, const char* op) {
  if (v.is_undefined()) in.undefined_error(v);
  if (o.is_undefined()) in.undefined_error(o);
  return compare(v, o, op);
}

bool t_gt(Interpreter& in, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return ordered(in, v, other("gt", a, h), ">") > 0;
}
bool t_ge(Interpreter& in, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return ordered(in, v, other("ge", a, h), ">=") >= 0;
}
bool t_lt(Interpreter& in, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return ordered(in, v, other("lt", a, h), "<") < 0;
}
bool t_le(Interpreter& in, const Value& v, CallArgs& a) {
  std::optional<Params> h;
  return ordered(in, v, other("le", a, h), "<=") <= 0;
}

struct TestEntry {
  const char* name;
  TestFn fn;
};

const TestEntry kTests[] = {
    {"odd", t_odd},           {"even", t_even},       {"divisibleby", t_divisibleby},
    {"defined", t_defined},   {"undefined", t_undefined}, {"filter", t_filter},
    {"test", t_test},         {"none", t_none},       {"boolean", t_boolean},
    {"false", t_false},       {"true", t_true},       {"integer", t_integer},
    {"float", t_float},       {"lower", t_lower},     {"upper", t_upper},
    {"string", t_string},     {"mapping", t_mapping}, {"number", t_number},
    {"sequence", t_sequence}, {"iterable", t_iterable}, {"callable", t_callable},
    {"sameas", t_sameas},     {"escaped", t_escaped}, {"in", t_in},
    {"==", t_eq},             {"eq", t_eq},           {"equalto", t_eq},
    {"!=", t_ne},             {"ne", t_ne},           {">", t_gt},
    {"gt", t_gt},             {"greaterthan", t_gt},  {"ge", t_ge},
    {">=", t_ge},             {"<", t_lt},            {"lt", t_lt},
    {"lessthan", t_lt},       {"<=", t_le},           {"le", t_le},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const auto& t : kTests) {
    if (name == t.name) return t.fn;
  }
  return nullptr;
}

}  // namespace sunbae::tmpl::detail
