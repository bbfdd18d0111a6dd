#include "grammar/json_matcher.h"

#include <bit>

namespace sunbae::grammar {

namespace {
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
bool is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
uint64_t all_bits(size_t n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; }

enum StrPhase : uint8_t { kOpen, kChars, kEscape, kHex, kUtf8 };
enum NumPhase : uint8_t { kStart, kMinus, kZero, kInt, kDot, kFrac, kExp, kExpSign, kExpDigits };
enum ObjPhase : uint8_t { kBrace, kFirst, kAfterComma, kInKey, kColon, kValue, kInValue, kAfterValue };
}  // namespace

Frame JsonMatcher::fresh(uint32_t node, uint64_t bits) const {
  Frame f;
  f.node = node;
  const Node& n = g_->nodes[node];
  if (n.kind == Kind::Literals) f.bits = bits ? bits : all_bits(n.literals.size());
  return f;
}

MatchState JsonMatcher::initial() const {
  MatchState s;
  s.depth = 1;
  s.f[0] = fresh(g_->root, 0);
  return s;
}

bool JsonMatcher::int_feasible(const Node& n, bool neg, int64_t mag, int digits) const {
  int64_t scale = 1;
  for (int k = 0; digits + k <= 18; ++k, scale *= 10) {
    const int64_t lo = mag * scale, hi = lo + scale - 1;
    const bool hit = neg ? (-lo >= n.minimum && -hi <= n.maximum) : (hi >= n.minimum && lo <= n.maximum);
    if (hit) return true;
    if (digits + k == 18) break;
  }
  return false;
}

bool JsonMatcher::complete(const Frame& f) const {
  const Node& n = g_->nodes[f.node];
  switch (n.kind) {
    case Kind::Integer: {
      if (f.phase == kZero) return true;
      if (f.phase != kInt) return false;
      const int64_t v = f.aux ? -f.value : f.value;
      return v >= n.minimum && v <= n.maximum;
    }
    case Kind::Number: return f.phase == kZero || f.phase == kInt || f.phase == kFrac || f.phase == kExpDigits;
    case Kind::Literals:
      if (f.value == 0) return false;
      for (uint64_t b = f.bits; b; b &= b - 1)
        if (int64_t(n.literals[size_t(std::countr_zero(b))].size()) == f.value) return true;
      return false;
    default: return false;
  }
}

void JsonMatcher::child_done(Frame& p, const Frame& child) const {
  const Node& n = g_->nodes[p.node];
  if (n.kind == Kind::Array) {
    if (p.count < INT32_MAX) ++p.count;
    p.phase = 4;
    return;
  }
  // Object
  if (p.phase == kInKey) {
    if (!n.free) {
      const Node& keys = g_->nodes[child.node];
      for (uint64_t b = child.bits; b; b &= b - 1) {
        const int i = std::countr_zero(b);
        if (int64_t(keys.literals[size_t(i)].size()) == child.value) {
          p.bits |= uint64_t(1) << i;
          p.extra = i;
        }
      }
    }
    p.phase = kColon;
  } else {
    p.phase = kAfterValue;
  }
}

JsonMatcher::R JsonMatcher::feed(MatchState& s, Frame& f, uint8_t c, uint32_t& child, uint64_t& child_bits) const {
  const Node& n = g_->nodes[f.node];
  switch (n.kind) {
    case Kind::AnyOf: {
      const bool shallow = s.depth <= kAnyValueDepth;
      for (uint32_t o : n.options) {
        const Node& on = g_->nodes[o];
        if (n.container_options && !shallow && (on.kind == Kind::Object || on.kind == Kind::Array)) continue;
        Frame trial = fresh(o, 0);
        uint32_t ch = 0;
        uint64_t cb = 0;
        const R r = feed(s, trial, c, ch, cb);
        if (r == R::Reject || r == R::Pass) continue;
        f = trial;  // options start with different bytes: the first that takes c is the only one
        child = ch;
        child_bits = cb;
        return r;
      }
      return R::Reject;
    }
    case Kind::Literals: {
      uint64_t next = 0;
      bool more = false;
      for (uint64_t b = f.bits; b; b &= b - 1) {
        const auto& l = n.literals[size_t(std::countr_zero(b))];
        if (int64_t(l.size()) > f.value && uint8_t(l[size_t(f.value)]) == c) {
          next |= b & -b;
          more = more || int64_t(l.size()) > f.value + 1;
        }
      }
      if (!next) return complete(f) ? R::Pass : R::Reject;
      f.bits = next;
      ++f.value;
      return more ? R::Ok : R::Done;
    }
    case Kind::String: {
      const bool counted = n.min_len > 0 || n.max_len >= 0;
      const bool room = n.max_len < 0 || f.count < n.max_len;
      switch (f.phase) {
        case kOpen:
          if (c != '"') return R::Reject;
          f.phase = kChars;
          return R::Ok;
        case kChars:
          if (c == '"') return f.count >= n.min_len ? R::Done : R::Reject;
          if (c < 0x20 || !room) return R::Reject;
          if (c == '\\') f.phase = kEscape;
          else if (c >= 0x80) {
            if (c >= 0xC2 && c <= 0xDF) f.aux = 1, f.lo = 0x80, f.hi = 0xBF;
            else if (c == 0xE0) f.aux = 2, f.lo = 0xA0, f.hi = 0xBF;
            else if (c == 0xED) f.aux = 2, f.lo = 0x80, f.hi = 0x9F;  // no UTF-16 surrogates
            else if (c >= 0xE1 && c <= 0xEF) f.aux = 2, f.lo = 0x80, f.hi = 0xBF;
            else if (c == 0xF0) f.aux = 3, f.lo = 0x90, f.hi = 0xBF;
            else if (c >= 0xF1 && c <= 0xF3) f.aux = 3, f.lo = 0x80, f.hi = 0xBF;
            else if (c == 0xF4) f.aux = 3, f.lo = 0x80, f.hi = 0x8F;
            else return R::Reject;
            f.phase = kUtf8;
          }
          if (counted) ++f.count;
          return R::Ok;
        case kEscape:
          if (c == 'u') {
            f.phase = kHex;
            f.aux = 0;
            f.lo = 0;
            return R::Ok;
          }
          if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            f.phase = kChars;
            return R::Ok;
          }
          return R::Reject;
        case kHex:
          // \uD800-\uDFFF is refused: a lone surrogate breaks many parsers, and a pair would count
          // as two code points against maxLength.
          if (!is_hex(c)) return R::Reject;
          if (f.aux == 0 && (c == 'd' || c == 'D')) f.lo = 1;
          if (f.aux == 1 && f.lo == 1 && !(c >= '0' && c <= '7')) return R::Reject;
          if (++f.aux == 4) f.phase = kChars, f.lo = 0;
          return R::Ok;
        case kUtf8:
          if (c < f.lo || c > f.hi) return R::Reject;
          f.lo = 0x80, f.hi = 0xBF;
          if (--f.aux == 0) f.phase = kChars, f.lo = 0, f.hi = 0;
          return R::Ok;
      }
      return R::Reject;
    }
    case Kind::Integer: {
      const bool digit = is_digit(c);
      const int d = c - '0';
      switch (f.phase) {
        case kStart:
          if (c == '-' && n.minimum < 0) return f.phase = kMinus, f.aux = 1, R::Ok;
          if (c == '0' && n.minimum <= 0 && n.maximum >= 0) return f.phase = kZero, f.count = 1, R::Ok;
          if (digit && d > 0 && int_feasible(n, false, d, 1)) return f.phase = kInt, f.value = d, f.count = 1, R::Ok;
          return R::Reject;
        case kMinus:
          if (digit && d > 0 && int_feasible(n, true, d, 1)) return f.phase = kInt, f.value = d, f.count = 1, R::Ok;
          return R::Reject;
        case kZero: return R::Pass;
        case kInt:
          if (digit && f.count < 18 && int_feasible(n, f.aux, f.value * 10 + d, f.count + 1)) {
            f.value = f.value * 10 + d;
            ++f.count;
            return R::Ok;
          }
          return complete(f) ? R::Pass : R::Reject;
      }
      return R::Reject;
    }
    case Kind::Number: {
      const bool digit = is_digit(c);
      const bool e = c == 'e' || c == 'E';
      switch (f.phase) {
        case kStart:
          if (c == '-') return f.phase = kMinus, R::Ok;
          [[fallthrough]];
        case kMinus:
          if (c == '0') return f.phase = kZero, R::Ok;
          if (digit) return f.phase = kInt, f.extra = 1, R::Ok;
          return R::Reject;
        case kZero:
        case kInt:
          if (digit && f.phase == kInt && f.extra < 16) return ++f.extra, R::Ok;
          if (c == '.') return f.phase = kDot, R::Ok;
          if (e) return f.phase = kExp, R::Ok;
          return R::Pass;
        case kDot:
          if (digit) return f.phase = kFrac, f.extra = 1, R::Ok;
          return R::Reject;
        case kFrac:
          if (digit && f.extra < 16) return ++f.extra, R::Ok;
          if (e) return f.phase = kExp, R::Ok;
          return R::Pass;
        case kExp:
          if (c == '+' || c == '-') return f.phase = kExpSign, R::Ok;
          [[fallthrough]];
        case kExpSign:
          if (digit) return f.phase = kExpDigits, f.extra = 1, R::Ok;
          return R::Reject;
        case kExpDigits:
          if (digit && f.extra < 3) return ++f.extra, R::Ok;
          return R::Pass;
      }
      return R::Reject;
    }
    case Kind::Array:
      switch (f.phase) {
        case 0:
          if (c != '[') return R::Reject;
          f.phase = 1;
          return R::Ok;
        case 1:
          if (c == ']') return n.min_items == 0 ? R::Done : R::Reject;
          if (n.max_items == 0) return R::Reject;
          f.phase = 3;
          child = n.items;
          return R::Push;
        case 2:
          f.phase = 3;
          child = n.items;
          return R::Push;
        case 4:
          if (c == ',' && (n.max_items < 0 || f.count < n.max_items)) return f.phase = 2, R::Ok;
          if (c == ']' && f.count >= n.min_items) return R::Done;
          return R::Reject;
      }
      return R::Reject;
    case Kind::Object: {
      const uint64_t unused = n.free ? ~uint64_t(0) : all_bits(n.keys.size()) & ~f.bits;
      const bool can_close = (n.required & ~f.bits) == 0;
      switch (f.phase) {
        case kBrace:
          if (c != '{') return R::Reject;
          f.phase = kFirst;
          return R::Ok;
        case kFirst:
          if (c == '}') return can_close ? R::Done : R::Reject;
          [[fallthrough]];
        case kAfterComma:
          if (c != '"' || !unused) return R::Reject;
          f.phase = kInKey;
          child = n.key_node;
          child_bits = n.free ? 0 : unused;
          return R::Push;
        case kColon:
          if (c != ':') return R::Reject;
          f.phase = kValue;
          return R::Ok;
        case kValue:
          f.phase = kInValue;
          child = n.values[n.free ? 0 : size_t(f.extra)];
          return R::Push;
        case kAfterValue:
          if (c == ',' && unused) return f.phase = kAfterComma, R::Ok;
          if (c == '}' && can_close) return R::Done;
          return R::Reject;
      }
      return R::Reject;
    }
  }
  return R::Reject;
}

