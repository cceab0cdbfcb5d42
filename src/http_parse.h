/* Resumable HTTP/1.1 parser for request heads, response heads and chunked bodies. */
#ifndef AILERON_HTTP_PARSE_H
#define AILERON_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The parser never allocates and never does I/O.  The caller owns one
 * contiguous buffer holding everything received so far for the message head
 * and calls the parser again with the same buffer and a larger length when
 * more bytes arrive; the parser resumes where it stopped.  Every position it
 * records is an offset into that buffer.
 */

#define HTTP_PARSE_AGAIN 0 /* need more bytes */
#define HTTP_PARSE_DONE  1 /* head complete: p->head_len bytes */
/* Any other return value is the HTTP status code to answer with
 * (400, 414, 431, 501, 505) or, for response heads, 502. */

#define HTTP_MAX_HEADERS 128

/* Defaults used when a limit is zero. */
#define HTTP_DEF_MAX_LINE      8192          /* request/status line */
#define HTTP_DEF_MAX_HEAD_REQ  (8192 + 4096) /* request head */
#define HTTP_DEF_MAX_HEAD_RESP 65536         /* response head */
#define HTTP_DEF_MAX_HEADERS   100           /* fields per head */
#define HTTP_DEF_MAX_TRAILER   8192          /* chunked trailer section */
#define HTTP_MAX_CHUNK_LINE    4096 /* chunk-size line incl. extensions */
#define HTTP_MAX_EMPTY_LINES   4    /* CRLFs skipped before a request */
#define HTTP_MAX_METHOD        32   /* longer methods: 501 */

struct http_span {
	uint32_t off;
	uint32_t len;
};

/* Headers the parser recognises (case-insensitive); others are HDR_OTHER. */
enum http_hdr_id {
	HDR_OTHER = 0,
	HDR_HOST,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_CONNECTION,
	HDR_KEEP_ALIVE,
	HDR_PROXY_CONNECTION,
	HDR_PROXY_AUTHENTICATE,
	HDR_PROXY_AUTHORIZATION,
	HDR_TE,
	HDR_TRAILER,
	HDR_UPGRADE,
	HDR_EXPECT,
	HDR_X_FORWARDED_FOR,
	HDR_X_FORWARDED_HOST,
	HDR_X_FORWARDED_PORT,
	HDR_X_FORWARDED_PROTO,
	HDR_DATE,
	HDR_CONTENT_TYPE,
	HDR_ACCEPT,
	HDR_USER_AGENT,
	HDR_COOKIE
};

/* Per-field flags. */
#define HTTP_FIELD_HOP 0x01 /* hop-by-hop: fixed list or named in Connection */
/*
 * Host and Content-Length are never flagged through Connection: a peer must
 * not be able to make us strip the fields that route and frame the message.
 */

struct http_field {
	struct http_span name;
	struct http_span value; /* leading/trailing OWS stripped */
	uint8_t id;             /* enum http_hdr_id */
	uint8_t flags;          /* HTTP_FIELD_* */
};

enum http_method {
	HTTP_M_OTHER = 0,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_PATCH,
	HTTP_M_DELETE,
	HTTP_M_CONNECT,
	HTTP_M_OPTIONS,
	HTTP_M_TRACE
};

/*
 * How the message body is delimited (RFC 9112 section 6.3).  A valid
 * Content-Length of 0 gives HTTP_BODY_NONE, never LENGTH with 0.  The
 * content_length member holds any valid Content-Length even when the body
 * is NONE (CL 0, HEAD, 1xx, 204, 304, 2xx to CONNECT).
 */
enum http_body {
	HTTP_BODY_NONE = 0, /* no body */
	HTTP_BODY_LENGTH,   /* Content-Length: content_length bytes */
	HTTP_BODY_CHUNKED,  /* chunked transfer coding */
	HTTP_BODY_CLOSE     /* responses only: until the connection closes */
};

/* Limits enforced while parsing; zero means the built-in default. */
struct http_limits {
	uint32_t max_head;    /* whole head incl. request line: 431 */
	uint32_t max_line;    /* request line (or status line): 414 */
	uint32_t max_headers; /* field count: 431, <= HTTP_MAX_HEADERS */
};

/* One message head being parsed, request or response. */
struct http_msg {
	/* parser state: private */
	uint32_t pos;
	uint32_t line_start;
	uint8_t state;
	uint8_t is_response;
	uint8_t empty_lines;     /* leading CRLFs skipped so far */
	uint8_t req_method;      /* responses: enum http_method of request */
	uint8_t conn_keep_alive; /* Connection: keep-alive present */
	uint16_t error;          /* sticky status once parsing failed */

