"""End-to-end tests of the web page that `sunbae serve` serves at /.

StaticServing: the embedded files over plain HTTP (types, security headers, exact bytes, 404s), on
the committed tiny fixture. Browser: the page in headless Chromium (Debian's chromium and
chromium-driver, selenium from the venv) against the real server on the default model
(SmolLM2-135M, CPU): pick a bank question, answer it, see the streamed feedback and its scores.

Run through CTest (`ctest -R web_`), or by hand, SUNBAE_WEB_SCREENSHOT=page.png to keep a picture:
    .cache/venv/bin/python tests/e2e/test_web.py BINARY FIXTURES_DIR DEFAULT_MODEL [TestClass[.test]]
"""
import json
import os
import re
import sys
import threading
import time
import unittest

import test_serve as ts
from test_serve import http

WEB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
KEY = "web-key"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
FIXTURES = MODEL = None


def web_files():
    return sorted(f for f in os.listdir(WEB_DIR) if not f.startswith("."))


def route(name):
    return "/" if name == "index.html" else "/" + name


class StaticServing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = ts.Server(os.path.join(FIXTURES, "llama"), "--api-key", KEY)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0, cls.srv.output()

    def get(self, path):
        return http("GET", self.srv.url + path)

    def test_every_file_is_served_exactly_with_its_type(self):
        self.assertIn("index.html", web_files())
        for name in web_files():
            with self.subTest(name=name):
                st, body, hdr = self.get(route(name))
                self.assertEqual(st, 200)
                with open(os.path.join(WEB_DIR, name), "rb") as f:
                    self.assertEqual(body, f.read())  # byte for byte, Korean text included
                self.assertEqual(hdr["Content-Type"], TYPES[os.path.splitext(name)[1]])
                self.assertEqual(hdr["X-Content-Type-Options"], "nosniff")

    def test_csp_allows_only_this_origin(self):
        csp = self.get("/")[2]["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        self.assertEqual(directives["default-src"], "'none'")
        for d in ("script-src", "style-src", "connect-src"):
            self.assertEqual(directives[d], "'self'")  # no inline code, no other hosts
        self.assertEqual(directives["frame-ancestors"], "'none'")

    def test_page_references_only_served_files(self):
        # No CDN or web font: every URL the page or its modules load is one of the binary's routes.
        html = self.get("/")[1].decode()
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        self.assertIn("/app.js", refs)
        for name in web_files():
            text = self.get(route(name))[1].decode()
            refs += ["/" + m[2:] for m in re.findall(r'from "(\./[^"]+)"', text)]
            self.assertIsNone(re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", text), name)
        for ref in refs:
            self.assertEqual(self.get(ref)[0], 200, ref)

    def test_unknown_paths_are_404_in_the_api_shape(self):
        for path in ("/nope.js", "/index.html/x", "/app.js.map", "/web/app.js", "/..%2fCMakeLists.txt"):
            with self.subTest(path=path):
                st, body, _ = self.get(path)
                self.assertEqual(st, 404)
                ts.assert_error_shape(self, body, 404)

    def test_page_is_open_while_the_api_wants_the_key(self):
        self.assertEqual(self.get("/")[0], 200)
        self.assertEqual(self.get("/v1/models")[0], 401)


def chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    # Root in a container: no sandbox; /dev/shm may be tiny.
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,2000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver named explicitly: selenium would otherwise try to download one.
    return webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for f in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
            if not os.path.exists(f):
                raise RuntimeError(f"missing {f}: run scripts/setup.sh (it installs chromium and chromium-driver)")
        if not os.path.exists(MODEL):
            raise RuntimeError(f"missing the default model {MODEL}: run scripts/setup.sh")
        cls.srv = ts.Server(MODEL, "--api-key", KEY, name="smollm2")
        cls.d = chrome()

    @classmethod
    def tearDownClass(cls):
        cls.d.quit()
        assert cls.srv.stop() == 0, cls.srv.output()

    def setUp(self):
        self.d.get(self.srv.url + "/")
        self.d.execute_script("sessionStorage.clear(); localStorage.clear();")
        self.d.get(self.srv.url + "/")

    def tearDown(self):
        errors = [e for e in self.d.get_log("browser") if e["level"] == "SEVERE" and "/v1/" not in e["message"]]
        self.assertEqual(errors, [])  # script errors; failed API calls are the tests' own business

    def el(self, id_):
        return self.d.find_element("id", id_)

    def text(self, id_):
        return self.el(id_).get_attribute("textContent")

    def api(self, method, path, body=None):
        return http(method, self.srv.url + path, body, {"Authorization": "Bearer " + KEY}, timeout=300)

    def enter_key(self):
        # The page asks for the key because /v1/models answered 401.
        wait_for(lambda: self.el("auth").is_displayed(), 10, "the API key field")
        self.el("api-key").send_keys(KEY + "\t")  # tab away: the change event stores it

    def options(self, id_):
        # One script call: the page replaces the options as the bank loads, so elements go stale.
        return self.d.execute_script("return [...document.getElementById(arguments[0]).options].map(o => o.value)", id_)

    def select(self, id_, value):
        from selenium.webdriver.support.ui import Select
        Select(self.el(id_)).select_by_value(value)

    def test_language_toggle_relabels_the_page(self):
        self.assertEqual(self.el("submit").text, "피드백 받기")
        self.el("lang-en").click()
        self.assertEqual(self.el("submit").text, "Get feedback")
        self.assertEqual(self.d.find_element("css selector", "html").get_attribute("lang"), "en")
        self.assertEqual(self.options("category")[1:], ["os", "network", "database", "data-structures", "algorithms",
                                                        "oop-design", "security", "web", "distributed-systems"])

    def test_chart_draws_every_score_to_scale(self):
        # A small model may give the same score everywhere; the page's own chart module, fed 1..5,
        # shows that each bar is drawn from its score and not from anything else.
        rows = [{"key": f"k{s}", "label": f"L{s}", "score": s} for s in (3, 1, 5, 2, 4)]
        self.d.execute_async_script("""
            const [rows, done] = arguments;
            import("/chart.js").then((m) => { document.body.append(m.scoreChart(rows, "t")); done(); });""", rows)
        bars = self.d.find_elements("css selector", "body > svg g.bar")
        self.assertEqual([g.find_element("css selector", "text.label").text for g in bars],
                         [r["label"] for r in rows])
        for g, r in zip(bars, rows):
            self.assertEqual(g.find_element("css selector", "text.score").text, str(r["score"]))
            track = g.find_element("css selector", "rect.track").size["width"]
            fill = g.find_element("css selector", "rect.fill").size["width"]
            self.assertAlmostEqual(fill / track, r["score"] / 5, delta=0.02)

    def test_without_the_key_the_401_is_shown(self):
        self.el("question").send_keys("What is a deadlock?")
        self.el("answer").send_keys("Two threads each wait for a lock the other holds.")
        self.el("submit").click()
        wait_for(lambda: self.el("error").is_displayed(), 30, "the error box")
        st, body, _ = http("POST", self.srv.url + "/v1/feedback", {"question": "q", "answer": "a"})
        self.assertEqual(st, 401)
        self.assertIn(json.loads(body)["error"]["message"], self.text("error"))
        self.assertTrue(self.el("auth").is_displayed())

    def test_empty_answer_shows_the_api_400_message(self):
        self.enter_key()
        self.el("question").send_keys("What is a deadlock?")
        self.el("submit").click()
        wait_for(lambda: self.el("error").is_displayed(), 30, "the error box")
        # The page sends what it would send for any answer; the server is the one that refuses it.
        st, body, _ = self.api("POST", "/v1/feedback", {"question": "What is a deadlock?", "answer": "",
                                                        "language": "ko", "level": "junior", "stream": True})
        self.assertEqual(st, 400)
        self.assertEqual(self.text("error"), json.loads(body)["error"]["message"])
        self.assertFalse(self.el("result").is_displayed())

    def test_bank_question_streams_feedback_and_scores_render(self):
        self.enter_key()
        st, body, _ = self.api("GET", "/v1/questions?category=os&level=junior")
        self.assertEqual(st, 200, body)
        bank = json.loads(body)["data"]
        q = bank[0]
        self.select("category", "os")
        wait_for(lambda: self.options("bank")[1:] == [x["id"] for x in bank], 30, "the os questions in the list")
        self.select("bank", q["id"])
        self.assertEqual(self.el("question").get_attribute("value"), q["question"]["ko"])
        self.el("lang-en").click()
        self.assertEqual(self.el("question").get_attribute("value"), q["question"]["en"])
        self.el("answer").send_keys(ANSWER)

        # The same request without the page, sent alongside it (the engine batches the two; greedy
        # decoding is batch-invariant): its feedback must be what the page shows, so the page shows
        # the API's numbers and not numbers of its own making.
        direct = {}
        body = {"question": q["question"]["en"], "answer": ANSWER, "question_id": q["id"], "category": "os",
                "language": "en", "level": "junior"}
        thread = threading.Thread(target=lambda: direct.update(r=self.api("POST", "/v1/feedback", body)))
        thread.start()
        t0 = time.time()
        self.el("submit").click()
        # Streaming means JSON text shows up while the result is still to come.
        streamed_early = False
        deadline = time.time() + 600
        while not (self.el("result").is_displayed() or self.el("error").is_displayed()):
            self.assertLess(time.time(), deadline, "no result in 600 s")
            streamed_early = streamed_early or bool(self.text("stream"))
            time.sleep(0.25)  # each look is a WebDriver round trip: spare the CPU the server needs
        print(f"\nfeedback streamed and rendered in {time.time() - t0:.1f} s", file=sys.stderr)
        if os.environ.get("SUNBAE_WEB_SCREENSHOT"):  # a PNG of the page, for a person to look at
            self.d.save_screenshot(os.environ["SUNBAE_WEB_SCREENSHOT"])
        self.assertFalse(self.el("error").is_displayed(), self.text("error"))
        self.assertTrue(streamed_early)

        result = json.loads(self.text("raw-result"))  # the final `result` event, verbatim
        fb = result["feedback"]
        self.assertEqual((result["question_id"], result["language"]), (q["id"], "en"))
        self.assertEqual(json.loads(self.text("stream")), fb)  # the deltas add up to the result

        expected = {k: v["score"] for k, v in fb["criteria"].items()}
        expected["overall"] = fb["overall"]["score"]
        self.assertEqual(set(expected), {"accuracy", "completeness", "structure", "communication", "overall"})
        bars = self.d.find_elements("css selector", "#chart svg g.bar")
        self.assertEqual({g.get_attribute("data-criterion"): int(g.get_attribute("data-score")) for g in bars},
                         expected)
        for g in bars:
            score = expected[g.get_attribute("data-criterion")]
            self.assertEqual(g.find_element("css selector", "text.score").text, str(score))
            # As drawn on screen, not just as written: the bar fills score/5 of its track.
            track = g.find_element("css selector", "rect.track").size["width"]
            fill = g.find_element("css selector", "rect.fill").size["width"]
            self.assertAlmostEqual(fill / track, score / 5, delta=0.02)
        self.assertEqual(self.el("overall-score").text, f"{fb['overall']['score']} / 5")
        self.assertEqual(self.text("overall-summary"), fb["overall"]["summary"])
        for id_, key in (("strengths", "strengths"), ("improvements", "improvements"), ("missing", "missing_key_points")):
            items = [li.get_attribute("textContent") for li in self.el(id_).find_elements("tag name", "li")]
            self.assertEqual(items, fb[key])
        self.assertEqual(self.text("model-answer"), fb["model_answer"])
        self.assertEqual(self.text("follow-up"), fb["follow_up_question"])

        thread.join(600)
        st, body, _ = direct["r"]
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["feedback"], fb)


ANSWER = ("A process is a running program with its own address space, file descriptors and at least one thread. "
          "Threads of one process share its memory and open files but each has its own stack and registers, so "
          "switching between threads is cheaper than between processes, while a crash or a stray write in one "
          "thread can corrupt the others.")


if __name__ == "__main__":
    ts.BINARY, FIXTURES, MODEL = sys.argv[1], sys.argv[2], sys.argv[3]
    unittest.main(argv=sys.argv[:1] + sys.argv[4:], verbosity=2)
