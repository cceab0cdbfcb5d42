"""core/v1 StaticFileHandler through the real binary: files, listings, ranges, conditionals, escapes."""

import hashlib
import os
import re
import shutil
import tempfile

from harness import AileronTestCase, Client, enter_example, free_port, header, request, run_aileron

SECRET = b"secret-content-outside-root"


def server(port, handlers, docs):
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
%s
---
%s""" % (port, handlers, docs)


def handler(name):
    return ("        - handler: {apiVersion: core/v1, kind: StaticFileHandler, name: %s}\n"
            % name)


class StaticTest(AileronTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="aileron-static-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = os.path.join(self.tmp, "root")
        os.makedirs(os.path.join(self.root, "sub"))
        os.makedirs(os.path.join(self.root, "dir"))
        self.write("secret", SECRET)
        self.write("root/foo.txt", b"foo=bar")
        self.write("root/foo.json", b'{"foo":"bar"}')
        self.write("root/noext", b"<!DOCTYPE html><p>sniffed</p>")
        self.write("root/sub/index.html", b"<p>index</p>")
        self.write("root/dir/a b.txt", b"x")
        self.big = os.urandom(1 << 20) + b"end"
        self.write("root/big.bin", self.big)
        os.symlink("foo.txt", os.path.join(self.root, "in"))
        os.symlink(os.path.join(self.tmp, "secret"), os.path.join(self.root, "abs"))
        os.symlink("../secret", os.path.join(self.root, "up"))
        os.symlink("/etc", os.path.join(self.root, "etc"))
        self.port = free_port()
        docs = """apiVersion: core/v1
kind: StaticFileHandler
metadata: {name: list}
spec:
  rootDir: %(root)s
  enableListing: true
  header: {foo: bar}
---
apiVersion: core/v1
kind: StaticFileHandler
metadata: {name: prefix}
spec:
  rootDir: %(root)s
  patterns: [/prefix/]
  stripPrefix: /prefix
  header: {foo: bar}
---
apiVersion: core/v1
kind: StaticFileHandler
metadata: {name: nolist}
spec:
  rootDir: %(root)s
  patterns: [/nolist/]
  stripPrefix: /nolist
