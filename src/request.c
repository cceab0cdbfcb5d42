/* The request object: set up from a parsed head, reset (with its arena) when it ends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "arena.h"
#include "conn.h"
#include "http_target.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "route.h"

void
request_init(struct request *r, struct client *cl, struct http_msg *msg,
    char *buf, size_t len, char *hbuf, size_t hsize)
{
	const struct conf_server *srv = cl->srv;

	r->client = cl;
	r->srv = srv;
	r->ip = cl->ip;
	r->port = cl->port;
	r->tls = cl->io.ssl != NULL;
	r->msg = msg;
	r->buf = buf;
	r->buf_len = len;
	r->path = "";
	r->path_len = 0;
	r->query = NULL;
	r->query_len = 0;
	r->host = NULL;
	r->host_len = 0;
	r->rr = NULL;
	r->route = NULL;
	r->handler = NULL;
	r->errhandler = NULL;
	r->body_read = msg->body == HTTP_BODY_NONE;
	r->body_max = 0;
	r->body_tap = NULL;
	r->log_state = NULL;
	r->next = NULL;
	r->next_len = 0;
	r->proxy_headers = NULL;
	r->nproxy_headers = 0;
	memset(r->drop, 0, sizeof(r->drop));
	r->mw_state = NULL;
	r->nentered = 0;
	r->id[0] = '\0';
	r->start_ms = conn_now_ms();
	clock_gettime(CLOCK_REALTIME, &r->start);
	r->read_deadline = conn_deadline_from(r->start_ms, srv->read_timeout);
	r->write_deadline = conn_deadline_from(r->start_ms, srv->write_timeout);
	/* The response: only the members the writer does not set itself. */
	r->resp.status = 0;
	r->resp.started = 0;
	r->resp.close = 0;
	r->resp.framing = RESPONSE_NONE;
	r->resp.length = 0;
	r->resp.complete = 0;
	r->resp.failed = 0;
	r->resp.head_bytes = 0;
	r->resp.body_bytes = 0;
	r->resp.log_size = 0;
	r->resp.head.nfields = 0;
	r->resp.head_buf = hbuf;
	r->resp.head_size = hsize;
	r->resp.head_len = 0;
	r->resp.pending = NULL;
	r->resp.chunked_out = 0;
	r->resp.filters = 0;
	r->resp.changers = 0;
	r->resp.filter_pos = 0;
	r->resp.no_date = 0;
}

int
request_split_target(struct request *r, char *path, size_t size)
{
	const struct http_msg *m = r->msg;
	struct http_target t;
	int dlen;

	if (http_target_split(r->buf + m->target.off, m->target.len, &t) < 0)
		return -1;
	/* RFC 9112 3.2.1: an absolute-form target's empty path is "/". */
	if (t.path_len == 0)
		t.path = "/", t.path_len = 1;
	if ((dlen = route_decode_path(t.path, t.path_len, path, size)) < 0)
		return -1;
	r->path = path;
	r->path_len = (size_t)dlen;
	r->query = t.query;
	r->query_len = t.query_len;
	/* RFC 9112 3.2.2: an absolute-form authority replaces Host. */
	if (t.authority != NULL) {
		r->host = t.authority;
		r->host_len = t.authority_len;
	} else if (m->host_index >= 0) {
		r->host = r->buf + m->fields[m->host_index].value.off;
		r->host_len = m->fields[m->host_index].value.len;
	}
	return 0;
}

void
request_reset(struct request *r)
{
	if (r->arena != NULL)
		arena_reset(r->arena);
	r->proxy_headers = NULL;
	r->nproxy_headers = 0;
	r->mw_state = NULL;
}

const char *
request_id(struct request *r)
{
	if (r->id[0] == '\0')
		accesslog_make_id(r->id);
	return r->id;
}

void
request_proxy_header(struct request *r, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct request_header *h;

	r->proxy_headers = arena_realloc(r->arena, r->proxy_headers,
	    r->nproxy_headers * sizeof(*h),
	    (r->nproxy_headers + 1) * sizeof(*h));
	h = &r->proxy_headers[r->nproxy_headers++];
	h->name = arena_strndup(r->arena, name, nlen);
	h->name_len = nlen;
	h->value = arena_strndup(r->arena, value, vlen);
	h->value_len = vlen;
}

