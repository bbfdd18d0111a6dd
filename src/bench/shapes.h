#pragma once
// Named synthetic shapes for the benchmark: each is the published Hugging Face config.json of a
// real model, kept as JSON text so it goes through io::parse_model_config like a checkpoint does.
#include <string>
#include <vector>

namespace sunbae::bench {

struct NamedShape {
  std::string name;         // e.g. "mistral-7b"
  std::string hf_model;     // e.g. "mistralai/Mistral-7B-Instruct-v0.3"
  std::string config_json;  // that model's config.json
  bool supported;           // parses with io::parse_model_config today
};

const std::vector<NamedShape>& named_shapes();
// Throws Error listing the valid names when `name` is not one of them.
const NamedShape& find_shape(const std::string& name);

}  // namespace sunbae::bench
