"""OAuthAuthenticationHandler flows after the resource server: the token
endpoint client (FormAuth, BasicAuth, http and https, discovery),
clientCredentialsHandler and ropcHandler, through the real binary against an
OAuth 2.0 provider written here (real RS256/ES256 tokens, JWKS,
introspection)."""

import base64
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness import (AileronTestCase, Client, free_port, loopback_name, request, response,
                     run_aileron)
from test_tls_upstream import TLSMock, make_pki

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")

CLIENT_ID = "gw-client"
SECRET = "s3cr3t-%&+ value"
AUD = "test-audience"
BODY_401 = b'{"status":401,"statusText":"Unauthorized"}'
BODY_500 = b'{"status":500,"statusText":"Internal Server Error"}'
JS = [("Content-Type", "application/json")]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk(key, kid):
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": kid, "n": b64url(n),
                "e": b64url(pub.e.to_bytes(3, "big"))}
    return {"kty": "EC", "kid": kid, "crv": "P-256", "x": b64url(pub.x.to_bytes(32, "big")),
            "y": b64url(pub.y.to_bytes(32, "big"))}


class Provider:
    """An OAuth 2.0 / OIDC provider: discovery, token endpoint (client
    credentials, password, refresh token grants; client_secret_post and
    client_secret_basic), JWKS, introspection.  Tokens are JWTs signed with
    key under kid; the knobs below change what it answers."""

    def __init__(self, test, key, kid, alg="RS256", tls_dir=None, iss=None,
                 client_id=CLIENT_ID, secret=SECRET, users=None, host="127.0.0.1"):
        self.key, self.kid, self.alg = key, kid, alg
        self.client_id, self.secret = client_id, secret
        self.users = users if users is not None else {"alice": "wonder land"}
        self.lifetime = 300
        self.aud = AUD
        self.refresh = False        # issue refresh tokens
        self.refuse_refresh = False  # answer refresh grants with 400
        self.down = False           # close connections without answering
        self.status = None          # answer token requests with this status
        self.ctype = "application/json"
        self.hits = []              # token requests: (grant, form, authorization)
        self.codes = {}             # code -> (redirect_uri, challenge, method, nonce, user)
        self.nonce_override = None
        self.ro_key = None          # verifies request objects
        self.userinfo_sub = None    # answer userinfo with this sub
        self.userinfo_status = 200
        self.assertion = None       # (key, algs): client assertions (RFC 7523) required
        self.jtis = set()           # jti of the assertions seen
        self.lock = threading.Lock()
        if tls_dir is not None:
            self.srv = TLSMock(tls_dir, "ip")
            self.srv.handler = self.handle
        else:
            self.srv = test.upstream(self.handle, host=host)
        test.addCleanup(self.srv.stop)
        self.url = self.srv.url
        self.iss = iss or self.url + "/realms/test"

    def grants(self):
        with self.lock:
            return [h[0] for h in self.hits]

    def token(self, sub="service", **kw):
        now = int(time.time())
        c = {"iss": self.iss, "aud": [self.aud], "sub": sub, "exp": now + self.lifetime,
             "iat": now, "azp": self.client_id}
        c.update(kw)
        return jwt.encode(c, self.key, algorithm=self.alg, headers={"kid": self.kid})

    def handle(self, req, c):
        if self.down:
            return None
        path = req.target.split("?")[0]
        if path.endswith("/.well-known/openid-configuration"):
            return response(200, json.dumps({
                "issuer": self.iss, "token_endpoint": self.url + "/token",
                "introspection_endpoint": self.url + "/introspect",
                "authorization_endpoint": self.url + "/authorize?tenant=t1",
                "userinfo_endpoint": self.url + "/userinfo",
                "jwks_uri": self.url + "/jwks"}).encode(), JS)
        if path == "/jwks":
            return response(200, json.dumps({"keys": [jwk(self.key, self.kid)]}).encode(), JS)
        if path == "/token" and req.method == "POST":
            return self.token_endpoint(req)
        if path == "/userinfo":
            with self.lock:
                self.hits.append(("userinfo", req.method, req.header("Authorization")))
            try:
                c = jwt.decode(req.header("Authorization")[7:], self.key.public_key(),
                               algorithms=[self.alg], audience=self.aud)
            except (jwt.InvalidTokenError, TypeError):
                return response(401, b"", [("WWW-Authenticate", 'Bearer error="invalid_token"')])
            if self.userinfo_status != 200:
                return response(self.userinfo_status, b'{"error":"x"}', JS)
            return response(200, json.dumps({"sub": self.userinfo_sub or c["sub"],
                                             "name": "Alice"}).encode(), JS)
        if path == "/introspect" and req.method == "POST":
            form = urllib.parse.parse_qs(req.body.decode())
            with self.lock:
                self.hits.append(("introspect", form, req.header("Authorization")))
            if not self.client_ok(form, req.header("Authorization"), "/introspect"):
                return response(401, b'{"error":"invalid_client"}', JS)
            try:
                c = jwt.decode(form["token"][0], self.key.public_key(), algorithms=[self.alg],
                               audience=self.aud)
                body = {"active": True, "exp": c["exp"]}
                if "cnf" in c:
                    body["cnf"] = c["cnf"]
                return response(200, json.dumps(body).encode(), JS)
            except (jwt.InvalidTokenError, KeyError):
                return response(200, b'{"active":false}', JS)
        return response(404, b'{"error":"not_found"}', JS)

    def assertion_ok(self, form, endpoint):
        """RFC 7523 client authentication: signature, iss and sub the
        client, aud this endpoint, exp, a jti not seen before."""
        if form.get("client_assertion_type") != [
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"] \
                or len(form.get("client_assertion", [])) != 1 or "client_secret" in form:
            return False
        key, algs = self.assertion
        try:
            c = jwt.decode(form["client_assertion"][0], key, algorithms=algs,
                           audience=self.url + endpoint,
                           options={"require": ["exp", "jti", "iss", "sub", "aud"]})
        except jwt.InvalidTokenError:
            return False
        if c["iss"] != self.client_id or c["sub"] != self.client_id or c["exp"] > time.time() + 300:
            return False
        with self.lock:
            if c["jti"] in self.jtis:
                return False
            self.jtis.add(c["jti"])
        return True

    def client_ok(self, form, auth, endpoint="/token"):
        if self.assertion is not None:
            return auth is None and self.assertion_ok(form, endpoint)
        if auth is not None:
            if not auth.startswith("Basic "):
                return False
            cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
            return cid == self.client_id and sec == self.secret and "client_secret" not in form
        return form.get("client_id") == [self.client_id] and \
            form.get("client_secret") == [self.secret]

    def authorize(self, location, user="alice"):
        """The user logs in at the authorization endpoint: the code, and the
        parameters of the request (those of a request object, by value or
        by reference, verified with ro_key, over those of the query)."""
        u = urllib.parse.urlsplit(location)
        q = urllib.parse.parse_qs(u.query)
        if "request_uri" in q:
            with urllib.request.urlopen(q["request_uri"][0].split("#")[0], timeout=5) as f:
                assert f.headers["Content-Type"] == "application/jwt; charset=utf-8"
                q["request"] = [f.read().decode()]
        if "request" in q:
            ro = jwt.decode(q["request"][0], self.ro_key, algorithms=["RS256", "ES256"],
                            audience=self.iss, issuer=self.client_id,
                            options={"require": ["exp", "nbf", "aud", "iss"]})
            for k, v in ro.items():
                q[k] = [v]
        code = "code-%d" % len(self.codes)
        self.codes[code] = (q["redirect_uri"][0], q.get("code_challenge", [None])[0],
                            q.get("code_challenge_method", [None])[0],
                            q.get("nonce", [None])[0], user)
        return code, q

    def token_endpoint(self, req):
        form = urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)
        auth = req.header("Authorization")
        grant = form.get("grant_type", [""])[0]
        with self.lock:
            self.hits.append((grant, form, auth))
        if self.status is not None:
            return response(self.status, b'{"error":"temporarily_unavailable"}',
                            [("Content-Type", self.ctype)])
        if self.ctype != "application/json":
            return response(200, b"<html>hello</html>", [("Content-Type", self.ctype)])
        if not self.client_ok(form, auth):
            return response(401, b'{"error":"invalid_client"}', JS)
        sub = "service"
        if grant == "password":
            user, pw = form.get("username", [""])[0], form.get("password", [""])[0]
            if self.users.get(user) != pw:
                return response(401, b'{"error":"invalid_grant"}', JS)
            sub = user
        elif grant == "refresh_token":
            if self.refuse_refresh or not form.get("refresh_token", [""])[0].startswith("rt-"):
                return response(400, b'{"error":"invalid_grant"}', JS)
            sub = form["refresh_token"][0][3:].split(".")[0]
        elif grant == "authorization_code":
            code = form.get("code", [""])[0]
            if code not in self.codes:
                return response(400, b'{"error":"invalid_grant"}', JS)
            uri, ch, method, nonce, sub = self.codes.pop(code)
            ver = form.get("code_verifier", [""])[0]
            if method == "S256":
                ver = b64url(hashlib.sha256(ver.encode()).digest())
            if form.get("redirect_uri") != [uri] or (ch is not None and ver != ch):
                return response(400, b'{"error":"invalid_grant"}', JS)
            body = {"access_token": self.token(sub), "token_type": "Bearer",
                    "expires_in": self.lifetime,
                    "id_token": self.token(sub, aud=[self.aud, self.client_id],
                                           nonce=self.nonce_override or nonce)}
            return response(200, json.dumps(body).encode(), JS)
        elif grant != "client_credentials":
            return response(400, b'{"error":"unsupported_grant_type"}', JS)
        body = {"access_token": self.token(sub), "token_type": "Bearer",
                "expires_in": self.lifetime, "scope": form.get("scope", [""])[0]}
        if self.refresh:
            body["refresh_token"] = "rt-%s.%d" % (sub, len(self.hits))
        if grant in ("password", "refresh_token"):
            # AILERON checks an ID token's aud against client.audience too
            body["id_token"] = self.token(sub, aud=[self.aud, self.client_id])
        return response(200, json.dumps(body).encode(), JS)


