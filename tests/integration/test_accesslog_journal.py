"""HTTPLogger journal mode: request and response bodies in the access log, masked, capped, streamed."""

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time

from harness import (AileronTestCase, Client, free_port, request, response,
                     run_aileron, simple_lb, wait_for)
from test_logs import read_json_lines, server_with_logger
from test_stream import WS_GUID, ws_frame, ws_read


def access_docs(logdir, httplogger_spec):
    """An SLogger file and the HTTPLogger (named by the server) writing to it."""
    return """apiVersion: core/v1
kind: SLogger
metadata: {name: access}
spec:
  logOutput: {outputTarget: File, logDir: %s, logFileName: access.log}
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  logger: {apiVersion: core/v1, kind: SLogger, name: access}
%s""" % (logdir, httplogger_spec)


def echo_json(req, conn):
    """The upstream: answers with a JSON body of its own and the request's digest."""
    body = b'{"bar":"BAR","bob":{"bar":"BAR","test":"response"}}'
    return response(200, body, headers=[("Content-Type", "application/json"),
                                        ("X-Got", hashlib.sha256(req.body).hexdigest()),
                                        ("X-Got-Len", str(len(req.body)))])


class JournalTest(AileronTestCase):

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="aileron-journal-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def start_journal(self, spec, handler=echo_json, tripperware=False):
        """aileron with a journal HTTPLogger (middleware, or tripperware too)."""
        up = self.upstream(handler)
        port = free_port()
        d = self.tmpdir()
        lb = simple_lb([up.url])
        if tripperware:
            lb = lb.replace("spec:\n", "spec:\n  tripperwares:\n"
                            "    - {apiVersion: core/v1, kind: HTTPLogger}\n", 1)
        self.start(server_with_logger(port, lb, access_docs(d, spec)), port)
        return port, os.path.join(d, "access.log"), d

    def lines(self, path, n):
        return wait_for(lambda: len(read_json_lines(path)) >= n and read_json_lines(path))

    def test_bodies_logged_and_masked(self):
        """AILERON's config-mask-bodies: value replacers on both bodies."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    bodies:
      - mime: "application/json"
        replacers: [{value: {fromTo: {"FOO": "##MASKED##"}}}]
  response:
    bodies:
      - mime: "application/json"
        replacers: [{value: {fromTo: {"BAR": "##MASKED##"}}}]
""")
        sent = b'{"foo":"FOO","test":"request"}'
        st, hdrs, body = request(port, method="POST", path="/test", body=sent,
                                 headers=[("Content-Type", "application/json; charset=utf-8")])
        self.assertEqual(st, 200)
        self.assertEqual(dict(hdrs)["X-Got"], hashlib.sha256(sent).hexdigest())
        self.assertEqual(body, b'{"bar":"BAR","bob":{"bar":"BAR","test":"response"}}')
        req, resp = self.lines(path, 2)[:2]
        self.assertEqual(req["msg"], "server")
        self.assertEqual(req["request"]["body"], '{"foo":"##MASKED##","test":"request"}')
        self.assertEqual(req["request"]["size"], len(sent))
        self.assertNotIn("bodyTruncated", req["request"])
        self.assertEqual(resp["response"]["body"],
                         '{"bar":"##MASKED##","bob":{"bar":"##MASKED##","test":"response"}}')
        self.assertEqual(resp["response"]["status"], 200)
        self.assertEqual(resp["response"]["id"], req["request"]["id"])
        # Not masked, not logged: the log holds no secret.
        self.assertNotIn("FOO", open(path).read())

    def test_json_fields(self):
        """AILERON's config-mask-bodies-json: only the named fields are masked."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    bodies:
      - mime: "application/json"
        jsonFields: [alice, list.1]
        replacers: [{value: {fromTo: {"FOO": "##MASKED##"}}}]
      - mime: "application/json"
        replacers: [{value: {fromTo: {"test": "TEST"}}}]
  response:
    bodies:
      - mime: "application/json"
        jsonFields: [bob]
        replacers: [{value: {fromTo: {"BAR": "##MASKED##"}}}]
""")
        sent = b'{"foo":"FOO", "alice":{"foo":"FOO","test":"request"}, "list":["FOO","FOO"]}'
        st, _, _ = request(port, method="POST", path="/test", body=sent,
                           headers=[("Content-Type", "application/json")])
        self.assertEqual(st, 200)
        req, resp = self.lines(path, 2)[:2]
        self.assertEqual(req["request"]["body"],
                         '{"foo":"FOO", "alice":{"foo":"##MASKED##","TEST":"request"}, '
                         '"list":["FOO","##MASKED##"]}')
        self.assertEqual(resp["response"]["body"],
                         '{"bar":"BAR","bob":{"bar":"##MASKED##","test":"response"}}')

    def test_json_fields_skip_strings_and_nesting(self):
        """Quotes, braces and brackets inside strings do not confuse the path walk."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    bodies:
      - mime: "application/json"
        jsonFields: [b.c.1.d, missing.x, a.0]
        replacers: [{fixed: {value: '"***"'}}]
""")
        sent = (b'{ "a" : "x\\"}{[,", "b" : { "c" : [ 1 , { "e":"]", "d" : "FOO" } ] },'
                b' "d":"keep"}')
        st, _, _ = request(port, method="POST", path="/j", body=sent,
                           headers=[("Content-Type", "application/json")])
        self.assertEqual(st, 200)
        req = self.lines(path, 2)[0]
        self.assertEqual(req["request"]["body"],
                         '{ "a" : "x\\"}{[,", "b" : { "c" : [ 1 , { "e":"]", "d" : "***" } ] },'
                         ' "d":"keep"}')

    def test_body_over_the_cap_is_truncated_and_passes_whole(self):
        """Only maxContentLength bytes are logged; upstream and client get everything."""
        big = (b"password=secret&" + b"x" * 300000)

        def handler(req, conn):
            return response(200, req.body + b"!", headers=[("Content-Type", "text/plain"),
                                                           ("X-Got-Len", str(len(req.body)))])
        port, path, _ = self.start_journal("""  journal: true
  request:
    maxContentLength: 100
    bodies:
      - mime: "application/x-www-form-urlencoded"
        replacers: [{regexp: {pattern: "password=([^&]*)", replace: "password=***"}}]
  response:
    maxContentLength: 50
""", handler=handler)
        st, hdrs, body = request(port, method="POST", path="/big", body=big,
                                 headers=[("Content-Type", "application/x-www-form-urlencoded")])
        self.assertEqual(st, 200)
        self.assertEqual(dict(hdrs)["X-Got-Len"], str(len(big)))
        self.assertEqual(body, big + b"!")
        # The response kept its Content-Length framing.
        self.assertEqual(dict(hdrs)["Content-Length"], str(len(big) + 1))
        req, resp = self.lines(path, 2)[:2]
        self.assertEqual(req["request"]["body"], "password=***&" + "x" * 84)
        self.assertIs(req["request"]["bodyTruncated"], True)
        self.assertEqual(resp["response"]["body"], "password=secret&" + "x" * 34)
        self.assertIs(resp["response"]["bodyTruncated"], True)
        self.assertLess(os.path.getsize(path), 4096)

    def test_chunked_bodies(self):
        """A chunked request and a chunked response: the data, not the framing."""
        def handler(req, conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n"
                         b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            return None
        port, path, _ = self.start_journal("  journal: true\n", handler=handler)
        c = Client(port)
        try:
            c.send(b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                   b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n")
            st, _, body = c.recv_response()
        finally:
            c.close()
        self.assertEqual(st, 200)
        self.assertEqual(body, b"hello world")
        req, resp = self.lines(path, 2)[:2]
        self.assertEqual(req["request"]["body"], "abcdefg")
        self.assertEqual(req["request"]["size"], -1)
        self.assertEqual(resp["response"]["body"], "hello world")

    def test_binary_body_base64_and_unlisted_types(self):
        """base64 logs bytes exactly; a type outside mimes logs no body."""
        blob = bytes(range(256)) * 4

        def handler(req, conn):
            return response(200, blob, headers=[("Content-Type", "image/png")])
        port, path, _ = self.start_journal("""  journal: true
  request:
    base64: true
    mimes: [application/octet-stream]
  response:
    maxContentLength: 100000
""", handler=handler)
        st, _, body = request(port, method="PUT", path="/bin", body=blob,
                              headers=[("Content-Type", "application/octet-stream")])
        self.assertEqual(st, 200)
        self.assertEqual(body, blob)
        req, resp = self.lines(path, 2)[:2]
        self.assertEqual(base64.b64decode(req["request"]["body"]), blob)
        # image/png is not in the default mimes: an empty body field.
        self.assertEqual(resp["response"]["body"], "")

    def test_binary_body_as_text_is_valid_json(self):
        """Invalid UTF-8 becomes U+FFFD, valid UTF-8 stays, the line stays JSON."""
        port, path, _ = self.start_journal("  journal: true\n")
        sent = "é\n\"q\"\\".encode("utf-8") + b"\xff\x00"
        st, _, _ = request(port, method="POST", path="/t", body=sent,
                           headers=[("Content-Type", "text/plain")])
        self.assertEqual(st, 200)
        req = self.lines(path, 2)[0]
        self.assertEqual(req["request"]["body"], "é\n\"q\"\\\ufffd\x00")

    def test_tripperware_bodies(self):
        """As tripperware: client lines carry the upstream request and response bodies."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    bodies:
      - mime: "application/json"
        replacers: [{value: {fromTo: {"FOO": "##MASKED##"}}}]
  response:
    bodies:
      - mime: "application/json"
        replacers: [{value: {fromTo: {"BAR": "##MASKED##"}}}]
""", tripperware=True)
        sent = b'{"foo":"FOO","test":"request"}'
        st, _, body = request(port, method="POST", path="/test", body=sent,
                              headers=[("Content-Type", "application/json")])
        self.assertEqual(st, 200)
        lines = self.lines(path, 4)
        client = [l for l in lines if l["msg"] == "client"]
        self.assertEqual(len(client), 2)
        self.assertEqual(client[0]["request"]["body"], '{"foo":"##MASKED##","test":"request"}')
        self.assertEqual(client[1]["response"]["body"],
                         '{"bar":"##MASKED##","bob":{"bar":"##MASKED##","test":"response"}}')
        self.assertEqual(client[1]["response"]["status"], 200)
        self.assertEqual(len(lines), 4)

    def test_body_output_path(self):
        """Bodies of unknown size or over the cap go to files named in the line."""
        top = self.tmpdir()
        os.chmod(top, 0o755)  # the workers (nobody when root) go through it
        out = os.path.join(top, "bodies", "sub")
        big = b"y" * 5000
        port, path, _ = self.start_journal("""  journal: true
  request:
    bodyOutputPath: %s
""" % out)
        self.assertTrue(os.path.isdir(out))
        st, _, _ = request(port, method="POST", path="/f", body=big,
                           headers=[("Content-Type", "text/plain")])
        self.assertEqual(st, 200)
        req = self.lines(path, 2)[0]
        name = req["request"]["body"]
        self.assertEqual(name, "body-%s.svr.req.bin" % req["request"]["id"])
        self.assertEqual(open(os.path.join(out, name), "rb").read(), big)

    def test_non_journal_keeps_zero_copy_framing(self):
        """Without journal there is no body field and nothing changes."""
        port, path, _ = self.start_journal("  request: {headers: [{name: '*'}]}\n")
        st, hdrs, _ = request(port, method="POST", path="/x", body=b"abc",
                              headers=[("Content-Type", "text/plain")])
        self.assertEqual(st, 200)
        self.assertIn("Content-Length", dict(hdrs))
        req, resp = self.lines(path, 2)[:2]
        self.assertNotIn("body", req["request"])
        self.assertNotIn("body", resp["response"])

    def test_log_format_body(self):
        """%body% in a logFormat shows the (masked) body."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    logFormat: "REQ %method% %body%"
    bodies:
      - mime: "text/plain"
        replacers: [{regexp: {pattern: "secret", replace: "***"}}]
""")
        request(port, method="POST", path="/x", body=b"a secret",
                headers=[("Content-Type", "text/plain")])
        text = wait_for(lambda: "REQ " in open(path).read() and open(path).read())
        self.assertIn("REQ POST a ***\n", text)

    def test_cut_json_is_still_masked(self):
        """A jsonFields value cut by maxContentLength is masked, not leaked."""
        port, path, _ = self.start_journal("""  journal: true
  request:
    maxContentLength: 24
    bodies:
      - mime: "application/json"
        jsonFields: [card]
        replacers: [{fixed: {value: '"***"'}}]
""")
        sent = b'{"id":1,"card":"4111111111111111"}'
        st, hdrs, _ = request(port, method="POST", path="/j", body=sent,
                              headers=[("Content-Type", "application/json")])
        self.assertEqual(st, 200)
        self.assertEqual(dict(hdrs)["X-Got-Len"], str(len(sent)))
        req = self.lines(path, 2)[0]
        self.assertEqual(req["request"]["body"], '{"id":1,"card":"***"')
        self.assertIs(req["request"]["bodyTruncated"], True)
        self.assertNotIn("4111", open(path).read())

    def test_keep_alive_requests_each_log_their_own_bodies(self):
        port, path, _ = self.start_journal("  journal: true\n")
        c = Client(port)
        try:
            for i in range(3):
                b = ("body-%d" % i).encode()
                c.send(b"POST /k HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (len(b), b))
                st, _, _ = c.recv_response()
                self.assertEqual(st, 200)
            # and one without a body
            c.send(b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
        finally:
            c.close()
        lines = self.lines(path, 8)
        reqs = [l["request"] for l in lines if "request" in l]
        self.assertEqual([r["body"] for r in reqs], ["body-0", "body-1", "body-2", ""])
        self.assertEqual(len({r["id"] for r in reqs}), 4)

    def test_client_gone_mid_body(self):
        """The client stops sending its body: lines are written, no worker crashes."""
        port, path, _ = self.start_journal("  journal: true\n")
        c = Client(port)
        # More than the 64 KiB gathered while parked: a worker takes it.
        c.send(b"POST /gone HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
               b"Content-Length: 300000\r\n\r\n" + b"z" * 100000)
        time.sleep(0.3)
        c.close()
        lines = self.lines(path, 2)
        self.assertTrue(lines[0]["request"]["body"].startswith("z"))
        self.assertIs(lines[0]["request"]["bodyTruncated"], True)
        # The server still serves.
        self.assertEqual(request(port, method="POST", path="/after", body=b"ok",
                                 headers=[("Content-Type", "text/plain")])[0], 200)

    def test_echo_handler_request_body(self):
        """EchoHandler reads the body itself: it is logged too."""
        port = free_port()
        d = self.tmpdir()
        cfg = """apiVersion: core/v1
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
            apiVersion: app/v1
            kind: EchoHandler
---
apiVersion: app/v1
kind: EchoHandler
---
%s""" % (port, access_docs(d, "  journal: true\n  response: {mimes: []}\n"))
        self.start(cfg, port)
        st, _, body = request(port, method="POST", path="/echo", body=b"hello echo",
                              headers=[("Content-Type", "text/plain")])
        self.assertEqual(st, 200)
        self.assertIn(b"hello echo", body)
        req = self.lines(os.path.join(d, "access.log"), 2)[0]
        self.assertEqual(req["request"]["body"], "hello echo")

    def test_streamed_response_pieces_still_arrive_one_by_one(self):
        """A logged event stream is not held back: each piece reaches the client first."""
        seen = [threading.Event() for _ in range(3)]

        def handler(req, conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            for i in range(3):
                conn.sendall(b"7\r\ndata: %d\r\n" % (i + 1))
                if not seen[i].wait(5):
                    return None
            conn.sendall(b"0\r\n\r\n")
            return None
        port, path, _ = self.start_journal(
            "  journal: true\n  response: {mimes: [text/event-stream]}\n", handler=handler)
        c = Client(port)
        try:
            c.send(b"GET /sse HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = b""
            for i in range(3):
                while b"data: %d" % (i + 1) not in data:
                    d = c.sock.recv(65536)
                    self.assertTrue(d, "closed before piece %d" % (i + 1))
                    data += d
                seen[i].set()
        finally:
            c.close()
        resp = self.lines(path, 2)[1]["response"]
        self.assertEqual(resp["body"], "data: 1data: 2data: 3")

    def test_websocket_through_journal(self):
        """An upgraded connection is a tunnel: it works, its frames are not a body."""
        def handler(req, c):
            key = req.header("Sec-WebSocket-Key").encode()
            acc = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nContent-Type: text/plain\r\n"
                       "Sec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
            msg, _ = ws_read(c, b"")
            if msg is not None:
                c.sendall(ws_frame(msg + b" ok", mask=False))
            return None
        port, path, _ = self.start_journal("  journal: true\n", handler=handler,
                                           tripperware=True)
        c = Client(port)
        try:
            c.send(b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                   b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   b"Sec-WebSocket-Version: 13\r\n\r\n")
            st, _, _ = c.recv_response(head_only=True)
            self.assertEqual(st, 101)
            c.send(ws_frame(b"hi", mask=True))
            msg, _ = ws_read(c.sock, c.buf)
            self.assertEqual(msg, b"hi ok")
        finally:
            c.close()
        lines = self.lines(path, 4)
        self.assertEqual([l["response"]["status"] for l in lines if "response" in l], [101, 101])
        self.assertEqual({l["response"]["body"] for l in lines if "response" in l}, {""})

    def test_check_errors(self):
        """Bad journal settings are clear config errors."""
        d = self.tmpdir()
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write(server_with_logger(free_port(), simple_lb(["http://127.0.0.1:1"]),
                                       access_docs(d, """  journal: true
  request:
    bodies:
      - mime: application/json
        jsonFields: ["a.*"]
      - mime: text/plain
        replacers: [{regexp: {pattern: "("}}]
""")))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, r'c\.yaml:\d+:\d+: field "jsonFields": "a\.\*" is not supported')
        self.assertRegex(out, r'c\.yaml:\d+:\d+: replacer regexp: ')

    def test_check_with_body_output_path_creates_nothing(self):
        d = self.tmpdir()
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write(server_with_logger(free_port(), simple_lb(["http://127.0.0.1:1"]),
                                       access_docs(d, "  journal: true\n  request:\n"
                                                   "    bodyOutputPath: %s/new/dir\n" % d)))
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertEqual(rc, 0, out)
        self.assertFalse(os.path.exists(os.path.join(d, "new")))


EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aileron-examples")


class FormatExampleTest(AileronTestCase):
    """AILERON's examples/access-logging/config-format.yaml, loaded unchanged."""

    def start_example(self, journal):
        path = os.path.join(EXAMPLES, "access-logging-format.yaml")
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)
        up = self.upstream(lambda req, conn: response(
            200, b'{"password":"hunter2","ok":true}',
            headers=[("Content-Type", "application/json")]))
        with open(path) as f:
            text = f.read()
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://httpbin.org", up.url)
        if journal:
            text = text.replace("journal: false", "journal: true")
        a = self.start(text, port)
        return a, port

    def post(self, port):
        return request(port, method="POST", path="/post",
                       body=b'{"user":"u","password":"s3cret"}',
                       headers=[("Content-Type", "application/json"),
                                ("Authorization", "Bearer tok"), ("Accept", "text/html")])

    def test_headers_masked_no_bodies_without_journal(self):
        a, port = self.start_example(False)
        st, _, body = self.post(port)
        self.assertEqual(st, 200)
        self.assertEqual(body, b'{"password":"hunter2","ok":true}')
        out = wait_for(lambda: a.output().count("CT:application/json") >= 2 and a.output())
        self.assertIn("#MASKED#", out)   # Authorization: fixed
        self.assertIn("*MASKED*", out)   # Accept: encode Base64, then fixed
        self.assertNotIn("Bearer tok", out)
        self.assertNotIn("s3cret", out)
        self.assertNotIn("hunter2", out)

    def test_journal_masks_the_password(self):
        a, port = self.start_example(True)
        st, _, body = self.post(port)
        self.assertEqual(st, 200)
        out = wait_for(lambda: a.output().count("CT:application/json") >= 2 and a.output())
        # request: '"password":"([^"]*)"' -> "*********", on both sides
        self.assertIn('{\\"user\\":\\"u\\",*********}', out)
        self.assertNotIn("s3cret", out)
        self.assertNotIn("hunter2", out)


if __name__ == "__main__":
    import unittest
    unittest.main()
