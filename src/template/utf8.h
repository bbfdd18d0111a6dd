#pragma once
// UTF-8 and Python str semantics for the template interpreter. Python strings are sequences of
// code points, so len(), slicing, strip() and case mapping must work per code point, not per
// byte; Korean text would otherwise be cut in the middle of a character.
#include <cstdint>
#include <string>
#include <string_view>

namespace sunbae::tmpl::detail {

// Decodes one code point at `pos` and advances it. Invalid bytes decode to U+DC80+byte (Python's
// surrogateescape) so that any byte string round-trips through decode/encode unchanged.
char32_t utf8_next(std::string_view s, size_t& pos);
void utf8_append(std::string& out, char32_t cp);
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);
size_t utf8_length(std::string_view s);

// Python's str predicates for one code point (str.isspace(), isalpha() ...), from utf8proc's
// Unicode tables (a newer Unicode version than Python 3.11's, so recently added characters may
// classify differently). py_upper/lower/title are the simple 1:1 mappings.
bool py_isspace(char32_t c);
bool py_isalpha(char32_t c);
bool py_isdigit(char32_t c);
bool py_isdecimal(char32_t c);
bool py_isnumeric(char32_t c);
bool py_isalnum(char32_t c);
bool py_islower(char32_t c);
bool py_isupper(char32_t c);
bool py_istitle(char32_t c);
bool py_iscased(char32_t c);
bool py_isprintable(char32_t c);
bool py_isword(char32_t c);  // regex \w: alphanumeric or underscore
char32_t py_upper(char32_t c);
char32_t py_lower(char32_t c);
char32_t py_title(char32_t c);
// Full mappings, as str.upper()/lower()/title() apply them: may append several code points.
void py_upper_full(char32_t c, std::u32string& out);
void py_lower_full(char32_t c, std::u32string& out);
void py_title_full(char32_t c, std::u32string& out);
// Whole-string str.upper(), lower(), title(), capitalize(), swapcase().
std::u32string py_str_upper(std::u32string_view s);
std::u32string py_str_lower(std::u32string_view s);
std::u32string py_str_title(std::u32string_view s);
std::u32string py_str_capitalize(std::u32string_view s);
std::u32string py_str_swapcase(std::u32string_view s);

}  // namespace sunbae::tmpl::detail