def gateway_config(port, up_url, handler_spec, extra_docs="", session=False):
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
    - middleware:
%s        - apiVersion: app/v1
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
kind: SessionMiddleware
spec:
  secureEncoder: {enableCompression: false, disableHMAC: true, disableEncryption: true}
---
apiVersion: app/v1
kind: AuthenticationMiddleware
spec:
  handlers:
    - apiVersion: app/v1
      kind: OAuthAuthenticationHandler
---
apiVersion: app/v1
kind: OAuthAuthenticationHandler
spec:
%s%s""" % (port, "        - apiVersion: app/v1\n          kind: SessionMiddleware\n"
             if session else "", up_url, handler_spec, extra_docs)


class FlowTestCase(AileronTestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = ec.generate_private_key(ec.SECP256R1())

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="aileron-oauth-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.seen = []

    def file(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def provider(self, **kw):
        kw.setdefault("key", self.rsa)
        kw.setdefault("kid", "k1")
        return Provider(self, **kw)

    def keys(self, prov):
        return """      jwtHandler:
        publicKeys:
          - {keyID: %s, keyType: PUBLIC, keyFilePath: %s}
""" % (prov.kid, self.file("pub-%s.pem" % prov.kid, pem_public(prov.key)))

    def context(self, prov, endpoints=None, extra="", keys=None):
        if endpoints is None:
            endpoints = "{token: /token}"
        return """  contexts:
    - name: default
      atProxyHeader: X-Access-Token
      idtProxyHeader: X-ID-Token
      provider:
        issuer: "%s"
        baseURL: "%s"
        endpoints: %s
      client:
        id: %s
        secret: "%s"
        audience: %s
        scopes: [openid, "api read"]
