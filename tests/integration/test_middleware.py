"""Middleware kinds through the real binary: CORS, Tracking, HeaderCert (and the refused ones)."""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import (AILERON, AileronTestCase, Client, Httpbin, free_port, request,
                     response, run_aileron)

TOP = os.environ.get("TOP_SRCDIR", "../..")
CERTS = os.path.join(TOP, "tests", "unit", "data", "headercert")
EXAMPLES = os.path.join(TOP, "tests", "integration", "data", "examples")


def config(port, upstream, middleware_docs, refs):
    """One server, its middleware (refs: kind names, in order), a catch-all proxy."""
    mw = "".join("        - apiVersion: app/v1\n          kind: %s\n" % k for k in refs)
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
%s      handlers:
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
---
%s""" % (port, mw, upstream, middleware_docs)


def pem_header(name, urlsafe=True):
    """The certHeader value a front proxy sends for a PEM file."""
    with open(os.path.join(CERTS, name), "rb") as f:
        pem = f.read()
    return (base64.urlsafe_b64encode(pem) if urlsafe else base64.b64encode(pem)).decode()


class MiddlewareTestCase(AileronTestCase):
    def ok_upstream(self):
        """A mock upstream answering 200 "ok"; remembers what it got."""
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        return self.upstream(handle)

    def serve(self, docs, refs):
        up = self.ok_upstream()
        port = free_port()
        self.start(config(port, up.url, docs, refs), port)
        return port


class CORSTest(MiddlewareTestCase):
    def test_defaults_without_spec(self):
        """A CORSMiddleware without spec: origins "*", GET/OPTIONS/POST."""
        port = self.serve("apiVersion: app/v1\nkind: CORSMiddleware\n", ["CORSMiddleware"])
        st, hd, body = request(port, "GET", "/", [("Origin", "http://x.com")])
        h = dict(hd)
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(h["Access-Control-Allow-Origin"], "*")
        self.assertEqual(h["Access-Control-Allow-Methods"], "GET,OPTIONS,POST")
        self.assertEqual(h["Access-Control-Allow-Headers"], "Content-Type,X-Requested-With")
        self.assertEqual(request(port, "PUT", "/", [("Origin", "http://x.com")])[0], 403)

    DOC = """apiVersion: app/v1
kind: CORSMiddleware
spec:
  corsPolicy:
    allowedOrigins: [%s]
    allowedMethods: [POST, GET]
%s"""

    def cors(self, origins, extra=""):
        return self.serve(self.DOC % (origins, extra), ["CORSMiddleware"])

    def test_preflight_allowed_and_refused(self):
        port = self.cors('"http://allowed-origin.com"')
        st, hd, body = request(port, "OPTIONS", "/", [
            ("Origin", "http://allowed-origin.com"),
            ("Access-Control-Request-Method", "GET")])
        h = dict(hd)
        self.assertEqual((st, body), (200, b""))
        self.assertEqual(h["Content-Length"], "0")
        self.assertEqual(h["Access-Control-Allow-Origin"], "http://allowed-origin.com")
        self.assertEqual(h["Access-Control-Allow-Methods"], "GET,POST")
        self.assertEqual(h["Access-Control-Max-Age"], "0")
        self.assertEqual([v for k, v in hd if k == "Vary"],
                         ["Origin", "Access-Control-Request-Method",
                          "Access-Control-Request-Headers"])
        st, hd, body = request(port, "OPTIONS", "/", [
            ("Origin", "http://disallowed-origin.com"),
            ("Access-Control-Request-Method", "GET")])
        self.assertEqual((st, body), (403, b""))
        self.assertNotIn("Access-Control-Allow-Origin", dict(hd))
        # preflights are answered here, never forwarded
        self.assertEqual(self.seen, [])

    def test_actual_requests(self):
        port = self.cors('"http://allowed-origin.com"')
        origin = [("Origin", "http://allowed-origin.com")]
        st, hd, body = request(port, "GET", "/", origin)
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(dict(hd)["Access-Control-Allow-Origin"], "http://allowed-origin.com")
        st, hd, body = request(port, "DELETE", "/", origin)
        self.assertEqual(st, 403)
        self.assertEqual(json.loads(body), {"status": 403, "statusText": "Forbidden"})
        self.assertEqual(dict(hd)["Access-Control-Allow-Origin"], "http://allowed-origin.com")
        # no Origin at all: 403 (as AILERON)
        st, hd, body = request(port, "GET", "/")
        self.assertEqual(st, 403)
        self.assertEqual(len(self.seen), 1)

    def test_wildcard_and_credentials(self):
        port = self.cors('"http://allowed-origin.com", "*"', "    allowCredentials: true\n")
        st, hd, _ = request(port, "OPTIONS", "/", [
            ("Origin", "http://other.com"), ("Access-Control-Request-Method", "GET")])
        self.assertEqual((st, dict(hd)["Access-Control-Allow-Origin"]), (200, "*"))
        st, hd, body = request(port, "GET", "/", [("Origin", "http://other.com")])
        self.assertEqual((st, body), (200, b"ok"))
        h = dict(hd)
        self.assertEqual(h["Access-Control-Allow-Origin"], "*")
        # aileron leaves credentials out with "*" (AILERON sends both)
        self.assertNotIn("Access-Control-Allow-Credentials", h)
        st, hd, _ = request(port, "GET", "/", [("Origin", "http://allowed-origin.com")])
        self.assertEqual(dict(hd)["Access-Control-Allow-Credentials"], "true")

    def test_policies_and_max_age(self):
        port = self.serve("""apiVersion: app/v1
