"""Hostile load and faults: descriptor exhaustion, stop, slow bodies, odd requests."""

import resource
import signal
import socket
import threading
import time

from test_client import client_doc
from harness import (AileronTestCase, Client, cpu_seconds, free_port, process_config,
                     proxy_config, request, response, simple_lb, wait_for)


def nofile(n):
    """A preexec_fn that caps the descriptors of aileron (soft and hard)."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


class DescriptorTest(AileronTestCase):

    def test_out_of_descriptors_pauses_accepting(self):
        up = self.upstream()
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]), "",
                                    process_config(workers=1)),
                       port, preexec_fn=nofile(48))
        worker = wait_for(a.worker_pids)[0]
        first = Client(port)
        first.send(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(first.recv_response()[0], 200)
        # More connections than the worker has descriptors for.
        socks = []
        for _ in range(80):
            s = socket.create_connection(("127.0.0.1", port))
            socks.append(s)
        time.sleep(0.5)
        before = cpu_seconds(worker)
        time.sleep(2)
        used = cpu_seconds(worker) - before
        self.assertLess(used, 0.5, "the worker spins while out of descriptors")
        # The connection it has is still served.
        first.send(b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(first.recv_response()[0], 200)
        lines = [l for l in a.log_lines()
                 if isinstance(l, dict) and "accept on" in l.get("msg", "")]
        self.assertGreater(len(lines), 0)
        self.assertLess(len(lines), 20, "one line per pause, not per attempt")
        for s in socks:
            s.close()
        first.close()
        # With descriptors free again, new clients are served.
        self.assertEqual(wait_for(lambda: request(port)[0] == 200, timeout=5), True)


class StopTest(AileronTestCase):

    def test_stop_refuses_new_connections_at_once(self):
        def slow(req, c):
            time.sleep(2)
            return response(200, b"done")
        up = self.upstream(slow)
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=2)), port)
        results = []
        t = threading.Thread(target=lambda: results.append(request(port)))
        t.start()
        self.assertTrue(wait_for(lambda: len(up.requests) == 1, 5))
        a.signal(signal.SIGTERM)
        time.sleep(0.3)
        # The request in flight goes on, but nobody takes new connections:
        # they are refused, so the client can go elsewhere at once.
        self.assertIsNone(a.proc.poll())
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        t.join(10)
        self.assertEqual([r[0] for r in results], [200])
        self.assertEqual(a.proc.wait(10), 0)


class LimitTest(AileronTestCase):

    def gateway(self):
        up = self.upstream()
        port = free_port()
        self.start(proxy_config(port, simple_lb([up.url])), port)
        return up, port

    def test_long_method_is_501_and_not_forwarded(self):
        up, port = self.gateway()
        self.assertEqual(request(port, method="X" * 32)[0], 200)
        c = Client(port)
        c.send(b"X" * 100 + b" / HTTP/1.1\r\nHost: h\r\n\r\n")
        status, headers, _ = c.recv_response()
        self.assertEqual(status, 501)
        self.assertTrue(c.closed())
        c.close()
        self.assertEqual([r.method for r in up.requests], ["X" * 32])

    def test_nul_in_path_is_400_and_not_forwarded(self):
        up, port = self.gateway()
        for path in ("/a%00b", "/a%00", "/%00/x"):
            self.assertEqual(request(port, path=path)[0], 400, path)
        self.assertEqual(request(port, path="/a%01b")[0], 200)
        self.assertEqual([r.target for r in up.requests], ["/a%01b"])


class DeadlineTest(AileronTestCase):
    """Timeouts at their maximum mean "very long", not an overflow."""

    def test_longest_timeouts_do_not_overflow(self):
        def slow(req, c):
            time.sleep(0.5)
            return response(200, b"late")
        up = self.upstream(slow)
        port = free_port()
        most = 2 ** 63 // 1000 - 1  # seconds, and milliseconds below
        server = ("  httpConfig:\n    readTimeout: %d\n    readHeaderTimeout: %d\n"
                  "    writeTimeout: %d\n    idleTimeout: %d\n" % (most, most, most, most))
        client = ("  httpTransportConfig: {responseHeaderTimeout: %d, idleConnTimeout: %d}\n"
                  % (most * 1000, most * 1000))
        self.start(proxy_config(port, client_doc(up.url, client), server), port)
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok")
        self.assertEqual(c.recv_response()[0::2], (200, b"late"))
        c.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(c.recv_response()[0::2], (200, b"late"))
        c.close()


def vm_bytes(pid):
    """The virtual memory size of a process."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise ValueError("no VmSize")


