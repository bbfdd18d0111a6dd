// The schema compiler and the byte automaton: whole documents accepted or refused, prefixes,
// escapes, UTF-8, numbers, lengths, ranges, and refused schemas.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "grammar/json_matcher.h"
#include "grammar/json_schema.h"

namespace sunbae::grammar {
namespace {

using json = nlohmann::json;

JsonMatcher matcher(const char* schema) { return JsonMatcher(compile_schema(json::parse(schema))); }

bool prefix_ok(const JsonMatcher& m, std::string_view text) {
  MatchState s = m.initial();
  return m.step(s, text);
}

TEST(JsonSchema, ObjectPropertiesRequiredAnyOrder) {
  auto m = matcher(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},
                       "required":["a"],"additionalProperties":false})");
  EXPECT_TRUE(m.accepts(R"({"a":1})"));
  EXPECT_TRUE(m.accepts(R"({"b":"x","a":-3})"));
  EXPECT_FALSE(m.accepts(R"({"b":"x"})"));         // a is required
  EXPECT_FALSE(m.accepts(R"({"a":1,"a":2})"));     // no key twice
  EXPECT_FALSE(m.accepts(R"({"a":1,"c":2})"));     // no other key
  EXPECT_FALSE(m.accepts(R"({"a": 1})"));          // compact: no whitespace
  EXPECT_FALSE(m.accepts(R"({"a":1})" " "));
  EXPECT_FALSE(prefix_ok(m, R"({"a":1,"b":"x",)"));  // a comma with no key left is a dead end
  EXPECT_FALSE(prefix_ok(m, R"({"b":"x"})"));
  EXPECT_TRUE(prefix_ok(m, R"({"b":"x")"));
  EXPECT_FALSE(m.accepts(R"({"a":1})" "x"));
}

TEST(JsonSchema, EmptyObjectAndAnyObject) {
  EXPECT_TRUE(matcher(R"({"type":"object","properties":{},"additionalProperties":false})").accepts("{}"));
  EXPECT_FALSE(matcher(R"({"type":"object","properties":{},"additionalProperties":false})").accepts(R"({"a":1})"));
  JsonMatcher any(compile_any_object());
  EXPECT_TRUE(any.accepts("{}"));
  EXPECT_TRUE(any.accepts(R"({"x":[1,2.5e-3,{"y":null}],"z":"\u00e9\n","t":true,"":false})"));
  EXPECT_FALSE(any.accepts("[1]"));
  EXPECT_FALSE(any.accepts(R"({"x":01})"));
  EXPECT_FALSE(any.accepts(R"({"x":[1,]})"));
  EXPECT_FALSE(any.accepts(R"({"x":tru})"));
  EXPECT_FALSE(any.accepts(R"({"x":1)"));
}

