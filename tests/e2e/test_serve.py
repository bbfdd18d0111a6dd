"""End-to-end tests of `sunbae serve`: the real binary on the committed tiny llama fixture (random
weights, context 128, vocab 320), driven by the official `openai` client and, for what the client
cannot send (broken JSON, oversized bodies, CORS preflights, raw SSE), by urllib.

Every server binds 127.0.0.1 on a free port; every wait is bounded. Run through CTest:
    .cache/venv/bin/python tests/e2e/test_serve.py BINARY FIXTURES_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import openai

BINARY = None
FIXTURES = None
KEY = "test-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `sunbae serve` process; stop() sends SIGTERM and returns its exit code."""

    def __init__(self, model_dir, *args, name="tiny", wait_ready=True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--model", model_dir, "--host", "127.0.0.1", "--port", str(self.port),
             "--served-model-name", name, *args],
            stdout=self.log, stderr=self.log)
        self.wait_health(200 if wait_ready else 503)

    def wait_health(self, status):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early:\n" + self.output())
            try:
                if http("GET", self.url + "/health")[0] == status:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError(f"/health never answered {status} in 60 s:\n" + self.output())

    def output(self):
        if self.log.closed:
            return self.final_output
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def client(self, key=KEY):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=60)

    def metrics(self):
        text = http("GET", self.url + "/metrics")[1].decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def metric(self, name, **labels):
        for k, v in self.metrics().items():
            if k.split("{")[0] == name and all(f'{a}="{b}"' in k for a, b in labels.items()):
                return v
        raise KeyError(name)

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        finally:
            self.final_output = self.output()
            self.log.close()


def http(method, url, body=None, headers=None, timeout=30):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def assert_error_shape(test, body, status):
    err = json.loads(body)["error"]
    test.assertEqual(set(err), {"message", "type", "param", "code"})
    test.assertEqual(err["code"], status)
    test.assertTrue(err["message"])


PROMPT = [1, 5, 9, 42, 7, 100, 200, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]  # 21 ids


