"""Basic, Key and IDKey authentication middleware through the real binary."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import tempfile
import threading
import unittest

from harness import (AileronTestCase, Client, free_port, header, request, response,
                     run_aileron, wait_for)

TOP = os.environ.get("TOP_SRCDIR", "../..")
EXAMPLES = os.path.join(TOP, "tests", "integration", "examples")

KEY = "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072"
COMMON = "ZXhhbXBsZV9wYXNzd29yZA=="  # base64("example_password")

# AILERON's examples/authn-basic/users.list, the hashed users uncommented.
USERS = {
    "bcrypt": "user1:$2a$10$RE6MCaNm1a2spVmF6mLOr.OPj.2gSybZ7EbbfdGIp4t.PZptAOstO",
    "scrypt": "user3:313233343536373839300eac003ee28752ce2f4cd115454a9266b14251fd289cea73abe423"
              "267774c64c",
    "pbkdf2": "user4:31323334353637383930d28c551ba27d9b733be0ab0b5e14e79099c796fbd53eeaa4ed2e8b"
              "27099cc078",
    "argon2i": "user5:313233343536373839304833217675af54e2c89b1526a21d43609e81941ed47871d2ef49"
               "95fe66ce3214",
    "argon2id": "user6:313233343536373839301605ff1e733a407346decf21cfbf917fa1d328b3c65c29443863"
                "7c925dde3876",
    "aescbc": "user7:313233343536373839303132333435366D3315B50BC5BDDB82DF7550A8B2D2B0",
}
CRYPT = {
    "bcrypt": "  passwordCrypt:\n    bcrypt: {}\n",
    "scrypt": "  passwordCrypt:\n    scrypt: {saltLen: 10, keyLen: 32, n: 16384, r: 8, p: 1}\n",
    "pbkdf2": "  passwordCrypt:\n    pbkdf2: {saltLen: 10, keyLen: 32, iter: 1024, "
              "hashAlg: SHA256}\n",
    "argon2i": "  passwordCrypt:\n    argon2i: {saltLen: 10, keyLen: 32, time: 2, memory: 1024, "
               "threads: 4}\n",
    "argon2id": "  passwordCrypt:\n    argon2id: {saltLen: 10, keyLen: 32, time: 2, "
                "memory: 1024, threads: 4}\n",
    "aescbc": "  commonKeyCryptType: AESCBC\n  cryptSecret: %s\n" % COMMON,
}


def basic(user, password):
    return ("Authorization", "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode())


def config(port, upstream, doc, kind):
    """One server with middleware kind in front of a proxy to upstream, debug logs."""
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  defaultLogger: {apiVersion: core/v1, kind: SLogger}
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: SLogger
spec:
  level: Debug
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
        - apiVersion: app/v1
          kind: %s
      handlers:
        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
---
apiVersion: app/v1
kind: %s
spec:
%s""" % (port, kind, upstream, kind, doc)


class AuthnTestCase(AileronTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="aileron-authn-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.secrets = []

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, kind, spec, env=None):
        """Start kind with spec (indented YAML) before an upstream that records requests."""
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.aileron = self.start(config(port, up.url, spec, kind), port, env=env)
        return port

    def tearDown(self):
        # Secrets never reach a log, even at level Debug.
        for a in self._cleanups_procs:
            out = a.output()
            for s in self.secrets:
                self.assertNotIn(s, out)
        super().tearDown()

    def refused(self, port, headers, status, body=None):
        """A refused request: its status and body; the upstream sees nothing."""
        n = len(self.seen)
        st, hd, got = request(port, "GET", "/", headers)
        self.assertEqual(st, status, headers)
        if body is not None:
            self.assertEqual(got, body)
        self.assertEqual(len(self.seen), n)
        return dict(hd)

    def passed(self, port, headers):
        """A request let through: the upstream request it made."""
        n = len(self.seen)
        st, _, body = request(port, "GET", "/", headers)
        self.assertEqual((st, body), (200, b"ok"), headers)
        self.assertEqual(len(self.seen), n + 1)
        return self.seen[-1]


