"""core/v1 ErrorHandler custom messages (case 38) and app/v1 HealthCheckHandler (case 41)."""

import os
import tempfile
import unittest

from harness import AileronTestCase, free_port, header, request, response, run_aileron

JSON404 = b'{"status":404,"statusText":"Not Found"}'

CUSTOM = """apiVersion: core/v1
kind: ErrorHandler
metadata: {name: %(name)s}
spec:
  errorMessages:
%(messages)s"""

FOO_BAR = """    - %(match)s
      mimeContents:
        - mimeType: application/json
          statusCode: 200
          header: {alice: bob}
          template: '{"foo":"bar"}'
        - mimeType: text/plain
          statusCode: 200
          header: {alice: bob}
          template: "foo=bar"
"""


def config(port, handlers, entry_extra="", proxy_meta="", server_meta="", extra_docs=""):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  processConfig: {workers: 2}
%s  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: HTTPServer
%sspec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - handlers:
%s---
apiVersion: core/v1
kind: ReverseProxyHandler
%sspec:
  patterns: ["/p/"]
  loadBalancers:
    - pathMatcher: {match: /p/up, matchType: Prefix}
      upstreams: []
---
%s""" % (entry_extra, server_meta, port, handlers, proxy_meta, extra_docs)


PROXY_HANDLER = "        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}\n"


class ErrorHandlerTest(AileronTestCase):

    def gateway(self, cfg_for_port):
        port = free_port()
        self.start(cfg_for_port(port), port)
        return port

    def test_default_error_handler_by_code(self):
        eh = CUSTOM % {"name": "default", "messages": FOO_BAR % {"match": 'codes: ["E2122"]'}}
        port = self.gateway(lambda p: config(
            p, PROXY_HANDLER,
            entry_extra="  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler}\n",
            extra_docs=eh))
        st, hd, body = request(port, "GET", "/p/none", headers=[("Accept", "application/json")])
        self.assertEqual((st, header(hd, "alice"), body), (200, "bob", b'{"foo":"bar"}'))
        self.assertEqual(header(hd, "Content-Type"), "application/json")
        self.assertEqual(header(hd, "Vary"), "Accept")
        st, hd, body = request(port, "GET", "/p/none", headers=[("Accept", "text/plain")])
        self.assertEqual((st, body), (200, b"foo=bar"))
        st, hd, body = request(port, "GET", "/p/none", headers=[("Accept", "invalid/type")])
        self.assertEqual((st, body), (200, b'{"foo":"bar"}'))
        # Other errors keep the default bodies: E2121 (502), E2131 (404).
        st, _, body = request(port, "GET", "/p/up")
        self.assertEqual((st, body), (502, b'{"status":502,"statusText":"Bad Gateway"}'))
        st, _, body = request(port, "GET", "/elsewhere")
        self.assertEqual((st, body), (404, JSON404))

    def test_kinds_messages_paths_templates(self):
        msgs = """    - paths: ["^/p/a"]
      kinds: ["CoreProxy*"]
      headerTemplate: {X-Example: "status={{status}} code={{code}}"}
      mimeContents:
        - mimeType: text/plain
          statusCode: 0
          templateType: GoText
          template: "{{.status}} {{.statusText}} {{ .code }} {{.kind}}"
    - messages: [".*upstream unavail.*"]
      mimeContents:
        - mimeType: text/html
          statusCode: 503
          templateType: GoHTML
          template: "<b>{{.kind}}</b>"