kind: CORSMiddleware
spec:
  corsPolicy:
    allowedOrigins: ["*"]
    allowedMethods: [GET, OPTIONS]
    allowedHeaders: [X-Allowed-1, X-Allowed-2]
    exposedHeaders: [X-Exposed-1, X-Exposed-2]
    allowCredentials: true
    maxAge: 3600
    corsEmbedderPolicy: EmbedderRequireCorp
    corsOpenerPolicy: OpenerSameOrigin
    corsResourcePolicy: ResourceSameOrigin
    disableWildCardOrigin: true
""", ["CORSMiddleware"])
        st, hd, _ = request(port, "OPTIONS", "/", [
            ("Origin", "http://cors.com"), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "Foo,Bar")])
        h = dict(hd)
        self.assertEqual(st, 200)
        self.assertEqual(h["Access-Control-Allow-Origin"], "http://cors.com")
        self.assertEqual(h["Access-Control-Allow-Headers"], "X-Allowed-1,X-Allowed-2")
        self.assertEqual(h["Access-Control-Expose-Headers"], "X-Exposed-1,X-Exposed-2")
        self.assertEqual(h["Access-Control-Max-Age"], "3600")
        self.assertNotIn("Cross-Origin-Embedder-Policy", h)
        st, hd, body = request(port, "OPTIONS", "/", [("Origin", "http://cors.com")])
        h = dict(hd)
        self.assertEqual((st, body), (200, b"ok"))
        self.assertNotIn("Access-Control-Max-Age", h)
        self.assertEqual(h["Cross-Origin-Embedder-Policy"], "require-corp")
        self.assertEqual(h["Cross-Origin-Opener-Policy"], "same-origin")
        self.assertEqual(h["Cross-Origin-Resource-Policy"], "same-origin")

    def test_bad_input(self):
        port = self.cors('"*"')
        # odd bytes in Origin, an empty ACRM, a huge Origin: answers, no crash
        for headers in ([("Origin", "http://\x01x")],
                        [("Origin", "")],
                        [("Origin", "x" * 6000)],
                        [("Origin", "http://a.com"), ("Access-Control-Request-Method", "")]):
            st, _, _ = request(port, "GET", "/", headers)
            self.assertIn(st, (200, 400, 403, 431))
        st, _, body = request(port, "GET", "/", [("Origin", "http://a.com")])
        self.assertEqual((st, body), (200, b"ok"))


class TrackingTest(MiddlewareTestCase):
    def test_ids_sent_upstream(self):
        port = self.serve("""apiVersion: app/v1