bool JsonMatcher::step(MatchState& s, uint8_t c) const {
  for (;;) {
    if (s.depth == 0) return false;
    Frame& f = s.f[size_t(s.depth - 1)];
    uint32_t child = 0;
    uint64_t child_bits = 0;
    switch (feed(s, f, c, child, child_bits)) {
      case R::Reject: return false;
      case R::Ok: return true;
      case R::Done: {
        const Frame done = f;
        if (--s.depth > 0) child_done(s.f[size_t(s.depth - 1)], done);
        return true;
      }
      case R::Pass: {
        const Frame done = f;
        if (--s.depth == 0) return false;
        child_done(s.f[size_t(s.depth - 1)], done);
        continue;
      }
      case R::Push:
        if (s.depth == kMaxFrames) return false;
        s.f[size_t(s.depth++)] = fresh(child, child_bits);
        continue;
    }
  }
}

bool JsonMatcher::can_end(const MatchState& s0) const {
  MatchState s;
  s.copy_from(s0);
  while (s.depth > 0) {
    const Frame top = s.f[size_t(s.depth - 1)];
    if (!complete(top)) return false;
    if (--s.depth > 0) child_done(s.f[size_t(s.depth - 1)], top);
  }
  return true;
}

bool JsonMatcher::in_string_chars(const MatchState& s, int64_t& room) const {
  if (s.depth == 0) return false;
  const Frame& f = s.f[size_t(s.depth - 1)];
  const Node& n = g_->nodes[f.node];
  if (n.kind != Kind::String || f.phase != kChars) return false;
  room = n.max_len < 0 ? INT64_MAX : n.max_len - f.count;
  return true;
}

bool JsonMatcher::accepts(std::string_view text) const {
  MatchState s = initial();
  return step(s, text) && can_end(s);
}

}  // namespace sunbae::grammar
