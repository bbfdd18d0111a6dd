"""End-to-end tests of the feedback routes of `sunbae serve`: POST /v1/feedback (whole and
streamed), GET /v1/feedback/schema, GET /v1/questions, bad input, auth.

The property test serves a random-weight Llama (written at test time by sunbae_tiny_model) over
the default model's real byte-level BPE vocabulary (SmolLM2, 49152 tokens, read from its GGUF), and
samples at temperature 1.0 with many seeds: a model that knows nothing can only produce valid
feedback because of the decoding mask. Every reply is checked with the `jsonschema` package (an
independent validator) against the schema the server serves.

    .cache/venv/bin/python tests/e2e/test_feedback.py SUNBAE_BINARY TINY_MODEL_TOOL DEFAULT_GGUF DATA_DIR
"""
import concurrent.futures
import json
import os
import shutil
import sys
import tempfile
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_serve  # noqa: E402  (Server, http, assert_error_shape)
from test_serve import Server, http, assert_error_shape  # noqa: E402

KEY = "fb-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TINY_TOOL = GGUF = DATA_DIR = None

BANK = [
    {"id": "os-001", "category": "os", "level": "junior",
     "question": {"ko": "프로세스와 스레드의 차이를 설명하세요.", "en": "Explain the difference between a process and a thread."},
     "key_points": {"ko": ["주소 공간 공유 여부", "컨텍스트 스위칭 비용"], "en": ["shared address space", "context switch cost"]}},
    {"id": "os-002", "category": "os", "level": "senior",
     "question": {"ko": "교착 상태의 네 가지 조건은?", "en": "What are the four conditions of a deadlock?"},
     "key_points": {"ko": ["상호 배제", "점유 대기", "비선점", "순환 대기"], "en": ["mutual exclusion", "hold and wait",
                                                                       "no preemption", "circular wait"]}},
    {"id": "net-001", "category": "network", "level": "junior",
     "question": {"ko": "TCP와 UDP의 차이는?", "en": "TCP vs UDP?"},
     "key_points": {"ko": ["연결 지향", "신뢰성"], "en": ["connection-oriented", "reliability"]}},
    {"id": "web-001", "category": "web", "level": "senior",
     "question": {"ko": "CORS란?", "en": "What is CORS?"},
     "key_points": {"ko": ["동일 출처 정책"], "en": ["same-origin policy"]}},
]

ANSWER_KO = "프로세스는 독립된 주소 공간을 가지며, 스레드는 같은 프로세스 안에서 메모리를 공유합니다."
ANSWER_EN = "A process has its own address space, while threads of one process share memory."


def post(server, body, headers=AUTH, timeout=300):
    return http("POST", server.url + "/v1/feedback", body, headers=headers, timeout=timeout)


def sse_events(raw):
    """The `data:` payloads of an SSE body, in order ([DONE] included as a string)."""
    out = []
    for block in raw.decode("utf-8").split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                payload = line[6:]
                out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


