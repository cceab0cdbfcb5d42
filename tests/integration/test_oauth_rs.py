"""AuthenticationMiddleware with an OAuthAuthenticationHandler resource server
(local JWT validation) through the real binary; tokens signed here."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness import AileronTestCase, free_port, request, response, run_aileron

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "examples", "authn-resource-server")
AILERON = os.environ.get("AILERON", os.path.join(HERE, "..", "..", "aileron"))

ISS = "http://test.provider.com/"
AUD = "test-audience"
BODY_401 = b'{"status":401,"statusText":"Unauthorized"}'
CHALLENGE = 'Bearer error="invalid_token"'


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def config(port, up_url, handler_spec, mw_spec=""):
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
          kind: AuthenticationMiddleware
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
kind: AuthenticationMiddleware
spec:
  handlers:
    - apiVersion: app/v1
      kind: OAuthAuthenticationHandler
%s---
apiVersion: app/v1
kind: OAuthAuthenticationHandler
spec:
%s""" % (port, up_url, mw_spec, handler_spec)


def jwk(key, kid, **extra):
    """The public JWK of an RSA or EC private key."""
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
        d = {"kty": "RSA", "n": b64url(n), "e": b64url(pub.e.to_bytes(3, "big"))}
    else:
        w = (key.curve.key_size + 7) // 8
        d = {"kty": "EC", "crv": {256: "P-256", 384: "P-384", 521: "P-521"}[key.curve.key_size],
             "x": b64url(pub.x.to_bytes(w, "big")), "y": b64url(pub.y.to_bytes(w, "big"))}
    d["kid"] = kid
    d.update(extra)
    return d


