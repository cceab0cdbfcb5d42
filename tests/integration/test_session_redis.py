"""app/v1 SessionMiddleware with app/v1 RedisClient: sessions kept in a real redis-server."""

import base64
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (AILERON, AileronTestCase, Client, free_port, loopback_name, request, response,
                     wait_for, wait_port)
from test_session import ERROR500, FORBIDDEN, SYNC, Encoder, cookie_pairs, parse_session, set_cookies

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
ID = re.compile(r"^[0-9A-V]{48}$")
DOWN = "E3212 SessionMiddleware: session not restored: RedisClient"
# The RedisClient's own lines: a worker's server went down, is still down, is back.
OUTAGE = "; down: this worker dials again in"
STILL = "; still down after"
BACK = ": back after"
# The first error reply a worker logs (the next ones: at most a line every 10 s).
REPLIES = "; this worker logs the error replies at most "


class Redis:
    """A redis-server on a loopback port, without persistence; stopped by pid."""

    def __init__(self, port=None, bind="127.0.0.1"):
        self.port = port or free_port()
        self.bind = bind
        self.dir = tempfile.mkdtemp(prefix="aileron-redis-")
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", self.bind, "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--logfile", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, host=self.bind, proc=self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cmd(self, *args):
        """One command in RESP; the reply (bytes, int, list, None) or an Exception for an error."""
        with socket.create_connection((self.bind, self.port), timeout=5) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            f = s.makefile("rb")
            return self._reply(f)

    def _reply(self, f):
        line = f.readline().rstrip(b"\r\n")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            return Exception(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)
            return data[:-2]
        if t == b"*":
            return [self._reply(f) for _ in range(int(rest))]
        raise ValueError(line)


def config(port, up_url, redis_port, session_extra="", redis_extra="", workers=1, extra_docs=""):
    """SessionMiddleware (store: RedisClient) on the server; CSRF's synchronizer token uses the session."""
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: %d
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  middleware:
    - apiVersion: app/v1
      kind: SessionMiddleware
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
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams:
        - url: %s
---
apiVersion: app/v1
kind: SessionMiddleware
spec:
  cookieName: S
  prefix: "sess:"
  storage: {apiVersion: app/v1, kind: RedisClient}
%s---
apiVersion: app/v1
kind: RedisClient
spec:
  addrs: ["127.0.0.1:%d"]
  readTimeout: 2000
  writeTimeout: 2000
%s---
apiVersion: app/v1
kind: CSRFMiddleware
spec:
%s%s""" % (workers, port, up_url, session_extra, redis_port, redis_extra, SYNC, extra_docs)


def session_cookie(headers, name="S"):
    """The ID the response set, after checking the cookie's form."""
    cks = [(n, v, a) for n, v, a in cookie_pairs(headers) if n == name]
    if not cks:
        return None
    assert len(cks) == 1, headers
    n, v, attrs = cks[0]
    assert attrs == "Path=/; HttpOnly; Secure", attrs
    assert ID.match(v), v
    return v


