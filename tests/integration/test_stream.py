"""Streaming: SSE and chunked pieces arrive one by one; WebSocket/Upgrade tunnel (cases 20-23)."""

import base64
import hashlib
import os
import socket
import struct
import threading
import time
import unittest

from harness import AileronTestCase, Client, free_port, header, proxy_config, read_request, simple_lb

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(payload, mask):
    """One final text frame; masked as a client must."""
    head = bytes([0x81])
    n = len(payload)
    key = os.urandom(4) if mask else b""
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    else:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    if mask:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + payload


def ws_read(sock, buf=b""):
    """Read one frame; returns (payload, rest) or (None, rest) at EOF."""
    def need(n, buf):
        while len(buf) < n:
            d = sock.recv(65536)
            if not d:
                return None
            buf += d
        return buf
    buf = need(2, buf)
    if buf is None:
        return None, b""
    n, masked, off = buf[1] & 0x7f, buf[1] & 0x80, 2
    if n == 126:
        buf = need(4, buf)
        n, off = struct.unpack("!H", buf[2:4])[0], 4
    if masked:
        off += 4
    buf = need(off + n, buf)
    payload = buf[off:off + n]
    if masked:
        key = buf[off - 4:off]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return payload, buf[off + n:]


class WebSocketMixin:
    """An upstream that answers an upgrade with 101 and echoes frames."""

    def ws_upstream(self, accept_proto="websocket", echo=True):
        received = []

        def h(req, c):
            key = req.header("Sec-WebSocket-Key").encode()
            acc = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                       % (accept_proto, acc)).encode())
            rest = b""
            while echo:
                msg, rest = ws_read(c, rest)
                if msg is None:
                    break
                received.append(msg)
                c.sendall(ws_frame(msg + b" ok", mask=False))
            return None
        return self.upstream(h), received

    def ws_connect(self, port, path="/test"):
        c = Client(port)
        key = base64.b64encode(os.urandom(16)).decode()
        c.send(("GET %s HTTP/1.1\r\nHost: localhost:%d\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                "Origin: http://localhost:%d\r\n\r\n" % (path, port, key, port)).encode())
        st, hd, _ = c.recv_response(head_only=True)
        return c, st, hd, key


class StreamTest(WebSocketMixin, AileronTestCase):
    def gateway(self, doc, server_extra=""):
        port = free_port()
        self.start(proxy_config(port, doc, server_extra, "  processConfig:\n    workers: 2\n"),
                   port)
        return port

    def pieces_one_by_one(self, head):
        """Upstream sends 1..5, each only after the client saw the previous one."""
        seen = [threading.Event() for _ in range(5)]

        def h(req, c):
            c.sendall(head)
            for i in range(5):
                piece = str(i + 1).encode()
                if b"chunked" in head:
                    piece = b"1\r\n" + piece + b"\r\n"
                c.sendall(piece)
                if not seen[i].wait(5):
                    return None
            if b"chunked" in head:
                c.sendall(b"0\r\n\r\n")
            return None
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url], match="/test"))
        c = Client(port)
        c.send(b"GET /test HTTP/1.1\r\nHost: a\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += c.sock.recv(65536)
        head_out, body = data.split(b"\r\n\r\n", 1)
        for i in range(5):
            while str(i + 1).encode() not in body:
                d = c.sock.recv(65536)
                self.assertTrue(d, "closed before piece %d" % (i + 1))
                body += d
            self.assertNotIn(str(i + 2).encode(), body)
            seen[i].set()
        c.close()
        return head_out.decode("latin-1")

    def test_sse_pieces_arrive_separately(self):
        head = self.pieces_one_by_one(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
        self.assertIn("Content-Type: text/event-stream", head)
        self.assertIn("Transfer-Encoding: chunked", head)

    def test_chunked_pieces_arrive_separately(self):
        head = self.pieces_one_by_one(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        self.assertIn("Transfer-Encoding: chunked", head)

    def test_websocket_echo(self):
        up, received = self.ws_upstream()
        port = self.gateway(simple_lb([up.url], match="/test"))
        c, st, hd, key = self.ws_connect(port)
        self.assertEqual(st, 101)
        self.assertEqual(header(hd, "Upgrade"), "websocket")
        self.assertEqual(header(hd, "Connection"), "Upgrade")
        want = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        self.assertEqual(header(hd, "Sec-WebSocket-Accept"), want)
        rest = c.buf
        for i in range(1, 6):
            c.send(ws_frame(str(i).encode(), mask=True))
            msg, rest = ws_read(c.sock, rest)
            self.assertEqual(msg, b"%d ok" % i)
        self.assertEqual(received, [b"1", b"2", b"3", b"4", b"5"])
        # The upstream request carried the upgrade.
        self.assertEqual(up.requests[0].header("Upgrade"), "websocket")
        self.assertEqual(up.requests[0].header("Connection"), "Upgrade")
        c.close()

    def test_upgrade_mismatch_is_502(self):
        self.allow_errors("unexpected protocol switch")
        up, _ = self.ws_upstream(accept_proto="h2c", echo=False)
        port = self.gateway(simple_lb([up.url], match="/test"))
        c, st, hd, _ = self.ws_connect(port)
        self.assertEqual(st, 502)
        c.close()

    def test_unrequested_101_is_502(self):
        self.allow_errors("unexpected protocol switch")
        def h(req, c):
            return b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 502)
        c.close()

    def test_idle_tunnel_is_closed(self):
        up, _ = self.ws_upstream()
        port = self.gateway(simple_lb([up.url], match="/test"),
                            server_extra="  httpConfig: {readTimeout: 1}\n")
        c, st, _, _ = self.ws_connect(port)
        self.assertEqual(st, 101)
        c.send(ws_frame(b"x", mask=True))
        msg, rest = ws_read(c.sock, c.buf)
        self.assertEqual(msg, b"x ok")
        self.assertTrue(c.closed(timeout=5))


class ParkedBehindLongExchangeTest(WebSocketMixin, AileronTestCase):
    """A worker busy with a long exchange (a tunnel, a trickling stream)
    hands its parked keep-alive connections on to other workers when they
    send a request; they do not wait for the exchange to end."""

    def one_worker_gateway(self, doc):
        port = free_port()
        self.start(proxy_config(
            port, doc, "", "  processConfig:\n    startWorkers: 1\n"
            "    minSpareWorkers: 1\n    maxSpareWorkers: 2\n"), port)
        return port

    def test_parked_connection_not_held_by_a_tunnel(self):
        up, _ = self.ws_upstream()
        plain = self.upstream(lambda req, c: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        doc = simple_lb([up.url], match="/test", match_type="Exact").replace(
            "kind: ReverseProxyHandler\nspec:\n  loadBalancers:\n",
            "kind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
            "    - pathMatcher: {match: /plain, matchType: Exact}\n"
            "      upstreams: [{url: %s}]\n" % plain.url)
        port = self.one_worker_gateway(doc)
        # One worker: the keep-alive connection and the tunnel share it.
        b = Client(port)
        b.send(b"GET /plain HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(b.recv_response()[0], 200)
        c, st, _, _ = self.ws_connect(port)
        self.assertEqual(st, 101)
        c.send(ws_frame(b"x", mask=True))
        msg, _ = ws_read(c.sock, c.buf)
        self.assertEqual(msg, b"x ok")
        time.sleep(1.5)  # the master adds a spare worker meanwhile
        t0 = time.monotonic()
        b.send(b"GET /plain HTTP/1.1\r\nHost: h\r\n\r\n")
        b.sock.settimeout(8)
        st, _, body = b.recv_response()
        self.assertEqual((st, body), (200, b"ok"))
        self.assertLess(time.monotonic() - t0, 4)
        c.close()
        b.close()

    def test_parked_connection_not_held_by_a_long_stream(self):
        def slow(req, c):
            if req.target == "/plain":
                return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(1600):  # 8 s, a piece every 5 ms
                try:
                    c.sendall(b"1\r\nx\r\n")
                except OSError:
                    return None
                time.sleep(0.005)
            c.sendall(b"0\r\n\r\n")
            return None
        up = self.upstream(slow)
        port = self.one_worker_gateway(simple_lb([up.url]))
        b = Client(port)
        b.send(b"GET /plain HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(b.recv_response()[0], 200)
        a = Client(port)
        a.send(b"GET /stream HTTP/1.1\r\nHost: h\r\n\r\n")
        a.sock.settimeout(5)
        self.assertTrue(a.sock.recv(4096).startswith(b"HTTP/1.1 200"))
        time.sleep(1.5)  # the master adds a spare worker meanwhile
        t0 = time.monotonic()
        b.send(b"GET /plain HTTP/1.1\r\nHost: h\r\n\r\n")
        b.sock.settimeout(10)
        st, _, body = b.recv_response()
        self.assertEqual((st, body), (200, b"ok"))
        self.assertLess(time.monotonic() - t0, 4)
        a.close()
        b.close()


if __name__ == "__main__":
    unittest.main()
