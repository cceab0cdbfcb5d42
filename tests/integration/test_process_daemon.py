"""Daemon life: -D, pid file, -s signalling, log reopening, privilege drop, titles, -X."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (AILERON, AileronTestCase, free_port, proxy_config, request,
                     response, run_aileron, simple_lb, wait_for, wait_port,
                     process_config)




def alive(pid):
    """True while pid runs (a zombie counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def status_ids(pid):
    """(real uid, real gid) of pid from /proc/PID/status."""
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid"):
                ids[k] = [int(x) for x in v.split()]
    return ids["Uid"], ids["Gid"]


def status_groups(pid):
    """The supplementary groups of pid, sorted."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Groups:"):
                return sorted(int(g) for g in line.split()[1:])
    return []


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().rstrip(b"\0").replace(b"\0", b" ").decode()


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aileron-daemon-")
        # Workers (nobody when run as root) reopen the log file in here.
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.pidfile = os.path.join(self.dir, "aileron.pid")
        self.logfile = os.path.join(self.dir, "aileron.log")
        self.config = os.path.join(self.dir, "config.yaml")
        self.addCleanup(self._kill)

    def _kill(self):
        """Stop a daemon a failed test left behind, by its pid file."""
        try:
            with open(self.pidfile) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            return
        if alive(pid):
            os.kill(pid, signal.SIGKILL)

    def write(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    def run_cmd(self, *args):
        return run_aileron(list(args))

    def test_daemon_pid_file_and_signals(self):
        up_port = free_port()
        port = free_port()
        self.write(proxy_config(port, simple_lb(["http://127.0.0.1:%d" % up_port]),
                                entry_extra=process_config(workers=2)))
        t0 = time.monotonic()
        rc, out = self.run_cmd("-D", "-p", self.pidfile, "-l", self.logfile,
                               "-f", self.config)
        self.assertEqual(rc, 0, out)
        self.assertLess(time.monotonic() - t0, 5)
        # The parent returned once the daemon listens: no waiting needed.
        with open(self.pidfile) as f:
            pid = int(f.read())
        self.assertTrue(alive(pid))
        self.assertEqual(os.getsid(pid), pid)  # its own session
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        wait_port(port, timeout=5)
        self.assertEqual(request(port)[0], 502)  # nothing on up_port
        self.assertTrue(wait_for(lambda: len(children(pid)) == 2, 5))
        # A second instance on the same pid file refuses to start.
        rc, out = self.run_cmd("-D", "-p", self.pidfile, "-f", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("already running (pid %d" % pid, out)
        rc, out = self.run_cmd("-p", self.pidfile, "-f", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("already running", out)
        # -s reload through the pid file.
        self.assertEqual(self.run_cmd("-s", "reload", "-p", self.pidfile)[0], 0)
        self.assertTrue(wait_for(lambda: "(generation 2)" in self.log(), 5))
        # -s reopen: the rotated file keeps the old lines, a new one is made,
        # and the workers write to it too.
        os.rename(self.logfile, self.logfile + ".1")
        self.assertEqual(self.run_cmd("-s", "reopen", "-p", self.pidfile)[0], 0)
        self.assertTrue(wait_for(lambda: "log file reopened" in self.log(), 5))
        time.sleep(0.3)
        self.assertEqual(request(port)[0], 502)
        self.assertTrue(wait_for(lambda: '"process":"worker"' in self.log(), 5))
        self.assertNotIn("reopening the log file", self.log())
        with open(self.logfile + ".1") as f:
            self.assertIn("server started", f.read())
        # -s stop: graceful, and the pid file goes away.
        self.assertEqual(self.run_cmd("-s", "stop", "-p", self.pidfile)[0], 0)
        self.assertTrue(wait_for(lambda: not alive(pid), 10))
        self.assertFalse(os.path.exists(self.pidfile))
        self.assertIn("stopped", self.log())
        rc, out = self.run_cmd("-s", "stop", "-p", self.pidfile)
        self.assertEqual(rc, 1)
        self.assertIn("not running", out)

    def test_relative_paths_mean_the_start_directory(self):
        # The daemon lives in "/", but ./site in its config is the site
        # directory beside it, where it was started: at start and after a
        # reload (which failed with "No such file or directory" before).
        port = free_port()
        for d, text in (("site", b"one"), ("site2", b"two")):
            os.mkdir(os.path.join(self.dir, d))
            with open(os.path.join(self.dir, d, "index.txt"), "wb") as f:
                f.write(text)
        conf = """apiVersion: core/v1
kind: Entrypoint
spec:
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
  processConfig: {workers: 1}
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: StaticFileHandler}
---
apiVersion: core/v1
kind: StaticFileHandler
spec:
  rootDir: ./%s
