// Tokenizer parity with Hugging Face `tokenizers`: for each real tokenizer in the shared folder,
// every string of tests/tokenizer/data/corpus.jsonl must encode to exactly the ids `tokenizers`
// produced (with and without special tokens) and decode back to exactly its text (with and
// without skipping special tokens). The expected outputs come from running `tokenizers` itself
// (tests/tokenizer/make_expected.py); the IncrementalDetokenizer must stream the same text in
// pieces that are always whole UTF-8.
//
// The tokenizer files live outside the repository, in <repo>/../shared/tokenizers/<name>
// (override with SUNBAE_SHARED_TOKENIZERS=<folder>). When they are absent the tests skip, except
// under CI=true where a missing tokenizer is a failure.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "io/files.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kTokenizers[] = {"llama3-instruct", "qwen3",          "gemma",
                                       "deepseek-v3",     "mistral-v0.1",   "llama2-rebuilt",
                                       "mistral-v0.3-rebuilt"};
constexpr size_t kShowMismatches = 5;  // examples printed per kind of mismatch

fs::path data_dir() {
  return (fs::path(SUNBAE_FIXTURES_DIR) / ".." / "tokenizer" / "data").lexically_normal();
}

fs::path tokenizer_dir(const std::string& name) {
  if (const char* env = std::getenv("SUNBAE_SHARED_TOKENIZERS"); env && *env)
    return (fs::path(env) / name).lexically_normal();
  return (fs::path(SUNBAE_FIXTURES_DIR) / "../../../shared/tokenizers" / name).lexically_normal();
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

std::vector<std::string> split_lines(const std::string& s) {
  // Only '\n' separates records: the texts hold U+2028, U+0085 and lone '\r' inside JSON strings
  // (escaped or raw), none of which is a record separator.
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.emplace_back(s, start, nl - start);
    start = nl + 1;
  }
  return out;
}

struct CorpusEntry {
  std::string text;
  std::string cat;
};

const std::vector<CorpusEntry>& corpus() {
  static const std::vector<CorpusEntry> entries = [] {
    std::vector<CorpusEntry> v;
    const auto path = (data_dir() / "corpus.jsonl").string();
    for (const auto& line : split_lines(io::read_maybe_gzip(path))) {
      const json j = json::parse(line);
      v.push_back({j.at("text").get<std::string>(), j.value("cat", std::string())});
    }
    return v;
  }();
  return entries;
}

struct Expected {
  std::vector<int32_t> ids, ids_special;
  std::string decoded, decoded_skip;
};

std::vector<Expected> read_expected(const std::string& name) {
  std::vector<Expected> v;
  const auto path = (data_dir() / ("expected-" + name + ".jsonl.gz")).string();
  for (const auto& line : split_lines(io::read_maybe_gzip(path))) {
    const json j = json::parse(line);
    v.push_back({j.at("ids").get<std::vector<int32_t>>(), j.at("ids_special").get<std::vector<int32_t>>(),
                 j.at("decoded").get<std::string>(), j.at("decoded_skip").get<std::string>()});
  }
  return v;
}

