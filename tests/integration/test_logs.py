"""Logs: application log fields and SLogger, HTTPLogger access log, combined format, SIGUSR1 reopen."""

import json
import os
import re
import signal
import threading
import time

from harness import (AileronTestCase, free_port, proxy_config, request,
                     response, run_aileron, simple_lb, wait_for)

HTTPLOGGER_MW = """  virtualHosts:
    - middleware:
        - apiVersion: core/v1
          kind: HTTPLogger
      handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
"""


def server_with_logger(port, handler_doc, extra_docs, entry_extra=""):
    """One server with an HTTPLogger middleware in its virtual host."""
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
%s---
%s---
%s""" % (entry_extra, port, HTTPLOGGER_MW, handler_doc, extra_docs)



def read_json_lines(path):
    """The JSON lines of a log file, which must exist."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


class AppLogTest(AileronTestCase):

    def test_default_logger_fields(self):
        up = self.upstream()
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url])), port)
        line = wait_for(lambda: [l for l in a.log_lines()
                                 if isinstance(l, dict) and "server started" in l["msg"]])[0]
        self.assertEqual(line["level"], "INFO")
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertRegex(line["datetime"]["date"], r"^\d{4}-\d\d-\d\d$")
        self.assertRegex(line["datetime"]["time"], r"^\d\d:\d\d:\d\d\.\d{3}$")
        self.assertIn("zone", line["datetime"])
        self.assertEqual(line["location"]["file"], "src/master.c")
        self.assertEqual(line["location"]["func"], "master_run")
        self.assertIsInstance(line["location"]["line"], int)

    def test_env_drops_location_and_datetime(self):
        up = self.upstream()
        port = free_port()
        a = self.start(proxy_config(port, simple_lb([up.url])), port,
                       env={"GATEWAY_LOG_LOCATION": "false", "GATEWAY_LOG_DATETIME": "false",
                            "GATEWAY_LOG_LEVEL": "DEBUG"})
        line = wait_for(lambda: [l for l in a.log_lines()
                                 if isinstance(l, dict) and "server started" in l["msg"]])[0]
        self.assertNotIn("location", line)
        self.assertNotIn("datetime", line)

    def test_slogger_file_unstructured_and_reopen(self):
        up = self.upstream()
        port = free_port()
        d = os.path.join(self.tmpdir(), "logs")
        os.mkdir(d)
        slogger = """apiVersion: core/v1
kind: SLogger
spec:
  unstructured: true
  noDatetime: true
  logOutput:
    outputTarget: File
    logDir: %s
    logFileName: app.log
""" % d
        entry = ("  defaultLogger:\n    apiVersion: core/v1\n    kind: SLogger\n")
        a = self.start(proxy_config(port, simple_lb([up.url]) + "---\n" + slogger,
                                    entry_extra=entry), port)
        path = os.path.join(d, "app.log")
        self.assertTrue(wait_for(lambda: os.path.exists(path) and
                                 "server started" in open(path).read()))
        text = open(path).read()
        self.assertRegex(text, r'time="[^"]+" level=INFO msg="server started\. listening on ')
        self.assertNotIn("datetime.date", text)
        self.assertIn("location.file=src/master.c", text)
        # logrotate: move the file, SIGUSR1, the next lines go to a new file.
        os.rename(path, path + ".1")
        a.signal(signal.SIGUSR1)
        self.assertTrue(wait_for(lambda: os.path.exists(path)))
        a.signal(signal.SIGTERM)
        a.proc.wait(timeout=15)
        self.assertIn("shutting down", open(path).read())
        # The last line, after the config that opened the file is freed.
        self.assertIn('msg=stopped', open(path).read())
        self.assertNotIn("shutting down", open(path + ".1").read())

    def logdir_config(self, port, up, d):
        slogger = """apiVersion: core/v1
kind: SLogger
spec:
  logOutput: {outputTarget: File, logDir: %s, logFileName: app.log}
""" % d
        entry = ("  defaultLogger:\n    apiVersion: core/v1\n    kind: SLogger\n")
        return proxy_config(port, simple_lb([up.url]) + "---\n" + slogger,
                            entry_extra=entry)

    def test_missing_log_dir_is_created_at_start(self):
        """logDir and its missing parents are made (AILERON: os.MkdirAll), 0755."""
        up = self.upstream()
        port = free_port()
        top = self.tmpdir()
        d = os.path.join(top, "var", "log", "gw")
        old = os.umask(0o022)
        try:
            self.start(self.logdir_config(port, up, d), port)
        finally:
            os.umask(old)
        path = os.path.join(d, "app.log")
        self.assertTrue(wait_for(lambda: os.path.exists(path) and
                                 "server started" in open(path).read()))
        self.assertEqual(os.stat(d).st_mode & 0o777, 0o755)
        self.assertEqual(os.stat(os.path.join(top, "var")).st_mode & 0o777, 0o755)
        self.assertEqual(request(port, path="/")[0], 200)

    def test_reload_creates_a_new_missing_log_dir(self):
        """SIGHUP: a logDir the new config names is made before its file opens;
        one that cannot be made fails the reload, which keeps the running one."""
        up = self.upstream()
        port = free_port()
        top = self.tmpdir()
        first = os.path.join(top, "first")
        a = self.start(self.logdir_config(port, up, first), port)
        self.assertTrue(wait_for(lambda: os.path.exists(os.path.join(first, "app.log"))))
        second = os.path.join(top, "second", "nested")
        a.write_config(self.logdir_config(port, up, second))
        a.signal(signal.SIGHUP)
        path = os.path.join(second, "app.log")
        self.assertTrue(wait_for(lambda: os.path.exists(path) and
                                 "reloaded" in open(path).read()))
        notdir = os.path.join(top, "file")
        open(notdir, "w").close()
        a.write_config(self.logdir_config(port, up, notdir + "/x"))
        a.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: "reload failed" in open(path).read()))
        self.assertIn("/file/x: Not a directory", open(path).read())
        self.assertEqual(request(port, path="/")[0], 200)
        self.allow_errors("reload failed", "Not a directory")

    def test_check_with_missing_log_dir_creates_nothing(self):
        """-c warns that logDir will be created, and creates nothing."""
        up = self.upstream()
        top = self.tmpdir()
        d = os.path.join(top, "var", "log", "gw")
        cfg = os.path.join(top, "c.yaml")
        with open(cfg, "w") as f:
            f.write(self.logdir_config(free_port(), up, d))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"c\.yaml:\d+:\d+: logDir %s does not exist: it will "
                         r"be created when the server starts" % re.escape(d))
        self.assertIn("configuration is valid", out)
        self.assertEqual(sorted(os.listdir(top)), ["c.yaml"])

    def test_uncreatable_log_dir_is_a_clear_error(self):
        """A logDir under a regular file cannot be made, even as root."""
        up = self.upstream()
        top = self.tmpdir()
        cfg = os.path.join(top, "c.yaml")
        notdir = os.path.join(top, "file")
        open(notdir, "w").close()
        with open(cfg, "w") as f:
            f.write(self.logdir_config(free_port(), up, notdir + "/sub/dir"))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, r"c\.yaml:\d+:\d+: logDir .*/file/sub/dir: Not a directory")
        # A start fails the same way, before it serves anything.
        rc, out = run_aileron(["-f", cfg])
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, r"logDir .*/file/sub/dir: (cannot create it: )?Not a directory")
        self.assertNotIn("server started", out)

    def tmpdir(self):
        import tempfile
        import shutil
        d = tempfile.mkdtemp(prefix="aileron-logs-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


class AccessLogTest(AileronTestCase):

    def tmpdir(self):
        import tempfile
        import shutil
        d = tempfile.mkdtemp(prefix="aileron-logs-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def start_logged(self, httplogger_spec, handler=None, slogger_extra=""):
        """aileron with an HTTPLogger writing to an SLogger file; returns (port, log path)."""
        up = self.upstream(handler)
        port = free_port()
        d = self.tmpdir()
        docs = """apiVersion: core/v1
kind: SLogger
metadata: {name: access}
spec:
%s  logOutput: {outputTarget: File, logDir: %s, logFileName: access.log}
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  logger: {apiVersion: core/v1, kind: SLogger, name: access}
%s""" % (slogger_extra, d, httplogger_spec)
        self.start(server_with_logger(port, simple_lb([up.url]), docs), port)
        return port, os.path.join(d, "access.log")

    def test_json_lines_and_masking(self):
        port, path = self.start_logged("""  request:
    headers:
      - name: "*"
      - name: Authorization
        replacers: [{fixed: {value: "#MASKED#"}}]
      - name: X-Card
        replacers: [{regexp: {pattern: "[0-9]{12}([0-9]{4})", replace: "************$1"}}]
    queries:
      - regexp: {pattern: "token=[^&]*", replace: "token=***"}
  response:
    headers:
      - name: Content-Type
""", handler=lambda req, conn: response(201, b"hello", headers=[("Content-Type", "text/plain"),
                                                                ("X-Other", "1")]))
        st, hdrs, body = request(port, path="/a/b?x=1&token=secret", headers=[
            ("Authorization", "Bearer abc"), ("X-Card", "1234567812345678"),
            ("X-Evil", 'q"\\\xff')])
        self.assertEqual(st, 201)
        lines = wait_for(lambda: len(read_json_lines(path)) >= 2 and read_json_lines(path))
        req, resp = lines[0], lines[1]
        self.assertEqual(req["msg"], "server")
        self.assertEqual(req["level"], "INFO")
        r = req["request"]
        self.assertEqual(len(r["id"]), 20)
        self.assertEqual(r["id"], resp["response"]["id"])
        self.assertEqual(r["method"], "GET")
        self.assertEqual(r["path"], "/a/b")
        self.assertEqual(r["query"], "x=1&token=***")
        self.assertEqual(r["host"], "127.0.0.1:%d" % port)
        self.assertRegex(r["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(r["proto"], "HTTP/1.1")
        self.assertEqual(r["size"], 0)
        self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
        self.assertEqual(r["header"]["Authorization"], "#MASKED#")
        self.assertEqual(r["header"]["X-Card"], "************5678")
        self.assertEqual(r["header"]["X-Evil"], 'q"\\\xff')  # escaped, round-trips
        s = resp["response"]
        self.assertEqual(s["status"], 201)
        self.assertEqual(s["size"], 5)
        self.assertIsInstance(s["duration"], int)
        self.assertEqual(s["header"], {"Content-Type": "text/plain"})
        raw = open(path, "rb").read()
        self.assertNotIn(b"Bearer abc", raw)
        self.assertNotIn(b"secret", raw)
        self.assertNotIn(b"\xff", raw)

    def test_error_responses_are_logged(self):
        port, path = self.start_logged("", handler=None)
        st, _, _ = request(port, path="/", headers=[("Accept", "text/plain")],
                           host="nomatch.example")
        lines = wait_for(lambda: len(read_json_lines(path)) >= 2 and read_json_lines(path))
        self.assertEqual(lines[1]["response"]["status"], st)
        self.assertEqual(lines[0]["request"]["header"], {})

    def test_error_handler_responses_log_their_status(self):
        # Issue 11: an ErrorHandler's response was logged as 499.
        up = self.upstream(None)
        port = free_port()
        d = self.tmpdir()
        docs = """apiVersion: core/v1
kind: SLogger
metadata: {name: access}
spec:
  logOutput: {outputTarget: File, logDir: %s, logFileName: access.log}
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  logger: {apiVersion: core/v1, kind: SLogger, name: access}
  response:
    headers: [{name: "*"}]
---
apiVersion: core/v1
kind: ErrorHandler
metadata: {name: default}
spec:
  errorMessages:
    - codes: ["E2131", "E2122"]
      mimeContents:
        - mimeType: text/plain
          statusCode: 418
          header: {alice: bob}
          template: "custom"
""" % d
        handler = simple_lb([up.url], match="/only")
        self.start(server_with_logger(
            port, handler, docs,
            entry_extra="  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler}\n"),
            port)
        st, hd, body = request(port, path="/nothing")
        self.assertEqual((st, body), (418, b"custom"))
        path = os.path.join(d, "access.log")
        lines = wait_for(lambda: len(read_json_lines(path)) >= 2 and read_json_lines(path))
        s = lines[1]["response"]
        self.assertEqual(s["status"], 418)
        self.assertEqual(s["size"], 6)
        # The headers logged are those sent, the writer's own included.
        self.assertEqual(s["header"]["Alice"], "bob")
        self.assertEqual(s["header"]["Content-Length"], "6")
        self.assertIn("Date", s["header"])

    def test_log_format_template(self):
        port, path = self.start_logged("""  request:
    logFormat: "REQ %id% %method% %path% %query% %proto% %header.X-A% %nope%"
    headers: [{name: X-A, replacers: [{value: {fromTo: {secret: hidden}}}]}]
  response:
    logFormat: "RESP %id% %status% %size% %header.Content-Type%"
    headers: [{name: "*"}]
""")
        request(port, path="/p?q=1", headers=[("X-A", "secret")])
        lines = wait_for(lambda: os.path.exists(path) and
                         len(open(path).read().splitlines()) >= 2 and
                         open(path).read().splitlines())
        m = re.match(r"^REQ (\S{20}) GET /p q=1 HTTP/1\.1 hidden <undefined:nope>$", lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(lines[1], "RESP %s 200 2 " % m.group(1))

    def test_query_replacers_replace_every_occurrence(self):
        """fromTo replaces each key everywhere; ".*" masks once (Go semantics)."""
        port, path = self.start_logged("""  request:
    logFormat: "Q %query% A %header.X-A%"
    queries: [{value: {fromTo: {bar: "##MASKED##", bob: "%%MASKED%%"}}}]
    headers: [{name: X-A, replacers: [{regexp: {pattern: ".*", replace: "##MASKED##"}}]}]
""")
        request(port, path="/test?foo=bar&alice=bob", headers=[("X-A", "token")])
        lines = wait_for(lambda: os.path.exists(path) and open(path).read().splitlines())
        self.assertEqual(lines[0], "Q foo=##MASKED##&alice=%%MASKED%% A ##MASKED##")

    def test_combined_format(self):
        port, path = self.start_logged("""  accessLogFormat: Combined
  timezone: UTC
""")
        request(port, path="/c?d=1", headers=[("Referer", "http://r/"),
                                             ("User-Agent", 'ua "x"')])
        text = wait_for(lambda: os.path.exists(path) and open(path).read())
        self.assertRegex(
            text,
            r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
            r'"GET /c\?d=1 HTTP/1\.1" 200 2 "http://r/" "ua \\x22x\\x22"\n$')

    def test_workers_never_interleave_lines(self):
        big = "x" * 6000  # lines far above PIPE_BUF
        port, path = self.start_logged("""  request:
    headers: [{name: "*"}]
""", handler=lambda req, conn: response(200, b"ok"))
        errors = []

        def client(n):
            for i in range(25):
                try:
                    request(port, path="/t%d/%d" % (n, i), headers=[("X-Big", big)])
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertTrue(wait_for(lambda: len(open(path).read().splitlines()) >= 400))
        lines = open(path).read().splitlines()
        self.assertEqual(len(lines), 400)
        ids = {}
        for line in lines:
            doc = json.loads(line)  # a torn or mixed line does not parse
            kind = "request" if "request" in doc else "response"
            ids.setdefault(doc[kind]["id"], []).append(kind)
            if kind == "request":
                self.assertEqual(doc["request"]["header"]["X-Big"], big)
        self.assertEqual(len(ids), 200)
        self.assertTrue(all(sorted(v) == ["request", "response"] for v in ids.values()))

    def test_level_above_info_logs_nothing(self):
        port, path = self.start_logged("", slogger_extra="  level: Warn\n")
        request(port, path="/")
        time.sleep(0.3)
        self.assertEqual(read_json_lines(path), [])

    def test_check_reports_every_error(self):
        d = self.tmpdir()
        cfg = os.path.join(d, "c.yaml")
        notdir = os.path.join(d, "file")
        open(notdir, "w").close()
        with open(cfg, "w") as f:
            f.write(server_with_logger(free_port(), simple_lb(["http://127.0.0.1:1"]), """\
apiVersion: core/v1
kind: HTTPLogger
spec:
  journal: true
  request:
    headers: [{name: A, replacers: [{hash: {alg: MD5, encoding: Base64}}]}]
    bodies: [{mime: application/json, jsonFields: ["a.#"]}]
---
apiVersion: core/v1
kind: SLogger
spec:
  logOutput: {outputTarget: File, logDir: %s/x, cron: "* * * *"}
""" % notdir))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, r'c\.yaml:\d+:\d+: field "alg": invalid value "MD5" \(expected one of HashAlgUnknown, SHA1, ')
        self.assertNotIn("unsupported hash algorithm", out)  # reported once
        self.assertRegex(out, r'c\.yaml:\d+:\d+: field "jsonFields": "a\.#" is not supported')
        self.assertRegex(out, r'c\.yaml:\d+:\d+: cron "\* \* \* \*": invalid number of fields')
        self.assertRegex(out, r'c\.yaml:\d+:\d+: logDir .*/file/x: Not a directory')


class TripperwareTest(AileronTestCase):

    def test_reference_example_four_lines(self):
        # The reference's access-logging example: middleware + tripperware.
        up = self.upstream(lambda req, conn: response(200, b"hi", headers=[("X-Up", "1")]))
        port = free_port()
        config = """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
        - apiVersion: core/v1
          kind: HTTPLogger
      handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  tripperwares:
    - apiVersion: core/v1
      kind: HTTPLogger
  loadBalancers:
    - pathMatcher:
        match: "/"
        matchType: Prefix
      upstreams:
        - url: %s
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  request:
    headers:
      - name: "*"
  response:
    headers:
      - name: "*"
""" % (port, up.url)
        a = self.start(config, port)
        st, _, body = request(port, path="/x?y=1")
        self.assertEqual((st, body), (200, b"hi"))

        def lines():
            return [l for l in a.log_lines() if isinstance(l, dict)
                    and l.get("msg") in ("server", "client")]
        got = wait_for(lambda: len(lines()) >= 4 and lines())
        self.assertEqual([(l["msg"], "request" in l) for l in got],
                         [("server", True), ("client", True), ("client", False),
                          ("server", False)])
        self.assertEqual(len({l.get("request", l.get("response"))["id"] for l in got}), 1)
        creq = got[1]["request"]
        self.assertEqual(creq["host"], up.url[len("http://"):])
        self.assertEqual(creq["header"]["Host"], up.url[len("http://"):])
        self.assertRegex(creq["header"]["X-Forwarded-For"], r"127\.0\.0\.1")
        self.assertEqual(creq["path"], "/x")
        self.assertEqual(creq["query"], "y=1")
        cresp = got[2]["response"]
        self.assertEqual(cresp["status"], 200)
        self.assertEqual(cresp["header"]["X-Up"], "1")
