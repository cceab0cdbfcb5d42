"""Long bodies of known length relayed with splice(2): intact, and a cut one leaves nothing behind."""

import hashlib
import os
import socket
import time

from harness import (AileronTestCase, Client, free_port, proxy_config,
                     request, response, simple_lb)


class SpliceTest(AileronTestCase):
    def gateway(self, handler_doc):
        port = free_port()
        entry = "  processConfig:\n    workers: 1\n"
        self.start(proxy_config(port, handler_doc, "", entry), port)
        return port

    def test_cut_long_body_leaves_no_stale_bytes(self):
        blob = os.urandom(3 * 1024 * 1024)

        def h(req, c):
            if req.target == "/cut":
                # Promise 16 MiB, send 8 MiB, close: the relay fails
                # with bytes still in flight.
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                          % (16 << 20))
                c.sendall(b"x" * (8 << 20))
                return None
            return response(200, blob)
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        # A small receive buffer makes the client the bottleneck, so the
        # upstream's end finds bytes still waiting in the worker's pipe.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        s.settimeout(30)
        s.connect(("127.0.0.1", port))
        got = b""
        try:
            s.sendall(b"GET /cut HTTP/1.1\r\nHost: a\r\n\r\n")
            time.sleep(0.5)
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        finally:
            s.close()
        head, body = got.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"))
        self.assertLess(len(body), 16 << 20)
        self.assertEqual(body, b"x" * len(body))
        # The same (only) worker then relays a long body intact.
        for _ in range(2):
            st, hd, body = request(port, "GET", "/ok")
            self.assertEqual(st, 200)
            self.assertEqual(hashlib.md5(body).hexdigest(),
                             hashlib.md5(blob).hexdigest())

    def test_client_gone_mid_body_leaves_no_stale_bytes(self):
        big = b"y" * (16 << 20)
        blob = os.urandom(1 << 20)

        def h(req, c):
            return response(200, big if req.target == "/big" else blob)
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        # Read a little of a long body and go: the worker's write fails
        # with bytes of it still in the pipe.
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            s.sendall(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
            got = b""
            while len(got) < 200000:
                got += s.recv(65536)
        finally:
            s.close()
        for _ in range(2):
            st, _, body = request(port, "GET", "/ok")
            self.assertEqual(st, 200)
            self.assertEqual(hashlib.md5(body).hexdigest(),
                             hashlib.md5(blob).hexdigest())

    def test_long_bodies_on_one_keep_alive_connection(self):
        blobs = [os.urandom(n) for n in (70000, 1 << 20, 5, 200000)]

        def h(req, c):
            return response(200, blobs[int(req.target[1:])])
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        try:
            for i in range(len(blobs)):
                c.send(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
                st, _, body = c.recv_response()
                self.assertEqual(st, 200)
                self.assertEqual(body, blobs[i])
        finally:
            c.close()
