"""SLogger file rotation: by size and cron under load from several workers, archives, gzip, maxBackup, redirect, SIGUSR1."""

import gzip
import json
import os
import shutil
import signal
import tempfile
import threading
import time

from harness import (AileronTestCase, TOP_SRCDIR, free_port, process_config,
                     request, response, run_aileron, simple_lb, wait_for)

PAD = "x" * 3000  # a big header: about 3 KiB per logged request line


TEMPLATE = """apiVersion: core/v1
kind: TemplateHandler
spec:
  patterns: ["/"]
  mimeContents:
    - mimeType: text/plain
      statusCode: 200
      templateType: Text
      template: "ok"
"""


def config(port, log_output, workers=3, slogger_extra="", handler=None):
    """A server whose HTTPLogger writes every request and response to the
    default SLogger, with logOutput as given (YAML lines, indented 4); its
    handler a TemplateHandler, or the ReverseProxyHandler handler."""
    kind = "ReverseProxyHandler" if handler else "TemplateHandler"
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  defaultLogger: {apiVersion: core/v1, kind: SLogger}
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
%s---
apiVersion: core/v1
kind: SLogger
spec:
%s  logOutput:
%s---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware: [{apiVersion: core/v1, kind: HTTPLogger}]
      handlers:
        - handler: {apiVersion: core/v1, kind: %s}
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  request:
    headers: [{name: "*"}]
---
%s""" % (process_config(workers=workers), slogger_extra, log_output, port, kind,
         handler or TEMPLATE)


def read_lines(path):
    """The lines of a log file or gzip archive, as bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().split(b"\n")


def max_index(d, prefix):
    """The highest archive index of prefix.N[.gz] in d (0: none)."""
    out = 0
    for n in os.listdir(d) if os.path.isdir(d) else ():
        rest = n[len(prefix):].split(".") if n.startswith(prefix) else []
        if len(rest) >= 2 and rest[1].isdigit():
            out = max(out, int(rest[1]))
    return out


def settle(dirs):
    """Wait until the archive manager is done: the listing stops changing."""
    def listing():
        return sorted((d, n, os.path.getsize(os.path.join(d, n)))
                      for d in dirs if os.path.isdir(d) for n in os.listdir(d))
    last = listing()
    for _ in range(50):
        time.sleep(0.3)
        now = listing()
        if now == last:
            return now
        last = now
    return last


