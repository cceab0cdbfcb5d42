"""app/v1 Skipper through the real binary: its middleware run unless a skip condition matches."""

import gzip
import os
import shutil
import tempfile

from harness import (AileronTestCase, Client, free_port, header, request, response,
                     run_aileron)


def config(port, upstream, docs, refs=("Skipper",)):
    mw = "".join("        - {apiVersion: app/v1, kind: %s}\n" % k for k in refs)
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
%s      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
---
%s""" % (port, mw, upstream, docs)


# Skip GET /health* around a body limit, compression and CORS.
SKIPPER = """apiVersion: app/v1
kind: Skipper
spec:
  skipConditions:
    - matcher: {patterns: ["/health"], matchType: Prefix}
      methods: [GET]
  middleware:
    - {apiVersion: app/v1, kind: BodyLimitMiddleware}
    - {apiVersion: app/v1, kind: CompressionMiddleware}
    - {apiVersion: app/v1, kind: CORSMiddleware}
---
apiVersion: app/v1
kind: BodyLimitMiddleware
spec: {maxSize: 10}
---
apiVersion: app/v1
kind: CompressionMiddleware
---
apiVersion: app/v1
kind: CORSMiddleware
spec:
  corsPolicy:
    allowedOrigins: ["http://ok.example"]
    allowedMethods: [GET, POST]
"""

BIG = b'{"k": "%s"}' % (b"v" * 4000)


class SkipperTest(AileronTestCase):

    def serve(self, docs, refs=("Skipper",)):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, BIG, [("Content-Type", "application/json")])
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, docs, refs), port)
        return port

    def test_skips_on_path_and_method(self):
        port = self.serve(SKIPPER)
        # skipped: the body limit, compression and CORS do nothing
        st, hd, body = request(port, "GET", "/healthz",
                               [("Accept-Encoding", "gzip"), ("Origin", "http://other")],
                               body=b"x" * 11)
        self.assertEqual((st, body), (200, BIG))
        self.assertIsNone(header(hd, "Vary"))
        self.assertIsNone(header(hd, "Content-Encoding"))
        self.assertIsNone(header(hd, "Access-Control-Allow-Origin"))
        self.assertEqual(len(self.seen), 1)
        # POST is not listed: applied
        st, hd, body = request(port, "POST", "/healthz", body=b"x" * 11)
        self.assertEqual(st, 413)
        # another path: applied, nothing reaches the upstream
        st, hd, body = request(port, "GET", "/x", body=b"x" * 11)
        self.assertEqual(st, 413)
        self.assertEqual(len(self.seen), 1)
        # CORS refuses an origin it does not know, only where applied
        self.assertEqual(request(port, "GET", "/x", [("Origin", "http://other")])[0], 403)
        self.assertEqual(len(self.seen), 1)

    def test_applied_middleware_all_run(self):
        port = self.serve(SKIPPER)
        st, hd, body = request(port, "GET", "/x",
                               [("Accept-Encoding", "gzip"), ("Origin", "http://ok.example")],
                               body=b"0123456789")
        self.assertEqual(st, 200)
        # the body filter inside the Skipper ran
        self.assertEqual(header(hd, "Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(body), BIG)
        self.assertIn("Accept-Encoding", [v for k, v in hd if k == "Vary"])
        # CORS's head hook found its per-request state
        self.assertEqual(header(hd, "Access-Control-Allow-Origin"), "http://ok.example")
        self.assertEqual(len(self.seen[0].body), 10)

    def test_keep_alive_mixes(self):
        """One connection, requests skipped and not: each decides for itself."""
        port = self.serve(SKIPPER)
        c = Client(port)
        for path, gz in (("/health", False), ("/x", True), ("/health/a", False), ("/y", True)):
            c.send(b"GET %s HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n"
                   b"Origin: http://ok.example\r\n\r\n" % path.encode())
            st, hd, body = c.recv_response()
            self.assertEqual(st, 200, path)
            self.assertEqual(header(hd, "Content-Encoding") == "gzip", gz, path)
        c.close()

    def test_no_conditions_always_applies(self):
        port = self.serve("""apiVersion: app/v1
kind: Skipper
spec:
  middleware:
    - {apiVersion: app/v1, kind: BodyLimitMiddleware}
---
apiVersion: app/v1
kind: BodyLimitMiddleware
spec: {maxSize: 10}
""")
        self.assertEqual(request(port, "GET", "/health", body=b"x" * 11)[0], 413)
        self.assertEqual(request(port, "GET", "/health", body=b"x" * 10)[0], 200)

    def test_empty_skipper_passes(self):
        port = self.serve("apiVersion: app/v1\nkind: Skipper\n")
        self.assertEqual(request(port, "GET", "/")[0], 200)

    def test_nested_and_regex(self):
        # the server names the outer one
        port = free_port()
        up = self.upstream(lambda req, c: response(200, b"ok"))
        docs = """apiVersion: app/v1