class BasicTest(AuthnTestCase):
    CHALLENGE = 'Basic realm="example", charset="UTF-8"'

    def basic(self, lines, extra="", prefer=False):
        path = self.file("users.list", lines)
        return self.serve("BasicAuthnMiddleware", """  realm: example
  preferError: %s
%s  fileProvider:
    paths: [%s]
""" % ("true" if prefer else "false", extra, path))

    def challenged(self, port, headers):
        h = self.refused(port, headers, 401, b"")
        self.assertEqual(h["WWW-Authenticate"], self.CHALLENGE)
        self.assertNotIn("Content-Type", h)

    def test_plain(self):
        self.secrets = ["password0", "secret1"]
        port = self.basic("# comment\n\n  user0:password0  \r\nuser1:secret1:{\"role\": \"a\"}\n")
        req = self.passed(port, [basic("user0", "password0")])
        self.assertIsNone(req.header("Authorization"))
        self.passed(port, [basic("user1", "secret1"), ("X-Other", "1")])
        self.assertEqual(self.seen[-1].header("X-Other"), "1")
        self.challenged(port, [])
        self.challenged(port, [basic("user0", "password1")])
        self.challenged(port, [basic("user0", "password0x")])
        self.challenged(port, [basic("user0", "")])
        self.challenged(port, [basic("nobody", "password0")])
        self.challenged(port, [basic("user1", "password0")])

    def test_malformed(self):
        port = self.basic("user0:password0\n")
        good = basic("user0", "password0")[1][6:]
        for value in ("Basic", "Basic ", "Basic !!!!", "Basic " + good[:-1],
                      "Basic " + base64.b64encode(b"user0password0").decode(),
                      "Bearer " + good, "Digest " + good, good,
                      "Basic " + good + "=", "Basic " + good + " x",
                      "Basic " + base64.urlsafe_b64encode(b"\xfb\xff:password0").decode()):
            self.challenged(port, [("Authorization", value)])
        # the scheme is case-insensitive, as in Go
        self.passed(port, [("Authorization", "bAsIc " + good)])
        # a huge header: refused by the parser or by the middleware, never passed
        n = len(self.seen)
        st, _, _ = request(port, "GET", "/", [("Authorization", "Basic " + "QUFB" * 12000)])
        self.assertIn(st, (401, 431))
        self.assertEqual(len(self.seen), n)
        # the workers are all there
        self.passed(port, [basic("user0", "password0")])

    def test_keep_alive_and_bodies(self):
        port = self.basic("user0:password0\n")
        c = Client(port)
        auth = "Authorization: %s\r\n" % basic("user0", "password0")[1]
        # refused and accepted requests on one connection, pipelined
        c.send(("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /b HTTP/1.1\r\nHost: x\r\n%s\r\n"
                "GET /c HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\n\r\n"
                % auth).encode())
        self.assertEqual([c.recv_response()[0] for _ in range(3)], [401, 200, 401])
        # a refused request with a body it did not read: answered, and the
        # connection is not confused by the body
        body = b"x" * 200000
        c.send(b"POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            c.send(body)
        except OSError:
            pass
        self.assertEqual(c.recv_response()[0], 401)
        c.close()
        self.assertEqual([r.target for r in self.seen], ["/b"])
        st, _, _ = request(port, "POST", "/e", [basic("user0", "password0")], body=b"hello")
        self.assertEqual(st, 200)
        self.assertEqual(self.seen[-1].body, b"hello")

    def test_expect_continue_refused_before_100(self):
        """A client waiting for 100 Continue is answered 401 before it is
        asked for its body (Go's server asks when a handler reads it); with
        credentials it is asked, and the body goes through."""
        port = self.basic("user0:password0\n")
        c = Client(port)
        c.send(b"PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        st, hd, _ = c.recv_response()
        self.assertEqual(st, 401)  # not 100
        self.assertEqual(header(hd, "Connection"), "close")
        c.close()
        c = Client(port)
        c.send(b"PUT /g HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\nAuthorization: %s\r\n\r\n"
               % basic("user0", "password0")[1].encode())
        self.assertEqual(c.recv_response()[0], 100)
        c.send(b"hello")
        self.assertEqual(c.recv_response()[0], 200)
        c.close()
        self.assertEqual([(r.target, r.body) for r in self.seen], [("/g", b"hello")])

    def test_parallel_workers(self):
        port = self.basic(USERS["bcrypt"] + "\n", CRYPT["bcrypt"])
        good, bad = basic("user1", "password1"), basic("user1", "password2")
        results = []

        def run(i):
            for j in range(4):
                ok = (i + j) % 2 == 0
                st = request(port, "GET", "/", [good if ok else bad])[0]
                results.append((ok, st))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 32)
        for ok, st in results:
            self.assertEqual(st, 200 if ok else 401)
        self.assertEqual(len(self.seen), 16)

    def test_prefer_error(self):
        port = self.basic("user0:password0\n", prefer=True)
        self.challenged(port, [])  # no credentials: still asked for
        n = len(self.seen)
        st, hd, body = request(port, "GET", "/", [basic("user0", "wrong")])
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body), {"status": 401, "statusText": "Unauthorized"})
        self.assertNotIn("WWW-Authenticate", dict(hd))
        self.assertEqual(len(self.seen), n)

    def test_keep_credentials(self):
        port = self.basic("user0:password0\n", "  keepCredentials: true\n")
        req = self.passed(port, [basic("user0", "password0")])
        self.assertEqual(req.header("Authorization"), basic("user0", "password0")[1])

    def check_crypt(self, name, user, password):
        path = self.file("users.list", USERS[name] + "\n")
        spec = "  realm: example\n" + CRYPT[name]
        spec += "  fileProvider:\n    paths: [%s]\n" % path
        if name != "bcrypt":
            spec += "    encoding: Base16\n"
        self.secrets = [password]
        port = self.serve("BasicAuthnMiddleware", spec)
        self.passed(port, [basic(user, password)])
        self.challenged(port, [basic(user, password + "x")])
        self.challenged(port, [basic(user, password[:-1])])
        self.challenged(port, [basic("user0", password)])

    def test_bcrypt(self):
        self.check_crypt("bcrypt", "user1", "password1")

    def test_scrypt(self):
        self.check_crypt("scrypt", "user3", "password3")

    def test_pbkdf2(self):
        self.check_crypt("pbkdf2", "user4", "password4")

    def test_argon2i(self):
        self.check_crypt("argon2i", "user5", "password5")

    def test_argon2id(self):
        self.check_crypt("argon2id", "user6", "password6")

    def test_aescbc(self):
        self.check_crypt("aescbc", "user7", "password7")

    def test_env_provider(self):
        env = {"GATEWAY_BASIC_USERNAME_1": "alice", "GATEWAY_BASIC_PASSWORD_001": "wonder",
               "GATEWAY_BASIC_USERNAME_2": "bob",  # no password: ignored
               "GATEWAY_BASIC_USERNAME_X": "eve", "GATEWAY_BASIC_PASSWORD_X": "x",
               "MY_USER_7": "carol", "MY_PASS_7": base64.b64encode(b"s3cret").decode()}
        self.secrets = ["wonder"]
        port = self.serve("BasicAuthnMiddleware", "  realm: example\n", env=env)
        self.passed(port, [basic("alice", "wonder")])
        self.challenged(port, [basic("bob", "")])
        self.challenged(port, [basic("eve", "x")])
        port = self.serve("BasicAuthnMiddleware", """  realm: example
  envProvider:
    usernamePrefix: MY_USER_
    passwordPrefix: MY_PASS_
    encoding: Base64
""", env=env)
        self.passed(port, [basic("carol", "s3cret")])
        self.challenged(port, [basic("alice", "wonder")])

    def test_error_handler(self):
        path = self.file("users.list", "user0:password0\n")
        port = self.serve("BasicAuthnMiddleware", """  preferError: true
  errorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: authn}
  fileProvider:
    paths: [%s]
---
apiVersion: core/v1
kind: ErrorHandler
metadata: {name: authn}
spec:
  errorMessages:
    - codes: ["E3050"]
      mimeContents:
        - mimeType: text/plain
          template: "who are you?"
""" % path)
        st, _, body = request(port, "GET", "/", [basic("user0", "bad")])
        self.assertEqual((st, body), (401, b"who are you?"))

    def test_error_handler_kinds(self):
        # an ErrorHandler matching AILERON's kind name of E3050
        eh = """---
apiVersion: core/v1
kind: ErrorHandler
metadata: {name: authn}
spec:
  errorMessages:
    - kinds: ["AppAuthn*"]
      mimeContents:
        - mimeType: application/json
          templateType: GoText
          template: '{"error":"{{.kind}}"}'
"""
        path = self.file("users.list", "user0:password0\n")
        port = self.serve("BasicAuthnMiddleware", """  preferError: true
  errorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: authn}
  fileProvider:
    paths: [%s]
""" % path + eh)
        st, _, body = request(port, "GET", "/", [basic("user0", "bad")])
        self.assertEqual((st, json.loads(body)), (401, {"error": "AppAuthnAuthentication"}))