TEST(JsonSchema, StringEscapesUnicodeAndLengths) {
  auto m = matcher(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_TRUE(m.accepts(R"("ab")"));
  EXPECT_TRUE(m.accepts(R"("a\nb")"));
  EXPECT_TRUE(m.accepts("\"\xED\x95\x9C\xEA\xB8\x80\""));      // 한글: 2 code points
  EXPECT_TRUE(m.accepts("\"\xF0\x9F\x98\x80\\u00e9\""));        // emoji + escape: 2
  EXPECT_FALSE(m.accepts(R"("a")"));
  EXPECT_FALSE(m.accepts(R"("abcd")"));
  EXPECT_FALSE(m.accepts(R"("a\x")"));            // bad escape
  EXPECT_FALSE(m.accepts(R"("\ud800x")"));        // surrogate escape
  EXPECT_TRUE(m.accepts(R"("\uD7FFx")"));
  EXPECT_FALSE(m.accepts("\"a\tb\""));            // raw control character
  EXPECT_FALSE(m.accepts("\"a\xC0\x80\""));       // overlong
  EXPECT_FALSE(m.accepts("\"a\xED\xA0\x80\""));   // UTF-8 surrogate
  EXPECT_FALSE(m.accepts("\"a\xF4\x90\x80\x80\""));  // past U+10FFFF
  EXPECT_FALSE(m.accepts("\"ab\xE2\x82\""));      // truncated character
  EXPECT_TRUE(prefix_ok(m, "\"ab\xE2\x82"));      // ... but a valid prefix
  EXPECT_TRUE(matcher(R"({"type":"string"})").accepts(R"("")"));
}

TEST(JsonSchema, IntegerRanges) {
  auto m = matcher(R"({"type":"integer","minimum":-5,"maximum":120})");
  for (const char* ok : {"0", "-5", "-1", "7", "99", "120", "100"}) EXPECT_TRUE(m.accepts(ok)) << ok;
  for (const char* no : {"-6", "121", "1000", "-0", "01", "1.0", "", "-"}) EXPECT_FALSE(m.accepts(no)) << no;
  EXPECT_TRUE(prefix_ok(m, "12"));
  EXPECT_FALSE(prefix_ok(m, "121"));
  auto big = matcher(R"({"type":"integer","minimum":1000})");
  EXPECT_TRUE(prefix_ok(big, "1"));  // 1 can still grow to 1000
  EXPECT_FALSE(big.accepts("999"));
  EXPECT_FALSE(prefix_ok(big, "-"));
  auto ex = matcher(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":3})");
  EXPECT_TRUE(ex.accepts("1"));
  EXPECT_TRUE(ex.accepts("2"));
  EXPECT_FALSE(ex.accepts("0"));
  EXPECT_FALSE(ex.accepts("3"));
}

TEST(JsonSchema, NumberGrammar) {
  auto m = matcher(R"({"type":"number"})");
  for (const char* ok : {"0", "-0", "1.5", "-12.25e+10", "3E-2", "0.0", "10"}) EXPECT_TRUE(m.accepts(ok)) << ok;
  for (const char* no : {"01", "1.", ".5", "1e", "+1", "1e+", "--1", "1.2.3", "NaN"}) EXPECT_FALSE(m.accepts(no)) << no;
  EXPECT_FALSE(m.accepts("12345678901234567"));  // at most 16 integer digits keeps it bounded
}

TEST(JsonSchema, ArraysEnumsConstAnyOf) {
  auto m = matcher(R"({"type":"array","items":{"enum":["a","bc",3,12,null]},"minItems":1,"maxItems":2})");
  EXPECT_TRUE(m.accepts(R"(["a"])"));
  EXPECT_TRUE(m.accepts(R"([12,null])"));
  EXPECT_TRUE(m.accepts(R"([3,"bc"])"));
  EXPECT_FALSE(m.accepts("[]"));
  EXPECT_FALSE(m.accepts(R"(["a","a","a"])"));
  EXPECT_FALSE(m.accepts(R"(["b"])"));
  EXPECT_FALSE(m.accepts("[1]"));
  EXPECT_TRUE(matcher(R"({"const":{"k":[1,true]}})").accepts(R"({"k":[1,true]})"));
  auto opt = matcher(R"({"anyOf":[{"type":"string","maxLength":1},{"type":"null"},{"type":"integer","minimum":0}]})");
  EXPECT_TRUE(opt.accepts("null"));
  EXPECT_TRUE(opt.accepts(R"("x")"));
  EXPECT_TRUE(opt.accepts("42"));
  EXPECT_FALSE(opt.accepts("-1"));
  EXPECT_FALSE(opt.accepts("true"));
  auto tl = matcher(R"({"type":["boolean","null"]})");
  EXPECT_TRUE(tl.accepts("false"));
  EXPECT_TRUE(tl.accepts("null"));
}

TEST(JsonSchema, NestingAndCanEnd) {
  auto m = matcher(R"({"type":"object","properties":{"xs":{"type":"array","items":{"type":"object",
      "properties":{"n":{"type":"integer"},"s":{"type":"array","items":{"type":"string"}}},"required":["n","s"]}}},
      "required":["xs"]})");
  EXPECT_TRUE(m.accepts(R"({"xs":[{"n":1,"s":[]},{"s":["a","b"],"n":22}]})"));
  EXPECT_FALSE(m.accepts(R"({"xs":[{"n":1}]})"));
  auto n = matcher(R"({"type":"integer"})");
  MatchState s = n.initial();
  ASSERT_TRUE(n.step(s, "12"));
  EXPECT_TRUE(n.can_end(s));
  EXPECT_FALSE(JsonMatcher::finished(s));  // "123" is still possible
  auto o = matcher(R"({"type":"boolean"})");
  s = o.initial();
  ASSERT_TRUE(o.step(s, "true"));
  EXPECT_TRUE(JsonMatcher::finished(s));
}

TEST(JsonSchema, UnsupportedOrInvalidSchemasAreRefusedByName) {
  auto msg = [](const char* schema) -> std::string {
    try {
      compile_schema(json::parse(schema));
    } catch (const SchemaError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(msg(R"({"type":"string","pattern":"a+"})").find("'pattern'"), std::string::npos);
  EXPECT_NE(msg(R"({"$ref":"#/x"})").find("'$ref'"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"strin"})").find("unknown type 'strin'"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"string","minLength":3,"maxLength":2})").find("minLength"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"integer","minimum":5,"maximum":4})").find("no integer"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"object","properties":{"a":{}},"required":["b"]})").find("'b'"), std::string::npos);
  EXPECT_NE(msg(R"({"anyOf":[{"type":"integer"},{"type":"number"}]})").find("start differently"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"number","minimum":0})").find("integer only"), std::string::npos);
  EXPECT_NE(msg(R"({"type":"object","properties":{"a":{"type":"x"}}})").find("/properties/a"), std::string::npos);
  EXPECT_NE(msg(R"({"enum":[]})").find("non-empty"), std::string::npos);
  EXPECT_NE(msg(R"(false)").find("accepts nothing"), std::string::npos);
  std::string deep = R"({"type":"string"})";
  for (int i = 0; i < 20; ++i) deep = R"({"type":"array","items":)" + deep + "}";
  EXPECT_NE(msg(deep.c_str()).find("nesting"), std::string::npos);
}

TEST(JsonSchema, CacheReturnsTheSameCompiledSchemaForTheSameCanonicalText) {
  auto a = cached_schema(json::parse(R"({"type":"string","maxLength":4})"));
  auto b = cached_schema(json::parse(R"({"maxLength":4,  "type":"string"})"));
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), cached_schema(json::parse(R"({"type":"string","maxLength":5})")).get());
}

}  // namespace
}  // namespace sunbae::grammar
