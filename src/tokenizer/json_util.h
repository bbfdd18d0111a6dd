#pragma once
// Reading tokenizer.json components: every missing field, wrong type or unknown option is an
// Error that names the component ("pre_tokenizer Split: ..."), never a crash or a silent default.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok::jsonu {

using json = nlohmann::json;

inline void require_object(const json& j, std::string_view what) {
  if (!j.is_object()) fail(what, ": expected a JSON object, found ", j.type_name());
}

// Fails on any key outside `allowed`: an option we do not implement must not be ignored.
inline void check_keys(const json& j, std::initializer_list<std::string_view> allowed, std::string_view what) {
  require_object(j, what);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) fail(what, ": unsupported option '", it.key(), "'");
  }
}

inline const json& field(const json& j, const char* key, std::string_view what) {
  require_object(j, what);
  auto it = j.find(key);
  if (it == j.end()) fail(what, ": missing field '", key, "'");
  return *it;
}

inline bool get_bool(const json& j, const char* key, bool dflt, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) fail(what, ": field '", key, "' must be a boolean, found ", it->type_name());
  return it->get<bool>();
}

inline std::string get_string(const json& j, const char* key, std::string_view what) {
  const json& v = field(j, key, what);
  if (!v.is_string()) fail(what, ": field '", key, "' must be a string, found ", v.type_name());
  return v.get<std::string>();
}

inline std::optional<std::string> get_opt_string(const json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail(what, ": field '", key, "' must be a string, found ", it->type_name());
  return it->get<std::string>();
}

inline int64_t get_int(const json& j, const char* key, std::string_view what) {
  const json& v = field(j, key, what);
  if (!v.is_number_integer()) fail(what, ": field '", key, "' must be an integer, found ", v.type_name());
  return v.get<int64_t>();
}

// A single Unicode character given as a one-character string.
inline uint32_t get_char(const json& j, const char* key, std::string_view what) {
  const std::string s = get_string(j, key, what);
  size_t i = 0;
  if (s.empty() || (s.size() > 4) || (unicode::next_cp(s, i), i != s.size()))
    fail(what, ": field '", key, "' must be exactly one character, found \"", s, "\"");
  i = 0;
  return unicode::next_cp(s, i);
}

}  // namespace sunbae::tok::jsonu
