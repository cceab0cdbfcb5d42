"""RFC 9112 framing against the real binary: a table of raw requests.

Every case is sent whole and again trickled one byte at a time (TCP_NODELAY,
one send per byte).  A rejected case must get its status, and the upstream
must receive nothing at all; an accepted case must reach the upstream as
exactly the bytes listed (request line, headers after hop-by-hop removal and
the X-Forwarded-* additions, body framing).
"""

import socket
import threading
import time
import unittest

from harness import AileronTestCase, free_port, proxy_config, simple_lb

# Limits of the table's server, small so that cases stay short.
SERVER_EXTRA = """  httpConfig:
    maxHeaderBytes: 1024
    maxRequestLineBytes: 512
    maxHeaderCount: 12
    maxTrailerBytes: 64
"""

H = "Host: h\r\n"


def fwd(line, headers="", body=b"", xfh="h", xff="127.0.0.1"):
    """The exact request the upstream must receive ({up}, {port} filled in later)."""
    return (("%s\r\nHost: {up}\r\n%sX-Forwarded-For: %s\r\nX-Forwarded-Port: {port}\r\n"
             "X-Forwarded-Host: %s\r\nX-Forwarded-Proto: http\r\n\r\n")
            % (line, headers, xff, xfh)).encode("latin-1") + body


