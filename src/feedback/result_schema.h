#pragma once
// The versioned feedback result: the FEEDBACK OBJECT the model writes under the JSON-schema mask
// (one variant per level: "depth" exists, and is required, only for senior), and the JSON Schema
// of the whole /v1/feedback response served at GET /v1/feedback/schema.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::feedback {

inline constexpr const char* kSchemaVersion = "1.0";

enum class Level { Junior, Senior };
const char* level_name(Level l);

struct Criterion {
  const char* key;       // JSON key
  const char* label_ko;  // display labels
  const char* label_en;
  bool senior_only;
};
// In rubric order: accuracy, completeness, structure, communication, depth (senior only).
const std::vector<Criterion>& criteria();
std::vector<Criterion> criteria_for(Level l);

// Length limits of the generated strings, in code points.
inline constexpr int kReasonMax = 200;
inline constexpr int kItemMax = 200;
inline constexpr int kSummaryMax = 300;
inline constexpr int kModelAnswerMax = 1200;
inline constexpr int kFollowUpMax = 300;

// The schema compiled into the decoding mask (grammar subset only).
nlohmann::json feedback_schema(Level l);
// Draft 2020-12 schema of the whole non-streaming response; "$id" names version 1.0.
nlohmann::json response_schema();

}  // namespace sunbae::feedback