kind: Skipper
metadata: {name: outer}
spec:
  skipConditions:
    - matcher: {patterns: ["^/a/[0-9]+$"], matchType: Regex}
  middleware:
    - {apiVersion: app/v1, kind: Skipper, name: inner}
---
apiVersion: app/v1
kind: Skipper
metadata: {name: inner}
spec:
  skipConditions:
    - matcher: {patterns: ["/b"], matchType: Exact}
      methods: [GET, HEAD]
  middleware:
    - {apiVersion: app/v1, kind: BodyLimitMiddleware}
---
apiVersion: app/v1
kind: BodyLimitMiddleware
spec: {maxSize: 3}
"""
        text = config(port, up.url, docs, ()).replace(
            "    - middleware:\n",
            "    - middleware:\n        - {apiVersion: app/v1, kind: Skipper, name: outer}\n")
        self.start(text, port)
        cases = [("GET", "/a/12", 200), ("GET", "/a/x", 413), ("GET", "/b", 200),
                 ("POST", "/b", 413), ("GET", "/b/c", 413), ("POST", "/a/1", 200)]
        for method, path, want in cases:
            self.assertEqual(request(port, method, path, body=b"long")[0], want,
                             (method, path))


class SkipperConfigTest(AileronTestCase):

    def check(self, docs, words, refs=("Skipper",)):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:1", docs, refs))
        rc, out = run_aileron(["-c", "-f", path])
        if words is None:
            self.assertEqual(rc, 0, out)
        else:
            self.assertNotEqual(rc, 0, out)
            self.assertRegex(out, r"c\.yaml:\d+:\d+: .*" + words)

    def test_good(self):
        self.check(SKIPPER, None)

    def test_bad(self):
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  middleware:
    - {apiVersion: app/v1, kind: Skipper}
""", "Skipper .* wraps itself through its middleware")
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  middleware:
    - {apiVersion: core/v1, kind: ReverseProxyHandler}
""", "cannot be used as middleware")
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  skipConditions:
    - matcher: {patterns: ["(a"], matchType: Regex}
""", "invalid regular expression")
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  skipConditions:
    - methods: [FETCH]
""", 'field "methods": invalid value "FETCH"')
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  skip: []
""", 'unknown field "skip"')
        self.check("""apiVersion: app/v1
kind: Skipper
spec:
  middleware:
    - {apiVersion: app/v1, kind: BodyLimitMiddleware, name: missing}
""", "undefined reference")
        # a Skipper that wraps itself through its tripperware
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:1",
                           "apiVersion: app/v1\nkind: Skipper\nspec:\n"
                           "  tripperware: [{apiVersion: app/v1, kind: Skipper}]\n",
                           ()).replace(
                "  loadBalancers:",
                "  tripperwares: [{apiVersion: app/v1, kind: Skipper}]\n  loadBalancers:"))
        rc, out = run_aileron(["-c", "-f", path])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("wraps itself through its tripperware (a cycle)", out)

    def test_as_tripperware(self):
        # A PrometheusMeter tripperware inside a Skipper that skips upstream
        # paths under /health: the condition sees the path after the load
        # balancer's rewriting (/api/health* goes up as /health*).
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        text = config(port, up.url, """apiVersion: app/v1
kind: Skipper
spec:
  skipConditions:
    - matcher: {patterns: ["/health"], matchType: Prefix}
  tripperware:
    - {apiVersion: app/v1, kind: PrometheusMeter}
---
apiVersion: app/v1
kind: PrometheusMeter
""", ()).replace("  loadBalancers:\n    - pathMatcher: {match: \"/\", matchType: Prefix}",
                 "  tripperwares: [{apiVersion: app/v1, kind: Skipper}]\n"
                 "  loadBalancers:\n    - pathMatcher: {match: \"/\", matchType: Prefix,"
                 " trimPrefix: /api}")
        text = text.replace("      handlers:\n",
                            "      handlers:\n        - handler: {apiVersion: app/v1,"
                            " kind: PrometheusMeter}\n")
        self.start(text, port)
        for path in ("/api/health", "/api/healthz", "/api/x", "/api/x/health", "/api/x"):
            self.assertEqual(request(port, "GET", path)[0], 200, path)
        st, _, body = request(port, "GET", "/metrics")
        lines = [l for l in body.decode().splitlines()
                 if l.startswith("http_client_requests_total{")]
        counted = sorted(l.split('path="')[1].split('"')[0] + " " + l.split()[-1] for l in lines)
        self.assertEqual(counted, ["/x 2", "/x/health 1"])