class KeyTest(AuthnTestCase):
    def key(self, lines, extra=""):
        path = self.file("keys.list", lines)
        return self.serve("KeyAuthnMiddleware",
                          "%s  fileProvider:\n    paths: [%s]\n" % (extra, path))

    def forbidden(self, port, headers):
        h = self.refused(port, headers, 403)
        self.assertEqual(h["Content-Type"], "application/json; charset=utf-8")

    def test_plain(self):
        self.secrets = [KEY]
        port = self.key("# keys\n%s\nother-key:{\"team\": \"x\"}\n" % KEY)
        req = self.passed(port, [("X-Api-Key", KEY)])
        self.assertIsNone(req.header("X-Api-Key"))
        self.passed(port, [("x-api-key", "other-key")])
        st, _, body = request(port, "GET", "/")
        self.assertEqual((st, json.loads(body)), (403, {"status": 403, "statusText": "Forbidden"}))
        self.assertEqual(self.seen[-1].header("X-Api-Key"), None)
        for bad in ("", KEY + "x", KEY[:-1], KEY.upper(), "other-key:{\"team\": \"x\"}"):
            self.forbidden(port, [("X-Api-Key", bad)] if bad else [])
        self.forbidden(port, [("X-Api-Id", KEY)])

    def check_hashed(self, alg, encoding, digest, hmac_secret=None):
        extra = "  hashAlg: %s\n" % alg
        if hmac_secret:
            extra += "  hmacSecret: %s\n" % hmac_secret
        path = self.file("keys.list", digest + "\n")
        self.secrets = [KEY]
        port = self.serve("KeyAuthnMiddleware", extra + "  fileProvider:\n    paths: [%s]\n"
                          "    encoding: %s\n" % (path, encoding))
        self.passed(port, [("X-Api-Key", KEY)])
        self.forbidden(port, [("X-Api-Key", digest)])
        self.forbidden(port, [("X-Api-Key", "x" + KEY)])

    def test_sha256_hex(self):
        d = hashlib.sha256(KEY.encode()).hexdigest()
        self.assertEqual(d, "d7c405e8697751f4b430f9325417b8fc1d16c83a081bb039c3b1d7bfe12a30d6")
        self.check_hashed("SHA256", "Base16", d)

    def test_sha256_base64(self):
        self.check_hashed("SHA256", "Base64",
                          base64.b64encode(hashlib.sha256(KEY.encode()).digest()).decode())

    def test_sha3_base64url(self):
        self.check_hashed("SHA3_256", "Base64RawURL", base64.urlsafe_b64encode(
            hashlib.sha3_256(KEY.encode()).digest()).decode().rstrip("="))

    def test_blake2b_base32(self):
        self.check_hashed("BLAKE2b_256", "Base32", base64.b32encode(
            hashlib.blake2b(KEY.encode(), digest_size=32).digest()).decode())

    def test_hmac_sha256_hex(self):
        d = hmac.new(b"example_password", KEY.encode(), hashlib.sha256).hexdigest()
        self.assertEqual(d, "066d62d945e88a5b2096dbbd861ff5202efba067b92d194484b64d953de6996f")
        self.check_hashed("SHA256", "Base16", d, COMMON)

    def test_env_provider_and_header_name(self):
        env = {"GATEWAY_APIKEY_1": KEY, "GATEWAY_APIKEY_ANY": "second-key",
               "TOKENS_A": hashlib.sha512(b"k1").hexdigest()}
        self.secrets = [KEY, "second-key"]
        port = self.serve("KeyAuthnMiddleware", "  keyHeaderName: Token\n", env=env)
        self.passed(port, [("Token", KEY)])
        self.passed(port, [("token", "second-key")])
        self.forbidden(port, [("X-Api-Key", KEY)])
        port = self.serve("KeyAuthnMiddleware", """  hashAlg: SHA512
  keepCredentials: true
  envProvider: {keyPrefix: TOKENS_, encoding: Base16}
""", env=env)
        self.assertEqual(self.passed(port, [("X-Api-Key", "k1")]).header("X-Api-Key"), "k1")
        self.forbidden(port, [("X-Api-Key", KEY)])

    def test_many_keys(self):
        keys = ["key-%04d-%s" % (i, "z" * (i % 7)) for i in range(500)]
        port = self.key("\n".join(keys) + "\n")
        for k in keys[::50] + keys[-1:]:
            self.passed(port, [("X-Api-Key", k)])
        self.forbidden(port, [("X-Api-Key", "key-0500-")])


