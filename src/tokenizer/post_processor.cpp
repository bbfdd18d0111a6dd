#include "tokenizer/post_processor.h"

#include <map>
#include <string>

#include "tokenizer/json_util.h"

namespace sunbae::tok {

namespace {

using jsonu::json;

class NoIds final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&) const override {}
};

class Template final : public PostProcessor {
 public:
  // One entry per template piece: the sequence itself (empty optional) or special ids.
  struct Item {
    bool sequence;
    std::vector<int32_t> ids;
  };
  explicit Template(std::vector<Item> items) : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids) const override {
    std::vector<int32_t> out;
    out.reserve(ids.size() + 8);
    for (const Item& it : items_) {
      if (it.sequence)
        out.insert(out.end(), ids.begin(), ids.end());
      else
        out.insert(out.end(), it.ids.begin(), it.ids.end());
    }
    ids.swap(out);
  }

 private:
  std::vector<Item> items_;
};

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& p : parts_) p->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

// A template is a list of {"SpecialToken": {"id", "type_id"}} / {"Sequence": {"id", "type_id"}}.
std::vector<Template::Item> parse_template(const json& list, const std::map<std::string, std::vector<int32_t>>& specials,
                                           bool pair, const std::string& what) {
  const char* name = pair ? "pair" : "single";
  if (!list.is_array()) fail(what, ": '", name, "' must be an array of template pieces");
  std::vector<Template::Item> items;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& piece = list[i];
    if (!piece.is_object() || piece.size() != 1) fail(what, ": ", name, "[", i, "] is not a template piece");
    const std::string kind = piece.begin().key();
    const json& body = piece.begin().value();
    const std::string id = jsonu::get_string(body, "id", what);
    if (kind == "SpecialToken") {
      auto it = specials.find(id);
      if (it == specials.end()) fail(what, ": ", name, " uses special token '", id, "' missing from special_tokens");
      items.push_back({false, it->second});
    } else if (kind == "Sequence") {
      if (id != "A" && id != "B") fail(what, ": ", name, "[", i, "] sequence id must be A or B, found '", id, "'");
      if (!pair && id != "A") fail(what, ": single template refers to sequence B");
      items.push_back({true, {}});
    } else {
      fail(what, ": ", name, "[", i, "] has unknown piece kind '", kind, "'");
    }
  }
  return items;
}

}  // namespace

std::unique_ptr<PostProcessor> PostProcessor::from_json(const json& j, std::string_view what_in,
                                                        const std::function<bool(int64_t)>& valid_id) {
  if (j.is_null()) return nullptr;
  const std::string where(what_in);
  jsonu::require_object(j, where);
  const std::string type = jsonu::get_string(j, "type", where);
  const std::string what = where + " " + type;
  if (type == "ByteLevel") {
    jsonu::check_keys(j, {"type", "add_prefix_space", "trim_offsets", "use_regex"}, what);
    return std::make_unique<NoIds>();
  }
  if (type == "TemplateProcessing") {
    jsonu::check_keys(j, {"type", "single", "pair", "special_tokens"}, what);
    std::map<std::string, std::vector<int32_t>> specials;
    const json& st = jsonu::field(j, "special_tokens", what);
    if (!st.is_object()) fail(what, ": 'special_tokens' must be an object");
    for (auto it = st.begin(); it != st.end(); ++it) {
      const json& ids = jsonu::field(it.value(), "ids", what);
      if (!ids.is_array()) fail(what, ": special token '", it.key(), "' ids must be an array");
      std::vector<int32_t> v;
      for (const json& x : ids) {
        if (!x.is_number_integer() || !valid_id(x.get<int64_t>()))
          fail(what, ": special token '", it.key(), "' has id ", x.dump(), " outside the vocabulary");
        v.push_back(int32_t(x.get<int64_t>()));
      }
      specials[it.key()] = std::move(v);
    }
    auto items = parse_template(jsonu::field(j, "single", what), specials, false, what);
    if (auto p = j.find("pair"); p != j.end() && !p->is_null()) parse_template(*p, specials, true, what);
    return std::make_unique<Template>(std::move(items));
  }
  if (type == "Sequence") {
    jsonu::check_keys(j, {"type", "processors"}, what);
    const json& list = jsonu::field(j, "processors", what);
    if (!list.is_array()) fail(what, ": 'processors' must be an array");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_null()) fail(what, ": processors[", i, "] is null");
      parts.push_back(from_json(list[i], cat(what, "[", i, "]"), valid_id));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail(where, ": unsupported post-processor type '", type, "'");
}

}  // namespace sunbae::tok
