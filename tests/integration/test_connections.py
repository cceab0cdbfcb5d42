"""Connection handling: parked keep-alive connections, slow request heads (slowloris), timeouts."""

import socket
import threading
import time
import unittest

from harness import AileronTestCase, Client, free_port, proxy_config, request, simple_lb


def entry(workers):
    return "  processConfig:\n    workers: %d\n" % workers


class ConnectionTest(AileronTestCase):
    def gateway(self, workers, server_extra=""):
        up = self.upstream()
        port = free_port()
        self.start(proxy_config(port, simple_lb([up.url]), server_extra, entry(workers)), port)
        return port, up

    def test_idle_keep_alive_connections_do_not_pin_workers(self):
        port, _ = self.gateway(workers=1)
        idle = []
        for _ in range(20):
            c = Client(port)
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
            idle.append(c)  # stays open, idle
        # A new client is served by the only worker although 20 connections
        # are open and idle; each idle one still works afterwards.
        self.assertEqual(request(port)[0], 200)
        for c in idle:
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
            c.close()

    def test_slowloris_does_not_starve_normal_clients(self):
        port, up = self.gateway(workers=2, server_extra="  httpConfig:\n    readHeaderTimeout: 5\n")
        stop = threading.Event()
        socks = []
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
            socks.append(s)

        def trickle():
            while not stop.is_set():
                for s in socks:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass
                stop.wait(0.3)
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        try:
            worst = 0.0
            for _ in range(10):
                t0 = time.monotonic()
                st, _, _ = request(port)
                worst = max(worst, time.monotonic() - t0)
                self.assertEqual(st, 200)
                time.sleep(0.1)
            # The bound: no normal client waits more than a second.
            self.assertLess(worst, 1.0)
        finally:
            stop.set()
            t.join(5)
            for s in socks:
                s.close()
        self.assertEqual(len(up.requests), 10)

    def test_slow_request_does_not_delay_connections_parked_beside_it(self):
        def h(req, c):
            if req.target == "/slow":
                time.sleep(2)
            return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        up = self.upstream(h)
        port = free_port()
        self.start(proxy_config(port, simple_lb([up.url]), "", entry(2)), port)
        conns = []
        for _ in range(10):
            c = Client(port)
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
            conns.append(c)
        conns[0].send(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        time.sleep(0.2)
        t0 = time.monotonic()
        for c in conns[1:]:
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        for c in conns[1:]:
            self.assertEqual(c.recv_response()[0], 200)
        # Connections parked in the slow request's worker were handed to
        # the other worker instead of waiting the 2 s out.
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertEqual(conns[0].recv_response()[0], 200)
        for c in conns:
            c.close()

    def test_slow_head_is_closed_after_read_header_timeout(self):
        port, up = self.gateway(workers=1, server_extra="  httpConfig:\n    readHeaderTimeout: 1\n")
        c = Client(port)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n")
        t0 = time.monotonic()
        self.assertTrue(c.closed(timeout=5))
        self.assertGreater(time.monotonic() - t0, 0.5)
        self.assertEqual(up.requests, [])

    def test_head_split_across_packets_is_served(self):
        port, up = self.gateway(workers=1)
        c = Client(port)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (b"GET /sp", b"lit HTTP/1.1\r\nHo", b"st: a\r\n", b"\r\n"):
            c.send(piece)
            time.sleep(0.05)
        self.assertEqual(c.recv_response()[0], 200)
        self.assertEqual(up.requests[0].target, "/split")

    def test_idle_keep_alive_closed_after_idle_timeout(self):
        port, _ = self.gateway(workers=1, server_extra="  httpConfig:\n    idleTimeout: 1\n")
        c = Client(port)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 200)
        t0 = time.monotonic()
        self.assertTrue(c.closed(timeout=5))
        self.assertGreater(time.monotonic() - t0, 0.5)


if __name__ == "__main__":
    unittest.main()


