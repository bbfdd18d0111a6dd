"""End-to-end tests of the web page that `sunbae serve` serves at /.

StaticServing: the embedded files over plain HTTP (types, security headers, exact bytes, 404s), on
the committed tiny fixture.

Run through CTest:
    .cache/venv/bin/python tests/e2e/test_web.py BINARY FIXTURES_DIR DEFAULT_MODEL [TestClass]
"""
import json
import os
import re
import sys
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


if __name__ == "__main__":
    ts.BINARY, FIXTURES, MODEL = sys.argv[1], sys.argv[2], sys.argv[3]
    unittest.main(argv=sys.argv[:1] + sys.argv[4:], verbosity=2)
