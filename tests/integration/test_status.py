"""Metrics and status: app/v1 PrometheusMeter and app/v1 StatusHandler read the scoreboard."""

import re
import signal
import time

from harness import AileronTestCase, free_port, request, response


def config(port, up_url, extra=""):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: 3
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
%s---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
""" % (port, extra, up_url)


def metrics(port):
    st, hdrs, body = request(port, path="/metrics", host="status.local")
    assert st == 200, st
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out, hdrs, body


class StatusTest(AileronTestCase):

    def test_prometheus_counters(self):
        up = self.upstream(lambda req, conn: response(
            404 if req.target == "/missing" else 200, b"ok"))
        port = free_port()
        a = self.start(config(port, up.url), port)
        before, hdrs, body = metrics(port)
        ctype = dict((k.lower(), v) for k, v in hdrs)["content-type"]
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"))
        # Every sample line is "name{labels} value" after HELP/TYPE lines.
        for line in body.decode().splitlines():
            self.assertRegex(line, r'^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"]*"(,\w+="[^"]*")*\})? [0-9.]+)$')
        for _ in range(3):
            self.assertEqual(request(port, path="/x")[0], 200)
        self.assertEqual(request(port, path="/missing")[0], 404)
        after, _, _ = metrics(port)
        self.assertEqual(after['aileron_responses_total{class="2xx"}'] -
                         before['aileron_responses_total{class="2xx"}'], 4)  # 3 + a /metrics
        self.assertEqual(after['aileron_responses_total{class="4xx"}'] -
                         before['aileron_responses_total{class="4xx"}'], 1)
        self.assertGreaterEqual(after["aileron_requests_total"] - before["aileron_requests_total"], 5)
        workers = sum(v for k, v in after.items() if k.startswith("aileron_workers{"))
        self.assertEqual(workers, 3)
        self.assertEqual(after["aileron_config_generation"], 1)
        a.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            m, _, _ = metrics(port)
            if m["aileron_reloads_total"] == 1:
                break
            time.sleep(0.05)
        self.assertEqual(m["aileron_reloads_total"], 1)
        self.assertEqual(m["aileron_config_generation"], 2)

    def test_status_page_and_auto(self):
        up = self.upstream()
        port = free_port()
        self.start(config(port, up.url, "spec:\n  patterns: [\"/status\"]\n"), port)
        request(port, path="/hello")
        st, _, body = request(port, path="/status", host="status.local")
        self.assertEqual(st, 200)
        text = body.decode()
        self.assertIn("status", text.splitlines()[0])
        self.assertRegex(text, r"\n3 workers: \d+ busy, \d+ idle\n")
        self.assertRegex(text, r"\n[SRPWCG_.]{3}\n")
        self.assertEqual(len(re.findall(r"^\d+ +1 +\w+ ", text, re.M)), 3)
        st, _, body = request(port, path="/status?auto", host="status.local")
        auto = dict(line.split(": ", 1) for line in body.decode().splitlines())
        self.assertEqual(auto["Generation"], "1")
        self.assertGreaterEqual(int(auto["TotalRequests"]), 2)
        self.assertEqual(auto["Workers"], "3")  # some may still be starting
        self.assertLessEqual(int(auto["BusyWorkers"]) + int(auto["IdleWorkers"]), 3)
        # Default patterns are gone once patterns are given.
        self.assertEqual(request(port, path="/server-status", host="status.local")[0], 404)
        st, hdrs, body = request(port, method="HEAD", path="/metrics", host="status.local")
        self.assertEqual((st, body), (200, b""))
