// Python's operators as jinja2 evaluates them: arithmetic (int, float, str and list), chained
// comparisons, `in`, and slicing. Messages are Python's, since templates surface them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "template/interpreter.h"
#include "template/utf8.h"

namespace sunbae::tmpl::detail {

namespace {

// Python ints are unbounded; ours stop at 64 bits and say so instead of wrapping.
[[noreturn]] void overflow() { fail("integer overflow: the result does not fit in 64 bits"); }

int64_t add_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) overflow();
  return r;
}

int64_t sub_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) overflow();
  return r;
}

int64_t mul_i(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) overflow();
  return r;
}

// Python's floor division and modulo (the result takes the sign of the divisor).
int64_t py_floordiv(int64_t a, int64_t b) {
  if (a == std::numeric_limits<int64_t>::min() && b == -1) overflow();
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t py_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

Value Interpreter::eval_unary(bool negate, const Value& v) {
  if (v.is_undefined()) undefined_error(v);
  if (v.is_float()) return Value::number(negate ? -v.as_float() : v.as_float());
  if (v.is_integral()) return Value::integer(negate ? sub_i(0, v.as_int()) : v.as_int());
  fail("bad operand type for unary ", negate ? "-" : "+", ": '", type_name(v), "'");
}

Value Interpreter::eval_binary(BinOp op, const Value& a, const Value& b) {
  if (op == BinOp::Mod && a.is_string()) return make_string(percent_format(*this, a.as_string(), b));
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  static const char* const kSym[] = {"+", "-", "*", "/", "//", "%", "**"};
  auto unsupported = [&]() -> Value {
    fail("unsupported operand type(s) for ", kSym[static_cast<int>(op)], ": '", type_name(a),
         "' and '", type_name(b), "'");
  };
  bool ints = a.is_integral() && b.is_integral();
  bool nums = a.is_number() && b.is_number();
  switch (op) {
    case BinOp::Add:
      if (ints) return Value::integer(add_i(a.as_int(), b.as_int()));
      if (nums) return Value::number(a.as_float() + b.as_float());
      if (a.is_string() && b.is_string()) {
        check_size(a.as_string().size() + b.as_string().size());
        return make_string(a.as_string() + b.as_string());
      }
      if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
        const auto& x = a.as_list().items;
        const auto& y = b.as_list().items;
        charge(static_cast<int64_t>(x.size() + y.size()));
        std::vector<Value> items;
        items.reserve(x.size() + y.size());
        items.insert(items.end(), x.begin(), x.end());
        items.insert(items.end(), y.begin(), y.end());
        return Value::list(std::move(items), a.is_tuple());
      }
      if (a.is_string() || a.is_list()) {
        fail("can only concatenate ", type_name(a), " (not \"", type_name(b), "\") to ", type_name(a));
      }
      return unsupported();
    case BinOp::Sub:
      if (ints) return Value::integer(sub_i(a.as_int(), b.as_int()));
      if (nums) return Value::number(a.as_float() - b.as_float());
      return unsupported();
    case BinOp::Mul: {
      if (ints) return Value::integer(mul_i(a.as_int(), b.as_int()));
      if (nums) return Value::number(a.as_float() * b.as_float());
      const Value* seq = (a.is_string() || a.is_list()) ? &a : ((b.is_string() || b.is_list()) ? &b : nullptr);
      const Value* count = seq == &a ? &b : &a;
      if (!seq) return unsupported();
      if (!count->is_integral()) {
        fail("can't multiply sequence by non-int of type '", type_name(*count), "'");
      }
      int64_t n = std::max<int64_t>(0, count->as_int());
      if (seq->is_string()) {
        const std::string& s = seq->as_string();
        uint64_t total = 0;
        if (__builtin_mul_overflow(static_cast<uint64_t>(s.size()), static_cast<uint64_t>(n), &total) ||
            total > static_cast<uint64_t>(limits_.max_output_bytes)) {
          fail("repeating a string of ", s.size(), " bytes ", n, " times exceeds the output limit of ",
               limits_.max_output_bytes, " bytes (max_output_bytes)");
        }
        std::string out;
        out.reserve(s.size() * n);
        for (int64_t i = 0; i < n; ++i) out += s;
        return make_string(std::move(out));
      }
      const auto& items = seq->as_list().items;
      if (!items.empty() && n > 0) {
        if (static_cast<int64_t>(items.size()) > limits_.max_steps / n) charge(limits_.max_steps + 1);
        charge(static_cast<int64_t>(items.size()) * n);
      }
      std::vector<Value> out;
      for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
      return Value::list(std::move(out), seq->is_tuple());
    }
    case BinOp::Div:
      if (!nums) return unsupported();
      if (b.as_float() == 0.0) fail("division by zero");
      return Value::number(a.as_float() / b.as_float());
    case BinOp::FloorDiv:
      if (ints) {
        if (b.as_int() == 0) fail("integer division or modulo by zero");
        return Value::integer(py_floordiv(a.as_int(), b.as_int()));
      }
      if (nums) {
        double x = a.as_float(), y = b.as_float();
        if (y == 0.0) fail("float floor division by zero");
        // CPython's float_floor_div.
        double mod = std::fmod(x, y);
        double div = (x - mod) / y;
        if (mod != 0.0 && ((y < 0) != (mod < 0))) div -= 1.0;
        double fl;
        if (div != 0.0) {
          fl = std::floor(div);
          if (div - fl > 0.5) fl += 1.0;
        } else {
          fl = std::copysign(0.0, x / y);
        }
        return Value::number(fl);
      }
      return unsupported();
    case BinOp::Mod:
      if (ints) {
        if (b.as_int() == 0) fail("integer modulo by zero");
        return Value::integer(py_mod(a.as_int(), b.as_int()));
      }
      if (nums) {
        double x = a.as_float(), y = b.as_float();
        if (y == 0.0) fail("float modulo by zero");
        double m = std::fmod(x, y);
        if (m != 0.0) {
          if ((y < 0) != (m < 0)) m += y;
        } else {
          m = std::copysign(0.0, y);
        }
        return Value::number(m);
      }
      return unsupported();
    case BinOp::Pow:
      if (ints && b.as_int() >= 0) {
        int64_t base = a.as_int(), e = b.as_int(), acc = 1;
        while (e > 0) {
          if (e & 1) acc = mul_i(acc, base);
          e >>= 1;
          if (e > 0) base = mul_i(base, base);
        }
        return Value::integer(acc);
      }
      if (nums) {
        double x = a.as_float(), y = b.as_float();
        if (x == 0.0 && y < 0) fail("0.0 cannot be raised to a negative power");
        if (x < 0 && y != std::floor(y)) fail("a negative number to a fractional power is complex");
        return Value::number(std::pow(x, y));
      }
      return unsupported();
  }
  return unsupported();
}

