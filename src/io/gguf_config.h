#pragma once
// GGUF metadata -> ModelConfig. The metadata is first turned into the config.json transformers
// would hold for the same model, then parsed by the same code as config.json, so both sources
// pass the same validation and yield the same features.
#include <string>

#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "io/model_config.h"

namespace sunbae::io {

// general.architecture values Sunbae reads: "llama" (Llama, Mistral) and "qwen2".
// Throws Error naming the file and key for a missing or invalid field, an architecture it does
// not support, or a feature it would silently get wrong (partial rotary, unknown rope scaling).
// rope_freqs.weight (llama3 scaling as per-frequency divisors) becomes RopeConfig::freq_factors.
nlohmann::json gguf_hf_config(const GgufFile& g);
ModelConfig gguf_model_config(const GgufFile& g);

}  // namespace sunbae::io
