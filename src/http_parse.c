/* Resumable HTTP/1.1 parser: request and response heads, chunked bodies. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http_parse.h"

#if defined(__GNUC__)
#define FALLTHROUGH __attribute__((fallthrough))
#else
#define FALLTHROUGH \
	do {        \
	} while (0)
#endif

/* Head parser states (struct http_msg.state). */
enum {
	S_START = 0,    /* request: before the method, skipping CRLFs */
	S_START_LF,     /* request: LF of an empty leading line */
	S_METHOD,       /* request: in the method token */
	S_TARGET_START, /* request: first byte of the request-target */
	S_TARGET,       /* request: in the request-target */
	S_VERSION,      /* request: in HTTP-version */
	S_RVERSION,     /* response: in HTTP-version */
	S_STATUS,       /* response: in the status code */
	S_REASON,       /* response: in the reason phrase */
	S_LINE_LF,      /* LF ending the start line */
	S_FIELD_START,  /* first byte of a field line or of the final CRLF */
	S_NAME,         /* in a field name */
	S_VALUE_OWS,    /* OWS before a field value */
	S_VALUE,        /* in a field value */
	S_FIELD_LF,     /* LF ending a field line */
	S_HEAD_LF,      /* LF ending the head */
	S_DONE,
	S_ERROR
};

/* Chunked decoder states (struct http_chunked.state). */
enum {
	C_SIZE_START = 0, /* first hex digit of chunk-size */
	C_SIZE,           /* in chunk-size */
	C_EXT_NAME_START, /* after ';' */
	C_EXT_NAME,       /* in an extension name */
	C_EXT_VAL_START,  /* after '=' */
	C_EXT_VAL,        /* in a token extension value */
	C_EXT_QUOTED,     /* in a quoted-string extension value */
	C_EXT_QPAIR,      /* after a backslash in a quoted-string */
	C_EXT_QEND,       /* after the closing quote */
	C_SIZE_LF,        /* LF ending the chunk-size line */
	C_DATA,           /* in chunk data */
	C_DATA_CR,        /* CR after chunk data */
	C_DATA_LF,        /* LF after chunk data */
	C_TR_START, /* first byte of a trailer line or of the final CRLF */
	C_TR_NAME,  /* in a trailer field name */
	C_TR_VALUE, /* in a trailer field value */
	C_TR_LF,    /* LF ending a trailer line */
	C_END_LF,   /* LF ending the message */
	C_DONE,
	C_ERROR
};

static const struct {
	const char *name;
	size_t len;
	enum http_hdr_id id;
} http_hdr_names[] = {
	{ "Host", 4, HDR_HOST },
	{ "Content-Length", 14, HDR_CONTENT_LENGTH },
	{ "Transfer-Encoding", 17, HDR_TRANSFER_ENCODING },
	{ "Connection", 10, HDR_CONNECTION },
	{ "Keep-Alive", 10, HDR_KEEP_ALIVE },
	{ "Proxy-Connection", 16, HDR_PROXY_CONNECTION },
	{ "Proxy-Authenticate", 18, HDR_PROXY_AUTHENTICATE },
	{ "Proxy-Authorization", 19, HDR_PROXY_AUTHORIZATION },
	{ "TE", 2, HDR_TE },
	{ "Trailer", 7, HDR_TRAILER },
	{ "Upgrade", 7, HDR_UPGRADE },
	{ "Expect", 6, HDR_EXPECT },
	{ "X-Forwarded-For", 15, HDR_X_FORWARDED_FOR },
	{ "X-Forwarded-Host", 16, HDR_X_FORWARDED_HOST },
	{ "X-Forwarded-Port", 16, HDR_X_FORWARDED_PORT },
	{ "X-Forwarded-Proto", 17, HDR_X_FORWARDED_PROTO },
	{ "Date", 4, HDR_DATE },
	{ "Content-Type", 12, HDR_CONTENT_TYPE },
	{ "Accept", 6, HDR_ACCEPT },
	{ "User-Agent", 10, HDR_USER_AGENT },
	{ "Cookie", 6, HDR_COOKIE },
};