def status_config(port, up_url, entry_extra):
    """A catch-all proxy to up_url beside a status page on status.local."""
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
%s---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - hosts: ["status.local"]
      handlers:
        - handler: {apiVersion: app/v1, kind: StatusHandler}
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: app/v1
kind: StatusHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
""" % (entry_extra, port, up_url)


def status_auto(port):
    st, _, body = request(port, path="/server-status?auto",
                           host="status.local")
    assert st == 200, st
    return dict(line.split(": ", 1) for line in body.decode().splitlines())


def no_answer_yet(c):
    """True when nothing arrived on client c yet."""
    c.sock.setblocking(False)
    try:
        c.sock.recv(1, socket.MSG_PEEK)  # data or EOF: an answer came
        return False
    except BlockingIOError:
        return True
    finally:
        c.sock.setblocking(True)


class SlowUpstreamTest(AileronTestCase):
    """Behind an upstream that takes 50 ms (a slow one: 5 ms or more), a
    request that arrives on a connection parked in a busy worker is handed
    to another worker at once and counted; the pool grows on such requests."""

    def slow_upstream(self, slow_s):
        def h(req, c):
            time.sleep(slow_s if req.target == "/slow" else 0.05)
            return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        return self.upstream(h)

    def warm(self, port):
        # Sixteen responses: some worker saw a window of eight slow ones.
        for _ in range(16):
            self.assertEqual(request(port)[0], 200)

    def test_request_parked_behind_a_busy_worker_is_handed_off(self):
        up = self.slow_upstream(3)
        port = free_port()
        self.start(status_config(port, up.url, entry(2)), port)
        self.warm(port)
        before = int(status_auto(port)["HandOffs"])
        conns = []
        # Twelve: which worker accepts each is up to the kernel, and with
        # six, all five fast ones sometimes landed in the other worker
        # (nothing parked behind /slow to hand off).
        for _ in range(12):
            c = Client(port)
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
            conns.append(c)
        conns[0].send(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        time.sleep(0.2)
        for c in conns[1:]:
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        for c in conns[1:]:
            self.assertEqual(c.recv_response()[0], 200)
        # All served while /slow is still in flight: none waited for it...
        self.assertTrue(no_answer_yet(conns[0]))
        # ...and the ones parked in its worker went over as waiting
        # requests (behind a fast upstream they would wait 20 ms first,
        # uncounted).
        self.assertGreater(int(status_auto(port)["HandOffs"]), before)
        self.assertEqual(conns[0].recv_response()[0], 200)
        for c in conns:
            c.close()

    def test_pool_grows_on_waiting_requests(self):
        self.check_all_waiting_requests_served_at_once(6)

    def test_many_waiting_requests_all_handed_off(self):
        # Thirty at once, more than one handoff round of a small queue:
        # none stays behind the worker they were parked in.
        self.check_all_waiting_requests_served_at_once(30)

    def check_all_waiting_requests_served_at_once(self, n):
        up = self.slow_upstream(3)
        port = free_port()
        pc = ("  processConfig:\n    startWorkers: 1\n    minSpareWorkers: 1\n"
              "    maxSpareWorkers: 2\n    maxWorkers: %d\n" % (n + 4))
        self.start(status_config(port, up.url, pc), port)
        self.warm(port)
        conns = []
        for _ in range(n):
            c = Client(port)
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
            conns.append(c)
        for c in conns:
            c.send(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        # All n /slow requests are in flight at once, each in its own
        # worker, before the first of them is answered: the pool grew on
        # the waiting requests (the once-a-second spare count would have
        # added one worker, then two, in that time).
        busy = 0
        while all(no_answer_yet(c) for c in conns):
            a = status_auto(port)
            busy = max(busy, int(a["BusyWorkers"]) - 1)  # minus this request
            if busy >= n:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(busy, n)
        self.assertTrue(all(no_answer_yet(c) for c in conns))
        for c in conns:
            self.assertEqual(c.recv_response()[0], 200)
            c.close()
        self.assertEqual(int(status_auto(port)["WaitingRequests"]), 0)