%s%s""" % (prov.iss, prov.url, endpoints, CLIENT_ID, SECRET, AUD,
           keys if keys is not None else self.keys(prov), extra)

    def serve(self, spec, session=False, extra_docs="", one=True):
        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.gw = self.start(gateway_config(port, up.url, spec, extra_docs, session), port,
                             extra_args=("-X",) if one else ())
        return port

    def get(self, port, headers=(), path="/", method="GET"):
        n = len(self.seen)
        st, hd, body = request(port, method, path, list(headers))
        return st, dict(hd), body, self.seen[n:]

    def ok(self, port, headers=(), path="/"):
        st, hd, body, seen = self.get(port, headers, path)
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(len(seen), 1)
        return seen[0]

    def refused(self, port, status, headers=(), path="/"):
        st, hd, body, seen = self.get(port, headers, path)
        self.assertEqual((st, body), (status, BODY_401 if status == 401 else BODY_500))
        self.assertNotIn("WWW-Authenticate", hd)
        self.assertEqual(seen, [])

    def bad_config(self, spec, msg):
        """spec does not load: -c exits 1 with msg, no key material shown."""
        path = self.file("bad.yaml", gateway_config(free_port(), "http://127.0.0.1:1",
                                                    spec).encode())
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 1, spec)
        self.assertIn(msg, out, spec)
        self.assertNotIn("BEGIN", out)

    def no_secret_in_log(self):
        out = self.gw.output()
        for s in (SECRET, urllib.parse.quote_plus(SECRET), "wonder land", "wonder+land"):
            self.assertNotIn(s, out)


class ClientCredentialsTest(FlowTestCase):

    def test_token_forwarded_and_cached(self):
        prov = self.provider()
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        for _ in range(3):
            req = self.ok(port)
        self.assertEqual(prov.grants(), ["client_credentials"])
        grant, form, auth = prov.hits[0]
        # FormAuth by default (AILERON's ClientAuthMethod 0); scopes joined by spaces
        self.assertIsNone(auth)
        self.assertEqual(form["client_id"], [CLIENT_ID])
        self.assertEqual(form["client_secret"], [SECRET])
        self.assertEqual(form["scope"], ["openid api read"])
        # The token goes upstream in atProxyHeader, as AILERON's contextWithToken
        tok = req.header("X-Access-Token")
        self.assertEqual(jwt.decode(tok, self.rsa.public_key(), algorithms=["RS256"],
                                    audience=AUD)["sub"], "service")
        self.assertIsNone(req.header("X-ID-Token"))
        self.no_secret_in_log()

    def test_provider_name_with_two_addresses(self):
        """A provider at a name that resolves (when the config loads) to ::1 and 127.0.0.1,
        listening on one of them only: the token endpoint is dialed at each address in turn,
        as the reverse proxy dials its upstreams."""
        name, order = loopback_name()
        if name is None:
            self.skipTest("localhost does not resolve to both ::1 and 127.0.0.1 here (%s); "
                          "Debian's /etc/hosts makes it so" % order)
        prov = self.provider(host=order[1])
        prov.url = "http://%s:%d" % (name, prov.srv.port)
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        self.ok(port)
        self.assertEqual(prov.grants(), ["client_credentials"])

    def test_basic_auth_es256_and_discovery(self):
        prov = self.provider(key=self.ec, kid="e1", alg="ES256")
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(
            prov, "{discovery: /.well-known/openid-configuration}",
            "      tokenRedeemer: {clientAuthMethod: BasicAuth}\n"))
        req = self.ok(port)
        self.ok(port)
        self.assertEqual(prov.grants(), ["client_credentials"])
        grant, form, auth = prov.hits[0]
        self.assertTrue(auth.startswith("Basic "))
        self.assertNotIn("client_secret", form)
        self.assertEqual(jwt.get_unverified_header(req.header("X-Access-Token"))["alg"], "ES256")
        self.no_secret_in_log()

    def test_bad_client_secret_is_401(self):
        prov = self.provider(secret="another")
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        self.refused(port, 401)
        self.refused(port, 401)
        self.assertEqual(prov.grants(), ["client_credentials"] * 2)
        self.no_secret_in_log()

    def test_tokens_that_do_not_validate(self):
        prov = self.provider()
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        prov.aud = "someone-else"
        self.refused(port, 401)
        prov.aud = AUD
        prov.lifetime = -60  # expired when issued
        self.refused(port, 401)
        self.assertEqual(len(prov.hits), 2)  # nothing kept
        prov.lifetime = 300
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key, prov.key = prov.key, other  # signed by a key not configured
        self.refused(port, 401)
        prov.key = key
        self.ok(port)
        self.assertEqual(len(prov.hits), 4)

    def test_provider_down_and_failing(self):
        self.allow_errors("token request")
        prov = self.provider()
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov), one=False)
        prov.down = True
        self.refused(port, 500)
        prov.down = False
        prov.status = 503
        self.refused(port, 500)
        prov.status = None
        prov.ctype = "text/html"
        self.refused(port, 500)
        prov.ctype = "application/json"
        # workers alive: the next request is served
        self.ok(port)
        self.assertEqual(self.gw.proc.poll(), None)
        # a port nobody listens on
        spec = "  clientCredentialsHandler: {}\n" + self.context(
            prov, "{token: 'http://127.0.0.1:%d/token'}" % free_port())
        port = self.serve(spec)
        self.refused(port, 500)

    def test_refresh_before_expiry(self):
        prov = self.provider()
        prov.lifetime = 7
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        first = self.ok(port).header("X-Access-Token")
        self.assertEqual(self.ok(port).header("X-Access-Token"), first)
        self.assertEqual(prov.grants(), ["client_credentials"])
        time.sleep(2.5)  # within 5 s of exp: replaced
        second = self.ok(port).header("X-Access-Token")
        self.assertNotEqual(second, first)
        self.assertEqual(prov.grants(), ["client_credentials"] * 2)
        self.assertEqual(self.ok(port).header("X-Access-Token"), second)
        # with refresh tokens: the refresh grant first, client credentials when refused
        prov.refresh = True
        prov.lifetime = 300
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        prov.lifetime = 6
        n = len(prov.hits)
        self.ok(port)
        prov.lifetime = 300
        time.sleep(1.2)
        self.ok(port)
        self.assertEqual(prov.grants()[n:], ["client_credentials", "refresh_token"])
        self.assertTrue(prov.hits[-1][1]["refresh_token"][0].startswith("rt-service."))
        # the provider refuses the refresh grant: a new client credentials grant
        prov.lifetime = 6
        port = self.serve("  clientCredentialsHandler: {}\n" + self.context(prov))
        n = len(prov.hits)
        self.ok(port)
        prov.refuse_refresh = True
        time.sleep(1.2)
        self.ok(port)
        self.assertEqual(prov.grants()[n:], ["client_credentials", "refresh_token",
                                             "client_credentials"])

    def test_issuer_from_discovery(self):
        """No provider.issuer (AILERON's authn-fapi examples): the iss of
        tokens must be the discovery document's issuer."""
        prov = self.provider()
        spec = "  clientCredentialsHandler: {}\n" + self.context(
            prov, "{discovery: /.well-known/openid-configuration}").replace(
                'issuer: "%s"' % prov.iss, 'issuer: ""')
        port = self.serve(spec)
        req = self.ok(port)
        self.assertEqual(jwt.decode(req.header("X-Access-Token"),
                                    options={"verify_signature": False})["iss"], prov.iss)
        # tokens of another issuer than the document's: refused
        port = self.serve(spec)
        token = prov.token
        prov.token = lambda sub="service", **kw: token(sub, iss=prov.iss + "/other", **kw)
        self.refused(port, 401)
        prov.token = token
        self.ok(port)

    def test_contexts(self):
        prov = self.provider()
        spec = ("  clientCredentialsHandler: {}\n  contextHeaderKey: X-Ctx\n"
                + self.context(prov))
        port = self.serve(spec)
        self.ok(port, [("X-Ctx", "default")])
        self.refused(port, 401, [("X-Ctx", "nope")])  # AILERON: context not found, 401

    def test_https_provider(self):
        pki = make_pki()
        self.addCleanup(pki.cleanup)
        prov = self.provider(tls_dir=pki.dir)
        ca = os.path.join(pki.dir, "ca.pem")
        client = ("---\napiVersion: core/v1\nkind: HTTPClient\nmetadata: {name: idp}\nspec:\n"
                  "  httpTransportConfig:\n    tlsConfig: {rootCAs: [\"%s\"]}\n" % ca)
        rt = "{roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: idp}}"
        spec = "  clientCredentialsHandler: {}\n" + self.context(
            prov, "{discovery: /.well-known/openid-configuration}",
            "      tokenRedeemer: %s\n" % rt,
            keys="      jwtHandler: {JWKs: {\"%s\": \"%s/jwks\"}}\n" % (prov.iss, prov.url))
        spec = spec.replace("        issuer:", "        roundTripper: {apiVersion: core/v1, "
                            "kind: HTTPClient, name: idp}\n        issuer:")
        port = self.serve(spec, extra_docs=client)
        req = self.ok(port)
        self.ok(port)
        self.assertEqual(prov.grants(), ["client_credentials"])
        self.assertTrue(req.header("X-Access-Token"))
        # the system store alone does not know the test CA: 500, no token asked
        self.allow_errors("certificate verification failed")
        n = len(prov.hits)
        spec = spec.replace("      tokenRedeemer: %s\n" % rt, "")
        port = self.serve(spec, extra_docs=client)
        self.refused(port, 500)
        self.assertEqual(len(prov.hits), n)

    def test_introspection_over_https(self):
        """Resource server and client credentials with introspection at an
        https provider, BasicAuth for the introspector."""
        pki = make_pki()
        self.addCleanup(pki.cleanup)
        prov = self.provider(tls_dir=pki.dir)
        client = ("---\napiVersion: core/v1\nkind: HTTPClient\nmetadata: {name: idp}\nspec:\n"
                  "  httpTransportConfig:\n    tlsConfig: {rootCAs: [\"%s\"]}\n"
                  % os.path.join(pki.dir, "ca.pem"))
        rt = "roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: idp}"
        ctx = self.context(prov, "{token: /token, introspection: /introspect}",
                           "      enableIntrospection: true\n"
                           "      tokenRedeemer: {%s}\n"
                           "      tokenIntrospector: {%s, clientAuthMethod: BasicAuth}\n"
                           % (rt, rt), keys="")
        port = self.serve("  resourceServerHandler: {}\n" + ctx, extra_docs=client)
        req = self.ok(port, [("Authorization", "Bearer " + prov.token())])
        self.assertTrue(req.header("X-Access-Token"))
        self.assertEqual(prov.grants(), ["introspect"])
        self.assertTrue(prov.hits[0][2].startswith("Basic "))
        st, hd, body, seen = self.get(port, [("Authorization", "Bearer " + prov.token(exp=1))])
        self.assertEqual((st, hd.get("WWW-Authenticate")), (401, 'Bearer error="invalid_token"'))
        # client credentials: the token obtained is introspected, on every request (AILERON)
        port = self.serve("  clientCredentialsHandler: {}\n" + ctx, extra_docs=client)
        n = len(prov.hits)
        self.ok(port)
        self.ok(port)
        self.assertEqual(prov.grants()[n:], ["client_credentials", "introspect", "introspect"])
        self.no_secret_in_log()

    def test_config_errors(self):
        prov = self.provider()
        cc = "  clientCredentialsHandler: {}\n"

        bad = self.bad_config
        bad(cc + self.context(prov, "{}"),
            "clientCredentialsHandler needs provider.endpoints.token or")
        bad(cc + self.context(prov, "{token: 'http://u:p@idp/t'}"),
            "credentials in the URL are not supported")
        bad(cc + self.context(prov, extra="      tokenRedeemer: {clientAuthMethod: "
                              "PrivateKeyJWT}\n"), "PrivateKeyJWT needs an RS*, PS* or ES* key")
        bad(cc + self.context(prov, extra="      tokenRedeemer: {extraQuery: {a: b}}\n"),
            "extraQuery")
        bad(cc + self.context(prov, extra="      tokenRedeemer: {clientAuthMethod: Nope}\n"),
            "Nope")
        bad("  clientCredentialsHandler: {x: 1}\n", "unknown field \"x\"")
        bad("  ropcHandler: {redeemTokenPath: x}\n", "redeemTokenPath: a path starting with /")


class ClientAssertionTest(FlowTestCase):
    """ClientSecretJWT and PrivateKeyJWT (RFC 7523 client assertions)."""

    def cjwt(self, keys):
        return "        jwtHandler:\n          privateKeys:\n" + "".join(
            "            - %s\n" % k for k in keys)

    def spec(self, prov, method, keys=(), secret=SECRET, more=""):
        ctx = self.context(prov, extra="      tokenRedeemer: {clientAuthMethod: %s}\n%s"
                           % (method, more))
        ctx = ctx.replace('        secret: "%s"\n' % SECRET,
                          ('        secret: "%s"\n' % secret if secret else "")
                          + (self.cjwt(keys) if keys else ""))
        return "  clientCredentialsHandler: {}\n" + ctx

    def pem(self, key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def assertion(self, prov, i=-1):
        return prov.hits[i][1]["client_assertion"][0]

    def test_client_secret_jwt(self):
        prov = self.provider()
        prov.assertion = (SECRET.encode(), ["HS256"])
        port = self.serve(self.spec(prov, "ClientSecretJWT"), one=False)
        self.ok(port)
        grant, form, auth = prov.hits[0]
        self.assertIsNone(auth)
        self.assertNotIn("client_secret", form)
        self.assertNotIn("client_id", form)
        h = jwt.get_unverified_header(self.assertion(prov))
        self.assertEqual((h["alg"], h["typ"]), ("HS256", "JWT"))
        c = jwt.decode(self.assertion(prov), SECRET, algorithms=["HS256"],
                       audience=prov.url + "/token")
        self.assertTrue(55 <= c["exp"] - time.time() <= 61)
        self.no_secret_in_log()
        # the provider knows another secret: 401, nothing kept
        prov.assertion = (b"not the secret", ["HS256"])
        port = self.serve(self.spec(prov, "ClientSecretJWT"))
        self.refused(port, 401)
        self.refused(port, 401)
        # a COMMON key of client.jwtHandler signs (AILERON's example), HS512 with its kid
        other = b"another shared secret of 32 bytes!"
        prov.assertion = (other, ["HS512"])
        key = "{keyID: hk, algorithm: HS512, keyType: COMMON, keyString: %s}" % \
            base64.b64encode(other).decode()
        port = self.serve(self.spec(prov, "ClientSecretJWT", [key], secret=None))
        self.ok(port)
        self.assertEqual(jwt.get_unverified_header(self.assertion(prov))["kid"], "hk")
        self.assertNotIn(other.decode(), self.gw.output())

    def test_private_key_jwt_rs_ps_es(self):
        client_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        client_ec = ec.generate_private_key(ec.SECP384R1())
        prov = self.provider()
        for key, alg in ((client_rsa, "RS256"), (client_rsa, "PS384"), (client_ec, "ES384")):
            prov.assertion = (key.public_key(), [alg])
            path = self.file("client-%s.pem" % alg, self.pem(key))
            k = "{keyID: ck-%s, algorithm: %s, keyType: PRIVATE, keyFilePath: %s}" % (
                alg, alg, path)
            port = self.serve(self.spec(prov, "PrivateKeyJWT", [k], secret=None))
            n = len(prov.hits)
            self.ok(port)
            h = jwt.get_unverified_header(self.assertion(prov))
            self.assertEqual((h["alg"], h["kid"]), (alg, "ck-" + alg))
            self.assertEqual(len(prov.hits), n + 1)
        # the provider expects another key: 401
        prov.assertion = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                          .public_key(), ["RS256"])
        k = "{algorithm: RS256, keyType: PRIVATE, keyFilePath: %s}" % self.file(
            "c.pem", self.pem(client_rsa))
        port = self.serve(self.spec(prov, "PrivateKeyJWT", [k], secret=None))
        self.refused(port, 401)
        # without keyID: AILERON's kid (base32 of SHA-1 of SHA3-512 of the spec)
        sig = ("RS256PRIVATE" + self.file("c.pem", self.pem(client_rsa)) + "null").encode()
        kid = base64.b32encode(hashlib.sha1(hashlib.sha3_512(sig).digest()).digest()).decode()
        self.assertEqual(jwt.get_unverified_header(self.assertion(prov))["kid"], kid)
        self.assertNotIn(b"PRIVATE KEY", self.gw.output().encode())

    def test_assertions_are_fresh_and_bound_to_the_endpoint(self):
        prov = self.provider()
        prov.assertion = (SECRET.encode(), ["HS256"])
        port = self.serve(self.spec(prov, "ClientSecretJWT"), one=False)
        self.ok(port)
        # the provider refuses a replayed jti, an assertion for another endpoint
        first = self.assertion(prov, 0)
        replay = {"grant_type": ["client_credentials"], "client_assertion": [first],
                  "client_assertion_type":
                  ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]}
        self.assertFalse(prov.assertion_ok(replay, "/token"))
        # each request of ours has a new jti
        prov.lifetime = 1
        port = self.serve(self.spec(prov, "ClientSecretJWT"))
        self.ok(port)
        time.sleep(1.2)
        self.ok(port)
        jtis = [jwt.decode(h[1]["client_assertion"][0], options={"verify_signature": False})["jti"]
                for h in prov.hits]
        self.assertEqual(len(jtis), len(set(jtis)))
        self.assertGreaterEqual(len(jtis), 3)

    def test_introspection_with_private_key_jwt(self):
        client_ec = ec.generate_private_key(ec.SECP256R1())
        prov = self.provider()
        prov.assertion = (client_ec.public_key(), ["ES256"])
        k = "{keyID: e, algorithm: ES256, keyType: PRIVATE, keyFilePath: %s}" % self.file(
            "e.pem", self.pem(client_ec))
        ctx = self.spec(prov, "PrivateKeyJWT", [k], secret=None,
                        more="      enableIntrospection: true\n"
                        "      tokenIntrospector: {clientAuthMethod: PrivateKeyJWT}\n")
        ctx = ctx.replace("{token: /token}", "{token: /token, introspection: /introspect}")
        port = self.serve(ctx.replace("  clientCredentialsHandler: {}\n",
                                      "  resourceServerHandler: {}\n"))
        self.ok(port, [("Authorization", "Bearer " + prov.token())])
        aud = jwt.decode(self.assertion(prov), options={"verify_signature": False})["aud"]
        self.assertIn(aud, (prov.url + "/introspect", [prov.url + "/introspect"]))
        st, hd, body, seen = self.get(port, [("Authorization", "Bearer " + prov.token(exp=1))])
        self.assertEqual((st, seen), (401, []))

    def test_config_errors(self):
        prov = self.provider()

        bad = self.bad_config
        bad(self.spec(prov, "ClientSecretJWT", secret=None),
            "ClientSecretJWT needs client.secret or an HS256")
        rsa_pem = self.file("r.pem", self.pem(self.rsa))
        bad(self.spec(prov, "PrivateKeyJWT",
                      ["{algorithm: ES256, keyType: PRIVATE, keyFilePath: %s}" % rsa_pem]),
            "algorithm: does not fit the key (an RSA key)")
        bad(self.spec(prov, "PrivateKeyJWT",
                      ["{algorithm: RS256, keyType: PUBLIC, keyFilePath: %s}" % rsa_pem]),
            "keyType: COMMON or PRIVATE")
        bad(self.spec(prov, "PrivateKeyJWT",
                      ["{keyType: PRIVATE, keyFilePath: %s}" % rsa_pem]),
            "algorithm: required to sign")
        bad(self.spec(prov, "PrivateKeyJWT", ["{algorithm: RS256, keyType: PRIVATE, "
                                              "keyFilePath: %s}" % self.file(
                                                  "p.pem", pem_public(self.rsa))]),
            "not a PEM private key")
        bad(self.spec(prov, "PrivateKeyJWT", ["{algorithm: HS256, keyType: COMMON, "
                                              "keyString: c2VjcmV0}"]),
            "PrivateKeyJWT needs an RS*, PS* or ES* key")


