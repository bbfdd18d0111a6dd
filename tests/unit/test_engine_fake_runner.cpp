// The engine loop over a scripted ModelRunner: no model, so text, stop strings, eos and failures
// can be set up exactly. The runner also checks every batch it is given against the KV blocks the
// scheduler reserved.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "engine/engine.h"

namespace sunbae::engine {
namespace {

// Greedy output of this runner: the token after t is t + 1 (mod 128), skipping 0 (eos) unless
// the sequence's last token is `eos_after`. Ids 0..127 are bytes, so text is easy to predict.
class ScriptedRunner : public ModelRunner {
 public:
  explicit ScriptedRunner(int64_t blocks) : blocks_(blocks) {
    c_.vocab_size = 128;
    c_.max_position_embeddings = 256;
    c_.eos_token_ids = {0};
  }
  const io::ModelConfig& config() const override { return c_; }
  int64_t num_kv_blocks() const override { return blocks_; }
  std::string device() const override { return "scripted"; }
  model::Logits forward(const model::Batch& b) override {
    if (fail_next.exchange(false)) fail("scripted failure");
    model::Logits l;
    l.vocab = c_.vocab_size;
    for (const auto& s : b.seqs) {
      // The scheduler must have reserved blocks for every position written this step.
      SUNBAE_CHECK(s.blocks && int64_t(s.blocks->size()) * kv::kBlockSize >= s.start_pos + int64_t(s.tokens.size()),
                   "block table too short");
      for (int32_t r : s.logit_rows) {
        const int32_t last = s.tokens[size_t(r)];
        int32_t next = (last + 1) % 128;
        if (last == eos_after) next = 0;
        else if (next == 0) next = 1;
        std::vector<float> row(128, 0.f);
        row[size_t(next)] = 10.f;
        l.data.insert(l.data.end(), row.begin(), row.end());
        ++l.rows;
      }
    }
    return l;
  }
  std::atomic<bool> fail_next{false};
  int32_t eos_after = -1;