@unittest.skipUnless(os.access(REDIS_SERVER, os.X_OK), "redis-server is not installed (apt-get install redis-server)")
class SessionRedisTest(AileronTestCase):
    def setUp(self):
        super().setUp()
        self.redis = Redis()
        self.addCleanup(self.redis.cleanup)

    def serve(self, env=None, **kw):
        self.seen = []

        def handle(req, c):
            self.seen.append(req)
            return response(200, b"ok")
        up = self.upstream(handle)
        port = free_port()
        self.aileron = self.start(config(port, up.url, self.redis.port, **kw), port, env=env)
        return port

    def log(self, level, text):
        """The messages of the log lines at level that contain text."""
        return [ln["msg"] for ln in self.aileron.log_lines()
                if isinstance(ln, dict) and ln.get("level") == level and text in ln.get("msg", "")]

    def store_fails(self, port, n, method, headers, body=None):
        """n requests whose session cannot be restored (500, no cookie), each followed by
        one whose new session cannot be saved (200, no cookie)."""
        for i in range(n):
            st, hd, got = request(port, method, "/app", headers, body)
            self.assertEqual((st, got, set_cookies(hd)), (500, ERROR500, []), i)
            st, hd, _ = request(port, "GET", "/token")
            self.assertEqual((st, set_cookies(hd)), (200, []), i)

    def token(self, port, headers=()):
        """GET /token: the CSRF token (kept in the session) and the session ID."""
        st, hd, body = request(port, "GET", "/token", list(headers), None)
        self.assertEqual(st, 200, body)
        tok = body.decode()
        return tok, session_cookie(hd)

    def stored(self, sid):
        raw = self.redis.cmd("GET", "sess:" + sid)
        self.assertIsNotNone(raw, "no session under sess:" + sid)
        return parse_session(Encoder().decode(base64.b64encode(raw).decode()))

    def test_values_persist_across_requests_and_workers(self):
        port = self.serve(workers=3)
        # Neither the master nor a worker dials before a request needs Redis.
        self.assertEqual(len(self.redis.cmd("CLIENT", "LIST").decode().splitlines()), 1)
        # A request without the cookie gets a new, empty session: nothing stored, no
        # cookie (CSRF finds no token in it: 500 E3210).
        st, hd, body = request(port, "POST", "/app", [("X-CSRF-Token", "x")], b"x")
        self.assertEqual((st, body, set_cookies(hd)), (500, ERROR500, []))
        self.assertEqual(self.redis.cmd("DBSIZE"), 0)
        tok, sid = self.token(port)
        self.assertIsNotNone(sid)
        self.assertEqual(self.redis.cmd("KEYS", "*"), [b"sess:" + sid.encode()])
        self.assertEqual(len(self.stored(sid)), 1)  # the CSRF token, encoded as AILERON does
        self.assertEqual(self.redis.cmd("PTTL", "sess:" + sid), -1)  # expiration 0: none
        # Many requests on new connections (any worker) find the token.
        for i in range(12):
            st, hd, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body), (200, b"ok"), i)
            self.assertEqual(session_cookie(hd), sid)  # the same ID again
        # ... and on one kept-alive connection.
        c = Client(port)
        for i in range(3):
            c.send(b"POST /app HTTP/1.1\r\nHost: x\r\nCookie: S=%s\r\nX-CSRF-Token: %s\r\n"
                   b"Content-Length: 1\r\n\r\nx" % (sid.encode(), tok.encode()))
            st, hd, body = c.recv_response()
            self.assertEqual((st, body), (200, b"ok"))
        c.close()
        # A wrong token is still refused with the session found.
        st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", "bad")], b"x")
        self.assertEqual((st, body), (403, FORBIDDEN))
        # The token endpoint reuses the session's token.
        tok2, sid2 = self.token(port, [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)])
        self.assertEqual((tok2, sid2), (tok, sid))
        # One connection per worker at most, not one per request.
        clients = self.redis.cmd("CLIENT", "LIST").decode().splitlines()
        ours = [c for c in clients if "cmd=client" not in c]
        self.assertGreaterEqual(len(ours), 1)
        self.assertLessEqual(len(ours), 3, clients)
        # Two sessions are two keys.
        tok3, sid3 = self.token(port)
        self.assertNotEqual(sid3, sid)
        self.assertEqual(self.redis.cmd("DBSIZE"), 2)

    def test_expiration(self):
        port = self.serve(redis_extra="  expiration: 1500\n")
        tok, sid = self.token(port)
        pttl = self.redis.cmd("PTTL", "sess:" + sid)
        self.assertTrue(0 < pttl <= 1500, pttl)
        # A request with the session renews its expiration (as AILERON sets it again).
        time.sleep(0.8)
        st, hd, _ = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual((st, session_cookie(hd)), (200, sid))
        self.assertGreater(self.redis.cmd("PTTL", "sess:" + sid), 1000)
        time.sleep(0.9)  # 1.7 s after the first save: alive thanks to the renewal
        st, _, _ = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual(st, 200)
        time.sleep(1.7)
        self.assertIsNone(self.redis.cmd("GET", "sess:" + sid))
        # Expired: a new session, which has no token (500 E3210, as a new session in AILERON).
        st, hd, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual((st, body), (500, ERROR500))
        self.assertEqual(set_cookies(hd), [])

    def test_unknown_and_tampered_ids_get_a_fresh_session(self):
        port = self.serve()
        tok, sid = self.token(port)
        unknown = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        for bad in (unknown, sid[:-1] + ("0" if sid[-1] != "0" else "1"), sid.lower(), sid + "0",
                    sid[:-1], "../" + sid[3:], "*", ""):
            n = self.redis.cmd("DBSIZE")
            st, hd, body = request(port, "POST", "/app", [("Cookie", "S=" + bad), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body), (500, ERROR500), bad)  # a new session: no token in it
            # The token endpoint then gives a session under a new ID, never the client's.
            tok2, sid2 = self.token(port, [("Cookie", "S=" + bad)])
            self.assertNotIn(sid2, (bad, sid))
            self.assertNotEqual(tok2, tok)
            self.assertIsNone(self.redis.cmd("GET", "sess:" + bad))
            self.assertEqual(self.redis.cmd("DBSIZE"), n + 1)
        # Data in Redis that fails the HMAC: a fresh session too.
        raw = bytearray(self.redis.cmd("GET", "sess:" + sid))
        raw[-1] ^= 1
        self.redis.cmd("SET", "sess:" + sid, bytes(raw))
        st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual((st, body), (500, ERROR500))
        tok3, sid3 = self.token(port, [("Cookie", "S=" + sid)])
        self.assertNotEqual(sid3, sid)
        # The original session never reached the upstream with a wrong token.
        self.assertEqual(len(self.seen), 0)

    def test_redis_down_then_back(self):
        self.allow_errors(OUTAGE, STILL)
        port = self.serve(workers=2)
        tok, sid = self.token(port)
        st, _, _ = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual(st, 200)
        workers = sorted(self.aileron.worker_pids())
        self.redis.stop()
        for i in range(4):
            st, hd, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body, set_cookies(hd)), (500, ERROR500, []), i)
        # A request without the cookie needs no Redis to start; its new session
        # holds the token but cannot be saved: no cookie, logged.
        st, hd, _ = request(port, "GET", "/token")
        self.assertEqual((st, set_cookies(hd)), (200, []))
        self.assertEqual(sorted(self.aileron.worker_pids()), workers)  # no worker died
        out = self.aileron.output()
        self.assertIn("RedisClient 127.0.0.1:%d: Connection refused%s" % (self.redis.port, OUTAGE), out)
        # Redis back (empty: no persistence): once the workers' backoff (2 s at most) has
        # passed, the old ID is unknown, a new session works.
        self.redis.start()
        time.sleep(2.5)
        st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual((st, body), (500, ERROR500))  # a new session without a token
        tok2, sid2 = self.token(port)
        self.assertNotEqual(sid2, sid)
        for i in range(4):
            st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid2), ("X-CSRF-Token", tok2)], b"x")
            self.assertEqual((st, body), (200, b"ok"), i)
        # Redis restarted under kept-alive worker connections: they reconnect.
        self.redis.stop()
        self.redis.start()
        self.redis.cmd("SET", "sess:" + sid2, b"x")  # data that is not a session: dropped
        tok3, sid3 = self.token(port)
        st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid3), ("X-CSRF-Token", tok3)], b"x")
        self.assertEqual((st, body), (200, b"ok"))
        self.assertEqual(sorted(self.aileron.worker_pids()), workers)
        self.assertTrue(self.log("WARN", "RedisClient 127.0.0.1:%d%s" % (self.redis.port, BACK)))

    def test_outage_is_logged_once_not_per_request(self):
        """Redis down: a line when a worker finds it down and one when it is back, the
        per-request detail at DEBUG only (no ERROR per request)."""
        self.allow_errors(OUTAGE, STILL)
        port = self.serve(workers=2, env={"GATEWAY_LOG_LEVEL": "debug"})
        tok, sid = self.token(port)
        self.redis.stop()
        n = 40
        self.store_fails(port, n, "POST", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        addr = "RedisClient 127.0.0.1:%d" % self.redis.port
        errors = self.log("ERROR", "")
        # One line per worker that found it down (the test takes far less than the
        # 10 s between reminders), each with the address and the reason.
        self.assertTrue(1 <= len(errors) <= 2, errors)
        for e in errors:
            self.assertTrue(e.startswith(addr + ": Connection refused" + OUTAGE), e)
        # The detail of each request is there at DEBUG.
        self.assertGreaterEqual(len(self.log("DEBUG", "session not restored: " + addr)), n)
        self.assertGreaterEqual(len(self.log("DEBUG", "session not saved: " + addr)), n)
        self.assertEqual(self.log("WARN", addr + BACK), [])
        # Back: after the backoff, sessions work again and the recovery is logged.
        self.redis.start()
        time.sleep(2.5)
        for i in range(6):
            tok, sid = self.token(port)
            self.assertIsNotNone(sid, i)
            st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body), (200, b"ok"), i)
        back = self.log("WARN", addr + BACK)
        self.assertTrue(1 <= len(back) <= 2, back)
        self.assertRegex(back[0], r"back after \d+\.\d{3} s down \(\d+ commands failed in this worker\)")
        self.assertEqual(len(self.log("ERROR", "")), len(errors))

    def dial_hole(self):
        """The port of a Redis address that never completes a dial (a full listen queue)."""
        hole = socket.socket()
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)
        self.addCleanup(hole.close)
        hport = hole.getsockname()[1]
        for i in range(2):  # fill the queue: the kernel drops the next SYNs
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", hport))
            self.addCleanup(c.close)
        time.sleep(0.2)
        return hport

    def stuck_redis(self):
        """A Redis that accepts and never answers (a listening socket)."""
        stuck = socket.socket()
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(16)
        self.addCleanup(stuck.close)
        return stuck

    def test_backoff_answers_without_dialing(self):
        """A Redis address that never completes a dial (a full listen queue): the first
        request waits for dialTimeout, the ones during the backoff answer 500 at once."""
        self.allow_errors(OUTAGE, STILL)
        hport = self.dial_hole()
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        a = self.start(config(port, up.url, hport, redis_extra="  dialTimeout: 1500\n"), port)
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        n = 20
        t0 = time.monotonic()
        for i in range(n):
            st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
            self.assertEqual((st, body), (500, ERROR500), i)
        took = time.monotonic() - t0
        # 20 dials would take 30 s; with the backoff a handful of them are made.
        self.assertGreater(took, 1.4)
        self.assertLess(took, 12, took)
        errors = [ln["msg"] for ln in a.log_lines() if isinstance(ln, dict) and ln.get("level") == "ERROR"]
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("RedisClient 127.0.0.1:%d: " % hport, errors[0])
        self.assertIn(OUTAGE, errors[0])

    def test_stuck_redis_times_out(self):
        """A Redis that accepts and never answers: 500 after readTimeout, not a hung worker;
        then the worker backs off instead of paying a timeout per request."""
        self.allow_errors(OUTAGE, STILL)
        stuck = self.stuck_redis()
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        text = config(port, up.url, stuck.getsockname()[1]).replace(
            "  readTimeout: 2000\n", "  readTimeout: 400\n")
        a = self.start(text, port)
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        t0 = time.monotonic()
        st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
        took = time.monotonic() - t0
        self.assertEqual((st, body), (500, ERROR500))
        self.assertTrue(0.35 < took < 3, took)
        # Ten more at once: without the backoff each would dial and wait 0.4 s.
        t0 = time.monotonic()
        for i in range(10):
            st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
            self.assertEqual((st, body), (500, ERROR500))
        took = time.monotonic() - t0
        self.assertLess(took, 3, took)
        stuck.setblocking(False)
        dials = 0
        while True:
            try:
                stuck.accept()[0].close()
                dials += 1
            except BlockingIOError:
                break
        self.assertTrue(1 <= dials <= 5, dials)
        self.assertIn("RedisClient 127.0.0.1:%d: timed out%s" % (stuck.getsockname()[1], OUTAGE), a.output())

    def check_parked_not_held(self, redis_port):
        """A keep-alive connection parked in the worker whose request waits for Redis:
        its next request (no cookie: no Redis) is passed to another worker and answered
        at once, not after the Redis wait (4 s) ends."""
        self.allow_errors(OUTAGE, STILL)
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        # One worker at first: both connections land in it; a spare is forked when it is busy.
        # CSRF lets GET through: a GET without the cookie needs neither Redis nor a token.
        text = config(port, up.url, redis_port, redis_extra="  dialTimeout: 4000\n").replace(
            "    workers: 1\n", "    startWorkers: 1\n    minSpareWorkers: 1\n    maxSpareWorkers: 2\n").replace(
            "  readTimeout: 2000\n", "  readTimeout: 4000\n").replace(
            "  synchronizerToken:\n", "  skipMethods: [GET]\n  synchronizerToken:\n")
        self.start(text, port)
        keep = Client(port)
        self.addCleanup(keep.close)
        keep.send(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        st, hd, body = keep.recv_response()
        self.assertEqual((st, body, set_cookies(hd)), (200, b"ok", []))
        waiting = Client(port)
        self.addCleanup(waiting.close)
        sid = b"0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        t0 = time.monotonic()
        waiting.send(b"GET /app HTTP/1.1\r\nHost: x\r\nCookie: S=%s\r\n\r\n" % sid)
        time.sleep(1.5)  # the master adds a spare worker meanwhile
        t1 = time.monotonic()
        keep.send(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, body = keep.recv_response()
        took = time.monotonic() - t1
        self.assertEqual((st, body), (200, b"ok"))
        self.assertLess(took, 1.0)
        self.assertEqual(select.select([waiting.sock], [], [], 0)[0], [])  # still waiting for Redis
        st, _, body = waiting.recv_response()
        self.assertEqual((st, body), (500, ERROR500))
        self.assertGreater(time.monotonic() - t0, 3.5)

    def test_parked_connection_not_held_by_a_stuck_redis(self):
        stuck = self.stuck_redis()
        self.check_parked_not_held(stuck.getsockname()[1])

    def test_parked_connection_not_held_by_a_dial(self):
        self.check_parked_not_held(self.dial_hole())

    def test_reload_keeps_sessions(self):
        """SIGHUP: the new workers dial Redis themselves and find the sessions."""
        port = self.serve(workers=2)
        tok, sid = self.token(port)
        old = set(self.aileron.worker_pids())
        self.aileron.signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: len(old & set(self.aileron.worker_pids())) == 0
                                 and len(self.aileron.worker_pids()) == 2, timeout=15))
        for i in range(4):
            st, hd, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body, session_cookie(hd)), (200, b"ok", sid), i)

    def test_example_session_with_redis(self):
        """AILERON's examples/session with its Redis lines uncommented (addrs pointed at the test's Redis)."""
        self.allow_errors(OUTAGE)
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "session", "config.yaml")
        up = self.upstream(lambda req, c: response(200, b"bin"))
        port = free_port()
        with open(path) as f:
            text = f.read()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port).replace("http://httpbin.org", up.url)
        for a, b in (("  # storage:\n  #   apiVersion: app/v1\n  #   kind: RedisClient\n",
                      "  storage:\n    apiVersion: app/v1\n    kind: RedisClient\n"),
                     ("# ---\n# apiVersion: app/v1\n# kind: RedisClient\n# spec:\n#   expiration: 0\n",
                      "---\napiVersion: app/v1\nkind: RedisClient\nspec:\n  expiration: 0\n"
                      "  addrs: [\"127.0.0.1:%d\"]\n" % self.redis.port)):
            self.assertIn(a, text)
            text = text.replace(a, b)
        self.start(text, port)
        st, hd, body = request(port, "GET", "/get")
        self.assertEqual((st, body, set_cookies(hd)), (200, b"bin", []))  # empty: not stored
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        # A session stored by another gateway (plain JSON: no HMAC, no encryption) is found.
        self.redis.cmd("SET", sid, b'{"k":"InYi"}')
        st, hd, body = request(port, "GET", "/get", [("Cookie", "_SESSION=" + sid)])
        self.assertEqual((st, body), (200, b"bin"))
        self.assertEqual(cookie_pairs(hd), [("_SESSION", sid, "Path=/; HttpOnly; Secure")])
        self.assertEqual(self.redis.cmd("GET", sid), b'{"k":"InYi"}')
        self.redis.stop()
        st, hd, body = request(port, "GET", "/get", [("Cookie", "_SESSION=" + sid)])
        self.assertEqual((st, body), (500, ERROR500))

    def test_oversized_value(self):
        """A value in Redis larger than any session aileron stores: 500, not read into memory."""
        self.allow_errors(DOWN)
        port = self.serve()
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        self.redis.cmd("SET", "sess:" + sid, b"x" * (200 * 1024))
        st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", "x")], b"x")
        self.assertEqual((st, body), (500, ERROR500))
        self.assertIn("a value of 204800 bytes, more than 131072", self.aileron.output())

    def test_password_and_db(self):
        self.redis.cmd("CONFIG", "SET", "requirepass", "s3cret")
        port = self.serve(redis_extra="  password: s3cret\n  db: 3\n")
        tok, sid = self.token(port)
        st, _, _ = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
        self.assertEqual(st, 200)
        with socket.create_connection(("127.0.0.1", self.redis.port), timeout=5) as s:
            s.sendall(b"AUTH s3cret\r\nSELECT 3\r\nEXISTS sess:%s\r\nDBSIZE\r\n" % sid.encode())
            f = s.makefile("rb")
            got = [f.readline().strip() for _ in range(4)]
        self.assertEqual(got, [b"+OK", b"+OK", b":1", b":1"])

    def test_wrong_password(self):
        self.allow_errors(OUTAGE)
        self.redis.cmd("CONFIG", "SET", "requirepass", "s3cret")
        port = self.serve(redis_extra="  password: wrong\n")
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
        self.assertEqual((st, body), (500, ERROR500))
        out = self.aileron.output()
        self.assertRegex(out, r"RedisClient 127\.0\.0\.1:\d+: AUTH: WRONGPASS.*; down: ")
        self.assertNotIn("wrong", out.replace("WRONGPASS", "").replace("wrong-", ""))

    def test_error_replies_are_logged_once_not_per_request(self):
        """A Redis that is up but answers errors (requirepass without a password in the
        config: NOAUTH): one ERROR line per worker, the per-request detail at DEBUG."""
        self.allow_errors(REPLIES)
        self.redis.cmd("CONFIG", "SET", "requirepass", "s3cret")
        port = self.serve(workers=2, env={"GATEWAY_LOG_LEVEL": "debug"})
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        n = 30
        self.store_fails(port, n, "GET", [("Cookie", "S=" + sid)])
        addr = "RedisClient 127.0.0.1:%d" % self.redis.port
        errors = self.log("ERROR", "")
        # The test takes far less than the 10 s between lines: one per worker that saw one.
        self.assertTrue(1 <= len(errors) <= 2, errors)
        for e in errors:
            self.assertEqual(e, addr + ": NOAUTH Authentication required." + REPLIES + "every 10 s")
        self.assertGreaterEqual(len(self.log("DEBUG", "session not restored: " + addr + ": NOAUTH")), n)
        self.assertGreaterEqual(len(self.log("DEBUG", "session not saved: " + addr + ": NOAUTH")), n)
        # Not an outage: no backoff, so the password set right makes the next request work.
        self.assertEqual(self.log("ERROR", OUTAGE), [])
        with socket.create_connection(("127.0.0.1", self.redis.port), timeout=5) as s:
            s.sendall(b'AUTH s3cret\r\nCONFIG SET requirepass ""\r\n')
            f = s.makefile("rb")
            self.assertEqual([f.readline().strip() for _ in range(2)], [b"+OK", b"+OK"])
        st, hd, _ = request(port, "GET", "/token")
        self.assertEqual(st, 200)
        self.assertIsNotNone(session_cookie(hd))

    def test_error_handler_field(self):
        """spec.errorHandler (AILERON's authn-fapi examples write it) answers the store's 500."""
        self.allow_errors(OUTAGE)
        port = self.serve(session_extra="  errorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: s}\n",
                          extra_docs="""---
apiVersion: core/v1
kind: ErrorHandler
metadata: {name: s}
spec:
  errorMessages:
    - codes: ["E3212"]
      mimeContents:
        - mimeType: text/plain
          template: "no session store"
""")
        self.redis.stop()
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
        self.assertEqual((st, body), (500, b"no session store"))

    def check_error(self, spec_or_text, want):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "c.yaml")
        text = spec_or_text if spec_or_text.startswith("apiVersion") else \
            config(free_port(), "http://127.0.0.1:9", self.redis.port, redis_extra=spec_or_text)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True)
        shutil.rmtree(d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(want, p.stdout + p.stderr)

    def test_bad_configs(self):
        self.check_error("  tlsConfig: {insecureSkipVerify: true}\n", 'field "tlsConfig": Debian 12\'s hiredis')
        self.check_error("  masterName: m\n", 'field "masterName": Redis Sentinel is not supported')
        self.check_error("  sentinelPassword: p\n", 'field "sentinelPassword"')
        self.check_error("  unknownField: 1\n", 'unknown field "unknownField"')
        self.check_error("  timeout: -5\n", '"timeout"')
        text = config(free_port(), "http://127.0.0.1:9", self.redis.port)
        self.check_error(text.replace('addrs: ["127.0.0.1:%d"]' % self.redis.port,
                                      'addrs: ["127.0.0.1:1", "127.0.0.1:2"]'), "not a cluster")
        self.check_error(text.replace('addrs: ["127.0.0.1:%d"]' % self.redis.port, 'addrs: ["h:99999"]'),
                         'field "addrs": port must be 1..65535')
        self.check_error(text.replace("storage: {apiVersion: app/v1, kind: RedisClient}",
                                      "storage: {apiVersion: app/v1, kind: CSRFMiddleware}"), "a key-value store")
        self.check_error(text.replace("  prefix: \"sess:\"\n", "  prefix: \"a b\"\n"), 'field "prefix": must match')

    def test_name_with_two_addresses(self):
        """A name that resolves (when the config loads) to ::1 and 127.0.0.1, with Redis on
        one of them only: the dial tries the next address when the first is refused, and
        reaches Redis on either (hiredis tried IPv4 only)."""
        self.allow_errors(OUTAGE)
        name, order = loopback_name()
        if name is None:
            self.skipTest("localhost does not resolve to both ::1 and 127.0.0.1 here (%s); "
                          "Debian's /etc/hosts makes it so" % order)
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port, rport = free_port(), free_port()
        a = self.start(config(port, up.url, rport).replace(
            '"127.0.0.1:%d"' % rport, '"%s:%d"' % (name, rport)), port)
        for bind in (order[1], order[0]):  # the second address, then the first only
            redis = Redis(port=rport, bind=bind)
            self.addCleanup(redis.cleanup)
            tok, sid = self.token(port)
            self.assertIsNotNone(sid, bind)
            self.assertIsNotNone(redis.cmd("GET", "sess:" + sid), bind)
            st, _, body = request(port, "POST", "/app", [("Cookie", "S=" + sid), ("X-CSRF-Token", tok)], b"x")
            self.assertEqual((st, body), (200, b"ok"), bind)
            redis.stop()
        # Both refused: the outage line tells each address.
        st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
        self.assertEqual((st, body), (500, ERROR500))
        at = ["[%s]:%d" % (h, rport) if ":" in h else "%s:%d" % (h, rport) for h in order]
        self.assertIn("RedisClient %s:%d: %s: Connection refused; %s: Connection refused%s" % (
            name, rport, at[0], at[1], OUTAGE), a.output())

    def test_name_that_does_not_resolve(self):
        """A name that does not resolve when the config loads: a warning, not a failed start
        (Redis may come later); the workers resolve it each time they dial."""
        self.allow_errors(OUTAGE)
        name = "aileron-no-such-host.invalid"
        env = {"RES_OPTIONS": "timeout:1 attempts:1"}  # no DNS server: no long wait
        up = self.upstream(lambda req, c: response(200, b"ok"))
        port = free_port()
        text = config(port, up.url, 6379).replace('"127.0.0.1:6379"', '"%s:6379"' % name)
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True,
                           env=dict(os.environ, **env))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        warning = "RedisClient %s:6379: cannot resolve %s: " % (name, name)
        self.assertIn(warning, p.stdout + p.stderr)
        a = self.start(text, port, env=env)
        sid = "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEF"
        for i in range(3):
            st, _, body = request(port, "GET", "/app", [("Cookie", "S=" + sid)])
            self.assertEqual((st, body), (500, ERROR500), i)
        lines = [ln for ln in a.log_lines() if isinstance(ln, dict) and warning in ln.get("msg", "")]
        self.assertEqual([ln["level"] for ln in lines], ["WARN", "ERROR"], lines)
        self.assertIn("; the workers will resolve it each time they dial", lines[0]["msg"])
        self.assertIn(OUTAGE, lines[1]["msg"])

    def test_config_loads_without_a_server(self):
        """-c never dials: a config naming an absent Redis loads (the workers dial when needed)."""
        d = tempfile.mkdtemp()
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(config(free_port(), "http://127.0.0.1:9", free_port()))
        p = subprocess.run([AILERON, "-c", "-f", path], capture_output=True, text=True)
        shutil.rmtree(d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
