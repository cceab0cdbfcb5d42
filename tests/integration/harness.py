"""Black-box test harness: start the real aileron binary and real upstreams on loopback."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

TOP_SRCDIR = os.environ.get(
    "TOP_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
AILERON = os.environ.get("AILERON", os.path.join(TOP_SRCDIR, "aileron"))
PYTHON = "/usr/bin/python3"  # Debian's python, which has httpbin and gunicorn
OPENSSL = shutil.which("openssl") or "openssl"


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """Return a loopback TCP port that is free right now."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(port, host="127.0.0.1", timeout=10.0, proc=None):
    """Wait until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %s:%d" % (host, port))


def wait_for(pred, timeout=5.0, step=0.05):
    """Poll pred until it is true or timeout seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def process_config(**fields):
    """An Entrypoint processConfig block from keyword arguments."""
    out = "  processConfig:\n"
    for k, v in fields.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        out += "    %s: %s\n" % (k, v)
    return out


class Aileron:
    """One aileron master started from a config text; stopped by pid."""

    def __init__(self, config, port=None, extra_args=(), env=None, wait=True,
                 preexec_fn=None):
        self.dir = tempfile.mkdtemp(prefix="aileron-test-")
        self.config_path = os.path.join(self.dir, "config.yaml")
        self.write_config(config)
        self.port = port
        self.log_path = os.path.join(self.dir, "aileron.log")
        self.log = open(self.log_path, "wb")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(
            [AILERON, "-f", self.config_path] + list(extra_args),
            stdout=self.log, stderr=subprocess.STDOUT, env=e, preexec_fn=preexec_fn)
        if wait and port is not None:
            wait_port(port, proc=self.proc)

    def write_config(self, config):
        with open(self.config_path, "w") as f:
            f.write(config)

    @property
    def pid(self):
        return self.proc.pid

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM the master and wait; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        """Parsed JSON log lines (non-JSON lines are returned as strings)."""
        return self.log_lines_from(self.output())

    @staticmethod
    def log_lines_from(text):
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append(line)
        return out

    def worker_pids(self):
        """Pids of this master's children."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def cpu_seconds(pid):
    """User plus system CPU time a process has used, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_aileron(args, timeout=10, env=None):
    """Run aileron to completion (config checks, flags); returns (rc, output)."""
    p = subprocess.run([AILERON] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def loopback_name():
    """A name that resolves to both loopback addresses, ::1 and 127.0.0.1 (Debian's
    /etc/hosts makes localhost one), and its addresses in getaddrinfo()'s order."""
    try:
        got = [ai[4][0] for ai in socket.getaddrinfo("localhost", 80, 0, socket.SOCK_STREAM)]
    except OSError:
        return None, []
    got = [a for a in got if a in ("127.0.0.1", "::1")]
    return ("localhost", got) if len(set(got)) == 2 else (None, got)


def proxy_config(port, handler_doc, server_extra="", entry_extra=""):
    """The reference's black-box harness: one server, catch-all proxy."""
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
%s  virtualHosts:
    - handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
%s""" % (entry_extra, port, server_extra, handler_doc)


def simple_lb(upstreams, match="/", match_type="Prefix", extra=""):
    ups = "".join("        - url: %s\n" % u for u in upstreams)
    return """apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher:
        match: "%s"
        matchType: %s
%s      upstreams:
%s""" % (match, match_type, extra, ups)


class Httpbin:
    """Debian's python3-httpbin under gunicorn on a loopback port."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:%d" % self.port,
             "httpbin:app"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, timeout=30, proc=self.proc)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Request:
    """A request as a mock upstream received it."""

    def __init__(self, head, body):
        self.head = head
        lines = head.split(b"\r\n")
        self.request_line = lines[0].decode("latin-1")
        self.method, self.target, self.version = self.request_line.split(" ", 2)
        self.headers = []
        for line in lines[1:]:
            if line:
                k, v = line.split(b":", 1)
                self.headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        self.body = body

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return vals[0] if vals else None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


def read_until(sock, marker, limit=1 << 20):
    buf = b""
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        if len(buf) > limit:
            break
    return buf


