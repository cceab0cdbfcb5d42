"""listenConfig: unix-socket listeners, networks allow-list, sockOption; HTTPClient dialConfig.replaceTargets."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import (AileronTestCase, MockUpstream, free_port, request,
                     response, run_aileron)

ENTRY = """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
%s"""


def runner(name):
    return "    - {apiVersion: core/v1, kind: HTTPServer, name: %s}\n" % name


def server(name, listen, handler="ReverseProxyHandler", hname="default"):
    """One HTTPServer named name whose listenConfig is the YAML listen."""
    return """---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: %s}
spec:
  httpConfig:
    listenConfig:
%s  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: %s, name: %s}
""" % (name, listen, handler, hname)


def proxy(name, url, client=None):
    rt = ""
    if client:
        rt = "  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: %s}\n" % client
    return """---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: %s}
spec:
%s  loadBalancers:
    - pathMatcher: {match: /, matchType: Prefix}
      upstreams: [{url: "%s"}]
""" % (name, rt, url)


class UnixUpstream(MockUpstream):
    """MockUpstream on a unix socket (a path, or "@name" for abstract)."""

    def __init__(self, path, handler=None):  # noqa: D107 - same as the base
        self.handler = handler or (lambda req, conn: response(200, b"ok"))
        self.requests = []
        self.connections = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind("\0" + path[1:] if path.startswith("@") else path)
        self.sock.listen(16)
        self.host, self.port = "unix", 0
        self.closing = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()


def unix_get(path, target="/x", host="front.example", timeout=5):
    """One GET over a unix socket; returns (status, head, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect("\0" + path[1:] if path.startswith("@") else path)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (target, host)).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), body


