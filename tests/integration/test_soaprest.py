"""app/v1 SOAPRESTMiddleware: SOAP requests reach the upstream as JSON, its JSON comes back as XML."""

import json
import os
import re
import time
import xml.etree.ElementTree as ET

from harness import (AileronTestCase, Client, free_port, request, response, run_aileron)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "soaprest")
EXAMPLE = os.path.join(HERE, "aileron-examples", "soap-rest")

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<soap:Envelope xmlns:soap="%s">'
            '<soap:Header/><soap:Body><m:GetPrice xmlns:m="urn:prices">'
            '<m:Item>Apples</m:Item><m:Qty>12345678901234567890</m:Qty>'
            '</m:GetPrice></soap:Body></soap:Envelope>')


def config(port, up_url, spec="", extra=""):
    return """apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
  processConfig:
    workers: 2
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:%d"
  virtualHosts:
    - middleware:
        - apiVersion: app/v1
          kind: SOAPRESTMiddleware
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
kind: SOAPRESTMiddleware
spec:%s
%s""" % (port, up_url, spec or " {}", extra)


def norm(elem):
    """An element as AILERON's equalXML sees it: attributes sorted,
    text trimmed, children in any order."""
    return (elem.tag, tuple(sorted(elem.attrib.items())), (elem.text or "").strip(),
            tuple(sorted(norm(c) for c in elem)))


def same_xml(a, b):
    # Python's parser wants the XML declaration first; Go's takes comments before it.
    a, b = (re.sub(rb"<\?xml[^>]*\?>", b"", x) for x in (a, b))
    return norm(ET.fromstring(a)) == norm(ET.fromstring(b))


def read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def hdr(headers):
    return {k.lower(): v for k, v in headers}


