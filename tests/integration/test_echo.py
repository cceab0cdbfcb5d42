"""app/v1 EchoHandler through the real binary: AILERON's request dump, bodies, bad input."""

import os
import shutil
import socket
import tempfile

from harness import AileronTestCase, Client, free_port, header, request, run_aileron


def config(port, spec="{}"):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
spec: %s
""" % (port, spec)


def dump(host, method, uri, path, query, remote, headers_json, body):
    return ("---------- Request ----------\nProto   : HTTP/1.1\nHost   : %s\nMethod : %s\n"
            "URI    : %s\nPath   : %s\nQuery  : %s\nRemote : %s\n"
            "---------- Header ----------\n%s---------- Body ----------\n"
            % (host, method, uri, path, query, remote, headers_json)).encode() + body + \
        b"\n--------------------------\n"


class EchoTest(AileronTestCase):

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.a = self.start(config(self.port), self.port)

    def exchange(self, raw, method="GET"):
        c = Client(self.port)
        c.send(raw)
        local = c.sock.getsockname()
        r = c.recv_response(method=method)
        c.close()
        return r, "%s:%d" % local

    def test_get(self):
        (st, hd, body), remote = self.exchange(
            b"GET /a%20b?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n")
        self.assertEqual(st, 200)
        self.assertEqual(header(hd, "Content-Type"), "text/plain;charset=utf-8")
        self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
        self.assertEqual(body, dump("localhost:8080", "GET", "/a%20b?x=1", "/a b", "x=1", remote,
                                    '{\n  "Accept": [\n    "*/*"\n  ]\n}\n', b""))

    def test_headers_json(self):
        (st, _, body), remote = self.exchange(
            b"GET /?q=a+b%26c HTTP/1.1\r\nHost: h\r\nx-b: 2\r\nUser-Agent: <ua>&\r\n"
            b"X-B: 1\r\n\r\n")
        self.assertEqual(body, dump("h", "GET", "/?q=a+b%26c", "/", "q=a b&c", remote,
                                    '{\n  "User-Agent": [\n    "\\u003cua\\u003e\\u0026"\n  ],\n'
                                    '  "X-B": [\n    "2",\n    "1"\n  ]\n}\n', b""))

    def test_post_bodies(self):
        (st, _, body), remote = self.exchange(
            b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
        self.assertEqual(body, dump("h", "POST", "/p", "/p", "", remote,
                                    '{\n  "Content-Length": [\n    "5"\n  ]\n}\n', b"hello"))
        (st, _, body), remote = self.exchange(
            b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n")
        self.assertEqual((st, body), (200, dump("h", "POST", "/p", "/p", "", remote, "{}\n",
                                                b"abcde")))

    def test_large_body(self):
        # A declared body above 16 MiB is drained and not shown.
        n = (16 << 20) + 1
        c = Client(self.port, timeout=30)
        c.send(b"PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % n)
        chunk = b"x" * (1 << 20)
        left = n
        while left > 0:
            c.send(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        st, _, body = c.recv_response()
        self.assertEqual(st, 200)
        self.assertIn(b"---------- Body ----------\nREQUEST BODY TOO LARGE\n\n---", body)
        # The connection goes on: the body was drained.
        c.send(b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertIn(b"Path   : /after\n", c.recv_response()[2])
        c.close()

    def test_bad_escapes(self):
        st, hd, body = request(self.port, "GET", "/%25zz")
        self.assertEqual((st, body), (500, b'invalid URL escape "%zz"'))
        self.assertEqual(header(hd, "Content-Type"), "text/plain;charset=utf-8")
        st, _, body = request(self.port, "GET", "/?a=%zz")
        self.assertEqual((st, body), (500, b'invalid URL escape "%zz"'))

    def test_pipelined_after_bodies(self):
        c = Client(self.port)
        c.send(b"POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nabGET /2 HTTP/1.1\r\n"
               b"Host: h\r\n\r\nPOST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"1\r\nz\r\n0\r\n\r\nGET /4 HTTP/1.1\r\nHost: h\r\n\r\n")
        for path, b in ((b"/1", b"ab"), (b"/2", b""), (b"/3", b"z"), (b"/4", b"")):
            st, _, body = c.recv_response()
            self.assertEqual(st, 200)
            self.assertIn(b"Path   : " + path + b"\n", body)
            self.assertIn(b"---------- Body ----------\n" + b + b"\n---", body)
        c.close()

    def test_bad_bodies_keep_workers(self):
        workers = set(self.a.worker_pids())
        # A body cut short, a malformed chunk, a client that leaves mid-body.
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        st, _, _ = c.recv_response()
        self.assertEqual(st, 400)
        self.assertTrue(c.closed())
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        c.sock.shutdown(socket.SHUT_WR)
        self.assertTrue(c.closed())
        c.close()
        st, _, body = request(self.port, "GET", "/ok")
        self.assertEqual(st, 200)
        self.assertTrue(workers <= set(self.a.worker_pids()))


class EchoContinueTest(AileronTestCase):

    def test_expect_continue_without_body_buffer(self):
        """With requestBodyBuffer -1 the connection layer leaves the body
        to the handler: EchoHandler answers 100 Continue itself."""
        port = free_port()
        self.start(config(port).replace(
            'addr: "127.0.0.1:%d"\n' % port,
            'addr: "127.0.0.1:%d"\n  httpConfig: {requestBodyBuffer: -1}\n' % port),
            port)
        for te, body in ((b"Content-Length: 5", b"hello"),
                         (b"Transfer-Encoding: chunked", b"5\r\nhello\r\n0\r\n\r\n")):
            c = Client(port)
            c.send(b"POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n" + te +
                   b"\r\n\r\n")
            c.sock.settimeout(3)
            first = c.sock.recv(64)
            self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
            c.send(body)
            rest = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
            if rest:
                c.buf = rest + c.buf
            st, _, got = c.recv_response(method="POST")
            self.assertEqual(st, 200)
            self.assertIn(b"---------- Body ----------\nhello\n---", got)
            c.close()


class EchoConfigTest(AileronTestCase):

    def test_patterns_and_methods(self):
        port = free_port()
        self.start(config(port, "{patterns: [/echo], methods: [POST]}"), port)
        self.assertEqual(request(port, "POST", "/echo", body=b"x")[0], 200)
        self.assertEqual(request(port, "GET", "/echo")[0], 404)
        self.assertEqual(request(port, "POST", "/other", body=b"x")[0], 404)

    def test_bad_config(self):
        tmp = tempfile.mkdtemp(prefix="aileron-echo-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "c.yaml")
        with open(path, "w") as f:
            f.write(config(8080, "{bogus: 1}"))
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 1)
        self.assertIn('unknown field "bogus" in app/v1 EchoHandler spec', out)
