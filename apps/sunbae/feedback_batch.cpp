#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>

#include "core/error.h"
#include "feedback_cli.h"

namespace sunbae::app {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Job {
  size_t line = 0;
  feedback::PreparedFeedback prep;
  std::shared_ptr<engine::RequestStream> stream;
  std::string text, error;
  int64_t tokens = 0, cached = 0;
  engine::FinishReason finish = engine::FinishReason::None;
};

json failure(size_t line, const std::string& message, const std::string& param = {}) {
  return {{"line", line}, {"error", {{"message", message}, {"param", param.empty() ? json(nullptr) : json(param)}}}};
}

std::string clock_text(double s) {
  if (!(s >= 0) || s > 359999) return "--:--";
  const int t = int(s + 0.5);
  char buf[16];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02d:%02d", t / 60, t % 60);
  return buf;
}

class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO)) {}
  void update(size_t done, int64_t tokens, double elapsed, bool last = false) {
    // A terminal redraws one line often; a log file gets a line every few seconds.
    const double every = tty_ ? 0.2 : 5.0;
    if (!last && elapsed - shown_ < every) return;
    shown_ = elapsed;
    const int width = 30;
    const int fill = total_ ? int(double(done) / double(total_) * width) : width;
    const double tps = elapsed > 0 ? double(tokens) / elapsed : 0;
    const double eta = done ? elapsed / double(done) * double(total_ - done) : -1;
    std::fprintf(stderr, "%s[%s%s] %zu/%zu  %.1f tok/s  ETA %s%s", tty_ ? "\r" : "", std::string(size_t(fill), '#').c_str(),
                 std::string(size_t(width - fill), '.').c_str(), done, total_, tps, clock_text(eta).c_str(),
                 tty_ && !last ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  size_t total_;
  bool tty_;
  double shown_ = -1e9;
};

}  // namespace

BatchSummary run_feedback_batch(const FeedbackEngine& fe, const std::string& input_path, const std::string& output_path,
                                int64_t concurrency) {
  std::ifstream in(input_path);
  SUNBAE_CHECK(in, "cannot read --input ", input_path);
  std::vector<std::pair<size_t, std::string>> lines;
  std::string raw;
  for (size_t n = 1; std::getline(in, raw); ++n)
    if (raw.find_first_not_of(" \t\r") != std::string::npos) lines.push_back({n, raw});
  std::ofstream out(output_path, std::ios::trunc);
  SUNBAE_CHECK(out, "cannot write --output ", output_path);

  BatchSummary sum;
  sum.count = int64_t(lines.size());
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  Progress progress(lines.size());
  std::map<size_t, json> ready;  // by index into `lines`, written in input order
  size_t next_write = 0, next_submit = 0, done = 0;
  std::deque<std::pair<size_t, std::unique_ptr<Job>>> running;
  auto finish = [&](size_t idx, json record) {
    if (record.contains("error")) ++sum.failures;
    ready[idx] = std::move(record);
    ++done;
    for (auto it = ready.find(next_write); it != ready.end(); it = ready.find(next_write)) {
      out << it->second.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
      ready.erase(it);
      ++next_write;
    }
    out.flush();
  };

  uint64_t serial = 0;
  while (done < lines.size()) {
    while (int64_t(running.size()) < concurrency && next_submit < lines.size()) {
      const size_t idx = next_submit++;
      const auto& [line, text] = lines[idx];
      auto job = std::make_unique<Job>();
      job->line = line;
      try {
        const json body = json::parse(text);
        const auto r = feedback::parse_feedback_request(body);
        job->prep = feedback::prepare_feedback(r, *fe.assets, *fe.tokenizer, *fe.chat_template,
                                               fe.engine->context_length());
        job->stream = fe.engine->submit({job->prep.prompt, job->prep.params});
        running.push_back({idx, std::move(job)});
      } catch (const json::exception& e) {
        finish(idx, failure(line, cat("line ", line, ": not valid JSON: ", e.what())));
      } catch (const feedback::InvalidRequest& e) {
        finish(idx, failure(line, cat("line ", line, ": ", e.what()), e.param));
      } catch (const engine::RequestError& e) {
        finish(idx, failure(line, cat("line ", line, ": ", e.what()), e.param));
      }
    }
    std::vector<engine::Event> evs;
    for (auto it = running.begin(); it != running.end();) {
      Job& j = *it->second;
      evs.clear();
      j.stream->next(evs, it == running.begin() ? std::chrono::milliseconds(50) : std::chrono::milliseconds(0));
      for (const auto& e : evs) {
        j.text += e.text;
        j.tokens += int64_t(e.token_ids.size());
        sum.completion_tokens += int64_t(e.token_ids.size());
        if (!e.error.empty()) j.error = e.error;
        if (e.finish != engine::FinishReason::None) j.finish = e.finish, j.cached = e.cached_tokens;
      }
      if (!j.stream->done()) {
        ++it;
        continue;
      }
      char id[24];
      std::snprintf(id, sizeof id, "fb-%016llx", (unsigned long long)(uint64_t(std::time(nullptr)) * 1000003u + ++serial));
      try {
        if (!j.error.empty()) throw feedback::FeedbackFailure(cat("the engine failed the request: ", j.error));
        json resp = feedback::feedback_response(j.prep, j.text, j.finish,
                                                {int64_t(j.prep.prompt.size()), j.tokens, j.cached}, id,
                                                int64_t(std::time(nullptr)), fe.model_name);
        finish(it->first, {{"line", j.line}, {"response", std::move(resp)}});
      } catch (const feedback::FeedbackFailure& e) {
        finish(it->first, failure(j.line, cat("line ", j.line, ": ", e.what())));
      }
      it = running.erase(it);
    }
    progress.update(done, sum.completion_tokens, elapsed());
  }
  sum.wall_s = elapsed();
  progress.update(done, sum.completion_tokens, sum.wall_s, true);
  return sum;
}

}  // namespace sunbae::app
