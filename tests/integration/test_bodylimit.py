"""app/v1 BodyLimitMiddleware through the real binary: 413 on Content-Length and on chunked bodies."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import (AileronTestCase, Client, enter_example, free_port, header, request,
                     response, run_aileron)


def config(port, handler, spec, extra="", server_extra=""):
    """One server with a BodyLimitMiddleware (spec) on its virtual host, then handler."""
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
%s  virtualHosts:
    - middleware:
        - apiVersion: app/v1
          kind: BodyLimitMiddleware
      handlers:
        - handler: %s
---
apiVersion: app/v1
kind: BodyLimitMiddleware
spec:
%s
%s""" % (port, server_extra, handler, spec, extra)


def proxy_doc(url):
    return """---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
""" % url


PROXY = "{apiVersion: core/v1, kind: ReverseProxyHandler}"
ECHO = "{apiVersion: app/v1, kind: EchoHandler}"
TOO_LARGE = {"status": 413, "statusText": "Request Entity Too Large"}


def chunked(*pieces):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class ProxyBodyLimitTest(AileronTestCase):
    """maxSize 10 in front of a ReverseProxyHandler."""

    def setUp(self):
        super().setUp()
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"got %d" % len(req.body))
        self.up = self.upstream(handle)
        self.port = free_port()
        self.start(config(self.port, PROXY, "  maxSize: 10", proxy_doc(self.up.url)),
                   self.port)

    def post(self, c, body, extra=b""):
        c.send(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n%s\r\n%s"
               % (len(body), extra, body))
        return c.recv_response()

    def test_content_length_at_and_above(self):
        c = Client(self.port)
        st, hd, body = self.post(c, b"0123456789")
        self.assertEqual((st, body), (200, b"got 10"))
        st, hd, body = self.post(c, b"0123456789a")
        self.assertEqual(st, 413)
        self.assertEqual(json.loads(body), TOO_LARGE)
        self.assertEqual(header(hd, "Content-Type"), "application/json; charset=utf-8")
        # the short refused body was read: the connection goes on
        self.assertIsNone(header(hd, "Connection"))
        st, hd, body = self.post(c, b"12345")
        self.assertEqual((st, body), (200, b"got 5"))
        c.close()
        self.assertEqual([len(r.body) for r in self.seen], [10, 5])

    def test_refused_reaches_no_upstream(self):
        c = Client(self.port)
        st, hd, body = self.post(c, b"x" * 11)
        self.assertEqual(st, 413)
        c.close()
        st, _, _ = request(self.port, "PUT", "/", body=b"y" * 1000)
        self.assertEqual(st, 413)
        self.assertEqual(self.seen, [])
        self.assertEqual(self.up.connections, 0)

    def test_expect_continue_refused_before_100(self):
        """A client waiting for 100 Continue is refused before it is asked
        for its body, as by AILERON (Go asks when the handler reads) and
        nginx, also with the default requestBodyBuffer; within the limit it
        is asked, and its body reaches the upstream."""
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
               b"Expect: 100-continue\r\n\r\n")
        st, hd, body = c.recv_response()
        self.assertEqual(st, 413)  # not 100
        self.assertEqual(json.loads(body), TOO_LARGE)
        # the body was never asked for, so it cannot be skipped: close
        self.assertEqual(header(hd, "Connection"), "close")
        c.close()
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 100)
        c.send(b"12345")
        st, hd, body = c.recv_response()
        self.assertEqual((st, body), (200, b"got 5"))
        c.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 200)
        c.close()
        self.assertEqual([len(r.body) for r in self.seen], [5, 0])

    def test_chunked_at_and_above(self):
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(b"01234", b"56789"))
        st, _, body = c.recv_response()
        self.assertEqual((st, body), (200, b"got 10"))
        # the connection goes on after a chunked body within the limit
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(b"01234", b"567890"))
        st, hd, body = c.recv_response()
        self.assertEqual(st, 413)
        self.assertEqual(json.loads(body), TOO_LARGE)
        self.assertEqual(header(hd, "Connection"), "close")
        self.assertTrue(c.closed())
        c.close()
        self.assertEqual([len(r.body) for r in self.seen], [10])

    def test_chunked_empty_and_get(self):
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b"got 0")
        c.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(c.recv_response()[:3:2], (200, b"got 0"))
        c.close()

    def test_chunked_malformed_stays_400(self):
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        self.assertEqual(c.recv_response()[0], 400)
        c.close()