/* Indexed by enum http_method. */
static const char *const http_method_names[] = {
	NULL,
	"GET",
	"HEAD",
	"POST",
	"PUT",
	"PATCH",
	"DELETE",
	"CONNECT",
	"OPTIONS",
	"TRACE",
};

/* A list element: offset and length inside the list value. */
struct http_elem {
	size_t off;
	size_t len;
};

/* Is c a tchar (RFC 9110 5.6.2)? */
static int
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return 1;
	default:
		return 0;
	}
}

/* Is c allowed inside a field value, a reason phrase or a quoted-string? */
static int
http_is_text(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

static int
http_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
http_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
http_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned char
http_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Compare a[0..n) and b[0..n) ignoring ASCII case; 1 when equal. */
static int
http_ci_equal(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (http_lower((unsigned char)a[i]) !=
		    http_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Return the next comma-separated element of v[0..len) starting at *pos,
 * with OWS trimmed, in e.  Returns 0 when the list is exhausted.  Empty
 * elements are returned too (e->len == 0).
 */
static int
http_list_next(const char *v, size_t len, size_t *pos, struct http_elem *e)
{
	size_t i = *pos, end;

	if (i > len)
		return 0;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	e->off = i;
	while (i < len && v[i] != ',')
		i++;
	end = i;
	while (end > e->off && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	e->len = end - e->off;
	*pos = i + 1;
	return 1;
}

/* Length of the token at the start of s[0..n). */
static size_t
http_token_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && http_is_tchar((unsigned char)s[i]); i++)
		;
	return i;
}

int
http_token_list_has(const char *v, size_t len, const char *token)
{
	struct http_elem e;
	size_t pos = 0, tlen = strlen(token), n;

	while (http_list_next(v, len, &pos, &e)) {
		n = http_token_len(v + e.off, e.len);
		if (n == tlen && http_ci_equal(v + e.off, token, tlen))
			return 1;
	}
	return 0;
}

const char *
http_method_name(int method_id)
{
	if (method_id <= HTTP_M_OTHER || method_id > HTTP_M_TRACE)
		return NULL;
	return http_method_names[method_id];
}

int
http_method_from_name(const char *s, size_t len)
{
	int i;

	for (i = HTTP_M_GET; i <= HTTP_M_TRACE; i++)
		if (strlen(http_method_names[i]) == len &&
		    memcmp(http_method_names[i], s, len) == 0)
			return i;
	return HTTP_M_OTHER;
}

/* Map a field name to enum http_hdr_id. */
static enum http_hdr_id
http_hdr_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(http_hdr_names) / sizeof(http_hdr_names[0]); i++)
		if (http_hdr_names[i].len == len &&
		    http_ci_equal(http_hdr_names[i].name, name, len))
			return http_hdr_names[i].id;
	return HDR_OTHER;
}

/* Is the field with this id hop-by-hop by definition (RFC 9110 7.6.1)? */
static int
http_hdr_is_hop(enum http_hdr_id id)
{
	switch (id) {
	case HDR_CONNECTION:
	case HDR_KEEP_ALIVE:
	case HDR_PROXY_CONNECTION:
	case HDR_PROXY_AUTHENTICATE:
	case HDR_PROXY_AUTHORIZATION:
	case HDR_TE:
	case HDR_TRAILER:
	case HDR_TRANSFER_ENCODING:
	case HDR_UPGRADE:
		return 1;
	default:
		return 0;
	}
}

/* Record a failure: requests get code, responses always 502. */
static int
http_fail(struct http_msg *m, int code)
{
	m->state = S_ERROR;
	m->error = m->is_response ? 502 : code;
	return m->error;
}

