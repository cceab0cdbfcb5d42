"""The getting-started tutorial against a real httpbin (Debian's python3-httpbin)."""

import json
import subprocess
import unittest

from harness import AileronTestCase, Httpbin, free_port

TUTORIAL = """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: ":%d"
  virtualHosts:
    - handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher:
        match: "/"
        matchType: Prefix
      upstreams:
        - url: %s
"""


def curl(*args):
    p = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return p.stdout


class TutorialTest(AileronTestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpbin = Httpbin()

    @classmethod
    def tearDownClass(cls):
        cls.httpbin.stop()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.gw = self.start(TUTORIAL % (self.port, self.httpbin.url), self.port)

    def test_get_shows_upstream_host_and_forwarded_host(self):
        out = json.loads(curl("http://localhost:%d/get?show_env=1" % self.port))
        h = out["headers"]
        self.assertEqual(h["Host"], "127.0.0.1:%d" % self.httpbin.port)
        self.assertEqual(h["X-Forwarded-Host"], "localhost:%d" % self.port)
        self.assertEqual(h["X-Forwarded-Proto"], "http")
        self.assertIn(h["X-Forwarded-For"], ("127.0.0.1", "::1"))
        self.assertTrue(h["X-Forwarded-Port"].isdigit())
        self.assertNotIn("Via", h)
        self.assertNotIn("Forwarded", h)

    def test_post_without_body(self):
        out = json.loads(curl("-XPOST", "http://localhost:%d/post" % self.port))
        self.assertEqual(out["headers"]["Content-Length"], "0")

    def test_post_body_echoed_intact(self):
        body = "".join(chr(33 + (i * 7) % 90) for i in range(100000))
        out = json.loads(curl("-XPOST", "-H", "Content-Type: text/plain",
                              "--data-binary", body, "http://localhost:%d/post" % self.port))
        self.assertEqual(out["data"], body)

    def test_chunked_upload_echoed(self):
        body = "x" * 70000
        out = json.loads(curl("-XPOST", "-H", "Transfer-Encoding: chunked",
                              "-H", "Content-Type: text/plain",
                              "--data-binary", body, "http://localhost:%d/post" % self.port))
        self.assertEqual(out["data"], body)

    def test_query_and_status_passthrough(self):
        out = json.loads(curl("http://localhost:%d/get?a=1&b=two" % self.port))
        self.assertEqual(out["args"], {"a": "1", "b": "two"})
        code = curl("-o", "/dev/null", "-w", "%{http_code}",
                    "http://localhost:%d/status/418" % self.port)
        self.assertEqual(code, b"418")

    def test_streamed_download(self):
        data = curl("http://localhost:%d/stream-bytes/100000?seed=7&chunk_size=1000" % self.port)
        self.assertEqual(len(data), 100000)

    def test_keep_alive_many_requests(self):
        urls = ["http://localhost:%d/get?i=%d" % (self.port, i) for i in range(20)]
        out = curl(*urls)
        self.assertEqual(out.count(b'"X-Forwarded-Host"'), 20)


if __name__ == "__main__":
    unittest.main()
