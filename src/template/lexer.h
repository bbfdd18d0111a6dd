#pragma once
// Splits a chat template into tokens exactly as jinja2's lexer does with the environment
// transformers uses (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False): the
// whitespace that ends up in the rendered prompt is decided here, so the rules below mirror
// jinja2/lexer.py line by line rather than the Jinja documentation's summary of them.
#include <cstdint>
#include <string>
#include <vector>

namespace sunbae::tmpl::detail {

enum class Tok : uint8_t {
  Data,        // template text between tags (already whitespace-controlled)
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,      // text holds the unescaped value
  Integer,
  Float,
  Op,          // text holds the operator: "+", "//", "==", "(", ...
  Eof,
};

struct Token {
  Tok type = Tok::Eof;
  std::string text;
  int64_t ival = 0;
  double fval = 0;
  int line = 1;
  int col = 1;
};

// Throws Error "line:col: message" for text jinja2 cannot tokenize (unterminated comment or
// string, unbalanced brackets, a character that starts no token).
std::vector<Token> lex(const std::string& source);

}  // namespace sunbae::tmpl::detail