class IDKeyTest(AuthnTestCase):
    # AILERON's examples/authn-idkey/keys.list, uncommented.
    LINES = {
        "plain": "user0:" + KEY,
        "sha256": "user1:d7c405e8697751f4b430f9325417b8fc1d16c83a081bb039c3b1d7bfe12a30d6",
        "hmac": "user2:066d62d945e88a5b2096dbbd861ff5202efba067b92d194484b64d953de6996f",
        "aes": "user3:313233343536373839303132333435368e1d0838f4a08ab69a5961a9ce54ae24281541e1d1"
               "fc228dae66e9b23dfcfa8cb9e9656ee728d35b29e88385a011911e",
        "sha256+aes": "user4:31323334353637383930313233343536eccf566b5b0eceb06e4ccf5c7c1339748c55"
                      "2cc91ed60cbeacaee1bc7501b4adac5b9562a46da20dee0e081fbdf58c40",
        "hmac+aes": "user5:3132333435363738393031323334353631171a0d42718570af0171844bc0d447e53e7bf"
                    "2283f96773c5f5fb71bd81d6d4dfac14e2c90d4f4540038e26689e3d6",
    }
    SPEC = {
        "plain": "",
        "sha256": "  hashAlg: SHA256\n",
        "hmac": "  hashAlg: SHA256\n  hmacSecret: %s\n" % COMMON,
        "aes": "  commonKeyCryptType: AESCBC\n  cryptSecret: %s\n" % COMMON,
        "sha256+aes": "  hashAlg: SHA256\n  commonKeyCryptType: AESCBC\n  cryptSecret: %s\n" % COMMON,
        "hmac+aes": "  hashAlg: SHA256\n  hmacSecret: %s\n  commonKeyCryptType: AESCBC\n"
                    "  cryptSecret: %s\n" % (COMMON, COMMON),
    }

    def check(self, name):
        # a second user, whose key is not the one sent (plain: any text)
        other = "user9:other\n" if name == "plain" else ""
        path = self.file("keys.list", other + self.LINES[name] + "\n")
        user = self.LINES[name].split(":")[0]
        self.secrets = [KEY]
        spec = self.SPEC[name] + "  fileProvider:\n    paths: [%s]\n" % path
        if name != "plain":
            spec += "    encoding: Base16\n"
        port = self.serve("IDKeyAuthnMiddleware", spec)
        req = self.passed(port, [("X-Api-Id", user), ("X-Api-Key", KEY), ("X-Keep", "1")])
        self.assertIsNone(req.header("X-Api-Id"))
        self.assertIsNone(req.header("X-Api-Key"))
        self.assertEqual(req.header("X-Keep"), "1")
        for headers in ([("X-Api-Id", user)], [("X-Api-Key", KEY)], [],
                        [("X-Api-Id", user), ("X-Api-Key", KEY + "x")],
                        [("X-Api-Id", "user9"), ("X-Api-Key", KEY)],
                        [("X-Api-Id", "nobody"), ("X-Api-Key", KEY)],
                        [("X-Api-Id", ""), ("X-Api-Key", KEY)]):
            st, _, body = request(port, "GET", "/", headers)
            self.assertEqual(st, 403, headers)
            self.assertEqual(json.loads(body), {"status": 403, "statusText": "Forbidden"})
        self.assertEqual(len(self.seen), 1)

    def test_plain(self):
        self.check("plain")

    def test_sha256(self):
        self.check("sha256")

    def test_hmac(self):
        self.check("hmac")

    def test_aes(self):
        self.check("aes")

    def test_sha256_aes(self):
        self.check("sha256+aes")

    def test_hmac_aes(self):
        self.check("hmac+aes")

    def test_env_provider(self):
        env = {"GATEWAY_APIKEY_ID_3": "svc", "GATEWAY_APIKEY_KEY_3": KEY,
               "GATEWAY_APIKEY_ID_4": "lonely"}
        self.secrets = [KEY]
        port = self.serve("IDKeyAuthnMiddleware", "  idHeaderName: X-Client\n", env=env)
        self.passed(port, [("X-Client", "svc"), ("X-Api-Key", KEY)])
        self.refused(port, [("X-Api-Id", "svc"), ("X-Api-Key", KEY)], 403)
        self.refused(port, [("X-Client", "lonely"), ("X-Api-Key", KEY)], 403)


