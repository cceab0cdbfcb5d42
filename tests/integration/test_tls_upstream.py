"""HTTPS upstreams: verification against the system store, rootCAs, serverName/SNI,
client certificates, insecureSkipVerify; a CA made at test time."""

import os
import ssl
import tempfile
import unittest

from harness import (AileronTestCase, MockUpstream, Pki, free_port, header, proxy_config,
                     request, response)

JSON502 = b'{"status":502,"statusText":"Bad Gateway"}'


def make_pki():
    """A CA, server certificates for 127.0.0.1 and upstream.test, a client one."""
    pki = Pki()
    pki.ca("ca")
    pki.leaf("ip", "ca", [], ip="127.0.0.1")
    pki.leaf("dns", "ca", ["upstream.test"])
    pki.leaf("client", "ca", ["client.test"], client=True)
    return pki


class TLSMock(MockUpstream):
    """MockUpstream speaking TLS with the given certificate."""

    def __init__(self, d, cert, require_client=False):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
        if require_client:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(os.path.join(d, "ca.pem"))
        self.sni = []
        self.ctx.sni_callback = lambda s, name, c: self.sni.append(name)
        super().__init__(lambda req, c: response(200, b"secure"))

    def _conn(self, conn):
        try:
            conn.settimeout(10)
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        super()._conn(tls)

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port


class TLSUpstreamTest(AileronTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = make_pki()
        cls.dir = cls.pki.dir

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()

    def mock(self, cert, require_client=False):
        m = TLSMock(self.dir, cert, require_client)
        self.addCleanup(m.stop)
        return m

    def gateway(self, url, tls=None, host_url=None):
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n%s  loadBalancers:\n"
               "    - pathMatcher: {match: /, matchType: Prefix}\n      upstreams:\n"
               "        - url: %s\n") % (
            "  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n" if tls is not None else "",
            host_url or url)
        if tls is not None:
            doc += ("---\napiVersion: core/v1\nkind: HTTPClient\nspec:\n"
                    "  httpTransportConfig:\n    tlsConfig:\n%s" % tls)
        port = free_port()
        self.start(proxy_config(port, doc, entry_extra="  processConfig: {workers: 1}\n"), port)
        return port

    def ca(self):
        return "      rootCAs: [\"%s\"]\n" % os.path.join(self.dir, "ca.pem")

    def test_verified_with_root_cas_and_pooled(self):
        up = self.mock("ip")
        port = self.gateway(up.url, self.ca())
        for _ in range(3):
            st, hd, body = request(port, "GET", "/x")
            self.assertEqual((st, body), (200, b"secure"))
        self.assertEqual(up.requests[0].header("Host"), "127.0.0.1:%d" % up.port)
        # One worker: the three requests shared one pooled TLS connection.
        self.assertEqual(up.connections, 1)
        self.assertEqual(header(hd, "Content-Length"), "6")

    def test_untrusted_ca_refused(self):
        self.allow_errors("certificate verification failed: unable to get local issuer",
                          "connect: Software caused connection abort")
        up = self.mock("ip")
        port = self.gateway(up.url)  # built-in transport: system store only
        self.assertEqual(request(port, "GET", "/x")[::2], (502, JSON502))
        port = self.gateway(up.url, "      serverName: \"\"\n      minVersion: 771\n")
        self.assertEqual(request(port, "GET", "/x")[::2], (502, JSON502))
        self.assertEqual(up.requests, [])

    def test_insecure_skip_verify(self):
        up = self.mock("ip")
        port = self.gateway(up.url, "      insecureSkipVerify: true\n")
        self.assertEqual(request(port, "GET", "/x")[::2], (200, b"secure"))

    def test_server_name_and_sni(self):
        self.allow_errors("certificate verification failed: IP address mismatch",
                          "connect: Software caused connection abort")
        up = self.mock("dns")
        # The certificate names upstream.test, not 127.0.0.1: refused...
        port = self.gateway(up.url, self.ca())
        self.assertEqual(request(port, "GET", "/x")[0], 502)
        # ... unless serverName says which name to check (and send as SNI).
        port = self.gateway(up.url, self.ca() + "      serverName: upstream.test\n")
        self.assertEqual(request(port, "GET", "/x")[::2], (200, b"secure"))
        self.assertIn("upstream.test", up.sni)

    def test_client_certificate(self):
        self.allow_errors("no valid response (")
        up = self.mock("ip", require_client=True)
        port = self.gateway(up.url, self.ca())
        self.assertEqual(request(port, "GET", "/x")[0], 502)
        pair = "      certKeyPairs:\n        - {certFile: \"%s\", keyFile: \"%s\"}\n" % (
            os.path.join(self.dir, "client.pem"), os.path.join(self.dir, "client.key"))
        port = self.gateway(up.url, self.ca() + pair)
        self.assertEqual(request(port, "GET", "/x")[::2], (200, b"secure"))

    def test_missing_ca_file_refused(self):
        from harness import run_aileron
        port = free_port()
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n"
               "  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n  loadBalancers: []\n---\n"
               "apiVersion: core/v1\nkind: HTTPClient\nspec:\n  httpTransportConfig:\n"
               "    tlsConfig: {rootCAs: [/nonexistent/ca.pem]}\n")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(proxy_config(port, doc))
        try:
            rc, out = run_aileron(["-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 1, out)
        self.assertIn("/nonexistent/ca.pem", out)


if __name__ == "__main__":
    unittest.main()
