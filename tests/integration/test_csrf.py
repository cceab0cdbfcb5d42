"""app/v1 CSRFMiddleware: tokens checked as middleware, issued as a handler (AILERON's cases)."""

import base64
import hashlib
import hmac
import os
import subprocess
import tempfile

from harness import AILERON, AileronTestCase, Client, free_port, request, response

SECRET = "bXktc2VjdXJlLXNlY3JldC1rZXktc3RyaW5nLWZvci1jc3Jm"  # my-secure-secret-key-string-for-csrf
FORBIDDEN = b'{"status":403,"statusText":"Forbidden"}'


def token(secret=SECRET, digest=hashlib.sha256):
    """AILERON's token: hex(seed || HMAC(secret, seed)), the seed as long as the hash."""
    key = base64.b64decode(secret)
    seed = os.urandom(digest().digest_size)
    return (seed + hmac.new(key, seed, digest).digest()).hex()


def config(port, up_url, spec):
    """The token endpoint at /token; /app behind the middleware, proxied."""
    return """apiVersion: core/v1
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
    - handlers:
        - handler:
            apiVersion: app/v1
            kind: CSRFMiddleware
        - middleware:
            - apiVersion: app/v1
              kind: CSRFMiddleware
          handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/app", matchType: Prefix}
      upstreams:
        - url: %s
---
apiVersion: app/v1
kind: CSRFMiddleware
spec:
%s""" % (port, up_url, spec)


