#include <omp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "bench/membw.h"
#include "bench/shapes.h"
#include "bench/synthetic.h"
#include "commands.h"
#include "core/error.h"
#include "engine/generate.h"
#include "io/files.h"
#include "kernels/cpu/isa.h"
#ifdef SUNBAE_HAVE_CUDA
#include "model/cuda/cuda_bench.h"
#endif

namespace sunbae::app {

namespace {
int64_t peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

#ifdef SUNBAE_HAVE_CUDA
void print_cuda_table(const nlohmann::ordered_json& j) {
  std::printf("%s on %s: copy bandwidth %.0f GB/s, decode step reads %.0f MB -> floor %.1f tok/s at batch 1\n",
              j["model"].get<std::string>().c_str(), j["gpu"].get<std::string>().c_str(), j["copy_gb_per_s"].get<double>(),
              j["decode_step_mb"].get<double>(), j["decode_floor_tokens_per_s"].get<double>());
  const int tp = j["tensor_parallel"].get<int>();
  if (tp > 1)
    std::printf("tensor parallel over %d GPUs: memory columns are rank 0's; all-reduce %% is the share of a decode step "
                "(outside graphs) spent in NCCL collectives on rank 0\n", tp);
  std::printf("| batch | TTFT(%ld) ms | prefill tok/s | decode tok/s | %% of floor | ctx | weights MB | KV MB | act MB | VRAM MB | all-reduce %% |\n",
              long(j["prompt_tokens"].get<int64_t>()));
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : j["runs"]) {
    if (r.contains("error")) {
      std::printf("| %ld | error: %s |\n", long(r["batch"].get<int64_t>()), r["error"].get<std::string>().c_str());
      continue;
    }
    const std::string pct = r.contains("decode_pct_of_floor") ? cat(std::lround(r["decode_pct_of_floor"].get<double>())) + "%" : "-";
    const std::string share = r.contains("allreduce_pct") ? cat(std::round(r["allreduce_pct"].get<double>() * 10) / 10) : "-";
    std::printf("| %ld | %.1f | %.0f | %.1f | %s | %ld | %.0f | %.0f | %.0f | %.0f | %s |\n", long(r["batch"].get<int64_t>()),
                r["ttft_ms"].get<double>(), r["prefill_tokens_per_s"].get<double>(), r["decode_tokens_per_s"].get<double>(),
                pct.c_str(), long(r["context_tokens"].get<int64_t>()), r["weights_mb"].get<double>(),
                r["kv_cache_mb"].get<double>(), r["activations_mb"].get<double>(), r["device_vram_used_mb"].get<double>(),
                share.c_str());
  }
}
#endif
}  // namespace

