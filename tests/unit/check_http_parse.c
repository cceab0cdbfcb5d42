/* Check unit tests for the HTTP/1.1 head parser and the chunked decoder. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#define RAW(s) .raw = (s), .len = sizeof(s) - 1

/* A request that must parse; hl is the expected head_len (0: all of raw). */
#define ROK(n, s, mt, mid, tg, mi, bd, cl, ka, hl)                          \
	{                                                                   \
		.name = (n), RAW(s), .rv = HTTP_PARSE_DONE, .method = (mt), \
		.method_id = (mid), .target = (tg), .minor = (mi),          \
		.body = (bd), .content_length = (cl), .keep_alive = (ka),   \
		.head_len = (hl)                                            \
	}
/* A request that must fail with status st (or need more bytes: 0). */
#define RBAD(n, s, st)                          \
	{                                       \
		.name = (n), RAW(s), .rv = (st) \
	}

#define H "Host: a\r\n"

struct req_case {
	const char *name;
	const char *raw;
	size_t len;
	int rv;
	const char *method;
	int method_id;
	const char *target;
	int minor;
	int body;
	uint64_t content_length;
	int keep_alive;
	uint32_t head_len;
};

static const struct req_case req_cases[] = {
	/* valid */
	ROK("simple GET", "GET / HTTP/1.1\r\n" H "\r\n", "GET", HTTP_M_GET, "/",
	    1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("1.0 without Host", "GET /x HTTP/1.0\r\n\r\n", "GET", HTTP_M_GET,
	    "/x", 0, HTTP_BODY_NONE, 0, 0, 0),
	ROK("1.0 keep-alive",
	    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 0, HTTP_BODY_NONE, 0, 1, 0),
	ROK("1.0 Keep-Alive mixed case",
	    "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 0, HTTP_BODY_NONE, 0, 1, 0),
	ROK("1.0 keep-alive and close",
	    "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 0, HTTP_BODY_NONE, 0, 0, 0),
	ROK("1.1 Connection close",
	    "GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 0, 0),
	ROK("1.1 Connection CLOSE in list",
	    "GET / HTTP/1.1\r\n" H "Connection: keep-alive ,\tCLOSE \r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 0, 0),
	ROK("1.1 Connection upgrade",
	    "GET /ws HTTP/1.1\r\n" H
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
	    "GET", HTTP_M_GET, "/ws", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("1.1 closed-ish token not close",
	    "GET / HTTP/1.1\r\n" H "Connection: closed\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("POST with body after head",
	    "POST /p HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello", "POST",
	    HTTP_M_POST, "/p", 1, HTTP_BODY_LENGTH, 5, 1, 48),
	ROK("POST CL 0 is BODY_NONE",
	    "POST /p HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n", "POST",
	    HTTP_M_POST, "/p", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("POST chunked",
	    "POST /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n",
	    "POST", HTTP_M_POST, "/p", 1, HTTP_BODY_CHUNKED, 0, 1, 0),
	ROK("TE Chunked mixed case",
	    "POST /p HTTP/1.1\r\n" H "transfer-encoding: ChUnKeD\r\n\r\n",
	    "POST", HTTP_M_POST, "/p", 1, HTTP_BODY_CHUNKED, 0, 1, 0),
	ROK("TE chunked with OWS",
	    "POST /p HTTP/1.1\r\n" H "Transfer-Encoding: \t chunked \t\r\n\r\n",
	    "POST", HTTP_M_POST, "/p", 1, HTTP_BODY_CHUNKED, 0, 1, 0),
	ROK("CL leading zeros",
	    "PUT /p HTTP/1.1\r\n" H "Content-Length: 007\r\n\r\n", "PUT",
	    HTTP_M_PUT, "/p", 1, HTTP_BODY_LENGTH, 7, 1, 0),
	ROK("CL INT64_MAX",
	    "PUT /p HTTP/1.1\r\n" H
	    "Content-Length: 9223372036854775807\r\n\r\n",
	    "PUT", HTTP_M_PUT, "/p", 1, HTTP_BODY_LENGTH, INT64_MAX, 1, 0),
	ROK("CL 19 digits with zeros",
	    "PUT /p HTTP/1.1\r\n" H
	    "Content-Length: 0000000000000000012\r\n\r\n",
	    "PUT", HTTP_M_PUT, "/p", 1, HTTP_BODY_LENGTH, 12, 1, 0),
	ROK("CL in 1.0", "POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
	    "POST", HTTP_M_POST, "/p", 0, HTTP_BODY_LENGTH, 3, 0, 39),
	ROK("one leading CRLF", "\r\nGET / HTTP/1.1\r\n" H "\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("four leading CRLFs", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("absolute-form",
	    "GET http://example.com/x?y=1 HTTP/1.1\r\nHost: "
	    "example.com\r\n\r\n",
	    "GET", HTTP_M_GET, "http://example.com/x?y=1", 1, HTTP_BODY_NONE, 0,
	    1, 0),
	ROK("absolute-form scheme chars", "GET a+b-c.d:x HTTP/1.1\r\n" H "\r\n",
	    "GET", HTTP_M_GET, "a+b-c.d:x", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" H "\r\n", "OPTIONS",
	    HTTP_M_OPTIONS, "*", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("OPTIONS /", "OPTIONS / HTTP/1.1\r\n" H "\r\n", "OPTIONS",
	    HTTP_M_OPTIONS, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("CONNECT authority-form",
	    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	    "CONNECT", HTTP_M_CONNECT, "example.com:443", 1, HTTP_BODY_NONE, 0,
	    1, 0),
	ROK("CONNECT IPv6", "CONNECT [::1]:443 HTTP/1.1\r\n" H "\r\n",
	    "CONNECT", HTTP_M_CONNECT, "[::1]:443", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("HEAD", "HEAD /h HTTP/1.1\r\n" H "\r\n", "HEAD", HTTP_M_HEAD, "/h",
	    1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("PATCH", "PATCH /h HTTP/1.1\r\n" H "Content-Length: 1\r\n\r\n",
	    "PATCH", HTTP_M_PATCH, "/h", 1, HTTP_BODY_LENGTH, 1, 1, 0),
	ROK("DELETE", "DELETE /h HTTP/1.1\r\n" H "\r\n", "DELETE",
	    HTTP_M_DELETE, "/h", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("TRACE", "TRACE /h HTTP/1.1\r\n" H "\r\n", "TRACE", HTTP_M_TRACE,
	    "/h", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("extension method", "PURGE /x HTTP/1.1\r\n" H "\r\n", "PURGE",
	    HTTP_M_OTHER, "/x", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("method is case-sensitive", "get / HTTP/1.1\r\n" H "\r\n", "get",
	    HTTP_M_OTHER, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("method with tchars",
	    "M-SEARCH_!#$%&'*+.^`|~ /x HTTP/1.1\r\n" H "\r\n",
	    "M-SEARCH_!#$%&'*+.^`|~", HTTP_M_OTHER, "/x", 1, HTTP_BODY_NONE, 0,
	    1, 0),
	ROK("GETX is not GET", "GETX / HTTP/1.1\r\n" H "\r\n", "GETX",
	    HTTP_M_OTHER, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("pipelined second request not consumed",
	    "GET /1 HTTP/1.1\r\n" H "\r\nGET /2 HTTP/1.1\r\n" H "\r\n", "GET",
	    HTTP_M_GET, "/1", 1, HTTP_BODY_NONE, 0, 1, 28),
	ROK("pipelined garbage not consumed",
	    "GET /1 HTTP/1.1\r\n" H "\r\n\x01\n\r garbage", "GET", HTTP_M_GET,
	    "/1", 1, HTTP_BODY_NONE, 0, 1, 28),
	ROK("Host with port", "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host IPv4", "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host IPv6 with port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host IPv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET", HTTP_M_GET,
	    "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host pct-encoded", "GET / HTTP/1.1\r\nHost: ex%41mple.com\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host sub-delims",
	    "GET / HTTP/1.1\r\nHost: a_b~c!$&'()*+,;=\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Host field last", "GET / HTTP/1.1\r\nX: y\r\nHOST: a\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("target with query and odd bytes",
	    "GET /a?b=c&d=%20e;f=\"<>{}|^`\" HTTP/1.1\r\n" H "\r\n", "GET",
	    HTTP_M_GET, "/a?b=c&d=%20e;f=\"<>{}|^`\"", 1, HTTP_BODY_NONE, 0, 1,
	    0),
	ROK("obs-text in value",
	    "GET / HTTP/1.1\r\n" H "X-Name: caf\xc3\xa9\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("HTAB inside value", "GET / HTTP/1.1\r\n" H "X: a \t b\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("empty value", "GET / HTTP/1.1\r\n" H "X-Empty:\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("OWS-only value", "GET / HTTP/1.1\r\n" H "X-Empty: \t \r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("name with all tchars",
	    "GET / HTTP/1.1\r\n" H "X-!#$%&'*+.^_`|~: v\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("Expect 100-continue",
	    "PUT /u HTTP/1.1\r\n" H
	    "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n",
	    "PUT", HTTP_M_PUT, "/u", 1, HTTP_BODY_LENGTH, 10, 1, 0),
	ROK("TE trailers (not Transfer-Encoding)",
	    "GET / HTTP/1.1\r\n" H "TE: trailers\r\n\r\n", "GET", HTTP_M_GET,
	    "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("value with colon", "GET / HTTP/1.1\r\n" H "X: a:b::\r\n\r\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),
	ROK("long-ish header ok",
	    "GET / HTTP/1.1\r\n" H "Cookie: a=b; c=d; e=f\r\n\r\n", "GET",
	    HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 0),

	/* incomplete */
	RBAD("incomplete head", "GET / HTTP/1.1\r\n" H, HTTP_PARSE_AGAIN),
	RBAD("incomplete request line", "GET / HT", HTTP_PARSE_AGAIN),
	RBAD("incomplete final CR", "GET / HTTP/1.1\r\n" H "\r",
	    HTTP_PARSE_AGAIN),
	RBAD("only CRLFs", "\r\n\r\n", HTTP_PARSE_AGAIN),

	/* request line */
	RBAD("five leading CRLFs",
	    "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("leading bare LF", "\nGET / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("leading CR CR LF", "\r\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("leading space", " GET / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("empty method", " / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("method with paren", "G(ET / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("method with @", "GE@T / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("method with NUL", "GE\0T / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("method with HTAB", "GET\t/ HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("method non-ASCII", "G\xc3\x89T / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("double SP after method", "GET  / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("double SP before version", "GET /  HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("trailing SP after version", "GET / HTTP/1.1 \r\n" H "\r\n", 400),
	RBAD("HTTP/0.9 request", "GET /\r\n\r\n", 400),
	RBAD("missing target and version", "GET\r\n\r\n", 400),
	RBAD("HTTP/1.1x", "GET / HTTP/1.1x\r\n" H "\r\n", 400),
	RBAD("HTPT/1.1", "GET / HTPT/1.1\r\n" H "\r\n", 400),
	RBAD("lower-case http", "GET / http/1.1\r\n" H "\r\n", 400),
	RBAD("HTTP/1", "GET / HTTP/1\r\n" H "\r\n", 400),
	RBAD("HTTP/1.", "GET / HTTP/1.\r\n" H "\r\n", 400),
	RBAD("HTTP/1.10", "GET / HTTP/1.10\r\n" H "\r\n", 400),
	RBAD("HTTP/11.1", "GET / HTTP/11.1\r\n" H "\r\n", 400),
	RBAD("HTTP/a.b", "GET / HTTP/a.b\r\n" H "\r\n", 400),
	RBAD("empty version", "GET / \r\n" H "\r\n", 400),
	RBAD("HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", 505),
	RBAD("HTTP/1.2", "GET / HTTP/1.2\r\n" H "\r\n", 505),
	RBAD("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505),
	RBAD("HTTP/3.0", "GET / HTTP/3.0\r\n" H "\r\n", 505),
	RBAD("bare LF after request line", "GET / HTTP/1.1\n" H "\r\n", 400),
	RBAD("bare CR after request line", "GET / HTTP/1.1\r" H "\r\n", 400),
	RBAD("CR in target", "GET /\r HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("LF in target", "GET /\n HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("NUL in target", "GET /a\0b HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("HTAB in target", "GET /a\tb HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("DEL in target", "GET /a\x7f HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("non-ASCII in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H "\r\n",
	    400),
	RBAD("control byte in target", "GET /\x01 HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("GET *", "GET * HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("relative target", "GET foo HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("scheme starting with digit",
	    "GET 1http://x/ HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("scheme with underscore", "GET ht_tp://x/ HTTP/1.1\r\n" H "\r\n",
	    400),
	RBAD("CONNECT without port",
	    "CONNECT example.com HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("CONNECT origin-form", "CONNECT / HTTP/1.1\r\n" H "\r\n", 400),
	RBAD("CONNECT userinfo",
	    "CONNECT u@example.com:443 HTTP/1.1\r\n" H "\r\n", 400),

	/* line endings and field syntax */
	RBAD("bare LF ends field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
	    400),
	RBAD("bare LF ends head", "GET / HTTP/1.1\r\n" H "\n", 400),
	ROK("CRLF then bare LF is not head", "GET / HTTP/1.1\r\n" H "\r\n\n",
	    "GET", HTTP_M_GET, "/", 1, HTTP_BODY_NONE, 0, 1, 27),
	RBAD("bare CR in value", "GET / HTTP/1.1\r\n" H "X: a\rb\r\n\r\n", 400),
	RBAD("CR CR LF", "GET / HTTP/1.1\r\n" H "X: a\r\r\n\r\n", 400),
	RBAD("bare CR as head end", "GET / HTTP/1.1\r\n" H "\rX\r\n\r\n", 400),
	RBAD("obs-fold SP", "GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", 400),
	RBAD(
	    "obs-fold HTAB", "GET / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n", 400),
	RBAD("first field starts with SP", "GET / HTTP/1.1\r\n " H "\r\n", 400),
	RBAD("NUL in value", "GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", 400),
	RBAD("NUL in name", "GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n", 400),
	RBAD("SOH in value",
	    "GET / HTTP/1.1\r\n" H "X: a\x01"
	    "b\r\n\r\n",
	    400),
	RBAD("ESC in value", "GET / HTTP/1.1\r\n" H "X: \x1b[0m\r\n\r\n", 400),
	RBAD("DEL in value", "GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 400),
	RBAD("VT in value", "GET / HTTP/1.1\r\n" H "X: a\vb\r\n\r\n", 400),
	RBAD("space in field name", "GET / HTTP/1.1\r\n" H "Ho st: a\r\n\r\n",
	    400),
	RBAD("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
	RBAD("HTAB before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
	RBAD("field without colon", "GET / HTTP/1.1\r\n" H "Xa\r\n\r\n", 400),
	RBAD("empty field name", "GET / HTTP/1.1\r\n" H ": a\r\n\r\n", 400),
	RBAD("@ in field name", "GET / HTTP/1.1\r\n" H "X@Y: a\r\n\r\n", 400),
	RBAD(
	    "paren in field name", "GET / HTTP/1.1\r\n" H "X(: a\r\n\r\n", 400),
	RBAD("non-ASCII field name",
	    "GET / HTTP/1.1\r\n" H "X\xc3\xa9: a\r\n\r\n", 400),

	/* framing and smuggling */
	RBAD("CL and TE",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400),
	RBAD("TE and CL",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	    400),
	RBAD("TE and CL 0",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
	    400),
	RBAD("TE xchunked",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n", 400),
	RBAD("TE chunkedx",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunkedx\r\n\r\n", 400),
	RBAD("TE chunked, identity",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked, identity\r\n\r\n",
	    400),
	RBAD("TE identity",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n", 400),
	RBAD("TE gzip",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 400),
	ROK("method of 32 bytes",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF / HTTP/1.1\r\n" H "\r\n",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF", HTTP_M_OTHER, "/", 1,
	    HTTP_BODY_NONE, 0, 1, 0),
	RBAD("method of 33 bytes",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n" H "\r\n", 501),
	RBAD("TE gzip, chunked",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n",
	    501),
	RBAD("TE deflate,gzip,chunked",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: deflate,gzip,chunked\r\n\r\n",
	    501),
	RBAD("TE chunked, chunked",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked, chunked\r\n\r\n",
	    400),
	RBAD("TE empty", "POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n",
	    400),
	RBAD("TE empty element",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: , chunked\r\n\r\n",
	    400),
	RBAD("TE trailing comma",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked,\r\n\r\n", 400),
	RBAD("TE with parameter",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;q=1\r\n\r\n",
	    400),
	RBAD("TE quoted",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n",
	    400),
	RBAD("TE with space before colon",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n", 400),
	RBAD("TE duplicated",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400),
	RBAD("TE split over two fields",
	    "POST / HTTP/1.1\r\n" H
	    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400),
	RBAD("TE obs-folded",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n chunked\r\n\r\n",
	    400),
	RBAD("TE vertical tab",
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding:\vchunked\r\n\r\n", 400),
	RBAD("TE in HTTP/1.0",
	    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	RBAD(
	    "CL +5", "POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 400),
	RBAD(
	    "CL -1", "POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400),
	RBAD("CL 5, 6", "POST / HTTP/1.1\r\n" H "Content-Length: 5, 6\r\n\r\n",
	    400),
	RBAD("CL 5, 5", "POST / HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n",
	    400),
	RBAD("CL 5 5", "POST / HTTP/1.1\r\n" H "Content-Length: 5 5\r\n\r\n",
	    400),
	RBAD("CL 1e3", "POST / HTTP/1.1\r\n" H "Content-Length: 1e3\r\n\r\n",
	    400),
	RBAD("CL 0x10", "POST / HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n",
	    400),
	RBAD(
	    "CL empty", "POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400),
	RBAD("CL 20 digits",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 00000000000000000005\r\n\r\n",
	    400),
	RBAD("CL overflow int64",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 9223372036854775808\r\n\r\n",
	    400),
	RBAD("CL overflow uint64",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 18446744073709551616\r\n\r\n",
	    400),
	RBAD("CL 30 digits",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 123456789012345678901234567890\r\n\r\n",
	    400),
	RBAD("CL duplicated equal",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
	    400),
	RBAD("CL duplicated different",
	    "POST / HTTP/1.1\r\n" H
	    "Content-Length: 5\r\ncontent-length: 6\r\n\r\n",
	    400),
	RBAD("CL with space before colon",
	    "POST / HTTP/1.1\r\n" H "Content-Length : 5\r\n\r\n", 400),
	RBAD("CL trailing comma",
	    "POST / HTTP/1.1\r\n" H "Content-Length: 5,\r\n\r\n", 400),

	/* Host */
	RBAD("missing Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
	RBAD("missing Host, no fields", "GET / HTTP/1.1\r\n\r\n", 400),
	RBAD(
	    "double Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	RBAD("double Host equal",
	    "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400),
	RBAD("double Host in 1.0",
	    "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
	RBAD("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
	RBAD("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
	RBAD("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
	RBAD("Host bad port", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
	RBAD("Host long port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400),
	RBAD("Host empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 400),
	RBAD("Host port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
	RBAD("Host two colons", "GET / HTTP/1.1\r\nHost: a:80:81\r\n\r\n", 400),
	RBAD("Host unclosed IPv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
	RBAD("Host empty IPv6", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400),
	RBAD("Host junk after IPv6", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n",
	    400),
	RBAD("Host bad pct", "GET / HTTP/1.1\r\nHost: ex%4\r\n\r\n", 400),
	RBAD("Host bad pct hex", "GET / HTTP/1.1\r\nHost: ex%zz\r\n\r\n", 400),
	RBAD("Host with query", "GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", 400),
	RBAD("Host quoted", "GET / HTTP/1.1\r\nHost: \"a\"\r\n\r\n", 400),
	RBAD("Host non-ASCII", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n",
	    400),
	RBAD("Host bad in 1.0", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400),
};

/* Copy buf[0..n) into an exact-size heap block so ASan sees overreads. */
static char *
dup_exact(const char *buf, size_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	/* Plain checks in hot loops: every ck_assert costs a syscall. */
	if (p == NULL)
		ck_abort_msg("out of memory");
	memcpy(p, buf, n);
	return p;
}

/*
 * Parse raw in one call (bytewise == 0) or with len 1, 2, 3, ... until a
 * result; *at is the length passed on the deciding call.  Short inputs are
 * copied to exact-size blocks on every call; long ones would take too long.
 */
static int
parse_head(struct http_msg *m, int resp, int req_method,
    const struct http_limits *lim, const char *raw, size_t len, int bytewise,
    size_t *at)
{
	size_t n = bytewise ? 1 : len;
	char *b;
	int rv = HTTP_PARSE_AGAIN;

	if (resp)
		http_response_init(m, lim, req_method);
	else
		http_request_init(m, lim);
	for (; n <= len; n++) {
		b = len <= 16384 ? dup_exact(raw, n) : NULL;
		rv = resp ? http_parse_response(m, b ? b : raw, n)
		          : http_parse_request(m, b ? b : raw, n);
		free(b);
		*at = n;
		if (rv != HTTP_PARSE_AGAIN)
			break;
	}
	return rv;
}

/* Assert that two parsed heads carry the same results. */
static void
msg_assert_same(const struct http_msg *a, const struct http_msg *b)
{
	uint32_t i;

	ck_assert_uint_eq(a->head_len, b->head_len);
	ck_assert_uint_eq(a->method.off, b->method.off);
	ck_assert_uint_eq(a->method.len, b->method.len);
	ck_assert_uint_eq(a->target.off, b->target.off);
	ck_assert_uint_eq(a->target.len, b->target.len);
	ck_assert_uint_eq(a->reason.off, b->reason.off);
	ck_assert_uint_eq(a->reason.len, b->reason.len);
	ck_assert_int_eq(a->method_id, b->method_id);
	ck_assert_int_eq(a->status, b->status);
	ck_assert_int_eq(a->version_minor, b->version_minor);
	ck_assert_uint_eq(a->nfields, b->nfields);
	for (i = 0; i < a->nfields; i++) {
		ck_assert_uint_eq(a->fields[i].name.off, b->fields[i].name.off);
		ck_assert_uint_eq(a->fields[i].name.len, b->fields[i].name.len);
		ck_assert_uint_eq(
		    a->fields[i].value.off, b->fields[i].value.off);
		ck_assert_uint_eq(
		    a->fields[i].value.len, b->fields[i].value.len);
		ck_assert_int_eq(a->fields[i].id, b->fields[i].id);
		ck_assert_int_eq(a->fields[i].flags, b->fields[i].flags);
	}
	ck_assert_int_eq(a->body, b->body);
	ck_assert_uint_eq(a->content_length, b->content_length);
	ck_assert_int_eq(a->host_index, b->host_index);
	ck_assert_int_eq(a->keep_alive, b->keep_alive);
	ck_assert_int_eq(a->conn_close, b->conn_close);
	ck_assert_int_eq(a->conn_upgrade, b->conn_upgrade);
	ck_assert_int_eq(a->expect_continue, b->expect_continue);
	ck_assert_int_eq(a->te_trailers, b->te_trailers);
}

/* Does span s of raw hold exactly the string want? */
static int
span_is(const char *raw, struct http_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(raw + s.off, want, s.len) == 0;
}

/*
 * Run one head whole and byte by byte; both must agree with each other and
 * with the expected return.  The whole-buffer result is left in *m.
 */
static void
check_head(struct http_msg *m, int resp, int req_method,
    const struct http_limits *lim, const char *name, const char *raw,
    size_t len, int want)
{
	static struct http_msg mb;
	size_t at_whole, at_byte;
	int rv, rvb;

	rv = parse_head(m, resp, req_method, lim, raw, len, 0, &at_whole);
	ck_assert_msg(rv == want, "%s: whole: got %d, want %d", name, rv, want);
	rvb = parse_head(&mb, resp, req_method, lim, raw, len, 1, &at_byte);
	ck_assert_msg(
	    rvb == want, "%s: bytewise: got %d, want %d", name, rvb, want);
	if (rv == HTTP_PARSE_DONE) {
		msg_assert_same(m, &mb);
		/* Bytewise, the head ends exactly on its last byte. */
		ck_assert_msg(at_byte == m->head_len, "%s: done at %zu, not %u",
		    name, at_byte, m->head_len);
	} else if (rv != HTTP_PARSE_AGAIN) {
		/* Failure found on the same byte both ways. */
		ck_assert_msg(at_byte == (size_t)m->pos + 1,
		    "%s: bytewise error at %zu, whole at %u", name, at_byte,
		    m->pos + 1);
		/* The error is sticky. */
		ck_assert_int_eq(http_parse_request(m, raw, len), rv);
	}
}

START_TEST(test_request_table)
{
	static struct http_msg m;
	const struct req_case *t = &req_cases[_i];

	check_head(&m, 0, 0, NULL, t->name, t->raw, t->len, t->rv);
	if (t->rv != HTTP_PARSE_DONE || t->method == NULL)
		return;
	ck_assert_msg(
	    span_is(t->raw, m.method, t->method), "%s: method", t->name);
	ck_assert_msg(
	    span_is(t->raw, m.target, t->target), "%s: target", t->name);
	ck_assert_int_eq(m.method_id, t->method_id);
	ck_assert_int_eq(m.version_minor, t->minor);
	ck_assert_msg(m.body == t->body, "%s: body %d", t->name, m.body);
	ck_assert_uint_eq(m.content_length, t->content_length);
	ck_assert_msg(m.keep_alive == t->keep_alive, "%s: keep_alive %d",
	    t->name, m.keep_alive);
	ck_assert_uint_eq(m.head_len, t->head_len ? t->head_len : t->len);
	if (t->minor == 1) {
		ck_assert_int_ge(m.host_index, 0);
		ck_assert_int_eq(m.fields[m.host_index].id, HDR_HOST);
	}
	/* Once done, further calls keep answering DONE. */
	ck_assert_int_eq(
	    http_parse_request(&m, t->raw, t->len), HTTP_PARSE_DONE);
}
END_TEST

#define SOK(n, s, rm, st, bd, cl, ka, hl)                                    \
	{                                                                    \
		.name = (n), RAW(s), .req_method = (rm),                     \
		.rv = HTTP_PARSE_DONE, .status = (st), .body = (bd),         \
		.content_length = (cl), .keep_alive = (ka), .head_len = (hl) \
	}
#define SBAD(n, s, rm)                                             \
	{                                                          \
		.name = (n), RAW(s), .req_method = (rm), .rv = 502 \
	}

struct resp_case {
	const char *name;
	const char *raw;
	size_t len;
	int req_method;
	int rv;
	int status;
	int body;
	uint64_t content_length;
	int keep_alive;
	uint32_t head_len;
};

static const struct resp_case resp_cases[] = {
	SOK("200 with CL and body",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", HTTP_M_GET,
	    200, HTTP_BODY_LENGTH, 5, 1, 38),
	SOK("200 close-delimited", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_CLOSE, 0, 0, 0),
	SOK("200 chunked",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_M_GET,
	    200, HTTP_BODY_CHUNKED, 0, 1, 0),
	SOK("200 chunked upper",
	    "HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n",
	    HTTP_M_POST, 200, HTTP_BODY_CHUNKED, 0, 1, 0),
	SOK("200 CL 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_NONE, 0, 1, 0),
	SOK("HEAD with CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	    HTTP_M_HEAD, 200, HTTP_BODY_NONE, 5, 1, 0),
	SOK("HEAD with TE",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_M_HEAD, 200, HTTP_BODY_NONE, 0, 1, 0),
	SOK("HEAD close-delimited", "HTTP/1.1 200 OK\r\n\r\n", HTTP_M_HEAD, 200,
	    HTTP_BODY_NONE, 0, 1, 0),
	SOK("204 with CL",
	    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", HTTP_M_GET,
	    204, HTTP_BODY_NONE, 5, 1, 0),
	SOK("204 with TE and CL",
	    "HTTP/1.1 204 No Content\r\nTransfer-Encoding: "
	    "chunked\r\nContent-Length: 5\r\n\r\n",
	    HTTP_M_GET, 204, HTTP_BODY_NONE, 5, 1, 0),
	SOK("304 with CL",
	    "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
	    HTTP_M_GET, 304, HTTP_BODY_NONE, 50, 1, 0),
	SOK("100 Continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
	    HTTP_M_POST, 100, HTTP_BODY_NONE, 0, 1, 25),
	SOK("101 Switching",
	    "HTTP/1.1 101 Switching Protocols\r\nConnection: "
	    "Upgrade\r\nUpgrade: websocket\r\n\r\n",
	    HTTP_M_GET, 101, HTTP_BODY_NONE, 0, 1, 0),
	SOK("103 Early Hints",
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", HTTP_M_GET,
	    103, HTTP_BODY_NONE, 0, 1, 0),
	SOK("1.0 close-delimited", "HTTP/1.0 200 OK\r\n\r\n", HTTP_M_GET, 200,
	    HTTP_BODY_CLOSE, 0, 0, 0),
	SOK("1.0 CL keep-alive",
	    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: "
	    "2\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_LENGTH, 2, 1, 0),
	SOK("1.0 CL no keep-alive",
	    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", HTTP_M_GET, 200,
	    HTTP_BODY_LENGTH, 2, 0, 0),
	SOK("1.1 Connection close",
	    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_LENGTH, 2, 0, 0),
	SOK("1.1 keep-alive close-delimited",
	    "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", HTTP_M_GET,
	    200, HTTP_BODY_CLOSE, 0, 0, 0),
	SOK("no reason, no SP", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_NONE, 0, 1, 0),
	SOK("empty reason", "HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\n",
	    HTTP_M_GET, 404, HTTP_BODY_LENGTH, 1, 1, 0),
	SOK("reason with HTAB and obs-text",
	    "HTTP/1.1 200 O\tK \xc3\xa9\r\nContent-Length: 1\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_LENGTH, 1, 1, 0),
	SOK("status 999", "HTTP/1.1 999 Odd\r\nContent-Length: 1\r\n\r\n",
	    HTTP_M_GET, 999, HTTP_BODY_LENGTH, 1, 1, 0),
	SOK("500 close-delimited", "HTTP/1.1 500 Internal Server Error\r\n\r\n",
	    HTTP_M_GET, 500, HTTP_BODY_CLOSE, 0, 0, 0),
	SOK("duplicate Host ignored",
	    "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\nContent-Length: "
	    "1\r\n\r\n",
	    HTTP_M_GET, 200, HTTP_BODY_LENGTH, 1, 1, 0),
	SOK("CONNECT 200 is a tunnel",
	    "HTTP/1.1 200 Connection established\r\nContent-Length: 5\r\n\r\n",
	    HTTP_M_CONNECT, 200, HTTP_BODY_NONE, 5, 1, 0),
	SOK("CONNECT 407 has a body",
	    "HTTP/1.1 407 Auth\r\nContent-Length: 5\r\n\r\n", HTTP_M_CONNECT,
	    407, HTTP_BODY_LENGTH, 5, 1, 0),
	{ .name = "incomplete",
	    RAW("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"),
	    .req_method = HTTP_M_GET,
	    .rv = HTTP_PARSE_AGAIN },

	SBAD("CL and TE",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n",
	    HTTP_M_GET),
	SBAD("duplicate CL",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	    HTTP_M_GET),
	SBAD("duplicate CL in 204",
	    "HTTP/1.1 204 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	    HTTP_M_GET),
	SBAD("CL list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
	    HTTP_M_GET),
	SBAD("CL junk", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
	    HTTP_M_GET),
	SBAD("CL negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    HTTP_M_GET),
	SBAD("CL overflow",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    HTTP_M_GET),
	SBAD("TE gzip, chunked",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    HTTP_M_GET),
	SBAD("TE identity",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
	    HTTP_M_GET),
	SBAD("TE chunked, identity",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
	    HTTP_M_GET),
	SBAD("TE twice",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_M_GET),
	SBAD("TE in 1.0",
	    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_M_GET),
	SBAD("status two digits", "HTTP/1.1 20 OK\r\n\r\n", HTTP_M_GET),
	SBAD("status four digits", "HTTP/1.1 2000 OK\r\n\r\n", HTTP_M_GET),
	SBAD("status below 100", "HTTP/1.1 099 Low\r\n\r\n", HTTP_M_GET),
	SBAD("status letters", "HTTP/1.1 abc OK\r\n\r\n", HTTP_M_GET),
	SBAD("status missing", "HTTP/1.1 \r\n\r\n", HTTP_M_GET),
	SBAD("double SP before status", "HTTP/1.1  200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("lower-case http", "http/1.1 200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("HTTP/1.1x", "HTTP/1.1x 200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("HTTP/0.9 body", "<html>\r\n", HTTP_M_GET),
	SBAD("leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", HTTP_M_GET),
	SBAD("control in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", HTTP_M_GET),
	SBAD("bare LF status line",
	    "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", HTTP_M_GET),
	SBAD("bare LF field", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
	    HTTP_M_GET),
	SBAD("bare CR field", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", HTTP_M_GET),
	SBAD("obs-fold",
	    "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	    HTTP_M_GET),
	SBAD("NUL in value", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", HTTP_M_GET),
	SBAD("space before colon",
	    "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", HTTP_M_GET),
};

START_TEST(test_response_table)
{
	static struct http_msg m;
	const struct resp_case *t = &resp_cases[_i];

	check_head(&m, 1, t->req_method, NULL, t->name, t->raw, t->len, t->rv);
	if (t->rv != HTTP_PARSE_DONE)
		return;
	ck_assert_int_eq(m.status, t->status);
	ck_assert_msg(m.body == t->body, "%s: body %d", t->name, m.body);
	ck_assert_uint_eq(m.content_length, t->content_length);
	ck_assert_msg(m.keep_alive == t->keep_alive, "%s: keep_alive %d",
	    t->name, m.keep_alive);
	ck_assert_uint_eq(m.head_len, t->head_len ? t->head_len : t->len);
	ck_assert_int_eq(m.host_index, -1);
}
END_TEST

START_TEST(test_response_reason)
{
	static struct http_msg m;
	static const char r1[] = "HTTP/1.1 404 Not Found\r\n\r\n";
	static const char r2[] = "HTTP/1.0 200\r\n\r\n";

	check_head(&m, 1, HTTP_M_GET, NULL, "reason", r1, sizeof(r1) - 1,
	    HTTP_PARSE_DONE);
	ck_assert(span_is(r1, m.reason, "Not Found"));
	ck_assert_int_eq(m.version_minor, 1);
	check_head(&m, 1, HTTP_M_GET, NULL, "no reason", r2, sizeof(r2) - 1,
	    HTTP_PARSE_DONE);
	ck_assert_uint_eq(m.reason.len, 0);
	ck_assert_int_eq(m.version_minor, 0);
	ck_assert_int_eq(m.status, 200);
}
END_TEST

/* Build "GET /<n x 'a'> HTTP/1.1" plus Host and extra bytes of headers. */
static char *
make_request(size_t target_len, size_t nfields, size_t value_len, size_t *len)
{
	size_t cap = target_len + nfields * 32 + value_len + 128, n = 0, i;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b + n, cap - n, "GET /");
	memset(b + n, 'a', target_len);
	n += target_len;
	n += (size_t)snprintf(b + n, cap - n, " HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < nfields; i++)
		n += (size_t)snprintf(b + n, cap - n, "X-F%zu: v\r\n", i);
	if (value_len > 0) {
		n += (size_t)snprintf(b + n, cap - n, "X-Big: ");
		memset(b + n, 'v', value_len);
		n += value_len;
		n += (size_t)snprintf(b + n, cap - n, "\r\n");
	}
	n += (size_t)snprintf(b + n, cap - n, "\r\n");
	*len = n;
	return b;
}

START_TEST(test_request_limits)
{
	static struct http_msg m;
	struct http_limits lim;
	size_t len;
	char *b;

	/* Request line of exactly 8192 bytes: "GET /" + t + " HTTP/1.1". */
	b = make_request(8192 - 14, 1, 0, &len);
	check_head(&m, 0, 0, NULL, "line 8192", b, len, HTTP_PARSE_DONE);
	free(b);
	b = make_request(8192 - 13, 1, 0, &len);
	check_head(&m, 0, 0, NULL, "line 8193", b, len, 414);
	free(b);
	b = make_request(20000, 1, 0, &len);
	check_head(&m, 0, 0, NULL, "line 20000", b, len, 414);
	free(b);

	/* 100 fields pass, 101 do not. */
	b = make_request(1, 100, 0, &len);
	check_head(&m, 0, 0, NULL, "100 fields", b, len, HTTP_PARSE_DONE);
	ck_assert_uint_eq(m.nfields, 100);
	free(b);
	b = make_request(1, 101, 0, &len);
	check_head(&m, 0, 0, NULL, "101 fields", b, len, 431);
	free(b);

	/* Head of exactly 8192 + 4096 bytes passes; one more byte fails. */
	b = make_request(1, 1, 0, &len);
	free(b);
	b = make_request(1, 1, 12288 - len - 9, &len);
	ck_assert_uint_eq(len, 12288);
	check_head(&m, 0, 0, NULL, "head 12288", b, len, HTTP_PARSE_DONE);
	free(b);
	b = make_request(1, 1, 12288 - 37 + 1, &len);
	ck_assert_uint_eq(len, 12289);
	check_head(&m, 0, 0, NULL, "head 12289", b, len, 431);
	free(b);
	b = make_request(1, 1, 100000, &len);
	check_head(&m, 0, 0, NULL, "head 100000", b, len, 431);
	free(b);

	/* Custom limits; max_headers is capped at HTTP_MAX_HEADERS. */
	memset(&lim, 0, sizeof(lim));
	lim.max_line = 20;
	b = make_request(20 - 14, 1, 0, &len);
	check_head(&m, 0, 0, &lim, "line 20 of 20", b, len, HTTP_PARSE_DONE);
	free(b);
	b = make_request(20 - 13, 1, 0, &len);
	check_head(&m, 0, 0, &lim, "line 21 of 20", b, len, 414);
	free(b);
	lim.max_line = 0;
	lim.max_headers = 3;
	b = make_request(1, 3, 0, &len);
	check_head(&m, 0, 0, &lim, "3 of 3 fields", b, len, HTTP_PARSE_DONE);
	free(b);
	b = make_request(1, 4, 0, &len);
	check_head(&m, 0, 0, &lim, "4 of 3 fields", b, len, 431);
	free(b);
	lim.max_headers = 1000;
	lim.max_head = 100000;
	b = make_request(1, HTTP_MAX_HEADERS, 0, &len);
	check_head(&m, 0, 0, &lim, "cap fields", b, len, HTTP_PARSE_DONE);
	free(b);
	b = make_request(1, HTTP_MAX_HEADERS + 1, 0, &len);
	check_head(&m, 0, 0, &lim, "cap+1 fields", b, len, 431);
	free(b);
	lim.max_headers = 0;
	lim.max_head = 20;
	b = make_request(1, 1, 0, &len);
	check_head(&m, 0, 0, &lim, "small head", b, len, 431);
	free(b);
}
END_TEST

START_TEST(test_response_limits)
{
	static struct http_msg m;
	static const char head[] = "HTTP/1.1 200 OK\r\nX: ";
	size_t len, vlen;
	char *b;

	/* 65536 bytes of head pass, 65537 fail with 502. */
	for (vlen = 65536 - (sizeof(head) - 1) - 4;
	     vlen <= 65536 - (sizeof(head) - 1) - 3; vlen++) {
		len = sizeof(head) - 1 + vlen + 4;
		b = malloc(len);
		ck_assert_ptr_nonnull(b);
		memcpy(b, head, sizeof(head) - 1);
		memset(b + sizeof(head) - 1, 'v', vlen);
		memcpy(b + len - 4, "\r\n\r\n", 4);
		check_head(&m, 1, HTTP_M_GET, NULL, "big response", b, len,
		    len <= 65536 ? HTTP_PARSE_DONE : 502);
		free(b);
	}
}
END_TEST

/* Find the first field named name (exact case) in m. */
static const struct http_field *
field_get(const struct http_msg *m, const char *raw, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (span_is(raw, m->fields[i].name, name))
			return &m->fields[i];
	ck_abort_msg("field %s not found", name);
	return NULL;
}

START_TEST(test_fields)
{
	static struct http_msg m;
	static const char r[] =
	    "GET / HTTP/1.1\r\n"
	    "x-foo: 1\r\n"
	    "HOST:  example.com:81 \t\r\n"
	    "Connection: x-foo, keep-alive,Content-Length ,host\r\n"
	    "content-length: 0\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "proxy-connection: close\r\n"
	    "Proxy-Authenticate: x\r\n"
	    "Proxy-Authorization: y\r\n"
	    "te: trailers, deflate;q=0.5\r\n"
	    "Trailer: X\r\n"
	    "Upgrade: h2c\r\n"
	    "eXpect: 100-Continue\r\n"
	    "X-Forwarded-For: 1.2.3.4\r\n"
	    "x-forwarded-host: h\r\n"
	    "X-Forwarded-Port: 1\r\n"
	    "X-Forwarded-Proto: https\r\n"
	    "Date: now\r\n"
	    "Content-Type: text/plain\r\n"
	    "Accept: */*\r\n"
	    "User-Agent:   a b  \r\n"
	    "Cookie: c=1\r\n"
	    "X-Empty:\r\n"
	    "X-Foo-Bar: z\r\n"
	    "\r\n";
	const struct http_field *f;

	check_head(&m, 0, 0, NULL, "fields", r, sizeof(r) - 1, HTTP_PARSE_DONE);
	ck_assert_uint_eq(m.nfields, 23);

	f = field_get(&m, r, "HOST");
	ck_assert_int_eq(f->id, HDR_HOST);
	ck_assert(span_is(r, f->value, "example.com:81"));
	ck_assert_int_eq(f->flags, 0);
	ck_assert_ptr_eq(&m.fields[m.host_index], f);

	f = field_get(&m, r, "x-foo");
	ck_assert_int_eq(f->id, HDR_OTHER);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "X-Foo-Bar");
	ck_assert_int_eq(f->flags, 0);
	/* Framing and routing fields are never nominated away. */
	f = field_get(&m, r, "content-length");
	ck_assert_int_eq(f->id, HDR_CONTENT_LENGTH);
	ck_assert_int_eq(f->flags, 0);
	ck_assert_int_eq(m.cl_index, (int)(f - m.fields));
	ck_assert_int_eq(m.te_index, -1);

	f = field_get(&m, r, "Connection");
	ck_assert_int_eq(f->id, HDR_CONNECTION);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "Keep-Alive");
	ck_assert_int_eq(f->id, HDR_KEEP_ALIVE);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "proxy-connection");
	ck_assert_int_eq(f->id, HDR_PROXY_CONNECTION);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "Proxy-Authenticate");
	ck_assert_int_eq(f->id, HDR_PROXY_AUTHENTICATE);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "Proxy-Authorization");
	ck_assert_int_eq(f->id, HDR_PROXY_AUTHORIZATION);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "te");
	ck_assert_int_eq(f->id, HDR_TE);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "Trailer");
	ck_assert_int_eq(f->id, HDR_TRAILER);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);
	f = field_get(&m, r, "Upgrade");
	ck_assert_int_eq(f->id, HDR_UPGRADE);
	ck_assert_int_eq(f->flags, HTTP_FIELD_HOP);

	ck_assert_int_eq(field_get(&m, r, "eXpect")->id, HDR_EXPECT);
	ck_assert_int_eq(
	    field_get(&m, r, "X-Forwarded-For")->id, HDR_X_FORWARDED_FOR);
	ck_assert_int_eq(
	    field_get(&m, r, "x-forwarded-host")->id, HDR_X_FORWARDED_HOST);
	ck_assert_int_eq(
	    field_get(&m, r, "X-Forwarded-Port")->id, HDR_X_FORWARDED_PORT);
	ck_assert_int_eq(
	    field_get(&m, r, "X-Forwarded-Proto")->id, HDR_X_FORWARDED_PROTO);
	ck_assert_int_eq(field_get(&m, r, "Date")->id, HDR_DATE);
	ck_assert_int_eq(
	    field_get(&m, r, "Content-Type")->id, HDR_CONTENT_TYPE);
	ck_assert_int_eq(field_get(&m, r, "Accept")->id, HDR_ACCEPT);
	ck_assert_int_eq(field_get(&m, r, "Cookie")->id, HDR_COOKIE);
	f = field_get(&m, r, "User-Agent");
	ck_assert_int_eq(f->id, HDR_USER_AGENT);
	ck_assert_int_eq(f->flags, 0);
	ck_assert(span_is(r, f->value, "a b"));
	f = field_get(&m, r, "X-Empty");
	ck_assert_uint_eq(f->value.len, 0);

	ck_assert_int_eq(m.expect_continue, 1);
	ck_assert_int_eq(m.te_trailers, 1);
	ck_assert_int_eq(m.conn_close, 0);
	ck_assert_int_eq(m.conn_upgrade, 0);
	ck_assert_int_eq(m.keep_alive, 1);
	ck_assert_int_eq(m.body, HTTP_BODY_NONE);
}
END_TEST

START_TEST(test_semantic_flags)
{
	static struct http_msg m;
	static const char r1[] = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
	                         "Content-Length: 1\r\n\r\n";
	static const char r2[] = "GET / HTTP/1.1\r\nHost: a\r\n"
	                         "Connection: Upgrade, Close\r\n"
	                         "Expect: 100-continuex\r\nTE: gzip\r\n\r\n";
	static const char r3[] = "POST / HTTP/1.1\r\nHost: a\r\n"
	                         "Transfer-Encoding: chunked\r\n\r\n";

	check_head(
	    &m, 0, 0, NULL, "1.0 expect", r1, sizeof(r1) - 1, HTTP_PARSE_DONE);
	ck_assert_int_eq(m.expect_continue, 0);
	ck_assert_int_eq(m.host_index, -1);
	check_head(
	    &m, 0, 0, NULL, "flags", r2, sizeof(r2) - 1, HTTP_PARSE_DONE);
	ck_assert_int_eq(m.conn_upgrade, 1);
	ck_assert_int_eq(m.conn_close, 1);
	ck_assert_int_eq(m.keep_alive, 0);
	ck_assert_int_eq(m.expect_continue, 0);
	ck_assert_int_eq(m.te_trailers, 0);
	check_head(
	    &m, 0, 0, NULL, "te index", r3, sizeof(r3) - 1, HTTP_PARSE_DONE);
	ck_assert_int_eq(m.te_index, 1);
	ck_assert_int_eq(m.fields[1].flags, HTTP_FIELD_HOP);
	ck_assert_int_eq(m.cl_index, -1);
}
END_TEST

START_TEST(test_helpers)
{
	static const char l[] = "keep-alive ,\tUpgrade;x=1, , close ";

	ck_assert_int_eq(http_token_list_has(l, sizeof(l) - 1, "upgrade"), 1);
	ck_assert_int_eq(http_token_list_has(l, sizeof(l) - 1, "CLOSE"), 1);
	ck_assert_int_eq(
	    http_token_list_has(l, sizeof(l) - 1, "keep-alive"), 1);
	ck_assert_int_eq(http_token_list_has(l, sizeof(l) - 1, "keep"), 0);
	ck_assert_int_eq(http_token_list_has(l, sizeof(l) - 1, "alive"), 0);
	ck_assert_int_eq(http_token_list_has(l, sizeof(l) - 1, "x"), 0);
	ck_assert_int_eq(http_token_list_has(l, 5, "close"), 0);
	ck_assert_int_eq(http_token_list_has("", 0, "close"), 0);
	ck_assert_int_eq(http_token_list_has("closed", 6, "close"), 0);

	ck_assert_str_eq(http_method_name(HTTP_M_GET), "GET");
	ck_assert_str_eq(http_method_name(HTTP_M_HEAD), "HEAD");
	ck_assert_str_eq(http_method_name(HTTP_M_POST), "POST");
	ck_assert_str_eq(http_method_name(HTTP_M_PUT), "PUT");
	ck_assert_str_eq(http_method_name(HTTP_M_PATCH), "PATCH");
	ck_assert_str_eq(http_method_name(HTTP_M_DELETE), "DELETE");
	ck_assert_str_eq(http_method_name(HTTP_M_CONNECT), "CONNECT");
	ck_assert_str_eq(http_method_name(HTTP_M_OPTIONS), "OPTIONS");
	ck_assert_str_eq(http_method_name(HTTP_M_TRACE), "TRACE");
	ck_assert_ptr_null(http_method_name(HTTP_M_OTHER));
	ck_assert_ptr_null(http_method_name(-1));
	ck_assert_ptr_null(http_method_name(HTTP_M_TRACE + 1));

	ck_assert_int_eq(http_method_from_name("GET", 3), HTTP_M_GET);
	ck_assert_int_eq(http_method_from_name("GETX", 3), HTTP_M_GET);
	ck_assert_int_eq(http_method_from_name("OPTIONS", 7), HTTP_M_OPTIONS);
	ck_assert_int_eq(http_method_from_name("get", 3), HTTP_M_OTHER);
	ck_assert_int_eq(http_method_from_name("GE", 2), HTTP_M_OTHER);
	ck_assert_int_eq(http_method_from_name("", 0), HTTP_M_OTHER);
}
END_TEST

START_TEST(test_resume_growing_buffer)
{
	static struct http_msg m;
	static const char r[] = "POST /a HTTP/1.1\r\nHost: a\r\n"
	                        "Content-Length: 3\r\n\r\nabc";
	size_t cuts[] = { 3, 17, 18, 30, 47, 49, sizeof(r) - 1 };
	size_t i, done_at = 0;
	int rv = HTTP_PARSE_AGAIN;

	/* Arbitrary growth steps (not just one byte) reach the same end. */
	http_request_init(&m, NULL);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		rv = http_parse_request(&m, r, cuts[i]);
		if (rv != HTTP_PARSE_AGAIN) {
			done_at = cuts[i];
			break;
		}
	}
	ck_assert_int_eq(rv, HTTP_PARSE_DONE);
	ck_assert_uint_eq(done_at, 49);
	ck_assert_uint_eq(m.head_len, sizeof(r) - 1 - 3);
	ck_assert_int_eq(m.body, HTTP_BODY_LENGTH);
	ck_assert_uint_eq(m.content_length, 3);
	/* Calling again with the same length changes nothing. */
	ck_assert_int_eq(
	    http_parse_request(&m, r, sizeof(r) - 1), HTTP_PARSE_DONE);
}
END_TEST

/* Chunked bodies. */
#define CK(n, s, want, d, u, tr)                                     \
	{                                                            \
		.name = (n), RAW(s), .rv = (want), .data = (d),      \
		.dlen = sizeof(d) - 1, .used = (u), .trailers = (tr) \
	}

struct chunk_case {
	const char *name;
	const char *raw;
	size_t len;
	int rv;
	const char *data; /* decoded bytes (up to the error for failures) */
	size_t dlen;
	size_t used; /* bytes consumed at DONE (0: all) */
	int trailers;
};

static const struct chunk_case chunk_cases[] = {
	CK("empty body", "0\r\n\r\n", HTTP_CHUNK_DONE, "", 0, 0),
	CK("one chunk", "5\r\nhello\r\n0\r\n\r\n", HTTP_CHUNK_DONE, "hello", 0,
	    0),
	CK("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "hello world", 0, 0),
	CK("hex sizes", "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "0123456789abcdefghijk", 0, 0),
	CK("CRLF inside data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", HTTP_CHUNK_DONE,
	    "\r\n\r\n", 0, 0),
	CK("leading zeros", "005\r\nhello\r\n0000\r\n\r\n", HTTP_CHUNK_DONE,
	    "hello", 0, 0),
	CK("16 digits", "0000000000000005\r\nhello\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "hello", 0, 0),
	CK("extension", "5;name=value\r\nhello\r\n0\r\n\r\n", HTTP_CHUNK_DONE,
	    "hello", 0, 0),
	CK("extension without value", "5;name\r\nhello\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "hello", 0, 0),
	CK("quoted extension", "5;n=\"a b;\\\"c\\\\\"\r\nhello\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "hello", 0, 0),
	CK("many extensions", "5;a;b=c;d=\"e\";f\r\nhello\r\n0\r\n\r\n",
	    HTTP_CHUNK_DONE, "hello", 0, 0),
	CK("extension on last chunk", "0;x=y\r\n\r\n", HTTP_CHUNK_DONE, "", 0,
	    0),
	CK("trailers", "3\r\nabc\r\n0\r\nX-Sum: abc\r\nY:\r\n\r\n",
	    HTTP_CHUNK_DONE, "abc", 0, 1),
	CK("trailer obs-text", "0\r\nX: caf\xc3\xa9\t!\r\n\r\n",
	    HTTP_CHUNK_DONE, "", 0, 1),
	CK("pipelined request after body",
	    "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", HTTP_CHUNK_DONE,
	    "hello", 15, 0),
	CK("pipelined after trailers", "0\r\nA: b\r\n\r\nXYZ", HTTP_CHUNK_DONE,
	    "", 11, 1),
	CK("pipelined garbage", "0\r\n\r\n\r\n\n\0", HTTP_CHUNK_DONE, "", 5, 0),
	CK("incomplete in data", "5\r\nhel", HTTP_CHUNK_AGAIN, "hel", 0, 0),
	CK("incomplete in size", "5", HTTP_CHUNK_AGAIN, "", 0, 0),
	CK("incomplete before last CRLF", "5\r\nhello\r\n0\r\n",
	    HTTP_CHUNK_AGAIN, "hello", 0, 0),
	CK("incomplete final CR", "0\r\n\r", HTTP_CHUNK_AGAIN, "", 0, 0),
	CK("incomplete trailer", "0\r\nX: y", HTTP_CHUNK_AGAIN, "", 0, 1),

	CK("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", HTTP_CHUNK_ERROR, "", 0,
	    0),
	CK("non-hex size", "g\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("non-hex after digit", "5g\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("empty size", "\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("leading SP", " 5\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("trailing SP", "5 \r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("trailing HTAB", "5\t\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("BWS before ext", "5 ;a=b\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("sign", "+5\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("negative", "-5\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("17 digits", "00000000000000005\r\nhello\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("17 significant digits", "10000000000000000\r\n", HTTP_CHUNK_ERROR,
	    "", 0, 0),
	CK("overflow int64", "8000000000000000\r\n", HTTP_CHUNK_ERROR, "", 0,
	    0),
	CK("overflow uint64", "ffffffffffffffff\r\n", HTTP_CHUNK_ERROR, "", 0,
	    0),
	CK("data too long", "5\r\nhelloX\r\n0\r\n\r\n", HTTP_CHUNK_ERROR,
	    "hello", 0, 0),
	CK("data too short", "5\r\nhell\r\n0\r\n\r\n", HTTP_CHUNK_ERROR,
	    "hell\r", 0, 0),
	CK("bare LF after size", "5\nhello\r\n0\r\n\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("bare CR after size", "5\rhello\r\n0\r\n\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("bare LF after data", "5\r\nhello\n0\r\n\r\n", HTTP_CHUNK_ERROR,
	    "hello", 0, 0),
	CK("bare CR after data", "5\r\nhello\r0\r\n\r\n", HTTP_CHUNK_ERROR,
	    "hello", 0, 0),
	CK("bare LF after last chunk", "0\n\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("bare LF at end", "0\r\n\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("bare CR at end", "0\r\n\rX", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("empty ext name", "5;\r\nhello\r\n0\r\n\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("ext name starts with =", "5;=x\r\nhello\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("SP in ext", "5; a=b\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("SP before =", "5;a =b\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("empty ext value", "5;a=\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("unterminated quote", "5;a=\"x\r\nhello\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("junk after quote", "5;a=\"x\"y\r\nhello\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("NUL in ext", "5;a=b\0\r\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("LF in ext", "5;a=b\nhello\r\n", HTTP_CHUNK_ERROR, "", 0, 0),
	CK("trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n", HTTP_CHUNK_ERROR, "",
	    0, 1),
	CK("trailer starts with SP", "0\r\n A: b\r\n\r\n", HTTP_CHUNK_ERROR, "",
	    0, 0),
	CK("trailer without colon", "0\r\nAb\r\n\r\n", HTTP_CHUNK_ERROR, "", 0,
	    1),
	CK("trailer SP before colon", "0\r\nA : b\r\n\r\n", HTTP_CHUNK_ERROR,
	    "", 0, 1),
	CK("trailer empty name", "0\r\n: b\r\n\r\n", HTTP_CHUNK_ERROR, "", 0,
	    0),
	CK("trailer NUL", "0\r\nA: b\0c\r\n\r\n", HTTP_CHUNK_ERROR, "", 0, 1),
	CK("trailer DEL", "0\r\nA: b\x7f\r\n\r\n", HTTP_CHUNK_ERROR, "", 0, 1),
	CK("trailer bare LF", "0\r\nA: b\n\r\n", HTTP_CHUNK_ERROR, "", 0, 1),
	CK("trailer bare CR", "0\r\nA: b\rc\r\n\r\n", HTTP_CHUNK_ERROR, "", 0,
	    1),
};

/* xorshift32: reproducible pseudo-random split sizes. */
static uint32_t
rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct chunk_result {
	int rv;
	size_t consumed; /* total bytes consumed */
	char *out;       /* decoded data (when collected) */
	size_t outlen;
	int trailers;
};

/*
 * Decode raw fed in pieces: piece 0 = whole, 1 = byte by byte, otherwise
 * random sizes from seed.  Each piece is a fresh exact-size copy holding
 * only new bytes.  With collect, data spans are gathered into r->out.
 */
static void
chunk_run(const char *raw, size_t len, uint32_t max_trailer, int piece,
    uint32_t seed, int collect, struct chunk_result *r)
{
	struct http_chunked c;
	struct http_span d;
	size_t off = 0, n, p, used;
	char *b;
	int rv = HTTP_CHUNK_AGAIN;

	memset(r, 0, sizeof(*r));
	r->out = malloc(len + 1);
	ck_assert_ptr_nonnull(r->out);
	http_chunked_init(&c, max_trailer);
	while (off < len && rv == HTTP_CHUNK_AGAIN) {
		if (piece == 0)
			n = len;
		else if (piece == 1)
			n = 1;
		else
			n = 1 + rng_next(&seed) % 7;
		if (n > len - off)
			n = len - off;
		b = dup_exact(raw + off, n);
		for (p = 0; p < n;) {
			rv = http_chunked_parse(
			    &c, b + p, n - p, &used, collect ? &d : NULL);
			if (used > n - p)
				ck_abort_msg("used %zu > %zu", used, n - p);
			if (collect) {
				if ((size_t)d.off + d.len > used)
					ck_abort_msg("data span past used");
				memcpy(
				    r->out + r->outlen, b + p + d.off, d.len);
				r->outlen += d.len;
			}
			p += used;
			if (rv != HTTP_CHUNK_AGAIN)
				break;
			/* Without data spans AGAIN means all was eaten. */
			if ((!collect && p != n) || used == 0)
				ck_abort_msg(
				    "AGAIN with %zu of %zu used", p, n);
		}
		free(b);
		off += p;
	}
	r->rv = rv;
	r->consumed = off;
	r->trailers = c.has_trailers;
	/* Finished decoders stay finished. */
	if (rv != HTTP_CHUNK_AGAIN) {
		ck_assert_int_eq(
		    http_chunked_parse(&c, "0\r\n\r\n", 5, &used, NULL), rv);
		ck_assert_uint_eq(used, 0);
	}
}

/* Run one chunked case in every feeding mode and compare results. */
static void
check_chunked(const char *name, const char *raw, size_t len,
    uint32_t max_trailer, int want, const char *data, size_t dlen,
    size_t want_used, int trailers)
{
	struct chunk_result r, ref;
	int piece, collect;
	uint32_t seed = 0;

	chunk_run(raw, len, max_trailer, 0, 0, 1, &ref);
	ck_assert_msg(
	    ref.rv == want, "%s: got %d, want %d", name, ref.rv, want);
	if (data != NULL) {
		ck_assert_msg(
		    ref.outlen == dlen && memcmp(ref.out, data, dlen) == 0,
		    "%s: decoded data differs", name);
	}
	if (want == HTTP_CHUNK_DONE)
		ck_assert_msg(ref.consumed == (want_used ? want_used : len),
		    "%s: consumed %zu", name, ref.consumed);
	else if (want == HTTP_CHUNK_AGAIN)
		ck_assert_uint_eq(ref.consumed, len);
	ck_assert_msg(ref.trailers == trailers, "%s: has_trailers", name);

	for (piece = 0; piece < 2 + 40; piece++) {
		for (collect = 0; collect < 2; collect++) {
			seed = 2463534242u + (uint32_t)piece * 7919u;
			chunk_run(raw, len, max_trailer, piece < 2 ? piece : 2,
			    seed, collect, &r);
			ck_assert_msg(r.rv == ref.rv, "%s: mode %d/%d: rv %d",
			    name, piece, collect, r.rv);
			ck_assert_msg(r.consumed == ref.consumed,
			    "%s: mode %d/%d: consumed %zu, not %zu", name,
			    piece, collect, r.consumed, ref.consumed);
			ck_assert_int_eq(r.trailers, ref.trailers);
			if (collect)
				ck_assert_msg(r.outlen == ref.outlen &&
				        memcmp(r.out, ref.out, r.outlen) == 0,
				    "%s: mode %d: data differs", name, piece);
			free(r.out);
		}
	}
	free(ref.out);
}

START_TEST(test_chunked_table)
{
	const struct chunk_case *t = &chunk_cases[_i];

	check_chunked(t->name, t->raw, t->len, 0, t->rv, t->data, t->dlen,
	    t->used, t->trailers);
}
END_TEST

START_TEST(test_chunked_limits)
{
	char *b;
	size_t n, i;

	b = malloc(20000);
	ck_assert_ptr_nonnull(b);

	/* Size line of exactly 4096 bytes including CRLF passes. */
	n = (size_t)snprintf(b, 20000, "1;x=");
	memset(b + n, 'a', 4096 - n - 2);
	n = 4096 - 2;
	n += (size_t)snprintf(b + n, 20000 - n, "\r\nZ\r\n0\r\n\r\n");
	check_chunked("ext 4096", b, n, 0, HTTP_CHUNK_DONE, "Z", 1, 0, 0);
	/* One byte more fails, as does a huge extension. */
	n = (size_t)snprintf(b, 20000, "1;x=");
	memset(b + n, 'a', 4097 - n - 2);
	n = 4097 - 2;
	n += (size_t)snprintf(b + n, 20000 - n, "\r\nZ\r\n0\r\n\r\n");
	check_chunked("ext 4097", b, n, 0, HTTP_CHUNK_ERROR, "", 0, 0, 0);
	n = (size_t)snprintf(b, 20000, "1;x=\"");
	memset(b + n, 'a', 10000);
	n += 10000;
	n += (size_t)snprintf(b + n, 20000 - n, "\"\r\nZ\r\n0\r\n\r\n");
	check_chunked("ext 10000", b, n, 0, HTTP_CHUNK_ERROR, "", 0, 0, 0);

	/* Trailer section of exactly max_trailer bytes passes. */
	n = (size_t)snprintf(b, 20000, "0\r\nX: ");
	memset(b + n, 'v', 8192 - 7);
	n += 8192 - 7;
	n += (size_t)snprintf(b + n, 20000 - n, "\r\n\r\n");
	ck_assert_uint_eq(n, 3 + 8192);
	check_chunked("trailer 8192", b, n, 0, HTTP_CHUNK_DONE, "", 0, 0, 1);
	b[n] = '\0';
	memmove(b + 4, b + 3, n - 3);
	b[3] = 'Y';
	check_chunked(
	    "trailer 8193", b, n + 1, 0, HTTP_CHUNK_ERROR, "", 0, 0, 1);
	check_chunked(
	    "trailer custom", b, n + 1, 100000, HTTP_CHUNK_DONE, "", 0, 0, 1);
	/* Many small trailer fields add up too. */
	n = (size_t)snprintf(b, 20000, "0\r\n");
	for (i = 0; i < 2000; i++)
		n += (size_t)snprintf(b + n, 20000 - n, "A: b\r\n");
	n += (size_t)snprintf(b + n, 20000 - n, "\r\n");
	check_chunked("many trailers", b, n, 0, HTTP_CHUNK_ERROR, "", 0, 0, 1);

	/* A large chunk streams through without limit. */
	n = (size_t)snprintf(b, 20000, "3A98\r\n");
	memset(b + n, 'd', 15000);
	n += 15000;
	n += (size_t)snprintf(b + n, 20000 - n, "\r\n0\r\n\r\n");
	check_chunked("big chunk", b, n, 0, HTTP_CHUNK_DONE, NULL, 0, 0, 0);
	free(b);
}
END_TEST

START_TEST(test_chunked_data_spans)
{
	static const char body[] = "3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n";
	struct http_chunked c;
	struct http_span d;
	size_t used;

	/* With data spans the decoder stops after each run of data. */
	http_chunked_init(&c, 0);
	ck_assert_int_eq(
	    http_chunked_parse(&c, body, sizeof(body) - 1, &used, &d),
	    HTTP_CHUNK_AGAIN);
	ck_assert_uint_eq(d.off, 3);
	ck_assert_uint_eq(d.len, 3);
	ck_assert_uint_eq(used, 6);
	ck_assert_int_eq(
	    http_chunked_parse(&c, body + 6, sizeof(body) - 7, &used, &d),
	    HTTP_CHUNK_AGAIN);
	ck_assert_uint_eq(d.off, 7);
	ck_assert_uint_eq(d.len, 2);
	ck_assert_uint_eq(used, 9);
	ck_assert_int_eq(
	    http_chunked_parse(&c, body + 15, sizeof(body) - 16, &used, &d),
	    HTTP_CHUNK_DONE);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_uint_eq(used, sizeof(body) - 16);

	/* Without, it runs to the end in one call. */
	http_chunked_init(&c, 0);
	ck_assert_int_eq(
	    http_chunked_parse(&c, body, sizeof(body) - 1, &used, NULL),
	    HTTP_CHUNK_DONE);
	ck_assert_uint_eq(used, sizeof(body) - 1);

	/* Zero-length input is harmless. */
	http_chunked_init(&c, 0);
	ck_assert_int_eq(
	    http_chunked_parse(&c, body, 0, &used, &d), HTTP_CHUNK_AGAIN);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(d.len, 0);
}
END_TEST

static Suite *
http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc;

	tc = tcase_create("request");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_request_table, 0,
	    (int)(sizeof(req_cases) / sizeof(req_cases[0])));
	tcase_add_test(tc, test_request_limits);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_semantic_flags);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_resume_growing_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_response_table, 0,
	    (int)(sizeof(resp_cases) / sizeof(resp_cases[0])));
	tcase_add_test(tc, test_response_reason);
	tcase_add_test(tc, test_response_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("chunked");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_chunked_table, 0,
	    (int)(sizeof(chunk_cases) / sizeof(chunk_cases[0])));
	tcase_add_test(tc, test_chunked_limits);
	tcase_add_test(tc, test_chunked_data_spans);
	suite_add_tcase(s, tc);
	return s;
}

/* Write one seed file dir/name-NNN holding raw[0..len); -1 on error. */
static int
seed_write(
    const char *dir, const char *name, size_t i, const char *raw, size_t len)
{
	char path[4096];
	FILE *f;
	int rv;

	snprintf(path, sizeof(path), "%s/%s-%03zu", dir, name, i);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	rv = fwrite(raw, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rv = -1;
	return rv;
}

/*
 * Write the raw bytes of every table case as fuzzing seeds: request heads
 * to dir/request, response heads (the first byte picks the request method,
 * as the response fuzzer reads it) to dir/response, chunked bodies to
 * dir/chunked.  The directories must exist.
 */
static int
seed_dump(const char *dir)
{
	char sub[4096], buf[65536];
	size_t i;

	snprintf(sub, sizeof(sub), "%s/request", dir);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++)
		if (seed_write(
		        sub, "req", i, req_cases[i].raw, req_cases[i].len) < 0)
			return -1;
	snprintf(sub, sizeof(sub), "%s/response", dir);
	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		if (resp_cases[i].len + 1 > sizeof(buf))
			continue;
		buf[0] = (char)resp_cases[i].req_method;
		memcpy(buf + 1, resp_cases[i].raw, resp_cases[i].len);
		if (seed_write(sub, "resp", i, buf, resp_cases[i].len + 1) < 0)
			return -1;
	}
	snprintf(sub, sizeof(sub), "%s/chunked", dir);
	for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++)
		if (seed_write(sub, "chunk", i, chunk_cases[i].raw,
		        chunk_cases[i].len) < 0)
			return -1;
	return 0;
}

/* Run the suite; "--seeds DIR" writes the tables as a fuzzing corpus. */
int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
		if (seed_dump(argv[2]) < 0) {
			perror(argv[2]);
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	sr = srunner_create(http_parse_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
