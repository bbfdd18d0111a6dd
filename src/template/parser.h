#pragma once
// Recursive-descent parser with jinja2's grammar and operator precedence (a port of
// jinja2/parser.py restricted to the statements a chat template can use without a loader).
#include <memory>
#include <string>

#include "template/ast.h"

namespace sunbae::tmpl::detail {

// Throws Error "line:col: message" for syntax errors, unknown filters or tests, and constructs
// that need a template loader (extends, include, import).
std::unique_ptr<Program> parse_template(const std::string& source);

}  // namespace sunbae::tmpl::detail