class FeedbackE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sunbae-fb-e2e-")
        model = os.path.join(cls.tmp, "tiny")
        r = __import__("subprocess").run([TINY_TOOL, "--tokenizer", GGUF, "--out", model, "--seed", "7"],
                                         capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("sunbae_tiny_model failed:\n" + r.stdout + r.stderr)
        # A data folder with the shipped prompts and a small known bank, through --data-dir.
        data = os.path.join(cls.tmp, "data")
        shutil.copytree(os.path.join(DATA_DIR, "prompts"), os.path.join(data, "prompts"))
        os.makedirs(os.path.join(data, "questions"))
        with open(os.path.join(data, "questions", "bank.jsonl"), "w", encoding="utf-8") as f:
            for q in BANK:
                f.write(json.dumps(q, ensure_ascii=False) + "\n")
        cls.server = Server(model, "--api-key", KEY, "--data-dir", data, "--max-num-seqs", "16", name="tiny")
        status, body, _ = http("GET", cls.server.url + "/v1/feedback/schema", headers=AUTH)
        assert status == 200, body
        cls.schema = json.loads(body)
        cls.validator = jsonschema.Draft202012Validator(cls.schema)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, cls.server.final_output

    def assert_valid(self, resp, level, language):
        errors = [f"{list(e.path)}: {e.message}" for e in self.validator.iter_errors(resp)]
        self.assertEqual(errors, [], json.dumps(resp, ensure_ascii=False)[:2000])
        self.assertEqual(resp["level"], level)
        self.assertEqual(resp["language"], language)
        self.assertEqual("depth" in resp["feedback"]["criteria"], level == "senior")
        u = resp["usage"]
        self.assertEqual(u["total_tokens"], u["prompt_tokens"] + u["completion_tokens"])
        self.assertGreater(u["completion_tokens"], 0)

    def test_schema_endpoint(self):
        jsonschema.Draft202012Validator.check_schema(self.schema)
        self.assertIn("1.0", self.schema["$id"])
        self.assertEqual(self.schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
        # The schema is strict enough to catch a broken reply.
        bad = {"id": "fb-00", "object": "feedback", "created": 1, "model": "m", "schema_version": "1.0",
               "language": "en", "level": "senior", "question": "q", "question_id": None,
               "feedback": {"criteria": {}}, "usage": {}}
        self.assertFalse(self.validator.is_valid(bad))

    def test_property_every_reply_validates(self):
        """Many seeds at temperature 1.0, both levels and languages, whole and streamed."""
        cases = []
        for seed in range(24):
            level = "senior" if seed % 2 else "junior"
            language = "ko" if seed % 4 < 2 else "en"
            body = {"question": "What is a deadlock?" if language == "en" else "교착 상태란 무엇인가요?",
                    "answer": ANSWER_KO if language == "ko" else ANSWER_EN, "level": level,
                    "temperature": 1.0, "seed": seed, "stream": seed % 3 == 0}
            if seed % 6 == 5:
                del body["question"]
                body["question_id"] = "os-002"
            if seed % 5 == 4:
                del body["level"]  # a bank question brings its level; a free one is junior
                level = "senior" if "question_id" in body else "junior"
            cases.append((body, level, language))

        def one(case):
            return case, post(self.server, case[0])

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(one, cases))
        for (body, level, language), (status, raw, headers) in results:
            with self.subTest(seed=body["seed"]):
                self.assertEqual(status, 200, raw[:500])
                if body["stream"]:
                    self.assertTrue(headers["Content-Type"].startswith("text/event-stream"))
                    resp = self.check_stream(raw)
                else:
                    resp = json.loads(raw)
                self.assert_valid(resp, level, language)
                if "question_id" in body:
                    self.assertEqual(resp["question_id"], "os-002")
                    self.assertEqual(resp["question"], BANK[1]["question"][language])
                else:
                    self.assertIsNone(resp["question_id"])
                    self.assertEqual(resp["question"], body["question"])

    def check_stream(self, raw):
        events = sse_events(raw)
        self.assertEqual(events[-1], "[DONE]")
        self.assertEqual(events[-2]["type"], "result", events[-2])
        deltas = [e for e in events[:-2]]
        self.assertTrue(deltas)
        self.assertTrue(all(e["type"] == "delta" for e in deltas))
        text = "".join(e["text"] for e in deltas)
        for e in deltas:
            self.assertNotIn("\ufffd", e["text"])  # no half characters, even in Korean
        result = dict(events[-2])
        del result["type"]
        self.assertEqual(json.loads(text), result["feedback"])
        return result

    def test_korean_streaming_is_whole_characters(self):
        status, raw, _ = post(self.server, {"question_id": "os-001", "answer": ANSWER_KO, "stream": True,
                                            "temperature": 1.0, "seed": 1234})
        self.assertEqual(status, 200, raw[:300])
        resp = self.check_stream(raw)
        self.assertEqual(resp["language"], "ko")  # detected from the Hangul of the answer
        self.assertEqual(resp["question"], BANK[0]["question"]["ko"])

    def test_same_shared_prefix_is_served_from_the_cache(self):
        body = {"question": "What is a mutex?", "answer": ANSWER_EN, "seed": 1, "temperature": 1.0}
        post(self.server, body)
        body["question"] = "What is a semaphore?"
        status, raw, _ = post(self.server, body)
        self.assertEqual(status, 200, raw[:300])
        u = json.loads(raw)["usage"]
        # Everything before the question (role, rubric, format) is reused: most of the prompt.
        self.assertGreater(u["cached_tokens"], u["prompt_tokens"] // 2)

    def test_cut_by_max_tokens_is_an_error_not_broken_json(self):
        status, raw, _ = post(self.server, {"question": "q?", "answer": "a", "max_tokens": 5})
        self.assertEqual(status, 500)
        assert_error_shape(self, raw, 500)
        self.assertIn("max_tokens", json.loads(raw)["error"]["message"])
        status, raw, _ = post(self.server, {"question": "q?", "answer": "a", "max_tokens": 5, "stream": True})
        self.assertEqual(status, 200)
        events = sse_events(raw)
        self.assertEqual(events[-1], "[DONE]")
        self.assertEqual(events[-2]["type"], "error")
        self.assertIn("max_tokens", events[-2]["error"]["message"])

    def test_without_the_mask_the_same_model_writes_no_json(self):
        # The control: the same random model, unconstrained, at the same temperature.
        ok = 0
        for seed in range(4):
            status, raw, _ = http("POST", self.server.url + "/v1/chat/completions",
                                  {"messages": [{"role": "user", "content": "Give feedback as JSON."}],
                                   "max_tokens": 40, "temperature": 1.0, "seed": seed}, headers=AUTH)
            self.assertEqual(status, 200, raw[:300])
            try:
                json.loads(json.loads(raw)["choices"][0]["message"]["content"])
                ok += 1
            except ValueError:
                pass
        self.assertEqual(ok, 0)

    def test_questions_and_filters(self):
        def get(query):
            return http("GET", self.server.url + "/v1/questions" + query, headers=AUTH)
        status, raw, _ = get("")
        self.assertEqual(status, 200)
        body = json.loads(raw)
        self.assertEqual(body["object"], "list")
        self.assertEqual(body["data"], BANK)
        self.assertEqual([q["id"] for q in json.loads(get("?category=os")[1])["data"]], ["os-001", "os-002"])
        self.assertEqual([q["id"] for q in json.loads(get("?level=senior")[1])["data"]], ["os-002", "web-001"])
        self.assertEqual([q["id"] for q in json.loads(get("?category=os&level=junior")[1])["data"]], ["os-001"])
        self.assertEqual(json.loads(get("?category=security")[1])["data"], [])
        for query, param in (("?category=cooking", "category"), ("?level=staff", "level")):
            status, raw, _ = get(query)
            self.assertEqual(status, 400, query)
            assert_error_shape(self, raw, 400)
            self.assertEqual(json.loads(raw)["error"]["param"], param)

    def test_bad_input_is_400_naming_the_field(self):
        good = {"question": "What is a mutex?", "answer": ANSWER_EN}
        cases = [
            ({**good, "answer": ""}, "answer", "empty"),
            ({**good, "answer": "   "}, "answer", "empty"),
            ({**good, "answer": "x" * 100000}, "answer", "100000 characters"),
            ({"question": "q"}, "answer", "required"),
            ({"answer": "a"}, "question", "required"),
            ({**good, "category": "cooking"}, "category", "unknown category"),
            ({**good, "question_id": "os-999"}, "question_id", "unknown question_id"),
            ({**good, "question_id": "os-001", "category": "web"}, "category", "contradicts"),
            ({**good, "language": "ja"}, "language", "\"ko\" or \"en\""),
            ({**good, "level": "staff"}, "level", "junior"),
            ({**good, "answer": 5}, "answer", "must be a string"),
            ({**good, "question": ["q"]}, "question", "must be a string"),
            ({**good, "temperature": "hot"}, "temperature", "must be a number"),
            ({**good, "temperature": 9}, "temperature", "between 0 and 2"),
            ({**good, "stream": "yes"}, "stream", "boolean"),
            ({**good, "seed": "1"}, "seed", "integer"),
            ({**good, "max_tokens": 0}, "max_tokens", "at least 1"),
            ([1, 2], None, "JSON object"),
        ]
        for body, param, words in cases:
            with self.subTest(body=json.dumps(body)[:80]):
                status, raw, _ = post(self.server, body)
                self.assertEqual(status, 400, raw[:300])
                assert_error_shape(self, raw, 400)
                err = json.loads(raw)["error"]
                self.assertEqual(err["param"], param)
                self.assertIn(words, err["message"])
        status, raw, _ = post(self.server, b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("not valid JSON", json.loads(raw)["error"]["message"])
        status, raw, _ = post(self.server, {**good, "model": "other"})
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(raw)["error"]["param"], "model")
        # Still serving after all of that.
        self.assertEqual(http("GET", self.server.url + "/health")[0], 200)

    def test_auth(self):
        for method, path, body in (("POST", "/v1/feedback", {"question": "q", "answer": "a"}),
                                   ("GET", "/v1/feedback/schema", None), ("GET", "/v1/questions", None)):
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                status, raw, _ = http(method, self.server.url + path, body, headers=headers)
                self.assertEqual(status, 401, path)
                assert_error_shape(self, raw, 401)


class ShippedBank(unittest.TestCase):
    """The bank embedded in the binary, served without --data-dir."""

    def test_embedded_bank(self):
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "tiny")
            __import__("subprocess").run([TINY_TOOL, "--tokenizer", GGUF, "--out", model], check=True,
                                         capture_output=True, timeout=120)
            server = Server(model, name="tiny")
            try:
                status, raw, _ = http("GET", server.url + "/v1/questions")
                self.assertEqual(status, 200)
                data = json.loads(raw)["data"]
                self.assertGreaterEqual(len(data), 150)
                self.assertEqual(len({q["category"] for q in data}), 9)
                for q in data:
                    self.assertTrue(q["question"]["ko"] and q["question"]["en"], q["id"])
                    self.assertTrue(q["key_points"]["ko"] and q["key_points"]["en"], q["id"])
            finally:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    test_serve.BINARY, TINY_TOOL, GGUF, DATA_DIR = sys.argv[1:5]
    for path in (test_serve.BINARY, TINY_TOOL, GGUF):
        if not os.path.exists(path):
            sys.exit(f"missing {path} (the default model comes from scripts/setup.sh)")
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[5:])