class ResourceServerFAPITest(FlowTestCase):
    """resourceServerHandler.enabledFAPI: certificate-bound access tokens
    (RFC 8705) over mutual TLS to the gateway, x-fapi-interaction-id."""

    def setUp(self):
        super().setUp()
        self.pki = make_pki()
        self.addCleanup(self.pki.cleanup)
        with open(os.path.join(self.pki.dir, "client.pem")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.thumb = b64url(hashlib.sha256(der).digest())

    def serve_tls(self, spec):
        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        p = self.pki.dir
        conf = gateway_config(port, up.url, spec).replace(
            '  addr: "127.0.0.1:%d"\n' % port,
            '  addr: "127.0.0.1:%d"\n  httpConfig:\n    listenConfig:\n      tlsConfig:\n'
            "        certKeyPairs: [{certFile: %s/ip.pem, keyFile: %s/ip.key}]\n"
            "        clientAuth: RequestClientCert\n" % (port, p, p))
        self.gw = self.start(conf, port, extra_args=("-X",))
        return port

    def https(self, port, headers=(), cert=True):
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki.dir, "ca.pem"))
        if cert:
            ctx.load_cert_chain(os.path.join(self.pki.dir, "client.pem"),
                                os.path.join(self.pki.dir, "client.key"))
        n = len(self.seen)
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                             server_hostname="127.0.0.1") as s:
            s.sendall(("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n" % "".join(
                "%s: %s\r\n" % h for h in headers)).encode())
            data = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        hd = dict(l.split(": ", 1) for l in lines[1:])
        return int(lines[0].split()[1]), hd, body, self.seen[n:]

    def check(self, port, prov):
        bound = ("Authorization", "Bearer " + prov.token(cnf={"x5t#S256": self.thumb}))
        st, hd, body, seen = self.https(port, [bound])
        self.assertEqual((st, body, len(seen)), (200, b"ok", 1))
        self.assertRegex(hd["X-Fapi-Interaction-Id"],
                         r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        st, hd, body, seen = self.https(port, [bound, ("x-fapi-interaction-id", "abc-123")])
        self.assertEqual((st, hd["X-Fapi-Interaction-Id"]), (200, "abc-123"))
        for headers, cert in (
                ([("Authorization", "Bearer " + prov.token(
                    cnf={"x5t#S256": b64url(hashlib.sha256(b"other").digest())}))], True),
                ([("Authorization", "Bearer " + prov.token())], True),         # no cnf
                ([("Authorization", "Bearer " + prov.token(cnf={}))], True),
                ([bound], False)):                                               # no certificate
            st, hd, body, seen = self.https(port, headers, cert)
            self.assertEqual((st, body, seen), (401, BODY_401, []), (headers, cert))
            self.assertEqual(hd.get("WWW-Authenticate"), 'Bearer error="invalid_token"')
            self.assertNotIn("X-Fapi-Interaction-Id", hd)

    def test_certificate_bound_tokens(self):
        prov = self.provider()
        port = self.serve_tls("  resourceServerHandler: {enabledFAPI: true}\n" + self.context(prov))
        self.check(port, prov)

    def test_certificate_bound_tokens_introspected(self):
        prov = self.provider()
        ctx = self.context(prov, "{token: /token, introspection: /introspect}",
                           "      enableIntrospection: true\n", keys="")
        port = self.serve_tls("  resourceServerHandler: {enabledFAPI: true}\n" + ctx)
        self.check(port, prov)
        self.assertIn("introspect", prov.grants())


class ROPCTest(FlowTestCase):

    def spec(self, prov, extra="", redeem="/redeem"):
        return "  ropcHandler: {redeemTokenPath: %s}\n" % redeem + self.context(prov, extra=extra)

    def basic(self, user, pw):
        return ("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (user, pw)).encode()).decode())

    def cookie(self, hd):
        v = hd.get("Set-Cookie")
        self.assertIsNotNone(v)
        return ("Cookie", v.split(";")[0])

    def test_password_exchanged_and_session_kept(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        st, hd, body, seen = self.get(port, [self.basic("alice", "wonder land")])
        self.assertEqual((st, body), (200, b"ok"))
        grant, form, auth = prov.hits[0]
        self.assertEqual((grant, form["username"], form["password"], form["scope"]),
                         ("password", ["alice"], ["wonder land"], ["openid api read"]))
        at = seen[0].header("X-Access-Token")
        self.assertEqual(jwt.decode(at, options={"verify_signature": False})["sub"], "alice")
        self.assertTrue(seen[0].header("X-ID-Token"))
        # the session carries the tokens: no credentials, no provider
        cookie = self.cookie(hd)
        req = self.ok(port, [cookie])
        self.assertEqual(req.header("X-Access-Token"), at)
        self.assertEqual(len(prov.hits), 1)
        self.no_secret_in_log()

    def test_bad_credentials(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        self.refused(port, 401, [self.basic("alice", "wrong")])
        self.assertEqual(prov.grants(), ["password"])
        self.refused(port, 401, [self.basic("mallory", "wonder land")])
        self.refused(port, 401)                                  # no credentials
        self.refused(port, 401, [self.basic("alice", "")])       # empty password
        self.refused(port, 401, [("Authorization", "Bearer x")])
        self.assertEqual(len(prov.hits), 2)
        prov.secret = "rotated"                                  # our client refused
        self.refused(port, 401, [self.basic("alice", "wonder land")])
        self.no_secret_in_log()

    def test_credentials_from_a_form_body(self):
        """usernameKey and passwordKey: the credentials come from the form
        fields of a POST (Go's PostFormValue); the body still goes upstream,
        also when it arrives after the head."""
        prov = self.provider()
        port = self.serve("  ropcHandler: {redeemTokenPath: /redeem, usernameKey: user, "
                          "passwordKey: pass}\n" + self.context(prov), session=True)
        form = b"a=1&user=alice&pass=wonder+land&z=%C3%A9"
        ct = ("Content-Type", "application/x-www-form-urlencoded")
        n = len(self.seen)
        st, hd, body = request(port, "POST", "/submit", [ct], form)
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual((self.seen[n].method, self.seen[n].body), ("POST", form))
        grant, f, auth = prov.hits[0]
        self.assertEqual((grant, f["username"], f["password"]),
                         ("password", ["alice"], ["wonder land"]))
        # the body after the head, in two pieces
        c = Client(port)
        self.addCleanup(c.close)
        c.send(("POST /later HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
                % len(form)).encode())
        time.sleep(0.2)
        c.send(form[:10])
        time.sleep(0.2)
        c.send(form[10:])
        st, hd2, body = c.recv_response()
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(self.seen[-1].body, form)
        self.assertEqual(prov.grants(), ["password"] * 2)
        # refused: a wrong password, an empty one, a GET, JSON, Basic credentials only
        for method, headers, body in (
                ("POST", [ct], b"user=alice&pass=wrong"),
                ("POST", [ct], b"user=alice&pass="),
                ("POST", [ct], b"user=alice"),
                ("GET", [ct], b"user=alice&pass=wonder+land"),
                ("POST", [("Content-Type", "application/json")],
                 b'{"user":"alice","pass":"wonder land"}'),
                ("POST", [self.basic("alice", "wonder land")], b"")):
            n = len(self.seen)
            st, hd, got = request(port, method, "/", headers, body)
            self.assertEqual((st, got, self.seen[n:]), (401, BODY_401, []), body)
        self.assertEqual(prov.grants(), ["password"] * 3)
        # the redeem path answers the provider's tokens
        st, hd, body = request(port, "POST", "/redeem", [ct], form)
        self.assertEqual(st, 200)
        self.assertIn("access_token", json.loads(body))
        self.no_secret_in_log()
        self.bad_config("  ropcHandler: {usernameKey: user}\n" + self.context(prov),
                        "usernameKey and passwordKey: both or neither")

    def test_form_body_read_by_the_worker(self):
        """With requestBodyBuffer -1 the form's body is not gathered while
        parked: the middleware reads it, answering 100 Continue first when
        the client waits; the upstream still gets it; a body above 64 KiB
        is not read for credentials."""
        prov = self.provider()

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        addr = 'addr: "127.0.0.1:%d"\n' % port
        self.start(gateway_config(port, up.url, "  ropcHandler: {usernameKey: user, "
                                  "passwordKey: pass}\n" + self.context(prov), session=True)
                   .replace(addr, addr + "  httpConfig: {requestBodyBuffer: -1}\n"), port,
                   extra_args=("-X",))
        form = b"a=1&user=alice&pass=wonder+land&z=%C3%A9"
        c = Client(port)
        self.addCleanup(c.close)
        c.send(("POST /later HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n"
                "Content-Length: %d\r\n\r\n" % len(form)).encode())
        self.assertEqual(c.recv_response()[0], 100)
        c.send(form[:10])
        time.sleep(0.2)
        c.send(form[10:])
        st, hd, body = c.recv_response()
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual((self.seen[-1].target, self.seen[-1].body), ("/later", form))
        self.assertEqual(prov.grants(), ["password"])
        big = form + b"&b=" + b"x" * 65536
        c.send(("POST /big HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
                % len(big)).encode() + big)
        self.assertEqual(c.recv_response()[0], 401)
        self.assertEqual((len(self.seen), prov.grants()), (1, ["password"]))

    def test_redeem_path(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        st, hd, body, seen = self.get(port, [self.basic("alice", "wonder land")], "/redeem",
                                      "POST")
        self.assertEqual(st, 200)
        self.assertEqual(seen, [])
        self.assertEqual(hd["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(hd["X-Content-Type-Options"], "nosniff")
        js = json.loads(body)
        self.assertEqual(js["token_type"], "Bearer")  # the provider's answer as it is
        # again with the session: the tokens held (AILERON's OAuthTokens JSON)
        st, hd2, body, seen = self.get(port, [self.cookie(hd)], "/redeem")
        self.assertEqual((st, seen), (200, []))
        held = json.loads(body)
        self.assertEqual(held["at"], js["access_token"])
        self.assertEqual(held["idt"], js["id_token"])
        self.assertEqual(held["context"], "default")

    def test_expired_tokens_in_session(self):
        prov = self.provider()
        prov.refresh = True
        # leeway 5 s (AILERON's default; 0 would not change it): tokens that
        # expired 3 s ago are good for 2 s more
        prov.lifetime = -3
        port = self.serve(self.spec(prov), session=True)
        st, hd, body, seen = self.get(port, [self.basic("alice", "wonder land")])
        self.assertEqual(st, 200)
        cookie = self.cookie(hd)
        prov.lifetime = 300
        time.sleep(2.5)
        # the tokens expired: refreshed with the refresh token, kept in the session
        st, hd, body, seen = self.get(port, [cookie])
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(prov.grants(), ["password", "refresh_token"])
        self.assertTrue(prov.hits[1][1]["refresh_token"][0].startswith("rt-alice."))
        cookie = self.cookie(hd)
        self.ok(port, [cookie])
        self.assertEqual(len(prov.hits), 2)
        # refresh refused: the session is dropped, credentials needed again
        prov.lifetime = -3
        st, hd, body, seen = self.get(port, [self.basic("alice", "wonder land")])
        cookie = self.cookie(hd)
        prov.refuse_refresh = True
        time.sleep(2.5)
        self.refused(port, 401, [cookie])
        self.assertEqual(prov.grants()[2:], ["password", "refresh_token"])

    def test_wrong_audience_and_down(self):
        self.allow_errors("token request")
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        prov.aud = "other"
        self.refused(port, 401, [self.basic("alice", "wonder land")])
        prov.aud = AUD
        prov.down = True
        self.refused(port, 500, [self.basic("alice", "wonder land")])
        prov.down = False
        self.ok(port, [self.basic("alice", "wonder land")])

    def test_without_session_the_next_handler(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=False)
        self.refused(port, 401, [self.basic("alice", "wonder land")])
        self.assertEqual(prov.hits, [])


class AuthorizationCodeTest(FlowTestCase):
    CALLBACK = "http://gw.example/callback"

    def spec(self, prov, handler="", endpoints="{discovery: /.well-known/openid-configuration}"):
        return ("  authorizationCodeHandler:\n    callbackURL: %s\n    loginPath: /login\n"
                "    urlParams: [\"prompt=login\"]\n%s" % (self.CALLBACK, handler)
                + self.context(prov, endpoints))

    def cookie(self, hd, old=None):
        v = hd.get("Set-Cookie")
        if v is None:
            return old
        return ("Cookie", v.split(";")[0])

    def login(self, port, prov, path="/app?x=1"):
        st, hd, body, seen = self.get(port, [], path)
        self.assertEqual((st, seen), (302, []))
        loc = hd["Location"]
        self.assertTrue(loc.startswith(prov.url + "/authorize?tenant=t1&response_type=code&"), loc)
        code, q = prov.authorize(loc)
        return self.cookie(hd), code, q

    def test_login_callback_and_session(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        cookie, code, q = self.login(port, prov)
        self.assertEqual(q["client_id"], [CLIENT_ID])
        self.assertEqual(q["redirect_uri"], [self.CALLBACK])
        self.assertEqual(q["scope"], ["openid api read"])
        self.assertEqual(q["prompt"], ["login"])
        self.assertEqual(q["code_challenge_method"], ["S256"])
        self.assertEqual(len(q["state"][0]), 112)
        self.assertEqual(len(q["nonce"][0]), 43)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd["Location"], seen), (302, "/app?x=1", []))
        grant, form, auth = prov.hits[-1]
        self.assertEqual(grant, "authorization_code")
        self.assertEqual(form["redirect_uri"], [self.CALLBACK])
        cookie = self.cookie(hd, cookie)
        req = self.ok(port, [cookie], "/app?x=1")
        self.assertEqual(jwt.decode(req.header("X-ID-Token"),
                                    options={"verify_signature": False})["nonce"], q["nonce"][0])
        self.assertTrue(req.header("X-Access-Token"))
        n = len(prov.hits)
        self.ok(port, [cookie], "/other")
        self.assertEqual(len(prov.hits), n)
        # logged in: loginPath and the callback go to redirectPath ("/" unset)
        st, hd, body, seen = self.get(port, [cookie], "/login")
        self.assertEqual((st, hd["Location"]), (302, "/"))
        # the code and state are used once: a replay is refused
        st, hd, body, seen = self.get(port, [], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, body), (401, BODY_401))

    def logged_in(self, port, prov):
        cookie, code, q = self.login(port, prov)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual(st, 302)
        return self.cookie(hd, cookie)

    def test_userinfo_path(self):
        prov = self.provider()
        port = self.serve(self.spec(prov, "    userInfoPath: /me\n"), session=True)
        # not logged in: the login as for any path
        st, hd, body, seen = self.get(port, [], "/me")
        self.assertEqual(st, 302)
        cookie = self.logged_in(port, prov)
        st, hd, body, seen = self.get(port, [cookie], "/me")
        self.assertEqual((st, hd["Content-Type"], seen), (200, "application/json", []))
        self.assertEqual(json.loads(body), {"sub": "alice", "name": "Alice"})
        what, method, auth = prov.hits[-1]
        self.assertEqual((what, method), ("userinfo", "POST"))
        self.assertTrue(auth.startswith("Bearer ey"))
        # a sub that is not the ID token's: 401
        prov.userinfo_sub = "mallory"
        st, hd, body, seen = self.get(port, [cookie], "/me")
        self.assertEqual((st, body, seen), (401, BODY_401, []))
        # the provider refuses (403): its status; fails (503): 500
        prov.userinfo_sub = None
        prov.userinfo_status = 403
        st, hd, body, seen = self.get(port, [cookie], "/me")
        self.assertEqual((st, seen), (403, []))
        prov.userinfo_status = 503
        self.allow_errors("userinfo request")
        st, hd, body, seen = self.get(port, [cookie], "/me")
        self.assertEqual((st, body, seen), (500, BODY_500, []))
        # other paths go upstream as before
        self.ok(port, [cookie], "/app")
        # configured endpoint, no discovery
        self.bad_config(self.spec(prov, "    userInfoPath: /me\n", "{token: /token, "
                                  "authorization: /authorize}"),
                        "userInfoPath needs provider.endpoints.userinfo")
        port = self.serve(self.spec(prov, "    userInfoPath: /me\n", "{token: /token, "
                                    "authorization: '/authorize?tenant=t1', "
                                    "userinfo: /userinfo}"),
                          session=True)
        prov.userinfo_status = 200
        cookie = self.logged_in(port, prov)
        st, hd, body, seen = self.get(port, [cookie], "/me")
        self.assertEqual(json.loads(body)["sub"], "alice")

    def test_restore_request(self):
        """restoreRequest: the request that started the login is replayed
        upstream after the callback, with the callback's Cookie and
        Authorization."""
        prov = self.provider()
        port = self.serve(self.spec(prov, "    restoreRequest: true\n"), session=True)
        form = b"a=1&b=%C3%A9"
        st, hd, body = request(port, "POST", "/app/submit?x=1",
                               [("Content-Type", "application/x-www-form-urlencoded"),
                                ("X-Custom", "yes"), ("Authorization", "Basic b2xkOm9sZA==")],
                               form)
        self.assertEqual(st, 302)
        cookie = self.cookie(dict(hd))
        code, q = prov.authorize(dict(hd)["Location"])
        n = len(self.seen)
        st, hd, body, seen = self.get(port, [cookie, ("Authorization", "Bearer new")],
                                      "/callback?state=%s&code=%s" % (q["state"][0], code))
        self.assertEqual((st, body, len(seen)), (200, b"ok", 1))
        req = seen[0]
        self.assertEqual((req.method, req.target, req.body), ("POST", "/app/submit?x=1", form))
        self.assertEqual((req.header("X-Custom"), req.header("Authorization")), ("yes", "Bearer new"))
        self.assertTrue(req.header("X-Access-Token"))
        self.assertEqual(hd.get("Connection"), "close")
        cookie = self.cookie(hd, cookie)
        # logged in: requests go upstream as they are
        self.assertEqual(self.ok(port, [cookie], "/other").method, "GET")
        self.assertEqual(len(self.seen), n + 2)
        # a login at loginPath keeps no request: the callback redirects as without
        cookie, code, q = self.login(port, prov, "/login?rd=/back")
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd.get("Location"), seen), (302, "/back", []))
        # a body that cannot be kept: 413, no login
        st, hd, body = request(port, "POST", "/big", [], b"x" * 70000)
        self.assertEqual(st, 413)
        # a field value that is not UTF-8 cannot be kept either: 400
        st, hd, body = request(port, "GET", "/latin", [("X-Name", "caf\xe9")])
        self.assertEqual(st, 400)

    def jarm(self, prov, q, code, key=None, kid=None, drop=(), **kw):
        """A JARM authorization response for the login with parameters q."""
        c = {"iss": prov.iss, "aud": AUD, "exp": int(time.time()) + 60, "code": code,
             "state": q["state"][0]}
        c.update(kw)
        for k in drop:
            del c[k]
        if key == "none":  # unsigned
            return jwt.encode(c, None, algorithm="none")
        return jwt.encode(c, key or prov.key, algorithm="RS256", headers={"kid": kid or prov.kid})

    def test_jarm(self):
        prov = self.provider()
        port = self.serve(self.spec(prov, "    jarm: {}\n"), session=True)

        def callback(**kw):
            cookie, code, q = self.login(port, prov)
            self.assertEqual(q["response_mode"], ["jwt"])
            resp = self.jarm(prov, q, code, **kw)
            st, hd, body, seen = self.get(port, [cookie], "/callback?response=" + resp)
            self.assertEqual(seen, [])
            return st, body
        self.assertEqual(callback()[0], 302)
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for kw in ({"key": other}, {"key": "none"}, {"exp": int(time.time()) - 10},
                   {"drop": ["exp"]}, {"aud": "someone-else"}, {"iss": prov.iss + "/x"},
                   {"state": "forged"}, {"drop": ["state"]}, {"drop": ["code"]}):
            self.assertEqual(callback(**kw), (401, BODY_401), kw)
        # the plain code and state are not enough
        cookie, code, q = self.login(port, prov)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, body), (401, BODY_401))
        self.assertNotIn(code, self.gw.output())

    def test_jarm_keys_from_jwks(self):
        """jarm.jwtHandler.JWKs: the response's key from the issuer's JWKS
        (kid needed; an unknown kid is refused)."""
        prov = self.provider()
        port = self.serve(self.spec(prov, "    jarm:\n      jwtHandler:\n        JWKs: "
                                    "{\"%s\": \"%s/jwks\"}\n" % (prov.iss, prov.url)),
                          session=True)
        for kid, want in (("k1", 302), ("unknown", 401)):
            cookie, code, q = self.login(port, prov)
            st, hd, body, seen = self.get(port, [cookie], "/callback?response="
                                          + self.jarm(prov, q, code, kid=kid))
            self.assertEqual(st, want, kid)

    def test_jarm_form_post_with_its_own_keys(self):
        prov = self.provider()
        jkey = ec.generate_private_key(ec.SECP256R1())
        port = self.serve(self.spec(prov, "    jarm:\n      responseMode: ResponseModeFormPostJWT\n"
                                    "      jwtHandler:\n        publicKeys:\n"
                                    "          - {keyID: j1, keyType: PUBLIC, keyFilePath: %s}\n"
                                    % self.file("jarm.pem", pem_public(jkey))), session=True)
        cookie, code, q = self.login(port, prov)
        self.assertEqual(q["response_mode"], ["form_post.jwt"])
        c = {"iss": prov.iss, "aud": AUD, "exp": int(time.time()) + 60}
        ct = ("Content-Type", "application/x-www-form-urlencoded")
        # in the query: not for form_post.jwt; signed with the provider's key: not the JARM key
        for how in ("query", "provider-key"):
            cookie, code, q = self.login(port, prov)
            c.update(code=code, state=q["state"][0])
            if how == "query":
                st, hd, body = request(port, "GET", "/callback?response=" + jwt.encode(
                    c, jkey, algorithm="ES256", headers={"kid": "j1"}), [cookie])
            else:
                st, hd, body = request(port, "POST", "/callback", [cookie, ct], (
                    "response=" + jwt.encode(c, prov.key, algorithm="RS256",
                                             headers={"kid": "j1"})).encode())
            self.assertEqual(st, 401, how)
        cookie, code, q = self.login(port, prov)
        c.update(code=code, state=q["state"][0])
        form = ("response=" + jwt.encode(c, jkey, algorithm="ES256",
                                         headers={"kid": "j1"})).encode()
        st, hd, body = request(port, "POST", "/callback", [cookie, ct], form)
        self.assertEqual((st, dict(hd)["Location"]), (302, "/app?x=1"))
        self.bad_config(self.spec(prov, "    jarm: {responseMode: ResponseModeFragmentJWT}\n"),
                        "ResponseModeFragmentJWT cannot work")

    def ro_spec(self, prov, more=""):
        key = ec.generate_private_key(ec.SECP256R1())
        prov.ro_key = key.public_key()
        path = self.file("ro.pem", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return self.spec(prov, "    requestObject:\n%s      exp: 300\n      nbf: 5\n"
                         "      jwtHandler:\n        privateKeys:\n"
                         "          - {keyID: ro1, algorithm: ES256, keyType: PRIVATE, "
                         "keyFilePath: %s}\n" % (more, path))

    def test_request_object_by_value(self):
        prov = self.provider()
        port = self.serve(self.ro_spec(prov), session=True)
        st, hd, body, seen = self.get(port, [], "/app?x=1")
        loc = urllib.parse.urlsplit(hd["Location"])
        plain = urllib.parse.parse_qs(loc.query)
        # the other parameters are in the object only (AILERON's)
        self.assertNotIn("redirect_uri", plain)
        self.assertNotIn("prompt", plain)
        ro = plain["request"][0]
        self.assertEqual(jwt.get_unverified_header(ro)["kid"], "ro1")
        c = jwt.decode(ro, prov.ro_key, algorithms=["ES256"], audience=prov.iss)
        now = time.time()
        self.assertTrue(295 <= c["exp"] - now <= 301 and now - 6 <= c["nbf"] <= now - 4, c)
        self.assertEqual((c["iss"], c["client_id"], c["response_type"], c["redirect_uri"],
                          c["scope"], c["prompt"], c["state"], c["nonce"],
                          c["code_challenge_method"]),
                         (CLIENT_ID, CLIENT_ID, "code", self.CALLBACK, "openid api read",
                          "login", plain["state"][0], plain["nonce"][0], "S256"))
        # signed by our key only: another key does not verify it
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(ro, ec.generate_private_key(ec.SECP256R1()).public_key(),
                       algorithms=["ES256"], audience=prov.iss)
        # the whole flow, the provider reading the object
        code, q = prov.authorize(hd["Location"])
        cookie = self.cookie(hd)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd.get("Location")), (302, "/app?x=1"))
        self.ok(port, [self.cookie(hd, cookie)], "/app?x=1")

    def test_request_object_by_reference(self):
        prov = self.provider()
        port = free_port()
        uri = "http://127.0.0.1:%d/request-uri" % port
        spec = self.ro_spec(prov, "      requestURI: %s\n      disableCache: true\n" % uri)
        up = self.upstream(lambda req, c: response(200, b"ok"))
        self.gw = self.start(gateway_config(port, up.url, spec, "", True), port,
                             extra_args=("-X",))
        st, hd, body = request(port, "GET", "/app?x=1")
        hd = dict(hd)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(hd["Location"]).query)
        self.assertNotIn("request", q)
        self.assertTrue(q["request_uri"][0].startswith(uri + "#"))
        self.assertEqual(len(q["request_uri"][0]), len(uri) + 44)
        # the provider fetches it: a request object without the browser's state
        st, hd2, body = request(port, "GET", "/request-uri")
        self.assertEqual((st, dict(hd2)["Content-Type"]), (200, "application/jwt; charset=utf-8"))
        c = jwt.decode(body, prov.ro_key, algorithms=["ES256"], audience=prov.iss)
        self.assertNotIn("state", c)
        self.assertEqual(c["redirect_uri"], self.CALLBACK)
        code, q = prov.authorize(hd["Location"])
        self.assertEqual(q["redirect_uri"], [self.CALLBACK])
        st, hd3, body = request(port, "GET", "/callback?state=%s&code=%s"
                                % (q["state"][0], code), [self.cookie(hd)])
        self.assertEqual((st, dict(hd3).get("Location")), (302, "/app?x=1"))
        self.bad_config(self.spec(prov, "    requestObject: {exp: 60}\n"),
                        "requestObject.jwtHandler.privateKeys: a key that signs")
        self.bad_config(self.spec(prov, "    requestObject: {exp: 7200}\n"), "exp")

    def test_enabled_fapi_checks_the_callback(self):
        """enabledFAPI: the login keeps its callback in the session and the
        callback must be that one (FAPI 1 part 1 5.2.3)."""
        prov = self.provider()
        port = self.serve(self.spec(prov, "    enabledFAPI: true\n"), session=True)
        cookie, code, q = self.login(port, prov)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd.get("Location")), (302, "/app?x=1"))
        # a login made without it (another gateway, same session cookie): 401
        plain = self.serve(self.spec(prov), session=True)
        cookie, code, q = self.login(plain, prov)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, body), (401, BODY_401))
        st, hd, body, seen = self.get(plain, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual(st, 302)  # without enabledFAPI the same login goes on

    def test_callback_checks(self):
        prov = self.provider()
        port = self.serve(self.spec(prov), session=True)
        # a wrong state, no code
        cookie, code, q = self.login(port, prov)
        self.refused(port, 401, [cookie], "/callback?state=x%s&code=%s" % (q["state"][0], code))
        cookie, code, q = self.login(port, prov)
        self.refused(port, 401, [cookie], "/callback?state=%s" % q["state"][0])
        # the provider refuses the code (not issued: the verifier cannot match)
        cookie, code, q = self.login(port, prov)
        self.refused(port, 401, [cookie], "/callback?state=%s&code=forged" % q["state"][0])
        # the ID token carries another nonce
        cookie, code, q = self.login(port, prov)
        prov.nonce_override = "replayed-nonce"
        self.refused(port, 401, [cookie], "/callback?state=%s&code=%s" % (q["state"][0], code))
        prov.nonce_override = None
        # an ID token for another audience
        cookie, code, q = self.login(port, prov)
        prov.client_id = "someone-else"
        self.refused(port, 401, [cookie], "/callback?state=%s&code=%s" % (q["state"][0], code))
        prov.client_id = CLIENT_ID
        # a callback without a login
        self.refused(port, 401, [], "/callback?state=a&code=b")
        self.no_secret_in_log()

    def test_redirects(self):
        prov = self.provider()
        port = self.serve(self.spec(prov, "    redirectPathPattern: \"^/(app|ok)\"\n"),
                          session=True)
        cookie, code, q = self.login(port, prov, "/login?rd=%2Fok%3Fa%3D1")
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd["Location"]), (302, "/ok?a=1"))
        for rd in ("//evil.example/", "/%0d%0aX:%20y", "/elsewhere", "https://evil.example/"):
            self.refused(port, 401, [], "/login?rd=" + urllib.parse.quote(rd, safe="%"))
        # redirectToLogin, then unauthorizeAny
        port = self.serve(self.spec(prov, "    redirectToLogin: true\n"), session=True)
        st, hd, body, seen = self.get(port, [], "/app")
        self.assertEqual((st, hd["Location"]), (302, "/login"))
        port = self.serve(self.spec(prov, "    unauthorizeAny: true\n    disablePKCE: true\n"
                                          "    disableNonce: true\n"), session=True)
        self.refused(port, 401, [], "/app")
        cookie, code, q = self.login(port, prov, "/login")
        self.assertNotIn("nonce", q)
        self.assertNotIn("code_challenge", q)
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual((st, hd["Location"]), (302, "/login"))

    def test_plain_pkce_and_configured_endpoints(self):
        prov = self.provider()
        port = self.serve(self.spec(prov, "    pkceMethod: Plain\n",
                                    "{authorization: /authorize?tenant=t1, token: /token}"),
                          session=True)
        cookie, code, q = self.login(port, prov)
        self.assertEqual(q["code_challenge_method"], ["plain"])
        st, hd, body, seen = self.get(port, [cookie], "/callback?state=%s&code=%s"
                                      % (q["state"][0], code))
        self.assertEqual(st, 302)
        self.assertEqual(prov.hits[-1][1]["code_verifier"], q["code_challenge"])

    def test_config_errors(self):
        prov = self.provider()

        bad = self.bad_config
        bad("  authorizationCodeHandler: {}\n", "callbackURL: required")
        bad(self.spec(prov, "    redirectPathPattern: \"(\"\n"), "not a POSIX extended")
        bad(self.spec(prov, endpoints="{token: /t}"),
            "needs provider.endpoints.authorization or")


