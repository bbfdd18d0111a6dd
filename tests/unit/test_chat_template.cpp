// Chat-template interpreter: byte parity with transformers' apply_chat_template on the real
// templates of seven model families (expected outputs rendered by jinja2 itself, see
// tests/template/make_chat_expected.py), language features against jinja2 (data/features.json
// from the same script, plus hand-checked cases below), and the sandbox limits.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "template/chat_template.h"

using nlohmann::json;
using sunbae::Error;
using sunbae::tmpl::ChatTemplate;
using sunbae::tmpl::Limits;

namespace {

std::filesystem::path template_dir() {
  return std::filesystem::path(SUNBAE_FIXTURES_DIR) / ".." / "template";
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const json& load_json(const char* name) {
  static std::map<std::string, json> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, json::parse(read_file(template_dir() / "data" / name))).first;
  return it->second;
}

// What transformers passes to the template: messages, tools and documents (None unless given),
// add_generation_prompt, the special tokens that are set, and extra template kwargs.
json context_of(const json& c) {
  json ctx = c.value("kwargs", json::object());
  ctx["messages"] = c["messages"];
  ctx["add_generation_prompt"] = c["add_generation_prompt"];
  ctx["tools"] = c["tools"];
  ctx["documents"] = nullptr;
  if (!c["bos_token"].is_null()) ctx["bos_token"] = c["bos_token"];
  if (!c["eos_token"].is_null()) ctx["eos_token"] = c["eos_token"];
  return ctx;
}

std::string render(const std::string& src, const json& ctx = json::object(), const Limits& limits = {}) {
  return ChatTemplate::compile(src, limits).render(ctx);
}

std::string error_of(const std::string& src, const json& ctx = json::object(), const Limits& limits = {}) {
  try {
    ChatTemplate::compile(src, limits).render(ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

size_t first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

// ---- parity with transformers, one test per family ------------------------------------------------

class ChatTemplateParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateParity, RendersLikeTransformers) {
  const std::string family = GetParam();
  const json& data = load_json("expected.json");
  std::map<std::string, ChatTemplate> compiled;
  int rendered = 0, errors = 0;
  for (const auto& c : data["cases"]) {
    if (c["family"] != family) continue;
    std::string tfile = c["template"];
    auto it = compiled.find(tfile);
    if (it == compiled.end()) {
      it = compiled.emplace(tfile, ChatTemplate::compile(read_file(template_dir() / tfile))).first;
    }
    SCOPED_TRACE(family + " / " + c["name"].get<std::string>() +
                 (c["add_generation_prompt"].get<bool>() ? " / generation prompt" : " / no generation prompt"));
    json ctx = context_of(c);
    if (c.contains("rendered")) {
      std::string out;
      try {
        out = it->second.render(ctx);
      } catch (const Error& e) {
        ADD_FAILURE() << "render threw: " << e.what();
        continue;
      }
      const std::string want = c["rendered"].get<std::string>();
      EXPECT_EQ(out, want) << "first difference at byte " << first_difference(out, want);
      ++rendered;
    } else {
      try {
        it->second.render(ctx);
        ADD_FAILURE() << "expected the template to raise: " << c["error"];
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), c["error"].get<std::string>());
      }
      ++errors;
    }
  }
  EXPECT_GE(rendered, 12) << "too few rendered cases for " << family;
  std::printf("[ parity  ] %s: %d rendered, %d expected errors\n", family.c_str(), rendered, errors);
}

INSTANTIATE_TEST_SUITE_P(Families, ChatTemplateParity,
                         ::testing::Values("llama3-instruct", "qwen3", "gemma", "deepseek-v3",
                                           "mistral-v0.3", "qwen2.5", "koalpaca"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

// ---- language features against jinja2 (data/features.json) ---------------------------------------

TEST(ChatTemplateFeatures, MatchJinja2) {
  const json& data = load_json("features.json");
  int rendered = 0, errors = 0;
  for (const auto& c : data["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>() + ": " + c["template"].get<std::string>());
    const std::string src = c["template"];
    if (c.contains("rendered")) {
      std::string out;
      try {
        out = render(src, c["context"]);
      } catch (const Error& e) {
        ADD_FAILURE() << "threw: " << e.what();
        continue;
      }
      EXPECT_EQ(out, c["rendered"].get<std::string>());
      ++rendered;
    } else {
      // Same failure, and the same explanation jinja2 gives (possibly after our location).
      std::string msg = error_of(src, c["context"]);
      EXPECT_NE(msg.find(c["error"].get<std::string>()), std::string::npos)
          << "jinja2 says " << c["error_type"].get<std::string>() << ": " << c["error"] << "\n  we say " << msg;
      ++errors;
    }
  }
  EXPECT_GE(rendered, 100);
  EXPECT_GE(errors, 25);
}

// ---- hand-checked semantics (outputs confirmed with jinja2 3.1 in transformers' environment) ----

TEST(ChatTemplateSemantics, WhitespaceControl) {
  // lstrip_blocks removes the indentation before a block tag, trim_blocks the newline after it.
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\nend"), "  x\nend");
  EXPECT_EQ(render("x {%- if true -%} \n y {%+ endif +%}\n z"), "xy \n z");
  EXPECT_EQ(render("{{ 'a' }}\n  {# c #}\n  b"), "a\n  b");
  EXPECT_EQ(render("a\r\nb\n\n"), "a\nb\n");  // newlines normalized, one trailing newline dropped
}

TEST(ChatTemplateSemantics, PythonPrinting) {
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5, \"it's\"] }}"), "[1, 'a', None, True, 1.5, \"it's\"]");
  EXPECT_EQ(render("{{ {'a': (1,)} }} {{ 1/3 }} {{ 2/2 }} {{ 1e16 }} {{ 0.00001 }}"),
            "{'a': (1,)} 0.3333333333333333 1.0 1e+16 1e-05");
}

TEST(ChatTemplateSemantics, LoopsAndScoping) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}|{% endfor %}"),
            "12TrueFalse|21FalseFalse|30FalseTrue|");
  // A loop body starts from the enclosing variables on every iteration; if does not scope.
  EXPECT_EQ(render("{% set x = 'o' %}{% for i in range(2) %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}"), "o0o1o");
  EXPECT_EQ(render("{% if true %}{% set y = 1 %}{% endif %}{{ y }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"), "6");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in range(6) if x is odd %}{{ x }}{{ loop.length }}{% endfor %}"), "133353");
}

