"""Middleware chains as AILERON builds them: server, virtual host, handler spec, HTTPHandler."""

import os
import threading
import time

from harness import AileronTestCase, free_port, request, response, run_aileron

TOP = os.environ.get("TOP_SRCDIR", "../..")

ENTRY = """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: %d
"""


def ref(kind, name, api="app/v1"):
    return "        - {apiVersion: %s, kind: %s, name: %s}\n" % (api, kind, name)


def policy(name):
    """A HeaderPolicyMiddleware that marks the request and the response with name."""
    return """---
apiVersion: app/v1
kind: HeaderPolicyMiddleware
metadata: {name: %s}
spec:
  requestPolicy:
    add: {X-Trace: %s}
  responsePolicy:
    add: {X-Seen: %s}
""" % (name, name, name)


def proxy(name, patterns, up_url, methods=""):
    return """---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: %s}
spec:
  patterns: [%s]
%s  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
""" % (name, ", ".join('"%s"' % p for p in patterns), methods, up_url)


def mws(refs, indent):
    """A middleware: list of HeaderPolicyMiddleware names at indent."""
    if not refs:
        return ""
    pad = " " * indent
    return pad + "middleware:\n" + "".join(
        "%s  - {apiVersion: app/v1, kind: HeaderPolicyMiddleware, name: %s}\n" % (pad, n)
        for n in refs)


def seen(hdrs):
    return [v for k, v in hdrs if k.lower() == "x-seen"]


