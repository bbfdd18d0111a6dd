#pragma once
// A JSON Schema subset compiled to a graph of value nodes that the byte-level pushdown matcher
// (grammar/json_matcher.h) walks. Supported: type object (properties, required,
// additionalProperties false or absent -- only the listed properties are generated), array (items,
// minItems, maxItems), string (minLength, maxLength), integer (minimum, maximum, exclusive*),
// number, boolean, null, enum, const, anyOf / type lists whose options start with different bytes,
// and {} / {"type": "object"} alone as "any JSON value / object". Anything else is refused with a
// SchemaError naming the keyword and the path, never ignored: an ignored keyword would let the
// output break the schema the client relies on.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::grammar {

class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Kind : uint8_t { Object, Array, String, Integer, Number, Literals, AnyOf };

struct Node {
  Kind kind = Kind::Literals;
  // Object: keys[i] is the property name as compact JSON text, quotes included; values[i] its node.
  // free: any string key, each value `any_value` (json_object and {"type": "object"}).
  std::vector<std::string> keys;
  std::vector<uint32_t> values;
  uint64_t required = 0;
  bool free = false;
  uint32_t key_node = 0;  // Literals node over `keys` (or an unbounded String when free)
  // Array
  uint32_t items = 0;
  int64_t min_items = 0, max_items = -1;  // -1: unbounded
  // String: lengths in code points (an escape is one); -1: unbounded
  int64_t min_len = 0, max_len = -1;
  // Integer: inclusive bounds, within +-(10^18 - 1)
  int64_t minimum = 0, maximum = 0;
  // Literals: compact JSON texts (enum, const, true/false/null), at most 64
  std::vector<std::string> literals;
  // AnyOf: options whose first bytes are disjoint, so the first byte picks one
  std::vector<uint32_t> options;
  bool container_options = false;  // some option is an object/array: depth-limited for any-value
};

struct Grammar {
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::string canonical;  // the schema's canonical text (cache key)
};

inline constexpr int64_t kMaxInt = 999'999'999'999'999'999;  // integers have at most 18 digits
inline constexpr int kMaxSchemaDepth = 16;    // nesting of objects/arrays a schema may ask for
inline constexpr int kAnyValueDepth = 20;     // stack depth past which free values hold no containers

// Throws SchemaError for an invalid or unsupported schema.
std::shared_ptr<const Grammar> compile_schema(const nlohmann::json& schema);
// Any JSON object (response_format json_object).
std::shared_ptr<const Grammar> compile_any_object();

// compile_schema through a process-wide cache keyed by the schema's canonical text (sorted keys,
// compact), so a schema sent with every request compiles once. Thread-safe; holds at most 256.
std::shared_ptr<const Grammar> cached_schema(const nlohmann::json& schema);

}  // namespace sunbae::grammar
