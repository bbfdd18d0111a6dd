#include "grammar/json_schema.h"

#include <bitset>
#include <cmath>
#include <mutex>
#include <set>
#include <unordered_map>

#include "core/error.h"

namespace sunbae::grammar {

using json = nlohmann::json;

namespace {

// Keywords that only annotate: they never change which values validate.
const std::set<std::string> kAnnotations = {"title", "description", "$schema", "$id", "$comment", "default",
                                            "examples", "deprecated", "readOnly", "writeOnly"};
const std::set<std::string> kSupported = {"type", "properties", "required", "additionalProperties", "items",
                                          "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
                                          "exclusiveMinimum", "exclusiveMaximum", "enum", "const", "anyOf", "oneOf"};

class Compiler {
 public:
  explicit Compiler(Grammar& g) : g_(g) {}

  uint32_t compile(const json& s, const std::string& path, int depth) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return any_value();
      err(path, "the schema false accepts nothing");
    }
    if (!s.is_object()) err(path, "a schema must be an object");
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      if (kAnnotations.count(k) || kSupported.count(k)) continue;
      err(path, cat("the keyword '", k, "' is not supported"));
    }
    if (s.contains("enum") || s.contains("const")) return literals(s, path);
    for (const char* k : {"anyOf", "oneOf"})
      if (s.contains(k)) {
        const json& opts = s[k];
        if (!opts.is_array() || opts.empty()) err(path, cat("'", k, "' must be a non-empty array"));
        std::vector<uint32_t> nodes;
        for (size_t i = 0; i < opts.size(); ++i) nodes.push_back(compile(opts[i], cat(path, "/", k, "/", i), depth));
        return any_of(nodes, path);
      }
    if (s.contains("type") && s["type"].is_array()) {
      const json& types = s["type"];
      if (types.empty()) err(path, "'type' must not be an empty array");
      std::vector<uint32_t> nodes;
      for (const auto& t : types) {
        if (!t.is_string()) err(path, "'type' entries must be strings");
        json one = s;
        one["type"] = t;
        nodes.push_back(typed(one, t.get<std::string>(), path, depth));
      }
      return any_of(nodes, path);
    }
    if (s.contains("type")) {
      if (!s["type"].is_string()) err(path, "'type' must be a string or an array of strings");
      return typed(s, s["type"].get<std::string>(), path, depth);
    }
    if (s.contains("properties") || s.contains("additionalProperties") || s.contains("required"))
      return typed(s, "object", path, depth);
    if (s.contains("items")) return typed(s, "array", path, depth);
    for (const char* k : {"minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                          "exclusiveMaximum"})
      if (s.contains(k)) err(path, cat("'", k, "' needs a 'type'"));
    return any_value();
  }

  uint32_t any_value() {
    if (any_ != UINT32_MAX) return any_;
    any_ = add({});  // placeholder, filled below: its options refer back to it
    Node obj;
    obj.kind = Kind::Object;
    obj.free = true;
    obj.key_node = string_node(0, -1);
    obj.values = {any_};
    const uint32_t o = add(std::move(obj));
    Node arr;
    arr.kind = Kind::Array;
    arr.items = any_;
    const uint32_t a = add(std::move(arr));
    Node num;
    num.kind = Kind::Number;
    const uint32_t n = add(std::move(num));
    Node lit;
    lit.kind = Kind::Literals;
    lit.literals = {"true", "false", "null"};
    const uint32_t l = add(std::move(lit));
    Node any;
    any.kind = Kind::AnyOf;
    any.options = {o, a, string_node(0, -1), n, l};
    any.container_options = true;
    g_.nodes[any_] = std::move(any);
    return any_;
  }

  uint32_t any_of(const std::vector<uint32_t>& nodes, const std::string& path) {
    std::vector<uint32_t> flat;
    std::vector<std::string> lits;
    for (uint32_t n : nodes) {
      const Node& nd = g_.nodes[n];
      if (nd.kind == Kind::AnyOf) flat.insert(flat.end(), nd.options.begin(), nd.options.end());
      else if (nd.kind == Kind::Literals) lits.insert(lits.end(), nd.literals.begin(), nd.literals.end());
      else flat.push_back(n);
    }
    if (!lits.empty()) flat.push_back(literal_node(lits, path));
    if (flat.size() == 1) return flat[0];
    std::bitset<256> seen;
    bool containers = false;
    for (uint32_t n : flat) {
      const auto f = first_bytes(n);
      if ((seen & f).any())
        err(path, "anyOf/oneOf/type options must start differently (e.g. two objects, or integer with number, "
                  "or a string with a string enum, cannot be told apart by their first character)");
      seen |= f;
      containers = containers || g_.nodes[n].kind == Kind::Object || g_.nodes[n].kind == Kind::Array;
    }
    Node any;
    any.kind = Kind::AnyOf;
    any.options = flat;
    (void)containers;  // options from a schema are depth-checked at compile time
    return add(std::move(any));
  }

 private:
  [[noreturn]] static void err(const std::string& path, const std::string& msg) {
    throw SchemaError(cat("schema", path.empty() ? "" : " at ", path, ": ", msg));
  }

  uint32_t add(Node n) {
    g_.nodes.push_back(std::move(n));
    return uint32_t(g_.nodes.size() - 1);
  }

  uint32_t string_node(int64_t min_len, int64_t max_len) {
    Node n;
    n.kind = Kind::String;
    n.min_len = min_len;
    n.max_len = max_len;
    return add(std::move(n));
  }

  uint32_t literal_node(std::vector<std::string> lits, const std::string& path) {
    std::set<std::string> uniq(lits.begin(), lits.end());
    if (uniq.size() > 64) err(path, cat("at most 64 enum/const values are supported, got ", uniq.size()));
    Node n;
    n.kind = Kind::Literals;
    n.literals.assign(uniq.begin(), uniq.end());
    return add(std::move(n));
  }

  std::bitset<256> first_bytes(uint32_t id) const {
    const Node& n = g_.nodes[id];
    std::bitset<256> b;
    switch (n.kind) {
      case Kind::Object: b.set('{'); break;
      case Kind::Array: b.set('['); break;
      case Kind::String: b.set('"'); break;
      case Kind::Integer:
      case Kind::Number:
        b.set('-');
        for (int c = '0'; c <= '9'; ++c) b.set(size_t(c));
        break;
      case Kind::Literals:
        for (const auto& l : n.literals) b.set(uint8_t(l[0]));
        break;
      case Kind::AnyOf:
        for (uint32_t o : n.options) b |= first_bytes(o);
        break;
    }
    return b;
  }

  uint32_t literals(const json& s, const std::string& path) {
    for (const char* k : {"properties", "items", "anyOf", "oneOf", "minLength", "maxLength", "minimum", "maximum",
                          "minItems", "maxItems", "required", "additionalProperties", "exclusiveMinimum",
                          "exclusiveMaximum"})
      if (s.contains(k)) err(path, cat("'enum'/'const' cannot be combined with '", k, "'"));
    std::vector<json> values;
    if (s.contains("const")) values.push_back(s["const"]);
    if (s.contains("enum")) {
      if (!s["enum"].is_array() || s["enum"].empty()) err(path, "'enum' must be a non-empty array");
      for (const auto& v : s["enum"]) values.push_back(v);
    }
    std::set<std::string> types;
    if (s.contains("type")) {
      if (s["type"].is_string()) types.insert(s["type"].get<std::string>());
      else if (s["type"].is_array())
        for (const auto& t : s["type"]) types.insert(t.is_string() ? t.get<std::string>() : "");
      else err(path, "'type' must be a string or an array of strings");
    }
    std::vector<std::string> lits;
    for (const auto& v : values) {
      if (!types.empty() && !types.count(type_name(v)) && !(types.count("number") && v.is_number()))
        err(path, cat("the enum/const value ", v.dump(), " is not of the schema's type"));
      if (v.is_number_float() && !std::isfinite(v.get<double>())) err(path, "enum values must be finite");
      lits.push_back(v.dump());
    }
    return literal_node(lits, path);
  }

  static std::string type_name(const json& v) {
    if (v.is_object()) return "object";
    if (v.is_array()) return "array";
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "boolean";
    if (v.is_null()) return "null";
    if (v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>())))
      return "integer";
    return "number";
  }

  static int64_t count(const json& s, const char* k, int64_t dflt, const std::string& path) {
    if (!s.contains(k)) return dflt;
    const json& v = s[k];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) err(path, cat("'", k, "' must be a non-negative integer"));
    return std::min<int64_t>(v.get<int64_t>(), int64_t(1) << 40);
  }

  static double num(const json& s, const char* k, const std::string& path) {
    if (!s[k].is_number()) err(path, cat("'", k, "' must be a number"));
    return s[k].get<double>();
  }

  uint32_t typed(const json& s, const std::string& type, const std::string& path, int depth) {
    if (type == "null" || type == "boolean") {
      Node n;
      n.kind = Kind::Literals;
      n.literals = type == "null" ? std::vector<std::string>{"null"} : std::vector<std::string>{"false", "true"};
      return add(std::move(n));
    }
    if (type == "string") {
      const int64_t mn = count(s, "minLength", 0, path), mx = count(s, "maxLength", -1, path);
      if (mx >= 0 && mn > mx) err(path, cat("minLength ", mn, " is greater than maxLength ", mx));
      return string_node(mn, mx);
    }
    if (type == "number") {
      for (const char* k : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
        if (s.contains(k)) err(path, cat("'", k, "' is supported on type integer only, not number"));
      Node n;
      n.kind = Kind::Number;
      return add(std::move(n));
    }
    if (type == "integer") {
      double lo = -double(kMaxInt), hi = double(kMaxInt);
      if (s.contains("minimum")) lo = std::max(lo, std::ceil(num(s, "minimum", path)));
      if (s.contains("maximum")) hi = std::min(hi, std::floor(num(s, "maximum", path)));
      if (s.contains("exclusiveMinimum")) lo = std::max(lo, std::floor(num(s, "exclusiveMinimum", path)) + 1);
      if (s.contains("exclusiveMaximum")) hi = std::min(hi, std::ceil(num(s, "exclusiveMaximum", path)) - 1);
      if (lo > hi) err(path, "no integer lies within the minimum and maximum");
      Node n;
      n.kind = Kind::Integer;
      n.minimum = int64_t(lo);
      n.maximum = int64_t(hi);
      return add(std::move(n));
    }
    if (type == "array") {
      if (depth >= kMaxSchemaDepth) err(path, cat("nesting deeper than ", kMaxSchemaDepth, " levels is not supported"));
      Node n;
      n.kind = Kind::Array;
      n.min_items = count(s, "minItems", 0, path);
      n.max_items = count(s, "maxItems", -1, path);
      if (n.max_items >= 0 && n.min_items > n.max_items)
        err(path, cat("minItems ", n.min_items, " is greater than maxItems ", n.max_items));
      n.items = s.contains("items") ? compile(s["items"], path + "/items", depth + 1) : any_value();
      return add(std::move(n));
    }
    if (type == "object") {
      if (depth >= kMaxSchemaDepth) err(path, cat("nesting deeper than ", kMaxSchemaDepth, " levels is not supported"));
      Node n;
      n.kind = Kind::Object;
      const json* props = s.contains("properties") ? &s["properties"] : nullptr;
      if (props && !props->is_object()) err(path, "'properties' must be an object");
      const bool has_props = props && !props->empty();
      bool additional = !has_props;
      if (s.contains("additionalProperties")) {
        const json& ap = s["additionalProperties"];
        if (!ap.is_boolean()) err(path, "only true or false are supported for 'additionalProperties'");
        additional = ap.get<bool>();
        if (additional && has_props)
          err(path, "'additionalProperties': true together with 'properties' is not supported; use false");
      }
      if (additional) {
        if (s.contains("required") && !s["required"].empty())
          err(path, "'required' needs the properties listed in 'properties'");
        n.free = true;
        n.key_node = string_node(0, -1);
        const uint32_t anyv = any_value();
        n.values = {anyv};
        return add(std::move(n));
      }
      if (props) {
        if (props->size() > 64) err(path, cat("at most 64 properties are supported, got ", props->size()));
        for (auto it = props->begin(); it != props->end(); ++it) {
          n.keys.push_back(json(it.key()).dump());
          n.values.push_back(compile(it.value(), cat(path, "/properties/", it.key()), depth + 1));
        }
      }
      if (s.contains("required")) {
        const json& req = s["required"];
        if (!req.is_array()) err(path, "'required' must be an array of property names");
        for (const auto& r : req) {
          if (!r.is_string()) err(path, "'required' must be an array of property names");
          size_t i = 0;
          while (i < n.keys.size() && n.keys[i] != json(r.get<std::string>()).dump()) ++i;
          if (i == n.keys.size()) err(path, cat("required property '", r.get<std::string>(), "' is not in 'properties'"));
          n.required |= uint64_t(1) << i;
        }
      }
      Node keys;
      keys.kind = Kind::Literals;
      keys.literals = n.keys;
      n.key_node = add(std::move(keys));
      return add(std::move(n));
    }
    err(path, cat("unknown type '", type, "'"));
  }

  Grammar& g_;
  uint32_t any_ = UINT32_MAX;
};

}  // namespace

std::shared_ptr<const Grammar> compile_schema(const json& schema) {
  auto g = std::make_shared<Grammar>();
  g->canonical = schema.dump();
  Compiler c(*g);
  g->root = c.compile(schema, "", 0);
  return g;
}

std::shared_ptr<const Grammar> compile_any_object() {
  return compile_schema(json{{"type", "object"}});
}

std::shared_ptr<const Grammar> cached_schema(const json& schema) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const Grammar>> cache;
  const std::string key = schema.dump();
  {
    std::lock_guard<std::mutex> lk(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto g = compile_schema(schema);  // outside the lock: a slow compile does not stall others
  std::lock_guard<std::mutex> lk(mu);
  if (cache.size() >= 256) cache.clear();
  cache.emplace(key, g);
  return g;
}

}  // namespace sunbae::grammar
