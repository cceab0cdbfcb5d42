"""TLS termination: certificates made at test time with the openssl CLI."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import OPENSSL, AileronTestCase, Pki, free_port, run_aileron

CURL = shutil.which("curl")


def tls_config(port, upstream, tls, workers=2, server_extra=""):
    """One TLS server in front of upstream; tls is the tlsConfig body (YAML, 8 spaces)."""
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
  httpConfig:
%s    listenConfig:
      tlsConfig:
%s  virtualHosts:
    - handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher:
        match: "/"
        matchType: Prefix
      upstreams:
        - url: %s
""" % (workers, port, server_extra, tls, upstream)


def pairs(pki, *names):
    return "        certKeyPairs:\n" + "".join(
        "          - certFile: %s\n            keyFile: %s\n"
        % (pki.path(n + ".pem"), pki.path(n + ".key")) for n in names)


def client_ctx(pki, cert=None):
    ctx = ssl.create_default_context(cafile=pki.path("ca.pem"))
    if cert:
        ctx.load_cert_chain(pki.path(cert + ".pem"), pki.path(cert + ".key"))
    return ctx


def https_get(port, ctx, sni="localhost", path="/", session=None, timeout=5):
    """One HTTPS request; returns (status, body, ssl socket info dict)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s = ctx.wrap_socket(raw, server_hostname=sni, session=session)
    except BaseException:
        raw.close()
        raise
    with s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, sni)).encode())
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        head, _, body = data.partition(b"\r\n\r\n")
        info = {"cert": s.getpeercert(binary_form=True), "session": s.session,
                "reused": s.session_reused, "version": s.version()}
        return int(head.split(b" ")[1]), body, info


def cert_cn(der):
    """The subject CN of a DER certificate, via the openssl CLI."""
    p = subprocess.run([OPENSSL, "x509", "-inform", "DER", "-noout", "-subject"],
                       input=der, stdout=subprocess.PIPE, check=True)
    return p.stdout.decode().strip().split("CN")[-1].strip(" =")


@unittest.skipIf(OPENSSL is None, "no openssl CLI")
class TlsTest(AileronTestCase):
    allowed_errors = ("reload failed", "cannot load", "cannot open")

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()
        cls.pki.ca("ca")
        cls.pki.ca("other-ca")
        cls.pki.leaf("a", "ca", ["a.test", "localhost"], ip="127.0.0.1")
        cls.pki.leaf("b", "ca", ["b.test"])
        cls.pki.leaf("client", "ca", [], client=True)
        cls.pki.leaf("stranger", "other-ca", [], client=True)

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()

    def start_tls(self, tls, workers=2, env=None, server_extra=""):
        up = self.upstream()
        port = free_port()
        a = self.start(tls_config(port, up.url, tls, workers, server_extra), port, env=env)
        return a, up, port

    @unittest.skipIf(CURL is None, "no curl")
    def test_https_through_to_upstream(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"))
        out = subprocess.run(
            [CURL, "-sS", "--cacert", self.pki.path("ca.pem"),
             "https://localhost:%d/hello?x=1" % port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"ok")
        self.assertEqual(up.requests[-1].target, "/hello?x=1")
        self.assertEqual(up.requests[-1].header("X-Forwarded-Proto"), "https")
        # Python's ssl: keep-alive, two requests on one connection.
        ctx = client_ctx(self.pki)
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                             server_hostname="localhost") as s:
            for i in range(2):
                s.sendall(b"GET /k%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i)
                data = b""
                while not data.endswith(b"ok"):
                    d = s.recv(65536)
                    self.assertTrue(d)
                    data += d
                self.assertTrue(data.startswith(b"HTTP/1.1 200 "))
            self.assertEqual(s.version(), "TLSv1.3")
        self.assertEqual([r.target for r in up.requests[-2:]], ["/k0", "/k1"])
        # Plain HTTP on the TLS port gets Go's 400, and the worker lives.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(s.recv(4096), b"HTTP/1.0 400 Bad Request\r\n\r\n"
                             b"Client sent an HTTP request to an HTTPS server.\n")
        self.assertEqual(https_get(port, ctx)[0], 200)

    def test_sni_picks_the_certificate(self):
        a, up, port = self.start_tls(pairs(self.pki, "a", "b"))
        ctx = client_ctx(self.pki)
        self.assertEqual(cert_cn(https_get(port, ctx, sni="b.test")[2]["cert"]), "b")
        self.assertEqual(cert_cn(https_get(port, ctx, sni="a.test")[2]["cert"]), "a")
        # An unknown name or no SNI at all: the first pair.
        ctx.check_hostname = False
        self.assertEqual(cert_cn(https_get(port, ctx, sni="zzz.test")[2]["cert"]), "a")
        self.assertEqual(cert_cn(https_get(port, ctx, sni=None)[2]["cert"]), "a")

    def test_mutual_tls(self):
        tls = pairs(self.pki, "a") + (
            "        clientAuth: RequireAndVerifyClientCert\n"
            "        clientCAs: [%s]\n" % self.pki.path("ca.pem"))
        a, up, port = self.start_tls(tls)
        self.assertEqual(https_get(port, client_ctx(self.pki, "client"))[0], 200)
        for who in (None, "stranger"):
            with self.assertRaises((ssl.SSLError, ConnectionError), msg=who):
                https_get(port, client_ctx(self.pki, who))
        self.assertEqual(len(up.requests), 1)
        self.assertIn("TLS handshake error", a.output())

    def test_request_client_cert_accepts_any(self):
        tls = pairs(self.pki, "a") + "        clientAuth: RequireAnyClientCert\n"
        a, up, port = self.start_tls(tls)
        self.assertEqual(https_get(port, client_ctx(self.pki, "stranger"))[0], 200)
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_get(port, client_ctx(self.pki))

    def tls11_client(self):
        ctx = client_ctx(self.pki)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT@SECLEVEL=0")  # OpenSSL 3 clients refuse 1.1 otherwise
        return ctx

    def test_tls11_refused_by_default(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"))
        with self.assertRaises(ssl.SSLError):
            https_get(port, self.tls11_client())
        # The worker logs the refused handshake; the line may come a
        # moment after the client saw the alert.
        deadline = time.monotonic() + 3
        while "unsupported protocol" not in a.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("unsupported protocol", a.output())
        # The same client works when the server allows TLS 1.1: the
        # refusal above is the server's.
        a2, up2, port2 = self.start_tls(pairs(self.pki, "a") + "        minVersion: 770\n")
        status, _, info = https_get(port2, self.tls11_client())
        self.assertEqual((status, info["version"]), (200, "TLSv1.1"))

    def test_versions_ciphers_curves(self):
        tls = pairs(self.pki, "a") + (
            "        maxVersion: 771\n"
            "        tlsCipher: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n"
            "        curvePreferences: [CurveP384]\n"
            "        nextProtos: [http/1.1]\n")
        a, up, port = self.start_tls(tls)
        ctx = client_ctx(self.pki)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            self.assertEqual(s.version(), "TLSv1.2")
            self.assertEqual(s.cipher()[0], "ECDHE-ECDSA-AES256-GCM-SHA384")
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        # A client with only other suites (or only P-256) is refused.
        ctx = client_ctx(self.pki)
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        with self.assertRaises(ssl.SSLError):
            https_get(port, ctx)

    def tls12_client(self, suite):
        ctx = client_ctx(self.pki)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(suite)
        return ctx

    def test_default_suites_are_forward_secret_aead(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"))
        for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                      "ECDHE-ECDSA-CHACHA20-POLY1305"):
            self.assertEqual(https_get(port, self.tls12_client(suite))[0], 200, suite)
        # CBC suites, with SHA-1 or SHA-256 MACs, are not offered.
        for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                      "ECDHE-ECDSA-AES128-SHA256"):
            with self.assertRaises(ssl.SSLError, msg=suite):
                https_get(port, self.tls12_client(suite))
        # An explicit tlsCipher still wins.
        a2, up2, port2 = self.start_tls(
            pairs(self.pki, "a") + "        tlsCipher: [TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA]\n")
        status, _, info = https_get(port2, self.tls12_client("ECDHE-ECDSA-AES128-SHA"))
        self.assertEqual(status, 200)

    def test_resumption_across_workers(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"), workers=4,
                                     env={"GATEWAY_LOG_LEVEL": "debug"})
        ctx = client_ctx(self.pki)
        status, _, info = https_get(port, ctx)
        self.assertFalse(info["reused"])
        for i in range(16):
            status, _, info2 = https_get(port, ctx, session=info["session"])
            self.assertEqual(status, 200)
            self.assertTrue(info2["reused"], "attempt %d not resumed" % i)
        # The same with openssl s_client and TLS 1.2 session tickets.
        sess = os.path.join(a.dir, "sess.pem")
        base = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2"]
        out = subprocess.run(base + ["-sess_out", sess], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
        self.assertIn(b"\nNew, ", out.stdout)
        for i in range(6):
            out = subprocess.run(base + ["-sess_in", sess], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
            self.assertIn(b"\nReused, ", out.stdout)
        pids = {l["pid"] for l in a.log_lines()
                if isinstance(l, dict) and l.get("msg", "").endswith(" resumed")}
        self.assertGreaterEqual(len(pids), 2, "resumed handshakes all in one worker")

    def test_session_tickets_disabled(self):
        a, up, port = self.start_tls(pairs(self.pki, "a") + "        sessionTicketsDisabled: true\n")
        ctx = client_ctx(self.pki)
        _, _, info = https_get(port, ctx)
        _, _, info2 = https_get(port, ctx, session=info["session"])
        self.assertFalse(info2["reused"])

    def test_stalled_handshake_does_not_block_the_worker(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"), workers=1,
                                     server_extra="    readHeaderTimeout: 1\n")
        ctx = client_ctx(self.pki)
        stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
        half = socket.create_connection(("127.0.0.1", port), timeout=5)
        # Half a ClientHello: the handshake waits, parked.
        half.sendall(bytes.fromhex("160301020001"))
        t0 = time.monotonic()
        self.assertEqual(https_get(port, ctx)[0], 200)
        self.assertLess(time.monotonic() - t0, 0.9)
        # Both are closed when the handshake timeout passes.
        for s in (stalled, half):
            s.settimeout(5)
            self.assertIn(s.recv(100), (b"",))
            s.close()
        self.assertLess(time.monotonic() - t0, 3)
        self.assertEqual(https_get(port, ctx)[0], 200)

    def test_handshake_resumes_after_partial_client_hello(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"), workers=1)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = client_ctx(self.pki).wrap_bio(inc, out, server_hostname="localhost")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with self.assertRaises(ssl.SSLWantReadError):
                obj.do_handshake()
            hello = out.read()
            s.sendall(hello[:7])
            time.sleep(0.2)  # the worker parks the handshake meanwhile
            self.assertEqual(https_get(port, client_ctx(self.pki))[0], 200)
            s.sendall(hello[7:])
            while True:
                d = s.recv(65536)
                self.assertTrue(d, "closed during the handshake")
                inc.write(d)
                try:
                    obj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    s.sendall(out.read())
            obj.write(b"GET /split HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            s.sendall(out.read())
            data = b""
            while not data.endswith(b"ok"):
                d = s.recv(65536)
                self.assertTrue(d)
                inc.write(d)
                try:
                    while True:
                        chunk = obj.read(65536)
                        if not chunk:
                            break
                        data += chunk
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                    pass
            self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertEqual(up.requests[-1].target, "/split")

    def test_idle_connection_closed_with_close_notify(self):
        a, up, port = self.start_tls(pairs(self.pki, "a"), server_extra="    idleTimeout: 1\n")
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        with client_ctx(self.pki).wrap_socket(raw, server_hostname="localhost",
                                              suppress_ragged_eofs=False) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while not data.endswith(b"ok"):
                data += s.recv(65536)
            # A TLS close (close_notify) reads as b""; a bare TCP close
            # would raise SSLEOFError here.
            self.assertEqual(s.recv(100), b"")

    def test_reload_serves_renewed_certificate(self):
        d = tempfile.mkdtemp(prefix="aileron-renew-", dir=self.pki.dir)
        cert, key = os.path.join(d, "s.pem"), os.path.join(d, "s.key")
        shutil.copy(self.pki.path("a.pem"), cert)
        shutil.copy(self.pki.path("a.key"), key)
        tls = "        certKeyPairs:\n          - {certFile: %s, keyFile: %s}\n" % (cert, key)
        a, up, port = self.start_tls(tls)
        ctx = client_ctx(self.pki)
        first = https_get(port, ctx)[2]["cert"]
        self.pki.leaf("renewed", "ca", ["localhost"], cn="renewed")
        shutil.copy(self.pki.path("renewed.pem"), cert)
        shutil.copy(self.pki.path("renewed.key"), key)
        a.signal(signal.SIGHUP)
        self.wait_for(lambda: cert_cn(https_get(port, ctx)[2]["cert"]) == "renewed")
        # A broken certificate: the reload fails, the running one stays.
        with open(cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
        a.signal(signal.SIGHUP)
        self.wait_for(lambda: "reload failed" in a.output())
        # Reload errors go to the log (a daemon has no stdout).
        self.assertTrue(any("cannot load certificate \"%s\"" % cert in l.get("msg", "")
                            for l in a.log_lines() if isinstance(l, dict)))
        self.assertEqual(cert_cn(https_get(port, ctx)[2]["cert"]), "renewed")
        self.assertNotEqual(first, https_get(port, ctx)[2]["cert"])

    def wait_for(self, cond, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if cond():
                    return
            except (OSError, ssl.SSLError):
                pass
            time.sleep(0.1)
        self.fail("condition not met in %s s" % timeout)

    def test_config_errors(self):
        d = tempfile.mkdtemp(prefix="aileron-conf-", dir=self.pki.dir)
        path = os.path.join(d, "c.yaml")
        missing = self.pki.path("missing.pem")
        cases = [
            ("        certKeyPairs:\n          - certFile: %s\n            keyFile: %s\n"
             % (missing, self.pki.path("a.key")),
             '18:23: field "certFile": cannot open "%s": No such file or directory' % missing),
            ("        certKeyPairs:\n          - certFile: %s\n            keyFile: %s\n"
             % (self.pki.path("a.pem"), self.pki.path("b.key")),
             '19:22: field "keyFile": private key "%s" does not match certificate'
             % self.pki.path("b.key")),
            ("        certKeyPairs:\n          - certFile: %s\n            keyFile: %s\n"
             % (self.pki.path("a.key"), self.pki.path("a.key")),
             'field "certFile": cannot load certificate'),
            (pairs(self.pki, "a") + "        clientCAs: [%s]\n        clientAuth: "
             "RequireAndVerifyClientCert\n" % missing,
             '20:20: field "clientCAs": cannot open "%s"' % missing),
            (pairs(self.pki, "a") + "        nextProtos: [h2, http/1.1]\n",
             '20:22: field "nextProtos": "h2": HTTP/2 is not supported'),
            (pairs(self.pki, "a") + "        minVersion: 772\n        maxVersion: 771\n",
             'field "minVersion": 772 is above maxVersion 771'),
            (pairs(self.pki, "a") + "        minVersion: 768\n",
             'field "minVersion": unsupported TLS version 768'),
            (pairs(self.pki, "a") + "        tlsCipher: [TLS_BOGUS]\n",
             'field "tlsCipher": invalid value "TLS_BOGUS"'),
            ("        clientAuth: RequireAnyClientCert\n",
             'field "tlsConfig": a TLS listener needs certKeyPairs'),
        ]
        for tls, want in cases:
            with open(path, "w") as f:
                f.write(tls_config(1, "http://127.0.0.1:1", tls))
            rc, out = run_aileron(["-c", "-f", path])
            self.assertEqual(rc, 1, out)
            self.assertIn(want, out)
        # ${VAR} in file names.
        with open(path, "w") as f:
            f.write(tls_config(1, "http://127.0.0.1:1",
                               "        certKeyPairs:\n          - certFile: ${PKI}/a.pem\n"
                               "            keyFile: ${PKI}/a.key\n"))
        rc, out = run_aileron(["-c", "-f", path], env=dict(os.environ, PKI=self.pki.dir))
        self.assertEqual((rc, out.strip()), (0, "aileron: configuration is valid"))


if __name__ == "__main__":
    unittest.main()