def www_params(value):
    """The parameters of a Digest challenge, as a dict."""
    assert value.startswith("Digest "), value
    out = {}
    for part in value[7:].split(", "):
        k, v = part.split("=", 1)
        out[k] = v.strip('"')
    return out


def digest_header(user, password, realm, alg, nonce, method="GET", uri="/", nc=1,
                  cnonce="0a4f113b", qop="auth", extra=""):
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256,
         "SHA-512-256": lambda b: hashlib.new("sha512_256", b)}[alg]

    def H(s):
        return h(s.encode()).hexdigest()
    ha1 = H("%s:%s:%s" % (user, realm, password))
    ha2 = H("%s:%s" % (method, uri))
    resp = H("%s:%s:%08x:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    return ("Authorization", 'Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'algorithm=%s, response="%s", qop=%s, nc=%08x, cnonce="%s"%s' % (
                user, realm, nonce, uri, alg, resp, qop, nc, cnonce, extra))


class DigestTest(AuthnTestCase):
    def digest(self, alg="SHA-256", extra=""):
        path = self.file("users.list", "user0:password0\nuser1:p,a\"ss\n")
        self.alg = alg
        self.secrets = ["password0"]
        return self.serve("DigestAuthnMiddleware", """  realm: example
  algorithm: %s
%s  fileProvider:
    paths: [%s]
""" % (alg, extra, path))

    def challenge(self, port, headers=(), stale=False):
        h = self.refused(port, list(headers), 401, b"")
        p = www_params(h["WWW-Authenticate"])
        self.assertEqual((p["realm"], p["qop"], p["algorithm"], p["charset"]),
                         ("example", "auth", self.alg, "UTF-8"))
        self.assertEqual(p.get("stale") == "true", stale, h["WWW-Authenticate"])
        self.assertEqual(len(p["nonce"]), 48)
        return p["nonce"]

    def check_alg(self, alg):
        port = self.digest(alg)
        nonce = self.challenge(port)
        req = self.passed(port, [digest_header("user0", "password0", "example", alg, nonce)])
        self.assertIsNone(req.header("Authorization"))
        # the same nonce count again is a replay; the next one is not
        self.challenge(port, [digest_header("user0", "password0", "example", alg, nonce)])
        self.passed(port, [digest_header("user0", "password0", "example", alg, nonce, nc=2)])
        self.challenge(port, [digest_header("user0", "password0", "example", alg, nonce, nc=2)])
        self.passed(port, [digest_header("user1", 'p,a"ss', "example", alg, nonce, nc=9)])

    def test_sha256(self):
        self.check_alg("SHA-256")

    def test_md5(self):
        self.check_alg("MD5")

    def test_sha512_256(self):
        self.check_alg("SHA-512-256")

    def test_refused(self):
        port = self.digest()
        nonce = self.challenge(port)
        good = dict(user="user0", password="password0", realm="example", alg="SHA-256",
                    nonce=nonce)
        for change in (dict(password="password1"), dict(user="nobody"),
                       dict(realm="other"), dict(uri="/other"), dict(method="POST"),
                       dict(qop="auth-int"), dict(nc=0), dict(cnonce=""),
                       dict(nonce=nonce[:-4] + "AAAA"),
                       dict(nonce=base64.b64encode(os.urandom(36)).decode()),
                       # AILERON's test vector: its nonces are never checked
                       dict(nonce="abc"), dict(extra=", userhash=true"),
                       dict(extra=", nonce=\"%s\"" % nonce)):
            args = dict(good)
            args.update(change)
            h = digest_header(args.pop("user"), args.pop("password"), args.pop("realm"),
                              args.pop("alg"), args.pop("nonce"), **args)
            self.challenge(port, [h])
        # the client's algorithm must be the one asked for
        h = digest_header("user0", "password0", "example", "SHA-256", nonce, nc=5)
        self.challenge(port, [(h[0], h[1].replace("algorithm=SHA-256", "algorithm=MD5"))])
        self.passed(port, [h])

    def test_malformed(self):
        port = self.digest()
        nonce = self.challenge(port)
        good = digest_header("user0", "password0", "example", "SHA-256", nonce)[1]
        for value in ("Digest", "Digest ", "Basic " + good[7:], good.replace('", ', '" '),
                      good + ', x="unterminated', good + ", =x", good + ", x=",
                      good.replace("username=", "user name="), "Digest " + "a=b," * 3000,
                      'Digest username="' + "u" * 20000 + '"'):
            st, hd, body = request(port, "GET", "/", [("Authorization", value)])
            self.assertIn(st, (401, 431), value[:80])
        self.assertEqual(self.seen, [])
        # spaces around "=" and odd case are fine; the header passes once
        self.passed(port, [("Authorization", good.replace("Digest", "digest").replace(
            "response=", "Response = "))])

    def test_keep_and_query(self):
        port = self.digest(extra="  keepCredentials: true\n")
        nonce = self.challenge(port)
        h = digest_header("user0", "password0", "example", "SHA-256", nonce, uri="/a?b=1&c")
        n = len(self.seen)
        st, _, _ = request(port, "GET", "/a?b=1&c", [h])
        self.assertEqual(st, 200)
        self.assertEqual(self.seen[n].header("Authorization"), h[1])

    def test_reload_makes_nonces_stale(self):
        port = self.digest()
        nonce = self.challenge(port)
        self.passed(port, [digest_header("user0", "password0", "example", "SHA-256", nonce)])
        old = set(self.aileron.worker_pids())
        self.aileron.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: not old & set(self.aileron.worker_pids()), 10))
        h = digest_header("user0", "password0", "example", "SHA-256", nonce, nc=2)
        self.challenge(port, [h], stale=True)
        # and a wrong password with it is not stale
        self.challenge(port, [digest_header("user0", "x", "example", "SHA-256", nonce, nc=3)])


