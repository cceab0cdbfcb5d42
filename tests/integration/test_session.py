"""app/v1 SessionMiddleware: sessions kept in cookies, checked against AILERON's format in Python."""

import base64
import gzip
import hashlib
import hmac
import json
import os
import socket
import subprocess
import tempfile
import zlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harness import AILERON, AileronTestCase, Client, free_port, header, request, response

ERROR500 = b'{"status":500,"statusText":"Internal Server Error"}'
FORBIDDEN = b'{"status":403,"statusText":"Forbidden"}'
CHUNK = 3968
HOST = socket.gethostname().encode()
# AILERON's default secrets: derived from the host name.
HMAC_KEY = hashlib.sha512(HOST).digest()
CRYPT_KEY = hashlib.sha256(HOST).digest()
CSRF_SECRET = "bXktc2VjdXJlLXNlY3JldC1rZXktc3RyaW5nLWZvci1jc3Jm"


def csrf_token(secret=CSRF_SECRET):
    key = base64.b64decode(secret)
    seed = os.urandom(32)
    return (seed + hmac.new(key, seed, hashlib.sha256).digest()).hex()


def encrypt(kind, key, data):
    """AILERON's CommonKeyCryptType: a fresh IV, prepended."""
    if kind == "AESGCM":
        nonce = os.urandom(12)
        return nonce + AESGCM(key).encrypt(nonce, data, None)
    iv = os.urandom(16)
    if kind == "AESCBC":
        p = padding.PKCS7(128).padder()
        data = p.update(data) + p.finalize()
    mode = {"AESCBC": modes.CBC, "AESCFB": modes.CFB, "AESCTR": modes.CTR, "AESOFB": modes.OFB}[kind]
    e = Cipher(algorithms.AES(key), mode(iv)).encryptor()
    return iv + e.update(data) + e.finalize()


def decrypt(kind, key, data):
    if kind == "AESGCM":
        return AESGCM(key).decrypt(data[:12], data[12:], None)
    iv, data = data[:16], data[16:]
    mode = {"AESCBC": modes.CBC, "AESCFB": modes.CFB, "AESCTR": modes.CTR, "AESOFB": modes.OFB}[kind]
    d = Cipher(algorithms.AES(key), mode(iv)).decryptor()
    out = d.update(data) + d.finalize()
    if kind == "AESCBC":
        u = padding.PKCS7(128).unpadder()
        out = u.update(out) + u.finalize()
    return out


class Encoder:
    """AILERON's SecureEncoder and cookie store, the Go rules written again."""

    def __init__(self, cipher="AESGCM", crypt_key=CRYPT_KEY, hmac_key=HMAC_KEY,
                 digest=hashlib.sha256, compress=False, use_hmac=True, use_crypt=True):
        self.cipher, self.crypt_key, self.hmac_key = cipher, crypt_key, hmac_key
        self.digest, self.compress = digest, compress
        self.use_hmac, self.use_crypt = use_hmac, use_crypt

    def encode(self, data):
        if self.compress:
            data = gzip.compress(data, 6)
        if self.use_crypt:
            data = encrypt(self.cipher, self.crypt_key, data)
        if self.use_hmac:
            data += hmac.new(self.hmac_key, data, self.digest).digest()
        return base64.b64encode(data).decode()

    def decode(self, value):
        data = base64.b64decode(value, validate=True)
        if self.use_hmac:
            n = self.digest().digest_size
            data, mac = data[:-n], data[-n:]
            assert hmac.compare_digest(mac, hmac.new(self.hmac_key, data, self.digest).digest()), "bad HMAC"
        if self.use_crypt:
            data = decrypt(self.cipher, self.crypt_key, data)
        if self.compress:
            data = zlib.decompress(data, 16 + 15)
        return data


def session_json(entries):
    """Go's json.Marshal of map[string][]byte: sorted keys, base64 values."""
    return json.dumps({k: base64.b64encode(v).decode() for k, v in entries.items()},
                      sort_keys=True, separators=(",", ":")).encode()


def parse_session(data):
    return {k: base64.b64decode(v) for k, v in json.loads(data).items()}


