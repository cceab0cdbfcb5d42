"""core/v1 TemplateHandler through the real binary: Accept negotiation, Text and Go templates."""

import os
import shutil
import tempfile

from harness import AileronTestCase, Client, enter_example, free_port, header, request, run_aileron


def config(port, contents):
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
        - handler: {apiVersion: core/v1, kind: TemplateHandler}
---
apiVersion: core/v1
kind: TemplateHandler
spec:
  patterns: [/test]
  mimeContents:
%s""" % (port, contents)


# AILERON's test/integration/template contents.
TEXT = """    - mimeType: application/json
      statusCode: 302
      header: {alice: bob}
      templateType: Text
      template: '{"foo":"bar"}'
    - mimeType: text/plain
      statusCode: 403
      header: {alice: bob}
      templateType: Text
      template: "foo=bar"
"""
GOTEXT = """    - mimeType: application/json
      statusCode: 302
      header: {alice: bob}
      templateType: GoText
      template: '{"method":"{{.method}}"}'
    - mimeType: text/plain
      statusCode: 403
      header: {alice: bob}
      templateType: GoText
      template: "method={{.method}}"
"""
GOHTML = """    - mimeType: text/html
      statusCode: 302
      header: {alice: bob}
      templateType: GoHTML
      template: '<a href="/test">{{.path}}</a>'
    - mimeType: text/plain
      templateType: GoText
      template: |-
        {{range $k, $v := .query}}{{$k}}={{index $v 0}};{{end}}
        {{- with .header.Accept}} accept={{.}}{{end}} {{.proto}} {{.host}} {{.missing.x}}
    - mimeType: application/x-error
      templateType: GoText
      template: "before{{.method.x}}after"