class OAuthRSTest(AileronTestCase):

    @classmethod
    def setUpClass(cls):
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = ec.generate_private_key(ec.SECP256R1())
        cls.ec384 = ec.generate_private_key(ec.SECP384R1())

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="aileron-oauth-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def file(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def keys_spec(self):
        return """      jwtHandler:
        publicKeys:
          - {keyID: rsa-key, algorithm: RS256, keyType: PUBLIC, keyFilePath: %s}
          - {keyID: ec-key, algorithm: ES256, keyType: PUBLIC, keyFilePath: %s}
          - {keyID: ps-key, keyType: PUBLIC, keyFilePath: %s}
          - {keyID: ec384-key, keyType: PRIVATE, keyString: %s}
          - {keyID: hs-key, algorithm: HS256, keyType: COMMON, keyString: %s}
""" % (self.file("rsa.pem", pem_public(self.rsa)), self.file("ec.pem", pem_public(self.ec)),
            self.file("rsa-ps.pem", pem_public(self.rsa)),
            base64.b64encode(pem_private(self.ec384)).decode(),
            base64.b64encode(b"test-common-key").decode())

    def spec(self, extra=""):
        return """  resourceServerHandler: {}
  contexts:
    - name: default
      atProxyHeader: X-Access-Token
      provider: {issuer: "%s"}
      client: {id: test-client, audience: %s}
%s%s""" % (ISS, AUD, self.keys_spec(), extra)

    def serve(self, spec=None, mw_spec="", **kw):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, spec if spec is not None else self.spec(), mw_spec), port,
                   **kw)
        return port

    def claims(self, **kw):
        now = int(time.time())
        c = {"iss": ISS, "aud": [AUD], "sub": "alice", "exp": now + 300, "iat": now}
        for k, v in kw.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def token(self, kid="rsa-key", alg="RS256", key=None, **kw):
        if key is None:
            key = {"RS256": self.rsa, "PS256": self.rsa, "ES256": self.ec, "ES384": self.ec384,
                   "HS256": b"test-common-key"}[alg]
        headers = {"kid": kid} if kid is not None else {}
        return jwt.encode(self.claims(**kw), key, algorithm=alg, headers=headers)

    def passed(self, port, value, header="Authorization", path="/"):
        n = len(self.seen)
        st, _, body = request(port, "GET", path, [(header, value)])
        self.assertEqual((st, body), (200, b"ok"), value[:200])
        self.assertEqual(len(self.seen), n + 1)
        return self.seen[-1]

    def refused(self, port, headers, challenge=True):
        n = len(self.seen)
        st, hd, body = request(port, "GET", "/", headers)
        self.assertEqual((st, body), (401, BODY_401), [(k, v[:200]) for k, v in headers])
        h = dict(hd)
        if challenge:
            self.assertEqual(h.get("WWW-Authenticate"), CHALLENGE)
        else:
            self.assertNotIn("WWW-Authenticate", h)
        self.assertEqual(len(self.seen), n)

    def bad(self, port, token):
        self.refused(port, [("Authorization", "Bearer " + token)])

    def test_valid_tokens_pass_with_what_aileron_forwards(self):
        port = self.serve()
        tok = self.token()
        req = self.passed(port, "Bearer " + tok)
        # The Authorization header is kept; atProxyHeader carries the bare token.
        self.assertEqual(req.header("Authorization"), "Bearer " + tok)
        self.assertEqual(req.header("X-Access-Token"), tok)
        self.passed(port, "Bearer " + self.token("ec-key", "ES256"))
        self.passed(port, "Bearer " + self.token("ps-key", "PS256"))
        self.passed(port, "Bearer " + self.token("ec384-key", "ES384"))
        self.passed(port, "Bearer " + self.token("hs-key", "HS256"))
        # Without "Bearer " the token is taken as it is.
        self.passed(port, tok)
        # aud as a string; nbf and iat in the past; within the 5 s leeway.
        now = int(time.time())
        self.passed(port, "Bearer " + self.token(aud=AUD))
        self.passed(port, "Bearer " + self.token(nbf=now - 10, iat=now - 10))
        self.passed(port, "Bearer " + self.token(exp=now - 2))
        self.passed(port, "Bearer " + self.token(nbf=now + 2, iat=now + 2))
        self.passed(port, "Bearer " + self.token(exp=now + 300.5))

    def test_no_token_is_401_without_challenge(self):
        port = self.serve()
        self.refused(port, [], challenge=False)
        # "Bearer " arrives trimmed ("Bearer"): a token that is not valid, as in Go
        self.refused(port, [("Authorization", "Bearer ")])
        self.refused(port, [("X-Access-Token", self.token())], challenge=False)

    def test_invalid_claims(self):
        port = self.serve()
        now = int(time.time())
        for kw in ({"exp": now - 60}, {"exp": None}, {"exp": "soon"},
                   {"nbf": now + 60}, {"iat": now + 60},
                   {"iss": "http://other/"}, {"iss": None},
                   {"aud": ["other"]}, {"aud": "other"}, {"aud": None}, {"aud": 5}):
            self.bad(port, self.token(**kw))
        # a payload that is not a JSON object
        h = b64url(json.dumps({"alg": "HS256", "kid": "hs-key"}).encode())
        for payload in (b"[1]", b"not json", b'{"exp": 1, "exp": 99999999999}'):
            p = b64url(payload)
            sig = b64url(hmac.new(b"test-common-key", ("%s.%s" % (h, p)).encode(),
                                  hashlib.sha256).digest())
            self.bad(port, "%s.%s.%s" % (h, p, sig))
        self.passed(port, "Bearer " + self.token())

    def test_invalid_signatures_and_keys(self):
        port = self.serve()
        good = self.token()
        h, p, s = good.split(".")
        # unknown kid, no kid (every key has one), another key under our kid
        self.bad(port, self.token(kid="wrong-key"))
        self.bad(port, self.token(kid=None))
        self.bad(port, self.token(key=self.rsa2))
        # the payload changed under the signature
        other = b64url(json.dumps(self.claims(sub="mallory")).encode())
        self.bad(port, "%s.%s.%s" % (h, other, s))
        self.bad(port, "%s.%s.%s" % (h, p, s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")))
        # alg none: with and without a signature
        for kid in ("rsa-key", "hs-key", None):
            hdr = {"alg": "none", "typ": "JWT"}
            if kid:
                hdr["kid"] = kid
            nh = b64url(json.dumps(hdr).encode())
            self.bad(port, "%s.%s." % (nh, p))
            self.bad(port, "%s.%s.%s" % (nh, p, s))
        # HS256 signed with the RSA public key's PEM (key confusion)
        hh = b64url(json.dumps({"alg": "HS256", "kid": "rsa-key"}).encode())
        for secret in (pem_public(self.rsa), pem_public(self.rsa).strip()):
            sig = b64url(hmac.new(secret, ("%s.%s" % (hh, p)).encode(), hashlib.sha256).digest())
            self.bad(port, "%s.%s.%s" % (hh, p, sig))
        # an alg that does not fit the key: RS256 token with the EC kid, ES256 under rsa-key
        self.bad(port, self.token(kid="ec-key", alg="RS256"))
        self.bad(port, self.token(kid="rsa-key", alg="ES256"))
        # the key's configured algorithm wins: PS256 under rsa-key (RS256 only)
        self.bad(port, self.token(kid="rsa-key", alg="PS256"))
        # HS256 under the wrong secret
        self.bad(port, self.token(kid="hs-key", alg="HS256", key=b"another-key"))
        self.passed(port, "Bearer " + good)

    def test_malformed_tokens(self):
        port = self.serve()
        good = self.token()
        h, p, s = good.split(".")
        for t in ("abc", "a.b", "a.b.c", "a.b.c.d", "..", good + ".", "." + good,
                  h + "=." + p + "." + s, h + "." + p + "==." + s, h + "." + p + "." + s + "=",
                  h + ".." + s, "%s.%s.%s" % (h, p, s.replace("-", "+").replace("_", "/")),
                  b64url(b"{not json") + "." + p + "." + s,
                  b64url(b'{"alg": 5}') + "." + p + "." + s,
                  b64url(b'{"alg": "RS256", "kid": 5}') + "." + p + "." + s,
                  b64url(b'{"alg": "RS256", "kid": "rsa-key", "crit": ["x"]}') + "." + p + "." + s,
                  "\u00e9" + good):
            self.refused(port, [("Authorization", "Bearer " + t)])
        self.refused(port, [("Authorization", "bearer " + good)])
        self.refused(port, [("Authorization", "Bearer  " + good)])
        # A huge token: refused by the parser (431) or by the handler (401).
        n = len(self.seen)
        huge = h + "." + b64url(b"x" * 30000) + "." + s
        st, _, _ = request(port, "GET", "/", [("Authorization", "Bearer " + huge)])
        self.assertIn(st, (401, 431))
        self.assertEqual(len(self.seen), n)
        # the workers are all there
        self.passed(port, "Bearer " + good)

    def test_validation_options(self):
        spec = self.spec("""      atValidation:
        iss: "-"
        aud: "-"
        expOptional: true
        iatDisabled: true
        leeway: 100
        validMethods: [ES256]
""")
        port = self.serve(spec)
        now = int(time.time())
        self.passed(port, "Bearer " + self.token("ec-key", "ES256", iss="x", aud="y", exp=None,
                                                 iat=now + 1000))
        self.passed(port, "Bearer " + self.token("ec-key", "ES256", exp=now - 50, nbf=now + 50))
        self.bad(port, self.token("ec-key", "ES256", exp=now - 150))
        self.bad(port, self.token())  # RS256 is not a valid method here

    def test_contexts_and_header_key(self):
        spec = """  contextQueryKey: foo
  resourceServerHandler: {headerKey: X-Token}
  contexts:
    - name: bar
      provider: {issuer: "%s"}
      client: {id: test-client, audience: %s}
%s""" % (ISS, AUD, self.keys_spec())
        port = self.serve(spec)
        tok = self.token()
        self.passed(port, tok, header="X-Token", path="/?foo=bar")
        self.passed(port, "Bearer " + tok, header="X-Token", path="/?a=1&foo=bar")
        n = len(self.seen)
        for path, headers in (("/", [("X-Token", tok)]), ("/?foo=baz", [("X-Token", tok)]),
                              ("/?foo=bar", [("Authorization", "Bearer " + tok)]),
                              ("/", [("X-Token", tok), ("foo", "bar")])):
            st, hd, body = request(port, "GET", path, headers)
            self.assertEqual((st, body), (401, BODY_401), path)
            self.assertNotIn("WWW-Authenticate", dict(hd))
        self.assertEqual(len(self.seen), n)
        st, _, body = request(port, "GET", "/?foo=bar", [("X-Token", self.token(kid="nope"))])
        self.assertEqual((st, body), (401, BODY_401))

    def test_two_handlers(self):
        # The first handler has no context for the request: the second decides.
        spec = self.spec()
        port = free_port()
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        text = config(port, up.url, spec, """    - apiVersion: app/v1
      kind: OAuthAuthenticationHandler
      name: other
""").replace("kind: OAuthAuthenticationHandler\nspec:\n", """kind: OAuthAuthenticationHandler
metadata: {name: other}
spec:
  contextHeaderKey: X-Ctx
  resourceServerHandler: {}
  contexts: [{name: only-this}]
---
apiVersion: app/v1
kind: OAuthAuthenticationHandler
spec:
""", 1)
        self.start(text, port)
        self.passed(port, "Bearer " + self.token())

    def test_error_handler(self):
        # The middleware's errorHandler writes both 401s (no challenge then).
        port = self.serve(self.spec() + """---
apiVersion: core/v1
kind: ErrorHandler
metadata: {name: authn}
spec:
  errorMessages:
    - codes: ["E3050"]
      mimeContents:
        - mimeType: text/plain
          template: "who are you?"
""", mw_spec="  errorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: authn}\n")
        n = len(self.seen)
        for headers in ([], [("Authorization", "Bearer " + self.token(kid="nope"))]):
            st, hd, body = request(port, "GET", "/", headers)
            self.assertEqual((st, body), (401, b"who are you?"))
            self.assertNotIn("WWW-Authenticate", dict(hd))
        self.assertEqual(len(self.seen), n)
        self.passed(port, "Bearer " + self.token())

    def test_jwks(self):
        self.jwks = {"keys": [jwk(self.rsa2, "k1", alg="RS256", use="sig"), jwk(self.ec, "k2"),
                              {"kty": "oct", "kid": "k3", "k": b64url(b"test-common-key")},
                              jwk(self.ec384, "k4", use="enc")]}
        fetched = []

        def handle(req, c):
            fetched.append(req.target)
            return response(200, json.dumps(self.jwks).encode(),
                            [("Content-Type", "application/json")])
        keys = self.upstream(handle)
        port = self.serve(self.spec("""      jwtHandler:
        JWKs: {"%s": "%s/jwks", "http://other/": "%s/other"}
""" % (ISS, keys.url, keys.url)).replace(self.keys_spec(), ""), extra_args=("-X",))
        self.passed(port, "Bearer " + self.token("k1", key=self.rsa2))
        self.passed(port, "Bearer " + self.token("k2", "ES256"))
        self.assertEqual(fetched, ["/jwks"])  # one process (-X), one fetch: kept
        n = len(fetched)
        # an oct key from a URL, a key not for signatures, a kid-less token,
        # the wrong alg for k1, a key signed by another key under k1
        self.bad(port, self.token("k3", "HS256"))
        self.bad(port, self.token("k4", "ES384"))
        self.bad(port, self.token(None, key=self.rsa2))
        self.bad(port, self.token("k1", "PS256", key=self.rsa2))
        self.bad(port, self.token("k1", key=self.rsa))
        # another issuer's token: that issuer's set is fetched, then iss refuses it
        self.bad(port, self.token("k1", key=self.rsa2, iss="http://other/"))
        self.assertEqual(fetched[n:], ["/other"])
        n += 1
        # unknown kids fetch again, at most every 5 s
        self.jwks["keys"].append(jwk(self.rsa, "k5"))
        self.bad(port, self.token("k5"))
        self.bad(port, self.token("k6"))
        self.assertEqual(len(fetched), n)
        time.sleep(5.2)
        self.passed(port, "Bearer " + self.token("k5"))
        self.assertEqual(len(fetched), n + 1)

    def check_error(self, spec, msg, mw_spec=""):
        path = self.file("bad.yaml", config(free_port(), "http://127.0.0.1:1", spec,
                                            mw_spec).encode())
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 1, spec)
        self.assertIn(msg, out, spec)

    def test_config_errors(self):
        rs = "  resourceServerHandler: {}\n"
        self.check_error("  contexts: []\n",
                         "one of authorizationCodeHandler, clientCredentialsHandler, "
                         "resourceServerHandler and ropcHandler is required")
        self.check_error(rs + "  ropcHandler: {}\n", "only one of authorizationCodeHandler")
        ctx = rs + "  contexts:\n    - name: a\n"
        self.check_error(ctx + "      enableIntrospection: true\n",
                         "enableIntrospection: needs provider.endpoints.introspection or discovery")
        self.check_error(ctx + "      enableIntrospection: true\n"
                         "      provider: {baseURL: 'ftp://x', endpoints: {introspection: /i}}\n",
                         "not an http:// or https:// URL")
        self.check_error(ctx + "      enableIntrospection: true\n"
                         "      provider: {endpoints: {introspection: 'http://u:p@idp/i'}}\n",
                         "credentials in the URL are not supported")
        self.check_error(ctx + "      enableIntrospection: true\n"
                         "      provider: {endpoints: {discovery: \"http://idp/a\\r\\nX: y\"}}\n",
                         "without spaces, controls")
        self.check_error(ctx + "      jwtHandler: {JWKs: {a: 'ftp://x/'}}\n",
                         "jwtHandler.JWKs[a]: ftp://x/: not an http:// or https:// URL")
        self.check_error(ctx + "      jwtHandler: {JWKs: [a]}\n", "a mapping of issuers")
        self.check_error(ctx + "      jwtHandler: {useJKU: true}\n",
                         "a token must not choose where its keys come from")
        keys = ctx + "      jwtHandler:\n        publicKeys:\n          - "
        pub = self.file("pub.pem", pem_public(self.rsa))
        self.check_error(keys + "{algorithm: NONE, keyType: PUBLIC, keyFilePath: %s}\n" % pub,
                         "NONE is refused")
        self.check_error(keys + "{algorithm: NONE}\n", "NONE is refused")
        self.check_error(keys + "{algorithm: HS256, keyType: PUBLIC, keyFilePath: %s}\n" % pub,
                         "does not fit the key")
        self.check_error(keys + "{algorithm: ES256, keyType: PUBLIC, keyFilePath: %s}\n" % pub,
                         "does not fit the key")
        self.check_error(keys + "{keyType: PUBLIC, keyFilePath: /nonexistent/k.pem}\n",
                         "cannot open /nonexistent/k.pem")
        self.check_error(keys + "{keyType: PUBLIC, keyString: bm90IGEga2V5}\n",
                         "not a PEM public key")
        self.check_error(keys + "{keyType: PUBLIC}\n", "keyFilePath or keyString")
        self.check_error(keys + "{algorithm: RS256, keyFilePath: %s}\n" % pub, "keyType")
        self.check_error(keys + "{algorithm: EdDSA, keyType: PUBLIC, keyFilePath: %s}\n" % pub,
                         "EdDSA is not supported yet")
        small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.check_error(keys + "{keyType: PUBLIC, keyFilePath: %s}\n"
                         % self.file("small.pem", pem_public(small)), "2048 bits")
        self.check_error(ctx + "      atValidation: {validMethods: [none]}\n",
                         'unknown or refused algorithm "none"')
        self.check_error(ctx + "      atValidation: {leeway: -1}\n", "leeway")
        self.check_error(ctx + "      unknownField: 1\n", "unknownField")
        self.check_error(rs + "  contexts: [{name: a}, {name: a}]\n", 'a second context named "a"')
        self.check_error(rs, "an authentication handler",
                         "    - {apiVersion: core/v1, kind: SLogger}\n")


class ExampleTest(AileronTestCase):
    """AILERON's examples/authn-resource-server: the configs as they are; the
    key file they name (keycloak/keys/public.key) made from the example's
    public.pem, tokens signed with its private.pem (the README's have expired)."""

    KID = "LO9dmmUtUOiV1P7OkzYW-CDbTJV94nADvDFhojxvSqk"

    def enter(self):
        tmp = tempfile.mkdtemp(prefix="aileron-example-")
        self.addCleanup(shutil.rmtree, tmp, True)
        d = os.path.join(tmp, "authn-resource-server")
        shutil.copytree(EXAMPLE, d)
        shutil.copy(os.path.join(d, "keycloak", "keys", "public.pem"),
                    os.path.join(d, "keycloak", "keys", "public.key"))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        with open(os.path.join(d, "keycloak", "keys", "private.pem"), "rb") as f:
            self.key = f.read()

    def test_config_local(self):
        self.enter()
        rc, out = run_aileron(["-c", "-f", "config-local.yaml"])
        self.assertEqual(rc, 0, out)
        port = free_port()
        with open("config-local.yaml") as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.start(text, port)
        # README: no token, 401 with AILERON's body
        p = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/test" % port],
                           capture_output=True, timeout=10)
        self.assertEqual(p.stdout, BODY_401)
        # README: a Keycloak access token (claims as the README's, fresh times)
        now = int(time.time())
        tok = jwt.encode({"exp": now + 300, "iat": now, "iss": "http://localhost:18080/realms/aileron",
                          "aud": "account", "sub": "98975e4d-4751-4360-97bd-c7be389eefd2",
                          "typ": "Bearer", "azp": "aileron_resource_server"},
                         self.key, algorithm="RS256", headers={"kid": self.KID})
        p = subprocess.run(["curl", "-s", "-H", "Authorization: Bearer " + tok,
                            "http://127.0.0.1:%d/test" % port], capture_output=True, timeout=10)
        out = p.stdout.decode()
        self.assertIn("URI    : /test", out)
        self.assertIn('"Bearer %s"' % tok, out)
        self.assertIn('"X-Access-Token": [\n    "%s"' % tok, out)
        # The README's own token (curl above its output): another kid, expired.
        readme = ("eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJid2htUXhRa3d2cnVJaUE1akRkVlYyYlBaWkw1"
                  "WGd6SUZpR01FQXlmRUtFIn0.eyJleHAiOjE3NDc1NDY0OTksImlhdCI6MTc0NzU0NjE5OSwianRpIjoib25ydHJv"
                  "OmQ4NjgwNDY5LTczNjQtNDA2Zi1hZjIxLTQ4OTUxZjZkNmQ5OSIsImlzcyI6Imh0dHA6Ly9sb2NhbGhvc3Q6MTgw"
                  "ODAvcmVhbG1zL2FpbGVyb24iLCJhdWQiOiJhY2NvdW50Iiwic3ViIjoiOTg5NzVlNGQtNDc1MS00MzYwLTk3YmQt"
                  "YzdiZTM4OWVlZmQyIiwidHlwIjoiQmVhcmVyIiwiYXpwIjoiYWlsZXJvbl9yZXNvdXJjZV9zZXJ2ZXIiLCJzaWQi"
                  "OiI3YzkzYjVkZi1jYzExLTRkYWItODY1NC1kZmI0MmVjOWZjNzAiLCJhY3IiOiIxIiwiYWxsb3dlZC1vcmlnaW5z"
                  "IjpbIi8qIl0sInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJvZmZsaW5lX2FjY2VzcyIsInVtYV9hdXRob3JpemF0"
                  "aW9uIiwiZGVmYXVsdC1yb2xlcy1haWxlcm9uIl19LCJyZXNvdXJjZV9hY2Nlc3MiOnsiYWNjb3VudCI6eyJyb2xl"
                  "cyI6WyJtYW5hZ2UtYWNjb3VudCIsIm1hbmFnZS1hY2NvdW50LWxpbmtzIiwidmlldy1wcm9maWxlIl19fSwic2Nv"
                  "cGUiOiJvcGVuaWQgcHJvZmlsZSBlbWFpbCIsImVtYWlsX3ZlcmlmaWVkIjp0cnVlLCJuYW1lIjoiZm9vMSBiYXIx"
                  "IiwicHJlZmVycmVkX3VzZXJuYW1lIjoidGVzdDEiLCJnaXZlbl9uYW1lIjoiZm9vMSIsImZhbWlseV9uYW1lIjoi"
                  "YmFyMSIsImVtYWlsIjoidGVzdDFAZXhhbXBsZS5jb20ifQ.mnuduiDsbnY3YVg1C3SHYYC0_esddBq_51fjj0iDE"
                  "tzqTrXLZAMeY_3_xIQjF4S3qkB1gv4c0fHDvShCNCrPstYX7DrWnuAHHf2K7QBftJi9Z11XZRmRaci9eWw4tMdFj"
                  "CqgsAEMZUWyr6-cwZXnvPeopF_rZbkGQUbQtgPFZWxZLgPgMLyB6ACVQzq4g0y_xsOtsQkWcJqSz82JH49bsaF_b"
                  "8oslY1W5mPXAtRrBWJ8OPo6Qnh87wDv33JL4KGhxC1ZC7nHc_sQhL5QT8YyIMfRuxXkIygrslkF34bSA-UUW3VNZ"
                  "4oRuSuTOt9tW0oFSEqxJsVslrei_X-wQTp7gw")
        for t in (readme, jwt.encode({"exp": now - 60}, self.key, algorithm="RS256",
                                     headers={"kid": self.KID})):
            p = subprocess.run(["curl", "-s", "-i", "-H", "Authorization: Bearer " + t,
                                "http://127.0.0.1:%d/test" % port], capture_output=True,
                               timeout=10)
            self.assertIn(b"401 Unauthorized", p.stdout)
            self.assertIn(b'WWW-Authenticate: Bearer error="invalid_token"', p.stdout)
            self.assertTrue(p.stdout.endswith(BODY_401))

    def provider(self, chunked=False, endpoint=None):
        """A mock Keycloak: discovery and RFC 7662 introspection."""
        self.asked = []
        self.down = False

        def handle(req, c):
            if self.down:  # the connection closes without an answer
                return None
            if req.target == "/realms/aileron/.well-known/openid-configuration":
                return response(200, json.dumps({
                    "issuer": "http://localhost:18080/realms/aileron",
                    "introspection_endpoint": endpoint or self.prov.url + "/introspect"}).encode(),
                    [("Content-Type", "application/json")])
            if req.target != "/introspect" or req.method != "POST":
                return response(404, b"{}", [("Content-Type", "application/json")])
            form = urllib.parse.parse_qs(req.body.decode())
            self.asked.append(form)
            tok = form.get("token", [""])[0]
            js = [("Content-Type", "application/json")]
            if form.get("client_id") != ["aileron_resource_server"] or \
                    form.get("client_secret") != ["KWYPBgrTEEGZNH6wZsP2zyK14LZHJi77"]:
                return response(401, b'{"error":"invalid_client"}', js)
            if tok == "test-opaque-token-ok" or tok.startswith("ok+&="):
                body = b'{"active":true,"sub":"alice"}'
                if chunked:
                    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                            % (len(body), body))
                return response(200, body, js)
            if tok == "inactive":
                return response(200, b'{"active":false}', js)
            if tok == "html":
                return response(200, b"<p>hi</p>", [("Content-Type", "text/html")])
            if tok == "down":
                return response(503, b"{}", js)
            return response(401, b'{"error":"invalid_token"}', js)
        self.prov = self.upstream(handle)
        return self.prov

    def start_introspection(self, chunked=False, endpoint=None):
        self.enter()
        rc, out = run_aileron(["-c", "-f", "config-introspection.yaml"])
        self.assertEqual(rc, 0, out)
        prov = self.provider(chunked, endpoint)
        port = free_port()
        with open("config-introspection.yaml") as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.start(text.replace("http://localhost:18080", prov.url), port)
        return port

    def test_config_introspection(self):
        port = self.start_introspection()
        p = subprocess.run(["curl", "-s", "-H", "Authorization: Bearer test-opaque-token-ok",
                            "http://127.0.0.1:%d/test" % port], capture_output=True, timeout=10)
        out = p.stdout.decode()
        self.assertIn("URI    : /test", out)
        self.assertIn('"X-Access-Token": [\n    "test-opaque-token-ok"', out)
        self.assertEqual(self.asked[-1]["token"], ["test-opaque-token-ok"])
        # the token form-encoded
        st, _, body = request(port, "GET", "/", [("Authorization", "Bearer ok+&=x y")])
        self.assertEqual(st, 200, body)
        self.assertEqual(self.asked[-1]["token"], ["ok+&=x y"])
        for tok, status in (("other", 401), ("inactive", 401), ("html", 500), ("down", 500)):
            n = len(self.asked)
            st, hd, body = request(port, "GET", "/", [("Authorization", "Bearer " + tok)])
            self.assertEqual(st, status, tok)
            self.assertEqual(json.loads(body)["status"], status)
            self.assertEqual(len(self.asked), n + 1)
            if status == 401:
                self.assertEqual(dict(hd).get("WWW-Authenticate"), CHALLENGE)
        st, hd, body = request(port, "GET", "/")
        self.assertEqual((st, body), (401, BODY_401))

    def test_discovery_with_a_bad_endpoint(self):
        port = self.start_introspection(endpoint="http://127.0.0.1:1/i\r\nX-Evil: 1")
        for _ in range(2):
            st, _, body = request(port, "GET", "/", [("Authorization", "Bearer test-opaque-token-ok")])
            self.assertEqual(st, 500)
        self.assertEqual(self.asked, [])

    def test_introspection_endpoint_refusing_connections(self):
        self.allow_errors("introspection")
        port = self.start_introspection(endpoint="http://127.0.0.1:%d/i" % free_port())
        st, _, body = request(port, "GET", "/", [("Authorization", "Bearer test-opaque-token-ok")])
        self.assertEqual((st, json.loads(body)["status"]), (500, 500))

    def test_introspection_chunked_and_provider_down(self):
        port = self.start_introspection(chunked=True)
        st, _, _ = request(port, "GET", "/", [("Authorization", "Bearer test-opaque-token-ok")])
        self.assertEqual(st, 200)
        self.allow_errors("introspection")
        self.down = True
        st, _, body = request(port, "GET", "/", [("Authorization", "Bearer test-opaque-token-ok")])
        self.assertEqual(st, 500)
        self.assertEqual(json.loads(body)["status"], 500)

if __name__ == "__main__":
    unittest.main()
