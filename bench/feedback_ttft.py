"""Time to first token of POST /v1/feedback, with and without the prefix cache.

Starts `sunbae serve` twice on the same model (once with --no-prefix-caching), warms each with
one request, then sends N streamed feedback requests one after another, each with a different
question and answer (same language and level, so the shared system part is the same), and
reports the median and mean time from sending the request to its first `delta` event, with the
prompt and cached token counts from the final result.

    python3 bench/feedback_ttft.py build/sunbae [--model M.gguf] [--n 5] [--language en|ko]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

QUESTIONS = [
    ("What is a deadlock?", "Two threads wait for each other's lock forever."),
    ("What is a B-tree?", "A balanced tree with many keys per node, used by databases."),
    ("What does TCP add over UDP?", "Reliable ordered delivery with retransmission and flow control."),
    ("What is a race condition?", "When the result depends on the timing of threads."),
    ("What is an index in a database?", "A structure that speeds up lookups at the cost of writes."),
    ("What is CORS?", "A browser rule letting a server allow other origins to read its responses."),
    ("What is consistent hashing?", "A way to spread keys over nodes so few move when nodes change."),
    ("What is a hash table?", "An array indexed by a hash of the key, with collision handling."),
]
QUESTIONS_KO = [
    ("교착 상태란 무엇인가요?", "두 스레드가 서로의 락을 끝없이 기다리는 상태입니다."),
    ("B-트리란?", "노드마다 키가 여러 개인 균형 트리로 데이터베이스가 씁니다."),
    ("TCP가 UDP보다 더 해주는 것은?", "재전송과 흐름 제어로 순서대로 신뢰성 있게 전달합니다."),
    ("경쟁 상태란?", "스레드 실행 순서에 따라 결과가 달라지는 상황입니다."),
    ("데이터베이스 인덱스란?", "쓰기 비용을 들여 조회를 빠르게 하는 자료 구조입니다."),
    ("CORS란?", "다른 출처가 응답을 읽도록 서버가 허용하는 브라우저 규칙입니다."),
    ("일관된 해싱이란?", "노드가 바뀌어도 적은 키만 옮기도록 키를 나누는 방법입니다."),
    ("해시 테이블이란?", "키의 해시로 배열을 찾아가며 충돌을 처리하는 구조입니다."),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/metrics")
    out = {}
    for line in c.getresponse().read().decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k.split("{")[0]] = float(v)
    return out


def ttft(port, body):
    """Seconds to the first delta event; the stream is then read to its end."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.request("POST", "/v1/feedback", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    first, buf = None, b""
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            if not event.startswith(b"data: ") or event == b"data: [DONE]":
                continue
            if json.loads(event[6:])["type"] == "delta" and first is None:
                first = time.perf_counter() - t0
    conn.close()
    return first


def run(binary, model, cache, n, language):
    port = free_port()
    args = [binary, "serve", "--port", str(port)] + (["--model", model] if model else [])
    if not cache:
        args.append("--no-prefix-caching")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    try:
        deadline = time.time() + 300
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                log.seek(0)
                sys.exit("server did not start:\n" + log.read().decode())
            time.sleep(0.2)
        qs = QUESTIONS_KO if language == "ko" else QUESTIONS
        # Only the first token is timed: max_tokens 16 ends each request early (its result is then
        # an error event, "cut at max_tokens"), and prompt / cached token counts come from /metrics.
        out = []
        for i in range(n + 1):
            q, a = qs[i % len(qs)]
            body = {"question": q, "answer": a, "language": language, "stream": True, "max_tokens": 16}
            before = metrics(port)
            t = ttft(port, body)
            after = metrics(port)
            usage = {k: after["sunbae:" + m + "_total"] - before["sunbae:" + m + "_total"]
                     for k, m in (("prompt_tokens", "prompt_tokens"), ("cached_tokens", "prefix_cache_hits"))}
            if i > 0:  # the first request warms the model (and, with caching, the shared prefix)
                out.append((t, usage))
        return out
    finally:
        proc.terminate()
        proc.wait(60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--model", default="")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--language", default="en", choices=["en", "ko"])
    a = ap.parse_args()
    rows = {}
    for cache in (True, False):
        rows[cache] = run(a.binary, a.model, cache, a.n, a.language)
    print(f"| prefix cache | requests | prompt tokens (mean) | cached tokens (mean) | TTFT median (s) | TTFT mean (s) |")
    print("|---|---|---|---|---|---|")
    for cache in (True, False):
        r = rows[cache]
        ts = [t for t, _ in r]
        print(f"| {'on' if cache else 'off'} | {len(r)} | {statistics.mean(u['prompt_tokens'] for _, u in r):.0f} | "
              f"{statistics.mean(u['cached_tokens'] for _, u in r):.0f} | {statistics.median(ts):.3f} | "
              f"{statistics.mean(ts):.3f} |")


if __name__ == "__main__":
    main()