def read_chunked(sock, buf):
    """Decode a chunked body from sock (buf holds bytes already read)."""
    body = b""
    while True:
        while b"\r\n" not in buf:
            d = sock.recv(65536)
            if not d:
                raise EOFError("eof in chunk size")
            buf += d
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while not (buf.startswith(b"\r\n") or b"\r\n\r\n" in buf):
                d = sock.recv(65536)
                if not d:
                    break
                buf += d
            if buf.startswith(b"\r\n"):
                return body, buf[2:], b""
            trailers, rest = buf.split(b"\r\n\r\n", 1)
            return body, rest, trailers
        while len(buf) < size + 2:
            d = sock.recv(65536)
            if not d:
                raise EOFError("eof in chunk")
            buf += d
        body += buf[:size]
        buf = buf[size + 2:]


def read_request(sock, buf=b""):
    """Read one HTTP/1.1 request (head and body) from a socket."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return None, b""
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    req = Request(head, b"")
    te = (req.header("Transfer-Encoding") or "").lower()
    if te == "chunked":
        body, rest, _ = read_chunked(sock, rest)
    else:
        n = int(req.header("Content-Length") or 0)
        while len(rest) < n:
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        body, rest = rest[:n], rest[n:]
    req.body = body
    return req, rest


class MockUpstream:
    """A small HTTP/1.1 server on a loopback port, run in a thread.

    handler(req, conn) returns the raw response bytes (or None after writing
    itself).  Every request received is recorded in self.requests.
    """

    def __init__(self, handler=None, host="127.0.0.1"):
        self.handler = handler or (lambda req, conn: response(200, b"ok"))
        self.requests = []
        self.connections = 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.host = host
        self.closing = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        if ":" in self.host:
            return "http://[%s]:%d" % (self.host, self.port)
        return "http://%s:%d" % (self.host, self.port)

    def _serve(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._conn, args=(conn,), daemon=True).start()

    def _conn(self, conn):
        rest = b""
        try:
            conn.settimeout(30)
            while True:
                req, rest = read_request(conn, rest)
                if req is None:
                    return
                with self.lock:
                    self.requests.append(req)
                out = self.handler(req, conn)
                if out is None:
                    return
                conn.sendall(out)
                if b"connection: close" in out.split(b"\r\n\r\n")[0].lower():
                    return
        except (OSError, EOFError, ValueError):
            return
        finally:
            conn.close()

    def stop(self):
        self.closing = True
        try:
            self.sock.close()
        except OSError:
            pass


def response(status, body=b"", headers=(), reason=None):
    """Raw HTTP/1.1 response bytes with Content-Length."""
    reasons = {200: "OK", 201: "Created", 204: "No Content", 302: "Found",
               304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}
    r = reason if reason is not None else reasons.get(status, "Status")
    h = "".join("%s: %s\r\n" % (k, v) for k, v in headers)
    if status not in (204, 304) and not any(k.lower() == "content-length" for k, _ in headers):
        h += "Content-Length: %d\r\n" % len(body)
    return ("HTTP/1.1 %d %s\r\n%s\r\n" % (status, r, h)).encode("latin-1") + body


class Client:
    """A raw-socket HTTP/1.1 client for exact bytes on the wire."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.buf_trailers = b""

    def send(self, data):
        self.sock.sendall(data)

    def recv_response(self, head_only=False, method="GET"):
        """Read one response; returns (status, headers list, body)."""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed before a response: %r" % self.buf)
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = []
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
        hd = {k.lower(): v for k, v in headers}
        if head_only or method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if hd.get("transfer-encoding", "").lower() == "chunked":
            body, self.buf, self.buf_trailers = read_chunked(self.sock, self.buf)
        elif "content-length" in hd:
            n = int(hd["content-length"])
            while len(self.buf) < n:
                d = self.sock.recv(65536)
                if not d:
                    break
                self.buf += d
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    break
                self.buf += d
            body, self.buf = self.buf, b""
        return status, headers, body

    def closed(self, timeout=5):
        """True when the server closes the connection (EOF) in time."""
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def request(port, method="GET", path="/", headers=(), body=None, host=None):
    """One request on a new connection; returns (status, headers, body)."""
    c = Client(port)
    try:
        h = "Host: %s\r\n" % (host or "127.0.0.1:%d" % port)
        h += "".join("%s: %s\r\n" % (k, v) for k, v in headers)
        if body is not None:
            h += "Content-Length: %d\r\n" % len(body)
        c.send(("%s %s HTTP/1.1\r\n%sConnection: close\r\n\r\n" % (method, path, h)).encode("latin-1")
               + (body or b""))
        return c.recv_response(method=method)
    finally:
        c.close()