Run add_bench(CLI::App& app) {
  struct Opts {
    std::string dir, shape, config, dtype = "bf16", json_out, device = "cpu";
    int64_t prompt = 128, gen = 32, layers = 0, threads = 0, bandwidth_mib = 1024, context = 4096;
    int tensor_parallel = 1;
    std::vector<int64_t> batches = {1, 16, 64};
    double gpu_memory_mb = 0;
    bool print_config = false;
  };
  auto o = std::make_shared<Opts>();
  auto* src = app.add_option_group("model", "what to run (one of)");
  src->add_option("--model", o->dir, "Hugging Face model directory or GGUF file");
  src->add_option("--shape", o->shape, "Named real-model shape with random weights (e.g. mistral-7b)");
  src->add_option("--config", o->config, "A config.json to build with random weights");
  src->require_option(0, 1);  // none with `bench serve`; checked below otherwise
  CLI::App* serve = app.add_subcommand("serve", "Load-test a running OpenAI-compatible server");
  const Run serve_run = add_bench_serve(*serve);
  app.add_option("--dtype", o->dtype, "Weight dtype of synthetic weights")
      ->check(CLI::IsMember({"bf16", "f16", "f32"}))->capture_default_str();
  app.add_option("--layers", o->layers, "Synthetic only: build this many layers (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prompt", o->prompt, "Prompt tokens (prefill)")->capture_default_str();
  app.add_option("--gen", o->gen, "Generated tokens (decode, batch 1)")->capture_default_str();
  app.add_option("--threads", o->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--bandwidth-mib", o->bandwidth_mib, "Buffer size of the memory-bandwidth probe")
      ->check(CLI::Range(16, 1 << 16))->capture_default_str();
  app.add_option("--device", o->device, "Backend")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.add_option("--batch", o->batches, "CUDA: decode batch sizes to time")->delimiter(',')->capture_default_str();
  app.add_option("--context", o->context, "CUDA: KV capacity of the batch-1 run, in tokens")->capture_default_str();
  app.add_option("--tensor-parallel", o->tensor_parallel,
                 "CUDA: split the model across GPUs 0..N-1 (NCCL); reports the all-reduce time share")
      ->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--gpu-memory", o->gpu_memory_mb,
                 "CUDA: MB of GPU memory to use in all (imitates a smaller card); 0: 90% of free")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--print-config", o->print_config,
               "Print the config.json of --shape and exit (for bench/transformers_bench.py)");
  app.add_option("--json", o->json_out, "Also write the results as JSON to this file");
  return [o, serve, serve_run] {
    if (serve->parsed()) return serve_run();
    SUNBAE_CHECK(!o->dir.empty() || !o->shape.empty() || !o->config.empty(),
                 "bench needs one of --model, --shape or --config (or the `serve` subcommand)");
#ifndef SUNBAE_HAVE_CUDA
    SUNBAE_CHECK(o->device == "cpu", "--device cuda: this build has no CUDA backend (configure with -DSUNBAE_CUDA=ON)");
#endif
    if (o->print_config) {
      SUNBAE_CHECK(!o->shape.empty(), "--print-config needs --shape");
      std::printf("%s\n", bench::find_shape(o->shape).config_json.c_str());
      return 0;
    }
    SUNBAE_CHECK(o->prompt >= 1 && o->gen >= 2, "--prompt must be >= 1 and --gen >= 2");
    SUNBAE_CHECK(o->tensor_parallel == 1 || o->device == "cuda",
                 "--tensor-parallel > 1 needs --device cuda (CPU ranks share one memory bus: nothing to gain)");
    if (o->threads > 0) omp_set_num_threads(int(o->threads));
    const auto t_load = std::chrono::steady_clock::now();
    std::unique_ptr<model::Model> m;
    std::shared_ptr<const model::TensorSource> weights;  // shared with tensor-parallel ranks
    std::string what;
    if (!o->dir.empty()) {
      SUNBAE_CHECK(o->layers == 0, "--layers applies to synthetic weights only");
      auto [config, source] = model::Model::open(o->dir);
      weights = std::move(source);
      m = model::Model::load_shard(config, weights, model::tp_shard(config, 1, 0));
      what = o->dir;
    } else {
      std::string json;
      if (!o->shape.empty()) {
        const bench::NamedShape& s = bench::find_shape(o->shape);
        SUNBAE_CHECK(s.supported, "--shape ", s.name, " (", s.hf_model,
                     "): its architecture is not supported yet; supported: ",
                     io::supported_architectures());
        json = s.config_json;
        what = s.name + " (" + s.hf_model + " shape, random " + o->dtype + " weights)";
      } else {
        json = io::read_text_file(o->config);
        what = o->config + " (random " + o->dtype + " weights)";
      }
      io::ModelConfig c = io::parse_model_config(json, "", o->shape.empty() ? o->config : o->shape);
      if (o->layers > 0) {
        SUNBAE_CHECK(o->layers <= c.num_layers, "--layers ", o->layers, " > model's ", c.num_layers);
        c.num_layers = o->layers;
        c.layer_sliding.resize(size_t(c.num_layers));
        what += ", first " + std::to_string(o->layers) + " layers";
      }
      const DType dt = o->dtype == "bf16" ? DType::BF16 : o->dtype == "f16" ? DType::F16 : DType::F32;
      // On the GPU the values are made there: the host tensors stay unfilled placeholders.
      const bool on_gpu = o->device == "cuda";
      if (!on_gpu) std::fprintf(stderr, "building %s ...\n", what.c_str());
      weights = std::make_shared<bench::SyntheticWeights>(c, dt, 1234, !on_gpu);
      m = model::Model::load_shard(c, weights, model::tp_shard(c, 1, 0));
    }
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
    const io::ModelConfig& c = m->config();

#ifdef SUNBAE_HAVE_CUDA
    if (o->device == "cuda") {
      // The CUDA weights take F32/BF16/F16 only; block formats run on the CPU for now.
      for (const std::string& t : m->weights().dtypes)
        SUNBAE_CHECK(t == "F32" || t == "BF16" || t == "F16", o->dir, ": ", t,
                     " weights run on the CPU only for now (--device cpu)");
      model::CudaBenchOptions bo;
      bo.prompt = o->prompt;
      bo.gen = o->gen;
      bo.batches = o->batches;
      bo.context = o->context;
      bo.gpu_memory_mb = o->gpu_memory_mb;
      bo.tensor_parallel = o->tensor_parallel;
      bo.weights = weights;
      if (o->dir.empty()) bo.synthetic_seed = 1234;
      nlohmann::ordered_json j = model::cuda_bench(*m, bo);
      j["model"] = what;
      print_cuda_table(j);
      if (!o->json_out.empty()) io::write_file_atomic(o->json_out, j.dump(1) + "\n");
      return 0;
    }
#endif
    std::mt19937 rng(7);
    std::vector<int32_t> prompt(size_t(o->prompt));
    for (auto& id : prompt) id = int32_t(rng() % uint32_t(c.vocab_size));
    engine::GenerateOptions g;
    g.ignore_eos = true;
    g.prefill_chunk = o->prompt;
    // Warm-up: fault in mmapped weights and thread pools, outside the timed run.
    g.max_tokens = 2;
    engine::generate(*m, std::vector<int32_t>(prompt.begin(), prompt.begin() + std::min<int64_t>(8, o->prompt)), g);
    std::fprintf(stderr, "timing prefill %ld + decode %ld ...\n", long(o->prompt), long(o->gen));
    g.max_tokens = o->gen;
    engine::GenerateResult r = engine::generate(*m, prompt, g);

    const int64_t peak_kb = peak_rss_kb();  // before the bandwidth probe adds its buffer
    std::fprintf(stderr, "measuring memory read bandwidth ...\n");
    const double bw_gbps = bench::measure_read_gbps(int(o->bandwidth_mib));
    // A batch-1 decode step reads every weight once but the embedding table (one row of it);
    // KV reads are small next to that at these lengths.
    const int64_t step_bytes = m->weights().bytes -
                               (c.tie_word_embeddings ? 0 : int64_t(m->weights().embed.nbytes()));
    const double floor_tps = bw_gbps * 1e9 / double(step_bytes);
    const double prefill_tps = double(o->prompt) / r.prefill_seconds;
    const double decode_tps = double(r.tokens.size() - 1) / r.decode_seconds;
    nlohmann::ordered_json j = {
        {"model", what},
        {"device", "cpu"},
        {"isa", kernels::cpu::isa_name(kernels::cpu::active_isa())},
        {"threads", omp_get_max_threads()},
        {"architecture", c.architecture},
        {"layers", c.num_layers},
        {"weight_dtypes", m->weights().dtypes},
        {"weights_mb", double(m->weights().bytes) / (1 << 20)},
        {"load_s", load_s},
        {"prompt_tokens", o->prompt},
        {"gen_tokens", int64_t(r.tokens.size())},
        {"prefill_s", r.prefill_seconds},
        {"prefill_tokens_per_s", prefill_tps},
        {"ttft_ms", 1000.0 * r.prefill_seconds},
        {"decode_tokens_per_s", decode_tps},
        {"decode_ms_per_token", 1000.0 / decode_tps},
        {"decode_weight_gb_per_s", double(step_bytes) * decode_tps / 1e9},
        {"measured_read_gb_per_s", bw_gbps},
        {"decode_floor_tokens_per_s", floor_tps},
        {"decode_pct_of_floor", 100.0 * decode_tps / floor_tps},
        {"peak_rss_mb", double(peak_kb) / 1024.0},
    };
    std::printf("| %-24s | %s\n|%s|%s\n", "metric", "value", std::string(26, '-').c_str(),
                std::string(40, '-').c_str());
    for (auto& [k, v] : j.items()) {
      std::string s = v.is_string() ? v.get<std::string>()
                      : v.is_number_float() ? cat(std::round(v.get<double>() * 100) / 100)
                                            : v.dump();
      std::printf("| %-24s | %s\n", k.c_str(), s.c_str());
    }
    if (!o->json_out.empty()) io::write_file_atomic(o->json_out, j.dump(1) + "\n");
    return 0;
  };
}

}  // namespace sunbae::app