class RotateTest(AileronTestCase):

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="aileron-rotate-")
        self.addCleanup(shutil.rmtree, d, True)
        # Workers run as nobody when we are root: they reopen the files.
        os.chmod(d, 0o755)
        return d

    def load(self, port, nthreads, per_thread, tag=""):
        """Send requests from several threads; returns their numbers."""
        errors = []

        def run(t):
            for i in range(per_thread):
                n = "%s%d-%d" % (tag, t, i)
                try:
                    st, _, _ = request(port, path="/?n=" + n, headers=[("X-Pad", PAD), ("Accept", "text/plain")])
                    if st != 200:
                        errors.append((n, st))
                except OSError as e:
                    errors.append((n, e))

        threads = [threading.Thread(target=run, args=(t,)) for t in range(nthreads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        return {"%s%d-%d" % (tag, t, i) for t in range(nthreads) for i in range(per_thread)}

    def collect(self, files):
        """Every line of files, each a whole JSON object; the request
        numbers of the request lines and the ids of the response lines."""
        queries, responses, ids = [], [], {}
        for path in files:
            lines = read_lines(path)
            self.assertEqual(lines[-1], b"", "%s ends inside a line" % path)
            for raw in lines[:-1]:
                try:
                    line = json.loads(raw)
                except ValueError:
                    self.fail("%s: not a whole JSON line: %r" % (path, raw[:200]))
                if line.get("msg") == "server" and "request" in line:
                    queries.append(line["request"]["query"])
                    ids[line["request"]["id"]] = line["request"]["query"]
                elif line.get("msg") == "server" and "response" in line:
                    responses.append(line["response"]["id"])
        return queries, responses, ids

    def test_size_and_cron_under_load_lose_and_mix_no_line(self):
        """Three workers log while the file rotates by size (1 MiB) and
        every second: each request's lines are found exactly once, whole,
        across the active file and the archives gzipped into backupDir
        (an archive compressed while a worker still wrote to it would
        lose lines)."""
        d = self.tmpdir()
        logs, old = os.path.join(d, "logs"), os.path.join(d, "old")
        port = free_port()
        a = self.start(config(port, """    outputTarget: File
    logDir: %s
    backupDir: %s
    rotateSize: 1
    cron: "* * * * * *"
    compressLevel: 1
""" % (logs, old)), port)
        sent = self.load(port, 6, 250)
        time.sleep(1.5)  # one more cron rotation, after the last request
        sent |= self.load(port, 2, 20, tag="late")
        self.assertEqual(a.stop(), 0)
        listing = settle([logs, old])
        archives = [os.path.join(old, n) for n in os.listdir(old)]
        # 1500 requests of about 3 KiB, 9 MiB: several rotations (how
        # many depends on how often a loaded machine runs the master).
        self.assertGreaterEqual(len(archives), 2, listing)
        for n in os.listdir(old):
            self.assertRegex(n, r"^application\.log\.\d+\.gz$")
        self.assertEqual(sorted(os.listdir(logs)), ["application.log"])
        queries, responses, ids = self.collect(archives + [os.path.join(logs, "application.log")])
        self.assertEqual(len(queries), len(sent))
        self.assertEqual({q[2:] for q in queries}, sent)
        self.assertEqual(len(responses), len(sent))
        self.assertEqual(set(responses), set(ids))
        # The indexes run on without a gap.
        idx = sorted(int(n.split(".")[2]) for n in os.listdir(old))
        self.assertEqual(idx, list(range(1, len(idx) + 1)))

    def test_request_in_flight_across_rotations(self):
        """A request that takes 2.5 s logs its response line after two
        rotations: the worker reopened when the master asked (not after
        the request), so the line lands in a file that survives, and the
        archive it began in was compressed only after that reopen."""
        def slow(req, conn):
            if "/slow" in req.target:
                time.sleep(2.5)
            return response(200, b"ok")
        up = self.upstream(slow)
        d = self.tmpdir()
        port = free_port()
        a = self.start(config(port, """    outputTarget: File
    logDir: %s
    cron: "* * * * * *"
    compressLevel: 1
""" % d, workers=2, handler=simple_lb([up.url])), port)
        result = []
        t = threading.Thread(target=lambda: result.append(request(port, path="/slow?n=slow")))
        t.start()
        end = time.time() + 3.5
        while time.time() < end:
            self.load(port, 1, 2, tag="f%d" % int(time.time() * 10))
            time.sleep(0.2)
        t.join()
        self.assertEqual(result[0][0], 200)
        time.sleep(1.5)
        self.assertEqual(a.stop(), 0)
        settle([d])
        files = [os.path.join(d, n) for n in os.listdir(d)]
        self.assertGreaterEqual(len(files), 3)
        queries, responses, ids = self.collect(files)
        self.assertEqual(queries.count("n=slow"), 1)
        slow_id = [i for i, q in ids.items() if q == "n=slow"][0]
        self.assertEqual(responses.count(slow_id), 1)
        self.assertEqual(sorted(responses), sorted(ids))

    def test_health_helper_reopens_too(self):
        """The process that probes upstreams logs too: after a rotation
        its lines go to the new file, not to the archive."""
        state = {"ok": True}

        def h(req, conn):
            return response(200 if state["ok"] else 503, b"ok")
        up = self.upstream(h)
        d = self.tmpdir()
        port = free_port()
        lb = """apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: /, matchType: Prefix}
      upstreams:
        - {url: %s, enableActive: true, healthCheckInterval: 1,
           healthCheckAddr: "http://127.0.0.1:%d/health"}
""" % (up.url, up.port)
        self.start(config(port, """    outputTarget: File
    logDir: %s
    cron: "* * * * * *"
""" % d, workers=1, handler=lb), port)
        path = os.path.join(d, "application.log")
        self.assertTrue(wait_for(lambda: os.path.exists(path + ".1"), timeout=5))
        state["ok"] = False

        def holding():
            """The files that hold the helper's line (rotation goes on
            every second, so it may be archived again by now)."""
            out = []
            for n in os.listdir(d):
                with open(os.path.join(d, n), errors="replace") as f:
                    if "taken out" in f.read():
                        out.append(n)
            return out
        self.assertTrue(wait_for(holding, timeout=15), os.listdir(d))
        # Not in the file the helper had open before the first rotation:
        # it reopened, so the line went to a file made after it.
        self.assertNotIn("application.log.1", holding())

    def test_daemon_with_relative_log_dir(self):
        """A daemon runs in "/": a relative logDir is still rotated there."""
        d = self.tmpdir()
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        port = free_port()
        with open("c.yaml", "w") as f:
            f.write(config(port, """    outputTarget: File
    logDir: ./logs
    backupDir: ./old
    cron: "* * * * * *"
""", workers=1))
        pidfile = os.path.join(d, "pid")
        rc, out = run_aileron(["-D", "-p", pidfile, "-f", "c.yaml"])
        self.assertEqual(rc, 0, out)
        with open(pidfile) as f:
            pid = int(f.read())

        def stop():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.addCleanup(stop)
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        old = os.path.join(d, "old")
        for i in range(3):
            self.load(port, 1, 2, tag="r%d" % i)
            time.sleep(1)
        self.assertTrue(wait_for(lambda: os.path.isdir(old) and len(os.listdir(old)) >= 2,
                                 timeout=5))
        stop()
        self.assertTrue(wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout=10))

    def test_gzip_and_max_backup(self):
        """compressLevel gzips the archives (valid gzip of whole lines);
        maxBackup keeps the newest three."""
        d = self.tmpdir()
        port = free_port()
        a = self.start(config(port, """    outputTarget: File
    logDir: %s
    logFileName: gw.log
    rotateSize: 1
    cron: "* * * * * *"
    compressLevel: 6
    maxBackup: 3
""" % d), port)
        self.load(port, 4, 150)
        # Cron rotations go on while requests come: five at least (how
        # long that takes depends on how often a loaded machine runs the
        # master).
        end = time.time() + 20
        while time.time() < end and max_index(d, "gw.log") < 5:
            self.load(port, 2, 5, tag="t%d" % int(time.time() * 10))
            time.sleep(0.2)
        self.assertEqual(a.stop(), 0)
        settle([d])
        names = sorted(os.listdir(d))
        gz = [n for n in names if n.endswith(".gz")]
        self.assertEqual(len(gz), 3, names)
        self.assertEqual(sorted(set(names) - set(gz)), ["gw.log"], names)
        for n in gz:
            self.assertRegex(n, r"^gw\.log\.\d+\.gz$")
        queries, _, _ = self.collect([os.path.join(d, n) for n in gz])
        self.assertGreater(len(queries), 0)
        self.assertEqual(len(queries), len(set(queries)))
        # The newest three were kept (the highest indexes), older removed.
        idx = sorted(int(n.split(".")[2]) for n in gz)
        self.assertGreaterEqual(idx[0], 2)
        self.assertEqual(idx, list(range(idx[0], idx[0] + 3)))

    def test_existing_file_archived_at_start_and_check_touches_nothing(self):
        d = self.tmpdir()
        path = os.path.join(d, "application.log")
        with open(path, "w") as f:
            f.write('{"msg":"from the last run"}\n')
        with open(os.path.join(d, "application.log.7"), "w") as f:
            f.write('{"msg":"older"}\n')
        port = free_port()
        text = config(port, "    outputTarget: File\n    logDir: %s\n    backupDir: %s/b\n" % (d, d))
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write(text)
        before = sorted(os.listdir(d))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertEqual(rc, 0, out)
        self.assertEqual(sorted(os.listdir(d)), before)
        self.assertIn("from the last run", open(path).read())
        self.start(text, port)
        b = os.path.join(d, "b")
        # Archived with the next index, then moved to backupDir (as the
        # older archive left in logDir is).
        self.assertTrue(wait_for(lambda: os.path.isdir(b) and
                                 sorted(os.listdir(b)) == ["application.log.7",
                                                           "application.log.8"]),
                        os.listdir(d))
        self.assertIn("from the last run", open(os.path.join(b, "application.log.8")).read())
        self.assertNotIn("from the last run", open(path).read())

    def test_logrotate_rename_and_sigusr1_still_work(self):
        """logrotate's way (rename, SIGUSR1) beside the built-in rotation."""
        d = self.tmpdir()
        port = free_port()
        a = self.start(config(port, "    outputTarget: File\n    logDir: %s\n    rotateSize: 100\n" % d), port)
        path = os.path.join(d, "application.log")
        self.load(port, 2, 5, tag="a")
        os.rename(path, path + "-20261204")
        a.signal(signal.SIGUSR1)
        self.assertTrue(wait_for(lambda: os.path.exists(path)))
        self.assertTrue(wait_for(lambda: "log file reopened" in open(path).read()))
        self.load(port, 3, 5, tag="b")
        self.assertEqual(a.stop(), 0)
        q_old, _, _ = self.collect([path + "-20261204"])
        q_new, _, _ = self.collect([path])
        self.assertEqual(sorted(q[2:] for q in q_old),
                         sorted("a%d-%d" % (t, i) for t in range(2) for i in range(5)))
        self.assertEqual(sorted(q[2:] for q in q_new),
                         sorted("b%d-%d" % (t, i) for t in range(3) for i in range(5)))

    def test_output_redirect_target_copies_to_stdout(self):
        d = self.tmpdir()
        port = free_port()
        a = self.start(config(port, "    outputTarget: File\n    logDir: %s\n"
                                    "    outputRedirectTarget: Stdout\n    timeZone: UTC\n" % d,
                              workers=2), port)
        self.load(port, 2, 3)
        path = os.path.join(d, "application.log")
        self.assertTrue(wait_for(lambda: open(path).read().count('"msg":"server"') == 12))
        self.assertEqual(a.stop(), 0)
        with open(path) as f:
            file_lines = f.read().splitlines()
        out_lines = a.output().splitlines()
        for l in file_lines:
            self.assertIn(l, out_lines)
        started = [json.loads(l) for l in file_lines if "server started" in l][0]
        self.assertEqual(started["datetime"]["zone"], "UTC")

    def test_field_replacers(self):
        """fieldReplacers (the example's commented one, and more) apply to
        the application's lines and to the HTTPLogger's."""
        d = self.tmpdir()
        port = free_port()
        a = self.start(config(port, "    outputTarget: File\n    logDir: %s\n" % d, workers=2,
                              slogger_extra="""  fieldReplacers:
    - field: location.func
      replacer:
        fixed:
          value: "***"
    - field: datetime
    - field: request.query
      replacer: {regexp: {pattern: "n=(.*)", replace: "N=$1"}}
    - field: pid
      replacer: {fixed: {value: "not a string: kept"}}
"""), port)
        self.load(port, 2, 2)
        path = os.path.join(d, "application.log")
        self.assertTrue(wait_for(lambda: open(path).read().count('"msg":"server"') == 8))
        self.assertEqual(a.stop(), 0)
        lines = [json.loads(l) for l in open(path).read().splitlines()]
        started = [l for l in lines if "server started" in l["msg"]][0]
        self.assertEqual(started["location"]["func"], "***")
        self.assertEqual(started["location"]["file"], "src/master.c")
        self.assertNotIn("datetime", started)
        self.assertIsInstance(started["pid"], int)
        queries = sorted(l["request"]["query"] for l in lines if "request" in l)
        self.assertEqual(queries, ["N=0-0", "N=0-1", "N=1-0", "N=1-1"])

    def test_bad_configs(self):
        d = self.tmpdir()
        cases = [
            ('cron: "*/0 * * * * *"', 'cron "*/0 * * * * *": invalid second "*/0"'),
            ('cron: "* * * *"', "invalid number of fields"),
            ('cron: "TZ=Mars/Olympus * * * * *"', 'unknown time zone "Mars/Olympus"'),
            ('archivedFilePattern: "app-%q.log"', "invalid specifier %q"),
            ('archivedFilePattern: "../app.%i"', "must be a file name"),
            ("rotateSize: -1", 'field "rotateSize": -1 is out of range'),
            ("maxTotalSize: -1", 'field "maxTotalSize": -1 is out of range'),
            ("compressLevel: 12", 'field "compressLevel": 12 is out of range (-2..9)'),
            ("outputRedirectTarget: File", "outputRedirectTarget: File is not allowed"),
            ("timeZone: Mars/Olympus", 'timeZone "Mars/Olympus": only Local and UTC'),
        ]
        extras = [
            ("  fieldReplacers: [{field: msg, replacer: {fixed: {}, trim: {}}}]\n",
             "a replacer has exactly one of"),
            ("  unstructured: true\n  fieldReplacers: [{field: msg}]\n",
             "fieldReplacers: not supported with unstructured: true"),
        ]
        for extra, msg in extras:
            with self.subTest(extra=extra):
                cfg = os.path.join(d, "c.yaml")
                with open(cfg, "w") as f:
                    f.write(config(free_port(), "    outputTarget: Stdout\n",
                                   slogger_extra=extra))
                rc, out = run_aileron(["-c", "-f", cfg])
                self.assertEqual(rc, 1, out)
                self.assertIn(msg, out)
        for field, msg in cases:
            with self.subTest(field=field):
                cfg = os.path.join(d, "c.yaml")
                with open(cfg, "w") as f:
                    f.write(config(free_port(), "    outputTarget: File\n    logDir: %s\n    %s\n"
                                   % (d, field)))
                rc, out = run_aileron(["-c", "-f", cfg])
                self.assertEqual(rc, 1, out)
                self.assertIn(msg, out)
        self.assertEqual(sorted(os.listdir(d)), ["c.yaml"])

    def test_logging_example(self):
        """AILERON's examples/logging/config.yaml loads unchanged and, with
        its cron at every second instead of every ten, rotates into ./logs
        with a copy on stdout, keeping three backups."""
        src = os.path.join(TOP_SRCDIR, "tests", "integration", "aileron-examples",
                           "logging.yaml")
        d = self.tmpdir()
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        shutil.copy(src, "config.yaml")
        rc, out = run_aileron(["-c", "-f", "config.yaml"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(sorted(os.listdir(d)), ["config.yaml"])
        port = free_port()
        text = open("config.yaml").read()
        self.assertIn('cron: "*/10 * * * * *"', text)
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace('cron: "*/10 * * * * *"', 'cron: "* * * * * *"')
        a = self.start(text, port)
        end = time.time() + 20
        while time.time() < end and max_index(os.path.join(d, "logs"), "application.log") < 5:
            st, _, _ = request(port, path="/contents/", headers=[("Accept", "text/plain")])
            self.assertEqual(st, 500)  # the example's template answers 500
            time.sleep(0.1)
        self.assertEqual(a.stop(), 0)
        names = sorted(os.listdir(os.path.join(d, "logs")))
        self.assertIn("application.log", names)
        backups = [n for n in names if n != "application.log"]
        self.assertEqual(len(backups), 3, names)
        self.assertIn('"msg":"server"', a.output())