class RetryBufferTest(AileronTestCase):

    def gateway(self, up, preexec_fn=None):
        port = free_port()
        spec = "  retryConfig: {maxRetry: 2, maxContentLength: 16777216}\n"
        a = self.start(proxy_config(port, client_doc(up.url, spec), "",
                                    process_config(workers=1)),
                       port, preexec_fn=preexec_fn)
        worker = wait_for(a.worker_pids)[0]
        self.assertEqual(request(port, "POST", body=b"x" * 1000)[0::2], (200, b"1000"))
        return a, port, worker

    def test_no_memory_for_the_retry_copy_streams_the_body(self):
        up = self.upstream(lambda req, c: response(200, b"%d" % len(req.body)))
        a, port, worker = self.gateway(up)
        vm = vm_bytes(worker)
        a.stop()
        if vm > 1 << 40:
            self.skipTest("sanitizer build: address space reserved up front")
        # Room for the worker as it is, not for a 12 MiB copy of a body.
        limit = vm + (6 << 20)
        a, port, worker = self.gateway(
            up, lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
        size = 12 << 20
        st, _, body = request(port, "POST", body=b"y" * size)
        self.assertEqual((st, body), (200, b"%d" % size))
        self.assertEqual(wait_for(a.worker_pids), [worker])
        self.assertIn("buffering a body of %d bytes for retries" % size, a.output())


class SlowBodyTest(AileronTestCase):
    """A request body that trickles costs a descriptor, not a worker."""

    def test_slow_bodies_do_not_hold_workers(self):
        up = self.upstream(lambda req, c: response(200, b"%d" % len(req.body)))
        port = free_port()
        entry = process_config(startWorkers=4, minSpareWorkers=2, maxSpareWorkers=4,
                               maxWorkers=64)
        a = self.start(proxy_config(port, simple_lb([up.url]), "", entry), port)
        self.assertEqual(request(port)[0], 200)
        before = len(wait_for(a.worker_pids))
        slow = []
        for i in range(60):
            c = Client(port)
            if i % 2:
                c.send(b"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\nx")
            else:
                c.send(b"POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"14\r\nx")
            slow.append(c)
        time.sleep(1.5)  # the pool maintenance has seen them
        for c in slow:
            c.send(b"y")
        # Normal clients are served, and the pool did not grow to hold the
        # 60 bodies (a worker each, were they not parked); the spare-worker
        # upkeep may still add one or two on a busy machine.
        for _ in range(5):
            t0 = time.monotonic()
            self.assertEqual(request(port)[0], 200)
            self.assertLess(time.monotonic() - t0, 2)
        self.assertLessEqual(len(a.worker_pids()), before + 2)
        self.assertEqual([r.target for r in up.requests], ["/"] * 6)
        # Each slow request is served once its body is complete.
        for i, c in enumerate(slow[:4]):
            c.send(b"z" * 18 if i % 2 else b"z" * 18 + b"\r\n0\r\n\r\n")
        for c in slow[:4]:
            self.assertEqual(c.recv_response()[0::2], (200, b"20"))
        for c in slow:
            c.close()

    def test_body_not_complete_within_read_timeout_is_408(self):
        up = self.upstream()
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    "  httpConfig:\n    readTimeout: 1\n"), port)
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab")
        t0 = time.monotonic()
        self.assertEqual(c.recv_response()[0], 408)
        self.assertLess(time.monotonic() - t0, 3)
        self.assertTrue(c.closed())
        c.close()
        self.assertEqual(up.requests, [])
        self.assertIsNotNone(a)
