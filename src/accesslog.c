/* Access log: HTTPLogger lines (AILERON JSON, logFormat templates, combined). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "arena.h"
#include "kenc.h"
#include "log.h"
#include "middleware.h"
#include "request.h"
#include "response.h"

#define AL_LINE_MAX  (1 << 20) /* a line longer than this is cut */
#define AL_VALUE_MAX 8192      /* one header value after replacing */
#define AL_KEEP_MAX  8192      /* request line kept for the combined format */
#define AL_BODY_MAX  (AL_LINE_MAX / 8) /* journal: body bytes per line */

/* A growable line buffer. */
struct al_buf {
	char *p;
	size_t len;
	size_t cap;
};

static struct al_buf al_line;
static struct arena *al_arena; /* the request's: replacer results */

static void
al_reserve(struct al_buf *b, size_t n)
{
	size_t cap;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap != 0 ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		fatal("realloc");
	b->cap = cap;
}

static void
al_put(struct al_buf *b, const char *s, size_t n)
{
	if (b->len + n > AL_LINE_MAX)
		n = b->len < AL_LINE_MAX ? AL_LINE_MAX - b->len : 0;
	al_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
al_puts(struct al_buf *b, const char *s)
{
	al_put(b, s, strlen(s));
}

static void al_printf(struct al_buf *b, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
al_printf(struct al_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		al_put(b, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Append s[0..n) JSON-escaped (client bytes never reach a log raw). */
static void
al_put_esc(struct al_buf *b, const char *s, size_t n)
{
	char tmp[1024];
	size_t i, chunk;

	/* log_escape grows a byte to at most 6: escape in slices. */
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < 160 ? n - i : 160;
		log_escape(tmp, sizeof(tmp), s + i, chunk);
		al_puts(b, tmp);
	}
}

static void
al_put_json(struct al_buf *b, const char *s, size_t n)
{
	al_put(b, "\"", 1);
	al_put_esc(b, s, n);
	al_put(b, "\"", 1);
}

/* Append s[0..n) for the combined format: '"', '\\' and controls as \xHH. */
static void
al_put_clf(struct al_buf *b, const char *s, size_t n)
{
	size_t i;

	if (n == 0) {
		al_put(b, "-", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			al_printf(b, "\\x%02X", c);
		else
			al_put(b, (const char *)&c, 1);
	}
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t
al_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k, i;
	uint32_t cp;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		k = 2;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		k = 3;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	cp = u[0] & (0x7f >> k);
	for (i = 1; i < k; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are invalid. */
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return k;
}

/* FNV-32a of the host name, as AILERON's id generator uses. */
static uint32_t
al_host_hash(void)
{
	static uint32_t h;
	static int done;
	char name[256];
	size_t i;

	if (done)
		return h;
	if (gethostname(name, sizeof(name)) < 0)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	h = 2166136261u;
	for (i = 0; name[i] != '\0'; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	done = 1;
	return h;
}

/*
 * 15 bytes: FNV-32a(hostname), unix seconds, then 7 bytes that AILERON
 * fills from a process counter: here 3 bytes of the pid and a 4-byte
 * per-process counter, so that workers never hand out the same id.
 */
void
accesslog_make_id(char out[21])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789-_";
	static uint32_t counter;
	unsigned char raw[15];
	uint32_t h = al_host_hash(), t = (uint32_t)time(NULL);
	uint32_t pid = (uint32_t)getpid(), c = ++counter;
	size_t i, o = 0;

	raw[0] = (unsigned char)(h >> 24);
	raw[1] = (unsigned char)(h >> 16);
	raw[2] = (unsigned char)(h >> 8);
	raw[3] = (unsigned char)h;
	raw[4] = (unsigned char)(t >> 24);
	raw[5] = (unsigned char)(t >> 16);
	raw[6] = (unsigned char)(t >> 8);
	raw[7] = (unsigned char)t;
	raw[8] = (unsigned char)(pid >> 16);
	raw[9] = (unsigned char)(pid >> 8);
	raw[10] = (unsigned char)pid;
	raw[11] = (unsigned char)(c >> 24);
	raw[12] = (unsigned char)(c >> 16);
	raw[13] = (unsigned char)(c >> 8);
	raw[14] = (unsigned char)c;
	for (i = 0; i < 15; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 |
		    (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

const char *
accesslog_replace(const struct conf_log_repl *rs, size_t n, struct arena *a,
    const char *in, size_t len, size_t *outlen, int bytes)
{
	size_t i;

	*outlen = len;
	for (i = 0; i < n; i++) {
		if (rs[i].r == NULL)
			continue;
		in = bytes
		    ? replacer_apply_bytes(rs[i].r, a, in, *outlen, outlen)
		    : replacer_apply(rs[i].r, a, in, *outlen, outlen);
	}
	return in;
}

/* The config of header name in spec: NULL if it is not logged. */
static const struct conf_log_header *
al_header_spec(const struct conf_log_spec *spec, const char *name, size_t len)
{
	const struct conf_log_header *star = NULL;
	size_t i;

	for (i = 0; i < spec->nheaders; i++) {
		const char *hn = spec->headers[i].name;

		if (hn == NULL)
			continue;
		if (strcmp(hn, "*") == 0)
			star = &spec->headers[i];
		else if (strlen(hn) == len && strncasecmp(hn, name, len) == 0)
			return &spec->headers[i];
	}
	return star;
}

/* Append a header name in Go's canonical form (Content-Type). */
static void
al_put_canon(struct al_buf *b, const char *s, size_t n)
{
	char tmp[256];
	size_t i;
	int up = 1;

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	for (i = 0; i < n; i++) {
		tmp[i] = up ? (char)toupper((unsigned char)s[i])
		            : (char)tolower((unsigned char)s[i]);
		up = s[i] == '-';
	}
	al_put_json(b, tmp, n);
}

/*
 * The value of every field of m named like field i joined with ",", after
 * the replacers of hs (in the request's arena); its length in *len.
 */
static const char *
al_joined_value(const struct http_msg *m, const char *buf, uint32_t i,
    const struct conf_log_header *hs, size_t *len)
{
	const struct http_field *f = &m->fields[i];
	char joined[AL_VALUE_MAX];
	size_t n = 0;
	uint32_t j;

	for (j = i; j < m->nfields; j++) {
		const struct http_field *g = &m->fields[j];
		size_t vl = g->value.len;

		if (g->name.len != f->name.len ||
		    strncasecmp(
		        buf + g->name.off, buf + f->name.off, f->name.len) != 0)
			continue;
		if (n > 0 && n + 1 < sizeof(joined))
			joined[n++] = ',';
		if (vl > sizeof(joined) - 1 - n)
			vl = sizeof(joined) - 1 - n;
		memcpy(joined + n, buf + g->value.off, vl);
		n += vl;
	}
	return accesslog_replace(hs->replacers, hs->nreplacers, al_arena,
	    arena_strndup(al_arena, joined, n), n, len, 0);
}

/* Has a field before i the same name (already logged with it)? */
static int
al_seen_before(const struct http_msg *m, const char *buf, uint32_t i)
{
	uint32_t j;

	for (j = 0; j < i; j++)
		if (m->fields[j].name.len == m->fields[i].name.len &&
		    strncasecmp(buf + m->fields[j].name.off,
		        buf + m->fields[i].name.off,
		        m->fields[i].name.len) == 0)
			return 1;
	return 0;
}

/* The logged headers of m as a JSON object. */
static void
al_put_headers(struct al_buf *b, const struct conf_log_spec *spec,
    const struct http_msg *m, const char *buf)
{
	const struct conf_log_header *hs;
	const char *v;
	uint32_t i;
	int first = 1;
	size_t n;

	al_put(b, "{", 1);
	for (i = 0; m != NULL && i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if ((hs = al_header_spec(
		         spec, buf + f->name.off, f->name.len)) == NULL ||
		    al_seen_before(m, buf, i))
			continue;
		v = al_joined_value(m, buf, i, hs, &n);
		if (!first)
			al_put(b, ",", 1);
		first = 0;
		al_put_canon(b, buf + f->name.off, f->name.len);
		al_put(b, ":", 1);
		al_put_json(b, v, n);
	}
	al_put(b, "}", 1);
}

/* The value of header name (logged form), or NULL. */
static const char *
al_header_value(const struct conf_log_spec *spec, const struct http_msg *m,
    const char *buf, const char *name, size_t nlen, size_t *len)
{
	const struct conf_log_header *hs;
	uint32_t i;

	for (i = 0; m != NULL && i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (f->name.len != nlen ||
		    strncasecmp(buf + f->name.off, name, nlen) != 0)
			continue;
		if ((hs = al_header_spec(spec, name, nlen)) == NULL)
			return NULL;
		return al_joined_value(m, buf, i, hs, len);
	}
	return NULL;
}

/* The raw value of the first field of m called name, or NULL. */
static const char *
al_raw_header(
    const struct http_msg *m, const char *buf, const char *name, size_t *len)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].name.len == strlen(name) &&
		    strncasecmp(
		        buf + m->fields[i].name.off, name, strlen(name)) == 0) {
			*len = m->fields[i].value.len;
			return buf + m->fields[i].value.off;
		}
	return NULL;
}

/* A body as a log line shows it (journal). */
struct al_text {
	const char *p;
	size_t len;
	int truncated; /* more came than maxContentLength */
};

/*
 * Append a body as a JSON string: valid UTF-8 as it is, each invalid
 * byte as U+FFFD (as Go's encoder), controls escaped.
 */
static void
al_put_body_json(struct al_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run, k;
	char esc[8];

	al_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
				break;
		}
		al_put(b, s + i, run);
		i += run;
		if (i >= n)
			break;
		if (c >= 0x80) {
			k = al_utf8_valid(s + i, n - i);
			if (k > 0)
				al_put(b, s + i, k);
			else
				al_puts(b, "\\ufffd");
			i += k > 0 ? k : 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			al_put(b, esc, 2);
		} else if (c == '\n')
			al_puts(b, "\\n");
		else if (c == '\r')
			al_puts(b, "\\r");
		else if (c == '\t')
			al_puts(b, "\\t");
		else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			al_put(b, esc, 6);
		}
		i++;
	}
	al_put(b, "\"", 1);
}

/* The "body" of a journal line, and "bodyTruncated" when it was cut. */
static void
al_put_body(
    struct al_buf *b, const struct conf_httplogger *hl, const struct al_text *t)
{
	if (!hl->journal)
		return;
	al_puts(b, ",\"body\":");
	al_put_body_json(b, t != NULL ? t->p : "", t != NULL ? t->len : 0);
	if (t != NULL && t->truncated)
		al_puts(b, ",\"bodyTruncated\":true");
}

/* Everything a request line (JSON or logFormat) shows. */
struct al_reqview {
	const char *id;
	const char *remote;
	const char *type; /* "server" or "client" */
	const struct http_msg *m;
	const char *buf;
	const char *path;
	size_t plen;
	const char *query;
	size_t qlen;
	const char *host;
	size_t hlen;
	int64_t size;
	char time[128];
	const struct al_text *body; /* journal: the body as logged */
};

/* The response as the response line shows it. */
struct al_respview {
	const char *id;
	const char *type;
	const struct http_msg *r; /* NULL when no response was sent */
	const char *buf;
	int status;
	int64_t size;
	int64_t duration; /* microseconds */
	char time[128];
	const struct al_text *body; /* journal: the body as logged */
};

/* Expand a logFormat template (%tag%) into b; req or resp is NULL. */
static void
al_template(struct al_buf *b, const struct conf_log_spec *spec,
    const char *tmpl, const struct al_reqview *rq, const struct al_respview *rs)
{
	const char *p = tmpl, *end, *v;
	size_t tl, vl;

	while (*p != '\0') {
		if (*p != '%' || (end = strchr(p + 1, '%')) == NULL ||
		    end == p + 1 ||
		    (size_t)(end - p - 1) != strcspn(p + 1, "% \t\n")) {
			al_put(b, p, 1);
			p++;
			continue;
		}
		tl = (size_t)(end - p - 1);
#define TAG(s) (tl == sizeof(s) - 1 && memcmp(p + 1, s, tl) == 0)
		if (TAG("id"))
			al_puts(b, rq != NULL ? rq->id : rs->id);
		else if (TAG("time"))
			al_puts(b, rq != NULL ? rq->time : rs->time);
		else if (TAG("type"))
			al_puts(b, rq != NULL ? rq->type : rs->type);
		else if (TAG("body")) {
			const struct al_text *t =
			    rq != NULL ? rq->body : rs->body;

			if (t != NULL)
				al_put_esc(b, t->p, t->len);
		} else if (TAG("header"))
			al_put_headers(b, spec, rq != NULL ? rq->m : rs->r,
			    rq != NULL ? rq->buf : rs->buf);
		else if (tl > 7 && memcmp(p + 1, "header.", 7) == 0) {
			v = al_header_value(spec, rq != NULL ? rq->m : rs->r,
			    rq != NULL ? rq->buf : rs->buf, p + 8, tl - 7, &vl);
			if (v != NULL)
				al_put_esc(b, v, vl);
		} else if (TAG("size"))
			al_printf(b, "%lld",
			    (long long)(rq != NULL ? rq->size : rs->size));
		else if (rq != NULL && TAG("method"))
			al_put_esc(
			    b, rq->buf + rq->m->method.off, rq->m->method.len);
		else if (rq != NULL && TAG("path"))
			al_put_esc(b, rq->path, rq->plen);
		else if (rq != NULL && TAG("query"))
			al_put_esc(b, rq->query, rq->qlen);
		else if (rq != NULL && TAG("host"))
			al_put_esc(b, rq->host, rq->hlen);
		else if (rq != NULL && TAG("remote"))
			al_puts(b, rq->remote);
		else if (rq != NULL && TAG("proto"))
			al_printf(b, "HTTP/1.%d", rq->m->version_minor);
		else if (rs != NULL && TAG("status"))
			al_printf(b, "%d", rs->status);
		else if (rs != NULL && TAG("duration"))
			al_printf(b, "%lld", (long long)rs->duration);
		else {
			al_puts(b, "<undefined:");
			al_put_esc(b, p + 1, tl);
			al_puts(b, ">");
		}
#undef TAG
		p = end + 1;
	}
	if (b->len == 0 || b->p[b->len - 1] != '\n')
		al_put(b, "\n", 1);
}

/* The logger an HTTPLogger writes to, or NULL when it is not at INFO. */
static const struct log_logger *
al_logger(const struct conf_httplogger *hl)
{
	const struct log_logger *lg =
	    hl->logger != NULL ? hl->logger : log_current();

	if (lg->fd < 0 || lg->level > LOG_L_INFO)
		return NULL;
	return lg;
}

/* Start a structured line of lg with msg "server" or "client". */
static void
al_start(struct al_buf *b, const struct log_logger *lg, const char *msg)
{
	char head[1024];
	size_t n = log_line_start(lg, LOG_L_INFO, msg, head, sizeof(head));

	b->len = 0;
	al_put(b, head, n);
}

/* End a structured line and write it with one write(2). */
static void
al_finish(struct al_buf *b, const struct log_logger *lg, int json)
{
	if (json)
		al_puts(b, "}");
	al_puts(b, "\n");
	log_write(lg, b->p, b->len);
}

static void
al_time(const struct conf_httplogger *hl, const struct timespec *ts, char *out,
    size_t size)
{
	log_format_time(hl->time_format, ts, hl->utc, out, size);
}

/* Write the request line of HTTPLogger hl ("server" or "client" type). */
static void
al_emit_request(const struct conf_httplogger *hl, const struct al_reqview *rq,
    const char *type, const struct timespec *ts)
{
	const struct conf_log_spec *spec = &hl->request;
	const struct log_logger *lg;
	struct al_buf *b = &al_line;
	struct al_reqview v = *rq;

	if (hl->format == ACCESS_COMBINED || (lg = al_logger(hl)) == NULL)
		return;
	v.type = type;
	if (v.query != NULL && spec->nqueries > 0) {
		v.query = accesslog_replace(spec->queries, spec->nqueries,
		    al_arena, v.query, v.qlen, &v.qlen, 0);
	}
	al_time(hl, ts, v.time, sizeof(v.time));
	if (spec->log_format != NULL && *spec->log_format != '\0') {
		b->len = 0;
		al_template(b, spec, spec->log_format, &v, NULL);
		log_write(lg, b->p, b->len);
		return;
	}
	al_start(b, lg, type);
	al_puts(b, lg->unstructured ? " request=" : ",\"request\":");
	al_printf(b, "{\"id\":\"%s\",\"time\":", v.id);
	al_put_json(b, v.time, strlen(v.time));
	al_puts(b, ",\"host\":");
	al_put_json(b, v.host, v.hlen);
	al_puts(b, ",\"method\":");
	al_put_json(b, v.buf + v.m->method.off, v.m->method.len);
	al_puts(b, ",\"path\":");
	al_put_json(b, v.path, v.plen);
	al_puts(b, ",\"query\":");
	al_put_json(b, v.query, v.qlen);
	al_puts(b, ",\"remote\":");
	al_put_json(b, v.remote, strlen(v.remote));
	al_printf(b, ",\"proto\":\"HTTP/1.%d\",\"size\":%lld,\"header\":",
	    v.m->version_minor, (long long)v.size);
	al_put_headers(b, spec, v.m, v.buf);
	al_put_body(b, hl, v.body);
	al_puts(b, "}");
	al_finish(b, lg, !lg->unstructured);
}

/* Fill a request view of m (bytes in buf) with the target split. */
static void
al_reqview_init(struct al_reqview *rq, const struct http_msg *m,
    const char *buf, const char *id, const char *remote)
{
	const char *t = buf + m->target.off, *q;

	memset(rq, 0, sizeof(*rq));
	rq->m = m;
	rq->buf = buf;
	rq->id = id;
	rq->remote = remote;
	rq->path = t;
	q = memchr(t, '?', m->target.len);
	rq->plen = q != NULL ? (size_t)(q - t) : m->target.len;
	if (q != NULL) {
		rq->query = t + rq->plen + 1;
		rq->qlen = m->target.len - rq->plen - 1;
	}
	if (m->host_index >= 0) {
		rq->host = buf + m->fields[m->host_index].value.off;
		rq->hlen = m->fields[m->host_index].value.len;
	}
	rq->size = m->body == HTTP_BODY_LENGTH ? (int64_t)m->content_length
	    : m->body == HTTP_BODY_NONE        ? 0
	                                       : -1;
}

/* The peer as Go's RemoteAddr: "ip:port", "[v6]:port". */
static void
al_remote(const struct request *r, char *out, size_t size)
{
	snprintf(out, size, strchr(r->ip, ':') != NULL ? "[%s]:%s" : "%s:%s",
	    r->ip, r->port);
}

/* The server request line of r, with its body (journal) or none. */
static void
al_server_request_line(const struct conf_httplogger *hl, struct request *r,
    const struct al_text *body)
{
	struct al_reqview rq;
	char remote[72];

	al_remote(r, remote, sizeof(remote));
	al_reqview_init(&rq, r->msg, r->buf, request_id(r), remote);
	rq.body = body;
	al_emit_request(hl, &rq, "server", &r->start);
}

/*
 * Journal: bodies.  A body is captured as it streams past (request.h's
 * body taps, the response body filter), at most maxContentLength bytes;
 * the rest is only counted.  Masks run on what was kept, when the line
 * is written.
 */

/* A body being logged. */
struct al_body {
	const struct conf_log_spec *spec;
	const char *mime;    /* its media type, for bodies[] */
	struct arena *arena; /* the request's */
	char *buf;           /* the first cap bytes */
	size_t len, cap, alloc;
	uint64_t total; /* bytes seen */
	int fd;         /* bodyOutputPath file, or -1 */
	char *file;     /* its name as logged: "body-<id>.svr.req.bin" */
	int b64;
	int on; /* anything to log at all */
};

/* The per-request state of one HTTPLogger as middleware or tripperware. */
struct al_state {
	struct al_state *next;
	const struct conf_httplogger *hl;
	int client;       /* tripperware */
	int req_pending;  /* the request line waits for its body */
	int resp_pending; /* client: the response line waits for its body */
	int resp_tapped;  /* client: observing the exchange's response */
	struct al_body req, resp;
	/* client: the request head (the proxy's, valid for the exchange) */
	const char *head;
	size_t head_len;
	const char *authority;
	struct timespec x_start;
	/* client: the upstream response head, copied (the relay reuses it) */
	struct http_msg *rmsg;
	char *rbuf;
	int status;
};

/* Is mime (a media type) in the list? */
static int
al_mime_listed(const struct conf_log_spec *spec, const char *m)
{
	size_t i;

	for (i = 0; i < spec->nmimes; i++)
		if (strcmp(spec->mimes[i], m) == 0)
			return 1;
	return 0;
}

/*
 * The media type of a Content-Type value as Go's mime.ParseMediaType
 * gives it: lower case, without parameters; "" if there is none.
 */
static const char *
al_media_type(const char *v, size_t n)
{
	size_t i, o = 0;
	char *m;

	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	for (i = 0; i < n && v[i] != ';'; i++)
		;
	while (i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
		i--;
	m = arena_alloc(al_arena, i + 1);
	for (o = 0; o < i; o++)
		m[o] = (char)tolower((unsigned char)v[o]);
	m[i] = '\0';
	return m;
}

/* Does a Content-Encoding value name a compression (AILERON's list)? */
static int
al_compressed(const char *v, size_t n)
{
	static const char *const enc[] = { "gzip", "br", "deflate", "compress",
		"zstd" };
	size_t i;

	for (i = 0; v != NULL && i < sizeof(enc) / sizeof(enc[0]); i++)
		if (memmem(v, n, enc[i], strlen(enc[i])) != NULL)
			return 1;
	return 0;
}

/*
 * Decide whether a body of media type mime and length (-1: unknown) is
 * logged, as AILERON: listed types only, not empty; bodies of unknown
 * size or at least maxContentLength go to a file when bodyOutputPath is
 * set; otherwise the first maxContentLength bytes are kept (AILERON
 * logs nothing of a body that long, and holds a body of unknown size
 * whole).  1 when the body is to be fed.
 */
static int
al_body_start(struct al_body *b, const struct conf_log_spec *spec,
    const char *mime, int64_t length, const char *id, const char *suffix,
    int compressed)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	b->spec = spec;
	b->arena = al_arena;
	b->fd = -1;
	if (!al_mime_listed(spec, mime) || length == 0)
		return 0;
	b->mime = mime;
	b->b64 = spec->base64 || compressed;
	if (spec->body_output_path[0] != '\0' &&
	    (length < 0 || length >= spec->max_content_length)) {
		n = strlen(spec->body_output_path) + strlen(id) +
		    strlen(suffix) + 16;
		b->file = arena_alloc(al_arena, n);
		n = (size_t)snprintf(b->file, n, "%s/body-%s.%s",
		    spec->body_output_path, id, suffix);
		b->fd = open(
		    b->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (b->fd < 0) {
			log_warn("journal: body file %s", b->file);
			return 0;
		}
		/* The line names the file, not its directory. */
		b->file = strrchr(b->file, '/') + 1;
		b->on = 1;
		return 1;
	}
	if (spec->max_content_length <= 0)
		return 0;
	b->cap = (size_t)spec->max_content_length;
	if (length > 0 && (uint64_t)length < b->cap)
		b->cap = (size_t)length;
	if (b->cap > AL_BODY_MAX)
		b->cap = AL_BODY_MAX;
	b->on = 1;
	return 1;
}

/* A body tap: keep the first bytes, count the rest (or write the file). */
static void
al_body_feed(void *arg, const char *data, size_t n)
{
	struct al_body *b = arg;
	size_t keep;
	ssize_t w;

	b->total += n;
	if (b->fd >= 0) {
		while (n > 0) {
			if ((w = write(b->fd, data, n)) < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				log_warn("journal: body file %s", b->file);
				close(b->fd);
				b->fd = -1;
				return;
			}
			data += w;
			n -= (size_t)w;
		}
		return;
	}
	keep = b->cap - b->len < n ? b->cap - b->len : n;
	if (keep == 0)
		return;
	if (b->len + keep > b->alloc) {
		/* Grown as bytes come: a short body costs what it is. */
		size_t want = b->alloc != 0 ? b->alloc : 1024;

		while (want < b->len + keep)
			want *= 2;
		if (want > b->cap)
			want = b->cap;
		b->buf = arena_realloc(b->arena, b->buf, b->alloc, want);
		b->alloc = want;
	}
	memcpy(b->buf + b->len, data, keep);
	b->len += keep;
}

/* Skip JSON white space. */
static const char *
al_json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * The end of the JSON value at p (a body cut short ends at end, so that a
 * cut value is still masked).
 */
static const char *
al_json_skip(const char *p, const char *end)
{
	int depth = 0, str = 0;

	if (p >= end)
		return end;
	if (*p != '"' && *p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (str) {
			if (*p == '\\')
				p++;
			else if (*p == '"') {
				str = 0;
				if (depth == 0)
					return p + 1;
			}
		} else if (*p == '"')
			str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return end;
}

/*
 * Find the value of key path path (components split at '.', a number
 * also indexes an array) in the JSON text [p, end): its span, or NULL.
 */
static const char *
al_json_find(const char *p, const char *end, const char *path, const char **ve)
{
	const char *comp = path, *dot, *k, *kend;
	size_t clen;
	long idx;
	int digits;

	for (;;) {
		dot = strchr(comp, '.');
		clen = dot != NULL ? (size_t)(dot - comp) : strlen(comp);
		digits = clen > 0 && strspn(comp, "0123456789") >= clen;
		p = al_json_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == '{') {
			for (p++;;) {
				p = al_json_ws(p, end);
				if (p >= end || *p != '"')
					return NULL;
				k = ++p;
				while (p < end && *p != '"')
					p += *p == '\\' ? 2 : 1;
				if (p >= end)
					return NULL;
				kend = p++;
				p = al_json_ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = al_json_ws(p + 1, end);
				if ((size_t)(kend - k) == clen &&
				    memcmp(k, comp, clen) == 0)
					break;
				p = al_json_ws(al_json_skip(p, end), end);
				if (p >= end || *p != ',')
					return NULL;
				p++;
			}
		} else if (*p == '[' && digits) {
			idx = strtol(comp, NULL, 10);
			for (p = al_json_ws(p + 1, end); idx > 0; idx--) {
				p = al_json_ws(al_json_skip(p, end), end);
				if (p >= end || *p != ',')
					return NULL;
				p = al_json_ws(p + 1, end);
			}
			if (p >= end || *p == ']')
				return NULL;
		} else
			return NULL;
		if (dot == NULL) {
			*ve = al_json_skip(p, end);
			return p < end ? p : NULL;
		}
		comp = dot + 1;
	}
}

/*
 * jsonFields: each field's raw JSON value (quotes included) goes through
 * the replacers, in order, and the result replaces it as raw JSON.
 */
static const char *
al_json_mask(
    const struct conf_log_body *m, const char *in, size_t len, size_t *outlen)
{
	const char *vs, *ve, *r;
	size_t i, rlen;
	char *o;

	for (i = 0; i < m->njson_fields; i++) {
		if ((vs = al_json_find(in, in + len, m->json_fields[i], &ve)) ==
		    NULL)
			continue;
		r = accesslog_replace(m->replacers, m->nreplacers, al_arena, vs,
		    (size_t)(ve - vs), &rlen, 1);
		o = arena_alloc(al_arena, len - (size_t)(ve - vs) + rlen + 1);
		memcpy(o, in, (size_t)(vs - in));
		memcpy(o + (vs - in), r, rlen);
		memcpy(o + (vs - in) + rlen, ve, (size_t)(in + len - ve));
		len = len - (size_t)(ve - vs) + rlen;
		in = o;
	}
	*outlen = len;
	return in;
}

/* The text a body shows in its line: masked, maybe base64, or its file. */
static void
al_body_text(struct al_body *b, struct al_text *t)
{
	const char *p = b->buf;
	size_t i, n = b->len;
	char *e;

	memset(t, 0, sizeof(*t));
	if (!b->on)
		return;
	if (b->file != NULL) {
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		t->p = b->file;
		t->len = strlen(b->file);
		b->on = 0;
		return;
	}
	t->truncated = b->total > b->len;
	/* Every bodies[] entry of the type, in order (AILERON appends). */
	for (i = 0; i < b->spec->nbodies; i++) {
		const struct conf_log_body *m = &b->spec->bodies[i];

		if (m->mime == NULL || strcmp(m->mime, b->mime) != 0)
			continue;
		if (m->njson_fields > 0)
			p = al_json_mask(m, p, n, &n);
		else
			p = accesslog_replace(
			    m->replacers, m->nreplacers, al_arena, p, n, &n, 1);
	}
	if (b->b64) {
		e = arena_alloc(al_arena, kenc_encoded_len(KENC_BASE64, n) + 1);
		n = kenc_encode(KENC_BASE64, p, n, e);
		p = e;
	}
	t->p = p;
	t->len = n;
	b->on = 0;
}

/* The state of hl (as middleware or tripperware) for r, made if asked. */
static struct al_state *
al_state_get(
    const struct conf_httplogger *hl, struct request *r, int client, int make)
{
	struct al_state *st;

	for (st = r->log_state; st != NULL; st = st->next)
		if (st->hl == hl && st->client == client)
			return st;
	if (!make)
		return NULL;
	st = arena_alloc(r->arena, sizeof(*st));
	memset(st, 0, sizeof(*st));
	st->hl = hl;
	st->client = client;
	st->req.fd = st->resp.fd = -1;
	st->next = r->log_state;
	r->log_state = st;
	return st;
}

/* The length a message's framing gives (-1: unknown). */
static int64_t
al_msg_length(const struct http_msg *m)
{
	return m->body == HTTP_BODY_LENGTH ? (int64_t)m->content_length
	    : m->body == HTTP_BODY_NONE    ? 0
	                                   : -1;
}

/* Start the request body of r for journal logging; 1 if it is fed. */
static int
al_request_body(struct al_state *st, struct request *r, const char *suffix)
{
	const char *ct, *ce;
	size_t n = 0, cen = 0;

	if (r->msg->body == HTTP_BODY_NONE)
		return 0;
	ct = request_header(r, HDR_CONTENT_TYPE, &n);
	ce = al_raw_header(r->msg, r->buf, "Content-Encoding", &cen);
	if (!al_body_start(&st->req, &st->hl->request,
	        al_media_type(ct != NULL ? ct : "", n), al_msg_length(r->msg),
	        request_id(r), suffix, al_compressed(ce, cen)))
		return 0;
	request_body_observe(r, al_body_feed, &st->req);
	return 1;
}

/* Write the server request line that waited for its body, if any. */
static void
al_server_pending(
    const struct conf_httplogger *hl, struct request *r, struct al_state *st)
{
	struct al_text t;

	if (!st->req_pending)
		return;
	st->req_pending = 0;
	al_body_text(&st->req, &t);
	al_server_request_line(hl, r, &t);
}

void
accesslog_server_request(const struct conf_httplogger *hl, struct request *r)
{
	struct al_state *st;

	al_arena = r->arena;
	if (hl->journal) {
		st = al_state_get(hl, r, 0, 1);
		if (al_request_body(st, r, "svr.req.bin")) {
			/* Written once the body went by (head or done). */
			st->req_pending = 1;
			return;
		}
	}
	al_server_request_line(hl, r, NULL);
}

void
accesslog_server_head(const struct conf_httplogger *hl, struct request *r)
{
	struct al_state *st;
	const char *ct, *ce;
	size_t n = 0, cen = 0;
	int64_t length;

	al_arena = r->arena;
	if (!hl->journal || (st = al_state_get(hl, r, 0, 0)) == NULL) {
		response_filter_skip(r);
		return;
	}
	al_server_pending(hl, r, st);
	length = r->resp.framing == RESPONSE_LENGTH ? (int64_t)r->resp.length
	    : r->resp.framing == RESPONSE_NONE      ? 0
	                                            : -1;
	ct = response_get(r, "Content-Type", &n);
	ce = response_get(r, "Content-Encoding", &cen);
	/* A tunnel (101) is not a body. */
	if (r->msg->method_id != HTTP_M_HEAD &&
	    r->resp.framing != RESPONSE_UPGRADE &&
	    al_body_start(&st->resp, &hl->response,
	        al_media_type(ct != NULL ? ct : "", n), length, request_id(r),
	        "svr.res.bin", al_compressed(ce, cen)))
		response_filter_observe(r);
	else
		response_filter_skip(r);
}

int
accesslog_server_body(const struct conf_httplogger *hl, struct request *r,
    const void *data, size_t n, int last)
{
	struct al_state *st;

	if (n > 0 && hl->journal && (st = al_state_get(hl, r, 0, 0)) != NULL &&
	    st->resp.on)
		al_body_feed(&st->resp, data, n);
	return response_filter_next(r, data, n, last);
}

/* The combined (Apache/nginx) line of the request that just ended. */
static void
al_combined(struct al_buf *b, const struct conf_httplogger *hl,
    const struct request *r, const struct al_respview *rs)
{
	const struct http_msg *m = r->msg;
	const char *v;
	size_t n;
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (hl->utc)
		gmtime_r(&r->start.tv_sec, &tm);
	else
		localtime_r(&r->start.tv_sec, &tm);
	off = tm.tm_gmtoff / 60;
	b->len = 0;
	al_puts(b, r->ip);
	al_printf(b, " - - [%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld] \"",
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	    labs(off) % 60);
	/* The request line as it came: "GET /x HTTP/1.1". */
	al_put_clf(b, r->buf + m->method.off, m->method.len);
	al_put(b, " ", 1);
	al_put_clf(b, r->buf + m->target.off, m->target.len);
	al_printf(b, " HTTP/1.%d", m->version_minor);
	al_printf(b, "\" %d ", rs->status);
	if (rs->size > 0)
		al_printf(b, "%lld", (long long)rs->size);
	else
		al_puts(b, "-");
	al_puts(b, " \"");
	v = al_raw_header(m, r->buf, "Referer", &n);
	al_put_clf(b, v, v != NULL ? n : 0);
	al_puts(b, "\" \"");
	v = al_raw_header(m, r->buf, "User-Agent", &n);
	al_put_clf(b, v, v != NULL ? n : 0);
	al_puts(b, "\"\n");
}

/* Write the response line of HTTPLogger hl. */
static void
al_emit_response(const struct conf_httplogger *hl, const struct request *r,
    const struct al_respview *rs, const char *type, const struct timespec *ts)
{
	const struct conf_log_spec *spec = &hl->response;
	const struct log_logger *lg;
	struct al_buf *b = &al_line;
	struct al_respview v = *rs;

	if ((lg = al_logger(hl)) == NULL)
		return;
	if (hl->format == ACCESS_COMBINED) {
		if (strcmp(type, "server") == 0) {
			al_combined(b, hl, r, rs);
			log_write(lg, b->p, b->len);
		}
		return;
	}
	v.type = type;
	al_time(hl, ts, v.time, sizeof(v.time));
	if (spec->log_format != NULL && *spec->log_format != '\0') {
		b->len = 0;
		al_template(b, spec, spec->log_format, NULL, &v);
		log_write(lg, b->p, b->len);
		return;
	}
	al_start(b, lg, type);
	al_puts(b, lg->unstructured ? " response=" : ",\"response\":");
	al_printf(b, "{\"id\":\"%s\",\"time\":", v.id);
	al_put_json(b, v.time, strlen(v.time));
	al_printf(b,
	    ",\"duration\":%lld,\"status\":%d,\"size\":%lld,\"header\":",
	    (long long)v.duration, v.status, (long long)v.size);
	al_put_headers(b, spec, v.r, v.buf);
	al_put_body(b, hl, v.body);
	al_puts(b, "}");
	al_finish(b, lg, !lg->unstructured);
}

/* Microseconds from a to b. */
static int64_t
al_usec(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000 +
	    (b->tv_nsec - a->tv_nsec) / 1000;
}

/* Fill the size of a response view from r's framing. */
static void
al_respview_size(struct al_respview *rs, const struct http_msg *r)
{
	rs->size = -1;
	if (r->body == HTTP_BODY_LENGTH)
		rs->size = (int64_t)r->content_length;
	else if (r->body == HTTP_BODY_NONE)
		rs->size = 0;
}

void
accesslog_server_response(const struct conf_httplogger *hl, struct request *r)
{
	const struct response *resp = &r->resp;
	struct al_respview rs;
	struct al_state *st = NULL;
	struct al_text body;
	struct timespec now;

	al_arena = r->arena;
	memset(&body, 0, sizeof(body));
	if (hl->journal && (st = al_state_get(hl, r, 0, 0)) != NULL) {
		al_server_pending(hl, r, st);
		al_body_text(&st->resp, &body);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	memset(&rs, 0, sizeof(rs));
	rs.id = request_id(r);
	rs.duration = al_usec(&r->start, &now);
	rs.status = 499; /* nothing was sent: the client went away */
	rs.size = -1;
	rs.body = &body;
	if (resp->started) {
		/* What the writer sent: never re-parsed. */
		rs.r = &resp->head;
		rs.buf = resp->head_buf;
		rs.status = resp->status;
		rs.size = resp->log_size;
	}
	al_emit_response(hl, r, &rs, "server", &now);
}

/* The client request line of head[0..len) (the proxy's), with its body. */
static void
al_client_request_line(const struct conf_httplogger *hl, struct request *r,
    const char *head, size_t len, const char *authority,
    const struct timespec *start, const struct al_text *body)
{
	static struct http_msg m;
	struct http_limits lim;
	struct al_reqview rq;

	/* The head we built (tripperware logging only): its fields. */
	memset(&lim, 0, sizeof(lim));
	lim.max_head = (uint32_t)len;
	lim.max_line = (uint32_t)len;
	http_request_init(&m, &lim);
	if (http_parse_request(&m, head, len) != HTTP_PARSE_DONE)
		return; /* we built it: cannot happen */
	al_reqview_init(&rq, &m, head, request_id(r), "");
	rq.host = authority;
	rq.hlen = strlen(authority);
	rq.body = body;
	al_emit_request(hl, &rq, "client", start);
}

/* Write the client request line that waited for its body, if any. */
static void
al_client_pending(
    const struct conf_httplogger *hl, struct request *r, struct al_state *st)
{
	struct al_text t;

	if (!st->req_pending)
		return;
	st->req_pending = 0;
	al_body_text(&st->req, &t);
	al_client_request_line(
	    hl, r, st->head, st->head_len, st->authority, &st->x_start, &t);
}

void
accesslog_client_request(const struct conf_httplogger *hl, struct request *r,
    const struct exchange *x)
{
	struct al_state *st;

	al_arena = r->arena;
	if (hl->journal) {
		st = al_state_get(hl, r, 1, 1);
		st->req_pending = st->resp_pending = st->resp_tapped = 0;
		if (al_request_body(st, r, "cli.req.bin")) {
			st->req_pending = 1;
			st->head = x->head;
			st->head_len = x->head_len;
			st->authority = x->up->authority;
			st->x_start = x->start;
			return;
		}
	}
	al_client_request_line(
	    hl, r, x->head, x->head_len, x->up->authority, &x->start, NULL);
}

/* Write the client response line of st (journal), with its body. */
static void
al_client_response_line(
    const struct conf_httplogger *hl, struct request *r, struct al_state *st)
{
	struct al_respview rs;
	struct al_text body;
	struct timespec now;

	st->resp_pending = 0;
	al_body_text(&st->resp, &body);
	clock_gettime(CLOCK_REALTIME, &now);
	memset(&rs, 0, sizeof(rs));
	rs.id = request_id(r);
	rs.r = st->rmsg;
	rs.buf = st->rbuf;
	rs.status = st->status;
	rs.duration = al_usec(&st->x_start, &now);
	rs.body = &body;
	al_respview_size(&rs, st->rmsg);
	al_emit_response(hl, r, &rs, "client", &now);
}

void
accesslog_client_response(
    const struct conf_httplogger *hl, struct request *r, struct exchange *x)
{
	struct al_respview rs;
	struct al_state *st;
	struct timespec now;
	const char *ct, *ce;
	size_t n = 0, cen = 0;

	al_arena = r->arena;
	if (hl->journal && (st = al_state_get(hl, r, 1, 0)) != NULL) {
		al_client_pending(hl, r, st);
		if (st->resp_pending) /* a retried response: no body */
			al_client_response_line(hl, r, st);
		/* The relay reuses the buffer of the head: keep a copy. */
		st->rmsg = arena_alloc(r->arena, sizeof(*st->rmsg));
		memcpy(st->rmsg, x->resp, sizeof(*st->rmsg));
		st->rbuf = arena_alloc(r->arena, x->resp->head_len);
		memcpy(st->rbuf, x->resp_buf, x->resp->head_len);
		st->status = x->status;
		st->x_start = x->start;
		st->resp_pending = 1;
		ct = al_raw_header(x->resp, x->resp_buf, "Content-Type", &n);
		ce = al_raw_header(
		    x->resp, x->resp_buf, "Content-Encoding", &cen);
		if (al_body_start(&st->resp, &hl->response,
		        al_media_type(ct != NULL ? ct : "", n),
		        al_msg_length(x->resp), request_id(r), "cli.res.bin",
		        al_compressed(ce, cen)) &&
		    !st->resp_tapped) {
			body_tap_add(&x->resp_tap, r->arena,
			    x->resp->body == HTTP_BODY_CHUNKED, al_body_feed,
			    &st->resp);
			st->resp_tapped = 1;
		}
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	memset(&rs, 0, sizeof(rs));
	rs.id = request_id(r);
	rs.r = x->resp;
	rs.buf = x->resp_buf;
	rs.status = x->status;
	rs.duration = al_usec(&x->start, &now);
	al_respview_size(&rs, x->resp);
	al_emit_response(hl, r, &rs, "client", &now);
}

void
accesslog_client_done(const struct conf_httplogger *hl, struct request *r,
    const struct exchange *x)
{
	struct al_state *st;

	(void)x;
	al_arena = r->arena;
	if (!hl->journal || (st = al_state_get(hl, r, 1, 0)) == NULL)
		return;
	al_client_pending(hl, r, st);
	if (st->resp_pending)
		al_client_response_line(hl, r, st);
	if (st->resp.fd >= 0) {
		close(st->resp.fd);
		st->resp.fd = -1;
	}
}