class ChainTestCase(AileronTestCase):
    def recording_upstream(self):
        def handle(req, c):
            return response(200, b"ok")
        return self.upstream(handle)

    def check_config_error(self, text, *wants):
        path = os.path.join("/tmp", "aileron-chain-%s-%d-%d.yaml" % (
            self.id().rsplit(".", 1)[-1], os.getpid(), len(self._cleanups)))
        with open(path, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        rc, out = run_aileron(["-c", "-f", path])
        self.assertNotEqual(rc, 0, out)
        for w in wants:
            self.assertIn(w, out)
        self.assertNotIn("FATAL", out)
        return out


class VirtualHostChainTest(ChainTestCase):
    """Two virtual hosts, each with its own middleware; the server's around both."""

    def setUp(self):
        super().setUp()
        self.up = self.recording_upstream()
        self.port = free_port()
        cfg = ENTRY % 2 + """---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
%s  virtualHosts:
    - hosts: [a.test]
      methods: [GET]
%s      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: pa}
%s    - hosts: [b.test]
%s      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: pb}
""" % (self.port, mws(["server"], 2), mws(["vhostA"], 6), mws(["handlerA"], 10),
            mws(["vhostB"], 6))
        cfg += (proxy("pa", ["/a/"], self.up.url) + proxy("pb", ["/"], self.up.url)
                + policy("server") + policy("vhostA") + policy("vhostB") + policy("handlerA"))
        self.start(cfg, self.port)

    def test_each_vhost_runs_only_its_own(self):
        st, hd, body = request(self.port, path="/a/x", host="a.test")
        self.assertEqual((st, body), (200, b"ok"))
        # Response heads: innermost first, as Go's wrapped writers add them.
        self.assertEqual(seen(hd), ["handlerA", "vhostA", "server"])
        # Requests: outermost first.
        self.assertEqual(self.up.requests[-1].header_all("X-Trace"),
                         ["server", "vhostA", "handlerA"])
        st, hd, body = request(self.port, path="/b", host="b.test")
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(seen(hd), ["vhostB", "server"])
        self.assertEqual(self.up.requests[-1].header_all("X-Trace"), ["server", "vhostB"])

    def test_unrouted_requests_run_server_middleware_only(self):
        # No handler of a.test matches: the mux's 404, before any vhost middleware.
        n = len(self.up.requests)
        st, hd, body = request(self.port, path="/other", host="a.test")
        self.assertEqual(st, 404)
        self.assertEqual(seen(hd), ["server"])
        # A method the virtual host does not allow: 404 too (Go's methodCheckHandler).
        st, hd, body = request(self.port, "DELETE", "/a/x", host="a.test")
        self.assertEqual(st, 404)
        self.assertEqual(seen(hd), ["server"])
        # An unknown host: the global not-found route.
        st, hd, body = request(self.port, path="/", host="c.test")
        self.assertEqual(st, 404)
        self.assertEqual(seen(hd), ["server"])
        # The mux's redirect of an unclean path.
        st, hd, body = request(self.port, path="/a/./x", host="a.test")
        self.assertEqual(st, 301)
        self.assertEqual(seen(hd), ["server"])
        self.assertEqual(len(self.up.requests), n)

    def test_keep_alive_switches_chains(self):
        # One connection, requests to both hosts: each gets its own chain.
        from harness import Client
        c = Client(self.port)
        try:
            for host, want in (("a.test", ["handlerA", "vhostA", "server"]),
                               ("b.test", ["vhostB", "server"]),
                               ("a.test", ["server"]),
                               ("a.test", ["handlerA", "vhostA", "server"])):
                path = "/nope" if want == ["server"] else "/a/1"
                c.send(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode())
                st, hd, body = c.recv_response()
                self.assertEqual(seen(hd), want, (host, path))
        finally:
            c.close()


class AnsweringMiddlewareTest(ChainTestCase):
    """A middleware that answers stops the ones inside it."""

    def test_vhost_refusal_skips_handler_middleware(self):
        up = self.recording_upstream()
        port = free_port()
        cfg = ENTRY % 1 + """---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
%s  virtualHosts:
    - middleware:
        - {apiVersion: app/v1, kind: HeaderPolicyMiddleware, name: json}
      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: p}
%s""" % (port, mws(["server"], 2), mws(["inner"], 10))
        cfg += proxy("p", ["/"], up.url) + policy("server") + policy("inner") + """---
apiVersion: app/v1
kind: HeaderPolicyMiddleware
metadata: {name: json}
spec:
  allowMIMEs: [application/json]
"""
        self.start(cfg, port)
        st, hd, body = request(port, "POST", "/x", [("Content-Type", "text/plain")], b"hi")
        self.assertEqual(st, 415)
        self.assertEqual(seen(hd), ["server"])
        self.assertEqual(up.requests, [])
        st, hd, body = request(port, "POST", "/x", [("Content-Type", "application/json")],
                               b"{}")
        self.assertEqual(st, 200)
        self.assertEqual(seen(hd), ["inner", "server"])
        self.assertEqual(up.requests[-1].header_all("X-Trace"), ["server", "inner"])


class HTTPHandlerTest(ChainTestCase):
    """core/v1 HTTPHandler: a handler in its own middleware, its patterns prefixed."""

    def config(self, port, up, vhost_extra="", more=""):
        cfg = ENTRY % 2 + """---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
%s  virtualHosts:
    - %shandlers:
        - handler: {apiVersion: core/v1, kind: HTTPHandler, name: outer}
%s        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: plain}
---
apiVersion: core/v1
kind: HTTPHandler
metadata: {name: outer}
spec:
  pattern: /api
  middleware:
    - {apiVersion: app/v1, kind: HeaderPolicyMiddleware, name: outer}
  handler: {apiVersion: core/v1, kind: HTTPHandler, name: inner}
---
apiVersion: core/v1
kind: HTTPHandler
metadata: {name: inner}
spec:
  pattern: v1
  middleware:
    - {apiVersion: app/v1, kind: HeaderPolicyMiddleware, name: inner}
  handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: wrapped}
""" % (port, mws(["server"], 2), vhost_extra, mws(["spec"], 10))
        cfg += (proxy("wrapped", ["/"], up.url, "  methods: [GET, POST]\n")
                + proxy("plain", ["/plain/"], up.url)
                + policy("server") + policy("vhost") + policy("spec") + policy("outer")
                + policy("inner") + more)
        return cfg

    def test_wrapped_handler_and_order(self):
        up = self.recording_upstream()
        port = free_port()
        self.start(self.config(port, up, mws(["vhost"], 6).lstrip() + "      "), port)
        st, hd, body = request(port, path="/api/v1/x?q=1")
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(up.requests[-1].target, "/api/v1/x?q=1")
        self.assertEqual(up.requests[-1].header_all("X-Trace"),
                         ["server", "vhost", "spec", "outer", "inner"])
        self.assertEqual(seen(hd), ["inner", "outer", "spec", "vhost", "server"])
        # The wrapped handler's patterns, prefixed: the subtree /api/v1/.
        self.assertEqual(request(port, path="/api/v1/")[0], 200)
        self.assertEqual(request(port, path="/api/x")[0], 404)
        # Its methods are the wrapped handler's.
        st, hd, body = request(port, "DELETE", "/api/v1/x")
        self.assertEqual(st, 404)
        self.assertEqual(seen(hd), ["server"])
        # Its middleware is its own: the other handler of the vhost does not run it.
        st, hd, body = request(port, path="/plain/y")
        self.assertEqual(st, 200)
        self.assertEqual(seen(hd), ["vhost", "server"])
        self.assertEqual(up.requests[-1].header_all("X-Trace"), ["server", "vhost"])

    def test_checks_with_aileron_c(self):
        up = self.recording_upstream()
        path = os.path.join("/tmp", "aileron-chain-ok-%d.yaml" % os.getpid())
        with open(path, "w") as f:
            f.write(self.config(free_port(), up))
        self.addCleanup(os.unlink, path)
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)