class StreamedBodyLimitTest(AileronTestCase):
    """Bodies the connection does not gather first (requestBodyBuffer): they
    stream, counted, and a refusal comes before any byte is read."""

    def serve(self, max_size, buffer):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"got %d" % len(req.body))
        self.up = self.upstream(handle)
        port = free_port()
        self.start(config(port, PROXY, "  maxSize: %d" % max_size, proxy_doc(self.up.url),
                          "  httpConfig: {requestBodyBuffer: %d}\n" % buffer), port)
        return port

    def test_long_content_length_closes(self):
        """A long refused body is not read: 413 at once, then the connection closes."""
        port = self.serve(10, -1)
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000\r\n\r\n0123")
        st, hd, body = c.recv_response()
        self.assertEqual((st, json.loads(body)), (413, TOO_LARGE))
        self.assertEqual(header(hd, "Connection"), "close")
        self.assertTrue(c.closed())
        c.close()
        self.assertEqual(self.up.connections, 0)

    def test_refused_upload_still_sending_gets_the_413(self):
        """curl still uploading a long refused body gets the 413: the server
        half-closes and drops what still comes (RFC 9112 9.6) instead of
        closing with unread bytes, which resets the connection and makes
        curl fail to send before it reads the response."""
        for buffer in (-1, 65536):
            port = self.serve(10, buffer)
            tmp = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, tmp)
            path = os.path.join(tmp, "big")
            with open(path, "wb") as f:
                f.write(b"x" * (4 << 20))
            for _ in range(6):
                p = subprocess.run(["curl", "-s", "-H", "Expect:", "--data-binary", "@" + path,
                                    "-w", "\n%{http_code}", "http://127.0.0.1:%d/" % port],
                                   capture_output=True, timeout=20)
                self.assertEqual(p.returncode, 0, p.stderr)
                body, _, code = p.stdout.rpartition(b"\n")
                self.assertEqual((code, json.loads(body)), (b"413", TOO_LARGE))
            self.assertEqual(self.up.connections, 0)

    def test_expect_continue_refused_without_body(self):
        port = self.serve(10, -1)
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
               b"Expect: 100-continue\r\n\r\n")
        st, hd, body = c.recv_response()
        self.assertEqual(st, 413)  # no 100 Continue before it
        self.assertEqual(header(hd, "Connection"), "close")
        self.assertTrue(c.closed())
        c.close()
        self.assertEqual(self.up.connections, 0)

    def test_chunked_cut_off_mid_stream(self):
        port = self.serve(100000, 1024)
        piece = b"x" * 10000
        # within the limit: 10 pieces of 10000, streamed
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(10):
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        c.send(b"0\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b"got 100000")
        # one more: the upstream got the start, then the exchange is dropped
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(11):
                c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.01)
            c.send(b"0\r\n\r\n")
        except OSError:
            pass  # closed while sending: the answer was already there
        st, hd, body = c.recv_response()
        self.assertEqual(st, 413)
        self.assertEqual(header(hd, "Connection"), "close")
        c.close()
        # the cut exchange's upstream connection is not reused
        self.assertEqual(request(port, "GET", "/")[2], b"got 0")
        self.assertEqual([len(r.body) for r in self.seen], [100000, 0])
        self.assertEqual(self.up.connections, 2)


