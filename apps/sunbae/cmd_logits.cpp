#include <cstdio>

#include "commands.h"
#include "io/safetensors.h"
#include "model/model.h"

namespace sunbae::app {

Run add_logits(CLI::App& app) {
  struct Opts {
    std::string dir, ids, out;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--model", o->dir, "Hugging Face model directory or GGUF file")->required();
  app.add_option("--ids", o->ids, "Comma-separated prompt token ids")->required();
  app.add_option("--out", o->out, "Output safetensors file (one F32 tensor 'logits' [n, vocab])")->required();
  return [o] {
    const std::vector<int32_t> ids = parse_ids(o->ids);
    auto m = model::Model::load(o->dir);
    kv::BlockAllocator alloc(kv::blocks_for_tokens(int64_t(ids.size())));
    kv::KVCache cache(m->kv_layout(alloc.num_blocks()));
    kv::BlockTable table;
    table.reserve(alloc, int64_t(ids.size()));
    model::Batch b;
    model::SequenceStep st;
    st.tokens = ids;
    st.blocks = &table.blocks();
    for (size_t i = 0; i < ids.size(); ++i) st.logit_rows.push_back(int32_t(i));
    b.seqs.push_back(std::move(st));
    model::Logits lg = m->forward(b, cache);
    TensorView t{lg.data.data(), DType::F32, {lg.rows, lg.vocab}};
    io::write_safetensors(o->out, {{"logits", t}});
    std::fprintf(stderr, "wrote logits %s to %s\n", shape_str(t.shape).c_str(), o->out.c_str());
    return 0;
  };
}

}  // namespace sunbae::app