kind: TrackingMiddleware
spec:
  requestIDProxyName: X-Request-ID
  traceIDProxyName: X-Trace-ID
  traceIDExtractName: X-Trace-Extract
""", ["TrackingMiddleware"])
        st, hd, body = request(port, "GET", "/")
        self.assertEqual((st, body), (200, b"ok"))
        req = self.seen[-1]
        rid = req.header("X-Request-Id")
        self.assertRegex(rid, r"^[0-9BCDFGHJKLMNPQRSTUVWXYZ]{48}$")
        self.assertEqual(req.header("X-Trace-Id"), rid)
        # the response is not changed
        self.assertNotIn("X-Request-Id", dict(hd))
        request(port, "GET", "/", [("X-Trace-Extract", "test-trace-id")])
        req2 = self.seen[-1]
        self.assertEqual(req2.header("X-Trace-Id"), "test-trace-id")
        self.assertNotEqual(req2.header("X-Request-Id"), rid)


class HeaderCertTest(MiddlewareTestCase):
    def cert(self, extra=""):
        return self.serve("""apiVersion: app/v1
kind: HeaderCertMiddleware
spec:
  rootCAs: [%s]
%s""" % (os.path.join(CERTS, "root.crt"), extra), ["HeaderCertMiddleware"])

    def test_verify(self):
        port = self.cert()
        st, _, body = request(port, "GET", "/", [("X-SSL-Client-Cert", pem_header("client.crt"))])
        self.assertEqual((st, body), (200, b"ok"))
        # the standard alphabet gives the same text for a PEM file
        st, _, _ = request(port, "GET", "/", [("X-SSL-Client-Cert",
                                              pem_header("client.crt", False))])
        self.assertEqual(st, 200)
        for name, want in (("client-other.crt", 401), ("client-expired.crt", 401),
                           ("client-clientauth.crt", 401)):
            st, _, body = request(port, "GET", "/", [("X-SSL-Client-Cert", pem_header(name))])
            self.assertEqual(st, want, name)
            self.assertEqual(json.loads(body), {"status": 401, "statusText": "Unauthorized"})
        self.assertEqual(len(self.seen), 2)

    def test_bad_input(self):
        port = self.cert()
        for value in (None, "!!!", "aGVsbG8=", "Zm9v" * 2000,
                      base64.urlsafe_b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n"
                                               b"-----END CERTIFICATE-----\n").decode()):
            headers = [] if value is None else [("X-SSL-Client-Cert", value)]
            st, _, body = request(port, "GET", "/", headers)
            self.assertEqual(st, 400, value)
            self.assertEqual(json.loads(body), {"status": 400, "statusText": "Bad Request"})
        self.assertEqual(self.seen, [])
        # the workers are still there and answer
        st, _, _ = request(port, "GET", "/", [("X-SSL-Client-Cert", pem_header("client.crt"))])
        self.assertEqual(st, 200)

    def test_fingerprint_and_custom_header(self):
        with open(os.path.join(CERTS, "client.fp")) as f:
            fp = f.read().strip()
        port = self.cert("  certHeader: X-Cert\n  fingerprintHeader: X-FP-Test\n")
        cert = ("X-Cert", pem_header("client.crt"))
        self.assertEqual(request(port, "GET", "/", [cert, ("X-FP-Test", fp.upper())])[0], 200)
        st, _, body = request(port, "GET", "/", [cert, ("X-SSL-Client-Fingerprint", fp)])
        self.assertEqual((st, json.loads(body)["status"]), (401, 401))
        self.assertEqual(request(port, "GET", "/", [cert, ("X-FP-Test", "00")])[0], 401)
        self.assertEqual(request(port, "GET", "/", [("X-SSL-Client-Cert",
                                                     pem_header("client.crt"))])[0], 400)


class TimeoutTest(MiddlewareTestCase):
    """AILERON's timeout test: default 50 ms, GET /applied-api-timeout 400 ms (Exact)."""

    allowed_errors = ("no valid response (504)",)

    def test_deadlines(self):
        import time

        def handle(req, c):
            # /<path>?<ms>: the upstream sleeps that long before answering
            ms = int(req.target.split("?", 1)[1]) if "?" in req.target else 0
            time.sleep(ms / 1000.0)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, """apiVersion: app/v1
kind: TimeoutMiddleware
spec:
  defaultTimeout: 50
  apiTimeouts:
    - matcher: {patterns: [/applied-api-timeout], matchType: Exact}
      methods: [GET]
      timeout: 400
    - matcher: {patterns: [/dropped], matchType: Exact}
      timeout: 0
""", ["TimeoutMiddleware"]), port)
        for path, want in (("/default?300", 504), ("/default?0", 200),
                           ("/applied-api-timeout?150", 200),
                           ("/applied-api-timeout?800", 504),
                           ("/not-applied-api-timeout?300", 504),
                           ("/dropped?300", 504)):
            st, _, body = request(port, "GET", path)
            self.assertEqual(st, want, path)
            if want == 504:
                self.assertEqual(json.loads(body),
                                 {"status": 504, "statusText": "Gateway Timeout"})
        # POST is not listed for the API: the default applies
        self.assertEqual(request(port, "POST", "/applied-api-timeout?150", body=b"x")[0], 504)