class SOAPRESTTest(AileronTestCase):

    def soap_upstream(self):
        """Answers by path; /echo sends the JSON it got back."""

        def handler(req, conn):
            t = req.target
            ct = [("Content-Type", "application/json; charset=utf-8")]
            if t == "/echo":
                return response(200, req.body, ct + [("X-Inner", "yes")])
            if t == "/created":
                return response(201, b'{"r":{"id":"7"}}', ct)
            if t == "/text":
                return response(200, b"plain", [("Content-Type", "text/plain")])
            if t == "/nothing":
                return response(200, b"")
            if t == "/badjson":
                return response(200, b'{"a":', ct)
            if t == "/number":
                return response(200, b'"just a string"', ct)
            if t == "/slow":
                # The head alone first: the middleware must still be able
                # to answer differently once the body has come.
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 9\r\n\r\n")
                time.sleep(0.3)
                return b'{"a":"b"}'
            if t == "/slowbad":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 5\r\n\r\n")
                time.sleep(0.3)
                return b'{"a":'
            if t == "/chunked":
                return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n"
                        b"4\r\n\"b\"}\r\n0\r\n\r\n")
            return response(404, b'{"error":"no"}', ct)
        return self.upstream(handler)

    def start_soap(self, spec="", extra=""):
        up = self.soap_upstream()
        port = free_port()
        self.start(config(port, up.url, spec, extra), port)
        return port, up

    def soap11(self, port, path="/echo", body=None, action='"urn:GetPrice"', ctype="text/xml"):
        body = body if body is not None else (ENVELOPE % SOAP11).encode()
        headers = [("Content-Type", ctype)]
        if action is not None:
            headers.append(("SOAPAction", action))
        return request(port, "POST", path, headers, body)

    def test_soap11_to_json_and_back(self):
        port, up = self.start_soap()
        st, h, body = self.soap11(port)
        h = hdr(h)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "text/xml; charset=utf-8")
        self.assertEqual(h["x-inner"], "yes")
        self.assertNotIn("content-length", h)
        # what the upstream got: JSON, numbers as written, AILERON's headers
        req = up.requests[-1]
        self.assertEqual(req.header("Content-Type"), "application/json")
        self.assertEqual(req.header("Accept"), "application/json")
        self.assertEqual(req.header("X-Soap-Action"), '"urn:GetPrice"')
        self.assertEqual(req.header("X-Content-Type"), "text/xml")
        self.assertEqual(req.header("SOAPAction"), '"urn:GetPrice"')
        self.assertEqual(int(req.header("Content-Length")), len(req.body))
        self.assertEqual(req.body, (
            b'{"soap:Envelope":{"@xmlns:soap":"' + SOAP11.encode() + b'",'
            b'"soap:Body":{"m:GetPrice":{"@xmlns:m":"urn:prices","m:Item":{"$":"Apples"},'
            b'"m:Qty":{"$":"12345678901234567890"}}},"soap:Header":{"$":""}}}\n'))
        # what the client got: the same envelope, with the XML header
        self.assertTrue(body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope'))
        self.assertTrue(same_xml(body, (ENVELOPE % SOAP11).encode()), body)
        self.assertIn(b"\n  <soap:Body>\n    <m:GetPrice", body)

    def test_soap12_action_parameter(self):
        port, up = self.start_soap()
        st, h, body = request(port, "POST", "/echo", [
            ("Content-Type", 'application/soap+xml; charset=utf-8; action="urn:Get Price"')],
            (ENVELOPE % SOAP12).encode())
        self.assertEqual(st, 200, body)
        self.assertEqual(hdr(h)["content-type"], "application/soap+xml; charset=utf-8")
        req = up.requests[-1]
        self.assertEqual(req.header("X-Soap-Action"), "urn:Get Price")
        self.assertEqual(req.header("X-Content-Type"), "application/soap+xml")
        self.assertTrue(same_xml(body, (ENVELOPE % SOAP12).encode()), body)
        # a token, the parameter name in any case; none: an empty header
        for ctype, want in (("Application/SOAP+XML;ACTION=urn:x;charset=utf-8", "urn:x"),
                            ("application/soap+xml", "")):
            st, _, _ = request(port, "POST", "/echo", [("Content-Type", ctype)], b"<a/>")
            self.assertEqual(st, 200)
            self.assertEqual(up.requests[-1].header("X-Soap-Action"), want)
            self.assertEqual(up.requests[-1].header("X-Content-Type"), "application/soap+xml")

    def test_inner_status_kept(self):
        port, _ = self.start_soap()
        st, h, body = self.soap11(port, "/created")
        self.assertEqual(st, 201)
        self.assertEqual(body, b'<?xml version="1.0" encoding="UTF-8"?>\n<r>\n  <id>7</id>\n</r>')

    def test_not_soap_is_403(self):
        port, up = self.start_soap()
        # text/xml without SOAPAction, JSON, none at all: AILERON's 403 E3216
        for ctype, action in (("text/xml", None), ("application/json", '"x"'),
                              ("text/plain", '"x"'), ("", None)):
            st, h, body = self.soap11(port, ctype=ctype, action=action)
            self.assertEqual(st, 403, (ctype, body))
            self.assertEqual(json.loads(body)["status"], 403)
        self.assertEqual(up.requests, [])
        # an empty SOAPAction still says SOAP 1.1
        st, _, _ = self.soap11(port, action="")
        self.assertEqual(st, 200)

    def test_malformed_xml_is_400(self):
        port, up = self.start_soap()
        for bad in (b"<a><b></a>", b"<a>", b"<a>&ent;</a>",
                    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'):
            st, h, body = self.soap11(port, body=bad)
            self.assertEqual(st, 400, bad)
        self.assertEqual(up.requests, [])

    def test_inner_not_json_is_500(self):
        port, _ = self.start_soap()
        # AILERON's case: the handler writes nothing (no Content-Type)
        for path in ("/nothing", "/text"):
            st, h, body = self.soap11(port, path)
            self.assertEqual(st, 500, path)
            self.assertEqual(hdr(h)["content-type"], "application/json; charset=utf-8")
            self.assertEqual(json.loads(body)["status"], 500)

    def test_inner_bad_json_is_500(self):
        port, _ = self.start_soap()
        for path in ("/badjson", "/number", "/slowbad"):
            st, h, body = self.soap11(port, path)
            self.assertEqual(st, 500, path)
            self.assertEqual(json.loads(body)["status"], 500)

    def test_upstream_down(self):
        # The proxy's own 502 is JSON for a client without Accept (AILERON's
        # inner request has Accept: application/json): it is converted too.
        port = free_port()
        self.start(config(port, "http://127.0.0.1:%d" % free_port()), port)
        self.allow_errors("connect")
        st, h, body = self.soap11(port)
        self.assertEqual(st, 502)
        self.assertEqual(hdr(h)["content-type"], "text/xml; charset=utf-8")
        self.assertEqual(body, b'<?xml version="1.0" encoding="UTF-8"?>\n'
                               b'<status>502</status>\n<statusText>Bad Gateway</statusText>')
        # An XML error page is not JSON: 500 E3219 in its place.
        st, h, body = request(port, "POST", "/", [("Content-Type", "text/xml"), ("SOAPAction", "a"),
                                                  ("Accept", "text/xml")], b"<a/>")
        self.assertEqual(st, 500)
        self.assertIn(b"<status>500</status>", body)

    def test_head_held_until_converted(self):
        port, _ = self.start_soap()
        for path in ("/slow", "/chunked"):
            st, h, body = self.soap11(port, path)
            self.assertEqual((st, body), (200, b'<?xml version="1.0" encoding="UTF-8"?>\n<a>b</a>'))

    def test_chunked_request_and_keep_alive(self):
        port, up = self.start_soap()
        env = (ENVELOPE % SOAP11).encode()
        c = Client(port)
        try:
            chunked = b"".join(b"%x\r\n%s\r\n" % (len(env[i:i + 50]), env[i:i + 50])
                               for i in range(0, len(env), 50)) + b"0\r\n\r\n"
            # a chunked SOAP request and a pipelined second one on the same connection
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                   b"SOAPAction: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked +
                   b"POST /created HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                   b"SOAPAction: b\r\nContent-Length: 4\r\n\r\n<a/>")
            st, h, body = c.recv_response()
            self.assertEqual(st, 200)
            self.assertTrue(same_xml(body, env))
            st, h, body = c.recv_response()
            self.assertEqual(st, 201)
            self.assertEqual(up.requests[-1].body, b'{"a":{"$":""}}\n')
        finally:
            c.close()

    def test_oversized_body_is_413(self):
        port, up = self.start_soap()
        c = Client(port)
        try:
            # (a parked request waits for body bytes before a worker takes it)
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                   b"SOAPAction: a\r\nContent-Length: %d\r\n\r\n" % (10 * 1024 * 1024 + 1)
                   + b"x" * 200000)
            st, h, body = c.recv_response()
            self.assertEqual(st, 413)
            self.assertTrue(c.closed())
        finally:
            c.close()
        # chunked, discovered while reading
        c = Client(port)
        try:
            c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                   b"SOAPAction: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"<a>" + b"x" * (1024 * 1024) + b"</a>"
            try:
                for _ in range(11):
                    c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            st, h, body = c.recv_response()
            self.assertEqual(st, 413)
        finally:
            c.close()
        self.assertEqual(up.requests, [])

    def test_body_limit_before_it_counts_chunked_bodies(self):
        # BodyLimitMiddleware listed first: SOAPREST reads the body itself,
        # with the limit of the request.
        up = self.soap_upstream()
        port = free_port()
        text = config(port, up.url, extra="""---
apiVersion: app/v1
kind: BodyLimitMiddleware
spec: {maxSize: 64}
""").replace("""    - middleware:
        - apiVersion: app/v1
          kind: SOAPRESTMiddleware""", """    - middleware:
        - apiVersion: app/v1
          kind: BodyLimitMiddleware
        - apiVersion: app/v1
          kind: SOAPRESTMiddleware""")
        self.start(text, port)
        small = b"<a>1</a>"
        c = Client(port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: a\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(small), small))
        self.assertEqual(c.recv_response()[0], 200)
        c.close()
        big = b"<a>" + b"x" * 100 + b"</a>"
        c = Client(port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: a\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(big), big))
        self.assertEqual(c.recv_response()[0], 413)
        c.close()
        self.assertEqual(len(up.requests), 1)

    def round_trip(self, spec, name):
        port, up = self.start_soap(spec)
        xml = read(name + ".xml")
        want = json.loads(read(name + ".json"))
        st, h, body = self.soap11(port, body=xml, action="http://example.com/")
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(up.requests[-1].body), want)
        self.assertTrue(same_xml(body, xml), body)

    def test_round_trip_simple(self):
        # AILERON's integration case: simple with trimSpace, CDATA and numbers
        self.round_trip("\n  simple:\n    trimSpace: true", "simple/ok_simple_option")

    def test_round_trip_badgerfish(self):
        self.round_trip("\n  badgerfish:\n    trimSpace: true", "badgerfish/ok_badgerfish")

    def test_round_trip_rayfish(self):
        self.round_trip("\n  rayfish:\n    trimSpace: true", "rayfish/ok_rayfish")

    def test_options(self):
        port, up = self.start_soap("\n  simple:\n    preferShort: true\n"
                                   "    namespaceSep: \"_\"\n    attrPrefix: \"-\"")
        st, _, body = self.soap11(port, body=b'<s:a xmlns:s="urn:s" k="v"><s:b> x </s:b></s:a>')
        self.assertEqual(st, 200)
        self.assertEqual(up.requests[-1].body,
                         b'{"s_a":{"-k":"v","-xmlns_s":"urn:s","s_b":" x "}}\n')
        self.assertEqual(body, b'<?xml version="1.0" encoding="UTF-8"?>\n'
                               b'<s:a k="v" xmlns:s="urn:s">\n  <s:b> x </s:b>\n</s:a>')

    def test_config_errors(self):
        from harness import AILERON
        import subprocess
        import tempfile
        for spec, msg in (("\n  simple: {}\n  rayfish: {}", "only one of"),
                          ("\n  simple:\n    nameKey: x", "nameKey"),
                          ("\n  unknown: 1", "unknown")):
            with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
                f.write(config(free_port(), "http://127.0.0.1:1", spec))
                f.flush()
                p = subprocess.run([AILERON, "-c", "-f", f.name], capture_output=True, text=True)
                self.assertNotEqual(p.returncode, 0, spec)
                self.assertIn(msg, p.stdout + p.stderr, spec)

    def example(self, name, fix=()):
        """AILERON's example, but for its address, its upstream (echo.go:
        the body back with the request's Content-Type) and fixes."""
        up = self.upstream(lambda req, conn: response(
            200, req.body, [("Content-Type", req.header("Content-Type") or "")]))
        with open(os.path.join(EXAMPLE, name)) as f:
            text = f.read()
        port = free_port()
        text = text.replace('addr: ":8080"', 'addr: "127.0.0.1:%d"' % port)
        text = text.replace("http://localhost:9090/", up.url + "/")
        for a, b in fix:
            text = text.replace(a, b)
        path = os.path.join(self.tmpdir(), name)
        with open(path, "w") as f:
            f.write(text)
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)
        self.start(text, port)
        return port

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        return d

    README_XML = (b'\n<alice xmlns="http://abc.com/" xmlns:ns="http://xyz.com/">\n'
                  b'  <bob>charlie</bob>\n  <ns:david>edgar</ns:david>\n</alice>\n')

    def test_example_soap_rest(self):
        port = self.example("config.yaml")
        # README: SOAP 1.1 (text/xml with SOAPAction) and SOAP 1.2
        for headers, ctype in (([("Content-Type", "text/xml"), ("SOAPAction", "dummy")],
                                "text/xml; charset=utf-8"),
                               ([("Content-Type", "application/soap+xml")],
                                "application/soap+xml; charset=utf-8")):
            st, h, body = request(port, "POST", "/", headers, self.README_XML)
            self.assertEqual((st, hdr(h)["content-type"]), (200, ctype))
            self.assertEqual(body, b'<?xml version="1.0" encoding="UTF-8"?>\n'
                                   b'<alice xmlns="http://abc.com/" xmlns:ns="http://xyz.com/">\n'
                                   b'  <bob>charlie</bob>\n  <ns:david>edgar</ns:david>\n</alice>')
        # README: the default error responses
        st, _, body = request(port, "GET", "/")
        self.assertEqual((st, body), (403, b'{"status":403,"statusText":"Forbidden"}'))
        st, _, body = request(port, "GET", "/", [("Accept", "text/xml")])
        # (the README shows this body indented, with an empty <errors>; the
        # error pages are not this middleware's: only the status is checked)
        self.assertEqual(st, 403)
        self.assertIn(b"<status>403</status>", body)

    def test_example_error_handler(self):
        # AILERON's config-error.yaml names template files that its example
        # does not have: the SOAP faults of its errors/ directory instead.
        errors = os.path.join(EXAMPLE, "errors")
        port = self.example("config-error.yaml", (
            ("./errors/version.xml", os.path.join(errors, "version.xml")),
            ("./_example/soap-rest/error-messages/soapfault_client.txt",
             os.path.join(errors, "client.xml")),
            ("./_example/soap-rest/error-messages/soapfault_server.txt",
             os.path.join(errors, "server.xml"))))
        st, h, body = request(port, "POST", "/", [("Accept", "text/xml"),
                                                  ("Content-Type", "application/json")], b"{}")
        self.assertEqual(st, 403)
        self.assertIn(b"<faultcode>VersionMismatch</faultcode>", body)
        st, h, body = request(port, "POST", "/", [("Accept", "text/xml"), ("Content-Type", "text/xml"),
                                                  ("SOAPAction", "x")], b"<a>")
        self.assertEqual(st, 400)
        self.assertIn(b"<faultcode>Client</faultcode>", body)
        st, h, body = request(port, "POST", "/", [("Accept", "text/xml"),
                                                  ("Content-Type", "application/soap+xml")],
                              self.README_XML)
        self.assertEqual(st, 200)