""" % {"root": self.root}
        self.a = self.start(server(self.port, handler("list") + handler("prefix")
                                   + handler("nolist"), docs), self.port)

    def write(self, rel, data):
        with open(os.path.join(self.tmp, rel), "wb") as f:
            f.write(data)

    def get(self, path, headers=(), method="GET"):
        return request(self.port, method, path, headers)

    def test_listing(self):
        st, hd, body = self.get("/")
        self.assertEqual(st, 200)
        self.assertEqual(header(hd, "foo"), "bar")
        self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
        self.assertEqual(header(hd, "Content-Type"), "text/html; charset=utf-8")
        self.assertIsNotNone(header(hd, "Last-Modified"))
        self.assertEqual(body, b'<!doctype html>\n<meta name="viewport" '
                         b'content="width=device-width">\n<pre>\n'
                         b'<a href="abs">abs</a>\n<a href="big.bin">big.bin</a>\n'
                         b'<a href="dir/">dir/</a>\n<a href="etc">etc</a>\n'
                         b'<a href="foo.json">foo.json</a>\n<a href="foo.txt">foo.txt</a>\n'
                         b'<a href="in">in</a>\n<a href="noext">noext</a>\n'
                         b'<a href="sub/">sub/</a>\n<a href="up">up</a>\n</pre>\n')
        st, _, body = self.get("/dir/")
        self.assertEqual((st, body.count(b'<a href="a%20b.txt">a b.txt</a>')), (200, 1))

    def test_not_found_keeps_headers(self):
        st, hd, body = self.get("/not-found")
        self.assertEqual((st, body), (404, b'{"status":404,"statusText":"Not Found"}'))
        self.assertEqual(header(hd, "foo"), "bar")
        self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
        self.assertEqual(header(hd, "Content-Type"), "application/json; charset=utf-8")
        st, _, body = self.get("/not-found", [("Accept", "application/xml")])
        self.assertEqual((st, body), (404, b"<result><status>404</status>"
                                      b"<statusText>Not Found</statusText></result>"))

    def test_strip_prefix(self):
        st, hd, body = self.get("/prefix/foo.txt")
        self.assertEqual((st, body, header(hd, "foo")), (200, b"foo=bar", "bar"))
        # The prefix handler lists nothing: directories are 404.
        self.assertEqual(self.get("/prefix/")[0], 404)

    def test_file_headers_and_types(self):
        st, hd, body = self.get("/foo.txt")
        self.assertEqual((st, body), (200, b"foo=bar"))
        self.assertEqual(header(hd, "Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(header(hd, "Accept-Ranges"), "bytes")
        self.assertEqual(header(hd, "Content-Length"), "7")
        self.assertIsNone(header(hd, "ETag"))
        self.assertEqual(header(self.get("/foo.json")[1], "Content-Type"), "application/json")
        self.assertEqual(header(self.get("/noext")[1], "Content-Type"), "text/html; charset=utf-8")
        st, hd, body = self.get("/foo.txt", method="HEAD")
        self.assertEqual((st, body, header(hd, "Content-Length")), (200, b"", "7"))

    def test_big_file(self):
        st, hd, body = self.get("/big.bin")
        self.assertEqual(st, 200)
        self.assertEqual(header(hd, "Content-Type"), "application/octet-stream")
        self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(self.big).digest())

    def test_ranges(self):
        size = len(self.big)
        st, hd, body = self.get("/big.bin", [("Range", "bytes=10-19")])
        self.assertEqual((st, body, header(hd, "Content-Range")),
                         (206, self.big[10:20], "bytes 10-19/%d" % size))
        st, hd, body = self.get("/big.bin", [("Range", "bytes=-3")])
        self.assertEqual((st, body), (206, b"end"))
        st, hd, body = self.get("/foo.txt", [("Range", "bytes=0-1, 4-")])
        self.assertEqual(st, 206)
        m = re.match(r"multipart/byteranges; boundary=([0-9a-f]{60})$", header(hd, "Content-Type"))
        self.assertIsNotNone(m)
        b = m.group(1).encode()
        self.assertEqual(body, b"--" + b + b"\r\nContent-Range: bytes 0-1/7\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\n\r\nfo\r\n--" + b +
                         b"\r\nContent-Range: bytes 4-6/7\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\n\r\nbar\r\n--" + b + b"--\r\n")
        self.assertEqual(int(header(hd, "Content-Length")), len(body))
        st, hd, body = self.get("/foo.txt", [("Range", "bytes=100-")])
        self.assertEqual((st, header(hd, "Content-Range"), header(hd, "foo")),
                         (416, "bytes */7", "bar"))
        self.assertEqual(body, b'{"status":416,"statusText":"Requested Range Not Satisfiable"}')
        self.assertEqual(self.get("/foo.txt", [("Range", "bytes=5-1")])[0], 416)
        # Ranges adding up to more than the file: the whole file, 200.
        st, _, body = self.get("/foo.txt", [("Range", "bytes=0-6,0-6")])
        self.assertEqual((st, body), (200, b"foo=bar"))

    def test_conditionals(self):
        lm = header(self.get("/foo.txt")[1], "Last-Modified")
        st, hd, body = self.get("/foo.txt", [("If-Modified-Since", lm)])
        self.assertEqual((st, body, header(hd, "Last-Modified")), (304, b"", lm))
        self.assertIsNone(header(hd, "Content-Type"))
        self.assertEqual(self.get("/foo.txt", [("If-Modified-Since",
                                                "Thu, 01 Jan 1970 00:00:01 GMT")])[0], 200)
        st, _, body = self.get("/foo.txt", [("If-Unmodified-Since",
                                             "Thu, 01 Jan 1970 00:00:01 GMT")])
        self.assertEqual((st, body), (412, b'{"status":412,"statusText":"Precondition Failed"}'))
        self.assertEqual(self.get("/foo.txt", [("If-None-Match", "*")])[0], 304)
        self.assertEqual(self.get("/foo.txt", [("If-Match", '"x"')])[0], 412)
        # If-Range with another date: the whole file.
        st, _, body = self.get("/foo.txt", [("Range", "bytes=0-0"),
                                            ("If-Range", "Thu, 01 Jan 1970 00:00:01 GMT")])
        self.assertEqual((st, body), (200, b"foo=bar"))
        st, _, body = self.get("/foo.txt", [("Range", "bytes=0-0"), ("If-Range", lm)])
        self.assertEqual((st, body), (206, b"f"))
        self.assertEqual(self.get("/", [("If-Modified-Since",
                                         header(self.get("/")[1], "Last-Modified"))])[0], 304)

    def test_redirects_and_index(self):
        st, hd, body = self.get("/sub?a=1")
        self.assertEqual((st, header(hd, "Location"), body), (301, "sub/?a=1", b""))
        self.assertEqual(header(hd, "foo"), "bar")
        self.assertEqual(header(self.get("/foo.txt/")[1], "Location"), "../foo.txt")
        self.assertEqual(header(self.get("/sub/index.html")[1], "Location"), "./")
        st, hd, body = self.get("/sub/")
        self.assertEqual((st, body), (200, b"<p>index</p>"))
        self.assertEqual(header(hd, "Content-Type"), "text/html; charset=utf-8")

    def test_listing_disabled(self):
        self.assertEqual(self.get("/nolist/")[0], 404)
        self.assertEqual(self.get("/nolist/sub/")[0], 404)
        self.assertEqual(self.get("/nolist/dir/")[0], 404)
        self.assertEqual(self.get("/nolist/foo.txt")[2], b"foo=bar")

    def test_no_escape_from_root(self):
        paths = ["/../secret", "/..%2fsecret", "/%2e%2e/secret", "/%2e%2e%2fsecret",
                 "/sub/..%2f..%2fsecret", "/dir/%2e%2e/%2e%2e/secret", "/abs", "/up",
                 "/etc/passwd", "/etc/", "/nolist/../secret", "/nolist/..%2f..%2fsecret",
                 "/prefix/..%2f..%2fsecret", "/foo.txt%00.html", "/%00", "//secret",
                 "/sub/%2e%2e%5c..%5csecret"]
        for p in paths:
            st, hd, body = self.get(p)
            self.assertNotIn(SECRET, body, p)
            self.assertNotIn(b"root:", body, p)
            self.assertIn(st, (301, 400, 404), p)
            if st == 301:
                loc = header(hd, "Location")
                st2, _, body2 = self.get(loc if loc.startswith("/") else "/" + loc)
                self.assertNotIn(SECRET, body2, p)
        # A symlink that stays inside the root is followed.
        st, _, body = self.get("/in")
        self.assertEqual((st, body), (200, b"foo=bar"))

    def test_bad_input_keeps_serving(self):
        workers = sorted(self.a.worker_pids())
        c = Client(self.port)
        bad = [("Range", "bytes=" + "0-0," * 2000), ("Range", "bytes=99999999999999999999-"),
               ("Range", "chars=0-1"), ("If-Modified-Since", "x" * 4000),
               ("If-None-Match", '"' * 3000), ("If-Range", "W/"), ("Range", "bytes=-")]
        for k, v in bad:
            c.send(("GET /foo.txt HTTP/1.1\r\nHost: x\r\n%s: %s\r\n\r\n" % (k, v)).encode())
            st, _, body = c.recv_response()
            self.assertIn(st, (200, 206, 416), (k, v[:20]))
        c.send(b"GET /foo.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b"foo=bar")
        c.close()
        # No worker died on the way (more may have been started).
        self.assertTrue(set(workers) <= set(self.a.worker_pids()))

    def test_keep_alive_and_pipelining(self):
        c = Client(self.port)
        c.send(b"GET /foo.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
               b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /foo.json HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b"foo=bar")
        self.assertEqual(c.recv_response()[0], 404)
        st, hd, _ = c.recv_response(method="HEAD")
        self.assertEqual((st, header(hd, "Content-Length")), (200, str(len(self.big))))
        self.assertEqual(c.recv_response()[2], b'{"foo":"bar"}')
        c.close()


class StaticConfigTest(AileronTestCase):

    def test_bad_configs(self):
        tmp = tempfile.mkdtemp(prefix="aileron-static-")
        self.addCleanup(shutil.rmtree, tmp, True)
        for spec, msg in (("rootDir: /nonexistent-dir", 'field "rootDir": /nonexistent-dir: '
                                                        "No such file or directory"),
                          ("bogus: 1", 'unknown field "bogus"'),
                          ("header: {a: [1]}", 'field "header": expected a mapping of strings'),
                          ("methods: [FETCH]", 'field "methods"')):
            path = os.path.join(tmp, "c.yaml")
            with open(path, "w") as f:
                f.write(server(8080, handler("default"),
                               "apiVersion: core/v1\nkind: StaticFileHandler\nspec:\n  %s\n"
                               % spec))
            rc, out = run_aileron(["-c", "-f", path])
            self.assertEqual(rc, 1, out)
            self.assertIn(msg, out)

    def test_example(self):
        # AILERON's examples/static, unchanged but for the port, run from its directory.
        port = enter_example(self, "static")
        st, hd, body = request(port, "GET", "/hello.json")
        self.assertEqual((st, body), (200, b'{ "hello": "AILERON Gateway" }\n'))
        self.assertEqual(header(hd, "Cache-Control"), "no-cache")
        st, hd, body = request(port, "GET", "/hello.xml")
        self.assertEqual((st, body), (200, b"<hello>AILERON Gateway</hello>"))
        self.assertEqual(header(hd, "Content-Type"), "text/xml; charset=utf-8")
        st, _, body = request(port, "GET", "/")
        self.assertEqual(st, 200)
        self.assertIn(b'<a href="hello.html">hello.html</a>', body)
        self.assertIn(b"Hello, AILERON Gateway!!", request(port, "GET", "/hello.html")[2])