class HeaderPolicyTest(MiddlewareTestCase):
    def test_mimes(self):
        port = self.serve("""apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  allowMIMEs: [application/json, text/plain]
""", ["HeaderPolicyMiddleware"])
        ok = request(port, "POST", "/", [("Content-Type", "application/json; charset=utf-8")],
                     body=b"{}")
        self.assertEqual(ok[0], 200)
        st, _, body = request(port, "POST", "/", [("Content-Type", "application/xml")], b"<a/>")
        self.assertEqual((st, json.loads(body)),
                         (415, {"status": 415, "statusText": "Unsupported Media Type"}))
        # a GET without Content-Type is refused too (as AILERON)
        self.assertEqual(request(port, "GET", "/")[0], 415)

    def test_length(self):
        port = self.serve("""apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  maxContentLength: 20
""", ["HeaderPolicyMiddleware"])
        self.assertEqual(request(port, "POST", "/", body=b"x" * 15)[0], 200)
        st, _, body = request(port, "POST", "/", body=b"x" * 30)
        self.assertEqual((st, json.loads(body)),
                         (413, {"status": 413, "statusText": "Request Entity Too Large"}))
        c = Client(port)
        try:
            c.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"3\r\nabc\r\n0\r\n\r\n")
            st, _, body = c.recv_response()
        finally:
            c.close()
        self.assertEqual((st, json.loads(body)),
                         (411, {"status": 411, "statusText": "Length Required"}))
        self.assertEqual(len(self.seen), 1)

    def test_request_and_response_policies(self):
        up_seen = []

        def handle(req, c):
            up_seen.append(req)
            return response(200, b"ok", [("X-Removes-Foo", "1"), ("X-Removes-Bar", "2"),
                                         ("X-Removes-Baz", "3"), ("X-Set-Res", "old")])
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, """apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  requestPolicy:
    allows: [X-Add-Foo, X-Set-Foo, X-Rewrites-Foo, X-Allows-Foo, X-Allows-Bar, Content-Type]
    add: {X-Add-Foo: foo}
    set: {X-Set-Foo: foo}
    rewrites:
      - name: X-Rewrites-Foo
        replacer: {fixed: {value: fOo}}
  responsePolicy:
    removes: [X-Removes-Foo, X-Removes-Bar, Date]
    set: {X-Set-Res: new}
""", ["HeaderPolicyMiddleware"]), port)
        st, hd, body = request(port, "POST", "/", [
            ("X-Add-Foo", "FOO"), ("X-Set-Foo", "FOO"), ("X-Rewrites-Foo", "FOO"),
            ("X-Rewrites-Foo", "foo"), ("X-Allows-Foo", "1"), ("X-Allows-Bar", "2"),
            ("X-Allows-Baz", "3")], body=b"hello")
        self.assertEqual((st, body), (200, b"ok"))
        req = up_seen[-1]
        self.assertEqual(req.header_all("X-Add-Foo"), ["FOO", "foo"])
        self.assertEqual(req.header_all("X-Set-Foo"), ["foo"])
        self.assertEqual(req.header_all("X-Rewrites-Foo"), ["fOo", "fOo"])
        self.assertEqual(req.header("X-Allows-Foo"), "1")
        self.assertIsNone(req.header("X-Allows-Baz"))
        self.assertEqual(req.body, b"hello")  # Content-Length is never dropped
        h = dict(hd)
        self.assertNotIn("X-Removes-Foo", h)
        self.assertNotIn("X-Removes-Bar", h)
        self.assertEqual(h["X-Removes-Baz"], "3")
        self.assertEqual(h["X-Set-Res"], "new")
        self.assertNotIn("Date", h)  # removes suppresses the automatic Date

    def test_bad_input(self):
        port = self.serve("""apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  allowMIMEs: [application/json]
  maxContentLength: 10
""", ["HeaderPolicyMiddleware"])
        for ct in ("application/json/x", ";;;", "a" * 4000, ""):
            self.assertEqual(request(port, "POST", "/", [("Content-Type", ct)], b"{}")[0], 415, ct)
        # a control character never gets here: the parser refuses it
        self.assertEqual(request(port, "POST", "/", [("Content-Type", "\x7f")], b"{}")[0], 400)
        self.assertEqual(request(port, "POST", "/", [("Content-Type", "application/json")],
                                 b"{}")[0], 200)