bool Interpreter::eval_compare(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::Eq:
      return equals(a, b);
    case CmpOp::Ne:
      return !equals(a, b);
    case CmpOp::In:
      return contains(b, a);
    case CmpOp::NotIn:
      return !contains(b, a);
    default:
      break;
  }
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  switch (op) {
    case CmpOp::Lt: return compare(a, b, "<") < 0;
    case CmpOp::Le: return compare(a, b, "<=") <= 0;
    case CmpOp::Gt: return compare(a, b, ">") > 0;
    case CmpOp::Ge: return compare(a, b, ">=") >= 0;
    default: return false;
  }
}

bool Interpreter::contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::String:
      if (!item.is_string()) {
        fail("'in <string>' requires string as left operand, not ", type_name(item));
      }
      charge_bytes(container.as_string().size());
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
      charge(static_cast<int64_t>(container.as_list().items.size()));
      for (const auto& v : container.as_list().items) {
        if (equals(v, item)) return true;
      }
      return false;
    case Value::Kind::Dict:
      if (!hashable(item)) fail("unhashable type: '", type_name(item), "'");
      charge(static_cast<int64_t>(container.as_dict().items.size()));
      return container.as_dict().find(item) != nullptr;
    case Value::Kind::Undefined:
      return false;
    default:
      fail("argument of type '", type_name(container), "' is not iterable");
  }
}

Value Interpreter::slice(const Value& obj, const Expr& s, Scope* scope) {
  auto bound = [&](const ExprPtr& p, bool* given) -> int64_t {
    *given = false;
    if (!p) return 0;
    Value v = eval(*p, scope);
    if (v.is_none()) return 0;
    if (!v.is_integral()) fail("slice indices must be integers or None or have an __index__ method");
    *given = true;
    return v.as_int();
  };
  bool has_start, has_stop, has_step;
  int64_t start = bound(s.a, &has_start);
  int64_t stop = bound(s.b, &has_stop);
  int64_t step = bound(s.c, &has_step);
  if (!has_step) step = 1;
  if (obj.is_undefined()) undefined_error(obj);
  if (step == 0) fail("slice step cannot be zero");
  if (!obj.is_list() && !obj.is_string()) return Value::undefined(object_type_repr(obj) + " has no element slice");

  std::u32string text;
  int64_t len;
  if (obj.is_string()) {
    charge_bytes(obj.as_string().size());
    text = utf8_decode(obj.as_string());
    len = static_cast<int64_t>(text.size());
  } else {
    len = static_cast<int64_t>(obj.as_list().items.size());
  }
  // PySlice_AdjustIndices.
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? len : len - 1;
  auto adjust = [&](int64_t v, bool given, int64_t dflt) {
    if (!given) return dflt;
    if (v < 0) {
      v += len;
      return v < lower ? lower : v;
    }
    return v > upper ? upper : v;
  };
  start = adjust(start, has_start, step < 0 ? upper : lower);
  stop = adjust(stop, has_stop, step < 0 ? lower : upper);
  std::vector<int64_t> idx;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) idx.push_back(i);
  } else {
    for (int64_t i = start; i > stop; i += step) idx.push_back(i);
  }
  charge(static_cast<int64_t>(idx.size()));
  if (obj.is_string()) {
    std::u32string out;
    out.reserve(idx.size());
    for (int64_t i : idx) out.push_back(text[i]);
    return make_string(utf8_encode(out));
  }
  std::vector<Value> out;
  out.reserve(idx.size());
  for (int64_t i : idx) out.push_back(obj.as_list().items[i]);
  return Value::list(std::move(out), obj.is_tuple());
}

}  // namespace sunbae::tmpl::detail
