"""Process model under stress: lossless reload, dynamic pool, recycling, stop, crashes."""

import os
import signal
import socket
import threading
import time
import unittest

from harness import (AileronTestCase, Client, free_port, header, proxy_config,
                     process_config, request, response, simple_lb, wait_for)




class LoadGenerator:
    """A few threads sending GETs on keep-alive connections until stopped.

    Like every HTTP client (RFC 9112 section 9.3.1), a request that finds its
    reused connection closed before any byte of the response is retried once
    on a new connection: that is the race every server has with a client
    that reuses an idle connection just as the server closes it.  It is
    counted in `retries`, not in `errors`.
    """

    def __init__(self, port, threads=4, path="/"):
        self.port = port
        self.path = path
        self.ok = 0
        self.non2xx = []
        self.errors = []
        self.retries = 0
        self.bodies = set()
        self.lock = threading.Lock()
        self.stopping = False
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(30)

    def _get(self, c):
        c.send(("GET %s HTTP/1.1\r\nHost: lg\r\n\r\n" % self.path).encode())
        return c.recv_response()

    def _run(self):
        c, used = None, 0
        deadline = time.monotonic() + 60  # bounded whatever happens
        while not self.stopping and time.monotonic() < deadline:
            try:
                if c is None:
                    c, used = Client(self.port, timeout=10), 0
                try:
                    status, headers, body = self._get(c)
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    if used == 0 or c.buf:
                        raise
                    with self.lock:
                        self.retries += 1
                    c.close()
                    c, used = Client(self.port, timeout=10), 0
                    status, headers, body = self._get(c)
                used += 1
                with self.lock:
                    if 200 <= status < 300:
                        self.ok += 1
                        self.bodies.add(body)
                    else:
                        self.non2xx.append(status)
                if (header(headers, "Connection") or "").lower() == "close":
                    c.close()
                    c = None
            except (OSError, EOFError, ValueError) as e:
                with self.lock:
                    self.errors.append(repr(e))
                if c is not None:
                    c.close()
                c = None
        if c is not None:
            c.close()


class ReloadTest(AileronTestCase):
    def test_twenty_reloads_under_load_lose_nothing(self):
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        pc = process_config(startWorkers=4, minSpareWorkers=2, maxSpareWorkers=8,
                            maxWorkers=32)
        cfg = proxy_config(port, simple_lb([up.url]), entry_extra=pc)
        a = self.start(cfg, port)
        lg = LoadGenerator(port, threads=4).start()
        try:
            time.sleep(0.3)
            for gen in range(2, 22):
                a.signal(signal.SIGHUP)
                self.assertTrue(wait_for(
                    lambda: "(generation %d)" % gen in a.output(), 5),
                    "reload %d did not happen" % gen)
                time.sleep(0.1)
            time.sleep(0.3)
        finally:
            lg.stop()
        self.assertEqual(lg.errors, [])
        self.assertEqual(lg.non2xx, [])
        self.assertGreater(lg.ok, 100)
        # Not even a request a client would retry: an idle keep-alive
        # connection of an old worker is served once more, then closed.
        self.assertEqual(lg.retries, 0)
        # Old generations are gone: only the last one's workers remain.
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) <= 8, 5))

    def test_reload_switches_upstream_with_a_slow_request_in_flight(self):
        def one(req, c):
            if req.target == "/slow":
                time.sleep(1.5)
                return response(200, b"one-slow")
            return response(200, b"one")
        u1 = self.upstream(one)
        u2 = self.upstream(lambda r, c: response(200, b"two"))
        port = free_port()
        pc = process_config(workers=2)
        a = self.start(proxy_config(port, simple_lb([u1.url]), entry_extra=pc), port)
        self.assertEqual(request(port)[2], b"one")
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=request(port, path="/slow")))
        t.start()
        self.assertTrue(wait_for(lambda: any(r.target == "/slow" for r in u1.requests), 5))
        a.write_config(proxy_config(port, simple_lb([u2.url]), entry_extra=pc))
        a.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "(generation 2)" in a.output(), 5))
        # New connections see the new upstream while the slow one goes on.
        for _ in range(3):
            self.assertEqual(request(port)[2], b"two")
        t.join(10)
        self.assertEqual(slow["r"][0], 200)
        self.assertEqual(slow["r"][2], b"one-slow")

    def test_idle_keep_alive_connections_move_to_the_new_generation(self):
        u1 = self.upstream(lambda r, c: response(200, b"one"))
        u2 = self.upstream(lambda r, c: response(200, b"two"))
        port = free_port()
        pc = process_config(workers=2)
        a = self.start(proxy_config(port, simple_lb([u1.url]), entry_extra=pc), port)
        old = set(wait_for(a.worker_pids))
        clients = [Client(port) for _ in range(6)]
        try:
            for c in clients:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(c.recv_response()[2], b"one")
            a.write_config(proxy_config(port, simple_lb([u2.url]), entry_extra=pc))
            a.signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "(generation 2)" in a.output(), 5))
            # Past the old workers' grace, and after they exited, the idle
            # connections are still open, served by the new generation.
            self.assertTrue(wait_for(lambda: not old & set(a.worker_pids()), 5))
            time.sleep(0.7)
            for c in clients:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                status, headers, body = c.recv_response()
                self.assertEqual((status, body), (200, b"two"))
                self.assertNotEqual(header(headers, "Connection"), "close")
        finally:
            for c in clients:
                c.close()

    def test_broken_reload_keeps_serving_and_names_the_error(self):
        up = self.upstream(lambda r, c: response(200, b"one"))
        port = free_port()
        good = proxy_config(port, simple_lb([up.url]), entry_extra=process_config(workers=2))
        a = self.start(good, port)
        self.allow_errors("reload failed", "unknown field", "unknown user")
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 5))
        pids = sorted(a.worker_pids())
        for i, bad in enumerate((
                good.replace("workers: 2", "workers: 2\n    bogus: 1"),
                good.replace("workers: 2", "workers: 2\n    user: no-such-user-x"))):
            a.write_config(bad)
            a.signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: a.output().count("reload failed") > i, 5))
            time.sleep(0.2)
            self.assertEqual(request(port)[2], b"one")
        out = a.output()
        self.assertIn("config.yaml:9:5: unknown field \\\"bogus\\\"", out)
        self.assertIn("unknown user \\\"no-such-user-x\\\"", out)
        self.assertEqual(out.count("reload failed"), 2)
        # Nothing changed: the same workers still serve.
        self.assertEqual(sorted(a.worker_pids()), pids)


