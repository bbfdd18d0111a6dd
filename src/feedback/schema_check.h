#pragma once
// A plain JSON Schema validator for the keywords the feedback schemas use (type, properties,
// required, additionalProperties false, items, min/maxItems, min/maxLength in code points,
// minimum/maximum, enum, const). Written from the specification and independent of the decoding
// automaton, so the server can check what the mask produced instead of trusting it.
#include <string>

#include <nlohmann/json.hpp>

namespace sunbae::feedback {

// Empty when `value` validates; otherwise the first violation, naming its path ("/criteria/accuracy/score: ...").
// Keywords outside the list above make it fail loudly rather than pass silently.
std::string schema_violation(const nlohmann::json& value, const nlohmann::json& schema);

}  // namespace sunbae::feedback
