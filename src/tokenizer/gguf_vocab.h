#pragma once
// A tokenizer from GGUF metadata (tokenizer.ggml.*): the vocabulary, merges, token types and
// special ids are written out as the tokenizer.json (and tokenizer_config.json) that Hugging
// Face would hold for the same model, then loaded by the same pipeline, so GGUF and
// tokenizer.json models share one implementation.
//
// tokenizer.ggml.model "gpt2" (byte-level BPE): merges as given, the pre-tokenizer chosen by
// tokenizer.ggml.pre as llama.cpp does (llama-vocab.cpp) in tokenizers' terms. "llama"
// (SentencePiece BPE, Llama-2 / Mistral): the merge list rebuilt from tokenizer.ggml.scores as
// transformers' converter does, byte fallback, "▁" for spaces. Other models fail clearly.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "tokenizer/tokenizer.h"

namespace sunbae::tok {

struct GgufTokenizerJson {
  nlohmann::json tokenizer;  // tokenizer.json
  nlohmann::json config;     // tokenizer_config.json: chat_template, bos/eos token strings
};

// Throws Error naming the file and key for missing or inconsistent metadata (merges or
// token types that do not match the token list, special ids outside it, unknown pre-tokenizer).
GgufTokenizerJson gguf_tokenizer_json(const io::GgufFile& g);
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const io::GgufFile& g);

}  // namespace sunbae::tok