class WorkerLifeTest(AileronTestCase):
    allowed_errors = ("exited on signal",)

    def test_kill_9_under_load_is_replaced_within_a_second(self):
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=3)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 3, 5))
        lg = LoadGenerator(port, threads=2).start()
        try:
            time.sleep(0.3)
            victim = a.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            t0 = time.monotonic()
            replaced = wait_for(lambda: len(a.worker_pids()) == 3 and
                                victim not in a.worker_pids(), 3, step=0.01)
            elapsed = time.monotonic() - t0
            time.sleep(0.3)
        finally:
            lg.stop()
        self.assertTrue(replaced)
        self.assertLess(elapsed, 1.0)
        self.assertIn("worker %d exited on signal 9 (SIGKILL)" % victim, a.output())
        self.assertEqual(lg.non2xx, [])
        self.assertGreater(lg.ok, 10)
        # Only connections the killed worker held may have failed.
        self.assertLessEqual(len(lg.errors), 2)
        self.assertEqual(request(port)[0], 200)

    def test_crash_is_logged_with_the_signal_name_and_replaced(self):
        port = free_port()
        a = self.start(proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                                    entry_extra=process_config(workers=2)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 5))
        victim = a.worker_pids()[0]
        # SIGABRT as from a failed assertion (ASan would catch a SIGSEGV).
        os.kill(victim, signal.SIGABRT)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2 and
                                 victim not in a.worker_pids(), 3))
        self.assertTrue(wait_for(
            lambda: "worker %d exited on signal 6 (SIGABRT)" % victim in a.output(), 3))

    def test_workers_exit_when_the_master_dies(self):
        port = free_port()
        a = self.start(proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                                    entry_extra=process_config(workers=2)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 5))
        pids = a.worker_pids()
        a.proc.kill()
        a.proc.wait()

        def gone(pid):
            try:
                with open("/proc/%d/stat" % pid) as f:
                    return f.read().split(") ")[1].split()[0] == "Z"
            except OSError:
                return True
        self.assertTrue(wait_for(lambda: all(gone(p) for p in pids), 5))

    def test_max_requests_per_worker_recycles(self):
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=1,
                                                               maxRequestsPerWorker=3)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 1, 5))
        first = a.worker_pids()[0]
        c = Client(port)
        for i in range(3):
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, _ = c.recv_response()
            self.assertEqual(status, 200)
            # The third response is the worker's last: it says so.
            self.assertEqual(header(headers, "Connection"), "close" if i == 2 else None)
        self.assertTrue(c.closed())
        c.close()
        self.assertTrue(wait_for(lambda: a.worker_pids() not in ([], [first]), 3))
        second = a.worker_pids()[0]
        self.assertNotEqual(second, first)
        # Three single-request connections recycle it again.
        for _ in range(3):
            self.assertEqual(request(port)[0], 200)
        self.assertTrue(wait_for(lambda: a.worker_pids() not in ([], [second]), 3))
        self.assertNotIn("ERROR", a.output())


