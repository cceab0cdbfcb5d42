"""Process model and command line: master and workers, respawn, stop, reload, config errors."""

import os
import signal
import socket
import subprocess
import threading
import time
import unittest

from harness import (AILERON, AileronTestCase, free_port, proxy_config, request,
                     response, run_aileron, simple_lb)


def entry(workers):
    return "  processConfig:\n    workers: %d\n" % workers


def ps_comm(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(") ")[1].split()[1]  # state field


class ProcessTest(AileronTestCase):
    allowed_errors = ("exited on signal",)

    def test_one_master_and_its_workers(self):
        port = free_port()
        a = self.start(proxy_config(port, simple_lb(["http://127.0.0.1:1"]), entry_extra=entry(3)),
                       port)
        deadline = time.monotonic() + 5
        while len(a.worker_pids()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(a.worker_pids()), 3)
        out = subprocess.run(["ps", "-o", "pid=,ppid=", "--ppid", str(a.pid)],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertEqual(len(out.split("\n")) - 1, 3)

    def test_killed_worker_is_replaced(self):
        up = self.upstream()
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]), entry_extra=entry(2)), port)
        time.sleep(0.3)
        victim = a.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            pids = a.worker_pids()
            if len(pids) == 2 and victim not in pids:
                break
            time.sleep(0.05)
        self.assertEqual(len(a.worker_pids()), 2)
        self.assertNotIn(victim, a.worker_pids())
        self.assertEqual(request(port)[0], 200)
        self.assertIn("exited on signal 9", a.output())

    def test_sigterm_lets_inflight_request_finish(self):
        def slow(req, c):
            time.sleep(1.5)
            return response(200, b"done")
        up = self.upstream(slow)
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]), entry_extra=entry(2)), port)
        result = {}
        t = threading.Thread(target=lambda: result.update(r=request(port)))
        t.start()
        time.sleep(0.4)
        a.signal(signal.SIGTERM)
        t.join(10)
        self.assertEqual(result["r"][0], 200)
        self.assertEqual(result["r"][2], b"done")
        self.assertEqual(a.proc.wait(10), 0)
        self.assertIn("server shutting down", a.output())

    def test_sighup_reload_switches_upstream(self):
        u1 = self.upstream(lambda r, c: response(200, b"one"))
        u2 = self.upstream(lambda r, c: response(200, b"two"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([u1.url]), entry_extra=entry(2)), port)
        self.assertEqual(request(port)[2], b"one")
        a.write_config(proxy_config(port, simple_lb([u2.url]), entry_extra=entry(2)))
        a.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while request(port)[2] != b"two" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(request(port)[2], b"two")
        # A broken config keeps the running one.
        a.write_config("apiVersion: core/v1\nkind: Entrypoint\nspec:\n  bogus: 1\n")
        a.signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertEqual(request(port)[2], b"two")
        self.assertIn("reload failed", a.output())
        self.allow_errors("reload failed", "exited on signal", "unknown field")

    def test_sighup_while_starting_is_a_reload(self):
        """A SIGHUP that comes as soon as the port accepts, before the main
        loop runs, waits for it: a reload, never the default action."""
        up = self.upstream(lambda r, c: response(200, b"up"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]), entry_extra=entry(2)),
                       port, wait=False)
        sent = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and a.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                    break
            except OSError:
                time.sleep(0.001)
        end = time.monotonic() + 0.3
        while time.monotonic() < end and a.proc.poll() is None:
            a.signal(signal.SIGHUP)
            sent += 1
            time.sleep(0.001)
        self.assertIsNone(a.proc.poll(), a.output())
        self.assertGreater(sent, 10)
        deadline = time.monotonic() + 5
        while request(port)[2] != b"up" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(request(port)[2], b"up")


class CommandLineTest(unittest.TestCase):
    def test_no_arguments_prints_help(self):
        rc, out = run_aileron([])
        self.assertEqual(rc, 0)
        self.assertIn("usage:", out)

    def test_bad_flag_exits_2(self):
        self.assertEqual(run_aileron(["--no-such-flag"])[0], 2)
        self.assertEqual(run_aileron(["-f", "x.yaml", "extra"])[0], 2)

    def test_version(self):
        rc, out = run_aileron(["-v"])
        self.assertEqual(rc, 0)
        self.assertRegex(out.strip(), r"^\d+\.\d+\.\d+$")

    def test_config_errors_name_file_line_column(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n"
                    "    - apiVersion: core/v1\n      kind: HTTPServer\n---\n"
                    "apiVersion: core/v1\nkind: HTTPServer\nspec:\n  addr: \":0\"\n  adr: x\n")
            path = f.name
        try:
            rc, out = run_aileron(["-f", path])
            self.assertEqual(rc, 1)
            self.assertIn("%s:12:3:" % path, out)
            self.assertIn("adr", out)
            rc, out = run_aileron(["-c", "-f", path])
            self.assertEqual(rc, 1)
        finally:
            os.unlink(path)

    def test_missing_file(self):
        rc, out = run_aileron(["-f", "/nonexistent/aileron.yaml"])
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent/aileron.yaml", out)


if __name__ == "__main__":
    unittest.main()