TEST(ChatTemplateSemantics, UndefinedBehavesLikeJinja2) {
  EXPECT_EQ(render("[{{ nothing }}][{{ nothing|length }}][{{ nothing ~ 'x' }}]{{ nothing is defined }}"), "[][0][x]False");
  EXPECT_EQ(render("[{{ m.missing }}]{{ m.missing is defined }}", json{{"m", {{"a", 1}}}}), "[]False");
  EXPECT_NE(error_of("{{ x.y }}").find("'x' is undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ x + 1 }}").find("'x' is undefined"), std::string::npos);
}

TEST(ChatTemplateSemantics, ToJsonIsPythonJsonDumps) {
  json ctx = {{"t", {{"name", "f"}, {"args", {1, 2.5, nullptr, true}}, {"ko", "한"}}}};
  EXPECT_EQ(render("{{ t|tojson }}", ctx), R"({"args": [1, 2.5, null, true], "ko": "한", "name": "f"})");
  EXPECT_EQ(render("{{ [1, {'a': []}]|tojson(indent=2) }}"), "[\n  1,\n  {\n    \"a\": []\n  }\n]");
}

TEST(ChatTemplateSemantics, RaiseExceptionKeepsTheMessage) {
  EXPECT_EQ(error_of("{{ raise_exception('Conversation roles must alternate') }}"),
            "Conversation roles must alternate");
}

TEST(ChatTemplateSemantics, StrftimeNow) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::string year = std::to_string(tm.tm_year + 1900);
  std::string out = render("{{ strftime_now('%Y') }}|{{ strftime_now('%d %B %Y')|length > 8 }}");
  // The year may roll over between the two clock readings only at New Year's midnight.
  EXPECT_TRUE(out == year + "|True" || out == std::to_string(tm.tm_year + 1901) + "|True") << out;
}

