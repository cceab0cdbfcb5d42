"""PrometheusMeter: per-upstream counters and upstream latency histograms."""

import time

from harness import AileronTestCase, free_port, request, response
from test_status import metrics


def config(port, fast, slow, down):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: 2
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - hosts: ["status.local"]
      handlers:
        - handler: {apiVersion: app/v1, kind: PrometheusMeter}
        - handler: {apiVersion: app/v1, kind: StatusHandler}
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: app/v1
kind: PrometheusMeter
---
apiVersion: app/v1
kind: StatusHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/fast", matchType: Prefix}
      upstreams:
        - url: %s
    - pathMatcher: {match: "/slow", matchType: Prefix}
      upstreams:
        - url: %s
    - pathMatcher: {match: "/down", matchType: Prefix}
      upstreams:
        - url: %s
""" % (port, fast, slow, down)


def slow_handler(req, conn):
    time.sleep(0.15)
    return response(200, b"slow")


class UpstreamMetricsTest(AileronTestCase):

    allowed_errors = ("connect: Connection refused",)

    def test_per_upstream_counters_and_histogram(self):
        fast = self.upstream(lambda req, conn: response(
            404 if req.target.endswith("/missing") else 200, b"ok"))
        slow = self.upstream(slow_handler)
        down = "http://127.0.0.1:%d" % free_port()  # nothing listens
        port = free_port()
        self.start(config(port, fast.url, slow.url, down), port)
        for _ in range(3):
            self.assertEqual(request(port, path="/fast")[0], 200)
        self.assertEqual(request(port, path="/fast/missing")[0], 404)
        for _ in range(3):
            self.assertEqual(request(port, path="/slow")[0], 200)
        self.assertEqual(request(port, path="/down")[0], 502)
        m, _, body = metrics(port)
        text = body.decode()

        def up(name, url, **labels):
            lab = 'upstream="%s"' % url
            for k, v in labels.items():
                lab += ',%s="%s"' % (k, v)
            return m["%s{%s}" % (name, lab)]

        req = "aileron_upstream_requests_total"
        self.assertEqual(up(req, fast.url, code="2xx"), 3)
        self.assertEqual(up(req, fast.url, code="4xx"), 1)
        self.assertEqual(up(req, fast.url, code="5xx"), 0)
        self.assertEqual(up(req, slow.url, code="2xx"), 3)
        self.assertEqual(up("aileron_upstream_errors_total", down), 1)
        self.assertEqual(up("aileron_upstream_errors_total", fast.url), 0)
        self.assertEqual(m["aileron_upstream_errors_total"], 1)
        self.assertEqual(up(req, down, code="5xx"), 0)  # no response from it

        h = "aileron_upstream_response_seconds"
        # The slow upstream's answers take 0.15 s: none in le="0.1", all in le="0.25" (0.1 s slack).
        self.assertEqual(up(h + "_bucket", slow.url, le="0.1"), 0)
        self.assertEqual(up(h + "_bucket", slow.url, le="0.25"), 3)
        self.assertEqual(up(h + "_bucket", slow.url, le="0.5"), 3)
        self.assertEqual(up(h + "_bucket", slow.url, le="+Inf"), 3)
        self.assertEqual(up(h + "_count", slow.url), 3)
        self.assertGreaterEqual(up(h + "_sum", slow.url), 0.45)
        self.assertLessEqual(up(h + "_sum", slow.url), 0.75)
        self.assertEqual(up(h + "_bucket", fast.url, le="0.1"), 4)
        self.assertEqual(up(h + "_count", fast.url), 4)
        self.assertEqual(up(h + "_count", down), 0)
        # Server-wide: all 7 responses; buckets are cumulative.
        self.assertEqual(m[h + "_count"], 7)
        self.assertEqual(m[h + '_bucket{le="+Inf"}'], 7)
        self.assertEqual(m[h + '_bucket{le="0.1"}'], 4)
        les = [m[h + '_bucket{le="%s"}' % le] for le in
               ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
                "2.5", "5", "10", "+Inf")]
        self.assertEqual(les, sorted(les))
        # One HELP and TYPE per family.
        self.assertEqual(text.count("# TYPE %s histogram\n" % h), 1)
        self.assertEqual(text.count("# TYPE aileron_upstream_errors_total counter\n"), 1)

        st, _, body = request(port, path="/server-status", host="status.local")
        self.assertEqual(st, 200)
        self.assertRegex(body.decode(), r"\n%s +0 +3 +0 +0 +0 +0 +(1[5-9]|2[0-4])\d\.\d\n" % slow.url)
