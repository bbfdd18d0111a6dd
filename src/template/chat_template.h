#pragma once
// Chat templates: a sandboxed interpreter for the Jinja subset that Hugging Face chat templates
// use, rendering exactly what transformers' apply_chat_template renders (its environment:
// trim_blocks, lstrip_blocks, loop controls, the `generation` tag, tojson, raise_exception,
// strftime_now). No I/O; loops, recursion, steps and output size are bounded.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace sunbae::tmpl {

struct Limits {
  int64_t max_output_bytes = 1 << 20;
  int64_t max_steps = 10'000'000;  // evaluation steps (loop iterations, expression nodes)
  int64_t max_depth = 64;          // macro / call recursion and nesting
};

class ChatTemplate {
 public:
  // Parses once; throws Error with line:column for a syntax error or an unsupported construct.
  static ChatTemplate compile(const std::string& source, const Limits& limits = {});
  // Renders with the given variables (messages, add_generation_prompt, bos_token, ...).
  // raise_exception(msg) in the template and any limit hit throw Error.
  std::string render(const nlohmann::json& context) const;

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

 private:
  struct Impl;
  explicit ChatTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Template for models that ship none (KoAlpaca-Polyglot): "### 질문: ...\n\n### 답변:" turns.
const std::string& koalpaca_template();

}  // namespace sunbae::tmpl