	/* results, valid after HTTP_PARSE_DONE */
	uint32_t head_len; /* bytes of head incl. the final CRLF */
	struct http_limits limits;

	/* request line */
	struct http_span method;
	struct http_span target;
	uint8_t method_id; /* enum http_method */
	/* status line */
	struct http_span reason;
	int status;

	int version_minor; /* HTTP/1.x */

	struct http_field fields[HTTP_MAX_HEADERS];
	uint32_t nfields;

	/* derived framing and semantics */
	uint8_t body;            /* enum http_body */
	uint64_t content_length; /* when body == HTTP_BODY_LENGTH */
	int host_index;          /* index into fields, or -1 */
	uint8_t keep_alive;      /* per version and Connection */
	uint8_t conn_close;      /* Connection: close present */
	uint8_t conn_upgrade;    /* Connection: upgrade token present */
	uint8_t expect_continue; /* Expect: 100-continue */
	uint8_t te_trailers;     /* TE contains "trailers" */
	int cl_index;            /* Content-Length field, or -1 */
	int te_index;            /* Transfer-Encoding field, or -1 */
};

/* Prepare m to parse a request head with limits lim (may be NULL). */
void http_request_init(struct http_msg *m, const struct http_limits *lim);

/* Prepare m to parse a response head to a request with method req_method. */
void http_response_init(
    struct http_msg *m, const struct http_limits *lim, int req_method);

/*
 * Parse buf[0..len).  buf must hold all bytes received so far for this
 * head (the same prefix as in earlier calls).  Returns HTTP_PARSE_AGAIN,
 * HTTP_PARSE_DONE or an HTTP status to send.
 */
int http_parse_request(struct http_msg *m, const char *buf, size_t len);
int http_parse_response(struct http_msg *m, const char *buf, size_t len);

/* Chunked body decoder state. */
struct http_chunked {
	uint8_t state;
	uint64_t remaining;   /* data bytes left in current chunk */
	uint32_t line_len;    /* bytes in the current size/trailer line */
	uint32_t trailer_len; /* bytes of trailer section so far */
	uint32_t max_trailer; /* limit on the trailer section */
	uint32_t size_digits;
	uint8_t has_trailers; /* at least one trailer field seen */
	uint8_t too_large;    /* the error: a chunk went past max_data */
	uint64_t max_data;    /* limit on the data of all chunks; 0 none */
	uint64_t data_len;    /* data announced by the chunks so far */
};

#define HTTP_CHUNK_AGAIN 0 /* message not ended; see *used */
#define HTTP_CHUNK_DONE  1 /* body (incl. trailers) ended at *used */
#define HTTP_CHUNK_ERROR -1

/*
 * Start decoding a chunked body.  The caller may then set max_data: a
 * chunk-size line taking the data past it is an error with too_large set
 * (answer 413), found before any byte of that chunk's data is consumed.
 */
void http_chunked_init(struct http_chunked *c, uint32_t max_trailer);

/*
 * Walk len bytes of chunked body.  On return *used is how many bytes were
 * consumed.  If data is not NULL the parser stops after each run of chunk
 * data and reports it in *data (offset relative to buf); data->len == 0 when
 * the call ended without data.  Callers that forward the body verbatim pass
 * data == NULL and simply relay buf[0..*used).
 *
 * Each call gets only new bytes.  With data == NULL, HTTP_CHUNK_AGAIN means
 * all len bytes were consumed; with data != NULL it may return after a data
 * run with *used < len, and the caller calls again with buf + *used.
 * HTTP_CHUNK_DONE leaves the bytes after the final CRLF (a pipelined
 * request) unconsumed.  After DONE or ERROR further calls return the same
 * and consume nothing.  Limits: chunk-size at most 16 hex digits and
 * INT64_MAX, no whitespace around it; a size line with extensions at most
 * HTTP_MAX_CHUNK_LINE bytes; the trailer section at most max_trailer bytes
 * (0: HTTP_DEF_MAX_TRAILER).
 */
int http_chunked_parse(struct http_chunked *c, const char *buf, size_t len,
    size_t *used, struct http_span *data);

/* Value of hex digit c, or -1. */
int http_hexval(unsigned char c);

/* Helpers over parsed heads. */
/*
 * Does the comma-separated list v[0..len) hold token (ASCII case ignored)?
 * Each element's leading token is compared, so "a;q=1" matches "a".
 */
int http_token_list_has(const char *v, size_t len, const char *token);
/* Name of a known method, or NULL for HTTP_M_OTHER (use the method span). */
const char *http_method_name(int method_id);
/* enum http_method for a method name (case-sensitive), else HTTP_M_OTHER. */
int http_method_from_name(const char *s, size_t len);

#endif
