#include "template/chat_template.h"

#include <stdexcept>

#include "core/error.h"
#include "template/interpreter.h"
#include "template/parser.h"

namespace sunbae::tmpl {

struct ChatTemplate::Impl {
  std::unique_ptr<detail::Program> program;
  Limits limits;
};

ChatTemplate::ChatTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

ChatTemplate ChatTemplate::compile(const std::string& source, const Limits& limits) {
  SUNBAE_CHECK(limits.max_output_bytes > 0 && limits.max_steps > 0 && limits.max_depth > 0,
               "chat template limits must be positive (max_output_bytes ", limits.max_output_bytes,
               ", max_steps ", limits.max_steps, ", max_depth ", limits.max_depth, ")");
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  try {
    impl->program = detail::parse_template(source);
  } catch (const Error& e) {
    fail("chat template syntax error at ", e.what());
  } catch (const std::exception& e) {
    fail("chat template could not be compiled: ", e.what());
  }
  return ChatTemplate(std::move(impl));
}

std::string ChatTemplate::render(const nlohmann::json& context) const {
  SUNBAE_CHECK(impl_, "render() on a moved-from ChatTemplate");
  detail::Interpreter interpreter(impl_->limits);
  try {
    return interpreter.render(*impl_->program, context);
  } catch (const detail::RaisedError& e) {
    // raise_exception(msg): the template's own words, as transformers reports them.
    throw Error(e.what());
  } catch (const detail::LocatedError& e) {
    fail("chat template error at ", e.what());
  } catch (const Error& e) {
    fail("chat template error: ", e.what());
  }
}

// KoAlpaca-Polyglot (beomi/KoAlpaca-Polyglot-*) was trained on plain "### 질문: ... ### 답변: ..."
// prompts and ships no chat template. Rendered format, turns separated by a blank line:
//
//   {system text}\n\n            only if the first message is a system message
//   ### 질문: {user text}\n\n
//   ### 답변: {assistant text}\n\n
//   ...
//   ### 답변:                     the generation prompt (add_generation_prompt=true)
//
// e.g. [user "안녕?"] with a generation prompt renders "### 질문: 안녕?\n\n### 답변:", the model
// card's own prompt. No separator follows the last turn, no EOS is inserted (the model emits
// it), and contents are used verbatim. Other roles, or a system message that is not first,
// raise an error. tests/template/templates/koalpaca.jinja holds the same text so that the
// generator script renders it with jinja2 for the parity tests.
const std::string& koalpaca_template() {
  static const std::string kTemplate =
      "{%- for message in messages -%}\n"
      "    {%- if message['role'] == 'system' -%}\n"
      "        {%- if not loop.first -%}\n"
      "            {{- raise_exception('KoAlpaca: a system message may only come first') -}}\n"
      "        {%- endif -%}\n"
      "        {{- message['content'] -}}\n"
      "    {%- elif message['role'] == 'user' -%}\n"
      "        {{- ('' if loop.first else '\\n\\n') + '### 질문: ' + message['content'] -}}\n"
      "    {%- elif message['role'] == 'assistant' -%}\n"
      "        {{- ('' if loop.first else '\\n\\n') + '### 답변: ' + message['content'] -}}\n"
      "    {%- else -%}\n"
      "        {{- raise_exception('KoAlpaca: unsupported role ' ~ message['role']) -}}\n"
      "    {%- endif -%}\n"
      "{%- endfor -%}\n"
      "{%- if add_generation_prompt -%}\n"
      "    {{- ('\\n\\n' if messages else '') + '### 답변:' -}}\n"
      "{%- endif -%}\n";
  return kTemplate;
}

}  // namespace sunbae::tmpl
