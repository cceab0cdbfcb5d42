/* Access log: HTTPLogger lines (AILERON JSON, logFormat templates, combined). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "accesslog.h"
#include "log.h"
#include "middleware.h"
#include "request.h"

#define AL_LINE_MAX  (1 << 20) /* a line longer than this is cut */
#define AL_VALUE_MAX 8192      /* one header value after replacing */
#define AL_KEEP_MAX  8192      /* request line kept for the combined format */

/* A growable line buffer. */
struct al_buf {
	char *p;
	size_t len;
	size_t cap;
};

static struct al_buf al_line;
static char al_value[AL_VALUE_MAX];
static char al_value2[AL_VALUE_MAX];

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

/* One replacer applied to in[0..len) into out; returns the length. */
static size_t
al_replace_one(const struct conf_replacer *r, const char *in, size_t len,
    char *out, size_t size)
{
	PCRE2_SIZE olen = size;
	pcre2_match_data *md;
	uint32_t opts;
	size_t i, n;
	int rc;

	switch (r->kind) {
	case REPL_FIXED:
		n = strlen(r->value);
		break;
	case REPL_VALUE:
		for (i = 0; i < r->nfrom; i++)
			if (strlen(r->from[i]) == len &&
			    memcmp(r->from[i], in, len) == 0)
				break;
		if (i < r->nfrom) {
			n = snprintf(out, size, "%s", r->to[i]) < 0
			    ? 0
			    : strlen(out);
			return n;
		}
		goto copy;
	case REPL_REGEXP:
		if (r->compiled == NULL)
			goto copy;
		opts = PCRE2_SUBSTITUTE_GLOBAL;
		if (r->literal)
			opts |= PCRE2_SUBSTITUTE_LITERAL;
		md = pcre2_match_data_create_from_pattern(r->compiled, NULL);
		if (md == NULL)
			fatal("pcre2_match_data_create");
		rc = pcre2_substitute(r->compiled, (PCRE2_SPTR)in, len, 0, opts,
		    md, NULL, (PCRE2_SPTR)r->replace, PCRE2_ZERO_TERMINATED,
		    (PCRE2_UCHAR *)out, &olen);
		pcre2_match_data_free(md);
		if (rc < 0) {
			/* Never log the unmasked value when masking failed. */
			snprintf(out, size, "<replace error>");
			return strlen(out);
		}
		return olen;
	default:
		goto copy;
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, r->value, n);
	out[n] = '\0';
	return n;
copy:
	n = len < size ? len : size - 1;
	memmove(out, in, n);
	out[n] = '\0';
	return n;
}

size_t
accesslog_replace(const struct conf_replacer *r, size_t n, const char *value,
    size_t len, char *out, size_t size)
{
	size_t i;

	if (size == 0)
		return 0;
	if (n == 0) {
		if (len >= size)
			len = size - 1;
		memmove(out, value, len);
		out[len] = '\0';
		return len;
	}
	/* Chain through al_value2 so that in and out never overlap. */
	len = len < sizeof(al_value2) ? len : sizeof(al_value2) - 1;
	memmove(al_value2, value, len);
	for (i = 0; i < n; i++) {
		len = al_replace_one(&r[i], al_value2, len, out, size);
		if (i + 1 < n)
			memcpy(al_value2, out, len + 1);
	}
	return len;
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
 * the replacers of hs; in al_value.
 */
static size_t
al_joined_value(const struct http_msg *m, const char *buf, uint32_t i,
    const struct conf_log_header *hs)
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
	return accesslog_replace(hs->replacers, hs->nreplacers, joined, n,
	    al_value, sizeof(al_value));
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
		n = al_joined_value(m, buf, i, hs);
		if (!first)
			al_put(b, ",", 1);
		first = 0;
		al_put_canon(b, buf + f->name.off, f->name.len);
		al_put(b, ":", 1);
		al_put_json(b, al_value, n);
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
		*len = al_joined_value(m, buf, i, hs);
		return al_value;
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
		else if (TAG("body"))
			;
		else if (TAG("header"))
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
	log_write_line(lg->fd, b->p, b->len);
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
	char qbuf[AL_VALUE_MAX];

	if (hl->format == ACCESS_COMBINED || (lg = al_logger(hl)) == NULL)
		return;
	v.type = type;
	if (v.query != NULL && spec->nqueries > 0) {
		v.qlen = accesslog_replace(spec->queries, spec->nqueries,
		    v.query, v.qlen, qbuf, sizeof(qbuf));
		v.query = qbuf;
	}
	al_time(hl, ts, v.time, sizeof(v.time));
	if (spec->log_format != NULL && *spec->log_format != '\0') {
		b->len = 0;
		al_template(b, spec, spec->log_format, &v, NULL);
		log_write_line(lg->fd, b->p, b->len);
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

void
accesslog_server_request(const struct conf_httplogger *hl, struct request *r)
{
	struct al_reqview rq;
	char remote[72];

	al_remote(r, remote, sizeof(remote));
	al_reqview_init(&rq, r->msg, r->buf, request_id(r), remote);
	al_emit_request(hl, &rq, "server", &r->start);
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
			log_write_line(lg->fd, b->p, b->len);
		}
		return;
	}
	v.type = type;
	al_time(hl, ts, v.time, sizeof(v.time));
	if (spec->log_format != NULL && *spec->log_format != '\0') {
		b->len = 0;
		al_template(b, spec, spec->log_format, NULL, &v);
		log_write_line(lg->fd, b->p, b->len);
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
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	memset(&rs, 0, sizeof(rs));
	rs.id = request_id(r);
	rs.duration = al_usec(&r->start, &now);
	rs.status = 499; /* nothing was sent: the client went away */
	rs.size = -1;
	if (resp->started) {
		/* What the writer sent: never re-parsed. */
		rs.r = &resp->head;
		rs.buf = resp->head_buf;
		rs.status = resp->status;
		rs.size = resp->log_size;
	}
	al_emit_response(hl, r, &rs, "server", &now);
}

void
accesslog_client_request(const struct conf_httplogger *hl, struct request *r,
    const struct exchange *x)
{
	static struct http_msg m;
	struct http_limits lim;
	struct al_reqview rq;

	/* The head we built (tripperware logging only): its fields. */
	memset(&lim, 0, sizeof(lim));
	lim.max_head = (uint32_t)x->head_len;
	lim.max_line = (uint32_t)x->head_len;
	http_request_init(&m, &lim);
	if (http_parse_request(&m, x->head, x->head_len) != HTTP_PARSE_DONE)
		return; /* we built it: cannot happen */
	al_reqview_init(&rq, &m, x->head, request_id(r), "");
	rq.host = x->up->authority;
	rq.hlen = strlen(x->up->authority);
	al_emit_request(hl, &rq, "client", &x->start);
}

void
accesslog_client_response(const struct conf_httplogger *hl, struct request *r,
    const struct exchange *x)
{
	struct al_respview rs;
	struct timespec now;

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
