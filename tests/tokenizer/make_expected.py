#!/usr/bin/env python3
"""Writes the expected tokenizer outputs the C++ parity test compares against.

For every tokenizer folder under the shared tokenizers directory (default ../shared/tokenizers
relative to the repository, i.e. /work/shared/tokenizers) and every string of
data/corpus.jsonl, runs Hugging Face `tokenizers` (never anything hand-written) and writes
data/expected-<name>.jsonl.gz, one JSON object per line in corpus order:

    {"ids": [...], "ids_special": [...], "decoded": "...", "decoded_skip": "..."}

  ids           Tokenizer.encode(text, add_special_tokens=False).ids
  ids_special   Tokenizer.encode(text, add_special_tokens=True).ids
  decoded       Tokenizer.decode(ids_special, skip_special_tokens=False)
  decoded_skip  Tokenizer.decode(ids_special, skip_special_tokens=True)

plus data/expected-meta.json: the tokenizers version, the corpus sha256/size/line count and the
sha256 of each tokenizer.json.gz used. Output is gzip -9 with mtime 0, so reruns give identical
bytes.  --check recomputes and verifies the committed files instead of writing.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA = HERE / "data"
DEFAULT_TOKENIZERS = (REPO / ".." / "shared" / "tokenizers").resolve()
NAMES = ["llama3-instruct", "qwen3", "gemma", "deepseek-v3", "mistral-v0.1", "llama2-rebuilt",
         "mistral-v0.3-rebuilt"]
MAX_TOTAL_BYTES = 8_000_000


def read_corpus(path: Path) -> tuple[list[str], bytes]:
    raw = path.read_bytes()
    # Split on b"\n" only: texts contain U+2028/U+0085, which str.splitlines() would split on.
    lines = raw.split(b"\n")
    assert lines[-1] == b"", "corpus must end with a newline"
    return [json.loads(line.decode("utf-8"))["text"] for line in lines[:-1]], raw


def gz_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def expected_for(tok_json: str, texts: list[str]) -> bytes:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tok_json)
    out = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        ids_special = tok.encode(t, add_special_tokens=True).ids
        rec = {
            "ids": ids,
            "ids_special": ids_special,
            "decoded": tok.decode(ids_special, skip_special_tokens=False),
            "decoded_skip": tok.decode(ids_special, skip_special_tokens=True),
        }
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizers", type=Path, default=DEFAULT_TOKENIZERS,
                    help="folder holding one sub-folder per tokenizer (default: %(default)s)")
    ap.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--only", nargs="*", default=None, help="subset of tokenizer names")
    ap.add_argument("--check", action="store_true", help="verify committed files instead of writing")
    args = ap.parse_args()

    import tokenizers

    texts, corpus_raw = read_corpus(args.corpus)
    names = args.only or NAMES
    meta_path = args.out / "expected-meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and args.only else {}
    meta.update({
        "generator": "tests/tokenizer/make_expected.py",
        "tokenizers_version": tokenizers.__version__,
        "corpus": "corpus.jsonl",
        "corpus_sha256": hashlib.sha256(corpus_raw).hexdigest(),
        "corpus_bytes": len(corpus_raw),
        "corpus_strings": len(texts),
        "format": {"ids": "encode(text, add_special_tokens=False).ids",
                   "ids_special": "encode(text, add_special_tokens=True).ids",
                   "decoded": "decode(ids_special, skip_special_tokens=False)",
                   "decoded_skip": "decode(ids_special, skip_special_tokens=True)"},
    })
    meta.setdefault("tokenizers", {})
    failures = 0
    for name in names:
        src = args.tokenizers / name / "tokenizer.json.gz"
        src_raw = src.read_bytes()
        t0 = time.time()
        data = expected_for(gzip.decompress(src_raw).decode("utf-8"), texts)
        gz = gz_bytes(data)
        dst = args.out / f"expected-{name}.jsonl.gz"
        entry = {"file": dst.name, "tokenizer_json_gz_sha256": hashlib.sha256(src_raw).hexdigest(),
                 "strings": len(texts), "tokens_special": sum(len(json.loads(l)["ids_special"])
                                                               for l in data.split(b"\n") if l),
                 "bytes_gz": len(gz)}
        if args.check:
            old = gzip.decompress(dst.read_bytes()) if dst.exists() else b""
            ok = old == data
            failures += not ok
            print(f"{name:22s} {'ok' if ok else 'DIFFERS'}")
            continue
        dst.write_bytes(gz)
        meta["tokenizers"][name] = entry
        print(f"{name:22s} {len(texts)} strings {entry['tokens_special']:8d} tokens "
              f"{len(gz):9d} bytes gz  ({time.time() - t0:.1f}s)", flush=True)
    if args.check:
        return 1 if failures else 0
    meta["tokenizers"] = {k: meta["tokenizers"][k] for k in NAMES if k in meta["tokenizers"]}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    print(f"data folder total {total} bytes")
    if total > MAX_TOTAL_BYTES:
        print(f"over the {MAX_TOTAL_BYTES}-byte budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