/* Apply defaults and caps to the limits of m. */
static void
http_limits_set(
    struct http_msg *m, const struct http_limits *lim, uint32_t def_head)
{
	if (lim != NULL)
		m->limits = *lim;
	if (m->limits.max_head == 0)
		m->limits.max_head = def_head;
	if (m->limits.max_head > UINT32_MAX - 1)
		m->limits.max_head = UINT32_MAX - 1;
	if (m->limits.max_line == 0)
		m->limits.max_line = HTTP_DEF_MAX_LINE;
	if (m->limits.max_headers == 0)
		m->limits.max_headers = HTTP_DEF_MAX_HEADERS;
	if (m->limits.max_headers > HTTP_MAX_HEADERS)
		m->limits.max_headers = HTTP_MAX_HEADERS;
}

void
http_request_init(struct http_msg *m, const struct http_limits *lim)
{
	memset(m, 0, sizeof(*m));
	m->state = S_START;
	m->host_index = -1;
	m->cl_index = -1;
	m->te_index = -1;
	http_limits_set(m, lim, HTTP_DEF_MAX_HEAD_REQ);
}

void
http_response_init(
    struct http_msg *m, const struct http_limits *lim, int req_method)
{
	memset(m, 0, sizeof(*m));
	m->is_response = 1;
	m->req_method = (uint8_t)req_method;
	m->state = S_RVERSION;
	m->host_index = -1;
	m->cl_index = -1;
	m->te_index = -1;
	http_limits_set(m, lim, HTTP_DEF_MAX_HEAD_RESP);
}

/*
 * Check byte c at index i of an HTTP-version ("HTTP/" DIGIT "." DIGIT)
 * as it arrives, so that garbage is refused before the line ends.
 */
static int
http_version_byte_ok(size_t i, unsigned char c)
{
	static const char prefix[] = "HTTP/";

	if (i < 5)
		return c == (unsigned char)prefix[i];
	if (i == 5 || i == 7)
		return http_is_digit(c);
	if (i == 6)
		return c == '.';
	return 0;
}

/*
 * Check a complete HTTP-version at p[0..n): 0 for HTTP/1.0 and HTTP/1.1
 * (minor version stored), 505 for another well-formed version, 400 else.
 */
static int
http_version_check(const char *p, size_t n, int *minor)
{
	size_t i;

	if (n != 8)
		return 400;
	for (i = 0; i < n; i++)
		if (!http_version_byte_ok(i, (unsigned char)p[i]))
			return 400;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return 505;
	*minor = p[7] - '0';
	return 0;
}

/* Is c allowed in a reg-name or inside an IP-literal (RFC 3986)? */
static int
http_is_host_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL;
}

/*
 * Validate uri-host [":" port] at p[0..n).  An empty value is accepted
 * unless need_port is set (authority-form of CONNECT).
 */
static int
http_host_valid(const char *p, size_t n, int need_port)
{
	size_t i = 0, start;

	if (n == 0)
		return !need_port;
	if (p[0] == '[') {
		for (i = 1; i < n && p[i] != ']'; i++)
			if (!http_is_host_char((unsigned char)p[i]) &&
			    p[i] != ':' && p[i] != '%')
				return 0;
		if (i == n || i == 1)
			return 0;
		i++;
	} else {
		for (; i < n && p[i] != ':'; i++) {
			if (p[i] == '%') {
				if (n - i < 3 ||
				    http_hexval((unsigned char)p[i + 1]) < 0 ||
				    http_hexval((unsigned char)p[i + 2]) < 0)
					return 0;
				i += 2;
			} else if (!http_is_host_char((unsigned char)p[i]))
				return 0;
		}
		if (i == 0)
			return 0;
	}
	if (i == n)
		return !need_port;
	if (p[i] != ':')
		return 0;
	start = ++i;
	if (n - start == 0 || n - start > 5)
		return 0;
	for (; i < n; i++)
		if (!http_is_digit((unsigned char)p[i]))
			return 0;
	return 1;
}

/*
 * Check the request-target form against the method (RFC 9112 3.2):
 * origin-form, absolute-form, "*" for OPTIONS, authority-form for CONNECT.
 */