class EchoBodyLimitTest(AileronTestCase):
    """EchoHandler reads bodies itself: the same limit holds."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.start(config(self.port, ECHO, "  maxSize: 10",
                          "---\napiVersion: app/v1\nkind: EchoHandler\n"), self.port)

    def test_echo_limits(self):
        c = Client(self.port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(b"0123456789"))
        st, _, body = c.recv_response()
        self.assertEqual(st, 200)
        self.assertIn(b"---------- Body ----------\n0123456789\n", body)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(b"0123456789", b"a"))
        st, hd, body = c.recv_response()
        self.assertEqual((st, json.loads(body)), (413, TOO_LARGE))
        self.assertTrue(c.closed())
        c.close()
        st, _, body = request(self.port, "POST", "/", body=b"0123456789a")
        self.assertEqual((st, json.loads(body)), (413, TOO_LARGE))

    def test_accept_xml(self):
        st, hd, body = request(self.port, "POST", "/", [("Accept", "application/xml")],
                               body=b"0123456789a")
        self.assertEqual(st, 413)
        self.assertIn(b"<status>413</status>", body)


class BodyLimitErrorHandlerTest(AileronTestCase):
    """A custom ErrorHandler matches the 413 by code and by kind, whoever sends it."""

    def test_custom_messages(self):
        for match in ('codes: ["E3205"]', 'kinds: ["AppMiddleBody*"]'):
            up = self.upstream(lambda req, c: response(200, b"ok"))
            port = free_port()
            text = config(port, PROXY, "  maxSize: 10", proxy_doc(up.url) + """---
apiVersion: core/v1
kind: ErrorHandler
spec:
  errorMessages:
    - %s
      mimeContents:
        - mimeType: text/plain
          templateType: GoText
          template: "too big: {{.code}} {{.status}} {{.kind}}"
""" % match).replace(
                "  runners: [{apiVersion: core/v1, kind: HTTPServer}]\n",
                "  runners: [{apiVersion: core/v1, kind: HTTPServer}]\n"
                "  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler}\n")
            self.start(text, port)
            st, _, body = request(port, "POST", "/", body=b"x" * 11)
            self.assertEqual((st, body), (413, b"too big: E3205 413 AppMiddleBodyTooLarge"), match)
            c = Client(port)
            c.send(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + chunked(b"x" * 11))
            st, _, body = c.recv_response()
            self.assertEqual((st, body), (413, b"too big: E3205 413 AppMiddleBodyTooLarge"), match)
            c.close()


class BodyLimitConfigTest(AileronTestCase):

    def check(self, spec, words=None):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), ECHO, spec,
                           "---\napiVersion: app/v1\nkind: EchoHandler\n"))
        rc, out = run_aileron(["-c", "-f", path])
        if words is None:
            self.assertEqual(rc, 0, out)
        else:
            self.assertNotEqual(rc, 0, out)
            self.assertRegex(out, r"c\.yaml:\d+:\d+: .*" + words)

    def test_configs(self):
        self.check("  maxSize: 10\n  memLimit: 5\n  tempPath: ./")
        self.check("  maxSize: -1")
        self.check("  {}")
        self.check("  maxSize: ten", 'field "maxSize": expected an integer')
        self.check("  memLimit: [1]", 'field "memLimit"')
        self.check("  tempPath: {a: 1}", 'field "tempPath"')
        self.check("  maxBytes: 10", 'unknown field "maxBytes"')

    def test_disabled(self):
        port = free_port()
        self.start(config(port, ECHO, "  maxSize: -1",
                          "---\napiVersion: app/v1\nkind: EchoHandler\n"), port)
        st, _, body = request(port, "POST", "/", body=b"z" * 5000)
        self.assertEqual(st, 200)
        # maxSize 0 merges to the default 4 MiB
        port = free_port()
        self.start(config(port, ECHO, "  maxSize: 0",
                          "---\napiVersion: app/v1\nkind: EchoHandler\n",
                          "  httpConfig: {requestBodyBuffer: -1}\n"), port)
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4194305\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 413)
        c.close()


class BodyLimitExampleTest(AileronTestCase):
    """AILERON's examples/bodylimit, unchanged but for the address, as its README runs it."""

    def curl(self, port, data):
        p = subprocess.run(["curl", "-s", "http://127.0.0.1:%d" % port, "-d", data],
                           capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_example(self):
        port = enter_example(self, "bodylimit")
        self.assertTrue(self.curl(port, "12345").endswith(
            b"---------- Body ----------\n12345\n--------------------------\n"))
        self.assertTrue(self.curl(port, "1234567890").endswith(
            b"---------- Body ----------\n1234567890\n--------------------------\n"))
        self.assertEqual(self.curl(port, "12345678901"),
                         b'{"status":413,"statusText":"Request Entity Too Large"}')
        # nothing left behind in tempPath ("./")
        self.assertEqual(sorted(os.listdir(".")), ["config.yaml"])
