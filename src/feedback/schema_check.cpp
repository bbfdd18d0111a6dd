#include "feedback/schema_check.h"

#include <set>

#include "core/error.h"

namespace sunbae::feedback {

using json = nlohmann::json;

namespace {

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == double(int64_t(v.get<double>())));
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  fail("schema_violation: unknown type '", t, "'");
}

const std::set<std::string> kKnown = {"type", "properties", "required", "additionalProperties", "items", "minItems",
                                      "maxItems", "minLength", "maxLength", "minimum", "maximum", "enum", "const",
                                      "title", "description", "$schema", "$id"};

std::string check(const json& v, const json& s, const std::string& path) {
  const std::string at = path.empty() ? "/" : path;
  for (auto it = s.begin(); it != s.end(); ++it)
    SUNBAE_CHECK(kKnown.count(it.key()), "schema_violation: unsupported keyword '", it.key(), "' at ", at);
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_array()) {
      for (const auto& t : s["type"]) ok = ok || has_type(v, t.get<std::string>());
    } else {
      ok = has_type(v, s["type"].get<std::string>());
    }
    if (!ok) return cat(at, ": expected type ", s["type"].dump(), ", got ", v.type_name());
  }
  if (s.contains("const") && v != s["const"]) return cat(at, ": must be ", s["const"].dump());
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) return cat(at, ": ", v.dump(), " is not one of ", s["enum"].dump());
  }
  if (v.is_object()) {
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (!v.contains(r.get<std::string>())) return cat(at, ": missing required property '", r.get<std::string>(), "'");
    const json props = s.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (props.contains(it.key())) {
        if (auto e = check(it.value(), props[it.key()], path + "/" + it.key()); !e.empty()) return e;
      } else if (s.contains("additionalProperties") && s["additionalProperties"] == false) {
        return cat(at, ": property '", it.key(), "' is not allowed");
      }
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && int64_t(v.size()) < s["minItems"].get<int64_t>())
      return cat(at, ": ", v.size(), " items, fewer than minItems ", s["minItems"].get<int64_t>());
    if (s.contains("maxItems") && int64_t(v.size()) > s["maxItems"].get<int64_t>())
      return cat(at, ": ", v.size(), " items, more than maxItems ", s["maxItems"].get<int64_t>());
    if (s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i)
        if (auto e = check(v[i], s["items"], cat(path, "/", i)); !e.empty()) return e;
  }
  if (v.is_string()) {
    const size_t n = code_points(v.get<std::string>());
    if (s.contains("minLength") && int64_t(n) < s["minLength"].get<int64_t>())
      return cat(at, ": ", n, " characters, fewer than minLength ", s["minLength"].get<int64_t>());
    if (s.contains("maxLength") && int64_t(n) > s["maxLength"].get<int64_t>())
      return cat(at, ": ", n, " characters, more than maxLength ", s["maxLength"].get<int64_t>());
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (s.contains("minimum") && d < s["minimum"].get<double>()) return cat(at, ": ", v.dump(), " is below ", s["minimum"].dump());
    if (s.contains("maximum") && d > s["maximum"].get<double>()) return cat(at, ": ", v.dump(), " is above ", s["maximum"].dump());
  }
  return {};
}

}  // namespace

std::string schema_violation(const json& value, const json& schema) { return check(value, schema, ""); }

}  // namespace sunbae::feedback
