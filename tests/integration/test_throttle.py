"""app/v1 ThrottleMiddleware: limits that hold for the whole server, across workers."""

import os
import socket
import threading
import time

from harness import (AileronTestCase, Client, free_port, request, response, run_aileron)

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aileron-examples")


def config(port, up_url, throttlers, workers=4):
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
          kind: ThrottleMiddleware
      handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
---
apiVersion: app/v1
kind: ThrottleMiddleware
spec:
  apiThrottlers:
%s""" % (workers, port, up_url, throttlers)


TOO_MANY = b'{"status":429,"statusText":"Too Many Requests"}'


def concurrent(port, n, path="/"):
    """n requests at once, each on its own connection; their statuses."""
    out = [None] * n

    def one(i):
        try:
            out[i] = request(port, path=path)[0]
        except (OSError, EOFError) as e:
            out[i] = repr(e)

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    return out


class ThrottleTest(AileronTestCase):

    def slow_upstream(self, delay=0.5):
        def handler(req, conn):
            time.sleep(delay)
            return response(200, b"ok")
        return self.upstream(handler)

    def test_max_connections_across_workers(self):
        # AILERON's test: maxConns 3, 5 at once -> 3 x 200, 2 x 429.  The
        # 5 connections land on several of the 4 workers: one limit.
        up = self.slow_upstream()
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      maxConnections: {maxConns: 3}
"""), port)
        got = concurrent(port, 5)
        self.assertEqual(sorted(got), [200, 200, 200, 429, 429], got)
        # The slots come back when the responses end.  A worker frees its
        # slot just after its last write, so a client as quick as this one
        # may still find one held (a fresh machine's sanitizer build did):
        # a leaked slot never comes back, a late one within moments.
        deadline = time.monotonic() + 3
        while True:
            got = sorted(concurrent(port, 3))
            if got == [200, 200, 200] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(got, [200, 200, 200])
        st, hdrs, body = request(port)
        self.assertEqual(st, 200)

    def test_refusal_body(self):
        up = self.upstream()
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      fixedWindow: {windowSize: 600000, limit: 1}
"""), port)
        self.assertEqual(request(port)[0], 200)
        st, hdrs, body = request(port, headers=[("Accept", "application/json")])
        self.assertEqual(st, 429)
        self.assertEqual(body, TOO_MANY)
        h = {k.lower(): v for k, v in hdrs}
        self.assertEqual(h["content-type"], "application/json; charset=utf-8")
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertNotIn("retry-after", h)

    def test_fixed_window_counts_all_workers(self):
        # 12 requests, new connections spread over 4 workers: exactly 5 in.
        up = self.upstream()
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      fixedWindow: {windowSize: 600000, limit: 5}
"""), port)
        got = [request(port)[0] for _ in range(12)]
        self.assertEqual(got.count(200), 5, got)
        self.assertEqual(got.count(429), 7, got)
        self.assertEqual(len(up.requests), 5)

    def test_first_matching_rule_decides(self):
        up = self.upstream()
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["^/free"], matchType: Regex}
      methods: [POST]
      maxConnections: {maxConns: 1}
    - matcher: {patterns: ["/limited/*"], matchType: Path}
      methods: [GET]
      fixedWindow: {windowSize: 600000, limit: 2}