class ExampleTest(AileronTestCase):
    """AILERON's examples/authn-*, unchanged, run from a directory holding
    them as _example/<name> (the paths they name), on a free port."""

    def enter(self, name):
        tmp = tempfile.mkdtemp(prefix="aileron-example-")
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(os.path.join(EXAMPLES, name), os.path.join(tmp, "_example", name))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(tmp)
        cfg = os.path.join("_example", name, "config.yaml")
        rc, out = run_aileron(["-c", "-f", cfg])
        self.assertEqual(rc, 0, out)
        port = free_port()
        with open(cfg) as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.start(text, port)
        return port

    def test_basic(self):
        port = self.enter("authn-basic")
        st, hd, body = request(port, "GET", "/")
        self.assertEqual((st, body), (401, b""))
        self.assertEqual(dict(hd)["WWW-Authenticate"], BasicTest.CHALLENGE)
        st, _, body = request(port, "GET", "/", [basic("user0", "password0")])
        self.assertEqual(st, 200)
        self.assertIn(b"---------- Request ----------", body)
        self.assertNotIn(b"Authorization", body)
        self.assertEqual(request(port, "GET", "/", [basic("user0", "password1")])[0], 401)
        # the commented users are not there
        self.assertEqual(request(port, "GET", "/", [basic("user1", "password1")])[0], 401)

    def test_key(self):
        # no provider written: the environment, GATEWAY_APIKEY_*
        os.environ["GATEWAY_APIKEY_1"] = KEY
        self.addCleanup(os.environ.pop, "GATEWAY_APIKEY_1")
        port = self.enter("authn-key")
        st, _, body = request(port, "GET", "/", [("X-Api-Key", KEY)])
        self.assertEqual(st, 200)
        self.assertNotIn(KEY.encode(), body)
        st, _, body = request(port, "GET", "/", [("X-Api-Key", "wrong")])
        self.assertEqual((st, json.loads(body)), (403, {"status": 403, "statusText": "Forbidden"}))
        self.assertEqual(request(port, "GET", "/")[0], 403)

    def test_idkey(self):
        port = self.enter("authn-idkey")
        st, _, body = request(port, "GET", "/", [("X-Api-Id", "user0"), ("X-Api-Key", KEY)])
        self.assertEqual(st, 200)
        self.assertNotIn(KEY.encode(), body)
        self.assertNotIn(b"X-Api-Id", body)
        for headers in ([("X-Api-Id", "user0"), ("X-Api-Key", "wrong")], [("X-Api-Key", KEY)],
                        [("X-Api-Id", "user1"), ("X-Api-Key", KEY)]):
            self.assertEqual(request(port, "GET", "/", headers)[0], 403, headers)


    def test_digest(self):
        port = self.enter("authn-digest")
        st, hd, body = request(port, "GET", "/")
        self.assertEqual((st, body), (401, b""))
        nonce = www_params(dict(hd)["WWW-Authenticate"])["nonce"]
        h = digest_header("user0", "password0", "example", "SHA-256", nonce, uri="/x")
        st, _, body = request(port, "GET", "/x", [h])
        self.assertEqual(st, 200)
        self.assertNotIn(b"Authorization", body)
        h = digest_header("user0", "password1", "example", "SHA-256", nonce, uri="/x", nc=2)
        self.assertEqual(request(port, "GET", "/x", [h])[0], 401)