"""
        self.write(conf % (port, "site"))
        p = subprocess.run([AILERON, "-D", "-p", "aileron.pid", "-l", "aileron.log",
                            "-f", "config.yaml"], cwd=self.dir, capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.pidfile) as f:
            pid = int(f.read())
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        wait_port(port, timeout=5)
        self.assertEqual(request(port, path="/index.txt")[0::2], (200, b"one"))
        self.write(conf % (port, "site2"))
        os.kill(pid, signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "(generation 2)" in self.log(), 5), self.log())
        self.assertTrue(wait_for(lambda: request(port, path="/index.txt")[2] == b"two", 5))
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_for(lambda: not alive(pid), 10))

    def test_pid_file_from_config_and_stale_pid_file(self):
        port = free_port()
        self.write(proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                                entry_extra=process_config(workers=1, pidFile=self.pidfile)))
        # A pid file left by a crash (not locked) does not stop a start.
        with open(self.pidfile, "w") as f:
            f.write("99999999\n")
        rc, out = self.run_cmd("-s", "reload", "-f", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("not running (pid file %s is stale)" % self.pidfile, out)
        p = subprocess.Popen([AILERON, "-f", self.config], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            wait_port(port, proc=p)
            with open(self.pidfile) as f:
                self.assertEqual(int(f.read()), p.pid)
            # -s finds the pid file through the configuration.
            self.assertEqual(self.run_cmd("-s", "quit", "-f", self.config)[0], 0)
            self.assertEqual(p.wait(10), 0)
            self.assertFalse(os.path.exists(self.pidfile))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_bad_signal_and_missing_pid_file(self):
        rc, out = self.run_cmd("-s", "restart", "-p", self.pidfile)
        self.assertEqual(rc, 2)
        self.assertIn("unknown signal", out)
        rc, out = self.run_cmd("-s", "reload", "-p", self.pidfile)
        self.assertEqual(rc, 1)
        self.assertIn("not running", out)
        self.write(proxy_config(free_port(), simple_lb(["http://127.0.0.1:1"])))
        rc, out = self.run_cmd("-s", "reload", "-f", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("no pid file", out)
        rc, out = self.run_cmd("-D", "-X", "-f", self.config)
        self.assertEqual(rc, 2)

    def test_daemon_that_cannot_bind_exits_1(self):
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            self.write(proxy_config(port, simple_lb(["http://127.0.0.1:1"])))
            rc, out = self.run_cmd("-D", "-p", self.pidfile, "-f", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("127.0.0.1:%d" % port, out)
        self.assertFalse(os.path.exists(self.pidfile))


@unittest.skipUnless(os.geteuid() == 0, "privilege drop needs root")
class PrivilegeTest(AileronTestCase):
    def nobody(self):
        import pwd
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid

    def test_root_without_user_runs_workers_as_nobody(self):
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=2)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 5))
        uid, gid = self.nobody()
        for pid in a.worker_pids():
            wait_for(lambda: status_ids(pid)[0][0] != 0, 3)
            self.assertEqual(status_ids(pid), ([uid] * 4, [gid] * 4))
            # the user's groups (resolved by the master), not root's
            self.assertEqual(status_groups(pid),
                             sorted(set(os.getgrouplist("nobody", gid))))
        self.assertEqual(status_ids(a.pid)[0][0], 0)  # the master stays root
        self.assertEqual(request(port)[0], 200)

    def test_configured_user_and_group(self):
        import grp
        up = self.upstream(lambda r, c: response(200, b"ok"))
        port = free_port()
        gid = grp.getgrnam("daemon").gr_gid
        a = self.start(proxy_config(port, simple_lb([up.url]),
                                    entry_extra=process_config(workers=1, user="nobody",
                                                               group="daemon")), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 1, 5))
        uid, _ = self.nobody()
        pid = a.worker_pids()[0]
        wait_for(lambda: status_ids(pid)[0][0] != 0, 3)
        self.assertEqual(status_ids(pid), ([uid] * 4, [gid] * 4))
        self.assertEqual(status_groups(pid), sorted(set(os.getgrouplist("nobody", gid))))
        self.assertEqual(request(port)[0], 200)

    def test_root_workers_need_allow_root_workers(self):
        port = free_port()
        cfg = proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                           entry_extra=process_config(workers=1, user="root"))
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(cfg)
            f.flush()
            rc, out = run_aileron(["-f", f.name])
        self.assertEqual(rc, 1)
        self.assertIn("allowRootWorkers", out)
        a = self.start(proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                                    entry_extra=process_config(workers=1,
                                                               allowRootWorkers=True)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 1, 5))
        self.assertEqual(status_ids(a.worker_pids()[0])[0][0], 0)


class TitleAndSingleTest(AileronTestCase):
    def test_process_titles(self):
        port = free_port()
        a = self.start(proxy_config(port, simple_lb(["http://127.0.0.1:1"]),
                                    entry_extra=process_config(workers=2)), port)
        self.assertTrue(wait_for(lambda: len(a.worker_pids()) == 2, 5))
        self.assertEqual(cmdline(a.pid), "aileron: master")
        for pid in a.worker_pids():
            self.assertTrue(wait_for(lambda: cmdline(pid) == "aileron: worker", 3))
        ps = subprocess.run(["ps", "-o", "args=", "-p", str(a.pid)],
                            stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertEqual(ps.strip(), "aileron: master")

    def test_single_process_mode(self):
        up = self.upstream(lambda r, c: response(200, b"single"))
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url])), port, extra_args=["-X"])
        for _ in range(3):
            self.assertEqual(request(port)[2], b"single")
        self.assertEqual(a.worker_pids(), [])
        self.assertEqual(cmdline(a.pid), "aileron: single process")
        a.signal(signal.SIGINT)
        self.assertEqual(a.proc.wait(10), 0)


if __name__ == "__main__":
    unittest.main()