static int
http_target_check(const struct http_msg *m, const char *buf)
{
	const char *t = buf + m->target.off;
	size_t n = m->target.len, i;

	if (m->method_id == HTTP_M_CONNECT)
		return http_host_valid(t, n, 1) ? 0 : 400;
	if (t[0] == '/')
		return 0;
	if (n == 1 && t[0] == '*')
		return m->method_id == HTTP_M_OPTIONS ? 0 : 400;
	/* absolute-form: scheme ":" hier-part */
	if (!http_is_alpha((unsigned char)t[0]))
		return 400;
	for (i = 1; i < n && t[i] != ':'; i++)
		if (!http_is_alpha((unsigned char)t[i]) &&
		    !http_is_digit((unsigned char)t[i]) && t[i] != '+' &&
		    t[i] != '-' && t[i] != '.')
			return 400;
	return i < n ? 0 : 400;
}

/*
 * Parse a Content-Length value: 1*DIGIT, at most 19 digits, no larger
 * than INT64_MAX.  Returns 0 or -1.
 */
static int
http_cl_parse(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (!http_is_digit((unsigned char)p[i]))
			return -1;
		d = (unsigned char)p[i] - '0';
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * Classify a Transfer-Encoding value: 0 when it is exactly "chunked",
 * 501 for known-shape codings ending in a single chunked, 400 otherwise.
 */
static int
http_te_check(const char *v, size_t len)
{
	struct http_elem e;
	size_t pos = 0, n = 0, nchunked = 0;
	int last_chunked = 0;

	while (http_list_next(v, len, &pos, &e)) {
		if (e.len == 0 || http_token_len(v + e.off, e.len) != e.len)
			return 400;
		n++;
		last_chunked =
		    e.len == 7 && http_ci_equal(v + e.off, "chunked", 7);
		if (last_chunked)
			nchunked++;
	}
	if (n == 0 || !last_chunked || nchunked != 1)
		return 400;
	return n == 1 ? 0 : 501;
}

/* Note what a Connection field says about this connection. */
static void
http_connection_scan(struct http_msg *m, const char *v, size_t len)
{
	if (http_token_list_has(v, len, "close"))
		m->conn_close = 1;
	if (http_token_list_has(v, len, "keep-alive"))
		m->conn_keep_alive = 1;
	if (http_token_list_has(v, len, "upgrade"))
		m->conn_upgrade = 1;
}

/* Identify the field just completed and apply its per-field rules. */
static int
http_field_done(struct http_msg *m, const char *buf)
{
	struct http_field *f = &m->fields[m->nfields];
	const char *v = buf + f->value.off;
	size_t vlen = f->value.len;

	f->id = (uint8_t)http_hdr_lookup(buf + f->name.off, f->name.len);
	if (http_hdr_is_hop(f->id))
		f->flags |= HTTP_FIELD_HOP;
	switch (f->id) {
	case HDR_HOST:
		if (m->is_response)
			break;
		if (m->host_index >= 0 || !http_host_valid(v, vlen, 0))
			return 400;
		m->host_index = (int)m->nfields;
		break;
	case HDR_CONTENT_LENGTH:
		if (m->cl_index >= 0 ||
		    http_cl_parse(v, vlen, &m->content_length) == -1)
			return 400;
		m->cl_index = (int)m->nfields;
		break;
	case HDR_TRANSFER_ENCODING:
		if (m->te_index >= 0)
			return 400;
		m->te_index = (int)m->nfields;
		break;
	case HDR_CONNECTION:
		http_connection_scan(m, v, vlen);
		break;
	case HDR_EXPECT:
		if (!m->is_response && m->version_minor >= 1 &&
		    http_token_list_has(v, vlen, "100-continue"))
			m->expect_continue = 1;
		break;
	case HDR_TE:
		if (http_token_list_has(v, vlen, "trailers"))
			m->te_trailers = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* Flag every field named by a token of one Connection field value. */
static void
http_mark_nominated(
    struct http_msg *m, const char *buf, const struct http_field *conn)
{
	const char *v = buf + conn->value.off;
	struct http_elem e;
	struct http_field *f;
	size_t pos = 0, n;
	uint32_t i;

	while (http_list_next(v, conn->value.len, &pos, &e)) {
		n = http_token_len(v + e.off, e.len);
		if (n == 0)
			continue;
		for (i = 0; i < m->nfields; i++) {
			f = &m->fields[i];
			/* Never let a peer strip framing or routing. */
			if (f->id == HDR_HOST || f->id == HDR_CONTENT_LENGTH)
				continue;
			if (f->name.len == n &&
			    http_ci_equal(buf + f->name.off, v + e.off, n))
				f->flags |= HTTP_FIELD_HOP;
		}
	}
}

/* Decide how a request body is framed (RFC 9112 6.3). */
static int
http_request_framing(struct http_msg *m, const char *buf)
{
	const struct http_field *te;
	int rv;

	if (m->te_index >= 0) {
		if (m->cl_index >= 0 || m->version_minor == 0)
			return 400;
		te = &m->fields[m->te_index];
		if ((rv = http_te_check(buf + te->value.off, te->value.len)) !=
		    0)
			return rv;
		m->body = HTTP_BODY_CHUNKED;
	} else if (m->cl_index >= 0 && m->content_length > 0)
		m->body = HTTP_BODY_LENGTH;
	else
		m->body = HTTP_BODY_NONE;
	return 0;
}

/* Decide how a response body is framed (RFC 9112 6.3). */
static int
http_response_framing(struct http_msg *m, const char *buf)
{
	const struct http_field *te;

	if (m->req_method == HTTP_M_HEAD || m->status < 200 ||
	    m->status == 204 || m->status == 304 ||
	    (m->req_method == HTTP_M_CONNECT && m->status < 300)) {
		m->body = HTTP_BODY_NONE;
		return 0;
	}
	if (m->te_index >= 0) {
		if (m->cl_index >= 0 || m->version_minor == 0)
			return 502;
		te = &m->fields[m->te_index];
		if (http_te_check(buf + te->value.off, te->value.len) != 0)
			return 502;
		m->body = HTTP_BODY_CHUNKED;
	} else if (m->cl_index >= 0)
		m->body =
		    m->content_length > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	else
		m->body = HTTP_BODY_CLOSE;
	return 0;
}

/* The head is complete: derive framing and connection semantics. */
static int
http_head_done(struct http_msg *m, const char *buf)
{
	uint32_t i;
	int rv;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].id == HDR_CONNECTION)
			http_mark_nominated(m, buf, &m->fields[i]);
	if (m->is_response)
		rv = http_response_framing(m, buf);
	else {
		rv = http_request_framing(m, buf);
		if (rv == 0 && m->version_minor >= 1 && m->host_index < 0)
			rv = 400;
	}
	if (rv != 0)
		return rv;
	if (m->version_minor >= 1)
		m->keep_alive = !m->conn_close;
	else
		m->keep_alive = m->conn_keep_alive && !m->conn_close;
	if (m->body == HTTP_BODY_CLOSE)
		m->keep_alive = 0;
	return 0;
}

/* One byte of a request line (before its final LF). */
static int
http_step_request_line(struct http_msg *m, const char *buf, unsigned char c)
{
	uint32_t vstart;

	if (m->state > S_START_LF && c != '\r' &&
	    m->pos - m->line_start >= m->limits.max_line)
		return 414;
	switch (m->state) {
	case S_START:
		if (c == '\r') {
			if (++m->empty_lines > HTTP_MAX_EMPTY_LINES)
				return 400;
			m->state = S_START_LF;
			return 0;
		}
		if (!http_is_tchar(c))
			return 400;
		m->line_start = m->pos;
		m->method.off = m->pos;
		m->state = S_METHOD;
		return 0;
	case S_START_LF:
		if (c != '\n')
			return 400;
		m->state = S_START;
		return 0;
	case S_METHOD:
		if (c == ' ') {
			m->method.len = m->pos - m->method.off;
			m->method_id = (uint8_t)http_method_from_name(
			    buf + m->method.off, m->method.len);
			m->state = S_TARGET_START;
			return 0;
		}
		/* No method is this long: 501, never forwarded. */
		if (m->pos - m->method.off >= HTTP_MAX_METHOD)
			return 501;
		return http_is_tchar(c) ? 0 : 400;
	case S_TARGET_START:
		if (c < 0x21 || c > 0x7e)
			return 400;
		m->target.off = m->pos;
		m->state = S_TARGET;
		return 0;
	case S_TARGET:
		if (c == ' ') {
			m->target.len = m->pos - m->target.off;
			m->state = S_VERSION;
			return 0;
		}
		return (c < 0x21 || c > 0x7e) ? 400 : 0;
	case S_VERSION:
		vstart = m->target.off + m->target.len + 1;
		if (c == '\r') {
			m->state = S_LINE_LF;
			return http_version_check(
			    buf + vstart, m->pos - vstart, &m->version_minor);
		}
		return http_version_byte_ok(m->pos - vstart, c) ? 0 : 400;
	default:
		return 400;
	}
}

/* One byte of a status line (before its final LF). */
static int
http_step_status_line(struct http_msg *m, const char *buf, unsigned char c)
{
	uint32_t ndigits;

	if (c != '\r' && m->pos - m->line_start >= m->limits.max_line)
		return 502;
	switch (m->state) {
	case S_RVERSION:
		if (c == ' ') {
			if (http_version_check(buf + m->line_start,
			        m->pos - m->line_start, &m->version_minor) != 0)
				return 502;
			m->state = S_STATUS;
			return 0;
		}
		return http_version_byte_ok(m->pos - m->line_start, c) ? 0
		                                                       : 502;
	case S_STATUS:
		/* The version is exactly 8 bytes, so digits start at 9. */
		ndigits = m->pos - m->line_start - 9;
		if (ndigits < 3) {
			if (!http_is_digit(c))
				return 502;
			m->status = m->status * 10 + (c - '0');
			return 0;
		}
		if (m->status < 100 || (c != ' ' && c != '\r'))
			return 502;
		m->reason.off = m->pos + (c == ' ');
		if (c == '\r')
			m->state = S_LINE_LF;
		else
			m->state = S_REASON;
		return 0;
	case S_REASON:
		if (c == '\r') {
			m->reason.len = m->pos - m->reason.off;
			m->state = S_LINE_LF;
			return 0;
		}
		return http_is_text(c) ? 0 : 502;
	default:
		return 502;
	}
}

/* One byte of the header section. */
static int
http_step_fields(struct http_msg *m, const char *buf, unsigned char c)
{
	struct http_field *f = &m->fields[m->nfields];
	int rv;

	switch (m->state) {
	case S_LINE_LF:
		if (c != '\n')
			return 400;
		if (!m->is_response && (rv = http_target_check(m, buf)) != 0)
			return rv;
		m->state = S_FIELD_START;
		return 0;
	case S_FIELD_START:
		if (c == '\r') {
			m->state = S_HEAD_LF;
			return 0;
		}
		/* Leading SP/HTAB is obs-fold: refused. */
		if (!http_is_tchar(c))
			return 400;
		if (m->nfields >= m->limits.max_headers)
			return 431;
		memset(f, 0, sizeof(*f));
		f->name.off = m->pos;
		m->line_start = m->pos;
		m->state = S_NAME;
		return 0;
	case S_NAME:
		if (c == ':') {
			f->name.len = m->pos - f->name.off;
			m->state = S_VALUE_OWS;
			return 0;
		}
		return http_is_tchar(c) ? 0 : 400;
	case S_VALUE_OWS:
		if (c == ' ' || c == '\t')
			return 0;
		f->value.off = m->pos;
		if (c == '\r') {
			m->state = S_FIELD_LF;
			return 0;
		}
		if (!http_is_text(c))
			return 400;
		f->value.len = 1;
		m->state = S_VALUE;
		return 0;
	case S_VALUE:
		if (c == '\r') {
			m->state = S_FIELD_LF;
			return 0;
		}
		if (!http_is_text(c))
			return 400;
		if (c != ' ' && c != '\t')
			f->value.len = m->pos + 1 - f->value.off;
		return 0;
	case S_FIELD_LF:
		if (c != '\n')
			return 400;
		if ((rv = http_field_done(m, buf)) != 0)
			return rv;
		m->nfields++;
		m->state = S_FIELD_START;
		return 0;
	case S_HEAD_LF:
		if (c != '\n')
			return 400;
		if ((rv = http_head_done(m, buf)) != 0)
			return rv;
		m->head_len = m->pos + 1;
		m->state = S_DONE;
		return HTTP_PARSE_DONE;
	default:
		return 400;
	}
}

/* Drive the head state machine over buf[m->pos..len). */
static int
http_parse_head(struct http_msg *m, const char *buf, size_t len)
{
	unsigned char c;
	int rv;

	if (m->state == S_DONE)
		return HTTP_PARSE_DONE;
	if (m->state == S_ERROR)
		return m->error;
	while (m->pos < len) {
		if (m->pos >= m->limits.max_head)
			return http_fail(m, 431);
		c = (unsigned char)buf[m->pos];
		if (m->state < S_RVERSION)
			rv = http_step_request_line(m, buf, c);
		else if (m->state < S_LINE_LF)
			rv = http_step_status_line(m, buf, c);
		else
			rv = http_step_fields(m, buf, c);
		if (rv != 0 && rv != HTTP_PARSE_DONE)
			return http_fail(m, rv);
		m->pos++;
		if (rv == HTTP_PARSE_DONE)
			return rv;
	}
	return HTTP_PARSE_AGAIN;
}

int
http_parse_request(struct http_msg *m, const char *buf, size_t len)
{
	return http_parse_head(m, buf, len);
}

int
http_parse_response(struct http_msg *m, const char *buf, size_t len)
{
	return http_parse_head(m, buf, len);
}

void
http_chunked_init(struct http_chunked *c, uint32_t max_trailer)
{
	memset(c, 0, sizeof(*c));
	c->state = C_SIZE_START;
	c->max_trailer = max_trailer != 0 ? max_trailer : HTTP_DEF_MAX_TRAILER;
}

/* One byte of a chunk-size line: size, extensions, CRLF. */
static int
http_chunk_size_byte(struct http_chunked *c, unsigned char ch)
{
	int h = http_hexval(ch);

	if (++c->line_len > HTTP_MAX_CHUNK_LINE)
		return -1;
	switch (c->state) {
	case C_SIZE_START:
		if (h < 0)
			return -1;
		c->remaining = (uint64_t)h;
		c->size_digits = 1;
		c->state = C_SIZE;
		return 0;
	case C_SIZE:
		if (h >= 0) {
			/* 16 digits never overflow; refuse > INT64_MAX. */
			if (++c->size_digits > 16 ||
			    c->remaining > (uint64_t)INT64_MAX >> 4)
				return -1;
			c->remaining = c->remaining << 4 | (uint64_t)h;
			return 0;
		}
		if (ch == ';') {
			c->state = C_EXT_NAME_START;
			return 0;
		}
		break;
	case C_EXT_NAME_START:
		if (!http_is_tchar(ch))
			return -1;
		c->state = C_EXT_NAME;
		return 0;
	case C_EXT_NAME:
		if (http_is_tchar(ch))
			return 0;
		if (ch == '=') {
			c->state = C_EXT_VAL_START;
			return 0;
		}
		if (ch == ';') {
			c->state = C_EXT_NAME_START;
			return 0;
		}
		break;
	case C_EXT_VAL_START:
		if (ch == '"')
			c->state = C_EXT_QUOTED;
		else if (http_is_tchar(ch))
			c->state = C_EXT_VAL;
		else
			return -1;
		return 0;
	case C_EXT_VAL:
		if (http_is_tchar(ch))
			return 0;
		FALLTHROUGH;
	case C_EXT_QEND:
		if (ch == ';') {
			c->state = C_EXT_NAME_START;
			return 0;
		}
		break;
	case C_EXT_QUOTED:
		if (ch == '"')
			c->state = C_EXT_QEND;
		else if (ch == '\\')
			c->state = C_EXT_QPAIR;
		else if (!http_is_text(ch))
			return -1;
		return 0;
	case C_EXT_QPAIR:
		if (!http_is_text(ch))
			return -1;
		c->state = C_EXT_QUOTED;
		return 0;
	case C_SIZE_LF:
		if (ch != '\n')
			return -1;
		c->line_len = 0;
		/* A chunk that would take the data past max_data: refused. */
		if (c->max_data != 0 &&
		    c->remaining > c->max_data - c->data_len) {
			c->too_large = 1;
			return -1;
		}
		c->data_len += c->remaining;
		c->state = c->remaining == 0 ? C_TR_START : C_DATA;
		return 0;
	default:
		return -1;
	}
	/* Only CR may end the size or an extension. */
	if (ch != '\r')
		return -1;
	c->state = C_SIZE_LF;
	return 0;
}

/*
 * One byte of the trailer section or of the CRLFs around chunk data.
 * Returns 0, 1 when the message ended with this byte, or -1.
 */
static int
http_chunk_tail_byte(struct http_chunked *c, unsigned char ch)
{
	if (c->state >= C_TR_START && ++c->trailer_len > c->max_trailer)
		return -1;
	switch (c->state) {
	case C_DATA_CR:
		if (ch != '\r')
			return -1;
		c->state = C_DATA_LF;
		return 0;
	case C_DATA_LF:
		if (ch != '\n')
			return -1;
		c->state = C_SIZE_START;
		return 0;
	case C_TR_START:
		if (ch == '\r') {
			c->state = C_END_LF;
			return 0;
		}
		/* Leading SP/HTAB is obs-fold: refused. */
		if (!http_is_tchar(ch))
			return -1;
		c->has_trailers = 1;
		c->state = C_TR_NAME;
		return 0;
	case C_TR_NAME:
		if (ch == ':')
			c->state = C_TR_VALUE;
		else if (!http_is_tchar(ch))
			return -1;
		return 0;
	case C_TR_VALUE:
		if (ch == '\r')
			c->state = C_TR_LF;
		else if (!http_is_text(ch))
			return -1;
		return 0;
	case C_TR_LF:
		if (ch != '\n')
			return -1;
		c->state = C_TR_START;
		return 0;
	case C_END_LF:
		if (ch != '\n')
			return -1;
		c->state = C_DONE;
		return 1;
	default:
		return -1;
	}
}

int
http_chunked_parse(struct http_chunked *c, const char *buf, size_t len,
    size_t *used, struct http_span *data)
{
	size_t i = 0, n;
	int rv;

	*used = 0;
	if (data != NULL) {
		data->off = 0;
		data->len = 0;
		/* Spans are 32-bit; the caller loops over the rest. */
		if (len > UINT32_MAX)
			len = UINT32_MAX;
	}
	if (c->state == C_DONE)
		return HTTP_CHUNK_DONE;
	if (c->state == C_ERROR)
		return HTTP_CHUNK_ERROR;
	while (i < len) {
		if (c->state == C_DATA) {
			n = len - i;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			c->remaining -= n;
			if (c->remaining == 0)
				c->state = C_DATA_CR;
			if (data != NULL) {
				data->off = (uint32_t)i;
				data->len = (uint32_t)n;
				*used = i + n;
				return HTTP_CHUNK_AGAIN;
			}
			i += n;
			continue;
		}
		if (c->state < C_DATA)
			rv = http_chunk_size_byte(c, (unsigned char)buf[i]);
		else
			rv = http_chunk_tail_byte(c, (unsigned char)buf[i]);
		i++;
		if (rv == -1) {
			c->state = C_ERROR;
			*used = i;
			return HTTP_CHUNK_ERROR;
		}
		if (rv == 1) {
			*used = i;
			return HTTP_CHUNK_DONE;
		}
	}
	*used = i;
	return HTTP_CHUNK_AGAIN;
}
