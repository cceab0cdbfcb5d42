"""Load-balancing algorithms end to end (reference cases 15-19), bit for bit."""

import unittest

import lbref
from harness import AileronTestCase, Client, free_port, proxy_config, response


def lb_doc(algorithm, urls, weights, hasher="{hashSource: Query, key: proxy}"):
    ups = "".join("        - {url: %s, weight: %d}\n" % (u, w) for u, w in zip(urls, weights))
    return ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
            "    - pathMatcher: {match: /test, matchType: Prefix}\n"
            "      lbAlgorithm: %s\n      hasher: %s\n      upstreams:\n%s"
            % (algorithm, hasher, ups))


class BalanceTest(AileronTestCase):

    def counting(self, n=3):
        ups = []
        for i in range(n):
            ups.append(self.upstream(lambda req, c, i=i: response(200, str(i).encode())))
        return ups

    def gateway(self, doc, workers=2):
        port = free_port()
        entry = "  processConfig:\n    workers: %d\n" % workers
        self.start(proxy_config(port, doc, "", entry), port)
        return port

    def get_many(self, port, paths, headers=""):
        """GET every path over one keep-alive connection; returns bodies."""
        c = Client(port)
        out = []
        try:
            for p in paths:
                c.send(("GET %s HTTP/1.1\r\nHost: test.com\r\n%s\r\n" % (p, headers)).encode())
                st, _, body = c.recv_response()
                self.assertEqual(st, 200)
                out.append(int(body))
        finally:
            c.close()
        return out

    def check_hashing(self, algorithm, model):
        ups = self.counting()
        urls = [u.url for u in ups]
        weights = [100, 200, 300]
        port = self.gateway(lb_doc(algorithm, urls, weights))
        table = lbref.maglev_table(urls, weights) if algorithm == "Maglev" else None
        # Sticky per seed, and exactly where the reference model says.
        for seed in ("foo", "bar", "baz", "alice", "bob", "12345"):
            got = self.get_many(port, ["/test?proxy=%s" % seed] * 5)
            self.assertEqual(len(set(got)), 1, seed)
            self.assertEqual(got[0], model(seed, urls, weights, table), seed)
        # Distribution: 1200 keys => about 200/400/600 (the exact split
        # depends on the random mock ports, hence the wide margin).
        got = self.get_many(port, ["/test?proxy=%d" % i for i in range(1200)])
        counts = [got.count(i) for i in range(3)]
        for want, n in zip((200, 400, 600), counts):
            self.assertLess(abs(n - want), 100, counts)
        exact = [model(str(i), urls, weights, table) for i in range(1200)]
        self.assertEqual(got, exact)

    def test_maglev(self):
        self.check_hashing("Maglev", lambda k, u, w, t: lbref.maglev(k, u, w, t))

    def test_ring_hash(self):
        self.check_hashing("RingHash", lambda k, u, w, t: lbref.ring_hash(k, u, w))

    def test_direct_hash(self):
        self.check_hashing("DirectHash", lambda k, u, w, t: lbref.direct_hash(k, w))

    def test_random_weighted(self):
        ups = self.counting()
        port = self.gateway(lb_doc("Random", [u.url for u in ups], [1, 2, 3], "{}"))
        got = self.get_many(port, ["/test"] * 1800)
        counts = [got.count(i) for i in range(3)]
        for want, n in zip((300, 600, 900), counts):
            self.assertLess(abs(n - want), 100, counts)

    def test_hash_sources(self):
        ups = self.counting()
        urls = [u.url for u in ups]
        w = [1, 1, 1]
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n"
               "  patterns: [\"/p/{who}\", \"/\"]\n  loadBalancers:\n")
        for path, hasher in (("/h", "{hashSource: Header, key: Hash-Key}"),
                             ("/c", "{hashSource: Cookie, key: sid}"),
                             ("/p/", "{hashSource: PathParam, key: who}")):
            doc += ("    - pathMatcher: {match: %s, matchType: Prefix}\n"
                    "      lbAlgorithm: DirectHash\n      hasher: %s\n      upstreams:\n%s"
                    % (path, hasher, "".join("        - {url: %s}\n" % u for u in urls)))
        port = self.gateway(doc)
        for i in range(30):
            key = "k%d" % i
            want = lbref.direct_hash(key, w)
            self.assertEqual(self.get_many(port, ["/h"], "Hash-Key: %s\r\n" % key), [want])
            self.assertEqual(self.get_many(port, ["/c"], "Cookie: a=b; sid=%s\r\n" % key), [want])
            self.assertEqual(self.get_many(port, ["/p/" + key]), [want])
        # Missing values hash the empty string.
        self.assertEqual(self.get_many(port, ["/h", "/c"]), [lbref.direct_hash("", w)] * 2)

    def test_client_addr_is_ip_and_port(self):
        ups = self.counting()
        urls = [u.url for u in ups]
        port = self.gateway(lb_doc("RingHash", urls, [1, 1, 1], "{}"))
        for _ in range(5):
            c = Client(port)
            try:
                local = "%s:%d" % c.sock.getsockname()[:2]
                c.send(b"GET /test HTTP/1.1\r\nHost: test.com\r\n\r\n")
                st, _, body = c.recv_response()
                self.assertEqual(int(body), lbref.ring_hash(local, urls, [1, 1, 1]))
            finally:
                c.close()


if __name__ == "__main__":
    unittest.main()
