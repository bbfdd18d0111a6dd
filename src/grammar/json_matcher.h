#pragma once
// The pushdown automaton over bytes for a compiled schema (grammar/json_schema.h): a stack of
// frames, one per value being written. Every state it accepts can still be completed to a valid
// document (counts, ranges and used keys are checked before a byte is accepted), so a token mask
// built from it can never steer generation into a dead end. Output is compact JSON: no whitespace
// outside strings, so generation cannot loop on spaces and the mask stays small.
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "grammar/json_schema.h"

namespace sunbae::grammar {

// 32 bytes with no padding, so a state's bytes can key the mask cache.
struct Frame {
  uint32_t node = 0;
  uint8_t phase = 0;
  uint8_t aux = 0;     // string: continuation bytes left / hex digits read; integer: negative
  uint8_t lo = 0, hi = 0;  // string: allowed range of the next UTF-8 continuation byte
  int32_t count = 0;   // code points / items / digits
  int32_t extra = 0;   // object: the property being written; number: digits of the current part
  uint64_t bits = 0;   // object: properties written; literals: candidates still matching
  int64_t value = 0;   // integer magnitude so far; literals: bytes matched
};
static_assert(sizeof(Frame) == 32);

inline constexpr int kMaxFrames = 48;

struct MatchState {
  int32_t depth = 0;  // 0: the document is complete
  std::array<Frame, kMaxFrames> f;

  void copy_from(const MatchState& o) {
    depth = o.depth;
    std::memcpy(f.data(), o.f.data(), size_t(depth) * sizeof(Frame));
  }
  std::string_view key() const { return {reinterpret_cast<const char*>(f.data()), size_t(depth) * sizeof(Frame)}; }
};

class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)) {}
  const Grammar& grammar() const { return *g_; }
  const std::shared_ptr<const Grammar>& grammar_ptr() const { return g_; }

  MatchState initial() const;
  // Advances by one byte; false (state unspecified) when the byte cannot continue a valid prefix.
  bool step(MatchState& s, uint8_t c) const;
  bool step(MatchState& s, std::string_view bytes) const {
    for (char c : bytes)
      if (!step(s, uint8_t(c))) return false;
    return true;
  }
  // The text so far is a whole valid document (a number may still grow, but may also end here).
  bool can_end(const MatchState& s) const;
  // Nothing more can be added: the document is closed.
  static bool finished(const MatchState& s) { return s.depth == 0; }
  // Inside a string at a character boundary: sets `room` to the code points it may still take.
  bool in_string_chars(const MatchState& s, int64_t& room) const;
  // Whether `text` is a whole document of the schema (tests, and the bench's sanity check).
  bool accepts(std::string_view text) const;

 private:
  enum class R { Reject, Ok, Done, Pass, Push };
  R feed(MatchState& s, Frame& f, uint8_t c, uint32_t& child, uint64_t& child_bits) const;
  bool complete(const Frame& f) const;
  void child_done(Frame& parent, const Frame& child) const;
  Frame fresh(uint32_t node, uint64_t bits) const;
  bool int_feasible(const Node& n, bool neg, int64_t mag, int digits) const;

  std::shared_ptr<const Grammar> g_;
};

}  // namespace sunbae::grammar