"""
        port = self.gateway(lambda p: config(
            p, PROXY_HANDLER,
            entry_extra="  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler}\n",
            extra_docs=CUSTOM % {"name": "default", "messages": msgs}))
        st, hd, body = request(port, "GET", "/p/abc")
        self.assertEqual((st, body), (404, b"404 Not Found E2122 CoreProxyNoUpstream"))
        self.assertEqual(header(hd, "X-Example"), "status=404 code=E2122")
        st, hd, body = request(port, "GET", "/p/up")
        self.assertEqual((st, body), (503, b"<b>CoreProxyUpstreamUnavailable</b>"))
        self.assertEqual(header(hd, "Content-Type"), "text/html")
        # The path gate keeps /p/b out of the first entry.
        self.assertEqual(request(port, "GET", "/p/b")[2], JSON404)

    def test_metadata_error_handler(self):
        eh = CUSTOM % {"name": "mine", "messages": FOO_BAR % {"match": 'codes: ["E21*"]'}}
        port = self.gateway(lambda p: config(
            p, PROXY_HANDLER,
            entry_extra="  errorHandlers: [{apiVersion: core/v1, kind: ErrorHandler, name: mine}]\n",
            proxy_meta="metadata: {errorHandler: core/v1/ErrorHandler/default/mine}\n",
            extra_docs=eh))
        self.assertEqual(request(port, "GET", "/p/x")[::2], (200, b'{"foo":"bar"}'))
        # The server has no errorHandler: its 404 stays default.
        self.assertEqual(request(port, "GET", "/x")[::2], (404, JSON404))

    def refused(self, cfg, words):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(cfg)
        try:
            rc, out = run_aileron(["-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 1, out)
        self.assertIn(words, out)

    def test_bad_configs_refused(self):
        port = free_port()
        eh = CUSTOM % {"name": "mine", "messages": FOO_BAR % {"match": 'codes: ["E21*"]'}}
        self.refused(config(port, PROXY_HANDLER,
                            proxy_meta="metadata: {errorHandler: core/v1/ErrorHandler/default/mine}\n",
                            extra_docs=eh),
                     "is not one of the Entrypoint's errorHandlers")
        bad = CUSTOM % {"name": "default", "messages": """    - codes: ["*"]
      mimeContents:
        - {mimeType: text/plain, templateType: GoText, template: "{{range .x}}"}
"""}
        self.refused(config(port, PROXY_HANDLER, extra_docs=bad), "only {{.status}}")
        bad = CUSTOM % {"name": "default", "messages": """    - paths: ["("]
      mimeContents: [{mimeType: text/plain}]
"""}
        self.refused(config(port, PROXY_HANDLER, extra_docs=bad), "invalid regular expression")
        bad = CUSTOM % {"name": "default", "messages": """    - codes: ["*"]
      mimeContents: [{mimeType: "Text/Plain"}]
"""}
        self.refused(config(port, PROXY_HANDLER, extra_docs=bad), "invalid media type")

    def test_template_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("from file {{.code}}")
        self.addCleanup(os.unlink, f.name)
        msgs = """    - codes: ["*"]
      mimeContents:
        - {mimeType: text/plain, templateType: GoText, templateFile: "%s"}
""" % f.name
        port = self.gateway(lambda p: config(
            p, PROXY_HANDLER,
            entry_extra="  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler}\n",
            extra_docs=CUSTOM % {"name": "default", "messages": msgs}))
        self.assertEqual(request(port, "GET", "/x")[::2], (404, b"from file E2131"))


class HealthCheckHandlerTest(AileronTestCase):

    def test_healthz(self):
        port = free_port()
        handlers = PROXY_HANDLER + "        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}\n"
        doc = "apiVersion: app/v1\nkind: HealthCheckHandler\nspec: {}\n"
        self.start(config(port, handlers, extra_docs=doc), port)
        st, hd, body = request(port, "GET", "/healthz")
        self.assertEqual((st, body), (200, b"{}"))
        self.assertEqual(header(hd, "Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(header(hd, "X-Content-Type-Options"), "nosniff")
        self.assertEqual(request(port, "GET", "/healthz/x")[0], 404)
        self.assertEqual(request(port, "HEAD", "/healthz")[::2], (200, b""))

    def test_patterns_and_methods(self):
        port = free_port()
        handlers = "        - handler: {apiVersion: app/v1, kind: HealthCheckHandler, name: h}\n"
        doc = ("apiVersion: app/v1\nkind: HealthCheckHandler\nmetadata: {name: h}\n"
               "spec: {patterns: [/alive, /ready], methods: [GET]}\n")
        self.start(config(port, handlers, extra_docs=doc), port)
        self.assertEqual(request(port, "GET", "/alive")[0], 200)
        self.assertEqual(request(port, "GET", "/ready")[0], 200)
        self.assertEqual(request(port, "GET", "/healthz")[0], 404)
        self.assertEqual(request(port, "POST", "/alive", body=b"")[0], 404)


if __name__ == "__main__":
    unittest.main()
