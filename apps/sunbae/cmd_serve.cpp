// sunbae serve: the OpenAI-compatible HTTP server over the batching engine.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>
#include <tuple>

#include "commands.h"
#include "bench/shapes.h"
#include "bench/synthetic.h"
#include "core/error.h"
#include "io/files.h"
#include "engine/engine.h"
#include "engine/generate.h"
#include "engine/model_runner.h"
#include "feedback/feedback_job.h"
#include "text_model.h"
#ifdef SUNBAE_HAVE_CUDA
#include "engine/cuda_model_runner.h"
#include "engine/cuda_tp_model_runner.h"
#endif
#include "server/http_server.h"

namespace sunbae::app {

namespace {

bool has_tokenizer(const std::string& dir) {
  namespace fs = std::filesystem;
  // A GGUF file carries its vocabulary in its metadata.
  if (fs::is_regular_file(dir) && fs::path(dir).extension() == ".gguf") return true;
  return fs::exists(fs::path(dir) / "tokenizer.json") || fs::exists(fs::path(dir) / "tokenizer.json.gz");
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void log(const std::string& msg) {
  std::fprintf(stderr, "[sunbae serve] %s\n", msg.c_str());
  std::fflush(stderr);
}

}  // namespace

Run add_serve(CLI::App& app) {
  struct Opts {
    std::string dir, shape, config, dtype = "bf16", host = "127.0.0.1", name, api_key, origins, device = "cpu", data_dir;
    int port = 8000;
    int64_t max_num_seqs = 256, max_batch_tokens = 2048, max_queue = 1024, kv_cache_mb = 4096, kv_blocks = 0;
    int64_t max_body_bytes = 8 << 20;
    int64_t max_model_len = 0;
    int http_threads = 512, tensor_parallel = 1;
    double shutdown_timeout = 30.0, gpu_memory_mb = 0;
    bool no_prefix_cache = false, host_sampling = false;
    int64_t step_delay_ms = 0;
    int grammar_workers = -1;
    int64_t grammar_cache_mb = int64_t(grammar::MaskCache::kDefaultBytes >> 20);
  };
  auto o = std::make_shared<Opts>();
  auto* model_opt = app.add_option("--model", o->dir,
                                   "Hugging Face model directory or GGUF file (default: the built-in default model)");
  // Serving benchmarks at a real model's shape: random weights (made on the GPU with --device
  // cuda), no tokenizer, so prompts are token ids.
  auto* shape_opt = app.add_option("--shape", o->shape, "Random weights at a named model's shape (see sunbae bench)")
                        ->excludes(model_opt);
  app.add_option("--config", o->config, "Random weights at this config.json's shape")->excludes(model_opt)
      ->excludes(shape_opt);
  app.add_option("--dtype", o->dtype, "Weight dtype of random weights")->check(CLI::IsMember({"bf16", "f16", "f32"}))
      ->capture_default_str();
  app.add_option("--data-dir", o->data_dir, "Read prompts and the question bank from this data/ folder instead of the embedded copies");
  app.add_option("--host", o->host, "Address to listen on")->capture_default_str();
  app.add_option("--port", o->port, "Port to listen on (0: any free port, printed)")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--served-model-name", o->name, "Model name clients use (default: the directory's name)");
  app.add_option("--device", o->device, "Backend")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.add_option("--max-num-seqs", o->max_num_seqs, "Most sequences in a step's batch")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-batch-tokens", o->max_batch_tokens, "Token budget of one step (prefill chunks + decodes)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--max-queue", o->max_queue, "Waiting requests before new ones get 429")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--kv-cache-mb", o->kv_cache_mb, "KV cache size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--gpu-memory", o->gpu_memory_mb, "CUDA: MB of GPU memory to use in all; 0: 90% of free")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--tensor-parallel", o->tensor_parallel,
                 "Split the model across this many ranks (CUDA: GPUs 0..N-1 over NCCL; CPU: threads)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--kv-blocks", o->kv_blocks, "KV cache size in 16-token blocks (overrides --kv-cache-mb)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-model-len", o->max_model_len,
                 "Longest prompt + output served (default: the model's context); shorter saves memory")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-prefix-caching", o->no_prefix_cache, "Do not reuse the KV of shared prompt prefixes");
  app.add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' on /v1 routes")
      ->envname("SUNBAE_API_KEY");
  app.add_option("--allowed-origins", o->origins, "CORS: comma-separated origins, or *; off when absent");
  app.add_option("--shutdown-timeout", o->shutdown_timeout, "Seconds SIGTERM waits for requests in flight")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--http-threads", o->http_threads, "HTTP worker threads (each open stream holds one)")
      ->capture_default_str()->check(CLI::Range(4, 4096));
  app.add_option("--max-body-bytes", o->max_body_bytes, "Larger request bodies get 413")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--host-sampling", o->host_sampling,
               "CUDA: copy every step's logits to the host and draw there (to time device sampling against)")
      ->group("Testing");
  app.add_option("--grammar-workers", o->grammar_workers,
                 "Threads computing response_format masks while the model runs (-1: half the cores, 1 to 8; "
                 "0: on the engine thread, no overlap)")
      ->capture_default_str()->check(CLI::Range(-1, 64));
  app.add_option("--grammar-cache-mb", o->grammar_cache_mb, "Bound on the response_format masks kept, over all schemas")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--step-delay-ms", o->step_delay_ms,
                 "Sleep added to every engine step: lets tests catch requests in flight on tiny models")
      ->check(CLI::NonNegativeNumber)->group("Testing");
  return [o] {
    if (!o->shape.empty()) {
      const bench::NamedShape& s = bench::find_shape(o->shape);
      SUNBAE_CHECK(s.supported, "--shape ", s.name, ": its architecture is not supported yet");
    }
#ifndef SUNBAE_HAVE_CUDA
    SUNBAE_CHECK(o->device == "cpu", "--device cuda: this build has no CUDA backend (configure with -DSUNBAE_CUDA=ON)");
#endif
    // Signals are taken by sigwait below, never by a random thread; a client that leaves must not
    // kill the process with SIGPIPE.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    if (o->shape.empty() && o->config.empty()) o->dir = model_or_default(o->dir);
    server::ServerOptions so;
    so.feedback = feedback::Assets::load(feedback::DataFiles(o->data_dir));
    so.host = o->host;
    so.port = o->port;
    so.api_key = o->api_key;
    so.allowed_origins = split_commas(o->origins);
    so.http_threads = o->http_threads;
    so.max_body_bytes = o->max_body_bytes;
    server::HttpServer http(so);
    http.bind();
    http.start();
    log("listening on http://" + o->host + ":" + std::to_string(http.port()) + " (loading " +
        (o->dir.empty() ? "random weights at " + o->shape + o->config : o->dir) + ")");

    std::atomic<bool> loaded{false};
    std::string load_error;
    std::shared_ptr<engine::Engine> engine;
    std::thread loader([&] {
      try {
        io::ModelConfig config;
        std::unique_ptr<model::TensorSource> weights;
        bool synthetic_on_gpu = false;
        if (!o->dir.empty()) {
          std::tie(config, weights) = model::Model::open(o->dir);
        } else {
          config = o->shape.empty() ? io::parse_model_config(io::read_text_file(o->config), "", o->config)
                                    : io::parse_model_config(bench::find_shape(o->shape).config_json, "", o->shape);
          const DType dt = o->dtype == "bf16" ? DType::BF16 : o->dtype == "f16" ? DType::F16 : DType::F32;
          // On the GPU the values are made there: the host tensors stay unfilled placeholders.
          synthetic_on_gpu = o->device == "cuda";
          weights = std::make_unique<bench::SyntheticWeights>(config, dt, 1234, !synthetic_on_gpu);
        }
        const int64_t model_context = engine::context_length(config);
        SUNBAE_CHECK(o->max_model_len <= model_context, "--max-model-len ", o->max_model_len,
                     " exceeds the model's context of ", model_context, " tokens");
        const int64_t context = o->max_model_len > 0 ? o->max_model_len : model_context;
        const int tp = o->tensor_parallel;
        std::unique_ptr<engine::ModelRunner> runner;
#ifdef SUNBAE_HAVE_CUDA
        if (o->device == "cuda") {
          model::CudaOptions co;
          co.max_batch_tokens = o->max_batch_tokens;
          co.max_seqs = o->max_num_seqs;
          co.max_context = context;
          co.kv_blocks = o->kv_blocks;
          co.gpu_memory_mb = o->gpu_memory_mb;
          if (synthetic_on_gpu) co.synthetic_seed = 1234;
          if (tp > 1) {
            runner = std::make_unique<engine::CudaTensorParallelRunner>(model::CudaTensorParallel::create(
                config, std::shared_ptr<const model::TensorSource>(std::move(weights)), tp, co));
          } else {
            auto cuda_runner = std::make_unique<engine::CudaModelRunner>(
                model::Model::from_parts(std::move(config), std::move(weights)), co);
            cuda_runner->set_device_sampling(!o->host_sampling);
            runner = std::move(cuda_runner);
          }
        }
#endif
        if (!runner && tp > 1) {
          // The whole model's KV bytes per block, so --kv-cache-mb buys as many blocks as one rank
          // would get (split over the ranks' caches).
          const int64_t per_block = kv::KVLayout{config.num_layers, config.num_kv_heads, config.head_dim, 1}.bytes();
          const int64_t blocks = o->kv_blocks > 0 ? o->kv_blocks
                                                  : std::min(std::max<int64_t>(1, (o->kv_cache_mb << 20) / per_block),
                                                             o->max_num_seqs * kv::blocks_for_tokens(context));
          runner = std::make_unique<engine::CpuTensorParallelRunner>(std::make_unique<model::CpuTensorParallel>(
              std::move(config), std::shared_ptr<const model::TensorSource>(std::move(weights)), tp, blocks));
        }
        if (!runner) {
          auto model = model::Model::from_parts(std::move(config), std::move(weights));
          // By default no more than every running sequence at full context could use.
          const int64_t blocks =
              o->kv_blocks > 0 ? o->kv_blocks
                               : std::min(engine::kv_blocks_for_bytes(*model, o->kv_cache_mb << 20),
                                          o->max_num_seqs * kv::blocks_for_tokens(context));
          runner = std::make_unique<engine::CpuModelRunner>(std::move(model), blocks);
        }
        const int64_t blocks = runner->num_kv_blocks();
        const std::string device = runner->device();
        std::shared_ptr<const tok::Tokenizer> tokenizer;
        std::shared_ptr<const tmpl::ChatTemplate> chat;
        if (!o->dir.empty() && has_tokenizer(o->dir)) {
          tokenizer = tok::Tokenizer::load(o->dir);
          chat = std::make_shared<const tmpl::ChatTemplate>(tmpl::ChatTemplate::compile(
              tokenizer->chat_template().empty() ? tmpl::koalpaca_template() : tokenizer->chat_template()));
        } else {
          log("no tokenizer.json: prompts must be token ids, text fields stay empty, chat is off");
        }
        engine::EngineOptions eo;
        eo.scheduler.max_num_seqs = o->max_num_seqs;
        eo.scheduler.max_batch_tokens = o->max_batch_tokens;
        eo.max_queue = o->max_queue;
        eo.prefix_caching = !o->no_prefix_cache;
        eo.max_model_len = context;
        eo.step_delay = std::chrono::milliseconds(o->step_delay_ms);
        eo.grammar_workers = o->grammar_workers;
        eo.grammar_cache_bytes = size_t(o->grammar_cache_mb) << 20;
        engine = std::make_shared<engine::Engine>(std::move(runner), tokenizer, eo);
        server::ServingModel sm;
        const std::string src = !o->dir.empty()     ? o->dir
                                : !o->shape.empty() ? o->shape
                                                    : std::filesystem::path(o->config).parent_path().string();
        sm.name = o->name.empty() ? std::filesystem::path(src).lexically_normal().filename().string() : o->name;
        if (sm.name.empty()) sm.name = std::filesystem::path(src).parent_path().filename().string();
        sm.engine = engine;
        sm.tokenizer = tokenizer;
        sm.chat_template = chat;
        http.set_model(sm);
        log("ready: model '" + sm.name + "' on " + device + ", " + std::to_string(blocks) + " KV blocks, context " +
            std::to_string(engine->context_length()));
        loaded = true;
      } catch (const std::exception& e) {
        load_error = e.what();
        kill(getpid(), SIGTERM);
      }
    });

    int sig = 0;
    sigwait(&set, &sig);
    loader.join();
    if (!load_error.empty()) {
      http.stop();
      fail("cannot load ", o->dir.empty() ? (o->shape.empty() ? o->config : o->shape) : o->dir, ": ", load_error);
    }
    log(std::string("got ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ": draining (up to " +
        std::to_string(o->shutdown_timeout) + " s)");
    http.begin_drain();
    engine->stop_intake();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o->shutdown_timeout);
    while (!engine->idle() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!engine->idle()) {
      log("drain timed out: aborting the requests still running");
      engine->abort_all();
      for (int i = 0; i < 500 && !engine->idle(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    http.stop();
    log("stopped");
    return 0;
  };
}

}  // namespace sunbae::app
