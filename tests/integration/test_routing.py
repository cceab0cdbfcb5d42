"""Routing: ServeMux wildcards and the header/query/path-param matchers (cases 10-13)."""

import unittest

from harness import AileronTestCase, free_port, header, proxy_config, request, response

JSON404 = b'{"status":404,"statusText":"Not Found"}'


class RoutingTest(AileronTestCase):

    def setUp(self):
        super().setUp()
        self.up = self.upstream(lambda req, c: response(302, req.target.encode(), [("test", "ok")]))

    def gateway(self, doc):
        port = free_port()
        self.start(proxy_config(port, doc, "", "  processConfig:\n    workers: 2\n"), port)
        return port

    def lb(self, extra, patterns=None, match="/"):
        pat = "  patterns: %s\n" % patterns if patterns else ""
        return ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n%s  loadBalancers:\n"
                "    - pathMatcher: {match: \"%s\", matchType: Prefix}\n%s"
                "      upstreams:\n        - url: %s\n" % (pat, match, extra, self.up.url))

    def status(self, port, path, headers=()):
        st, hd, body = request(port, "GET", path, headers=headers, host="test.com")
        if st == 404:
            self.assertEqual(body, JSON404)
            self.assertIsNone(header(hd, "test"))
        return st

    def test_header_matcher(self):
        port = self.gateway(self.lb(
            "      headerMatchers:\n        - {key: param, patterns: [foo, bar], matchType: Exact}\n"))
        self.assertEqual(self.status(port, "/", [("param", "foo")]), 302)
        self.assertEqual(self.status(port, "/", [("Param", "bar")]), 302)
        self.assertEqual(self.status(port, "/", [("param", "baz")]), 404)
        self.assertEqual(self.status(port, "/"), 404)
        # Several lines are joined with "," before matching.
        self.assertEqual(self.status(port, "/", [("param", "foo"), ("param", "bar")]), 404)

    def test_header_matchers_and_regex_multi_values(self):
        port = self.gateway(self.lb(
            "      headerMatchers:\n"
            "        - {key: X-A, patterns: [\"^a,b$\"], matchType: Regex}\n"
            "        - {key: x-b, patterns: [\"1\"], matchType: Exact}\n"))
        self.assertEqual(self.status(port, "/", [("x-a", "a"), ("X-A", "b"), ("X-B", "1")]), 302)
        self.assertEqual(self.status(port, "/", [("x-a", "a"), ("X-A", "b")]), 404)

    def test_query_matcher(self):
        port = self.gateway(self.lb(
            "      queryMatchers:\n        - {key: param, patterns: [foo, bar, \"a b\"]}\n"))
        self.assertEqual(self.status(port, "/?param=foo"), 302)
        self.assertEqual(self.status(port, "/?x=1&param=bar"), 302)
        self.assertEqual(self.status(port, "/?param=a+b"), 302)
        self.assertEqual(self.status(port, "/?param=a%20b"), 302)
        self.assertEqual(self.status(port, "/?param=baz"), 404)
        self.assertEqual(self.status(port, "/?param=foo&param=bar"), 404)
        self.assertEqual(self.status(port, "/"), 404)

    def test_matcher_without_patterns_never_matches(self):
        port = self.gateway(self.lb("      queryMatchers:\n        - {key: param}\n"))
        self.assertEqual(self.status(port, "/?param=foo"), 404)

    def test_path_param_matcher(self):
        port = self.gateway(self.lb(
            "      pathParamMatchers:\n        - {key: param, patterns: [foo, bar]}\n",
            patterns='["/test/{param}"]'))
        self.assertEqual(self.status(port, "/test/foo"), 302)
        self.assertEqual(self.status(port, "/test/bar"), 302)
        self.assertEqual(self.status(port, "/test/baz"), 404)
        self.assertEqual(self.status(port, "/other"), 404)
        self.assertEqual(self.status(port, "/test/foo/x"), 404)

    def test_wildcard_patterns(self):
        port = self.gateway(self.lb(
            "      pathParamMatchers:\n        - {key: rest, patterns: [\"\"], matchType: Prefix}\n",
            patterns='["/files/{rest...}", "/exact/{$}"]'))
        st, hd, body = request(port, "GET", "/files/a/b?q=1", host="test.com")
        self.assertEqual((st, body), (302, b"/files/a/b?q=1"))
        self.assertEqual(self.status(port, "/exact/"), 404)  # no {rest}: matcher fails
        self.assertEqual(self.status(port, "/exact/x"), 404)

    def test_multiple_path_matchers_or(self):
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
               "    - pathMatchers:\n        - {match: /foo, matchType: Prefix}\n"
               "        - {match: /bar, matchType: Prefix}\n"
               "      upstreams:\n        - url: %s\n" % self.up.url)
        port = self.gateway(doc)
        self.assertEqual(self.status(port, "/foo"), 302)
        self.assertEqual(self.status(port, "/bar"), 302)
        self.assertEqual(self.status(port, "/baz"), 404)

    def test_vhost_and_handler_patterns_join(self):
        port = free_port()
        cfg = ("apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"
               "    - {apiVersion: core/v1, kind: HTTPServer}\n---\n"
               "apiVersion: core/v1\nkind: HTTPServer\nspec:\n  addr: \"127.0.0.1:%d\"\n"
               "  virtualHosts:\n    - pattern: /v/{ver}\n      handlers:\n"
               "        - pattern: /h\n          handler: {apiVersion: core/v1, kind: ReverseProxyHandler}\n"
               "---\n" % port) + self.lb(
            "      pathParamMatchers:\n        - {key: ver, patterns: [\"1\", \"2\"]}\n",
            patterns='["/{id}"]')
        self.start(cfg, port)
        self.assertEqual(self.status(port, "/v/1/h/x"), 302)
        self.assertEqual(self.status(port, "/v/3/h/x"), 404)
        self.assertEqual(self.status(port, "/v/1/h"), 404)

    def vhost_config(self, port, vhost_pattern, handler_pattern, patterns):
        hp = "        - pattern: %s\n  " % handler_pattern if handler_pattern else "        - "
        return ("apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"
                "    - {apiVersion: core/v1, kind: HTTPServer}\n---\n"
                "apiVersion: core/v1\nkind: HTTPServer\nspec:\n  addr: \"127.0.0.1:%d\"\n"
                "  virtualHosts:\n    - pattern: %s\n      handlers:\n"
                "%shandler: {apiVersion: core/v1, kind: ReverseProxyHandler}\n"
                "---\n" % (port, vhost_pattern, hp)) + self.lb("", patterns=patterns)

    def test_vhost_pattern_mounts_the_exact_path(self):
        # Issue 11, AILERON's mux.go: path.Clean("/" + vhost.pattern + p),
        # a trailing slash only when p has one.  "pattern: /prefix" with a
        # pattern-less handler mounts /prefix itself (reference case 34),
        # not the subtree /prefix/ with a 301 for /prefix.
        port = free_port()
        self.start(self.vhost_config(port, "/prefix", None, None), port)
        self.assertEqual(request(port, "GET", "/prefix", host="test.com")[::2], (302, b"/prefix"))
        self.assertEqual(self.status(port, "/prefix/"), 404)
        self.assertEqual(self.status(port, "/prefix/x"), 404)
        # A handler pattern with a trailing slash still mounts a subtree.
        port = free_port()
        self.start(self.vhost_config(port, "/prefix", None, '["/"]'), port)
        self.assertEqual(request(port, "GET", "/prefix/x", host="test.com")[0], 302)
        st, hd, _ = request(port, "GET", "/prefix", host="test.com")
        self.assertEqual((st, header(hd, "Location")), (301, "/prefix/"))

    def test_servemux_redirects(self):
        port = self.gateway(self.lb("", patterns='["/api/", "/files/{id}/"]', match=""))
        st, hd, body = request(port, "GET", "/api/a//b/../c?q=1&r=2", host="test.com")
        self.assertEqual((st, header(hd, "Location")), (301, "/api/a/c?q=1&r=2"))
        self.assertEqual(body, b'<a href="/api/a/c?q=1&amp;r=2">Moved Permanently</a>.\n\n')
        self.assertEqual(header(hd, "Content-Type"), "text/html; charset=utf-8")
        st, hd, body = request(port, "GET", "/api", host="test.com")
        self.assertEqual((st, header(hd, "Location")), (301, "/api/"))
        st, hd, _ = request(port, "GET", "/files/7", host="test.com")
        self.assertEqual((st, header(hd, "Location")), (301, "/files/7/"))
        st, hd, body = request(port, "POST", "/api/./x", body=b"", host="test.com")
        self.assertEqual((st, header(hd, "Location"), body), (301, "/api/x", b""))
        self.assertEqual(request(port, "GET", "/api/x", host="test.com")[::2], (302, b"/api/x"))
        # Only the slash-less form of a mounted subtree redirects.
        self.assertEqual(request(port, "GET", "/other", host="test.com")[0], 404)

    def test_invalid_pattern_fails_startup(self):
        from harness import run_aileron
        import os
        import tempfile
        port = free_port()
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(proxy_config(port, self.lb("", patterns='["/a/{x...}/b"]')))
        try:
            rc, out = run_aileron(["-f", f.name])
            rc2, out2 = run_aileron(["-c", "-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 1, out)
        self.assertIn("invalid pattern", out)
        self.assertEqual(rc2, 1, out2)
        self.assertIn("invalid pattern", out2)


if __name__ == "__main__":
    unittest.main()