class PoolTest(AileronTestCase):
    def test_pool_grows_under_slow_requests_and_shrinks_after(self):
        def slow(req, c):
            time.sleep(2.5)
            return response(200, b"slow")
        up = self.upstream(slow)
        port = free_port()
        pc = process_config(startWorkers=1, minSpareWorkers=1, maxSpareWorkers=2,
                            maxWorkers=6)
        a = self.start(proxy_config(port, simple_lb([up.url]), entry_extra=pc), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 1, 5))
        results = []
        threads = [threading.Thread(target=lambda: results.append(request(port)[0]))
                   for _ in range(6)]
        for t in threads:
            t.start()
        # Spawn rate 1, 2, then 4 capped: all six within about 3 ticks.
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 6, 6))
        peak = len(a.worker_pids())
        for t in threads:
            t.join(20)
        self.assertEqual(results, [200] * 6)
        self.assertEqual(peak, 6)
        self.assertIn("all 6 workers are busy", a.output())
        # Then one idle worker stops per second down to maxSpareWorkers.
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 8))
        time.sleep(1.2)
        self.assertEqual(len(a.worker_pids()), 2)


    def test_shrinking_pool_keeps_idle_keep_alive_connections(self):
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        pc = process_config(startWorkers=6, minSpareWorkers=1, maxSpareWorkers=2,
                            maxWorkers=8)
        a = self.start(proxy_config(port, simple_lb([up.url]), entry_extra=pc), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 6, 5))
        clients = [Client(port) for _ in range(12)]
        try:
            for c in clients:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(c.recv_response()[0], 200)
            # Four idle workers stop, one a second; their parked
            # connections go to the workers that stay.
            self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 8))
            for c in clients:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(c.recv_response()[0], 200)
        finally:
            for c in clients:
                c.close()


class StopTest(AileronTestCase):
    def _slow_upstream(self, seconds):
        def slow(req, c):
            time.sleep(seconds)
            return response(200, b"done")
        return self.upstream(slow)

    def test_sigterm_waits_for_every_request_in_flight(self):
        up = self._slow_upstream(1.2)
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=3)), port)
        results = []
        threads = [threading.Thread(target=lambda: results.append(request(port)))
                   for _ in range(3)]
        for t in threads:
            t.start()
        self.assertTrue(wait_for(lambda: len(up.requests) == 3, 5))
        a.signal(signal.SIGTERM)
        for t in threads:
            t.join(10)
        self.assertEqual([r[0] for r in results], [200] * 3)
        self.assertEqual([r[2] for r in results], [b"done"] * 3)
        self.assertEqual(a.proc.wait(10), 0)
        # Nothing accepts connections any more.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    def test_sigterm_kills_what_outlives_shutdown_timeout(self):
        up = self._slow_upstream(6)
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    server_extra="  shutdownTimeout: 1\n",
                                    entry_extra=process_config(workers=2)), port)
        t = threading.Thread(target=lambda: self.assertRaises(
            (EOFError, OSError), request, port), daemon=True)
        t.start()
        self.assertTrue(wait_for(lambda: len(up.requests) == 1, 5))
        t0 = time.monotonic()
        a.signal(signal.SIGTERM)
        self.assertEqual(a.proc.wait(10), 0)
        self.assertLess(time.monotonic() - t0, 4)
        self.assertIn("graceful period over", a.output())
        t.join(10)

    def test_sigquit_stops_at_once(self):
        up = self._slow_upstream(6)
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=2)), port)
        t = threading.Thread(target=lambda: self.assertRaises(
            (EOFError, OSError), request, port), daemon=True)
        t.start()
        self.assertTrue(wait_for(lambda: len(up.requests) == 1, 5))
        t0 = time.monotonic()
        a.signal(signal.SIGQUIT)
        self.assertEqual(a.proc.wait(10), 0)
        self.assertLess(time.monotonic() - t0, 2)
        self.assertIn("fast stop", a.output())
        t.join(10)


if __name__ == "__main__":
    unittest.main()