"""), port)
        got = [request(port, path="/limited/x")[0] for _ in range(3)]
        self.assertEqual(got, [200, 200, 429])
        # Other methods and paths are not limited.
        self.assertEqual(request(port, method="POST", path="/limited/x", body=b"")[0], 200)
        self.assertEqual([request(port, path="/free")[0] for _ in range(4)], [200] * 4)
        self.assertEqual([request(port, path="/other")[0] for _ in range(4)], [200] * 4)

    def test_leaky_bucket_queues(self):
        # bucketSize 2: one goes at once, two wait their turn, two refused.
        up = self.slow_upstream(0.05)
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      leakyBucket: {bucketSize: 2, leakInterval: 2000}
"""), port)
        got = concurrent(port, 5)
        self.assertEqual(sorted(got), [200, 200, 200, 429, 429], got)

    def test_client_gone_while_queued(self):
        # A client that leaves while its request waits: refused, nothing
        # reaches the upstream, the worker goes on.
        up = self.upstream()
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      leakyBucket: {bucketSize: 5, leakInterval: 100000}
""", workers=1), port)
        self.assertEqual(request(port)[0], 200)
        c = Client(port)
        c.send(b"GET /queued HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        c.sock.shutdown(socket.SHUT_WR)
        c.close()
        time.sleep(0.3)
        self.assertEqual([r.target for r in up.requests], ["/"])
        # The same worker takes the next request, which queues behind the
        # turn the leaver kept (a turn is never given to another).
        c = Client(port)
        c.send(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        c.sock.settimeout(1)
        self.assertRaises(socket.timeout, c.recv_response)
        c.close()

    def test_parked_connection_not_held_by_a_wait(self):
        # A worker waiting out a request's turn still hands its parked
        # connections on: the keep-alive client's next request (not
        # throttled) is answered before the queued one is let through.
        up = self.upstream()
        port = free_port()
        text = config(port, up.url, """    - matcher: {patterns: ["/q"], matchType: Prefix}
      leakyBucket: {bucketSize: 2, leakInterval: 4000}
""").replace("workers: 4", "startWorkers: 1\n    minSpareWorkers: 1\n"
                             "    maxSpareWorkers: 2")
        self.start(text, port)
        keep = Client(port)
        keep.send(b"GET /free HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(keep.recv_response()[0], 200)
        self.assertEqual(request(port, path="/q1")[0], 200)
        queued = Client(port)
        queued.send(b"GET /q2 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        keep.send(b"GET /free2 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(keep.recv_response()[0], 200)
        self.assertEqual([r.target for r in up.requests], ["/free", "/q1", "/free2"])
        self.assertEqual(queued.recv_response()[0], 200)
        self.assertEqual(up.requests[-1].target, "/q2")
        keep.close()
        queued.close()

    def test_retry_finds_a_slot(self):
        # maxRetry: a refused request retries (backoff) until a slot frees.
        up = self.slow_upstream(0.3)
        port = free_port()
        self.start(config(port, up.url, """    - matcher: {patterns: ["/"], matchType: Prefix}
      maxRetry: 12
      maxConnections: {maxConns: 1}
"""), port)
        got = concurrent(port, 3)
        self.assertEqual(got, [200, 200, 200])

    def test_bad_configs(self):
        d = self.id().rsplit(".", 1)[-1]
        path = os.path.join("/tmp", "aileron-%s-%d.yaml" % (d, os.getpid()))
        cases = [
            ("""    - matcher: {patterns: ["(["], matchType: Regex}
      maxConnections: {}
""", 'invalid regular expression "(["'),
            ("""    - matcher: {patterns: ["/"]}
""", "one of maxConnections, tokenBucket, fixedWindow or leakyBucket is required"),
            ("""    - matcher: {patterns: ["/"]}
      tokenBucket: {bucketSize: -1}
""", 'field "bucketSize": -1 is out of range'),
        ]
        try:
            for text, want in cases:
                with open(path, "w") as f:
                    f.write(config(free_port(), "http://127.0.0.1:1", text))
                rc, out = run_aileron(["-c", "-f", path])
                self.assertEqual(rc, 1, out)
                self.assertIn(want, out)
        finally:
            os.unlink(path)

    def test_example_throttle(self):
        # AILERON's example, as it is (EchoHandler behind the throttle).
        rc, out = run_aileron(["-c", "-f", os.path.join(EXAMPLES, "throttle.yaml")])
        self.assertEqual(rc, 0, out)
        # Its throttle (tokenBucket 20, fillRate 10 per second): a burst of
        # 30 within the first second gets 20 through.
        with open(os.path.join(EXAMPLES, "throttle.yaml")) as f:
            text = f.read()
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.start(text, port)
        got = []
        start = time.monotonic()
        c = Client(port)
        for _ in range(30):
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            got.append(c.recv_response()[0])
        c.close()
        if time.monotonic() - start < 1.0:
            self.assertEqual(got.count(200), 20, got)
            self.assertEqual(got.count(429), 10, got)
