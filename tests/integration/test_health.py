"""Upstream health checks: passive ejection and active probes, shared by every worker."""

import os
import tempfile
import time
import unittest

from harness import (AileronTestCase, Client, free_port, loopback_name, proxy_config, request,
                     response, run_aileron)


def doc(ups):
    out = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n  loadBalancers:\n"
           "    - pathMatcher: {match: /, matchType: Prefix}\n      upstreams:\n")
    for u in ups:
        out += "        - {%s}\n" % u
    return out


class HealthTest(AileronTestCase):
    def gateway(self, d, workers=3):
        port = free_port()
        self.start(proxy_config(port, d, "", "  processConfig:\n    workers: %d\n" % workers),
                   port)
        return port

    def switchable(self):
        state = {"ok": False}

        def h(req, c):
            if req.target == "/health":
                return response(200 if state["ok"] else 503, b"")
            return response(200, b"A") if state["ok"] else None
        return self.upstream(h), state

    def bodies(self, port, n):
        out = []
        for _ in range(n):
            st, _, b = request(port, "GET", "/x")
            out.append(b.decode() if st == 200 else str(st))
        return out

    def until(self, port, want, timeout=8):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.bodies(port, 6)
            if want(got):
                return got
            time.sleep(0.1)
        self.fail("not reached: last %r" % got)

    def test_passive_ejects_and_returns(self):
        self.allow_errors("no valid response (502)")
        a, state = self.switchable()
        b = self.upstream(lambda req, c: response(200, b"B"))
        port = self.gateway(doc(["url: %s, enablePassive: true, healthCheckInterval: 1" % a.url,
                                 "url: %s, enablePassive: true" % b.url]))
        got = self.bodies(port, 12)
        # A fails three times (502), then every worker skips it.
        self.assertEqual(got[:6], ["502", "B", "502", "B", "502", "B"])
        self.assertEqual(got[6:], ["B"] * 6)
        self.assertEqual(len(a.requests), 3)
        # Healthy again: back after the 1 s cool-down.
        state["ok"] = True
        time.sleep(1.2)
        got = self.bodies(port, 4)
        self.assertIn("A", got)
        self.assertIn("B", got)

    def test_all_down_is_502_without_trying(self):
        self.allow_errors("no valid response (502)")
        a, _ = self.switchable()
        port = self.gateway(doc(["url: %s, enablePassive: true, healthCheckInterval: 30" % a.url]))
        self.assertEqual(self.bodies(port, 5), ["502"] * 5)
        self.assertEqual(len(a.requests), 3)

    def test_active_http_probe(self):
        self.allow_errors("no valid response (502)")
        a, state = self.switchable()
        state["ok"] = True
        b = self.upstream(lambda req, c: response(200, b"B"))
        port = self.gateway(doc([
            "url: %s, enableActive: true, healthCheckInterval: 1, healthCheckAddr: \"http://127.0.0.1:%d/health\""
            % (a.url, a.port),
            "url: %s" % b.url]))
        self.assertIn("A", self.bodies(port, 4))
        state["ok"] = False
        self.until(port, lambda got: got == ["B"] * 6)
        state["ok"] = True
        self.until(port, lambda got: "A" in got)

    def test_active_tcp_probe_default_addr(self):
        a = self.upstream(lambda req, c: response(200, b"A"))
        b = self.upstream(lambda req, c: response(200, b"B"))
        port = self.gateway(doc(["url: %s, enableActive: true, healthCheckInterval: 1" % a.url,
                                 "url: %s" % b.url]))
        self.assertIn("A", self.bodies(port, 4))
        # Requests may reach the stopped upstream before the probe does.
        self.allow_errors("connect: Connection refused")
        a.stop()
        self.until(port, lambda got: got == ["B"] * 6)

    def test_active_probe_tries_each_address(self):
        """The probe of a name that resolves to ::1 and 127.0.0.1, the upstream listening on
        one of them only, tries each address as the workers' dial does: the upstream stays
        up (a probe of the first address alone took it down)."""
        name, order = loopback_name()
        if name is None:
            self.skipTest("localhost does not resolve to both ::1 and 127.0.0.1 here (%s); "
                          "Debian's /etc/hosts makes it so" % order)
        a = self.upstream(lambda req, c: response(200, b"A"), host=order[1])
        b = self.upstream(lambda req, c: response(200, b"B"))
        port = self.gateway(doc(["url: http://%s:%d, enableActive: true, healthCheckInterval: 1"
                                 % (name, a.port), "url: %s" % b.url]))
        time.sleep(3.5)  # three probes at least
        self.assertEqual(sorted(set(self.bodies(port, 6))), ["A", "B"])

    def test_bad_health_check_addr_refused(self):
        for addr in ("https://127.0.0.1:1/health", "127.0.0.1", "ftp://x:1", "x:port"):
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(proxy_config(free_port(), doc(
                    ["url: http://127.0.0.1:1, enableActive: true, healthCheckAddr: \"%s\"" % addr])))
            try:
                rc, out = run_aileron(["-c", "-f", f.name])
            finally:
                os.unlink(f.name)
            self.assertEqual(rc, 1, out)
            self.assertIn("healthCheckAddr", out)


if __name__ == "__main__":
    unittest.main()