def wait_unix(path, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("aileron exited with %d" % proc.returncode)
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect("\0" + path[1:] if path.startswith("@") else path)
            s.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %s" % path)


class ListenTestCase(AileronTestCase):
    """AileronTestCase with a temporary directory per call."""

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="aileron-listen-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def assert_config_error(self, text, want):
        """aileron -c refuses config text with an error containing want."""
        p = os.path.join(self.tmpdir(), "c.yaml")
        with open(p, "w") as f:
            f.write(text)
        rc, out = run_aileron(["-c", "-f", p])
        self.assertEqual(rc, 1, out)
        self.assertIn(want, out)


class UnixListenerTest(ListenTestCase):

    def abstract_name(self):
        return "@aileron-test-%d-%d" % (os.getpid(), free_port())

    def test_path_socket_serves_and_is_removed_on_stop(self):
        up = self.upstream()
        d = self.tmpdir()
        path = os.path.join(d, "gw.sock")
        cfg = (ENTRY % runner("gw") +
               server("gw", '      addr: "unix://%s"\n' % path) +
               proxy("default", up.url))
        a = self.start(cfg, None)
        wait_unix(path, a.proc)
        st, head, body = unix_get(path, "/hello?q=1")
        self.assertEqual((st, body), (200, b"ok"))
        fwd = up.requests[-1]
        self.assertEqual(fwd.header("X-Forwarded-Host"), "front.example")
        # A unix peer has no address: no X-Forwarded-For / -Port (AILERON).
        self.assertIsNone(fwd.header("X-Forwarded-For"))
        self.assertIsNone(fwd.header("X-Forwarded-Port"))
        self.assertEqual(a.stop(), 0)
        self.assertFalse(os.path.exists(path))

    def test_stale_socket_file_is_replaced(self):
        d = self.tmpdir()
        path = os.path.join(d, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()  # the file stays, nothing listens: stale
        cfg = (ENTRY % runner("gw") +
               server("gw", '      addr: "%s"\n' % path) +
               proxy("default", "http://127.0.0.1:9"))
        self.allow_errors("connect: Connection refused")
        a = self.start(cfg, None)
        wait_unix(path, a.proc)
        st, _, body = unix_get(path, "/nothing", host="h")
        self.assertEqual(st, 502)

    def test_live_socket_is_not_stolen(self):
        d = self.tmpdir()
        path = os.path.join(d, "live.sock")
        holder = UnixUpstream(path)
        self.addCleanup(holder.stop)
        cfg = (ENTRY % runner("gw") +
               server("gw", '      addr: "%s"\n' % path) +
               proxy("default", "http://127.0.0.1:9"))
        a = self.start(cfg, None)
        a.proc.wait(timeout=10)
        self.assertNotEqual(a.proc.returncode, 0)
        self.assertIn("bind unix:%s" % path, a.output())
        self.assertTrue(os.path.exists(path))
        self.allow_errors("bind", "listen")

    def test_network_unix_with_abstract_name(self):
        """AILERON's listen-unix-socket example: network: unix, addr: "@name"."""
        up = self.upstream()
        name = self.abstract_name()
        cfg = (ENTRY % runner("gw") +
               server("gw", '      network: unix\n      addr: "%s"\n' % name) +
               proxy("default", up.url))
        a = self.start(cfg, None)
        wait_unix(name, a.proc)
        st, _, body = unix_get(name)
        self.assertEqual((st, body), (200, b"ok"))

    def test_replace_targets_dial_a_unix_socket(self):
        """tcp client -> aileron -> (replaceTargets) unix aileron -> upstream."""
        up = self.upstream(lambda req, conn: response(200, b"via unix"))
        name = self.abstract_name()
        port = free_port()
        cfg = (ENTRY % (runner("inner") + runner("front")) +
               server("inner", '      addr: "unix://%s"\n' % name,
                      hname="inner") +
               proxy("inner", up.url) +
               """---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: front}
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: front}
""" % port + proxy("front", "http://backend.invalid", client="dialer") +
               """---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: dialer}
spec:
  httpTransportConfig:
    dialConfig:
      replaceTargets:
        - "(tcp|backend.invalid:80) > (unix|%s)"
""" % name)
        self.start(cfg, port)
        st, hdrs, body = request(port, path="/through")
        self.assertEqual((st, body), (200, b"via unix"))
        fwd = up.requests[-1]
        self.assertEqual(fwd.target, "/through")
        # The front hop sent Host: backend.invalid, which the inner hop
        # passes on as X-Forwarded-Host.
        self.assertEqual(fwd.header("X-Forwarded-Host"), "backend.invalid")
        # The inner hop saw a unix peer: it sends no X-Forwarded-For.
        self.assertIsNone(fwd.header("X-Forwarded-For"))

    def test_bad_addresses_are_config_errors(self):
        cases = [
            ('      addr: "unix://relative.sock"\n', "invalid unix socket address"),
            ('      addr: "unix://@"\n', "invalid unix socket address"),
            ('      addr: "/%s"\n' % ("x" * 120), "invalid unix socket address"),
            ('      network: unix\n      addr: "127.0.0.1:8080"\n',
             'field "network": unix does not go with'),
            ('      network: udp\n      addr: "@x"\n', 'unknown network "udp"'),
            ('      addr: "@x"\n      networks: ["10.0.0.0/8"]\n',
             "unix socket listener has no client networks"),
        ]
        for listen, want in cases:
            with self.subTest(listen=listen):
                self.assert_config_error(
                    ENTRY % runner("gw") + server("gw", listen) +
                        proxy("default", "http://127.0.0.1:9"),
                    want)


class NetworksTest(ListenTestCase):

    def start_with(self, listen_extra):
        up = self.upstream()
        port = free_port()
        cfg = (ENTRY % runner("gw") +
               server("gw", '      addr: "127.0.0.1:%d"\n%s' % (port, listen_extra)) +
               proxy("default", up.url))
        self.start(cfg, port)
        return port, up

    def test_client_outside_the_networks_is_closed_unanswered(self):
        port, up = self.start_with('      networks: ["192.168.0.1/32", "10.0.0.0/8"]\n')
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
                data = s.recv(1024)
            except ConnectionResetError:
                data = b""
            s.close()
            self.assertEqual(data, b"")
        self.assertEqual(up.requests, [])

    def test_client_inside_the_networks_is_served(self):
        port, up = self.start_with('      networks: ["127.0.0.0/8"]\n')
        st, _, body = request(port, path="/in")
        self.assertEqual((st, body), (200, b"ok"))

    def test_bad_networks_are_config_errors(self):
        for nets, want in ((['"10.0.0.0/33"'], "bad prefix length"),
                           (['"example.com"'], "is not an IP address"),
                           (['"10.0.0.0/8"', '"10.0.0.0/8"'], "duplicate value")):
            with self.subTest(nets=nets):
                self.assert_config_error(
                    ENTRY % runner("gw") +
                        server("gw", '      addr: "127.0.0.1:1"\n      networks: [%s]\n'
                               % ", ".join(nets)) +
                        proxy("default", "http://127.0.0.1:9"),
                    want)


class SockOptionTest(ListenTestCase):

    def test_options_are_set_on_the_listener(self):
        up = self.upstream()
        port = free_port()
        cfg = (ENTRY % runner("gw") +
               server("gw", '''      addr: "127.0.0.1:%d"
      sockOption:
        soOption: {receiveBuffer: 32768, keepAlive: true}
        tcpOption: {deferAccept: 2, noDelay: true}
        ipOption: {ttl: 0}
''' % port) + proxy("default", up.url))
        a = self.start(cfg, port)
        st, _, body = request(port, path="/o")
        self.assertEqual((st, body), (200, b"ok"))
        # The listener's receive buffer as the kernel reports it (doubled).
        out = subprocess.run(["ss", "-ltnm", "sport = :%d" % port],
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertRegex(out, r"rb65536\b")
        del a

    def test_an_option_the_kernel_refuses_stops_startup(self):
        port = free_port()
        cfg = (ENTRY % runner("gw") +
               server("gw", '''      addr: "127.0.0.1:%d"
      sockOption:
        soOption: {bindToDevice: no-such-dev0}
''' % port) + proxy("default", "http://127.0.0.1:9"))
        self.allow_errors("sockOption", "listen")
        a = self.start(cfg, None)
        a.proc.wait(timeout=10)
        self.assertNotEqual(a.proc.returncode, 0)
        self.assertIn("sockOption soOption.bindToDevice", a.output())

    def test_unknown_options_are_config_errors(self):
        for opt, want in (("soOption: {noDelay: true}", 'unknown field "noDelay"'),
                          ("tcp: {noDelay: true}", 'unknown field "tcp"'),
                          ("tcpOption: {keepIdle: yes}", "expected an integer")):
            with self.subTest(opt=opt):
                self.assert_config_error(
                    ENTRY % runner("gw") +
                        server("gw", '      addr: "127.0.0.1:1"\n      sockOption: {%s}\n'
                               % opt) + proxy("default", "http://127.0.0.1:9"),
                    want)


class ReplaceTargetsConfigTest(ListenTestCase):

    def test_bad_targets_are_config_errors(self):
        for t, want in (('"tcp|a:80 > unix|@x"', "expected"),
                        ('"(tcp|a:80) > (udp|b:1)"', "target network"),
                        ('"(unix|@a) > (tcp|b:1)"', "dialled network"),
                        ('"(tcp|a:80) > (unix|relative)"', "a unix target"),
                        ('"(tcp|a:80) > (tcp|noport)"', "a tcp target is host:port")):
            with self.subTest(t=t):
                self.assert_config_error(
                    ENTRY % runner("gw") +
                        server("gw", '      addr: "127.0.0.1:1"\n') +
                        proxy("default", "http://a", client="c") + """---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: c}
spec:
  httpTransportConfig:
    dialConfig:
      replaceTargets: [%s]
""" % t,
                    want)


class DeadlineTest(ListenTestCase):

    def start_with(self, listen_extra):
        up = self.upstream()
        port = free_port()
        cfg = (ENTRY % runner("gw") +
               server("gw", '      addr: "127.0.0.1:%d"\n%s' % (port, listen_extra)) +
               proxy("default", up.url))
        self.start(cfg, port)
        return port, up

    def test_read_deadline_bounds_the_first_request(self):
        """readDeadline closes a silent new connection long before readHeaderTimeout (30 s)."""
        port, up = self.start_with("      readDeadline: 300\n")
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        t0 = time.monotonic()
        s.sendall(b"GET / HTTP/1.1\r\n")  # a head that never ends
        try:
            data = s.recv(1024)
        except ConnectionResetError:
            data = b""
        self.assertLess(time.monotonic() - t0, 8)
        self.assertNotIn(b"200", data)
        s.close()
        self.assertEqual(up.requests, [])

    def test_later_requests_use_the_server_timeouts(self):
        port, up = self.start_with("      readDeadline: 300\n      writeDeadline: 300\n")
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        f = s.makefile("rb")
        for i in range(2):
            if i:
                time.sleep(0.6)  # past the deadlines: the server's timeouts rule
            s.sendall(b"GET /r%d HTTP/1.1\r\nHost: h\r\n\r\n" % i)
            status = f.readline()
            self.assertIn(b" 200 ", status)
            while f.readline() not in (b"\r\n", b""):
                pass
            self.assertEqual(f.read(2), b"ok")
        s.close()
        self.assertEqual([r.target for r in up.requests], ["/r0", "/r1"])