def openssl(*args):
    """Run the openssl CLI quietly; raises when it fails."""
    subprocess.run([OPENSSL] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


class Pki:
    """CAs, server and client certificates (P-256) made in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="aileron-pki-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", self.path(name + ".key"), "-out", self.path(name + ".pem"),
           "-days", "2", "-subj", "/CN=%s" % name)

    def leaf(self, name, ca, dns, ip=None, client=False, cn=None):
        """Key name.key and certificate name.pem signed by ca."""
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            sans = ["DNS:%s" % d for d in dns] + (["IP:%s" % ip] if ip else [])
            if sans:
                f.write("subjectAltName=%s\n" % ",".join(sans))
            f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", self.path(name + ".key"), "-out", self.path(name + ".csr"),
           "-subj", "/CN=%s" % (cn or name))
        openssl("x509", "-req", "-in", self.path(name + ".csr"), "-CA", self.path(ca + ".pem"),
           "-CAkey", self.path(ca + ".key"), "-set_serial", str(int(time.time() * 1e6)),
           "-out", self.path(name + ".pem"), "-days", "2", "-extfile", ext)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
def enter_example(test, name):
    """Copy AILERON's examples/<name> (kept in tests/integration/examples) to a
    temporary directory, make it the working directory for the rest of test
    (the examples name their files relatively), check that it loads, and
    start it on a free port; returns the port."""
    src = os.path.join(TOP_SRCDIR, "tests", "integration", "examples", name)
    tmp = tempfile.mkdtemp(prefix="aileron-example-")
    test.addCleanup(shutil.rmtree, tmp, True)
    shutil.copytree(src, os.path.join(tmp, name))
    test.addCleanup(os.chdir, os.getcwd())
    os.chdir(os.path.join(tmp, name))
    rc, out = run_aileron(["-c", "-f", "config.yaml"])
    test.assertEqual(rc, 0, out)
    port = free_port()
    with open("config.yaml") as f:
        text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
    test.start(text, port)
    return port


class AileronTestCase(unittest.TestCase):
    """Base class: tracks processes to stop and checks the error log."""

    allowed_errors = ()

    def setUp(self):
        self._cleanups_procs = []
        self._allowed = list(self.allowed_errors)

    def allow_errors(self, *msgs):
        """This test expects ERROR lines containing one of msgs; no others."""
        self._allowed.extend(msgs)

    def start(self, config, port, **kw):
        a = Aileron(config, port=port, **kw)
        self._cleanups_procs.append(a)
        return a

    def upstream(self, handler=None, host="127.0.0.1"):
        u = MockUpstream(handler, host=host)
        self.addCleanup(u.stop)
        return u

    def tearDown(self):
        for a in self._cleanups_procs:
            a.stop()
            # No unexpected errors: every ERROR line must be allowed.
            out = a.output()
            shutil.rmtree(a.dir, ignore_errors=True)
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in out:
                    self.fail("sanitizer report:\n%s" % out[-6000:])
            for line in a.log_lines_from(out):
                if isinstance(line, dict) and line.get("level") == "FATAL":
                    self.fail("fatal error in log: %s\n%s" % (line.get("msg"), out[-4000:]))
                if isinstance(line, dict) and line.get("level") == "ERROR":
                    if not any(s in line.get("msg", "") for s in self._allowed):
                        self.fail("unexpected error in log: %s\n%s" % (line.get("msg"), out[-4000:]))