class TokenIdServer(unittest.TestCase):
    """The fixture as committed: no tokenizer, so prompts are token ids and text is empty."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(os.path.join(FIXTURES, "llama"), "--api-key", KEY, "--max-body-bytes", "20000",
                         "--allowed-origins", "http://ok.example", "--kv-blocks", "64", "--max-batch-tokens", "64")
        cls.c = cls.srv.client()

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.output()

    def complete(self, **kw):
        args = dict(model="tiny", prompt=PROMPT, max_tokens=12, temperature=0,
                    extra_body={"ignore_eos": True, "return_token_ids": True})
        args.update(kw)
        return self.c.completions.create(**args)

    def test_models_and_health(self):
        self.assertEqual([m.id for m in self.c.models.list().data], ["tiny"])
        self.assertEqual(http("GET", self.srv.url + "/health")[0], 200)

    def test_non_streaming_usage_and_length(self):
        r = self.complete()
        self.assertEqual(r.object, "text_completion")
        ch = r.choices[0]
        self.assertEqual(ch.finish_reason, "length")
        self.assertEqual(ch.text, "")
        self.assertEqual(len(ch.token_ids), 12)
        self.assertEqual(r.usage.prompt_tokens, len(PROMPT))
        self.assertEqual(r.usage.completion_tokens, 12)
        self.assertEqual(r.usage.total_tokens, len(PROMPT) + 12)

    def test_streaming_equals_non_streaming(self):
        whole = self.complete().choices[0].token_ids
        ids, finish, usage, n_chunks = [], None, None, 0
        for chunk in self.complete(stream=True, stream_options={"include_usage": True}):
            n_chunks += 1
            self.assertEqual(chunk.object, "text_completion")
            if chunk.usage is not None:
                usage = chunk.usage
                self.assertEqual(chunk.choices, [])
                continue
            ids += chunk.choices[0].token_ids
            finish = chunk.choices[0].finish_reason or finish
        self.assertEqual(ids, whole)
        self.assertEqual(finish, "length")
        self.assertEqual((usage.prompt_tokens, usage.completion_tokens), (len(PROMPT), 12))
        self.assertGreaterEqual(n_chunks, 13)  # a chunk per token + the usage chunk

    def test_raw_sse_format(self):
        st, body, hdr = http("POST", self.srv.url + "/v1/completions",
                             {"model": "tiny", "prompt": PROMPT, "max_tokens": 3, "stream": True, "temperature": 0,
                              "ignore_eos": True},
                             {"Authorization": "Bearer " + KEY})
        self.assertEqual(st, 200)
        self.assertTrue(hdr["Content-Type"].startswith("text/event-stream"))
        events = [e for e in body.decode().split("\n\n") if e]
        self.assertEqual(events[-1], "data: [DONE]")
        for e in events[:-1]:
            self.assertTrue(e.startswith("data: {"), e)
            j = json.loads(e[6:])
            self.assertNotIn("usage", j)  # only with stream_options.include_usage

    def test_n_seed_and_logprobs(self):
        r = self.complete(n=3, temperature=1.0, seed=7, logprobs=2)
        self.assertEqual(len(r.choices), 3)
        self.assertEqual(sorted(c.index for c in r.choices), [0, 1, 2])
        self.assertEqual(r.usage.completion_tokens, 36)
        again = self.complete(n=3, temperature=1.0, seed=7, logprobs=2)
        self.assertEqual([c.token_ids for c in r.choices], [c.token_ids for c in again.choices])
        lp = r.choices[0].logprobs
        self.assertEqual(len(lp.token_logprobs), 12)
        self.assertTrue(all(len(t) == 2 for t in lp.top_logprobs))
        self.assertTrue(all(v <= 0 for v in lp.token_logprobs))
        self.assertEqual(lp.tokens[0], "token_id:%d" % r.choices[0].token_ids[0])

    def test_stop_token_ids_and_min_tokens(self):
        free = self.complete().choices[0].token_ids
        stop = free[4]
        r = self.complete(extra_body={"ignore_eos": True, "return_token_ids": True, "stop_token_ids": [stop]})
        ch = r.choices[0]
        self.assertEqual(ch.finish_reason, "stop")
        self.assertEqual(ch.token_ids, free[:free.index(stop) + 1])
        r = self.complete(extra_body={"ignore_eos": True, "return_token_ids": True, "stop_token_ids": [stop],
                                      "min_tokens": 12})
        self.assertEqual(r.choices[0].finish_reason, "length")

    def test_batched_prompts(self):
        r = self.complete(prompt=[PROMPT, PROMPT[:5]], n=1)
        self.assertEqual(len(r.choices), 2)
        self.assertEqual(r.usage.prompt_tokens, len(PROMPT) + 5)
        self.assertEqual(r.choices[0].token_ids, self.complete().choices[0].token_ids)

    def test_concurrent_greedy_equals_sequential(self):
        prompts = [[(i * 7 + j * 13) % 300 + 3 for j in range(5 + i)] for i in range(32)]
        alone = [self.complete(prompt=p).choices[0].token_ids for p in prompts]
        out = [None] * 32

        def run(i):
            out[i] = self.complete(prompt=prompts[i]).choices[0].token_ids

        threads = [threading.Thread(target=run, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(out, alone)

    def test_prefix_cache_hit_counts_and_same_tokens(self):
        prompt = list(range(10, 60))  # 50 tokens: 3 full blocks cacheable
        q0 = self.srv.metric("sunbae:prefix_cache_hits_total")
        a = self.complete(prompt=prompt).choices[0].token_ids
        b = self.complete(prompt=prompt).choices[0].token_ids
        self.assertEqual(a, b)
        self.assertGreaterEqual(self.srv.metric("sunbae:prefix_cache_hits_total") - q0, 48)

    def test_metrics_names(self):
        self.complete()
        m = self.srv.metrics()
        names = {k.split("{")[0] for k in m}
        for n in ["sunbae:num_requests_running", "sunbae:num_requests_waiting", "sunbae:kv_cache_usage_perc",
                  "sunbae:prefix_cache_queries_total", "sunbae:prefix_cache_hits_total", "sunbae:prompt_tokens_total",
                  "sunbae:generation_tokens_total", "sunbae:time_to_first_token_seconds_bucket",
                  "sunbae:inter_token_latency_seconds_count", "sunbae:e2e_request_latency_seconds_sum",
                  "sunbae:request_queue_time_seconds_count", "sunbae:request_success_total"]:
            self.assertIn(n, names)
        self.assertGreater(self.srv.metric("sunbae:generation_tokens_total"), 0)
        self.assertGreater(self.srv.metric("sunbae:time_to_first_token_seconds_count"), 0)

    def test_errors(self):
        url, auth = self.srv.url + "/v1/completions", {"Authorization": "Bearer " + KEY}
        st, body, _ = http("POST", url, b"{not json", auth)
        self.assertEqual(st, 400)
        assert_error_shape(self, body, 400)
        with self.assertRaises(openai.BadRequestError) as e:
            self.complete(temperature=-1)
        self.assertEqual(e.exception.status_code, 400)
        with self.assertRaises(openai.BadRequestError) as e:  # 21 + 120 > 128: refused, never truncated
            self.complete(max_tokens=120)
        self.assertIn("maximum context length", str(e.exception))
        with self.assertRaises(openai.BadRequestError):
            self.complete(prompt=[1, 320])  # outside the vocabulary
        with self.assertRaises(openai.BadRequestError):
            self.complete(prompt="text needs a tokenizer")
        with self.assertRaises(openai.BadRequestError):
            self.c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}])
        with self.assertRaises(openai.NotFoundError) as e:
            self.complete(model="other")
        self.assertEqual(e.exception.status_code, 404)
        with self.assertRaises(openai.BadRequestError) as e:  # no tokenizer: no token bytes to constrain
            self.complete(extra_body={"response_format": {"type": "json_object"}})
        self.assertIn("response_format", str(e.exception))
        st, body, _ = http("POST", url, {"model": "tiny", "prompt": [1] * 20000}, auth)
        self.assertEqual(st, 413)
        st, body, _ = http("GET", self.srv.url + "/v1/nothing", None, auth)
        self.assertEqual(st, 404)
        assert_error_shape(self, body, 404)

    def test_auth(self):
        with self.assertRaises(openai.AuthenticationError) as e:
            self.srv.client(key="wrong").completions.create(model="tiny", prompt=PROMPT, max_tokens=2)
        self.assertEqual(e.exception.status_code, 401)
        st, body, _ = http("GET", self.srv.url + "/v1/models")
        self.assertEqual(st, 401)
        assert_error_shape(self, body, 401)
        self.assertEqual(http("GET", self.srv.url + "/health")[0], 200)  # open: for load balancers
        self.assertEqual(http("GET", self.srv.url + "/metrics")[0], 200)

    def test_bench_serve_reports_the_run(self):
        out = os.path.join(tempfile.mkdtemp(), "bench.json")
        for extra in (["--concurrency", "4"], ["--request-rate", "100", "--concurrency", "16"]):
            r = subprocess.run([BINARY, "bench", "serve", "--url", self.srv.url, "--api-key", KEY, "--num-prompts", "8",
                                "--input-len", "10", "--output-len", "5", "--vocab", "320", "--json", out, *extra],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("TTFT", r.stdout)
            j = json.load(open(out))
            self.assertEqual((j["completed"], j["failed"]), (8, 0))
            self.assertEqual(j["total_output_tokens"], 40)
            self.assertEqual(j["total_input_tokens"], 80)
            self.assertGreater(j["output_throughput"], 0)
            self.assertGreater(j["p99_ttft_ms"], 0)
            self.assertLessEqual(j["median_e2el_ms"], j["p99_e2el_ms"])
        r = subprocess.run([BINARY, "bench", "serve", "--url", self.srv.url, "--num-prompts", "2", "--vocab", "320",
                            "--input-len", "4", "--output-len", "2"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)  # no key: every request fails with 401, and says so

    def test_cors(self):
        st, _, hdr = http("OPTIONS", self.srv.url + "/v1/completions", None,
                          {"Origin": "http://ok.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 204)
        self.assertEqual(hdr.get("Access-Control-Allow-Origin"), "http://ok.example")
        st, _, hdr = http("GET", self.srv.url + "/health", None, {"Origin": "http://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", hdr)


def byte_level_model(tmp):
    """The llama fixture plus a byte-level BPE tokenizer (ids 0-255 are bytes, no merges) and a
    small chat template, so text prompts, chat and stop strings can be exercised."""
    src = os.path.abspath(os.path.join(FIXTURES, "llama"))
    for f in ["config.json", "generation_config.json", "model.safetensors"]:
        os.symlink(os.path.join(src, f), os.path.join(tmp, f))
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    vocab = {chr(c): b for b, c in zip(bs, cs)}
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
           "post_processor": None,
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                     "vocab": vocab, "merges": []}}
    with open(os.path.join(tmp, "tokenizer.json"), "w") as f:
        json.dump(tok, f)
    tmpl = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}")
    with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": tmpl}, f)


class TextServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        byte_level_model(cls.tmp)
        cls.srv = Server(cls.tmp)
        cls.c = cls.srv.client()

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.output()
        shutil.rmtree(cls.tmp)

    def chat(self, **kw):
        args = dict(model="tiny", messages=[{"role": "user", "content": "hello there"}], max_tokens=24, temperature=0,
                    extra_body={"ignore_eos": True, "return_token_ids": True})
        args.update(kw)
        return self.c.chat.completions.create(**args)

    def test_text_completion_encodes_the_prompt(self):
        r = self.c.completions.create(model="tiny", prompt="abc", max_tokens=4, temperature=0,
                                      extra_body={"ignore_eos": True, "return_token_ids": True})
        ids = self.c.completions.create(model="tiny", prompt=[97, 98, 99], max_tokens=4, temperature=0,
                                        extra_body={"ignore_eos": True, "return_token_ids": True})
        self.assertEqual(r.usage.prompt_tokens, 3)
        self.assertEqual(r.choices[0].token_ids, ids.choices[0].token_ids)
        self.assertEqual(r.choices[0].text, ids.choices[0].text)

    def test_chat_non_streaming_and_streaming_agree(self):
        r = self.chat()
        self.assertEqual(r.object, "chat.completion")
        self.assertEqual(r.choices[0].message.role, "assistant")
        self.assertEqual(r.choices[0].finish_reason, "length")
        self.assertEqual(r.usage.completion_tokens, 24)
        # "<user>hello there\n<assistant>": 29 bytes, one token each
        self.assertEqual(r.usage.prompt_tokens, 29)
        text, roles, finish, usage = "", [], None, None
        for chunk in self.chat(stream=True, stream_options={"include_usage": True}):
            self.assertEqual(chunk.object, "chat.completion.chunk")
            if chunk.usage:
                usage = chunk.usage
                continue
            d = chunk.choices[0].delta
            if d.role:
                roles.append(d.role)
            text += d.content or ""
            finish = chunk.choices[0].finish_reason or finish
        self.assertEqual(roles, ["assistant"])
        self.assertEqual(text, r.choices[0].message.content)
        self.assertEqual(finish, "length")
        self.assertEqual(usage.completion_tokens, 24)

    def test_stop_strings(self):
        full = self.c.completions.create(model="tiny", prompt="xyz", max_tokens=30, temperature=0,
                                         extra_body={"ignore_eos": True})
        text = full.choices[0].text
        # A stop string made of a stretch of the output that starts at a character boundary.
        b = text.encode()
        start = next(i for i in range(4, len(b)) if (b[i] & 0xC0) != 0x80)
        end = next(i for i in range(start + 2, len(b) + 1) if i == len(b) or (b[i] & 0xC0) != 0x80)
        stop = b[start:end].decode()
        expected = text[:text.index(stop)]
        for stream in (False, True):
            r = self.c.completions.create(model="tiny", prompt="xyz", max_tokens=30, temperature=0, stop=[stop],
                                          stream=stream, extra_body={"ignore_eos": True})
            if stream:
                got, finish = "", None
                for ch in r:
                    got += ch.choices[0].text
                    finish = ch.choices[0].finish_reason or finish
            else:
                got, finish = r.choices[0].text, r.choices[0].finish_reason
            self.assertEqual(got, expected, f"stop={stop!r} stream={stream}")
            self.assertEqual(finish, "stop")

    # Small enough to close within the context at one byte per token, escapes included.
    SCHEMA = {"type": "object", "additionalProperties": False, "required": ["answer", "n"],
              "properties": {"answer": {"type": "string", "maxLength": 5},
                             "n": {"type": "integer", "minimum": 0, "maximum": 9},
                             "level": {"enum": ["low", "high"]}}}

    def check_schema(self, text):
        v = json.loads(text)
        self.assertEqual(set(v) - {"answer", "n", "level"}, set(), text)
        self.assertIsInstance(v["answer"], str)
        self.assertLessEqual(len(v["answer"]), 5)
        self.assertIsInstance(v["n"], int)
        self.assertTrue(0 <= v["n"] <= 9, text)
        self.assertIn(v.get("level", "low"), ["low", "high"])

    def test_response_format_json_schema(self):
        rf = {"type": "json_schema", "json_schema": {"name": "reply", "schema": self.SCHEMA, "strict": True}}
        for seed in range(4):
            r = self.c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], n=4,
                                               temperature=1.0, seed=seed, max_tokens=90, response_format=rf)
            for ch in r.choices:
                self.assertEqual(ch.finish_reason, "stop", ch.message.content)
                self.check_schema(ch.message.content)
        text, finish = "", None
        for chunk in self.c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                                    temperature=1.0, seed=7, max_tokens=90, response_format=rf,
                                                    stream=True):
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        self.assertEqual(finish, "stop")
        self.check_schema(text)
        r = self.c.completions.create(model="tiny", prompt="x", temperature=1.0, seed=3, max_tokens=90,
                                      extra_body={"response_format": rf})
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.check_schema(r.choices[0].text)

    def test_response_format_json_object(self):
        r = self.c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], n=4,
                                           temperature=1.0, seed=1, max_tokens=60,
                                           response_format={"type": "json_object"})
        for ch in r.choices:
            # A random model rarely closes a free object in 60 tokens; whatever it wrote is JSON so far.
            self.assertTrue(ch.message.content.startswith("{"), ch.message.content)
            if ch.finish_reason == "stop":
                self.assertIsInstance(json.loads(ch.message.content), dict)

    def test_response_format_errors(self):
        def refused(rf, needle):
            with self.assertRaises(openai.BadRequestError) as e:
                self.c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                               max_tokens=5, response_format=rf)
            self.assertEqual(e.exception.status_code, 400)
            self.assertIn(needle, str(e.exception))
            self.assertEqual(e.exception.body.get("param"), "response_format")
        refused({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "a"}}},
                "'pattern' is not supported")
        refused({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {
            "a": {"type": "strng"}}}}}, "unknown type 'strng'")
        refused({"type": "json_schema", "json_schema": {"name": "x"}}, "needs a 'schema'")
        refused({"type": "yaml"}, "unknown response_format type")

    def test_chat_logprobs(self):
        r = self.chat(logprobs=True, top_logprobs=3, max_tokens=5)
        content = r.choices[0].logprobs.content
        self.assertEqual(len(content), 5)
        self.assertTrue(all(len(c.top_logprobs) == 3 for c in content))


class StartupErrors(unittest.TestCase):
    def run_serve(self, *args):
        return subprocess.run([BINARY, "serve", "--host", "127.0.0.1", *args], capture_output=True, text=True,
                              timeout=60)

    def test_a_model_that_cannot_load_exits_1_naming_it(self):
        r = self.run_serve("--model", "/nonexistent/model", "--port", str(free_port()))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot load /nonexistent/model", r.stderr)
        self.assertIn("config.json", r.stderr)

    def test_a_port_in_use_exits_1(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            r = self.run_serve("--model", os.path.join(FIXTURES, "llama"), "--port", str(s.getsockname()[1]))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot bind", r.stderr)

    def test_bad_flags_are_usage_errors(self):
        r = self.run_serve("--model", os.path.join(FIXTURES, "llama"), "--max-num-seqs", "0")
        self.assertEqual(r.returncode, 2)


class RandomWeights(unittest.TestCase):
    """`serve --config/--shape`: random weights at a model's shape, for serving benchmarks."""

    def test_serves_token_id_prompts_at_a_configs_shape(self):
        port = free_port()
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen([BINARY, "serve", "--config", os.path.join(FIXTURES, "mistral", "config.json"),
                                 "--host", "127.0.0.1", "--port", str(port), "--max-model-len", "32"],
                                stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            while time.time() < deadline:
                self.assertIsNone(proc.poll(), "server exited early")
                try:
                    if http("GET", url + "/health")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)
            st, raw, _ = http("GET", url + "/v1/models")
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(raw)["data"][0]["id"], "mistral")
            self.assertEqual(json.loads(raw)["data"][0]["max_model_len"], 32)
            st, raw, _ = http("POST", url + "/v1/completions",
                              {"model": "mistral", "prompt": list(range(1, 28)), "max_tokens": 8})
            self.assertEqual(st, 400, raw)
            self.assertIn("32", json.loads(raw)["error"]["message"])
            st, raw, _ = http("POST", url + "/v1/completions",
                              {"model": "mistral", "prompt": [5, 6, 7], "max_tokens": 4, "ignore_eos": True,
                               "return_token_ids": True})
            self.assertEqual(st, 200, raw)
            body = json.loads(raw)
            self.assertEqual(len(body["choices"][0]["token_ids"]), 4)
            self.assertEqual(body["usage"]["completion_tokens"], 4)
        finally:
            proc.terminate()
            proc.wait(timeout=60)

    def test_max_model_len_over_the_models_context_is_refused(self):
        r = subprocess.run([BINARY, "serve", "--config", os.path.join(FIXTURES, "mistral", "config.json"),
                            "--port", str(free_port()), "--max-model-len", "100000"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exceeds the model's context", r.stderr)

    def test_model_and_shape_exclude_each_other(self):
        r = subprocess.run([BINARY, "serve", "--model", os.path.join(FIXTURES, "llama"), "--shape", "mistral-7b"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("excludes", r.stderr)


class Loading(unittest.TestCase):
    def test_503_while_loading_then_200(self):
        """tokenizer.json is a FIFO: loading blocks reading it until the test writes it, so the
        server is caught listening with no model."""
        tmp = tempfile.mkdtemp()
        ready = tempfile.mkdtemp()
        byte_level_model(ready)
        for f in ["config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"]:
            os.symlink(os.path.realpath(os.path.join(ready, f)), os.path.join(tmp, f))
        os.mkfifo(os.path.join(tmp, "tokenizer.json"))
        srv = Server(tmp, wait_ready=False)
        try:
            for method, path, body in [("GET", "/health", None), ("GET", "/v1/models", None),
                                       ("POST", "/v1/completions", {"prompt": [1, 2], "max_tokens": 2})]:
                st, raw, _ = http(method, srv.url + path, body)
                self.assertEqual(st, 503, path)
                assert_error_shape(self, raw, 503)
                self.assertIn("loading", json.loads(raw)["error"]["message"])
            with open(os.path.join(tmp, "tokenizer.json"), "w") as f:
                f.write(open(os.path.join(ready, "tokenizer.json")).read())
            srv.wait_health(200)
            r = srv.client().completions.create(model="tiny", prompt="ab", max_tokens=2)
            self.assertEqual(r.usage.prompt_tokens, 2)
        finally:
            self.assertEqual(srv.stop(), 0)
            shutil.rmtree(tmp)
            shutil.rmtree(ready)


class SlowServer(unittest.TestCase):
    """--step-delay-ms 20 makes each step of the tiny model take a real model's time, so requests
    can be caught in flight."""

    def start(self, *args):
        return Server(os.path.join(FIXTURES, "llama"), "--step-delay-ms", "20", *args)

    def test_queue_full_is_429(self):
        srv = self.start("--max-num-seqs", "1", "--max-queue", "1")
        try:
            c = srv.client()
            results = []

            def run():
                try:
                    c.completions.create(model="tiny", prompt=PROMPT, max_tokens=20, temperature=0,
                                         extra_body={"ignore_eos": True})
                    results.append(200)
                except openai.RateLimitError as e:
                    results.append(e.status_code)

            threads = [threading.Thread(target=run) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertIn(429, results)
            self.assertIn(200, results)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_disconnect_cancels(self):
        srv = self.start()
        try:
            stream = srv.client().completions.create(model="tiny", prompt=PROMPT, max_tokens=100, temperature=0,
                                                     stream=True, extra_body={"ignore_eos": True})
            for i, _ in enumerate(stream):
                if i == 2:
                    break
            stream.close()  # drops the connection
            deadline = time.time() + 20
            while time.time() < deadline and srv.metric("sunbae:request_success_total", finished_reason="abort") < 1:
                time.sleep(0.05)
            self.assertEqual(srv.metric("sunbae:request_success_total", finished_reason="abort"), 1)
            self.assertLess(srv.metric("sunbae:generation_tokens_total"), 100)
            self.assertEqual(srv.metric("sunbae:kv_cache_usage_perc"), 0)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_disconnect_cancels_a_whole_response_too(self):
        srv = self.start()
        try:
            # 120 tokens at 20 ms a step: 2.4 s, well past the hang-up at 1.3 s
            body = json.dumps({"model": "tiny", "prompt": [1, 2, 3], "max_tokens": 120, "ignore_eos": True}).encode()
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
                s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body)
                time.sleep(1.3)  # past the first second: the server streams keep-alive spaces
            deadline = time.time() + 20
            while time.time() < deadline and srv.metric("sunbae:request_success_total", finished_reason="abort") < 1:
                time.sleep(0.05)
            self.assertEqual(srv.metric("sunbae:request_success_total", finished_reason="abort"), 1)
            self.assertLess(srv.metric("sunbae:generation_tokens_total"), 120)
            # A long whole response that the client waits for is still one valid JSON body.
            r = srv.client().completions.create(model="tiny", prompt=PROMPT, max_tokens=70, temperature=0,
                                                extra_body={"ignore_eos": True})
            self.assertEqual(r.usage.completion_tokens, 70)
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_sigterm_drains_in_flight_requests(self):
        srv = self.start("--shutdown-timeout", "20")
        # 80 tokens at 20 ms a step: 1.6 s in flight when SIGTERM comes
        stream = srv.client().completions.create(model="tiny", prompt=PROMPT, max_tokens=80, temperature=0,
                                                 stream=True, extra_body={"ignore_eos": True, "return_token_ids": True})
        it = iter(stream)
        ids = list(next(it).choices[0].token_ids)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.1)
        # The listener stays open while draining and refuses new work with 503.
        st, body, _ = http("POST", srv.url + "/v1/completions", {"model": "tiny", "prompt": PROMPT, "max_tokens": 2},
                           timeout=5)
        self.assertEqual(st, 503)
        assert_error_shape(self, body, 503)
        self.assertEqual(http("GET", srv.url + "/health")[0], 503)
        finish = None
        for ch in it:
            ids += ch.choices[0].token_ids
            finish = ch.choices[0].finish_reason or finish
        self.assertEqual(len(ids), 80)
        self.assertEqual(finish, "length")
        self.assertEqual(srv.stop(20), 0)

    def test_sigterm_past_the_timeout_aborts(self):
        srv = self.start("--shutdown-timeout", "0.3")
        stream = srv.client().completions.create(model="tiny", prompt=PROMPT, max_tokens=100, temperature=0,
                                                 stream=True, extra_body={"ignore_eos": True})
        it = iter(stream)
        next(it)
        t0 = time.time()
        srv.proc.send_signal(signal.SIGTERM)
        finish, n = None, 1
        try:
            for ch in it:
                n += 1
                finish = ch.choices[0].finish_reason or finish
        except (openai.APIError, Exception):
            pass  # the connection may close with the server
        self.assertEqual(srv.stop(20), 0)
        self.assertLess(n, 100)
        self.assertLess(time.time() - t0, 10)
        self.assertIn(finish, ("abort", None))


if __name__ == "__main__":
    BINARY, FIXTURES = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