TEST(ChatTemplateSemantics, SharedTemplateRendersConcurrently) {
  ChatTemplate t = ChatTemplate::compile(read_file(template_dir() / "templates" / "qwen3.jinja"));
  json ctx = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"add_generation_prompt", true}};
  const std::string want = t.render(ctx);
  std::vector<std::string> outs(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) outs[i] = t.render(ctx);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : outs) EXPECT_EQ(o, want);
}

// ---- syntax errors name the line and column ---------------------------------------------------

TEST(ChatTemplateErrors, SyntaxErrorsNameLineAndColumn) {
  auto compile_error = [](const std::string& src) {
    try {
      ChatTemplate::compile(src);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  std::string e1 = compile_error("line one\n{{ foo( }}");
  EXPECT_NE(e1.find("2:9"), std::string::npos) << e1;
  EXPECT_NE(e1.find("syntax error"), std::string::npos) << e1;
  std::string e2 = compile_error("{% if x %}\nabc");
  EXPECT_NE(e2.find("1:4"), std::string::npos) << e2;
  EXPECT_NE(e2.find("never closed"), std::string::npos) << e2;
  std::string e3 = compile_error("ok\n\n  {% frobnicate %}");
  EXPECT_NE(e3.find("3:6"), std::string::npos) << e3;
  std::string e4 = compile_error("{{ x | nofilter }}");
  EXPECT_NE(e4.find("1:8"), std::string::npos) << e4;
  EXPECT_NE(e4.find("No filter named 'nofilter'"), std::string::npos) << e4;
  std::string e5 = compile_error("abc {# never closed");
  EXPECT_NE(e5.find("1:5"), std::string::npos) << e5;
  std::string e6 = compile_error("{{ 'unterminated }}");
  EXPECT_NE(e6.find("1:4"), std::string::npos) << e6;
  std::string e7 = compile_error("{% for x in y %}{% endif %}");
  EXPECT_NE(e7.find("1:"), std::string::npos) << e7;
  std::string e8 = compile_error("{% include 'other.jinja' %}");
  EXPECT_NE(e8.find("loader"), std::string::npos) << e8;
  std::string e9 = compile_error("{% break %}");
  EXPECT_NE(e9.find("outside of a for loop"), std::string::npos) << e9;
}

TEST(ChatTemplateErrors, RuntimeErrorsNameLineAndColumn) {
  std::string e = error_of("first line\n  {{ x.y }}");
  EXPECT_NE(e.find("2:"), std::string::npos) << e;
  EXPECT_NE(e.find("'x' is undefined"), std::string::npos) << e;
}

// ---- hostile templates: always an Error, quickly -------------------------------------------------

class ChatTemplateSandbox : public ::testing::Test {
 protected:
  // Fails the test unless rendering throws an Error mentioning `what` within `seconds`.
  void expect_refused(const std::string& src, const std::string& what, double seconds = 5.0,
                      const Limits& limits = {}) {
    auto t0 = std::chrono::steady_clock::now();
    std::string msg = error_of(src, json::object(), limits);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(msg.find(what), std::string::npos) << src.substr(0, 120) << "\n  -> " << msg;
    EXPECT_LT(dt, seconds) << src.substr(0, 120);
  }
};

TEST_F(ChatTemplateSandbox, HugeRange) {
  expect_refused("{% for i in range(10**9) %}xxxxx{% endfor %}", "Range too big", 0.5);
}

TEST_F(ChatTemplateSandbox, NestedLoopsHitTheStepLimit) {
  expect_refused("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "max_steps");
  Limits small;
  small.max_steps = 1000;
  expect_refused("{% for i in range(5000) %}{{ i }}{% endfor %}", "max_steps", 1.0, small);
}

TEST_F(ChatTemplateSandbox, MacroRecursion) {
  expect_refused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "max_depth", 1.0);
  expect_refused("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}", "max_depth", 1.0);
  expect_refused("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "max_depth", 1.0);
}

TEST_F(ChatTemplateSandbox, OutputBombs) {
  expect_refused("{% for i in range(100000) %}{% for j in range(100000) %}xxxxx{% endfor %}{% endfor %}",
                 "max_output_bytes");
  expect_refused("{{ 'x' * 10**12 }}", "max_output_bytes", 0.5);
  expect_refused("{{ 'xy' * 1000000 }}", "max_output_bytes", 0.5);
  expect_refused("{{ [1] * 10**12 }}", "max_steps", 0.5);
  expect_refused("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                 "max_output_bytes", 1.0);
  Limits small;
  small.max_output_bytes = 10;
  expect_refused("{{ 'abcdefghijk' }}", "max_output_bytes", 1.0, small);
}

TEST_F(ChatTemplateSandbox, QuadraticStringGrowthIsCharged) {
  // 1 MB copied per iteration: the byte-proportional step charge stops it, not the clock.
  expect_refused("{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{% set t = s ~ '' %}{% endfor %}",
                 "max_steps", 2.0);
}

TEST_F(ChatTemplateSandbox, DeepNesting) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  std::string msg;
  try {
    ChatTemplate::compile(deep);
  } catch (const Error& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << msg;
  std::string ifs;
  for (int i = 0; i < 3000; ++i) ifs += "{% if true %}";
  try {
    ChatTemplate::compile(ifs);
    ADD_FAILURE() << "3000 nested ifs compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nested too deeply"), std::string::npos) << e.what();
  }
  // Data nesting built at run time is capped too (printing or freeing it would recurse).
  expect_refused("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
                 "nested deeper", 1.0);
  // A namespace holding itself is a cycle: printing it stops, and rendering frees it.
  expect_refused("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", "nested too deeply", 1.0);
}

TEST_F(ChatTemplateSandbox, DeepEvaluationStopsBeforeTheStack) {
  // Recursion (64 macro calls) times a 90-deep expression inside each call.
  std::string expr = "(m(n - 1)|length if n > 0 else 0)";
  for (int i = 0; i < 90; ++i) expr = "(1 + " + expr + ")";
  expect_refused("{% macro m(n) %}{{ " + expr + " }}{% endmacro %}{{ m(62) }}", "nested more than", 1.0);
}

TEST_F(ChatTemplateSandbox, NoPythonInternals) {
  expect_refused("{{ ''.__class__.__mro__ }}", "unsafe");
  expect_refused("{% set l = [1] %}{{ l.append(2) }}", "unsafe");
  expect_refused("{% set d = {} %}{{ d.update({'a': 1}) }}", "unsafe");
}

// ---- KoAlpaca built-in template ----------------------------------------------------------------

TEST(ChatTemplateKoAlpaca, MatchesTheDocumentedFormat) {
  EXPECT_EQ(sunbae::tmpl::koalpaca_template(), read_file(template_dir() / "templates" / "koalpaca.jinja"));
  ChatTemplate t = ChatTemplate::compile(sunbae::tmpl::koalpaca_template());
  json one = {{"messages", {{{"role", "user"}, {"content", "안녕?"}}}}, {"add_generation_prompt", true}};
  EXPECT_EQ(t.render(one), "### 질문: 안녕?\n\n### 답변:");
  json multi = {{"messages",
                 {{{"role", "system"}, {"content", "너는 도우미야."}},
                  {{"role", "user"}, {"content", "1+1은?"}},
                  {{"role", "assistant"}, {"content", "2입니다."}},
                  {{"role", "user"}, {"content", "고마워"}}}},
                {"add_generation_prompt", true}};
  EXPECT_EQ(t.render(multi),
            "너는 도우미야.\n\n### 질문: 1+1은?\n\n### 답변: 2입니다.\n\n### 질문: 고마워\n\n### 답변:");
  multi["add_generation_prompt"] = false;
  EXPECT_EQ(t.render(multi), "너는 도우미야.\n\n### 질문: 1+1은?\n\n### 답변: 2입니다.\n\n### 질문: 고마워");
  json bad = {{"messages", {{{"role", "tool"}, {"content", "x"}}}}};
  try {
    t.render(bad);
    ADD_FAILURE() << "a tool message was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "KoAlpaca: unsupported role tool");
  }
}

}  // namespace
