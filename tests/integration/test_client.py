"""core/v1 HTTPClient as a proxy's roundTripper: timeouts, limits, retries, keep-alive."""

import os
import tempfile
import time
import unittest

from harness import (AileronTestCase, Client, free_port, header, proxy_config, request,
                     response, run_aileron)

JSON502 = b'{"status":502,"statusText":"Bad Gateway"}'
JSON504 = b'{"status":504,"statusText":"Gateway Timeout"}'


def client_doc(url, spec):
    return ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n"
            "  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: c}\n"
            "  loadBalancers:\n    - pathMatcher: {match: \"\", matchType: Prefix}\n"
            "      upstreams:\n        - url: %s\n---\n"
            "apiVersion: core/v1\nkind: HTTPClient\nmetadata: {name: c}\nspec:\n%s"
            % (url, spec))


class ClientTest(AileronTestCase):
    def gateway(self, doc, workers=1):
        port = free_port()
        self.start(proxy_config(port, doc, "", "  processConfig:\n    workers: %d\n" % workers),
                   port)
        return port

    def test_response_header_timeout_is_504(self):
        self.allow_errors("no valid response (504)")
        def slow(req, c):
            time.sleep(1.0)
            return response(200, b"late")
        up = self.upstream(slow)
        port = self.gateway(client_doc(up.url,
                                       "  httpTransportConfig: {responseHeaderTimeout: 200}\n"))
        t0 = time.monotonic()
        st, _, body = request(port, "GET", "/")
        self.assertEqual((st, body), (504, JSON504))
        self.assertLess(time.monotonic() - t0, 0.9)

    def test_max_response_header_bytes_is_502(self):
        self.allow_errors("no valid response (502)")
        up = self.upstream(lambda req, c: response(200, b"x", [("X-Big", "a" * 300)]))
        port = self.gateway(client_doc(up.url,
                                       "  httpTransportConfig: {maxResponseHeaderBytes: 200}\n"))
        self.assertEqual(request(port, "GET", "/")[:3:2], (502, JSON502))
        up2 = self.upstream(lambda req, c: response(200, b"x", [("X-Small", "a")]))
        port2 = self.gateway(client_doc(up2.url,
                                        "  httpTransportConfig: {maxResponseHeaderBytes: 200}\n"))
        self.assertEqual(request(port2, "GET", "/")[0], 200)

    def test_retry_network_errors_only_replayable(self):
        self.allow_errors("no valid response (502)")
        up = self.upstream(lambda req, c: None)  # closes without answering
        port = self.gateway(client_doc(up.url,
                                       "  retryConfig: {maxRetry: 1, maxContentLength: 10}\n"))
        self.assertEqual(request(port, "GET", "/")[:3:2], (502, JSON502))
        self.assertEqual(len(up.requests), 2)
        self.assertEqual(request(port, "POST", "/", body=b"0123456789")[0], 502)
        self.assertEqual(len(up.requests), 4)
        self.assertEqual(up.requests[-1].body, b"0123456789")
        self.assertEqual(request(port, "POST", "/", body=b"0123456789a")[0], 502)
        self.assertEqual(len(up.requests), 5)

    def test_retry_max_three(self):
        self.allow_errors("no valid response (502)")
        up = self.upstream(lambda req, c: None)
        port = self.gateway(client_doc(up.url, "  retryConfig: {maxRetry: 3}\n"))
        self.assertEqual(request(port, "GET", "/")[0], 502)
        self.assertEqual(len(up.requests), 4)

    def test_retry_status_codes(self):
        self.allow_errors("status 500 (attempt")
        up = self.upstream(lambda req, c: response(500, b"bad"))
        port = self.gateway(client_doc(
            up.url, "  retryConfig:\n    maxRetry: 2\n    retryStatusCodes: [500, 503]\n"))
        self.assertEqual(request(port, "GET", "/")[:3:2], (502, JSON502))
        self.assertEqual(len(up.requests), 3)
        # Not replayable (body over maxContentLength 0): passed through.
        st, _, body = request(port, "POST", "/", body=b"hello world")
        self.assertEqual((st, body), (500, b"bad"))
        self.assertEqual(len(up.requests), 4)

    def test_retry_then_success(self):
        self.allow_errors("status 503 (attempt")
        seen = []

        def flaky(req, c):
            seen.append(1)
            return response(503, b"busy") if len(seen) < 3 else response(200, b"ok")
        up = self.upstream(flaky)
        port = self.gateway(client_doc(
            up.url, "  retryConfig:\n    maxRetry: 5\n    retryStatusCodes: [503]\n"))
        self.assertEqual(request(port, "GET", "/")[:3:2], (200, b"ok"))
        self.assertEqual(len(seen), 3)

    def test_disable_keep_alives(self):
        up = self.upstream()
        port = self.gateway(client_doc(up.url, "  httpTransportConfig: {disableKeepAlives: true}\n"))
        c = Client(port)
        for _ in range(3):
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.recv_response()[0], 200)
        c.close()
        self.assertEqual(up.connections, 3)
        self.assertEqual(up.requests[0].header("Connection"), "close")

    def test_keep_alive_and_idle_timeout(self):
        up = self.upstream()
        port = self.gateway(client_doc(up.url, "  httpTransportConfig: {idleConnTimeout: 300}\n"))
        for _ in range(2):
            self.assertEqual(request(port, "GET", "/")[0], 200)
        self.assertEqual(up.connections, 1)
        time.sleep(0.6)
        self.assertEqual(request(port, "GET", "/")[0], 200)
        self.assertEqual(up.connections, 2)

    def check_refused(self, spec, words):
        port = free_port()
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(proxy_config(port, client_doc("http://127.0.0.1:1", spec)))
        try:
            rc, out = run_aileron(["-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 1, out)
        self.assertIn(words, out)

    def test_unsupported_fields_refused(self):
        self.check_refused("  http2TransportConfig: {}\n", "HTTP/2 is not supported")
        # tripperwares are references, resolved like the proxy's
        self.check_refused("  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger}]\n",
                           "undefined reference to core/v1/HTTPLogger/default/default")
        self.check_refused("  retryConfig: {maxRetry: 101}\n", "out of range")
        self.check_refused("  retryConfig: {retryStatusCodes: [500, 500]}\n", "duplicate")

    def test_round_tripper_must_be_http_client(self):
        port = free_port()
        doc = ("apiVersion: core/v1\nkind: ReverseProxyHandler\nspec:\n"
               "  roundTripper: {apiVersion: core/v1, kind: ReverseProxyHandler}\n")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(proxy_config(port, doc))
        try:
            rc, out = run_aileron(["-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot be used as a roundTripper", out)


if __name__ == "__main__":
    unittest.main()