# (name, raw request, expected): expected is a status (the request is
# refused and nothing reaches the upstream) or the forwarded bytes (the
# client gets the upstream's 200).
REJECTED = [
    # Content-Length (RFC 9112 6.3, 11.2)
    ("CL and TE", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE and CL", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("two differing CL", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("two equal CL", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("CL list", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5, 5\r\n\r\nhello", 400),
    ("CL plus sign", "POST / HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\nhello", 400),
    ("CL negative", "POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n", 400),
    ("CL hex", "POST / HTTP/1.1\r\n" + H + "Content-Length: 0x5\r\n\r\nhello", 400),
    ("CL empty", "POST / HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n", 400),
    ("CL overflow", "POST / HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999\r\n\r\n", 400),
    ("CL 2^63", "POST / HTTP/1.1\r\n" + H + "Content-Length: 9223372036854775808\r\n\r\n", 400),
    ("CL inner space", "POST / HTTP/1.1\r\n" + H + "Content-Length: 1 2\r\n\r\n", 400),
    ("CL decimal", "POST / HTTP/1.1\r\n" + H + "Content-Length: 5.0\r\n\r\nhello", 400),
    # Transfer-Encoding
    ("TE xchunked", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
    ("TE chunked identity", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
    ("TE identity", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: identity\r\n\r\n", 400),
    ("TE gzip chunked", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("TE chunked twice", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE duplicated", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE space before colon", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE tab before colon", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE empty", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n\r\n", 400),
    ("TE vertical tab", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n", 400),
    # line endings, folding, control bytes
    ("bare LF request line", "GET / HTTP/1.1\n" + H + "\r\n", 400),
    ("bare LF header", "GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
    ("bare LF end", "GET / HTTP/1.1\r\n" + H + "\n", 400),
    ("bare CR header", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400),
    ("bare CR request line", "GET / HTTP/1.1\r" + H + "\r\n", 400),
    ("obs-fold", "GET / HTTP/1.1\r\n" + H + "X: a\r\n b\r\n\r\n", 400),
    ("obs-fold tab", "GET / HTTP/1.1\r\n" + H + "X: a\r\n\tb\r\n\r\n", 400),
    ("space before first field", "GET / HTTP/1.1\r\n " + H + "\r\n", 400),
    ("NUL in value", "GET / HTTP/1.1\r\n" + H + "X: a\x00b\r\n\r\n", 400),
    ("SOH in value", "GET / HTTP/1.1\r\n" + H + "X: a\x01b\r\n\r\n", 400),
    ("DEL in value", "GET / HTTP/1.1\r\n" + H + "X: a\x7fb\r\n\r\n", 400),
    ("ESC in value", "GET / HTTP/1.1\r\n" + H + "X: \x1b[31m\r\n\r\n", 400),
    ("NUL in target", "GET /a\x00b HTTP/1.1\r\n" + H + "\r\n", 400),
    ("DEL in target", "GET /a\x7f HTTP/1.1\r\n" + H + "\r\n", 400),
    # tokens
    ("bad method char", "GE(T / HTTP/1.1\r\n" + H + "\r\n", 400),
    ("method with slash", "GE/T / HTTP/1.1\r\n" + H + "\r\n", 400),
    ("empty method", " / HTTP/1.1\r\n" + H + "\r\n", 400),
    ("space in name", "GET / HTTP/1.1\r\n" + H + "Bad Name: x\r\n\r\n", 400),
    ("empty name", "GET / HTTP/1.1\r\n" + H + ": x\r\n\r\n", 400),
    ("no colon", "GET / HTTP/1.1\r\n" + H + "NoColon\r\n\r\n", 400),
    ("paren in name", "GET / HTTP/1.1\r\n" + H + "X(y): z\r\n\r\n", 400),
    ("non-ASCII name", "GET / HTTP/1.1\r\n" + H + "X\xe9: z\r\n\r\n", 400),
    # Host
    ("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
    ("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("Host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
    ("Host open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
    ("Host bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400),
    ("Host long port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400),
    ("Host slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    # request line and version
    ("HTTP/2.0", "GET / HTTP/2.0\r\n" + H + "\r\n", 505),
    ("HTTP/3.0", "GET / HTTP/3.0\r\n" + H + "\r\n", 505),
    ("HTTP/0.9 line", "GET /\r\n\r\n", 400),
    ("lowercase version", "GET / http/1.1\r\n" + H + "\r\n", 400),
    ("version two digits", "GET / HTTP/1.10\r\n" + H + "\r\n", 400),
    ("trailing space", "GET / HTTP/1.1 \r\n" + H + "\r\n", 400),
    ("double space", "GET  / HTTP/1.1\r\n" + H + "\r\n", 400),
    ("tab separator", "GET\t/ HTTP/1.1\r\n" + H + "\r\n", 400),
    ("space in target", "GET /a b HTTP/1.1\r\n" + H + "\r\n", 400),
    ("too many empty lines", "\r\n" * 5 + "GET / HTTP/1.1\r\n" + H + "\r\n", 400),
    # request-target forms
    ("asterisk GET", "GET * HTTP/1.1\r\n" + H + "\r\n", 400),
    ("OPTIONS asterisk", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n", 400),
    ("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 404),
    ("CONNECT origin-form", "CONNECT / HTTP/1.1\r\n" + H + "\r\n", 400),
    ("relative target", "GET a/b HTTP/1.1\r\n" + H + "\r\n", 400),
    ("ftp absolute-form", "GET ftp://example.com/x HTTP/1.1\r\n" + H + "\r\n", 400),
    ("absolute-form userinfo", "GET http://u:p@example.com/x HTTP/1.1\r\n" + H + "\r\n", 400),
    ("absolute-form empty authority", "GET http:///x HTTP/1.1\r\n" + H + "\r\n", 400),
    ("authority without CONNECT", "GET example.com:80 HTTP/1.1\r\n" + H + "\r\n", 400),
    # path escapes
    ("bad escape", "GET /a%zz HTTP/1.1\r\n" + H + "\r\n", 400),
    ("short escape", "GET /a%2 HTTP/1.1\r\n" + H + "\r\n", 400),
    ("lone percent", "GET /% HTTP/1.1\r\n" + H + "\r\n", 400),
    # Expect
    ("Expect other", "GET / HTTP/1.1\r\n" + H + "Expect: foo\r\n\r\n", 417),
    ("Expect near miss", "POST / HTTP/1.1\r\n" + H + "Expect: 100-continuex\r\nContent-Length: 1\r\n\r\nx", 417),
    ("Expect second field", "GET / HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nExpect: bar\r\n\r\n", 417),
    # limits of this server
    ("request line > 512", "GET /" + "a" * 520 + " HTTP/1.1\r\n" + H + "\r\n", 414),
    ("head > 1024 + 4096", "GET / HTTP/1.1\r\n" + H + "X: " + "a" * 5200 + "\r\n\r\n", 431),
    ("13 fields", "GET / HTTP/1.1\r\n" + H + "".join("X%d: y\r\n" % i for i in range(12)) + "\r\n", 431),
    # chunked bodies (detected before anything is forwarded when sent whole)
    ("chunk size 0x", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size empty", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size 17 digits", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size overflow", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size space", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size negative", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk data too long", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n", 400),
    ("chunk bare LF", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400),
    ("chunk ext too long", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;x=" + "a" * 4100 + "\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk ext bad", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;=\r\nhello\r\n0\r\n\r\n", 400),
    ("trailer > 64", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: " + "a" * 80 + "\r\n\r\n", 400),
    ("trailer obs-fold", "POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", 400),
]

# Redirects: non-canonical paths get Go's 301 to the cleaned path.
REDIRECTS = [
    ("double slash", "GET //a HTTP/1.1\r\n" + H + "\r\n", "/a"),
    ("dot segment", "GET /a/./b HTTP/1.1\r\n" + H + "\r\n", "/a/b"),
    ("dot-dot keeps query", "GET /a/../b?q=1&r HTTP/1.1\r\n" + H + "\r\n", "/b?q=1&r"),
    ("dot-dot to root", "GET /a/.. HTTP/1.1\r\n" + H + "\r\n", "/"),
    ("dot-dot above root", "GET /../x HTTP/1.1\r\n" + H + "\r\n", "/x"),
    ("trailing dot slash", "GET /a/b/./ HTTP/1.1\r\n" + H + "\r\n", "/a/b/"),
    ("encoded slashes", "GET /a%2F%2Fb HTTP/1.1\r\n" + H + "\r\n", "/a/b"),
    ("encoded dot-dot", "GET /a/%2e%2e/c HTTP/1.1\r\n" + H + "\r\n", "/c"),
    ("re-encoded space", "GET /a%20b//c HTTP/1.1\r\n" + H + "\r\n", "/a%20b/c"),
    ("HEAD redirect", "HEAD //x HTTP/1.1\r\n" + H + "\r\n", "/x"),
    ("POST redirect", "POST //x HTTP/1.1\r\n" + H + "Content-Length: 2\r\n\r\nhi", "/x"),
]

CH = "Transfer-Encoding: chunked\r\n"

ACCEPTED = [
    ("simple GET", "GET / HTTP/1.1\r\n" + H + "\r\n", fwd("GET / HTTP/1.1")),
    ("query kept raw", "GET /p?a=1&b=%20x HTTP/1.1\r\n" + H + "\r\n", fwd("GET /p?a=1&b=%20x HTTP/1.1")),
    ("empty query", "GET /p? HTTP/1.1\r\n" + H + "\r\n", fwd("GET /p HTTP/1.1")),
    ("headers in order", "GET / HTTP/1.1\r\nA: 1\r\n" + H + "B: 2\r\nA: 3\r\n\r\n",
     fwd("GET / HTTP/1.1", "A: 1\r\nB: 2\r\nA: 3\r\n")),
    ("name case kept", "GET / HTTP/1.1\r\n" + H + "x-lower: v\r\nX-UPPER: V\r\n\r\n",
     fwd("GET / HTTP/1.1", "x-lower: v\r\nX-UPPER: V\r\n")),
    ("OWS trimmed", "GET / HTTP/1.1\r\n" + H + "X:   a b \t \r\n\r\n", fwd("GET / HTTP/1.1", "X: a b\r\n")),
    ("no space after colon", "GET / HTTP/1.1\r\n" + H + "X:a\r\n\r\n", fwd("GET / HTTP/1.1", "X: a\r\n")),
    ("empty value", "GET / HTTP/1.1\r\n" + H + "X:\r\n\r\n", fwd("GET / HTTP/1.1", "X: \r\n")),
    ("obs-text value", "GET / HTTP/1.1\r\n" + H + "X: caf\xe9\r\n\r\n", fwd("GET / HTTP/1.1", "X: caf\xe9\r\n")),
    ("tab inside value", "GET / HTTP/1.1\r\n" + H + "X: a\tb\r\n\r\n", fwd("GET / HTTP/1.1", "X: a\tb\r\n")),
    ("leading CRLF", "\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n", fwd("GET / HTTP/1.1")),
    ("HEAD", "HEAD /h HTTP/1.1\r\n" + H + "\r\n", fwd("HEAD /h HTTP/1.1")),
    ("DELETE", "DELETE /d HTTP/1.1\r\n" + H + "\r\n", fwd("DELETE /d HTTP/1.1")),
    ("OPTIONS path", "OPTIONS /o HTTP/1.1\r\n" + H + "\r\n", fwd("OPTIONS /o HTTP/1.1")),
    ("extension method", "PURGE /x HTTP/1.1\r\n" + H + "\r\n", fwd("PURGE /x HTTP/1.1")),
    ("lowercase method", "get /x HTTP/1.1\r\n" + H + "\r\n", fwd("get /x HTTP/1.1")),
    ("User-Agent kept", "GET / HTTP/1.1\r\n" + H + "User-Agent: t/1\r\n\r\n", fwd("GET / HTTP/1.1", "User-Agent: t/1\r\n")),
    ("Cookie kept", "GET / HTTP/1.1\r\n" + H + "Cookie: a=b; c=d\r\n\r\n", fwd("GET / HTTP/1.1", "Cookie: a=b; c=d\r\n")),
    ("Host with port", "GET / HTTP/1.1\r\nHost: h:8080\r\n\r\n", fwd("GET / HTTP/1.1", xfh="h:8080")),
    ("Host IPv6", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", fwd("GET / HTTP/1.1", xfh="[::1]:80")),
    ("Host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", fwd("GET / HTTP/1.1", xfh="")),
    ("Host after fields", "GET / HTTP/1.1\r\nX: 1\r\nHost: late\r\n\r\n", fwd("GET / HTTP/1.1", "X: 1\r\n", xfh="late")),
    # bodies
    ("POST CL", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello",
     fwd("POST /p HTTP/1.1", "Content-Length: 5\r\n", b"hello")),
    ("POST CL 0", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n",
     fwd("POST /p HTTP/1.1", "Content-Length: 0\r\n")),
    ("POST no body gets CL 0", "POST /p HTTP/1.1\r\n" + H + "\r\n", fwd("POST /p HTTP/1.1", "Content-Length: 0\r\n")),
    ("PUT no body gets CL 0", "PUT /p HTTP/1.1\r\n" + H + "\r\n", fwd("PUT /p HTTP/1.1", "Content-Length: 0\r\n")),
    ("PATCH no body gets CL 0", "PATCH /p HTTP/1.1\r\n" + H + "\r\n", fwd("PATCH /p HTTP/1.1", "Content-Length: 0\r\n")),
    ("CL leading zeros", "POST /p HTTP/1.1\r\n" + H + "Content-Length: 005\r\n\r\nhello",
     fwd("POST /p HTTP/1.1", "Content-Length: 005\r\n", b"hello")),
    ("CL binary body", "PUT /b HTTP/1.1\r\n" + H + "Content-Length: 6\r\n\r\n\x00\r\n\xff\r\n",
     fwd("PUT /b HTTP/1.1", "Content-Length: 6\r\n", b"\x00\r\n\xff\r\n")),
    ("GET with body", "GET /g HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\nabc",
     fwd("GET /g HTTP/1.1", "Content-Length: 3\r\n", b"abc")),
    ("chunked", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n5\r\nhello\r\n0\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"5\r\nhello\r\n0\r\n\r\n")),
    ("chunked case-insensitive", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"0\r\n\r\n")),
    ("chunked several", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n1\r\na\r\nA\r\n0123456789\r\n0\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"1\r\na\r\nA\r\n0123456789\r\n0\r\n\r\n")),
    ("chunked extensions", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n3;a=b;c=\"d\"\r\nabc\r\n0;e\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"3;a=b;c=\"d\"\r\nabc\r\n0;e\r\n\r\n")),
    ("chunked trailers", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n2\r\nab\r\n0\r\nX-T: 1\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"2\r\nab\r\n0\r\nX-T: 1\r\n\r\n")),
    ("chunked size leading zeros", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n0002\r\nab\r\n0\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"0002\r\nab\r\n0\r\n\r\n")),
    ("chunked empty", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n0\r\n\r\n", fwd("POST /c HTTP/1.1", CH, b"0\r\n\r\n")),
    ("chunked TE spaces", "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding:  chunked \r\n\r\n0\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"0\r\n\r\n")),
    ("Trailer field dropped", "POST /c HTTP/1.1\r\n" + H + "Trailer: X-T\r\n" + CH + "\r\n0\r\nX-T: 1\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, b"0\r\nX-T: 1\r\n\r\n")),
    # hop-by-hop and Connection
    ("Connection close removed", "GET / HTTP/1.1\r\n" + H + "Connection: close\r\n\r\n", fwd("GET / HTTP/1.1")),
    ("Connection keep-alive removed", "GET / HTTP/1.1\r\n" + H + "Connection: keep-alive\r\nKeep-Alive: 5\r\n\r\n",
     fwd("GET / HTTP/1.1")),
    ("Connection nominates", "GET / HTTP/1.1\r\n" + H + "Connection: x-a, X-B\r\nX-A: 1\r\nx-b: 2\r\nX-C: 3\r\n\r\n",
     fwd("GET / HTTP/1.1", "X-C: 3\r\n")),
    ("Connection cannot drop Host", "GET / HTTP/1.1\r\n" + H + "Connection: host\r\n\r\n", fwd("GET / HTTP/1.1")),
    ("Connection cannot drop CL", "POST / HTTP/1.1\r\n" + H + "Connection: content-length\r\nContent-Length: 2\r\n\r\nhi",
     fwd("POST / HTTP/1.1", "Content-Length: 2\r\n", b"hi")),
    ("proxy headers removed", "GET / HTTP/1.1\r\n" + H + "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic x\r\n"
     "Proxy-Authenticate: y\r\nZ: 1\r\n\r\n", fwd("GET / HTTP/1.1", "Z: 1\r\n")),
    ("TE trailers re-added", "GET / HTTP/1.1\r\n" + H + "TE: trailers, deflate\r\n\r\n", fwd("GET / HTTP/1.1", "Te: trailers\r\n")),
    ("TE gzip dropped", "GET / HTTP/1.1\r\n" + H + "TE: gzip\r\n\r\n", fwd("GET / HTTP/1.1")),
    ("Upgrade re-added", "GET / HTTP/1.1\r\n" + H + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
     fwd("GET / HTTP/1.1", "Connection: Upgrade\r\nUpgrade: websocket\r\n")),
    ("Upgrade without Connection", "GET / HTTP/1.1\r\n" + H + "Upgrade: h2c\r\n\r\n", fwd("GET / HTTP/1.1")),
    # X-Forwarded-*
    ("XFF appended", "GET / HTTP/1.1\r\n" + H + "X-Forwarded-For: 1.2.3.4\r\n\r\n",
     fwd("GET / HTTP/1.1", xff="1.2.3.4, 127.0.0.1")),
    ("XFF lines joined", "GET / HTTP/1.1\r\n" + H + "X-Forwarded-For: 1.1.1.1\r\nX: y\r\nx-forwarded-for: 2.2.2.2, 3.3.3.3\r\n\r\n",
     fwd("GET / HTTP/1.1", "X: y\r\n", xff="1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1")),
    ("XF host port proto replaced", "GET / HTTP/1.1\r\n" + H + "X-Forwarded-Host: evil\r\nX-Forwarded-Port: 1\r\n"
     "X-Forwarded-Proto: https\r\n\r\n", fwd("GET / HTTP/1.1")),
    # request-target forms
    ("absolute-form", "GET http://example.com/x HTTP/1.1\r\n" + H + "\r\n", fwd("GET /x HTTP/1.1", xfh="example.com")),
    ("absolute-form port query", "GET http://example.com:81/x?y=1 HTTP/1.1\r\n" + H + "\r\n",
     fwd("GET /x?y=1 HTTP/1.1", xfh="example.com:81")),
    ("absolute-form uppercase scheme", "GET HTTP://Example.COM/x HTTP/1.1\r\n" + H + "\r\n",
     fwd("GET /x HTTP/1.1", xfh="Example.COM")),
    ("absolute-form https", "GET https://secure.example/y HTTP/1.1\r\n" + H + "\r\n",
     fwd("GET /y HTTP/1.1", xfh="secure.example")),
    ("absolute-form no path", "GET http://example.com HTTP/1.1\r\n" + H + "\r\n",
     fwd("GET / HTTP/1.1", xfh="example.com")),
    ("absolute-form query only", "GET http://example.com?q HTTP/1.1\r\n" + H + "\r\n",
     fwd("GET /?q HTTP/1.1", xfh="example.com")),
    # path decoding and re-encoding (Go's EscapedPath)
    ("escape decoded", "GET /a%41b HTTP/1.1\r\n" + H + "\r\n", fwd("GET /aAb HTTP/1.1")),
    ("escaped slash arrives literal", "GET /a%2fb HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a/b HTTP/1.1")),
    ("space re-encoded", "GET /a%20b HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a%20b HTTP/1.1")),
    ("tilde unescaped", "GET /%7euser HTTP/1.1\r\n" + H + "\r\n", fwd("GET /~user HTTP/1.1")),
    ("sub-delims kept", "GET /a;b,c=d&e+f$g:h@i HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a;b,c=d&e+f$g:h@i HTTP/1.1")),
    ("UTF-8 re-encoded uppercase", "GET /caf%c3%a9 HTTP/1.1\r\n" + H + "\r\n", fwd("GET /caf%C3%A9 HTTP/1.1")),
    ("percent re-encoded", "GET /100%25 HTTP/1.1\r\n" + H + "\r\n", fwd("GET /100%25 HTTP/1.1")),
    ("question mark encoded", "GET /a%3Fb?c HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a%3Fb?c HTTP/1.1")),
    ("quote and brackets", "GET /a'b(c)!*[d] HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a%27b%28c%29%21%2A%5Bd%5D HTTP/1.1")),
    ("dots inside names", "GET /a.b/..c/.d HTTP/1.1\r\n" + H + "\r\n", fwd("GET /a.b/..c/.d HTTP/1.1")),
    ("trailing slash kept", "GET /dir/ HTTP/1.1\r\n" + H + "\r\n", fwd("GET /dir/ HTTP/1.1")),
    # versions and Expect
    ("HTTP/1.0 no Host", "GET /old HTTP/1.0\r\n\r\n", fwd("GET /old HTTP/1.1", xfh="")),
    ("HTTP/1.0 keep-alive", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n" + H + "\r\n", fwd("GET /old HTTP/1.1")),
    ("HTTP/1.0 POST", "POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
     fwd("POST /old HTTP/1.1", "Content-Length: 2\r\n", b"hi", xfh="")),
    ("Expect 100-continue stripped", "POST /e HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
     fwd("POST /e HTTP/1.1", "Content-Length: 2\r\n", b"hi")),
    ("Expect 100-continue case", "POST /e HTTP/1.1\r\n" + H + "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi",
     fwd("POST /e HTTP/1.1", "Content-Length: 2\r\n", b"hi")),
    ("Expect without body", "GET /e HTTP/1.1\r\n" + H + "Expect: 100-continue\r\n\r\n", fwd("GET /e HTTP/1.1")),
    ("Expect chunked", "POST /e HTTP/1.1\r\n" + H + "Expect: 100-continue\r\n" + CH + "\r\n1\r\nx\r\n0\r\n\r\n",
     fwd("POST /e HTTP/1.1", CH, b"1\r\nx\r\n0\r\n\r\n")),
    # limits: exactly at them is fine
    ("12 fields", "GET / HTTP/1.1\r\n" + H + "".join("X%d: y\r\n" % i for i in range(11)) + "\r\n",
     fwd("GET / HTTP/1.1", "".join("X%d: y\r\n" % i for i in range(11)))),
    ("long line under 512", "GET /" + "b" * 490 + " HTTP/1.1\r\n" + H + "\r\n", fwd("GET /" + "b" * 490 + " HTTP/1.1")),
    ("head near 5120", "GET / HTTP/1.1\r\n" + H + "X: " + "c" * 4900 + "\r\n\r\n", fwd("GET / HTTP/1.1", "X: " + "c" * 4900 + "\r\n")),
    ("trailer under 64", "POST /c HTTP/1.1\r\n" + H + CH + "\r\n0\r\nX: " + "d" * 40 + "\r\n\r\n",
     fwd("POST /c HTTP/1.1", CH, ("0\r\nX: " + "d" * 40 + "\r\n\r\n").encode())),
]



class RawUpstream:
    """A loopback upstream that records the exact bytes of every request."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.nbytes = 0
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _fill(self, conn, buf, n):
        while len(buf) < n:
            d = conn.recv(65536)
            if not d:
                raise EOFError
            with self.lock:
                self.nbytes += len(d)
            buf += d
        return buf

    def _line(self, conn, buf, start):
        while buf.find(b"\r\n", start) < 0:
            buf = self._fill(conn, buf, len(buf) + 1)
        return buf, buf.find(b"\r\n", start) + 2

    def _serve(self, conn):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    buf = self._fill(conn, buf, len(buf) + 1)
                end = buf.index(b"\r\n\r\n") + 4
                head = buf[:end].lower()
                if b"\r\ntransfer-encoding: chunked\r\n" in head:
                    pos = end
                    while True:
                        buf, nxt = self._line(conn, buf, pos)
                        size = int(buf[pos:nxt - 2].split(b";")[0], 16)
                        if size == 0:
                            pos = nxt
                            while True:  # trailer section
                                buf, nxt = self._line(conn, buf, pos)
                                if nxt - pos == 2:
                                    break
                                pos = nxt
                            end = nxt
                            break
                        buf = self._fill(conn, buf, nxt + size + 2)
                        pos = nxt + size + 2
                else:
                    n = 0
                    for line in head.split(b"\r\n"):
                        if line.startswith(b"content-length:"):
                            n = int(line.split(b":")[1])
                    buf = self._fill(conn, buf, end + n)
                    end += n
                with self.cond:
                    self.requests.append(buf[:end])
                    self.cond.notify_all()
                buf = buf[end:]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except (OSError, EOFError, ValueError):
            pass
        finally:
            conn.close()

    def wait_requests(self, n, timeout=5):
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            return list(self.requests)

    def stop(self):
        self.closing = True
        self.sock.close()


def send(port, raw, trickle):
    """Open a connection and send raw whole or one byte per segment."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if not trickle:
            s.sendall(raw)
        else:
            for i in range(len(raw)):
                s.send(raw[i:i + 1])
                # A pause now and then so the bytes arrive in many reads.
                if i % 8 == 7:
                    time.sleep(0.0002)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the end: the response is read below
    return s


def read_response(s, method="GET"):
    """Read one final response (1xx skipped): (status, head, body, closed)."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            try:
                d = s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                raise EOFError("closed before a response: %r" % buf)
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ")[1])
        if status >= 200:
            break
    n = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    if method == "HEAD":
        n = 0
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return status, head.decode("latin-1"), buf[:n]


def read_all(s, timeout=5):
    """Everything until the server closes."""
    got = b""
    s.settimeout(timeout)
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            d = b""
        if not d:
            return got
        got += d


def closed(s, timeout=3):
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


class FramingTableTest(AileronTestCase):
    """The table, whole and trickled, against one aileron per test."""

    def gateway(self, up):
        port = free_port()
        self.start(proxy_config(port, simple_lb([up.url]), SERVER_EXTRA,
                                "  processConfig:\n    workers: 2\n"), port)
        return port

    def test_table_size(self):
        self.assertGreaterEqual(len(REJECTED) + len(REDIRECTS) + len(ACCEPTED), 100)

    def run_rejected(self, trickle):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up)
        for name, raw, want in REJECTED:
            # A bad chunk is found while the body streams: trickled, the
            # head has gone upstream by then, which sees a message cut off
            # and never a complete request.
            body_error = name.startswith(("chunk ", "trailer "))
            with self.subTest(name=name, trickle=trickle):
                s = send(port, raw.encode("latin-1"), trickle)
                try:
                    st, head, _ = read_response(s)
                    self.assertEqual(st, want, head)
                    self.assertIn("connection: close", head.lower())
                    self.assertTrue(closed(s))
                finally:
                    s.close()
                if not (trickle and body_error):
                    self.assertEqual(up.nbytes, 0, "upstream got bytes")
        time.sleep(0.2)
        self.assertEqual(up.requests, [])
        if not trickle:
            self.assertEqual(up.nbytes, 0)

    def test_rejected_whole(self):
        self.run_rejected(False)

    def test_rejected_trickled(self):
        self.run_rejected(True)

    def run_redirects(self, trickle):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up)
        for name, raw, loc in REDIRECTS:
            with self.subTest(name=name, trickle=trickle):
                method = raw.split(" ")[0]
                s = send(port, raw.encode("latin-1"), trickle)
                try:
                    st, head, body = read_response(s, method)
                    self.assertEqual(st, 301, head)
                    self.assertIn("\r\nLocation: %s\r\n" % loc, head)
                    if method == "GET":
                        self.assertEqual(body, ('<a href="%s">Moved Permanently</a>.\n\n'
                                                % loc.replace("&", "&amp;")).encode())
                        self.assertIn("Content-Type: text/html; charset=utf-8", head)
                    else:
                        self.assertIn("Content-Length: 0", head)
                    # A body that was not read means the connection ends.
                    self.assertEqual(closed(s, 0.3), "Content-Length: 2" in raw)
                finally:
                    s.close()
        self.assertEqual((up.nbytes, up.requests), (0, []))

    def test_redirects_whole(self):
        self.run_redirects(False)

    def test_redirects_trickled(self):
        self.run_redirects(True)

    def run_accepted(self, trickle):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up)
        for name, raw, want in ACCEPTED:
            with self.subTest(name=name, trickle=trickle):
                n = len(up.requests)
                s = send(port, raw.encode("latin-1"), trickle)
                try:
                    method = raw.lstrip("\r\n").split(" ")[0]
                    st, head, body = read_response(s, method)
                    self.assertEqual((st, body if method != "HEAD" else b"ok"), (200, b"ok"), head)
                    got = up.wait_requests(n + 1)
                    self.assertEqual(len(got), n + 1)
                    exp = want.replace(b"{up}", ("127.0.0.1:%d" % up.port).encode()).replace(
                        b"{port}", str(s.getsockname()[1]).encode())
                    self.assertEqual(got[n], exp)
                finally:
                    s.close()

    def test_accepted_whole(self):
        self.run_accepted(False)

    def test_accepted_trickled(self):
        self.run_accepted(True)


# Upstream responses with bad framing: the client gets aileron's 502 and
# nothing of the upstream's bytes.
BAD_RESPONSES = [
    ("CL and TE", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("two CL", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"),
    ("CL list", b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab"),
    ("CL sign", b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab"),
    ("CL letters", b"HTTP/1.1 200 OK\r\nContent-Length: ab\r\n\r\nab"),
    ("TE gzip", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"),
    ("TE chunked gzip", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxx"),
    ("TE twice", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("TE in 1.0", b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("bare LF status", b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok"),
    ("bare CR", b"HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 2\r\n\r\nok"),
    ("obs-fold", b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok"),
    ("NUL in field", b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 2\r\n\r\nok"),
    ("space before colon", b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"),
    ("status four digits", b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("status two digits", b"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("bad protocol", b"HTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("HTTP/2.0", b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("HTTP/0.9 body", b"ok\r\n"),
    ("empty", b""),
    ("head cut off", b"HTTP/1.1 200 OK\r\nContent-Len"),
    ("head too big", b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n"),
    ("101 not asked", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"),
]


class OneShotUpstream:
    """Answers every request with the next raw bytes, then closes."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _run(self):
        while self.replies:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(5)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    d = conn.recv(65536)
                    if not d:
                        break
                    buf += d
                if buf:
                    conn.sendall(self.replies.pop(0))
                    conn.shutdown(socket.SHUT_WR)
                    time.sleep(0.05)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.sock.close()


class SemanticsTest(AileronTestCase):
    allowed_errors = ("upstream",)

    def gateway(self, up, server_extra=""):
        port = free_port()
        self.start(proxy_config(port, simple_lb([up.url]), server_extra,
                                "  processConfig:\n    workers: 1\n"), port)
        return port

    def test_bad_upstream_framing_is_502_and_nothing_relayed(self):
        up = OneShotUpstream([raw for _, raw in BAD_RESPONSES] +
                             [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
        self.addCleanup(up.stop)
        port = self.gateway(up)
        for name, _ in BAD_RESPONSES:
            with self.subTest(name=name):
                s = send(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", False)
                try:
                    st, head, body = read_response(s)
                    self.assertEqual((st, body), (502, b'{"status":502,"statusText":"Bad Gateway"}'), head)
                    self.assertNotIn("X:", head)
                finally:
                    s.close()
        # One reply per request: the last one is good and arrives intact.
        s = send(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", False)
        self.assertEqual(read_response(s)[::2], (200, b"ok"))
        s.close()

    def test_bad_chunk_after_head_cuts_the_response(self):
        up = OneShotUpstream([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n"])
        self.addCleanup(up.stop)
        port = self.gateway(up)
        s = send(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", False)
        got = read_all(s)
        s.close()
        # The head went out, then the connection closes: the client sees
        # a body that never ends, and never the bad bytes.
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"), got)
        self.assertNotIn(b"zz", got)
        self.assertFalse(got.endswith(b"0\r\n\r\n"), got)

    def test_bytes_after_a_response_are_not_a_later_response(self):
        # An upstream that sends more than the framing says must not have
        # the excess read as the answer to the next request on its
        # connection: that connection is not reused (as nginx), whether the
        # excess came with the response or after it.
        for name, first in (
                ("length", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                ("chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
                ("no body", b"HTTP/1.1 204 No Content\r\n\r\n")):
            with self.subTest(name=name):
                evil = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"
                late = []

                def h(req, c, first=first):
                    if late:  # the excess arrives after the response
                        c.sendall(first)
                        time.sleep(0.2)
                        return evil
                    return first + evil
                up = self.upstream(h)
                port = self.gateway(up)
                for i in range(4):
                    if i == 2:
                        late.append(1)
                    s = send(port, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", False)
                    st, _, body = read_response(s)
                    s.close()
                    self.assertNotEqual(body, b"EVIL!")
                    self.assertEqual(st, int(first.split(b" ")[1]))
                    if late:
                        time.sleep(0.3)  # the excess is on the idle connection
                self.assertGreaterEqual(up.connections, 3)

    def test_read_timeout_body_is_408(self):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up, "  httpConfig:\n    readTimeout: 1\n")
        s = send(port, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab", False)
        t0 = time.monotonic()
        st, head, _ = read_response(s)
        self.assertEqual(st, 408)
        self.assertIn("Connection: close", head)
        self.assertTrue(closed(s))
        self.assertLess(time.monotonic() - t0, 3)
        s.close()
        self.assertEqual(up.requests, [])

    def test_read_timeout_covers_the_whole_body(self):
        # Every byte comes well within a second, the whole body does not.
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up, "  httpConfig:\n    readTimeout: 1\n")
        s = send(port, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n", False)
        t0 = time.monotonic()
        try:
            for _ in range(10):
                s.send(b"x")
                time.sleep(0.25)
        except OSError:
            pass
        st, _, _ = read_response(s)
        self.assertEqual(st, 408)
        self.assertLess(time.monotonic() - t0, 2.0)
        s.close()
        self.assertEqual(up.requests, [])

    def test_read_timeout_allows_a_slow_complete_request(self):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up, "  httpConfig:\n    readTimeout: 2\n")
        s = send(port, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na", False)
        time.sleep(0.5)
        s.sendall(b"bc")
        st, _, body = read_response(s)
        self.assertEqual((st, body), (200, b"ok"))
        s.close()
        self.assertTrue(up.wait_requests(1)[0].endswith(b"\r\n\r\nabc"))

    def test_write_timeout_cuts_a_slow_response(self):
        def slow(req, conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
            time.sleep(3)
            return b""
        up = self.upstream(slow)
        port = self.gateway(up, "  httpConfig:\n    writeTimeout: 1\n")
        s = send(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", False)
        t0 = time.monotonic()
        got = read_all(s)
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertTrue(got.endswith(b"\r\n\r\nab"))
        self.assertLess(time.monotonic() - t0, 2.5)

    def test_disable_keep_alive(self):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up, "  httpConfig:\n    disableKeepAlive: true\n")
        s = send(port, b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", False)
        st, head, _ = read_response(s)
        self.assertEqual(st, 200)
        self.assertIn("Connection: close", head)
        self.assertTrue(closed(s))
        s.close()
        self.assertEqual(len(up.wait_requests(1)), 1)
        time.sleep(0.2)
        self.assertEqual(len(up.requests), 1)

    def test_options_asterisk_follows_keep_alive_rules(self):
        # Issue 11: OPTIONS * kept the connection despite disableKeepAlive.
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up, "  httpConfig:\n    enableGeneralOptionsHandler: true\n")
        s = send(port, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", False)
        st, head, body = read_response(s)
        self.assertEqual((st, body), (200, b""))
        self.assertIn("Content-Length: 0", head)
        self.assertIn("Date: ", head)
        self.assertNotIn("Connection:", head)
        s.sendall(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(read_response(s)[0], 200)
        s.close()
        port = self.gateway(up, "  httpConfig:\n    enableGeneralOptionsHandler: true\n"
                            "    disableKeepAlive: true\n")
        s = send(port, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", False)
        st, head, _ = read_response(s)
        self.assertEqual(st, 200)
        self.assertIn("Connection: close", head)
        self.assertTrue(closed(s))
        s.close()

    def test_connection_close_both_ways(self):
        # The upstream closing its side does not close the client's.
        up = self.upstream(lambda req, c: b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(req.target), req.target.encode()))
        port = self.gateway(up)
        s = send(port, b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n", False)
        st, head, body = read_response(s)
        self.assertEqual((st, body), (200, b"/1"))
        self.assertNotIn("Connection:", head)
        s.sendall(b"GET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        st, head, body = read_response(s)
        self.assertEqual((st, body), (200, b"/2"))
        self.assertIn("Connection: close", head)
        self.assertTrue(closed(s))
        s.close()
        self.assertEqual(up.connections, 2)

    def test_http10_keep_alive_only_when_asked(self):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = self.gateway(up)
        s = send(port, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False)
        st, head, _ = read_response(s)
        self.assertIn("Connection: keep-alive", head)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        st, head, _ = read_response(s)
        self.assertEqual(st, 200)
        self.assertNotIn("keep-alive", head)
        self.assertTrue(closed(s))
        s.close()

    def test_pipelined_requests_answered_in_order(self):
        up = self.upstream(lambda req, c: b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                           % (len(req.target) + len(req.body), req.target.encode() + req.body))
        port = self.gateway(up)
        raw = (b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
               b"POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
               b"GET //3 HTTP/1.1\r\nHost: h\r\n\r\n"
               b"PUT /4 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nde"
               b"GET /5 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        for trickle in (False, True):
            with self.subTest(trickle=trickle):
                s = send(port, raw, trickle)
                data = read_all(s)  # the last request closes
                s.close()
                got = []
                while data:
                    head, data = data.split(b"\r\n\r\n", 1)
                    n = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    got.append((int(head.split(b" ")[1]), data[:n]))
                    data = data[n:]
                self.assertEqual(got, [(200, b"/1"), (200, b"/2abc"), (301, b'<a href="/3">Moved Permanently</a>.\n\n'),
                                       (200, b"/4de"), (200, b"/5")])

    def test_absolute_form_routes_by_its_authority(self):
        up = RawUpstream()
        self.addCleanup(up.stop)
        port = free_port()
        doc = """apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - hosts: ["x.example"]
      pathMatcher:
        match: "/"
        matchType: Prefix
      upstreams:
        - url: %s
""" % up.url
        self.start(proxy_config(port, doc, "", "  processConfig:\n    workers: 1\n"), port)
        s = send(port, b"GET http://x.example/p HTTP/1.1\r\nHost: other\r\n\r\n", False)
        self.assertEqual(read_response(s)[0], 200)
        s.close()
        s = send(port, b"GET /p HTTP/1.1\r\nHost: other\r\n\r\n", False)
        self.assertEqual(read_response(s)[0], 404)
        s.close()
        s = send(port, b"GET /p HTTP/1.1\r\nHost: x.example\r\n\r\n", False)
        self.assertEqual(read_response(s)[0], 200)
        s.close()


if __name__ == "__main__":
    unittest.main()