void
request_keep_pipelined(struct request *r, const char *src, size_t len)
{
	r->next = src;
	r->next_len = len;
}

const char *
request_header(const struct request *r, int id, size_t *len)
{
	const struct http_msg *m = r->msg;
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].id == id) {
			*len = m->fields[i].value.len;
			return r->buf + m->fields[i].value.off;
		}
	*len = 0;
	return NULL;
}

void
request_body_limit(struct request *r, uint64_t max)
{
	if (r->body_max == 0 || max < r->body_max)
		r->body_max = max;
}

void
request_chunked_init(const struct request *r, struct http_chunked *c)
{
	http_chunked_init(c, (uint32_t)r->srv->max_trailer_bytes);
	c->max_data = r->body_max;
}

int
request_chunked_status(const struct http_chunked *c)
{
	return c->too_large ? 413 : 400;
}

/* The observers of one body and, for a chunked wire, the decoder. */
struct body_tap {
	struct body_tap_obs {
		body_tap_fn *fn;
		void *arg;
	} obs[4];
	size_t nobs;
	int chunked;
	struct http_chunked ch;
};

void
body_tap_add(struct body_tap **tp, struct arena *a, int chunked,
    body_tap_fn *fn, void *arg)
{
	struct body_tap *t = *tp;

	if (t == NULL) {
		t = *tp = arena_alloc(a, sizeof(*t));
		memset(t, 0, sizeof(*t));
		t->chunked = chunked;
		http_chunked_init(&t->ch, 0);
	}
	if (t->nobs < sizeof(t->obs) / sizeof(t->obs[0])) {
		t->obs[t->nobs].fn = fn;
		t->obs[t->nobs++].arg = arg;
	}
}

/* Give data[0..n) to every observer of t. */
static void
body_tap_data(struct body_tap *t, const char *data, size_t n)
{
	size_t i;

	for (i = 0; n > 0 && i < t->nobs; i++)
		t->obs[i].fn(t->obs[i].arg, data, n);
}

void
body_tap_feed(struct body_tap *t, const char *wire, size_t n)
{
	struct http_span span;
	size_t off = 0, used;
	int rc;

	if (t == NULL)
		return;
	if (!t->chunked) {
		body_tap_data(t, wire, n);
		return;
	}
	/* The reader checked the framing: only the data is wanted here. */
	while (off < n) {
		rc = http_chunked_parse(
		    &t->ch, wire + off, n - off, &used, &span);
		if (rc == HTTP_CHUNK_ERROR)
			return;
		if (span.len > 0)
			body_tap_data(t, wire + off + span.off, span.len);
		off += used;
		if (rc == HTTP_CHUNK_DONE || (used == 0 && span.len == 0))
			return;
	}
}

void
request_body_observe(struct request *r, body_tap_fn *fn, void *arg)
{
	body_tap_add(
	    &r->body_tap, r->arena, r->msg->body == HTTP_BODY_CHUNKED, fn, arg);
}

