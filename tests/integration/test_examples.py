"""The reference's example configs, run unchanged but for addresses, against mocks."""

import os
import re
import unittest

import lbref
from harness import AileronTestCase, Client, free_port, proxy_config, request, response

EXAMPLES = os.path.join(os.environ.get("TOP_SRCDIR", "../.."), "tests", "unit", "data", "conf",
                        "examples")


def example(name):
    for f in os.listdir(EXAMPLES):
        if f.startswith(name):
            with open(os.path.join(EXAMPLES, f)) as fh:
                return fh.read()
    raise FileNotFoundError(name)


class ExamplesTest(AileronTestCase):
    def echo(self, tag):
        return self.upstream(lambda req, c: response(200, ("%s %s" % (tag, req.target)).encode(),
                                                     [("X-Host", req.header("Host"))]))

    def run_example(self, name, urls):
        """Start example name with ":8080" on a free port and urls replaced."""
        text = example(name)
        for old, new in urls.items():
            text = text.replace(old, new)
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.start(text, port)
        return port

    def test_01_basic(self):
        up = self.echo("bin")
        port = self.run_example("01-", {"http://httpbin.org": up.url})
        st, hd, body = request(port, "GET", "/get?a=1")
        self.assertEqual((st, body), (200, b"bin /get?a=1"))
        self.assertEqual(dict(hd)["X-Host"], "127.0.0.1:%d" % up.port)

    def test_02_trim_append_prefix(self):
        up = self.echo("bin")
        port = self.run_example("02-", {"http://httpbin.org": up.url})
        self.assertEqual(request(port, "GET", "/get")[2], b"bin /anything/get")
        self.assertEqual(request(port, "GET", "/get/anything/x")[2], b"bin /anything/x")

    def test_03_weighted(self):
        a, b = self.echo("a"), self.echo("b")
        port = self.run_example("03-", {"http://ipconfig.io": a.url, "http://ifconfig.io": b.url})
        got = [request(port, "GET", "/")[2].split()[0] for _ in range(6)]
        self.assertEqual(got, [b"a", b"a", b"b"] * 2)

    def test_04_round_robin(self):
        ups = [self.echo(str(i)) for i in range(1, 6)]
        port = self.run_example("04-", {"http://localhost:800%d" % i: ups[i - 1].url
                                        for i in range(1, 6)})
        got = [request(port, "GET", "/")[2].split()[0] for _ in range(10)]
        self.assertEqual(got, [b"1", b"2", b"3", b"4", b"5"] * 2)

    def check_hash_example(self, name, model):
        ups = [self.echo(str(i)) for i in range(5)]
        urls = {"http://localhost:800%d" % i: ups[i - 1].url for i in range(1, 6)}
        port = self.run_example(name, urls)
        order = [ups[i].url for i in range(5)]
        for key in ("alice", "bob", "carol", "dave", "1", "2", "3"):
            c = Client(port)
            seen = set()
            for _ in range(3):
                c.send(("GET / HTTP/1.1\r\nHost: x\r\nHash-Key: %s\r\n\r\n" % key).encode())
                seen.add(int(c.recv_response()[2].split()[0]))
            c.close()
            self.assertEqual(seen, {model(key, order)}, key)

    def test_05_ring_hash_header(self):
        self.check_hash_example("05-", lambda k, u: lbref.ring_hash(k, u, [1] * 5))

    def test_06_maglev_header(self):
        self.check_hash_example("06-", lambda k, u: lbref.maglev(k, u, [1] * 5))

    def test_07_match_types(self):
        ups = [self.upstream(lambda req, c, i=i: response(302, b"", [("test", "h%d" % i)]))
               for i in range(1, 9)]
        text = example("07-")
        for i in range(1, 9):
            text = text.replace("http://127.0.0.1:1230%d" % i, ups[i - 1].url)
        port = free_port()
        self.start(proxy_config(port, text), port)
        for path, want in (("/test1", "h1"), ("/test2/foo/bar", "h2"), ("/foo/bar/test3", "h3"),
                           ("/foo/test4/bar", "h4"), ("/test5/foo", "h5"), ("/test6/foo", "h6"),
                           ("/test/123/foo/bar", "h7"), ("/test/abc/foo/bar", "h8")):
            st, hd, _ = request(port, "GET", path, host="test.com")
            self.assertEqual((st, dict(hd).get("test")), (302, want), path)
        for path in ("/none", "/test1/x", "/test5/a/b"):
            self.assertEqual(request(port, "GET", path)[0], 404, path)

    def test_13_http_client(self):
        self.allow_errors("status 503 (attempt")
        up = self.upstream(lambda req, c: response(503, b"busy"))
        port = self.run_example("13-", {"http://httpbin.org": up.url})
        st, _, body = request(port, "GET", "/get")
        self.assertEqual((st, body), (502, b'{"status":502,"statusText":"Bad Gateway"}'))
        self.assertEqual(len(up.requests), 4)  # maxRetry: 3
        self.assertEqual(up.connections, 4)   # disableKeepAlives
        self.assertEqual(up.requests[0].header("Connection"), "close")

    def test_14_multiple_servers(self):
        text = example("14-")
        ports = [free_port() for _ in range(3)]
        for i, p in enumerate(ports):
            text = text.replace('addr: ":808%d"' % (i + 1), 'addr: "127.0.0.1:%d"' % p)
        self.start(text, ports[0])
        for p in ports:
            st, _, body = request(p, "GET", "/test")
            self.assertEqual((st, body), (404, b'{"status":404,"statusText":"Not Found"}'))


if __name__ == "__main__":
    unittest.main()