 private:
  io::ModelConfig c_;
  int64_t blocks_;
};

// A byte-level tokenizer over ids 0..127 (ASCII), no merges.
std::shared_ptr<const tok::Tokenizer> ascii_tokenizer() {
  nlohmann::json vocab = nlohmann::json::object();
  // GPT-2's byte-to-unicode map is the identity on printable ASCII; map the rest as it does.
  int extra = 0;
  for (int b = 0; b < 128; ++b) {
    const bool printable = b >= '!' && b <= '~';
    const int cp = printable ? b : 256 + extra++;
    std::string s;
    if (cp < 0x80) s += char(cp);
    else s += char(0xC0 | (cp >> 6)), s += char(0x80 | (cp & 0x3F));
    vocab[s] = b;
  }
  nlohmann::json j = {{"version", "1.0"},
                      {"added_tokens", nlohmann::json::array()},
                      {"normalizer", nullptr},
                      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                                         {"use_regex", true}}},
                      {"post_processor", nullptr},
                      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                                   {"use_regex", true}}},
                      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                                 {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                                 {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                                 {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  return tok::Tokenizer::from_json(j.dump(), "", "ascii");
}

struct Outcome {
  std::string streamed;  // concatenation of every event's text
  std::vector<int32_t> ids;
  FinishReason finish = FinishReason::None;
  std::string stop_reason, error;
};

Outcome collect(RequestStream& s) {
  Outcome r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!s.done() && std::chrono::steady_clock::now() < deadline) {
    std::vector<Event> evs;
    s.next(evs, std::chrono::milliseconds(50));
    for (auto& e : evs) {
      r.streamed += e.text;
      r.ids.insert(r.ids.end(), e.token_ids.begin(), e.token_ids.end());
      if (e.finish != FinishReason::None) r.finish = e.finish, r.stop_reason = e.stop_reason, r.error = e.error;
    }
  }
  EXPECT_TRUE(s.done()) << "request did not finish in 30 s";
  return r;
}

void wait_idle(const Engine& e) {
  for (int i = 0; i < 3000 && !e.idle(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(e.idle());
}

Request req(std::vector<int32_t> prompt, int64_t max_tokens) {
  Request r;
  r.prompt = std::move(prompt);
  r.params.max_tokens = max_tokens;
  return r;
}

TEST(EngineScripted, StopStringsCutTheTextAndNeverStreamPastIt) {
  auto runner = std::make_unique<ScriptedRunner>(32);
  Engine e(std::move(runner), ascii_tokenizer(), {});
  Request r = req({'a'}, 20);  // generates b c d e f ...
  r.params.stop = {"efg", "zz"};
  Outcome out = collect(*e.submit(r));
  EXPECT_EQ(out.streamed, "bcd");
  EXPECT_EQ(out.finish, FinishReason::Stop);
  EXPECT_EQ(out.stop_reason, "efg");
  EXPECT_EQ(out.ids.size(), 6u);  // b..g: the tokens that made the match are reported
  r.params.include_stop_str_in_output = true;
  EXPECT_EQ(collect(*e.submit(r)).streamed, "bcdefg");
  r.params.include_stop_str_in_output = false;
  r.params.min_tokens = 8;  // "efg" ends at token 6: ignored; none later matches
  out = collect(*e.submit(r));
  EXPECT_EQ(out.finish, FinishReason::Length);
  EXPECT_EQ(out.streamed, "bcdefghijklmnopqrstu");
}

TEST(EngineScripted, EosStopsUnlessIgnoredAndCountsAsAToken) {
  auto runner = std::make_unique<ScriptedRunner>(32);
  runner->eos_after = 'd';
  Engine e(std::move(runner), ascii_tokenizer(), {});
  Outcome out = collect(*e.submit(req({'a'}, 10)));
  EXPECT_EQ(out.streamed, "bcd");
  EXPECT_EQ(out.ids, (std::vector<int32_t>{'b', 'c', 'd', 0}));
  EXPECT_EQ(out.finish, FinishReason::Stop);
  Request r = req({'a'}, 6);
  r.params.ignore_eos = true;
  out = collect(*e.submit(r));
  EXPECT_EQ(out.ids.size(), 6u);
  EXPECT_EQ(out.finish, FinishReason::Length);
  r.params.ignore_eos = false;
  r.params.min_tokens = 5;  // eos masked for the first 5 tokens
  out = collect(*e.submit(r));
  EXPECT_NE(out.ids[3], 0);
}

TEST(EngineScripted, AModelFailureEndsTheStepsRequestsAndTheEngineGoesOn) {
  auto owned = std::make_unique<ScriptedRunner>(32);
  ScriptedRunner* runner = owned.get();
  EngineOptions o;
  o.step_delay = std::chrono::milliseconds(2);
  Engine e(std::move(owned), nullptr, o);
  auto s = e.submit(req({1, 2, 3}, 200 - 3));
  std::vector<Event> first;
  ASSERT_TRUE(s->next(first, std::chrono::seconds(10)));
  runner->fail_next = true;
  Outcome out = collect(*s);
  EXPECT_EQ(out.finish, FinishReason::Abort);
  EXPECT_NE(out.error.find("scripted failure"), std::string::npos);
  wait_idle(e);
  EXPECT_EQ(e.stats().kv_usage, 0.0);
  EXPECT_EQ(e.stats().finished.at("error"), 1);
  out = collect(*e.submit(req({1, 2, 3}, 5)));
  EXPECT_EQ(out.finish, FinishReason::Length);
  EXPECT_EQ(out.ids, (std::vector<int32_t>{4, 5, 6, 7, 8}));
}

// Many requests over a cache far too small for all of them at once: preemption and recompute
// happen, every request still gets exactly its scripted continuation, and no block leaks.
TEST(EngineScripted, OversubscribedCacheStillServesEveryoneExactly) {
  EngineOptions o;
  o.scheduler.max_num_seqs = 16;
  o.scheduler.max_batch_tokens = 24;
  Engine e(std::make_unique<ScriptedRunner>(12), nullptr, o);
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (int i = 0; i < 40; ++i) streams.push_back(e.submit(req({int32_t(1 + i % 50), 2, 3, int32_t(i % 7 + 1)}, 40)));
  for (int i = 0; i < 40; ++i) {
    Outcome out = collect(*streams[size_t(i)]);
    ASSERT_EQ(out.ids.size(), 40u) << i;
    int32_t expect = i % 7 + 1;
    for (int32_t t : out.ids) {
      expect = (expect + 1) % 128;
      if (expect == 0) expect = 1;
      ASSERT_EQ(t, expect) << "request " << i;
    }
  }
  wait_idle(e);
  const EngineStats st = e.stats();
  EXPECT_GT(st.preemptions, 0);
  EXPECT_EQ(st.kv_usage, 0.0);
  EXPECT_EQ(st.generation_tokens, 40 * 40);
}

}  // namespace
}  // namespace sunbae::engine