class ConfigErrorTest(unittest.TestCase):
    """Bad configs: `aileron -c` says what and where; no secret in the message."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aileron-authn-conf-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def check(self, kind, spec, want, files=None, secret=None):
        for name, text in (files or {}).items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        path = os.path.join(self.dir, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:9", spec.replace("DIR", self.dir),
                           kind))
        rc, out = run_aileron(["-c", "-f", path])
        self.assertNotEqual(rc, 0, out)
        self.assertIn(want, out)
        if secret:
            self.assertNotIn(secret, out)
        return out

    def test_bad_enums(self):
        self.check("KeyAuthnMiddleware", "  hashAlg: SHA257\n", "SHA257")
        self.check("KeyAuthnMiddleware", "  envProvider: {encoding: Base17}\n", "Base17")
        self.check("BasicAuthnMiddleware", "  commonKeyCryptType: DES\n", "DES")
        self.check("BasicAuthnMiddleware", "  passwordCrypt: {md5: {}}\n", "md5")

    def test_missing_file(self):
        out = self.check("BasicAuthnMiddleware", "  fileProvider: {paths: [DIR/nope.list]}\n",
                         "nope.list")
        self.assertIn("No such file", out)

    def test_bad_lines(self):
        for line, want in (("user0password0", "line 2: expected user:secret"),
                           ("user0:zz", "line 2: the secret is not valid Base16"),
                           ("user0:", "line 2: empty secret"),
                           (":616263", "line 2: empty user"),
                           ("user0:616263:notjson", "is not a JSON object"),
                           ("user0:616263\nuser0:616263", "duplicate user \"user0\"")):
            out = self.check("BasicAuthnMiddleware",
                             "  fileProvider: {paths: [DIR/u.list], encoding: Base16}\n",
                             want, {"u.list": "# users\n" + line + "\n"})
            self.assertIn("u.list", out)
            self.assertNotIn("616263", out)
            self.assertNotIn("password0", out)

    def test_key_lines(self):
        # AILERON's id:key form is not a key with attributes
        self.check("KeyAuthnMiddleware", "  fileProvider: {paths: [DIR/k.list]}\n",
                   "line 1: the text after the key is not a JSON object",
                   {"k.list": "user0:%s\n" % KEY}, secret=KEY)
        self.check("KeyAuthnMiddleware", "  fileProvider: {paths: [DIR/k.list]}\n",
                   "line 2: duplicate key", {"k.list": "%s\n%s\n" % (KEY, KEY)}, secret=KEY)

    def test_env_errors(self):
        env = dict(os.environ, GATEWAY_BASIC_USERNAME_1="a", GATEWAY_BASIC_PASSWORD_1="zz")
        path = os.path.join(self.dir, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:9", "  envProvider: {encoding: Base16}\n",
                           "BasicAuthnMiddleware"))
        rc, out = run_aileron(["-c", "-f", path], env=env)
        self.assertNotEqual(rc, 0)
        self.assertIn("environment variable GATEWAY_BASIC_PASSWORD_1: the secret is not valid", out)

    def test_secrets_and_oneofs(self):
        self.check("KeyAuthnMiddleware", "  hmacSecret: %s\n" % COMMON,
                   "hmacSecret needs hashAlg")
        self.check("KeyAuthnMiddleware", "  hashAlg: SHAKE128\n  hmacSecret: %s\n" % COMMON,
                   "SHAKE128 cannot make an HMAC")
        self.check("KeyAuthnMiddleware", "  hashAlg: SHA256\n  hmacSecret: '!!'\n",
                   "hmacSecret: expected base64")
        self.check("IDKeyAuthnMiddleware", "  cryptSecret: %s\n" % COMMON,
                   "cryptSecret needs commonKeyCryptType")
        self.check("BasicAuthnMiddleware", "  commonKeyCryptType: AESCBC\n  cryptSecret: "
                   "c2hvcnQ=\n", "16, 24 or 32-byte key")
        for n in (66, 200):  # longer than any key: refused, not overflowed
            self.check("BasicAuthnMiddleware", "  commonKeyCryptType: AESCBC\n  cryptSecret: %s\n"
                       % base64.b64encode(b"k" * n).decode(), "16, 24 or 32-byte key")
        self.check("BasicAuthnMiddleware", "  commonKeyCryptType: AESGCM\n  cryptSecret: %s\n"
                   "  fileProvider: {paths: [DIR/u.list], encoding: Base16}\n" % COMMON,
                   "cannot decrypt the secret of user \"user7\"", {"u.list": USERS["aescbc"]})
        self.check("BasicAuthnMiddleware", "  envProvider: {}\n  fileProvider: {paths: []}\n",
                   "only one of envProvider and fileProvider")
        self.check("BasicAuthnMiddleware", "  passwordCrypt: {bcrypt: {}, scrypt: {}}\n",
                   "only one of bcrypt")
        self.check("BasicAuthnMiddleware", "  passwordCrypt:\n    scrypt: {n: 1000}\n",
                   "power of 2")
        self.check("BasicAuthnMiddleware", "  realm: \"a\\nb\"\n", "no control characters")
        self.check("BasicAuthnMiddleware", "  errorHandler: {apiVersion: core/v1, "
                   "kind: ErrorHandler, name: nope}\n", "nope")
        self.check("BasicAuthnMiddleware", "  unknownField: 1\n", "unknownField")
        self.check("DigestAuthnMiddleware", "  algorithm: SHA-1\n", "algorithm: expected MD5")
        self.check("DigestAuthnMiddleware", "  passwordCrypt: {bcrypt: {}}\n",
                   "Digest needs the passwords themselves")
        self.check("DigestAuthnMiddleware", "  realm: 'a\"b'\n", "no control characters")


if __name__ == "__main__":
    unittest.main()
