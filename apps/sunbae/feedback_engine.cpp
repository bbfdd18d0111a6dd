#include <ctime>
#include <filesystem>

#include "core/error.h"
#include "engine/generate.h"
#include "engine/model_runner.h"
#include "feedback_cli.h"
#include "kv/block_allocator.h"

namespace sunbae::app {

using json = nlohmann::json;

FeedbackEngine load_feedback_engine(const std::string& path, const std::string& data_dir, int64_t concurrency,
                                    int64_t kv_cache_mb) {
  FeedbackEngine fe;
  // The data first: a malformed bank or template should fail before seconds of model loading.
  fe.assets = feedback::Assets::load(feedback::DataFiles(data_dir));
  auto model = model::Model::load(path);
  const int64_t context = engine::context_length(model->config());
  const int64_t blocks = std::min(engine::kv_blocks_for_bytes(*model, kv_cache_mb << 20),
                                  concurrency * kv::blocks_for_tokens(context));
  auto runner = std::make_unique<engine::CpuModelRunner>(std::move(model), blocks);
  fe.tokenizer = tok::Tokenizer::load(path);
  const std::string& src = fe.tokenizer->chat_template();
  fe.chat_template =
      std::make_shared<const tmpl::ChatTemplate>(tmpl::ChatTemplate::compile(src.empty() ? tmpl::koalpaca_template() : src));
  engine::EngineOptions eo;
  eo.scheduler.max_num_seqs = concurrency;
  fe.engine = std::make_shared<engine::Engine>(std::move(runner), fe.tokenizer, eo);
  fe.model_name = std::filesystem::path(path).lexically_normal().filename().string();
  return fe;
}

json run_feedback(const FeedbackEngine& fe, const json& request, const std::string& id) {
  const auto r = feedback::parse_feedback_request(request);
  const auto prep =
      feedback::prepare_feedback(r, *fe.assets, *fe.tokenizer, *fe.chat_template, fe.engine->context_length());
  auto stream = fe.engine->submit({prep.prompt, prep.params});
  std::string text, error;
  int64_t tokens = 0, cached = 0;
  engine::FinishReason finish = engine::FinishReason::None;
  std::vector<engine::Event> evs;
  while (!stream->done()) {
    evs.clear();
    stream->next(evs, std::chrono::milliseconds(100));
    for (const auto& e : evs) {
      text += e.text;
      tokens += int64_t(e.token_ids.size());
      if (!e.error.empty()) error = e.error;
      if (e.finish != engine::FinishReason::None) finish = e.finish, cached = e.cached_tokens;
    }
  }
  if (!error.empty()) throw feedback::FeedbackFailure(cat("the engine failed the request: ", error));
  return feedback::feedback_response(prep, text, finish, {int64_t(prep.prompt.size()), tokens, cached}, id,
                                     int64_t(std::time(nullptr)), fe.model_name);
}

}  // namespace sunbae::app
