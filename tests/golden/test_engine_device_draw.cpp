// The engine's device-sampling path (ModelRunner::forward_sample), driven through a CPU runner
// that "draws on its device" with the sampler's own rule: which steps take it, that its tokens are
// the host path's, and that a NaN row ends only its own sequence.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/engine.h"
#include "engine/sampler.h"
#include "golden/fixtures.h"

namespace sunbae::engine {
namespace {

class DrawingRunner : public CpuModelRunner {
 public:
  using CpuModelRunner::CpuModelRunner;
  bool samples_on_device() const override { return true; }
  std::vector<int32_t> forward_sample(const model::Batch& b, const std::vector<DeviceDraw>& draws) override {
    ++device_steps;
    const model::Logits l = forward(b);
    EXPECT_EQ(size_t(l.rows), draws.size());
    std::vector<int32_t> out;
    for (size_t i = 0; i < draws.size(); ++i) {
      if (nan_step.load() == int64_t(draws[i].step)) {
        out.push_back(-1);
        continue;
      }
      SamplingParams p;
      p.temperature = draws[i].temperature;
      p.top_k = draws[i].top_k;
      p.top_p = draws[i].top_p;
      p.min_p = draws[i].min_p;
      out.push_back(select_token(l.row(int64_t(i)), l.vocab, p, draws[i].seed, draws[i].step));
    }
    return out;
  }
  model::Logits forward(const model::Batch& b) override {
    ++forward_calls;
    return CpuModelRunner::forward(b);
  }
  std::atomic<int64_t> device_steps{0}, forward_calls{0}, nan_step{-1};
};

struct Out {
  std::vector<int32_t> ids;
  FinishReason finish = FinishReason::None;
  std::string error;
};

Out collect(RequestStream& s) {
  Out o;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!s.done() && std::chrono::steady_clock::now() < deadline) {
    std::vector<Event> evs;
    s.next(evs, std::chrono::milliseconds(50));
    for (auto& e : evs) {
      o.ids.insert(o.ids.end(), e.token_ids.begin(), e.token_ids.end());
      if (e.finish != FinishReason::None) o.finish = e.finish, o.error = e.error;
    }
  }
  EXPECT_TRUE(s.done());
  return o;
}

Request sampled(int i, bool logprobs) {
  Request r;
  r.prompt = {int32_t(1 + i), int32_t(7 + 3 * i), 5, int32_t(2 + i % 4)};
  r.params.max_tokens = 12;
  r.params.ignore_eos = true;
  r.params.sampling.temperature = 0.8;
  r.params.sampling.top_k = 20;
  r.params.sampling.top_p = 0.9;
  r.params.sampling.seed = uint64_t(100 + i);
  if (logprobs) r.params.logprobs = 2;
  return r;
}

std::vector<Out> run(std::unique_ptr<CpuModelRunner> runner, bool with_logprobs) {
  Engine e(std::move(runner), nullptr, EngineOptions{});
  std::vector<std::shared_ptr<RequestStream>> ss;
  for (int i = 0; i < 8; ++i) ss.push_back(e.submit(sampled(i, with_logprobs && i == 3)));
  std::vector<Out> out;
  for (auto& s : ss) out.push_back(collect(*s));
  return out;
}

std::string llama() { return std::string(SUNBAE_FIXTURES_DIR) + "/llama"; }

TEST(EngineDeviceDraw, SeededSamplingDrawsTheHostsTokens) {
  const std::vector<Out> host = run(std::make_unique<CpuModelRunner>(model::Model::load(llama()), 256), false);
  auto drawing = std::make_unique<DrawingRunner>(model::Model::load(llama()), 256);
  DrawingRunner* d = drawing.get();
  Engine e(std::move(drawing), nullptr, EngineOptions{});
  std::vector<std::shared_ptr<RequestStream>> ss;
  for (int i = 0; i < 8; ++i) ss.push_back(e.submit(sampled(i, false)));
  for (int i = 0; i < 8; ++i) {
    const Out o = collect(*ss[size_t(i)]);
    EXPECT_EQ(o.ids, host[size_t(i)].ids) << "request " << i;
    EXPECT_EQ(o.finish, FinishReason::Length);
  }
  EXPECT_GT(d->device_steps.load(), 0);
  // Every forward ran inside forward_sample: no step needed the host.
  EXPECT_EQ(d->forward_calls.load(), d->device_steps.load());
}

TEST(EngineDeviceDraw, ARowThatNeedsTheHostTakesItsStepsThere) {
  const std::vector<Out> host = run(std::make_unique<CpuModelRunner>(model::Model::load(llama()), 256), true);
  auto drawing = std::make_unique<DrawingRunner>(model::Model::load(llama()), 256);
  DrawingRunner* d = drawing.get();
  const std::vector<Out> mixed = run(std::move(drawing), true);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(mixed[i].ids, host[i].ids) << "request " << i;
  // Request 3 asks for logprobs: the steps it is in run forward() alone.
  EXPECT_GT(d->forward_calls.load(), d->device_steps.load());
}

TEST(EngineDeviceDraw, ANanRowEndsOnlyItsSequence) {
  auto drawing = std::make_unique<DrawingRunner>(model::Model::load(llama()), 256);
  DrawingRunner* d = drawing.get();
  Engine e(std::move(drawing), nullptr, EngineOptions{});
  d->nan_step = 5;  // every sequence's sixth token
  const Out o = collect(*e.submit(sampled(0, false)));
  EXPECT_EQ(o.finish, FinishReason::Abort);
  EXPECT_NE(o.error.find("NaN"), std::string::npos) << o.error;
  EXPECT_EQ(o.ids.size(), 5u);
  d->nan_step = -1;
  const Out ok = collect(*e.submit(sampled(1, false)));
  EXPECT_EQ(ok.finish, FinishReason::Length);
  EXPECT_EQ(ok.ids.size(), 12u);
}

}  // namespace
}  // namespace sunbae::engine