"""


class TemplateTest(AileronTestCase):

    def run_contents(self, contents):
        port = free_port()
        self.start(config(port, contents), port)
        return port

    def test_text(self):
        port = self.run_contents(TEXT)
        st, hd, body = request(port, "GET", "/test", [("Accept", "application/json")])
        self.assertEqual((st, header(hd, "alice"), body), (302, "bob", b'{"foo":"bar"}'))
        self.assertEqual(header(hd, "Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
        self.assertEqual(header(hd, "Vary"), "Accept")
        st, hd, body = request(port, "GET", "/test?key=value", [("Accept", "text/plain")])
        self.assertEqual((st, header(hd, "alice"), body), (403, "bob", b"foo=bar"))
        st, _, body = request(port, "GET", "/test", [("Accept", "invalid/content")])
        self.assertEqual((st, body), (406, b'{"status":406,"statusText":"Not Acceptable"}'))
        # Accept order decides, q-values do not; globs match.
        st, _, body = request(port, "GET", "/test", [("Accept", "text/*;q=0.1, application/json")])
        self.assertEqual(body, b"foo=bar")
        self.assertEqual(request(port, "GET", "/test", [("Accept", "*/*")])[2], b'{"foo":"bar"}')
        # No Accept at all: 406.
        self.assertEqual(request(port, "GET", "/test")[0], 406)
        st, _, body = request(port, "HEAD", "/test", [("Accept", "text/plain")])
        self.assertEqual((st, body), (403, b""))

    def test_gotext(self):
        port = self.run_contents(GOTEXT)
        st, hd, body = request(port, "GET", "/test?key=value", [("Accept", "application/json")])
        self.assertEqual((st, header(hd, "alice"), body), (302, "bob", b'{"method":"GET"}'))
        st, _, body = request(port, "POST", "/test", [("Accept", "text/plain")], body=b"x")
        self.assertEqual((st, body), (403, b"method=POST"))

    def test_gohtml_and_data(self):
        port = self.run_contents(GOHTML)
        self.assertEqual(request(port, "GET", "/test", [("Accept", "application/json")])[0], 406)
        st, hd, body = request(port, "GET", "/test?key=value", [("Accept", "text/html")])
        self.assertEqual((st, header(hd, "alice"), body), (302, "bob", b'<a href="/test">/test</a>'))
        st, _, body = request(port, "GET", "/test?b=2&a=1&a=%zz", [("Accept", "text/plain")])
        self.assertEqual((st, body), (200, b"a=1;b=2; accept=[text/plain] HTTP/1.1 127.0.0.1:%d "
                                      b"<no value>" % port))
        # An execution error: the status and headers, an empty body.
        st, hd, body = request(port, "GET", "/test", [("Accept", "application/x-error")])
        self.assertEqual((st, body, header(hd, "Content-Length")), (200, b"", "0"))

    def test_html_escaping(self):
        port = self.run_contents(GOHTML)
        st, _, body = request(port, "GET", "/test", [("Accept", "text/html")])
        self.assertEqual(body, b'<a href="/test">/test</a>')
        c = Client(port)
        c.send(b"GET /test HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n")
        self.assertEqual(c.recv_response()[2], b'<a href="/test">/test</a>')
        c.close()

    def test_no_contents(self):
        port = self.run_contents("      []\n")
        st, hd, body = request(port, "GET", "/test", [("Accept", "application/json")])
        self.assertEqual((st, body), (406, b'{"status":406,"statusText":"Not Acceptable"}'))
        st, hd, body = request(port, "POST", "/test", [("Accept", "text/plain")], body=b"test")
        self.assertEqual((st, body), (406, b"status: 406\nstatusText: Not Acceptable\n"))

    def test_bad_input_keeps_serving(self):
        port = self.run_contents(GOHTML)
        c = Client(port)
        for accept in ("", ",,,", "text/" + "h" * 4000, "*", "a/b/c", "text/html;" * 200):
            c.send(("GET /test?%%zz&x=%%41;y HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n\r\n"
                    % accept).encode("latin-1"))
            st, _, _ = c.recv_response()
            self.assertIn(st, (302, 406), accept[:20])
        c.send(b"GET /test HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 302)
        c.close()

    def test_bad_configs(self):
        tmp = tempfile.mkdtemp(prefix="aileron-template-")
        self.addCleanup(shutil.rmtree, tmp, True)
        for contents, msg in (
                ("    - {templateType: GoText, template: '{{.a'}\n",
                 'field "mimeContents"[0]: template: line 1: unclosed action'),
                ("    - {templateType: GoHTML, template: '{{template \"x\"}}'}\n",
                 "this action is not supported"),
                ("    - {mimeType: 'text/*'}\n", 'field "mimeType": invalid media type "text/*"'),
                ("    - {templateFile: /nonexistent.html}\n",
                 'field "templateFile": /nonexistent.html: No such file or directory'),
                ("    - {statusCode: 100}\n", 'field "statusCode": 100 is not a final status'),
                ("    - {templateType: Jinja}\n", 'field "templateType": invalid value "Jinja"')):
            path = os.path.join(tmp, "c.yaml")
            with open(path, "w") as f:
                f.write(config(8080, contents))
            rc, out = run_aileron(["-c", "-f", path])
            self.assertEqual(rc, 1, out)
            self.assertIn(msg, out)

    def test_example(self):
        # AILERON's examples/template, unchanged but for the port, run from its directory.
        port = enter_example(self, "template")
        st, _, body = request(port, "GET", "/", [("Accept", "text/plain")])
        self.assertEqual((st, body), (500, b"Hello! AILERON Gateway!\n"))
        st, _, body = request(port, "GET", "/", [("Accept", "application/json")])
        self.assertEqual((st, body), (500, b'{\n  "hello": "AILERON Gateway!"\n}\n'))
        c = Client(port)
        c.send(b"GET /some/path HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/html\r\n"
               b"User-Agent: curl/7.68.0\r\n\r\n")
        st, hd, body = c.recv_response()
        local = c.sock.getsockname()
        c.close()
        self.assertEqual(st, 500)
        self.assertEqual(header(hd, "Content-Type"), "text/html; charset=utf-8")
        with open("template.html", "rb") as f:
            want = f.read()
        for k, v in ((b"{{ .proto }}", b"HTTP/1.1"), (b"{{ .host }}", b"localhost:8080"),
                     (b"{{ .method }}", b"GET"), (b"{{ .path }}", b"/some/path"),
                     (b"{{ .remote }}", b"%s:%d" % (local[0].encode(), local[1])),
                     (b"{{ .header }}", b"map[Accept:[text/html] User-Agent:[curl/7.68.0]]"),
                     (b'{{index .header "User-Agent" }}', b"[curl/7.68.0]"),
                     (b"{{ .query }}", b"map[]")):
            want = want.replace(k, v)
        self.assertEqual(body, want)
        st, _, body = request(port, "GET", "/", [("Accept", "text/css")])
        self.assertEqual((st, body), (406, b'{"status":406,"statusText":"Not Acceptable"}'))