class SharedInstanceTest(ChainTestCase):
    """A middleware referenced by two handlers is one instance (one Throttle budget)."""

    def test_shared_throttle_counts_once(self):
        def slow(req, c):
            time.sleep(0.6)
            return response(200, b"ok")
        up = self.upstream(slow)
        port = free_port()
        cfg = ENTRY % 4 + """---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - hosts: [a.test]
      middleware:
        - {apiVersion: app/v1, kind: ThrottleMiddleware, name: shared}
      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: pa}
    - hosts: [b.test]
      handlers:
        - handler: {apiVersion: core/v1, kind: HTTPHandler, name: hb}
    - hosts: [c.test]
      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: pa}
---
apiVersion: core/v1
kind: HTTPHandler
metadata: {name: hb}
spec:
  middleware:
    - {apiVersion: app/v1, kind: ThrottleMiddleware, name: shared}
  handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: pa}
---
apiVersion: app/v1
kind: ThrottleMiddleware
metadata: {name: shared}
spec:
  apiThrottlers:
    - matcher: {patterns: ["/"], matchType: Prefix}
      maxConnections: {maxConns: 1}
""" % port + proxy("pa", ["/"], up.url)
        self.start(cfg, port)
        got = {}

        def one(host):
            got[host] = request(port, path="/", host=host)[0]
        t = threading.Thread(target=one, args=("a.test",))
        t.start()
        time.sleep(0.25)
        # The one slot is taken by a.test's request: b.test's is refused ...
        self.assertEqual(request(port, path="/", host="b.test")[0], 429)
        # ... and c.test, without the middleware, goes through.
        self.assertEqual(request(port, path="/", host="c.test")[0], 200)
        t.join(10)
        self.assertEqual(got["a.test"], 200)
        self.assertEqual(request(port, path="/", host="b.test")[0], 200)


class BadConfigTest(ChainTestCase):
    """Mistakes in chains and HTTPHandlers are clear errors, at their place."""

    HH = "{apiVersion: core/v1, kind: HTTPHandler, name: h}"
    ECHO = "{apiVersion: app/v1, kind: EchoHandler}"

    def wrap(self, vhost_handler, docs, vhost_mw=""):
        return ENTRY % 1 + """---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - %shandlers:
        - handler: %s
%s""" % (free_port(), vhost_mw, vhost_handler, docs)

    def hh(self, spec, name="h", more="---\napiVersion: app/v1\nkind: EchoHandler\n"):
        """The vhost serves HTTPHandler h, whose spec is spec (indented lines)."""
        return self.wrap(self.HH, "---\napiVersion: core/v1\nkind: HTTPHandler\n"
                         "metadata: {name: %s}\nspec:\n%s%s" % (name, spec, more))

    def test_httphandler_without_handler(self):
        self.check_config_error(self.hh("  pattern: /x\n"), 'missing field "handler"')

    def test_unknown_middleware_kind(self):
        self.check_config_error(self.hh(
            "  middleware:\n    - {apiVersion: app/v1, kind: NoSuchMiddleware, name: m}\n"
            "  handler: %s\n" % self.ECHO),
            "undefined reference to app/v1/NoSuchMiddleware/default/m")
        # A document of an unknown kind, used as a virtual host's middleware.
        self.check_config_error(self.wrap(
            self.ECHO, "---\napiVersion: app/v1\nkind: EchoHandler\n"
            "---\napiVersion: app/v1\nkind: NoSuchMiddleware\n",
            "middleware:\n        - {apiVersion: app/v1, kind: NoSuchMiddleware}\n      "),
            "unknown kind app/v1 NoSuchMiddleware")

    def test_handler_that_is_not_one(self):
        self.check_config_error(self.hh(
            "  handler: {apiVersion: app/v1, kind: HeaderPolicyMiddleware}\n",
            more="---\napiVersion: app/v1\nkind: HeaderPolicyMiddleware\n"),
            "app/v1/HeaderPolicyMiddleware/default/default cannot be used as a handler")

    def test_middleware_that_is_not_one(self):
        self.check_config_error(self.hh(
            "  middleware:\n    - %s\n  handler: %s\n" % (self.ECHO, self.ECHO)),
            "app/v1/EchoHandler/default/default cannot be used as middleware")

    def test_httphandler_cycle(self):
        self.check_config_error(self.hh(
            "  handler: {apiVersion: core/v1, kind: HTTPHandler, name: g}\n",
            more="---\napiVersion: core/v1\nkind: HTTPHandler\nmetadata: {name: g}\n"
            "spec:\n  handler: %s\n" % self.HH), "cannot wrap itself")

    def test_unknown_field(self):
        self.check_config_error(self.hh("  handler: %s\n  patterns: [/x]\n" % self.ECHO),
                                'unknown field "patterns" in core/v1 HTTPHandler spec')

    def test_same_pattern_twice(self):
        # Two handler entries on one pattern: Go's ServeMux refuses it.
        self.check_config_error(self.wrap(
            self.ECHO, "        - handler: %s\n---\napiVersion: app/v1\nkind: EchoHandler\n"
            % self.ECHO), "are both mounted at the same pattern")

    def test_aileron_test_configs(self):
        # AILERON's own test/integration/httphandler configs of bad specs.
        for name, want in (("config-empty-spec.yaml", 'missing field "handler"'),
                           ("config-invalid-spec.yaml", 'unknown field "invalid"')):
            with open(os.path.join(TOP, "tests", "integration", "data", "httphandler",
                                   name)) as f:
                self.check_config_error(f.read(), want)