class CSRFTest(AileronTestCase):
    def serve(self, spec):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, spec), port)
        return port

    def test_custom_header(self):
        port = self.serve("""  customRequestHeader:
    headerName: "X-CSRF-With"
    allowedPattern: "^ValidToken$"
  secret: "%s"
""" % SECRET)
        self.assertEqual(request(port, "POST", "/app", [("X-CSRF-With", "ValidToken")], b"x")[0::2],
                         (200, b"ok"))
        st, _, body = request(port, "POST", "/app", [("X-CSRF-With", "InvalidToken")], b"x")
        self.assertEqual((st, body), (403, FORBIDDEN))
        # Every method is checked (AILERON never reads skipMethods' default).
        self.assertEqual(request(port, "GET", "/app")[0], 403)
        # Not the pattern, but a valid token: accepted.
        self.assertEqual(request(port, "GET", "/app", [("X-CSRF-With", token())])[0], 200)
        # A token made with another secret, or cut short: refused.
        self.assertEqual(request(port, "GET", "/app",
                                 [("X-CSRF-With", token(base64.b64encode(b"other").decode()))])[0],
                         403)
        self.assertEqual(request(port, "GET", "/app", [("X-CSRF-With", token()[:-2])])[0], 403)
        self.assertEqual(len(self.seen), 2)

    def test_double_submit_header(self):
        port = self.serve("""  doubleSubmitCookies:
    cookieName: "__csrfToken"
    tokenSource: Header
    sourceKey: "X-CSRF-Token"
  secret: "%s"
""" % SECRET)
        t = token()
        ok = request(port, "POST", "/app", [("Cookie", "a=b; __csrfToken=%s" % t),
                                            ("X-CSRF-Token", t)], b"x")
        self.assertEqual(ok[0::2], (200, b"ok"))
        for headers in ([("Cookie", "__csrfToken=%s" % t), ("X-CSRF-Token", "invalidToken")],
                        [("X-CSRF-Token", t)],                       # no cookie
                        [("Cookie", "__csrfToken=%s" % t)],          # no header
                        [("Cookie", "__csrfToken=%s" % token()), ("X-CSRF-Token", t)],
                        []):
            st, _, body = request(port, "POST", "/app", headers, b"x")
            self.assertEqual((st, body), (403, FORBIDDEN), headers)
        self.assertEqual(len(self.seen), 1)

    def test_double_submit_form(self):
        port = self.serve("""  doubleSubmitCookies:
    cookieName: "__csrfToken"
    tokenSource: Form
    sourceKey: "X-CSRF-Token"
  secret: "%s"
""" % SECRET)
        t = token()
        form = [("Cookie", "__csrfToken=%s" % t),
                ("Content-Type", "application/x-www-form-urlencoded")]
        body = ("a=1&X-CSRF-Token=%s&b=%%20" % t).encode()
        self.assertEqual(request(port, "POST", "/app", form, body)[0::2], (200, b"ok"))
        # The form is still there for the upstream.
        self.assertEqual(self.seen[-1].body, body)
        bad = ("X-CSRF-Token=invalidToken").encode()
        self.assertEqual(request(port, "POST", "/app", form, bad)[0::2], (403, FORBIDDEN))
        # Not a form: refused.
        self.assertEqual(request(port, "POST", "/app", [form[0], ("Content-Type", "text/plain")],
                                 body)[0], 403)
        self.assertEqual(len(self.seen), 1)

    def test_double_submit_json(self):
        port = self.serve("""  doubleSubmitCookies:
    cookieName: "__csrfToken"
    tokenSource: JSON
    sourceKey: "X-CSRF-Token"
  secret: "%s"
""" % SECRET)
        t = token()
        js = [("Cookie", "__csrfToken=%s" % t), ("Content-Type", "application/json")]
        # AILERON's case: a body cut short after the member (gjson reads it)
        body = ('{"X-CSRF-Token":"%s"' % t).encode()
        self.assertEqual(request(port, "POST", "/app", js, body)[0::2], (200, b"ok"))
        self.assertEqual(self.seen[-1].body, body)
        # members before it, nested values, escapes in the key and value
        esc = t[:-1] + "\\u00%02x" % ord(t[-1])
        body = ('{"a": {"b": [1, "x}"]}, "n": 1.5e3, "X-CSRF\\u002dToken" : "%s"}'
                % esc).encode()
        self.assertIn(b"\\u002d", body)
        self.assertEqual(request(port, "POST", "/app", js, body)[0], 200)
        for bad in (b'{"X-CSRF-Token":"invalidToken"', b'{"other":"%s"}' % t.encode(),
                    b'["%s"]' % t.encode(), b'{"X-CSRF-Token":', b"", b"{" * 5000,
                    # a member without a value: not JSON, not read past
                    b'{"a":},"X-CSRF-Token":"%s"}' % t.encode()):
            self.assertEqual(request(port, "POST", "/app", js, bad)[0::2], (403, FORBIDDEN), bad)
        self.assertEqual(request(port, "POST", "/app", [js[0], ("Content-Type", "text/plain")],
                                 ('{"X-CSRF-Token":"%s"}' % t).encode())[0], 403)

    def test_token_endpoint(self):
        port = self.serve("""  doubleSubmitCookies: {}
  secret: "%s"
  proxyHeaderName: X-Csrf-Up
""" % SECRET)
        st, hd, body = request(port, "GET", "/token")
        h = dict(hd)
        self.assertEqual(st, 200)
        self.assertEqual(h["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual((h["Cache-Control"], h["X-Content-Type-Options"]), ("no-store", "nosniff"))
        t = body.decode()
        self.assertRegex(t, "^[0-9a-f]{128}$")
        self.assertEqual(h["Set-Cookie"], "__csrfToken=%s; Path=/; HttpOnly; Secure" % t)
        key = base64.b64decode(SECRET)
        raw = bytes.fromhex(t)
        self.assertEqual(hmac.new(key, raw[:32], hashlib.sha256).digest(), raw[32:])
        # The token works: the upstream gets it as the proxy header, and a
        # forged one the client sent is not passed on.
        st, _, _ = request(port, "POST", "/app", [("Cookie", "__csrfToken=" + t),
                                                  ("__csrfToken", t), ("X-Csrf-Up", "forged")],
                           b"x")
        self.assertEqual(st, 200)
        self.assertEqual(self.seen[-1].header_all("X-Csrf-Up"), [t])
        # A request with a valid token gets it back; JSON and XML by Accept.
        st, hd, body = request(port, "GET", "/token", [("Cookie", "__csrfToken=" + t),
                                                       ("__csrfToken", t),
                                                       ("Accept", "application/json")])
        self.assertEqual(body, b'{"token":"%s"}' % t.encode())
        st, hd, body = request(port, "GET", "/token", [("Accept", "text/xml")])
        self.assertRegex(body, b"^<token>[0-9a-f]{128}</token>$")
        self.assertNotIn(t.encode(), body)

    def test_issue_new_and_cookie_spec(self):
        port = self.serve("""  issueNew: true
  doubleSubmitCookies:
    cookieName: ck
    cookie: {path: /app, domain: example.com, maxAge: 60, sameSite: Strict, httpOnly: true}
  hashAlg: SHA512
""")
        st, hd, body = request(port, "GET", "/token")
        t = body.decode()
        self.assertRegex(t, "^[0-9a-f]{256}$")
        self.assertEqual(dict(hd)["Set-Cookie"],
                         "ck=%s; Path=/app; Domain=example.com; Max-Age=60; HttpOnly; "
                         "SameSite=Strict" % t)
        st, hd, body = request(port, "GET", "/token", [("Cookie", "ck=" + t), ("__csrfToken", t)])
        self.assertNotEqual(body.decode(), t)
        # With the default secret (SHA-512 of the host name) the token checks out.
        self.assertEqual(request(port, "POST", "/app", [("Cookie", "ck=" + t),
                                                        ("__csrfToken", t)], b"x")[0], 200)

    def test_synchronizer_token(self):
        """AILERON's config-synchronizer-token.yaml: the session holds T (a
        SessionMiddleware cookie made by AILERON's rules), the header carries it."""
        import test_session
        self.seen = []
        up = self.upstream(lambda req, c: (self.seen.append(req), response(200, b"ok"))[1])
        port = free_port()
        text = config(port, up.url, """  synchronizerToken:
    tokenSource: Header # Source of token
    sourceKey: "X-CSRF-Token" # Key name of token
  secret: "%s"
  seedSize: 20
  hashAlg: SHA256
""" % SECRET).replace("  virtualHosts:\n", """  middleware:
    - apiVersion: app/v1
      kind: SessionMiddleware
  virtualHosts:
""") + "\n---\napiVersion: app/v1\nkind: SessionMiddleware\n"
        self.start(text, port)
        t = token()
        ck = "_SESSION0=" + test_session.Encoder().encode(test_session.session_json(
            {"__csrf_token__": ('"%s"' % base64.b64encode(t.encode()).decode()).encode()}))
        self.assertEqual(request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", t)],
                                 b"x")[0::2], (200, b"ok"))
        self.assertEqual(request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", "InvalidToken")],
                                 b"x")[0::2], (403, FORBIDDEN))
        self.assertEqual(len(self.seen), 1)

    def test_keep_alive_after_refusal(self):
        port = self.serve("  customRequestHeader: {allowedPattern: '^yes$'}\n")
        c = Client(port)
        c.send(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.recv_response()[0], 403)
        c.send(b"GET /app HTTP/1.1\r\nHost: x\r\nX-Requested-With: yes\r\n\r\n")
        self.assertEqual(c.recv_response()[0::2], (200, b"ok"))
        c.close()

    def check_error(self, spec, want):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:9", spec))
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True)
        os.unlink(path)
        os.rmdir(d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(want, p.stdout + p.stderr)

    def test_bad_configs(self):
        self.check_error("  invalid: parameter\n", 'unknown field "invalid"')
        self.check_error("  customRequestHeader: {}\n  doubleSubmitCookies: {}\n",
                         "only one of customRequestHeader")
        self.check_error("  customRequestHeader: {headerName: 'a b'}\n",
                         'field "headerName": must match')
        self.check_error("  customRequestHeader: {allowedPattern: '(['}\n",
                         "invalid regular expression")
        self.check_error("  secret: '!!!'\n", 'field "secret": not valid base64')
        self.check_error("  hashAlg: SHAKE128\n", "has no HMAC")
        self.check_error("  seedSize: 4\n", '"seedSize": 4 is out of range')
        self.check_error("  synchronizerToken: {tokenSource: XML}\n", '"tokenSource"')
        self.check_error("  doubleSubmitCookies: {tokenSource: XML}\n", '"tokenSource"')