int
body_buf_keep(void *ctx, const char *data, size_t n)
{
	struct body_buf *b = ctx;
	size_t ns;
	char *np;

	if (b->too_large)
		return b->refuse ? -1 : 0;
	if (n == 0)
		return 0;
	if (n > b->max - b->len)
		goto full;
	if (b->len + n > b->size) {
		for (ns = b->size != 0 ? b->size * 2 : 16384; ns < b->len + n;)
			ns *= 2;
		if (ns > b->max)
			ns = b->max;
		if ((np = realloc(b->p, ns)) == NULL)
			goto full;
		b->p = np;
		b->size = ns;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
full:
	b->too_large = 1;
	free(b->p);
	b->p = NULL;
	b->len = b->size = 0;
	return b->refuse ? -1 : 0;
}

/* The status for a failed read of the body: 408 on its deadline, else 400. */
static int
request_read_status(ssize_t n)
{
	return n < 0 && errno == ETIMEDOUT ? 408 : 400;
}

/*
 * Decode n bytes of chunked body at data, giving the body to keep; *used
 * is how many belonged to the body.  HTTP_CHUNK_*; *refused when keep did.
 */
static int
request_read_chunked(struct http_chunked *c, const char *data, size_t n,
    size_t *used, int (*keep)(void *, const char *, size_t), void *ctx,
    int *refused)
{
	size_t off = 0;
	int rc = HTTP_CHUNK_AGAIN;

	while (off < n) {
		struct http_span span;
		size_t u = 0;

		rc = http_chunked_parse(c, data + off, n - off, &u, &span);
		if (rc == HTTP_CHUNK_ERROR)
			break;
		if (span.len > 0 &&
		    keep(ctx, data + off + span.off, span.len) < 0) {
			*refused = 1;
			rc = HTTP_CHUNK_ERROR;
			break;
		}
		off += u;
		if (rc == HTTP_CHUNK_DONE || u == 0)
			break;
	}
	*used = off;
	return rc;
}

/* A body of Content-Length bytes; see request_read_body. */
static int
request_read_length(struct request *r, char *buf, size_t size,
    int (*keep)(void *, const char *, size_t), void *ctx, const char **extra,
    size_t *nextra)
{
	const struct http_msg *m = r->msg;
	const char *data = r->buf + m->head_len;
	size_t avail = r->buf_len - m->head_len;
	size_t used =
	    avail < m->content_length ? avail : (size_t)m->content_length;
	uint64_t left = m->content_length - used;
	ssize_t n;

	if (keep(ctx, data, used) < 0)
		return 413;
	body_tap_feed(r->body_tap, data, used);
	*extra = data + used;
	*nextra = avail - used;
	if (left > 0 && used == 0 && m->expect_continue &&
	    response_continue(r) < 0)
		return 400;
	while (left > 0) {
		n = conn_read(&r->client->io, buf,
		    left < size ? (size_t)left : size, r->read_deadline);
		if (n <= 0)
			return request_read_status(n);
		if (keep(ctx, buf, (size_t)n) < 0)
			return 413;
		body_tap_feed(r->body_tap, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	return 0;
}

int
request_read_body(struct request *r, char *buf, size_t size,
    int (*keep)(void *ctx, const char *data, size_t n), void *ctx,
    const char **extra, size_t *nextra)
{
	const struct http_msg *m = r->msg;
	const char *data = r->buf + m->head_len;
	size_t avail = r->buf_len - m->head_len, used = 0;
	struct http_chunked c;
	int rc, refused = 0;
	ssize_t n;

	*extra = NULL;
	*nextra = 0;
	if (m->body == HTTP_BODY_NONE)
		return 0;
	if (m->body == HTTP_BODY_LENGTH)
		return request_read_length(
		    r, buf, size, keep, ctx, extra, nextra);
	if (m->body != HTTP_BODY_CHUNKED)
		return 400; /* read until close: not a request body */
	request_chunked_init(r, &c);
	rc = request_read_chunked(&c, data, avail, &used, keep, ctx, &refused);
	body_tap_feed(r->body_tap, data, used);
	if (rc == HTTP_CHUNK_DONE) {
		*extra = data + used;
		*nextra = avail - used;
	}
	if (rc == HTTP_CHUNK_AGAIN && avail == 0 && m->expect_continue &&
	    response_continue(r) < 0)
		return 400;
	while (rc == HTTP_CHUNK_AGAIN) {
		if ((n = conn_read(
		         &r->client->io, buf, size, r->read_deadline)) <= 0)
			return request_read_status(n);
		rc = request_read_chunked(
		    &c, buf, (size_t)n, &used, keep, ctx, &refused);
		body_tap_feed(r->body_tap, buf, used);
		if (rc == HTTP_CHUNK_DONE) {
			*extra = buf + used;
			*nextra = (size_t)n - used;
		}
	}
	if (refused)
		return 413;
	return rc == HTTP_CHUNK_ERROR ? request_chunked_status(&c) : 0;
}
