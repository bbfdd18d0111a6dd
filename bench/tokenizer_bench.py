#!/usr/bin/env python3
"""Tokenizer encode throughput: Hugging Face `tokenizers` against Sunbae, on the same corpus and
the same tokenizer files.

For each tokenizer (default: all 7 in the shared folder):
  HF 1-thread   a loop of tok.encode(text) in a process started with RAYON_NUM_THREADS=1 and
                TOKENIZERS_PARALLELISM=false (set before `tokenizers` is imported)
  HF batched    tok.encode_batch(all texts) in a process with RAYON_NUM_THREADS=<all cores>
  Sunbae        `build/sunbae bench-tokenizer --tokenizer DIR --corpus FILE --threads N --json OUT`
                for N=1 and N=<all cores>, which reports {"tokens", "strings", "seconds",
                "tokens_per_s", "threads"} with load time excluded.
Each HF measurement is the best of --repeats timed passes after one warm-up pass over the first
strings; tokenizer load time is excluded everywhere. Token counts of HF and Sunbae must agree.

HF reads tokenizer.json decompressed into a temporary folder (Tokenizer.from_file); Sunbae gets
the shared folder itself (it reads tokenizer.json.gz).

The corpus is JSON lines with a "text" field (tests/tokenizer/data/corpus.jsonl by default, about
0.9 MB). --repeat-to 2MB writes a temporary corpus repeating it until at least that size, which
both sides then read.

  python3 bench/tokenizer_bench.py                          # all tokenizers, default corpus
  python3 bench/tokenizer_bench.py --repeat-to 4MB --only qwen3 gemma --json out.json
  python3 bench/tokenizer_bench.py --hf-only                # no Sunbae binary needed

Exit status: 0 all fine; 1 a token count differs; 2 a run failed (e.g. the Sunbae subcommand).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = (REPO / ".." / "shared" / "tokenizers").resolve()
DEFAULT_CORPUS = REPO / "tests" / "tokenizer" / "data" / "corpus.jsonl"
NAMES = ["llama3-instruct", "qwen3", "gemma", "deepseek-v3", "mistral-v0.1", "llama2-rebuilt",
         "mistral-v0.3-rebuilt"]


def all_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def read_texts(path: Path) -> list[str]:
    raw = path.read_bytes()
    # Split on b"\n" only: the texts contain U+2028/U+0085, which str.splitlines() splits on.
    return [json.loads(line)["text"] for line in raw.split(b"\n") if line.strip()]


def parse_size(s: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?", s.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {s!r} (e.g. 2MB, 500k, 3000000)")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


# ---- worker: runs in its own process so the Rayon thread count is fixed before import ---------

def worker(args: argparse.Namespace) -> int:
    from tokenizers import Tokenizer
    import tokenizers

    texts = read_texts(Path(args.corpus))
    tok = Tokenizer.from_file(args.tokenizer_json)
    special = args.add_special_tokens
    warm = texts[: min(len(texts), 200)]
    best = float("inf")
    tokens = 0
    if args.worker == "single":
        for t in warm:
            tok.encode(t, add_special_tokens=special)
        for _ in range(args.repeats):
            n = 0
            t0 = time.perf_counter()
            for t in texts:
                n += len(tok.encode(t, add_special_tokens=special).ids)
            best = min(best, time.perf_counter() - t0)
            tokens = n
    else:
        tok.encode_batch(warm, add_special_tokens=special)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            encs = tok.encode_batch(texts, add_special_tokens=special)
            dt = time.perf_counter() - t0
            best = min(best, dt)
            tokens = sum(len(e.ids) for e in encs)
    other = sum(len(tok.encode(t, add_special_tokens=not special).ids) for t in texts)
    print(json.dumps({"tokens": tokens, "tokens_other_special_setting": other, "strings": len(texts),
                      "seconds": best, "tokens_per_s": tokens / best if best > 0 else 0.0,
                      "threads": int(os.environ.get("RAYON_NUM_THREADS", "0")),
                      "tokenizers_version": tokenizers.__version__}))
    return 0


def run_hf(mode: str, tokenizer_json: Path, corpus: Path, threads: int, repeats: int,
           special: bool) -> dict:
    env = dict(os.environ)
    env["RAYON_NUM_THREADS"] = str(threads)
    env["TOKENIZERS_PARALLELISM"] = "false" if mode == "single" else "true"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--tokenizer-json",
           str(tokenizer_json), "--corpus", str(corpus), "--repeats", str(repeats),
           "--add-special-tokens", "true" if special else "false"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": f"HF {mode} worker failed ({p.returncode}): {p.stderr.strip()[-2000:]}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_sunbae(binary: Path, tok_dir: Path, corpus: Path, threads: int, tmp: Path,
               special: bool) -> dict:
    out = tmp / f"sunbae-{tok_dir.name}-{threads}.json"
    cmd = [str(binary), "bench-tokenizer", "--tokenizer", str(tok_dir), "--corpus", str(corpus),
           "--threads", str(threads), "--json", str(out)] + (["--add-special"] if special else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        return {"error": f"cannot run {binary}: {e}"}
    if p.returncode != 0:
        return {"error": f"`{' '.join(cmd)}` exited {p.returncode}: "
                         f"{(p.stderr or p.stdout).strip()[-2000:]}"}
    try:
        r = json.loads(out.read_text())
    except (OSError, ValueError) as e:
        return {"error": f"`{' '.join(cmd)}` wrote no readable JSON to {out}: {e}"}
    missing = [k for k in ("tokens", "strings", "seconds", "tokens_per_s", "threads") if k not in r]
    if missing:
        return {"error": f"sunbae JSON lacks {missing}: {r}"}
    return r


# ---- driver ----------------------------------------------------------------------------------

def fmt_rate(r: dict | None) -> str:
    if not r or "error" in r:
        return "n/a"
    return f"{r['tokens_per_s'] / 1e6:.2f}M"


def fmt_ratio(sun: dict | None, hf: dict | None) -> str:
    if not sun or not hf or "error" in sun or "error" in hf or hf["tokens_per_s"] <= 0:
        return "n/a"
    return f"{sun['tokens_per_s'] / hf['tokens_per_s']:.2f}x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help="folder with one sub-folder per tokenizer (default: %(default)s)")
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME", help=f"subset of {NAMES}")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSON lines with a \"text\" field")
    ap.add_argument("--repeat-to", type=parse_size, default=None, metavar="SIZE",
                    help="repeat the corpus into a temporary file of at least SIZE bytes (e.g. 2MB)")
    ap.add_argument("--sunbae", type=Path, default=REPO / "build" / "sunbae", help="the sunbae binary")
    ap.add_argument("--hf-only", action="store_true", help="skip Sunbae")
    ap.add_argument("--threads", type=int, default=all_cores(), help="'all cores' count (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="HF timed passes, best kept (default: %(default)s)")
    ap.add_argument("--add-special-tokens", choices=["true", "false"], default="true",
                    help="HF encode's add_special_tokens (default true, as tok.encode(text))")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "tokenizer-bench.json",
                    help="where to write the results (default: %(default)s)")
    # internal
    ap.add_argument("--worker", choices=["single", "batch"], help=argparse.SUPPRESS)
    ap.add_argument("--tokenizer-json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.add_special_tokens = args.add_special_tokens == "true"
    if args.worker:
        return worker(args)

    names = args.only or NAMES
    for n in names:
        if not (args.shared / n / "tokenizer.json.gz").exists() and not (args.shared / n / "tokenizer.json").exists():
            print(f"no tokenizer.json(.gz) in {args.shared / n}", file=sys.stderr)
            return 2
    if not args.hf_only and not args.sunbae.exists():
        print(f"{args.sunbae} not found: build it (cmake --build build) or pass --sunbae / --hf-only",
              file=sys.stderr)
        return 2

    status = 0
    with tempfile.TemporaryDirectory(prefix="sunbae-tokbench-") as tmps:
        tmp = Path(tmps)
        corpus = args.corpus.resolve()
        if args.repeat_to:
            raw = corpus.read_bytes()
            if not raw.endswith(b"\n"):
                raw += b"\n"
            reps = max(1, -(-args.repeat_to // len(raw)))
            corpus = tmp / "corpus-repeated.jsonl"
            corpus.write_bytes(raw * reps)
        n_strings = len(read_texts(corpus))
        corpus_bytes = corpus.stat().st_size
        print(f"corpus {corpus} ({n_strings} strings, {corpus_bytes} bytes); all cores = {args.threads}; "
              f"add_special_tokens={args.add_special_tokens}", flush=True)

        results = []
        for name in names:
            src = args.shared / name
            hf_dir = tmp / name
            hf_dir.mkdir()
            hf_json = hf_dir / "tokenizer.json"
            if (src / "tokenizer.json.gz").exists():
                hf_json.write_bytes(gzip.decompress((src / "tokenizer.json.gz").read_bytes()))
            else:
                hf_json.write_bytes((src / "tokenizer.json").read_bytes())
            row = {"tokenizer": name}
            row["hf_single"] = run_hf("single", hf_json, corpus, 1, args.repeats, args.add_special_tokens)
            row["hf_batch"] = run_hf("batch", hf_json, corpus, args.threads, args.repeats, args.add_special_tokens)
            if not args.hf_only:
                row["sunbae_single"] = run_sunbae(args.sunbae, src, corpus, 1, tmp, args.add_special_tokens)
                row["sunbae_batch"] = run_sunbae(args.sunbae, src, corpus, args.threads, tmp, args.add_special_tokens)
            # Token counts must agree between every pair of runs.
            problems = []
            runs = {k: v for k, v in row.items() if isinstance(v, dict)}
            for k, v in runs.items():
                if "error" in v:
                    problems.append(f"{k}: {v['error']}")
                    status = max(status, 2)
            counts = {k: v["tokens"] for k, v in runs.items() if "error" not in v}
            if len(set(counts.values())) > 1:
                hint = ""
                hs = row["hf_single"]
                if "error" not in hs and any(c == hs.get("tokens_other_special_setting") for c in counts.values()):
                    hint = (f" (HF with add_special_tokens={not args.add_special_tokens} gives "
                            f"{hs['tokens_other_special_setting']}: try --add-special-tokens "
                            f"{str(not args.add_special_tokens).lower()})")
                problems.append(f"token counts differ: {counts}{hint}")
                status = max(status, 1)
            row["tokens_agree"] = len(set(counts.values())) <= 1
            row["problems"] = problems
            results.append(row)
            print(f"  {name}: " + ", ".join(f"{k} {fmt_rate(v)} tok/s" for k, v in runs.items()), flush=True)
            for p in problems:
                print(f"    ! {p}", file=sys.stderr)

    hdr = ["tokenizer", "HF 1-thr tok/s", "Sunbae 1-thr tok/s", "ratio", f"HF batch({args.threads}) tok/s",
           f"Sunbae {args.threads}-thr tok/s", "ratio", "tokens"]
    rows = []
    for r in results:
        hs, hb = r["hf_single"], r["hf_batch"]
        ss, sb = r.get("sunbae_single"), r.get("sunbae_batch")
        tokens = hs.get("tokens", "n/a") if "error" not in hs else "n/a"
        rows.append([r["tokenizer"], fmt_rate(hs), fmt_rate(ss), fmt_ratio(ss, hs), fmt_rate(hb), fmt_rate(sb),
                     fmt_ratio(sb, hb), f"{tokens}" + ("" if r["tokens_agree"] else " MISMATCH")])
    widths = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    print()
    print(line(hdr))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    print("ratio = Sunbae / HF (above 1: Sunbae faster)")

    hf_version = next((r["hf_single"].get("tokenizers_version") for r in results if "error" not in r["hf_single"]), None)
    report = {
        "bench": "tokenizer encode throughput",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"machine": platform.machine(), "cpu": cpu_model(), "cores": args.threads,
                 "python": platform.python_version()},
        "tokenizers_version": hf_version,
        "corpus": {"path": str(args.corpus), "repeat_to": args.repeat_to, "strings": n_strings, "bytes": corpus_bytes},
        "add_special_tokens": args.add_special_tokens,
        "hf_repeats": args.repeats,
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return status


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