class RefusedTest(unittest.TestCase):
    """Kinds that are no middleware are refused as middleware, never skipped."""

    def test_not_middleware_refused(self):
        tmp = tempfile.mkdtemp()
        try:
            for kind in ("EchoHandler", "StatusHandler"):
                path = os.path.join(tmp, "c.yaml")
                with open(path, "w") as f:
                    f.write(config(free_port(), "http://127.0.0.1:1",
                                   "apiVersion: app/v1\nkind: %s\n" % kind, [kind]))
                rc, out = run_aileron(["-c", "-f", path])
                self.assertNotEqual(rc, 0, kind)
                self.assertIn("cannot be used as middleware", out, kind)
        finally:
            shutil.rmtree(tmp)


class ExamplesTest(MiddlewareTestCase):
    """AILERON's examples, unchanged but for addresses and paths."""

    allowed_errors = ("upstream",)

    def example(self, name, upstream):
        """The example in a temp dir laid out as AILERON's repository (_example/...)."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copytree(os.path.join(EXAMPLES, name), os.path.join(tmp, "_example", name))
        path = os.path.join(tmp, "_example", name, "config.yaml")
        with open(path) as f:
            text = f.read()
        # loads unchanged, from where its README runs it (the repository top
        # for configs naming ./_example/, else the example directory)
        here = tmp if "./_example/" in text else os.path.dirname(path)
        p = subprocess.run([AILERON, "-c", "-f", path], cwd=here, capture_output=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://httpbin.org", upstream)
        text = text.replace("./_example/", os.path.join(tmp, "_example") + "/")
        # paths relative to the example's directory, where its README runs it
        text = text.replace('"./', '"%s/' % os.path.join(tmp, "_example", name))
        self.start(text, port)
        return port, os.path.join(tmp, "_example", name)

    def test_tracking(self):
        up = self.ok_upstream()
        port, _ = self.example("tracking", up.url)
        self.assertEqual(request(port, "GET", "/get")[0], 200)
        req = self.seen[-1]
        rid = req.header("X-Aileron-Request-Id")
        self.assertRegex(rid, r"^[0-9BCDFGHJKLMNPQRSTUVWXYZ]{48}$")
        self.assertEqual(req.header("X-Aileron-Trace-Id"), rid)

    def test_header(self):
        # The request policy is what every handler sees (here EchoHandler),
        # not only what a proxy forwards.
        port, _ = self.example("header", "")
        st, hd, body = request(port, "GET", "/", [("Authorization", "Basic c2VjcmV0"),
                                                  ("User-Agent", "curl/8.0"),
                                                  ("Content-Type", "text/plain")])
        self.assertEqual(st, 200)
        shown = json.loads(body.split(b"---------- Header ----------\n")[1]
                           .split(b"---------- Body")[0])
        self.assertNotIn("Authorization", shown)
        self.assertEqual(shown["User-Agent"], ["*****"])
        self.assertEqual(shown["Content-Type"], ["text/plain"])
        names = [k.lower() for k, _ in hd]
        self.assertNotIn("date", names)
        self.assertNotIn("x-content-type-options", names)
        st, _, body = request(port, "POST", "/", [("Content-Type", "text/plain")],
                              body=b"12345678901")
        self.assertEqual((st, json.loads(body)["status"]), (413, 413))

    def test_error_handler(self):
        # HeaderPolicy allows only JSON requests, so every request without
        # that Content-Type fails (415, E3211); the ErrorHandler picks its
        # message by the request's path, then by Accept.
        port, _ = self.example("error-handler", "")
        st, hd, body = request(port, "GET", "/foo.html")
        self.assertEqual(st, 500)
        self.assertEqual(body, b'msg: "^/foo*" or "^/bar.*"\ncode: E3211\n'
                               b'kind: AppMiddleHeaderPolicy\n')
        st, hd, body = request(port, "GET", "/baz")
        self.assertEqual(body, b'msg: "^/baz.*"\n"code": "E3211"\n'
                               b'"kind": "AppMiddleHeaderPolicy"\n')
        st, hd, body = request(port, "GET", "/wrong")
        self.assertEqual((st, dict(hd).get("X-Example")), (500, "status=500"))
        self.assertEqual(json.loads(body), {"app": "AILERON Gateway", "status": 500,
                                            "statusText": "Internal Server Error",
                                            "code": "E3211", "kind": "AppMiddleHeaderPolicy"})
        st, hd, body = request(port, "GET", "/wrong", [("Accept", "application/xml")])
        self.assertEqual(st, 415)
        self.assertIn(b"<status>415</status>", body)
        self.assertIn(b"<kind>AppMiddleHeaderPolicy</kind>", body)
        # An allowed request is served by the StaticFileHandler.
        st, hd, body = request(port, "GET", "/ok.json", [("Content-Type", "application/json")])
        self.assertEqual(st, 200)

    def test_csrf(self):
        port, _ = self.example("csrf", "")
        st, _, body = request(port, "GET", "/", [("__csrfToken", "localhost")])
        self.assertEqual(st, 200)
        self.assertIn(b"---------- Request ----------", body)
        for value in ("example.com", None):
            st, _, body = request(port, "GET", "/", [("__csrfToken", value)] if value else [])
            self.assertEqual((st, body), (403, b'{"status":403,"statusText":"Forbidden"}'))

    def test_header_cert(self):
        up = self.ok_upstream()
        port, d = self.example("header-cert", up.url)
        with open(os.path.join(d, "pki", "client.crt"), "rb") as f:
            cert = base64.b64encode(f.read()).decode()  # base64 -w 0, as the README
        with open(os.path.join(d, "pki", "fingerprint.txt")) as f:
            fp = f.read().strip()
        self.assertEqual(request(port, "GET", "/", [("X-SSL-Client-Cert", cert),
                                                    ("X-SSL-Client-Fingerprint", fp)])[0], 200)
        st, _, body = request(port, "GET", "/", [("X-SSL-Client-Cert", cert)])
        self.assertEqual((st, json.loads(body)), (401, {"status": 401,
                                                        "statusText": "Unauthorized"}))
        st, _, body = request(port, "GET", "/")
        self.assertEqual((st, json.loads(body)["status"]), (400, 400))


if __name__ == "__main__":
    unittest.main()
