"""app/v1 PrometheusMeter as middleware and tripperware: API calls counted for all workers."""

import os
import re

from harness import AileronTestCase, free_port, request, response, run_aileron, wait_for

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aileron-examples")


def config(port, up_url, workers=3):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: %d
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
        - apiVersion: app/v1
          kind: PrometheusMeter
      handlers:
        - handler:
            apiVersion: app/v1
            kind: PrometheusMeter
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: app/v1
kind: PrometheusMeter
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  tripperwares:
    - apiVersion: app/v1
      kind: PrometheusMeter
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
""" % (workers, port, up_url)


def samples(port, name):
    st, h, body = request(port, path="/metrics")
    assert st == 200, st
    out = {}
    for line in body.decode().splitlines():
        m = re.match(r"^(%s)(\{.*\})? (\S+)$" % re.escape(name), line)
        if m:
            out[m.group(2) or ""] = float(m.group(3))
    return out


class PromMeterTest(AileronTestCase):
    allowed_errors = ("upstream", "round trip", "connect")

    def test_counts_across_workers(self):
        # AILERON's test: 5 GET /get and 5 POST /post with host metrics.com,
        # here on new connections spread over 3 workers.
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        self.start(config(port, up.url), port)
        for _ in range(5):
            self.assertEqual(request(port, path="/get", host="metrics.com")[0], 200)
            self.assertEqual(request(port, "POST", "/post", body=b"x", host="metrics.com")[0], 200)
        # A worker counts a request once its response is sent: the client
        # may see the response first, so wait for the last ones.
        get = '{code="200",host="metrics.com",method="GET",path="/get"}'
        post = '{code="200",host="metrics.com",method="POST",path="/post"}'
        self.assertTrue(wait_for(lambda: [samples(port, "http_requests_total").get(k)
                                          for k in (get, post)] == [5, 5]),
                        samples(port, "http_requests_total"))
        host = up.url[len("http://"):]
        c = samples(port, "http_client_requests_total")
        self.assertEqual(c['{code="200",host="%s",method="GET",path="/get"}' % host], 5)
        self.assertEqual(c['{code="200",host="%s",method="POST",path="/post"}' % host], 5)
        # The scrapes themselves are counted once they ended, whichever
        # worker served them.
        scrape = '{code="200",host="127.0.0.1:%d",method="GET",path="/metrics"}' % port
        first = samples(port, "http_requests_total").get(scrape, 0)
        self.assertTrue(wait_for(
            lambda: samples(port, "http_requests_total").get(scrape, 0) > first))
        self.assertGreaterEqual(
            samples(port, "promhttp_metric_handler_requests_total")['{code="200"}'], first + 1)
        self.assertGreaterEqual(samples(port, "promhttp_metric_handler_requests_in_flight")[""], 1)

    def test_upstream_down_and_errors(self):
        # No upstream: the client side counts code 0, the server side 502.
        dead = free_port()
        port = free_port()
        self.start(config(port, "http://127.0.0.1:%d" % dead, workers=2), port)
        for _ in range(2):
            self.assertEqual(request(port, path="/x")[0], 502)
        s = samples(port, "http_requests_total")
        self.assertEqual(s['{code="502",host="127.0.0.1:%d",method="GET",path="/x"}' % port], 2)
        c = samples(port, "http_client_requests_total")
        self.assertEqual(c['{code="0",host="127.0.0.1:%d",method="GET",path="/x"}' % dead], 2)

    def test_label_values_escaped(self):
        up = self.upstream(lambda req, c: response(404, b"no"))
        port = free_port()
        self.start(config(port, up.url, workers=1), port)
        self.assertEqual(request(port, path='/a%22b%5Cc%0A')[0], 404)
        st, h, body = request(port, path="/metrics")
        self.assertIn(b'path="/a\\"b\\\\c\\n"} 1\n', body)

    def test_example_prometheus(self):
        # AILERON's example, unchanged but for address and upstream: the
        # meter is the handler, the server's middleware and the
        # HTTPClient's tripperware at once.
        path = os.path.join(EXAMPLES, "prometheus.yaml")
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)
        up = self.upstream(lambda req, c: response(200, b"ok"))
        with open(path) as f:
            text = f.read()
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://httpbin.org", up.url)
        self.start(text, port)
        for _ in range(5):
            self.assertEqual(request(port, path="/get", host="metrics.com")[0], 200)
        s = samples(port, "http_requests_total")
        self.assertEqual(s['{code="200",host="metrics.com",method="GET",path="/get"}'], 5)
        c = samples(port, "http_client_requests_total")
        host = up.url[len("http://"):]
        self.assertEqual(c['{code="200",host="%s",method="GET",path="/get"}' % host], 5)
        # README: curl http://localhost:8080/metrics shows the metrics.
        st, h, body = request(port, path="/metrics")
        self.assertIn(b"# TYPE http_requests_total counter\n", body)
        self.assertIn(b"aileron_requests_total ", body)