// ---- UTF-8 helpers ---------------------------------------------------------------------------

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation.
// On failure *bad_at is the offending byte offset.
bool valid_utf8(std::string_view s, size_t* bad_at = nullptr) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      if (bad_at) *bad_at = i;
      return false;
    }
    if (i + len > n) {
      if (bad_at) *bad_at = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        if (bad_at) *bad_at = i;
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      if (bad_at) *bad_at = i;
      return false;
    }
    i += len;
  }
  return true;
}

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool invisible(uint32_t cp) {
  // Code points that a terminal shows as nothing, as a space, or merged into their neighbour:
  // printed as \u{...} so a report shows what the string really holds.
  return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || (cp >= 0x300 && cp <= 0x36F) || cp == 0x34F ||
         (cp >= 0x1100 && cp <= 0x11FF) || cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0x3164 ||
         (cp >= 0xD7B0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         cp == 0xFEFF || cp == 0xFFA0 || cp >= 0xFFF0;
}

// A readable, unambiguous rendering: ASCII controls and backslash escaped, invisible or
// combining code points as \u{XXXX}, invalid bytes as \xNN; long strings truncated.
std::string escape(std::string_view s, size_t max_chars = 160) {
  std::string out = "\"";
  size_t i = 0, shown = 0;
  char buf[16];
  while (i < s.size()) {
    if (shown++ == max_chars) {
      out += cat("\"... (", s.size(), " bytes in all)");
      return out;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || !valid_utf8(s.substr(i, len))) {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
      continue;
    }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (invisible(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04X}", cp);
      out += buf;
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out + "\"";
}

std::string ids_window(const std::vector<int32_t>& ids, size_t from, size_t to) {
  std::string s = "[";
  if (from > 0) s += "... ";
  for (size_t i = from; i < to && i < ids.size(); ++i) {
    if (i > from) s += ", ";
    s += std::to_string(ids[i]);
  }
  if (to < ids.size()) s += " ...";
  return s + "] (" + std::to_string(ids.size()) + " ids)";
}

std::string tokens_window(const tok::Tokenizer& t, const std::vector<int32_t>& ids, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to && i < ids.size(); ++i) {
    if (i > from) s += " ";
    std::optional<std::string> piece;
    try {
      piece = t.id_to_token(ids[i]);
    } catch (const std::exception&) {
    }
    s += piece ? escape(*piece, 40) : std::string("<?>");
  }
  return s;
}

// ---- mismatch bookkeeping --------------------------------------------------------------------

class Mismatches {
 public:
  explicit Mismatches(std::string what) : what_(std::move(what)) {}
  void add(size_t index, std::string detail) {
    if (count_++ < kShowMismatches) examples_.push_back({index, std::move(detail)});
  }
  size_t count() const { return count_; }
  std::string report(const std::vector<CorpusEntry>& c) const {
    std::ostringstream os;
    os << what_ << ": " << count_ << " of " << c.size() << " corpus strings differ from Hugging Face"
       << (count_ > examples_.size() ? cat("; the first ", examples_.size(), ":") : std::string(":"));
    for (const auto& [i, detail] : examples_) {
      os << "\n  #" << i << " [" << c[i].cat << "] text " << escape(c[i].text) << "\n    " << detail;
    }
    return os.str();
  }

 private:
  std::string what_;
  size_t count_ = 0;
  std::vector<std::pair<size_t, std::string>> examples_;
};

void compare_ids(Mismatches& m, size_t index, const tok::Tokenizer& t, const std::vector<int32_t>& want,
                 const std::vector<int32_t>& got) {
  if (want == got) return;
  size_t d = 0;
  while (d < want.size() && d < got.size() && want[d] == got[d]) ++d;
  const size_t from = d >= 3 ? d - 3 : 0, to = d + 6;
  m.add(index, cat("first difference at id ", d, "\n    want ", ids_window(want, from, to), "  ",
                   tokens_window(t, want, from, to), "\n    got  ", ids_window(got, from, to), "  ",
                   tokens_window(t, got, from, to)));
}

void compare_text(Mismatches& m, size_t index, std::string_view want, std::string_view got, std::string_view how) {
  if (want == got) return;
  size_t d = 0;
  while (d < want.size() && d < got.size() && want[d] == got[d]) ++d;
  const size_t from = d >= 24 ? d - 24 : 0;
  m.add(index, cat(how, ": first difference at byte ", d, " (showing from byte ", from, ")\n    want ",
                   escape(want.substr(from), 80), "\n    got  ", escape(got.substr(from), 80)));
}

// ---- the test --------------------------------------------------------------------------------

class TokenizerParity : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerParity, MatchesHuggingFaceTokenizers) {
  const std::string name = GetParam();
  const fs::path dir = tokenizer_dir(name);
  if (!fs::exists(dir / "tokenizer.json.gz") && !fs::exists(dir / "tokenizer.json")) {
    const std::string msg = cat("tokenizer files for ", name, " not found in ", dir.string(),
                                " (the shared tokenizers folder; set SUNBAE_SHARED_TOKENIZERS to point elsewhere)");
    if (in_ci()) FAIL() << msg;
    GTEST_SKIP() << msg;
  }

  const auto& entries = corpus();
  std::vector<Expected> expected;
  ASSERT_NO_THROW(expected = read_expected(name));
  ASSERT_EQ(expected.size(), entries.size())
      << "expected-" << name << ".jsonl.gz does not match corpus.jsonl: rerun tests/tokenizer/make_expected.py";

  std::unique_ptr<tok::Tokenizer> t;
  try {
    t = tok::Tokenizer::load(dir.string());
  } catch (const std::exception& e) {
    FAIL() << "loading " << dir.string() << " threw: " << e.what();
  }
  ASSERT_TRUE(t) << "Tokenizer::load returned null for " << dir.string();

  Mismatches ids("encode(text, add_special_tokens=false)");
  Mismatches ids_special("encode(text, add_special_tokens=true)");
  Mismatches decoded("decode(ids_special, skip_special_tokens=false)");
  Mismatches decoded_skip("decode(ids_special, skip_special_tokens=true)");
  Mismatches incremental("IncrementalDetokenizer(skip_special_tokens=false) over ids_special");
  Mismatches incremental_skip("IncrementalDetokenizer(skip_special_tokens=true) over ids_special");

  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& text = entries[i].text;
    const Expected& want = expected[i];

    try {
      compare_ids(ids, i, *t, want.ids, t->encode(text, false));
    } catch (const std::exception& e) {
      ids.add(i, cat("threw: ", e.what()));
    }
    try {
      compare_ids(ids_special, i, *t, want.ids_special, t->encode(text, true));
    } catch (const std::exception& e) {
      ids_special.add(i, cat("threw: ", e.what()));
    }
    // Decoding starts from Hugging Face's ids, so a decode bug shows even where encode differs.
    try {
      compare_text(decoded, i, want.decoded, t->decode(want.ids_special, false), "decoded");
    } catch (const std::exception& e) {
      decoded.add(i, cat("threw: ", e.what()));
    }
    try {
      compare_text(decoded_skip, i, want.decoded_skip, t->decode(want.ids_special, true), "decoded");
    } catch (const std::exception& e) {
      decoded_skip.add(i, cat("threw: ", e.what()));
    }

    for (const bool skip : {false, true}) {
      Mismatches& m = skip ? incremental_skip : incremental;
      const std::string& full = skip ? want.decoded_skip : want.decoded;
      const bool fffd_allowed = full.find(kReplacementChar) != std::string::npos;
      try {
        tok::IncrementalDetokenizer detok(*t, skip);
        std::string streamed;
        std::string problem;
        auto check_piece = [&](const std::string& piece, size_t step, const char* call) {
          if (!problem.empty()) return;
          size_t bad = 0;
          if (!valid_utf8(piece, &bad)) {
            problem = cat(call, " #", step, " returned invalid UTF-8 at byte ", bad, ": ", escape(piece, 60));
          } else if (!fffd_allowed && piece.find(kReplacementChar) != std::string::npos) {
            problem = cat(call, " #", step, " returned U+FFFD, which the full decode does not contain: ",
                          escape(piece, 60));
          }
        };
        for (size_t k = 0; k < want.ids_special.size(); ++k) {
          std::string piece = detok.push(want.ids_special[k]);
          check_piece(piece, k, "push");
          streamed += piece;
        }
        std::string rest = detok.finish();
        check_piece(rest, want.ids_special.size(), "finish");
        streamed += rest;
        if (!problem.empty()) {
          m.add(i, problem);
        } else {
          compare_text(m, i, full, streamed, "pieces + finish()");
        }
      } catch (const std::exception& e) {
        m.add(i, cat("threw: ", e.what()));
      }
    }
  }

  for (const Mismatches* m : {&ids, &ids_special, &decoded, &decoded_skip, &incremental, &incremental_skip}) {
    if (m->count() > 0) ADD_FAILURE() << "[" << name << "] " << m->report(entries);
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, TokenizerParity, ::testing::ValuesIn(kTokenizers),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

// The committed data agree with each other: corpus and expected files written from the same
// corpus (make_expected.py records its size and line count), one expected line per corpus line.
// Needs no tokenizer files, so it runs everywhere.
TEST(TokenizerParityData, ExpectedFilesMatchTheCorpus) {
  const auto meta = json::parse(io::read_text_file((data_dir() / "expected-meta.json").string()));
  const auto corpus_path = data_dir() / "corpus.jsonl";
  EXPECT_EQ(meta.at("corpus_bytes").get<uint64_t>(), fs::file_size(corpus_path))
      << "corpus.jsonl changed since the expected files were made: rerun tests/tokenizer/make_expected.py";
  const auto& entries = corpus();
  EXPECT_EQ(meta.at("corpus_strings").get<size_t>(), entries.size());
  EXPECT_GE(entries.size(), 2400u);
  for (const char* name : kTokenizers) {
    ASSERT_TRUE(meta.at("tokenizers").contains(name)) << name << " missing from expected-meta.json";
    EXPECT_EQ(read_expected(name).size(), entries.size()) << name;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_TRUE(valid_utf8(entries[i].text)) << "corpus line " << i + 1;
  }
}

}  // namespace
}  // namespace sunbae::test
