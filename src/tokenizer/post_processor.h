#pragma once
// tokenizers' post-processors, as far as ids go: TemplateProcessing adds its special tokens
// around a single sequence; ByteLevel only trims offsets (no ids change); Sequence chains.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sunbae::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Applied only when special tokens are requested.
  virtual void process(std::vector<int32_t>& ids) const = 0;
  // nullptr for a JSON null. `valid_id` rejects ids the tokenizer cannot decode.
  static std::unique_ptr<PostProcessor> from_json(const nlohmann::json& j, std::string_view what,
                                                  const std::function<bool(int64_t)>& valid_id);
};

}  // namespace sunbae::tok