class ExampleTest(FlowTestCase):
    """AILERON's examples/authn-client-credentials and authn-ropc, unchanged:
    they load as they are (the key file they name made from the example's
    public.pem); then run against the provider here in Keycloak's place,
    tokens signed with the example's private.pem under its kid."""

    KID = "LO9dmmUtUOiV1P7OkzYW-CDbTJV94nADvDFhojxvSqk"

    def enter(self, name):
        tmp = tempfile.mkdtemp(prefix="aileron-example-")
        self.addCleanup(shutil.rmtree, tmp, True)
        d = os.path.join(tmp, name)
        shutil.copytree(os.path.join(EXAMPLES, name), d)
        keys = os.path.join(d, "_devtools", "keycloak", "keys")
        os.makedirs(keys)
        src = os.path.join(EXAMPLES, "authn-client-credentials", "keycloak", "keys")
        shutil.copy(os.path.join(src, "public.pem"), os.path.join(keys, "public.key"))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        with open(os.path.join(src, "private.pem"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        rc, out = run_aileron(["-c", "-f", "config.yaml"])
        self.assertEqual(rc, 0, out)
        return key

    def run_example(self, name, client_id, secret, aud):
        key = self.enter(name)
        prov = Provider(self, key, self.KID, iss="http://localhost:18080/realms/aileron",
                        client_id=client_id, secret=secret)
        prov.aud = aud
        iss = prov.iss
        prov.iss = iss.replace("http://localhost:18080", prov.url)
        port = free_port()
        with open("config.yaml") as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.gw = self.start(text.replace("http://localhost:18080", prov.url), port)
        return prov, port

    def test_client_credentials(self):
        prov, port = self.run_example("authn-client-credentials", "aileron_client_credentials",
                                      "j9wEw6Zj3dhGIhVzGCD1jpsDLDkMl8wD", "account")
        p = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/test" % port],
                           capture_output=True, timeout=10)
        out = p.stdout.decode()
        self.assertIn("URI    : /test", out)
        self.assertIn('"X-Access-Token": [\n    "ey', out)
        self.assertEqual(prov.grants()[:1], ["client_credentials"])

    def test_ropc(self):
        prov, port = self.run_example("authn-ropc", "aileron_ropc",
                                      "c3lApVkvhLnpZ01XBxshcJzY9FGsq30q", "aileron_ropc")
        p = subprocess.run(["curl", "-s", "-u", "alice:wonder land",
                            "http://127.0.0.1:%d/test" % port], capture_output=True, timeout=10)
        out = p.stdout.decode()
        self.assertIn("URI    : /test", out)
        self.assertIn('"X-Id-Token": [\n    "ey', out.replace("X-ID-Token", "X-Id-Token"))
        p = subprocess.run(["curl", "-s", "-u", "alice:wrong", "http://127.0.0.1:%d/test" % port],
                           capture_output=True, timeout=10)
        self.assertEqual(p.stdout, BODY_401)
        p = subprocess.run(["curl", "-s", "-u", "alice:wonder land", "-X", "POST",
                            "http://127.0.0.1:%d/redeem" % port], capture_output=True, timeout=10)
        self.assertIn('"access_token"', p.stdout.decode())

    # AILERON's examples/authn-fapi (all but config.yaml, whose key files
    # are absolute paths under /home)
    FAPI = ["client-auth/config-client-secret-jwt.yaml",
            "client-auth/config-private-key-jwt.yaml",
            "client-auth/config-self-signed-tls-client-auth.yaml",
            "certificate-bound-access-tokens/config-get-access-token.yaml",
            "certificate-bound-access-tokens/config-resource-server.yaml",
            "jarm/config-jarm.yaml",
            "request-object/config-value.yaml",
            "request-object/config-reference.yaml"]

    def enter_fapi(self):
        """A copy of examples/authn-fapi with the key files its configs
        name: the Keycloak public key of the other examples, a client RSA
        key and test certificates made here."""
        tmp = tempfile.mkdtemp(prefix="aileron-fapi-")
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(os.path.join(EXAMPLES, "authn-fapi"), os.path.join(tmp, "authn-fapi"))
        pub = os.path.join(EXAMPLES, "authn-client-credentials", "keycloak", "keys", "public.pem")
        keys = os.path.join(tmp, "_example", "authn-fapi", "keys")
        for d in ("_devtools/keycloak/keys", "_example/authn-fapi/keys/keycloak",
                  "_example/authn-fapi/keys/aileron", "_example/authn-fapi/keys/mtls"):
            os.makedirs(os.path.join(tmp, d))
        shutil.copy(pub, os.path.join(tmp, "_devtools/keycloak/keys/public.key"))
        shutil.copy(pub, os.path.join(keys, "keycloak", "public.key"))
        client = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(os.path.join(keys, "aileron", "private.key"), "wb") as f:
            f.write(client.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        pki = make_pki()
        self.addCleanup(pki.cleanup)
        for src, dst in (("client.pem", "client.crt"), ("client.key", "client.key"),
                         ("ca.pem", "server-ca.crt"), ("ca.pem", "client-ca.crt")):
            shutil.copy(os.path.join(pki.dir, src), os.path.join(keys, "mtls", dst))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(tmp)
        return tmp, client

    def test_fapi_examples_load(self):
        self.enter_fapi()
        for name in self.FAPI:
            rc, out = run_aileron(["-c", "-f", os.path.join("authn-fapi", name)])
            self.assertEqual(rc, 0, (name, out))

    def fapi_login(self, name, client_id, secret, assertion):
        """An authn-fapi authorization code example against the provider
        here in Keycloak's place: the browser's login, the code redeemed
        with the client authentication the example names (verified by
        the provider with assertion(client key)), the echo."""
        tmp, client = self.enter_fapi()
        with open(os.path.join(EXAMPLES, "authn-client-credentials", "keycloak", "keys",
                               "private.pem"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        prov = Provider(self, key, self.KID, client_id=client_id, secret=secret)
        prov.iss = prov.url + "/realms/aileron"
        prov.aud = client_id
        prov.assertion = assertion(client)
        port = free_port()
        with open(os.path.join("authn-fapi", name)) as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        self.gw = self.start(text.replace("http://localhost:18080", prov.url), port)
        st, hd, body = request(port, "GET", "/auth/login")
        hd = dict(hd)
        self.assertEqual(st, 302)
        code, q = prov.authorize(hd["Location"])
        self.assertEqual((q["max_age"], q["login_hint"]), (["120"], ["user001"]))
        cookie = ("Cookie", hd["Set-Cookie"].split(";")[0])
        st, hd2, body = request(port, "GET", "/auth/callback?state=%s&code=%s"
                                % (q["state"][0], code), [cookie])
        hd2 = dict(hd2)
        self.assertEqual((st, hd2["Location"]), (302, "/auth/success"))
        grant, form, auth = prov.hits[-1]
        self.assertEqual(grant, "authorization_code")
        cookie = ("Cookie", hd2.get("Set-Cookie", cookie[1]).split(";")[0])
        st, hd3, body = request(port, "GET", "/auth/success", [cookie])
        self.assertEqual(st, 200)
        self.assertIn(b"/auth/success", body)
        return jwt.get_unverified_header(form["client_assertion"][0])

    def test_fapi_client_secret_jwt_example(self):
        secret = "MkHyKDoZRM0r5hUN3me5fVJQWkWrRQc9"
        h = self.fapi_login("client-auth/config-client-secret-jwt.yaml", "client-secret-jwt",
                            secret, lambda client: (secret.encode(), ["HS256"]))
        self.assertEqual(h["alg"], "HS256")
        self.assertNotIn(secret, self.gw.output())

    def test_fapi_private_key_jwt_example(self):
        h = self.fapi_login("client-auth/config-private-key-jwt.yaml", "private-key-jwt",
                            None, lambda client: (client.public_key(), ["RS256"]))
        self.assertEqual((h["alg"], h["kid"]), ("RS256", "xFzm4BYgi-A0uzO9PpjgXmSS9HrsLZPhc0IrH8hedX4"))
    def test_authorization_code_example(self):
        """examples/authn-authorization-code, unchanged but for the
        provider's and the upstream's addresses: a browser's first request
        is sent to log in, the callback redeems the code (BasicAuth) and
        the upstream then gets both tokens."""
        tmp = tempfile.mkdtemp(prefix="aileron-example-")
        self.addCleanup(shutil.rmtree, tmp, True)
        d = os.path.join(tmp, "authn-authorization-code")
        shutil.copytree(os.path.join(EXAMPLES, "authn-authorization-code"), d)
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        rc, out = run_aileron(["-c", "-f", "config.yaml"])
        self.assertEqual(rc, 0, out)
        with open(os.path.join(EXAMPLES, "authn-client-credentials", "keycloak", "keys",
                               "private.pem"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        prov = Provider(self, key, "QJQdUdHaY_OXC8BfO-3tqVV0s64nvrFSffyfqONNeYk",
                        client_id="aileron_authorization_code",
                        secret="KWYPBgrTEEGZNH6wZsP2zyK14LZHJi77")
        prov.iss = prov.url + "/realms/aileron"
        prov.aud = "aileron_authorization_code"
        seen = []

        def handle(req, c):
            seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        with open("config.yaml") as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://localhost:18080", prov.url)
        self.gw = self.start(text.replace("http://httpbin.org", up.url), port)
        st, hd, body = request(port, "GET", "/anything")
        hd = dict(hd)
        self.assertEqual((st, hd["Location"]), (302, "/auth/login"))  # redirectToLogin
        cookies = [("Cookie", hd["Set-Cookie"].split(";")[0])] if "Set-Cookie" in hd else []
        st, hd, body = request(port, "GET", "/auth/login", cookies)
        hd = dict(hd)
        self.assertEqual(st, 302)
        self.assertTrue(hd["Location"].startswith(prov.url + "/authorize?"), hd["Location"])
        code, q = prov.authorize(hd["Location"])
        self.assertEqual(q["client_id"], ["aileron_authorization_code"])
        self.assertEqual(q["redirect_uri"], ["http://localhost:8080/auth/callback"])
        self.assertEqual(q["scope"], ["openid profile"])
        cookie = ("Cookie", hd["Set-Cookie"].split(";")[0])
        st, hd2, body = request(port, "GET", "/auth/callback?state=%s&code=%s"
                                % (q["state"][0], code), [cookie])
        hd2 = dict(hd2)
        self.assertEqual(st, 302)
        grant, form, auth = prov.hits[-1]
        self.assertEqual(grant, "authorization_code")
        self.assertTrue(auth.startswith("Basic "), auth)
        cookie = ("Cookie", hd2.get("Set-Cookie", cookie[1]).split(";")[0])
        st, hd3, body = request(port, "GET", hd2["Location"], [cookie])
        self.assertEqual((st, body), (200, b"ok"))
        self.assertTrue(seen[-1].header("X-Access-Token").startswith("ey"))
        self.assertTrue(seen[-1].header("X-ID-Token").startswith("ey"))
        self.assertNotIn("KWYPBgrTEEGZNH6wZsP2zyK14LZHJi77", self.gw.output())


if __name__ == "__main__":
    unittest.main()
