"""app/v1 CompressionMiddleware: gzip and brotli bodies, streamed, by AILERON's rules."""

import gzip
import json
import os
import socket
import subprocess
import time
import zlib

from harness import (AileronTestCase, Client, Httpbin, free_port, request, response, run_aileron)

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aileron-examples")


def config(port, up_url, spec):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: 2
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  middleware:
    - apiVersion: app/v1
      kind: CompressionMiddleware
  virtualHosts:
    - handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
---
apiVersion: app/v1
kind: CompressionMiddleware
spec:
%s""" % (port, up_url, spec)


def unbrotli(data):
    """Decode brotli with curl's decoder (no Python module here)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = subprocess.Popen(["curl", "-s", "--compressed", "http://127.0.0.1:%d/" % port],
                         stdout=subprocess.PIPE)
    c, _ = srv.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(data) + data)
    c.close()
    srv.close()
    out, _ = p.communicate(timeout=10)
    assert p.returncode == 0, p.returncode
    return out


def hdr(headers):
    return {k.lower(): v for k, v in headers}


JSON = b'{"message": "Test Body"}'


class CompressionTest(AileronTestCase):

    def bodies(self):
        """An upstream answering with the type and body the path names."""
        big = b"".join(b"line %d of a big text body\n" % i for i in range(60000))

        def handler(req, conn):
            t = req.target
            if t == "/json":
                return response(200, JSON, [("Content-Type", "application/json")])
            if t == "/json19":
                return response(200, JSON[:19], [("Content-Type", "application/json")])
            if t == "/text":
                return response(200, JSON, [("Content-Type", "text/plain")])
            if t == "/big":
                return response(200, big, [("Content-Type", "text/plain; charset=utf-8")])
            if t == "/gzipped":
                return response(200, gzip.compress(JSON),
                                [("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
            if t == "/custom-ce":
                return response(200, JSON, [("Content-Type", "application/json"),
                                            ("Content-Encoding", "identity")])
            if t == "/chunked":
                return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n18\r\n" + JSON + b"\r\n0\r\n\r\n")
            return response(404, b"no")
        self.big = big
        return self.upstream(handler)

    def start_json(self, spec='  targetMIMEs: ["application/json"]\n  minimumSize: 1\n'):
        up = self.bodies()
        port = free_port()
        self.start(config(port, up.url, spec), port)
        return port

    def test_aileron_cases(self):
        # AILERON's tests: targets [application/json], minimumSize 1.
        port = self.start_json()
        st, h, body = request(port, path="/json", headers=[("Accept-Encoding", "deflate, gzip, zstd")])
        h = hdr(h)
        self.assertEqual((st, h["content-encoding"], h["vary"]), (200, "gzip", "Accept-Encoding"))
        self.assertNotIn("content-length", h)
        self.assertEqual(h["transfer-encoding"], "chunked")
        self.assertEqual(gzip.decompress(body), JSON)
        st, h, body = request(port, path="/json", headers=[("Accept-Encoding", "deflate, br, zstd")])
        self.assertEqual(hdr(h)["content-encoding"], "br")
        self.assertEqual(unbrotli(body), JSON)
        st, h, body = request(port, path="/text", headers=[("Accept-Encoding", "gzip")])
        h = hdr(h)
        self.assertNotIn("content-encoding", h)
        self.assertEqual((h["content-length"], h["vary"], body), ("24", "Accept-Encoding", JSON))

    def test_minimum_size(self):
        port = self.start_json('  targetMIMEs: ["application/json"]\n  minimumSize: 20\n')
        st, h, body = request(port, path="/json", headers=[("Accept-Encoding", "gzip")])
        self.assertEqual(hdr(h)["content-encoding"], "gzip")
        st, h, body = request(port, path="/json19", headers=[("Accept-Encoding", "gzip")])
        h = hdr(h)
        self.assertNotIn("content-encoding", h)
        self.assertEqual((h["content-length"], body), ("19", JSON[:19]))

    def test_left_alone(self):
        port = self.start_json()
        # No Accept-Encoding: untouched, no Vary.
        st, h, body = request(port, path="/json")
        h = hdr(h)
        self.assertNotIn("vary", h)
        self.assertNotIn("content-encoding", h)
        self.assertEqual(body, JSON)
        # Refused with q=0, or only codings we do not make.
        for ae in ("gzip;q=0", "identity", "deflate, zstd", "xgzip"):
            st, h, body = request(port, path="/json", headers=[("Accept-Encoding", ae)])
            h = hdr(h)
            self.assertNotIn("content-encoding", h, ae)
            self.assertEqual((h["vary"], body), ("Accept-Encoding", JSON), ae)
        # Compressed already: kept as it is.
        st, h, body = request(port, path="/gzipped", headers=[("Accept-Encoding", "br")])
        self.assertEqual(hdr(h)["content-encoding"], "gzip")
        self.assertEqual(gzip.decompress(body), JSON)
        # A streamed (chunked) body is never compressed, as in AILERON.
        st, h, body = request(port, path="/chunked", headers=[("Accept-Encoding", "gzip")])
        self.assertNotIn("content-encoding", hdr(h))
        self.assertEqual(body, JSON)

    def test_other_coding_appended(self):
        port = self.start_json()
        st, h, body = request(port, path="/custom-ce", headers=[("Accept-Encoding", "gzip")])
        self.assertEqual(hdr(h)["content-encoding"], "identity,gzip")
        self.assertEqual(gzip.decompress(body), JSON)

    def test_big_body_streams(self):
        # 1.6 MB of text, both codings, on one keep-alive connection.
        port = self.start_json("  {}\n")
        c = Client(port)
        try:
            for ae, decode in (("gzip", gzip.decompress), ("br", unbrotli)):
                c.send(("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\n\r\n" % ae).encode())
                st, h, body = c.recv_response()
                self.assertEqual(hdr(h)["content-encoding"], ae)
                self.assertLess(len(body), len(self.big) // 10)
                self.assertEqual(decode(body), self.big)
            # The connection goes on, uncompressed now.
            c.send(b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.recv_response()[2], JSON)
        finally:
            c.close()

    def test_client_leaves_mid_body(self):
        # A client that reads a little of a big compressed body and goes:
        # the worker carries on with the next client.
        port = self.start_json("  gzipLevel: 1\n")
        for _ in range(3):
            c = Client(port)
            c.send(b"GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            c.sock.recv(100)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
        time.sleep(0.2)
        st, h, body = request(port, path="/big", headers=[("Accept-Encoding", "gzip")])
        self.assertEqual(zlib.decompress(body, 31), self.big)

    def test_example_compression(self):
        # AILERON's example, unchanged but for its address and upstream.
        path = os.path.join(EXAMPLES, "compression.yaml")
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)
        hb = Httpbin()
        self.addCleanup(hb.stop)
        with open(path) as f:
            text = f.read()
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://httpbin.org", hb.url)
        self.start(text, port)
        # README: curl -H "Accept-Encoding: gzip" http://localhost:8080/get --compressed
        out = subprocess.run(["curl", "-s", "-D", "-", "--compressed", "-H", "Accept-Encoding: gzip",
                              "http://127.0.0.1:%d/get" % port], stdout=subprocess.PIPE,
                             timeout=10).stdout.decode()
        head, body = out.split("\r\n\r\n", 1)
        self.assertIn("Content-Encoding: gzip", head)
        self.assertIn("Vary: Accept-Encoding", head)
        sent = json.loads(body)["headers"]
        self.assertEqual(sent["Accept-Encoding"], "gzip")
        self.assertEqual(sent["X-Forwarded-Host"], "127.0.0.1:%d" % port)
