/* Form bodies for middleware: a whole body in the buffer, its fields. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "http_parse.h"
#include "log.h"
#include "middleware/form.h"
#include "middleware/matcher.h"
#include "proxy.h"
#include "request.h"
#include "response.h"

/* %XX and '+' of a form value, into out (n bytes at most); -1 if bad. */
static int
form_unescape(const char *s, size_t n, char *out, size_t *olen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else if (i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], '\0' };

			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			return -1;
	}
	*olen = o;
	return 0;
}

/* See form.h. */
const char *
mw_body_buffered(struct request *r, const char *mime, size_t *len)
{
	const struct http_msg *m = r->msg;
	const char *ct;
	size_t ctlen, mlen = strlen(mime), have;

	ct = mw_request_header_span(r, "Content-Type", &ctlen);
	if (ct == NULL || ctlen < mlen || strncasecmp(ct, mime, mlen) != 0 ||
	    (ctlen > mlen && ct[mlen] != ';' && ct[mlen] != ' '))
		return NULL;
	have = r->buf_len > m->head_len ? r->buf_len - m->head_len : 0;
	if (m->body != HTTP_BODY_LENGTH || m->content_length > have) {
		log_debug("E3209 the body is not buffered (chunked or "
		          "larger than the buffer)");
		return NULL;
	}
	*len = (size_t)m->content_length;
	return r->buf + m->head_len;
}

/* The first value of form field key in the body (Go's PostFormValue). */
const char *
mw_form_value(struct request *r, const char *key, size_t *len)
{
	const char *p, *end, *e, *eq;
	size_t klen = strlen(key), n;
	char *out;

	if ((p = mw_body_buffered(
	         r, "application/x-www-form-urlencoded", &n)) == NULL)
		return NULL;
	end = p + n;
	out = arena_alloc(r->arena, n + 1);
	for (; p < end; p = e + 1) {
		size_t kl;

		for (e = p; e < end && *e != '&'; e++)
			;
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL)
			eq = e;
		if (form_unescape(p, (size_t)(eq - p), out, &kl) < 0 ||
		    kl != klen || memcmp(out, key, klen) != 0)
			continue;
		if (eq == e) {
			*len = 0;
			return out;
		}
		if (form_unescape(eq + 1, (size_t)(e - eq - 1), out, len) < 0)
			continue;
		return out;
	}
	return NULL;
}

/* The bytes of a body as request_read_body reads them (one at a time). */
static char form_rbuf[16384];

/* A head and body being put together in the request's arena. */
struct form_gather {
	char *p;
	size_t len;
};

/* request_read_body's keep: append to the buffer made for the whole body. */
static int
form_append(void *ctx, const char *data, size_t n)
{
	struct form_gather *b = ctx;

	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/*
 * See form.h.  The head and the whole body in a new buffer of the
 * request's arena; the handler reads the body from it as from the
 * connection's (one that does not leaves body_read unset, and the
 * connection is closed after the answer, as always), and feeds the
 * body observers then.
 */
int
mw_body_gather(struct request *r, size_t max)
{
	struct http_msg *m = r->msg;
	struct body_tap *tap = r->body_tap;
	struct form_gather b;
	const char *extra;
	size_t nextra;
	int rc;

	if (m->body == HTTP_BODY_NONE)
		return 0;
	if (m->body != HTTP_BODY_LENGTH || m->content_length > max)
		return -1;
	if (r->buf_len - m->head_len >= m->content_length)
		return 0;
	b.p =
	    arena_alloc(r->arena, m->head_len + (size_t)m->content_length + 1);
	memcpy(b.p, r->buf, m->head_len);
	b.len = m->head_len;
	r->body_tap = NULL;
	rc = request_read_body(
	    r, form_rbuf, sizeof(form_rbuf), form_append, &b, &extra, &nextra);
	r->body_tap = tap;
	if (rc != 0)
		return -1;
	r->buf = b.p;
	r->buf_len = b.len;
	m->expect_continue = 0;
	return 0;
}