def chunks(value, name="_SESSION"):
    """AILERON's split: m = ceil(n/3968) chunks of ceil(n/m) characters."""
    n = len(value)
    m = -(-n // CHUNK)
    size = -(-n // m) if m else 0
    return [("%s%d" % (name, i), value[i * size:(i + 1) * size]) for i in range(m)]


def cookie_header(pairs):
    return "; ".join("%s=%s" % p for p in pairs)


def set_cookies(headers):
    return [v for k, v in headers if k.lower() == "set-cookie"]


def cookie_pairs(headers):
    """Set-Cookie values as (name, value, attributes)."""
    out = []
    for v in set_cookies(headers):
        nv, _, attrs = v.partition("; ")
        n, _, val = nv.partition("=")
        out.append((n, val, attrs))
    return out


def joined(headers, name="_SESSION"):
    vals = dict((n, v) for n, v, _ in cookie_pairs(headers))
    i, out = 0, ""
    while "%s%d" % (name, i) in vals:
        out += vals["%s%d" % (name, i)]
        i += 1
    return out


def config(port, up_url, session_spec="", csrf_spec=None):
    """SessionMiddleware on the server; /token and /app behind CSRF when csrf_spec is set."""
    handlers = """        - handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
"""
    docs = ""
    if csrf_spec is not None:
        handlers = """        - handler:
            apiVersion: app/v1
            kind: CSRFMiddleware
        - middleware:
            - apiVersion: app/v1
              kind: CSRFMiddleware
          handler:
            apiVersion: core/v1
            kind: ReverseProxyHandler
"""
        docs = """---
apiVersion: app/v1
kind: CSRFMiddleware
spec:
%s""" % csrf_spec
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
  httpConfig: {maxHeaderBytes: 131072}
  middleware:
    - apiVersion: app/v1
      kind: SessionMiddleware
  virtualHosts:
    - handlers:
%s---
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
%s%s""" % (port, handlers, up_url, session_spec or "  cookieName: _SESSION\n", docs)


SYNC = """  synchronizerToken:
    tokenSource: Header
    sourceKey: X-CSRF-Token
  secret: "%s"
""" % CSRF_SECRET


class SessionTest(AileronTestCase):
    def serve(self, session_spec="", csrf_spec=None):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.start(config(port, up.url, session_spec, csrf_spec), port)
        return port

    def test_fresh_session_cookie(self):
        """A new, empty session: one cookie of 80 characters (60 bytes) on every response."""
        port = self.serve()
        st, hd, body = request(port, "GET", "/")
        self.assertEqual((st, body), (200, b"ok"))
        sc = set_cookies(hd)
        self.assertEqual(len(sc), 1, hd)  # saved once, not twice as AILERON behind the proxy
        n, v, attrs = cookie_pairs(hd)[0]
        self.assertEqual((n, len(v), attrs), ("_SESSION0", 80, "Path=/; HttpOnly; Secure"))
        self.assertEqual(Encoder().decode(v), b"")
        # Replaying it: AILERON answers 500 (Go cannot unmarshal zero bytes);
        # aileron takes it as the empty session it is.
        st, hd, body = request(port, "GET", "/", [("Cookie", "_SESSION0=" + v)])
        self.assertEqual((st, body), (200, b"ok"))
        self.assertNotEqual(cookie_pairs(hd)[0][1], v)  # a new nonce
        self.assertEqual(Encoder().decode(cookie_pairs(hd)[0][1]), b"")

    def test_session_with_data_replayed(self):
        """A session made by the Go rules is read; unmodified, its JSON is saved as it came."""
        port = self.serve()
        data = b'{"a":"ImIi","k":"InYi"}'
        v = Encoder().encode(data)
        st, hd, body = request(port, "GET", "/", [("Cookie", "other=1; _SESSION0=" + v)])
        self.assertEqual((st, body), (200, b"ok"))
        nv = cookie_pairs(hd)[0][1]
        self.assertNotEqual(nv, v)
        self.assertEqual(Encoder().decode(nv), data)
        # The cookie never reaches the upstream's response unasked, but the
        # request's Cookie header goes upstream as it came.
        self.assertIn("_SESSION0=", self.seen[-1].header("Cookie"))

    def test_tampered_cookie(self):
        port = self.serve()
        v = Encoder().encode(b'{"k":"InYi"}')
        bad = v[:10] + ("A" if v[10] != "A" else "B") + v[11:]
        for ck in ("_SESSION0=" + bad, "_SESSION0=!!notbase64", "_SESSION0=" + v[:-8],
                   "_SESSION0=" + Encoder(hmac_key=b"other").encode(b"{}"),
                   "_SESSION0=" + Encoder(crypt_key=b"k" * 32).encode(b"{}"),
                   "_SESSION0=" + Encoder().encode(b"[1,2]"),
                   "_SESSION0=" + Encoder().encode(b'{"k":1}'),
                   "_SESSION0=" + Encoder().encode(b'{"k":"not base64!"}')):
            n = len(self.seen)
            st, hd, body = request(port, "GET", "/", [("Cookie", ck)])
            self.assertEqual((st, body), (500, ERROR500), ck)
            self.assertEqual(set_cookies(hd), [])
            self.assertEqual(len(self.seen), n)  # never reached the upstream
        # The worker is fine: a good cookie still works on the same connection.
        c = Client(port)
        c.send(("GET / HTTP/1.1\r\nHost: x\r\nCookie: _SESSION0=%s\r\n\r\n" % bad).encode())
        self.assertEqual(c.recv_response()[0], 500)
        c.send(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: _SESSION0=%s\r\n\r\n" % v).encode())
        self.assertEqual(c.recv_response()[0::2], (200, b"ok"))
        c.close()

    def test_chunks(self):
        """A big session: read from chunks, saved in ceil(n/3968) even chunks, surplus deleted."""
        port = self.serve()
        data = session_json({"big": os.urandom(3000)})
        v = Encoder().encode(data)
        self.assertGreater(len(v), CHUNK)
        # AILERON joins chunks by index in any order; send three uneven ones.
        third = len(v) // 3
        pairs = [("_SESSION2", v[2 * third:]), ("_SESSION0", v[:third]), ("x", "y"),
                 ("_SESSION1", v[third:2 * third])]
        st, hd, body = request(port, "GET", "/", [("Cookie", cookie_header(pairs))])
        self.assertEqual((st, body), (200, b"ok"))
        got = cookie_pairs(hd)
        self.assertEqual([n for n, _, _ in got], ["_SESSION0", "_SESSION1", "_SESSION2"])
        self.assertEqual(got[2][1:], ("", "Max-Age=0"))
        self.assertEqual(set_cookies(hd)[2], "_SESSION2=; Max-Age=0")
        new = joined(hd)
        self.assertEqual([len(c) for _, c in chunks(new)], [len(got[0][1]), len(got[1][1])])
        self.assertEqual(abs(len(got[0][1]) - len(got[1][1])) <= 1, True)
        self.assertEqual(Encoder().decode(new), data)
        # Chunks two cookie headers apart are joined too.
        st, hd, _ = request(port, "GET", "/", [("Cookie", "_SESSION1=" + new[len(got[0][1]):]),
                                                ("Cookie", "_SESSION0=" + got[0][1])])
        self.assertEqual(st, 200)
        self.assertEqual(Encoder().decode(joined(hd)), data)
        # A chunk index not below the number of cookies is not a chunk (AILERON):
        # the session is then cut short and fails.
        st, _, body = request(port, "GET", "/", [("Cookie", "_SESSION0=%s; _SESSION5=%s" % (
            got[0][1], new[len(got[0][1]):]))])
        self.assertEqual((st, body), (500, ERROR500))

    def test_too_many_chunks(self):
        port = self.serve()
        v = Encoder().encode(b'{"k":"InYi"}')
        pairs = [("_SESSION0", v)] + [("_SESSION%d" % i, "") for i in range(1, 9)]
        st, _, body = request(port, "GET", "/", [("Cookie", cookie_header(pairs))])
        self.assertEqual((st, body), (500, ERROR500))
        # Eight chunks are still taken.
        st, _, _ = request(port, "GET", "/", [("Cookie", cookie_header(pairs[:8]))])
        self.assertEqual(st, 200)
        # More characters than eight chunks hold: refused before decoding.
        st, _, body = request(port, "GET", "/", [("Cookie", "_SESSION0=" + "A" * (8 * CHUNK + 4))])
        self.assertEqual((st, body), (500, ERROR500))
        self.assertEqual(request(port, "GET", "/")[0], 200)

    def test_plain_session_no_cookie(self):
        """Encryption and HMAC off (AILERON's examples/session): an empty session sets no cookie."""
        port = self.serve("  secureEncoder:\n    disableHMAC: true\n    disableEncryption: true\n")
        st, hd, _ = request(port, "GET", "/")
        self.assertEqual((st, set_cookies(hd)), (200, []))
        data = session_json({"k": b'"v"'})
        v = base64.b64encode(data).decode()
        st, hd, _ = request(port, "GET", "/", [("Cookie", "_SESSION0=" + v)])
        self.assertEqual(set_cookies(hd), ["_SESSION0=%s; Path=/; HttpOnly; Secure" % v])

    def test_hmac_only_and_compression(self):
        port = self.serve("""  cookieName: SID
  secureEncoder:
    hashAlg: SHA512
    hmacSecret: "%s"
    disableEncryption: true
    enableCompression: true
""" % base64.b64encode(b"hmac-key").decode())
        enc = Encoder(hmac_key=b"hmac-key", digest=hashlib.sha512, compress=True, use_crypt=False)
        st, hd, _ = request(port, "GET", "/")
        self.assertEqual(enc.decode(joined(hd, "SID")), b"")
        data = session_json({"a": b"1", "b": b"[2]"})
        st, hd, _ = request(port, "GET", "/", [("Cookie", "SID0=" + enc.encode(data))])
        self.assertEqual(st, 200)
        self.assertEqual(enc.decode(joined(hd, "SID")), data)
        # The default cookie name is not ours here: ignored.
        st, hd, _ = request(port, "GET", "/", [("Cookie", "_SESSION0=garbage")])
        self.assertEqual(st, 200)

    def test_ciphers_with_csrf_tokens(self):
        """Each cipher: the CSRF token endpoint writes the token into the session and it checks out."""
        for cipher, klen in (("AESGCM", 16), ("AESCBC", 24), ("AESCFB", 32), ("AESCTR", 16),
                             ("AESOFB", 32)):
            with self.subTest(cipher=cipher):
                key = os.urandom(klen)
                port = self.serve("""  secureEncoder:
    commonKeyCryptType: %s
    cryptSecret: "%s"
""" % (cipher, base64.b64encode(key).decode()), SYNC)
                enc = Encoder(cipher=cipher, crypt_key=key)
                st, hd, tok = request(port, "GET", "/token", [("Accept", "text/plain")])
                self.assertEqual(st, 200)
                tok = tok.decode()
                sess = parse_session(enc.decode(joined(hd)))
                # Go's Persist of a []byte: the JSON string of its base64.
                self.assertEqual(sess, {"__csrf_token__": json.dumps(
                    base64.b64encode(tok.encode()).decode()).encode()})
                ck = "_SESSION0=" + joined(hd)
                st, hd, body = request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", tok)], b"x")
                self.assertEqual((st, body), (200, b"ok"))
                self.assertEqual(parse_session(enc.decode(joined(hd))), sess)
                # A session made in Python the Go way is read by aileron.
                t2 = csrf_token()
                v = enc.encode(session_json({"__csrf_token__": json.dumps(
                    base64.b64encode(t2.encode()).decode()).encode()}))
                st, _, _ = request(port, "POST", "/app", [("Cookie", "_SESSION0=" + v),
                                                          ("X-CSRF-Token", t2)], b"x")
                self.assertEqual(st, 200)
                st, _, body = request(port, "POST", "/app", [("Cookie", "_SESSION0=" + v),
                                                             ("X-CSRF-Token", tok)], b"x")
                self.assertEqual((st, body), (403, FORBIDDEN))

    def test_csrf_synchronizer_flow(self):
        port = self.serve("", SYNC)
        # No token in a new session: 500 (E3210), as AILERON.
        st, hd, body = request(port, "POST", "/app", [("X-CSRF-Token", csrf_token())], b"x")
        self.assertEqual((st, body), (500, ERROR500))
        self.assertEqual(len(set_cookies(hd)), 1)
        st, hd, tok = request(port, "GET", "/token", [("Accept", "application/json")])
        tok = json.loads(tok)["token"]
        ck = "_SESSION0=" + joined(hd)
        # The endpoint reuses the session's token when the request carries it.
        st, hd, tok2 = request(port, "GET", "/token", [("Cookie", ck), ("X-CSRF-Token", tok)])
        self.assertEqual(tok2.decode(), tok)
        st, hd, body = request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", "InvalidToken")], b"x")
        self.assertEqual((st, body), (403, FORBIDDEN))
        self.assertEqual(len(set_cookies(hd)), 1)  # error responses carry the session too
        st, _, body = request(port, "POST", "/app", [("Cookie", ck)], b"x")
        self.assertEqual((st, body), (403, FORBIDDEN))
        # A valid token of the same secret that is not the session's: 403.
        st, _, _ = request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", csrf_token())], b"x")
        self.assertEqual(st, 403)
        st, _, body = request(port, "POST", "/app", [("Cookie", ck), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual((st, body), (200, b"ok"))

    def test_csrf_synchronizer_json_source(self):
        port = self.serve("", SYNC.replace("tokenSource: Header", "tokenSource: JSON")
                          .replace("sourceKey: X-CSRF-Token", "sourceKey: tok"))
        st, hd, tok = request(port, "GET", "/token")
        ck = "_SESSION0=" + joined(hd)
        body = json.dumps({"a": 1, "tok": tok.decode()}).encode()
        st, _, got = request(port, "POST", "/app", [("Cookie", ck), ("Content-Type", "application/json")], body)
        self.assertEqual((st, got), (200, b"ok"))
        self.assertEqual(self.seen[-1].body, body)  # the body is kept for the upstream
        st, _, _ = request(port, "POST", "/app", [("Cookie", ck), ("Content-Type", "application/json")],
                           b'{"tok":"x"}')
        self.assertEqual(st, 403)

    def test_csrf_synchronizer_without_session(self):
        """No SessionMiddleware in front: 500 on both the endpoint and the check (E3210)."""
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        text = config(port, up.url, "", SYNC).replace("""  middleware:
    - apiVersion: app/v1
      kind: SessionMiddleware
""", "")
        self.start(text, port)
        self.assertEqual(request(port, "GET", "/token")[0::2], (500, ERROR500))
        self.assertEqual(request(port, "POST", "/app", [("X-CSRF-Token", csrf_token())], b"x")[0::2],
                         (500, ERROR500))

    def test_cookie_spec(self):
        port = self.serve("""  cookieName: S
  cookie:
    path: /app
    domain: .example.com
    maxAge: 60
    httpOnly: true
    sameSite: Lax
""")
        st, hd, _ = request(port, "GET", "/")
        n, v, attrs = cookie_pairs(hd)[0]
        self.assertEqual((n, attrs), ("S0", "Path=/app; Domain=example.com; Max-Age=60; HttpOnly; SameSite=Lax"))
        port = self.serve("  cookie: {expiresIn: 3600, maxAge: -1, secure: true, sameSite: None}\n")
        st, hd, _ = request(port, "GET", "/")
        attrs = cookie_pairs(hd)[0][2]
        self.assertRegex(attrs, r"^Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; "
                                r"Max-Age=0; Secure; SameSite=None$")

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
        self.check_error("  storage: {apiVersion: app/v1, kind: RedisClient}\n",
                         "undefined reference to app/v1/RedisClient/default/default")
        self.check_error("  cookieName: 'a b'\n", 'field "cookieName": must match')
        self.check_error("  prefix: 'a/b'\n", 'field "prefix": must match')
        self.check_error("  secureEncoder: {hashAlg: SHAKE256}\n", "SHAKE256 has no HMAC")
        self.check_error("  secureEncoder: {cryptSecret: '%s'}\n" % base64.b64encode(b"short").decode(),
                         "an AES key is 16, 24 or 32 bytes, not 5")
        self.check_error("  secureEncoder: {hmacSecret: '!!'}\n", 'field "hmacSecret": not valid base64')
        self.check_error("  secureEncoder: {commonKeyCryptType: DES}\n", "commonKeyCryptType")
        self.check_error("  tracer: {apiVersion: app/v1, kind: OpenTelemetryTracer}\n",
                         'field "tracer"')
        self.check_error("  unknown: 1\n", 'unknown field "unknown"')

    def test_examples_session_loads(self):
        """AILERON's examples/session config loads unchanged (cookie store only)."""
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "session",
                            "config.yaml")
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # Run it, with its upstream a mock: plain sessions (no HMAC, no encryption).
        up = self.upstream(lambda req, c: response(200, b"bin"))
        port = free_port()
        with open(path) as f:
            text = f.read().replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port) \
                .replace("http://httpbin.org", up.url)
        self.start(text, port)
        st, hd, body = request(port, "GET", "/get")
        self.assertEqual((st, body, set_cookies(hd)), (200, b"bin", []))
        v = base64.b64encode(session_json({"user": b'"alice"'})).decode()
        st, hd, _ = request(port, "GET", "/get", [("Cookie", "_SESSION0=" + v)])
        self.assertEqual(set_cookies(hd), ["_SESSION0=%s; Path=/; HttpOnly; Secure" % v])
