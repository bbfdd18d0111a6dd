#!/usr/bin/env python3
"""transformers on the same shape and GPU as `sunbae bench --device cuda`: the Python stack the
seed report measured (model.generate, bf16, greedy), with random weights at the published config.

  python3 bench/transformers_bench.py --sunbae build-gpu/sunbae --shape mistral-7b \
      --prompt 512 --gen 128 [--sunbae-json results/cuda-mistral-7b.json] [--json out.json]

Prints a table (and the ratio Sunbae / transformers when --sunbae-json is given) and writes JSON.
"""
import argparse
import json
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sunbae", required=True, help="the sunbae binary (for the shape's config.json)")
    ap.add_argument("--shape", default="mistral-7b")
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa, eager)")
    ap.add_argument("--sunbae-json", help="sunbae bench --json output of the same shape, for the ratio")
    ap.add_argument("--json", help="write results here")
    a = ap.parse_args()

    import torch
    import transformers

    cfg_json = subprocess.run([a.sunbae, "bench", "--shape", a.shape, "--print-config"], check=True,
                              capture_output=True, text=True).stdout
    cfg = transformers.AutoConfig.for_model(**json.loads(cfg_json))
    print(f"building {a.shape} with random bf16 weights on the GPU ...", file=sys.stderr, flush=True)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16,
                                                              attn_implementation=a.attn)
    model.eval()
    ids = torch.randint(3, cfg.vocab_size, (1, a.prompt), device="cuda")
    gen_kw = dict(do_sample=False, max_new_tokens=a.gen, min_new_tokens=a.gen, eos_token_id=None,
                  pad_token_id=0)

    def timed(fn):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        return time.perf_counter() - t0, out

    with torch.inference_mode():
        model.generate(ids, **dict(gen_kw, max_new_tokens=4, min_new_tokens=4))  # warm-up
        ttft = sorted(timed(lambda: model.generate(ids, **dict(gen_kw, max_new_tokens=1, min_new_tokens=1)))[0]
                      for _ in range(3))[1]
        total, out = timed(lambda: model.generate(ids, **gen_kw))
    assert out.shape[1] == a.prompt + a.gen, out.shape
    decode_tps = (a.gen - 1) / (total - ttft)
    res = {"engine": f"transformers {transformers.__version__} (torch {torch.__version__}, {a.attn}, generate)",
           "gpu": torch.cuda.get_device_name(), "shape": a.shape, "prompt_tokens": a.prompt, "gen_tokens": a.gen,
           "ttft_ms": ttft * 1e3, "decode_tokens_per_s": decode_tps,
           "vram_peak_mb": torch.cuda.max_memory_allocated() / 2**20}
    rows = [("transformers", res["ttft_ms"], decode_tps)]
    if a.sunbae_json:
        s = json.load(open(a.sunbae_json))
        b1 = next(r for r in s["runs"] if r["batch"] == 1 and "error" not in r)
        res["sunbae"] = {"ttft_ms": b1["ttft_ms"], "decode_tokens_per_s": b1["decode_tokens_per_s"]}
        res["decode_ratio"] = b1["decode_tokens_per_s"] / decode_tps
        res["ttft_ratio"] = res["ttft_ms"] / b1["ttft_ms"]
        rows.append(("sunbae", b1["ttft_ms"], b1["decode_tokens_per_s"]))
    print(f"{a.shape} on {res['gpu']}, prompt {a.prompt}, {a.gen} generated, batch 1, bf16")
    print("| engine | TTFT ms | decode tok/s |\n|---|---|---|")
    for name, t, d in rows:
        print(f"| {name} | {t:.1f} | {d:.1f} |")
    if "decode_ratio" in res:
        print(f"sunbae / transformers: decode {res['decode_ratio']:.1f}x, TTFT {res['ttft_ratio']:.1f}x faster")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
