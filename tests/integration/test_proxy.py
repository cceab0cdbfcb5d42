"""Reverse proxy behaviour against mock upstreams: routing, headers, framing, errors."""

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (AILERON, AileronTestCase, Client, free_port, header, loopback_name,
                     proxy_config, read_request, request, response, simple_lb)

JSON_CT = "application/json; charset=utf-8"


class ProxyTest(AileronTestCase):
    def gateway(self, handler_doc, workers=2, server_extra=""):
        port = free_port()
        entry = "  processConfig:\n    workers: %d\n" % workers
        self.start(proxy_config(port, handler_doc, server_extra, entry), port)
        return port

    def test_no_load_balancers_is_json_404(self):
        port = self.gateway("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec: {}\n")
        for method, body in (("GET", None), ("POST", b"test")):
            st, hd, b = request(port, method, "/test", body=body, host="test.com")
            self.assertEqual(st, 404)
            self.assertEqual(b, b'{"status":404,"statusText":"Not Found"}')
            self.assertEqual(header(hd, "Content-Type"), JSON_CT)
            self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
            self.assertEqual(header(hd, "Vary"), "Accept")

    def test_error_body_follows_accept(self):
        port = self.gateway("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec: {}\n")
        st, hd, b = request(port, "GET", "/x", headers=[("Accept", "application/xml")])
        self.assertEqual(b, b"<result><status>404</status><statusText>Not Found</statusText></result>")
        self.assertEqual(header(hd, "Content-Type"), "application/xml; charset=utf-8")
        st, hd, b = request(port, "GET", "/x", headers=[("Accept", "text/plain, */*")])
        self.assertEqual(b, b"status: 404\nstatusText: Not Found\n")
        st, hd, b = request(port, "GET", "/x", headers=[("Accept", "text/html")])
        self.assertEqual(header(hd, "Content-Type"), JSON_CT)

    def test_empty_upstreams_is_502(self):
        port = self.gateway(simple_lb([], match="/test").replace("upstreams:\n", "upstreams: []\n"))
        st, _, b = request(port, "GET", "/test")
        self.assertEqual((st, b), (502, b'{"status":502,"statusText":"Bad Gateway"}'))
        st, _, b = request(port, "GET", "/none")
        self.assertEqual(st, 404)

    def test_refused_upstream_is_502(self):
        self.allow_errors("connect: Connection refused")
        dead = free_port()
        port = self.gateway(simple_lb(["http://127.0.0.1:%d" % dead]))
        st, hd, b = request(port, "GET", "/get")
        self.assertEqual((st, b), (502, b'{"status":502,"statusText":"Bad Gateway"}'))

    def test_upstream_address_literals(self):
        """IPv4 and IPv6 literals are dialled as they are (no resolver)."""
        v4 = self.upstream(lambda req, c: response(200, b"v4"))
        v6 = self.upstream(lambda req, c: response(200, b"v6"), host="::1")
        lb = simple_lb([v4.url], match="/4") + """    - pathMatcher:
        match: "/6"
        matchType: Prefix
      upstreams:
        - url: %s
""" % v6.url
        port = self.gateway(lb)
        for path, body in (("/4", b"v4"), ("/6", b"v6"), ("/4", b"v4"), ("/6", b"v6")):
            st, _, b = request(port, "GET", path)
            self.assertEqual((st, b), (200, body))

    def test_upstream_name_with_two_addresses(self):
        """An upstream host that resolves (when the config loads) to ::1 and 127.0.0.1, the
        upstream listening on one of them only: the addresses are dialed in turn, as Go's
        dialer does (the first one alone was a 502); none answering is a 502."""
        self.allow_errors("Connection refused")
        name, order = loopback_name()
        if name is None:
            self.skipTest("localhost does not resolve to both ::1 and 127.0.0.1 here (%s); "
                          "Debian's /etc/hosts makes it so" % order)
        second = self.upstream(lambda req, c: response(200, b"second"), host=order[1])
        first = self.upstream(lambda req, c: response(200, b"first"), host=order[0])
        dead = free_port()
        lbs = simple_lb(["http://%s:%d" % (name, second.port)], match="/2")
        for path, p in (("/1", first.port), ("/0", dead)):
            lbs += """    - pathMatcher:
        match: "%s"
        matchType: Prefix
      upstreams:
        - url: http://%s:%d
""" % (path, name, p)
        port = self.gateway(lbs)
        for path, want in (("/2", (200, b"second")), ("/1", (200, b"first")),
                           ("/0", (502, b'{"status":502,"statusText":"Bad Gateway"}'))):
            for _ in range(3):  # each worker dials
                st, _, b = request(port, "GET", path)
                self.assertEqual((st, b), want, path)

    def test_upstream_name_that_does_not_resolve(self):
        """An upstream host that does not resolve when the config loads: a warning, not a
        failed start (it may resolve later); requests to it are 502, and a worker looks the
        name up again only 5 s after a failed lookup (each one blocks it)."""
        self.allow_errors("aileron-no-such-host.invalid")
        name = "aileron-no-such-host.invalid"
        env = {"RES_OPTIONS": "timeout:1 attempts:1"}  # no DNS server: no long wait
        port = free_port()
        text = proxy_config(port, simple_lb(["http://%s:8080" % name]),
                            entry_extra="  processConfig:\n    workers: 1\n")
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True,
                           env=dict(os.environ, **env), timeout=60)
        warning = "upstream http://%s:8080: cannot resolve %s: " % (name, name)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(warning, p.stdout + p.stderr)
        a = self.start(text, port, env=env)
        for _ in range(4):
            st, _, b = request(port, "GET", "/x")
            self.assertEqual((st, b), (502, b'{"status":502,"statusText":"Bad Gateway"}'))
        self.assertIn(warning, a.output())
        self.assertIn("; the workers will resolve it when they dial", a.output())
        # The worker looked the name up once: a failed lookup holds for 5 s.
        lookups = [ln for ln in a.log_lines() if isinstance(ln, dict) and
                   ln.get("msg", "").startswith("cannot resolve upstream")]
        self.assertEqual(len(lookups), 1, lookups)
        self.assertIn("(not looked up again for 5000 ms)", lookups[0]["msg"])

    def test_passthrough_of_status_headers_body(self):
        up = self.upstream(lambda req, c: response(302, b"test", [("test", "ok")]))
        port = self.gateway(simple_lb([up.url], match="/test"))
        st, hd, b = request(port, "GET", "/test", host="test.com")
        self.assertEqual((st, header(hd, "test"), b), (302, "ok", b"test"))
        st, hd, b = request(port, "GET", "/none", host="test.com")
        self.assertEqual(st, 404)
        self.assertIsNone(header(hd, "test"))

    def test_round_robin_two_upstreams_path_unchanged(self):
        u1 = self.upstream(lambda req, c: response(302, req.target.encode(), [("test", "h1")]))
        u2 = self.upstream(lambda req, c: response(302, req.target.encode(), [("test", "h2")]))
        port = self.gateway(simple_lb([u1.url, u2.url], match="/test"))
        st, hd, b = request(port, "GET", "/test/foo")
        self.assertEqual((header(hd, "test"), b), ("h1", b"/test/foo"))
        st, hd, b = request(port, "GET", "/test/bar")
        self.assertEqual((header(hd, "test"), b), ("h2", b"/test/bar"))

    def test_round_robin_weights_exact_sequence_across_workers(self):
        hits = []
        ups = [self.upstream(lambda req, c, n=n: (hits.append(n), response(200, b"ok"))[1])
               for n in "ABC"]
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
               "    - pathMatcher: {match: /test, matchType: Prefix}\n      upstreams:\n"
               "        - {url: %s, weight: 1}\n        - {url: %s, weight: 2}\n"
               "        - {url: %s, weight: 3}\n") % (ups[0].url, ups[1].url, ups[2].url)
        port = self.gateway(doc, workers=4)
        for _ in range(12):
            self.assertEqual(request(port, "GET", "/test")[0], 200)
        self.assertEqual("".join(hits), "ABBCCC" * 2)

    def test_exact_is_default_match_type(self):
        up = self.upstream()
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
               "    - pathMatcher: {match: /test1}\n      upstreams:\n        - url: %s\n") % up.url
        port = self.gateway(doc)
        self.assertEqual(request(port, "GET", "/test1")[0], 200)
        self.assertEqual(request(port, "GET", "/test1/x")[0], 404)

    def test_forwarded_headers_and_hop_by_hop_request(self):
        up = self.upstream()
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET /h?q=1 HTTP/1.1\r\nHost: front.example:8080\r\n"
               b"Connection: keep-alive, X-Drop\r\nX-Drop: secret\r\nKeep-Alive: timeout=5\r\n"
               b"Proxy-Authorization: Basic abc\r\nProxy-Connection: keep-alive\r\n"
               b"TE: trailers, deflate\r\nUpgrade: foo\r\nX-Forwarded-For: 10.1.1.1\r\n"
               b"X-Forwarded-For: 10.2.2.2\r\nX-Forwarded-Host: evil\r\n"
               b"X-Forwarded-Proto: https\r\nX-Forwarded-Port: 1\r\nX-Keep: yes\r\n\r\n")
        st, _, _ = c.recv_response()
        client_port = c.sock.getsockname()[1]
        c.close()
        self.assertEqual(st, 200)
        r = up.requests[0]
        self.assertEqual(r.target, "/h?q=1")
        self.assertEqual(r.header("Host"), "127.0.0.1:%d" % up.port)
        for h in ("X-Drop", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Upgrade",
                  "Connection"):
            self.assertIsNone(r.header(h), h)
        self.assertEqual(r.header("Te"), "trailers")
        self.assertEqual(r.header_all("X-Forwarded-For"), ["10.1.1.1, 10.2.2.2, 127.0.0.1"])
        self.assertEqual(r.header("X-Forwarded-Host"), "front.example:8080")
        self.assertEqual(r.header("X-Forwarded-Proto"), "http")
        self.assertEqual(r.header("X-Forwarded-Port"), str(client_port))
        self.assertEqual(r.header("X-Keep"), "yes")

    def test_hop_by_hop_removed_from_response(self):
        up = self.upstream(lambda req, c: response(200, b"ok", [
            ("Connection", "X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("Proxy-Authenticate", "Basic"), ("Upgrade", "h2c"), ("X-Public", "2")]))
        port = self.gateway(simple_lb([up.url]))
        st, hd, b = request(port)
        names = [k.lower() for k, _ in hd]
        for h in ("x-secret", "keep-alive", "proxy-authenticate", "upgrade"):
            self.assertNotIn(h, names)
        self.assertEqual(header(hd, "X-Public"), "2")
        self.assertIsNotNone(header(hd, "Date"))

    def test_query_joined_upstream_first_and_upstream_path_ignored(self):
        up = self.upstream()
        port = self.gateway(simple_lb([up.url + "/ignored/path?alice=bob"]))
        request(port, "GET", "/api/v1/users?foo=bar")
        request(port, "GET", "/plain")
        self.assertEqual(up.requests[0].target, "/api/v1/users?alice=bob&foo=bar")
        self.assertEqual(up.requests[1].target, "/plain?alice=bob")

    def test_path_decoded_for_matching_and_reencoded(self):
        up = self.upstream()
        port = self.gateway(simple_lb([up.url], match="/a b", match_type="Prefix"))
        st, _, _ = request(port, "GET", "/a%20b/%41%2Fx?k=%20")
        self.assertEqual(st, 200)
        self.assertEqual(up.requests[0].target, "/a%20b/A/x?k=%20")
        self.assertEqual(request(port, "GET", "/a%zz")[0], 400)

    def test_keep_alive_and_pipelining(self):
        up = self.upstream(lambda req, c: response(200, req.target.encode()))
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
               b"POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
               b"GET /4 HTTP/1.1\r\nHost: a\r\n\r\n")
        bodies = [c.recv_response()[2] for _ in range(4)]
        self.assertEqual(bodies, [b"/1", b"/2", b"/3", b"/4"])
        c.send(b"GET /5 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        st, hd, b = c.recv_response()
        self.assertEqual((b, header(hd, "Connection")), (b"/5", "close"))
        self.assertTrue(c.closed())
        self.assertEqual(up.requests[2].body, b"abc")

    def test_upstream_connections_are_reused(self):
        up = self.upstream()
        port = self.gateway(simple_lb([up.url]), workers=1)
        for _ in range(5):
            self.assertEqual(request(port)[0], 200)
        self.assertEqual(up.connections, 1)

    def test_http10_client(self):
        up = self.upstream(lambda req, c: response(200, b"hello"))
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        st, hd, b = c.recv_response()
        self.assertEqual((st, b), (200, b"hello"))
        self.assertTrue(c.closed())
        c = Client(port)
        c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        st, hd, b = c.recv_response()
        self.assertEqual(header(hd, "Connection").lower(), "keep-alive")
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b"hello")

    def test_head_204_304_have_no_body(self):
        def h(req, c):
            if req.target == "/204":
                return response(204)
            if req.target == "/304":
                return b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
            return b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + (b"" if req.method == "HEAD" else b"0123456789")
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        st, hd, _ = c.recv_response(method="HEAD")
        self.assertEqual((st, header(hd, "Content-Length")), (200, "10"))
        for path, code in (("/204", 204), ("/304", 304), ("/x", 200)):
            c.send(("GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path).encode())
            st, hd, b = c.recv_response()
            self.assertEqual(st, code)
        self.assertEqual(b, b"0123456789")

    def test_close_delimited_response_is_rechunked(self):
        def h(req, c):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart1-")
            time.sleep(0.05)
            c.sendall(b"part2")
            return None  # closes the connection
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        st, hd, b = c.recv_response()
        self.assertEqual(header(hd, "Transfer-Encoding"), "chunked")
        self.assertEqual(b, b"part1-part2")
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        st, hd, b = c.recv_response()
        self.assertEqual(b, b"part1-part2")
        self.assertIsNone(header(hd, "Transfer-Encoding"))

    def test_chunked_response_with_trailers_streams(self):
        go = threading.Event()

        def h(req, c):
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                      b"5\r\nfirst\r\n")
            go.wait(5)
            c.sendall(b"6\r\nsecond\r\n0\r\nX-Sum: 42\r\n\r\n")
            return b""
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        data = b""
        while b"first" not in data:
            d = c.sock.recv(65536)
            self.assertTrue(d, "connection closed before the first chunk")
            data += d
        self.assertNotIn(b"second", data)
        go.set()
        c.buf = data
        st, hd, b = c.recv_response()
        self.assertEqual(b, b"firstsecond")
        self.assertEqual(header(hd, "Trailer"), "X-Sum")
        self.assertIn(b"X-Sum: 42", c.buf_trailers)

    def test_chunked_request_streams_to_upstream(self):
        got_first = threading.Event()
        port_up = free_port()
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port_up))
        srv.listen(4)
        self.addCleanup(srv.close)
        seen = {}

        def upstream():
            conn, _ = srv.accept()
            data = b""
            while b"hello" not in data:
                data += conn.recv(65536)
            got_first.set()
            while not data.endswith(b"0\r\n\r\n"):
                data += conn.recv(65536)
            seen["data"] = data
            conn.sendall(response(200, b"ok"))
            conn.close()
        t = threading.Thread(target=upstream, daemon=True)
        t.start()
        # Without the parked body buffer, the body streams as it comes.
        port = self.gateway(simple_lb(["http://127.0.0.1:%d" % port_up]),
                            server_extra="  httpConfig:\n    requestBodyBuffer: -1\n")
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        self.assertTrue(got_first.wait(5), "first chunk did not reach the upstream")
        c.send(b"6\r\n world\r\n0\r\n\r\n")
        st, _, b = c.recv_response()
        self.assertEqual((st, b), (200, b"ok"))
        t.join(5)
        self.assertIn(b"Transfer-Encoding: chunked", seen["data"])
        self.assertTrue(seen["data"].endswith(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))

    def test_big_upload_and_download_intact(self):
        blob = os.urandom(10_000_000)

        def h(req, c):
            if req.method == "POST":
                return response(200, hashlib.md5(req.body).hexdigest().encode())
            return response(200, blob)
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        st, _, b = request(port, "POST", "/up", body=blob,
                           headers=[("Content-Type", "application/octet-stream")])
        self.assertEqual(b.decode(), hashlib.md5(blob).hexdigest())
        st, _, b = request(port, "GET", "/down")
        self.assertEqual(hashlib.md5(b).hexdigest(), hashlib.md5(blob).hexdigest())

    def test_slow_upstream_is_504(self):
        self.allow_errors("no valid response (504)")
        def h(req, c):
            time.sleep(3)
            return response(200, b"late")
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]),
                            server_extra="  httpConfig:\n    writeTimeout: 1\n")
        t0 = time.monotonic()
        st, _, b = request(port)
        self.assertEqual((st, b), (504, b'{"status":504,"statusText":"Gateway Timeout"}'))
        self.assertLess(time.monotonic() - t0, 2.9)

    def test_malformed_request_reaches_nobody(self):
        up = self.upstream()
        port = self.gateway(simple_lb([up.url]))
        for raw in (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                    b"GET / HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n"):
            c = Client(port)
            c.send(raw)
            st, hd, _ = c.recv_response()
            self.assertEqual(st, 400)
            self.assertTrue(c.closed())
        self.assertEqual(up.requests, [])

    def test_interim_1xx_swallowed_and_expect_continue(self):
        def h(req, c):
            return b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + response(200, req.body)
        up = self.upstream(h)
        port = self.gateway(simple_lb([up.url]))
        c = Client(port)
        c.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        st, _, _ = c.recv_response(head_only=True)
        self.assertEqual(st, 100)
        c.send(b"data")
        st, _, b = c.recv_response()
        self.assertEqual((st, b), (200, b"data"))


if __name__ == "__main__":
    unittest.main()
