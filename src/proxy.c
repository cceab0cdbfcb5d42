/* Reverse proxy: serve one client connection, forwarding each request upstream. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accesslog.h"
#include "status.h"
#include "balance.h"
#include "conn.h"
#include "errpage.h"
#include "health.h"
#include "http.h"
#include "http_target.h"
#include "log.h"
#include "proxy.h"
#include "scoreboard.h"
#include "splice.h"
#include "tls.h"
#include "upstream.h"

#define PROXY_HEAD_SLACK        4096 /* Go allows maxHeaderBytes + 4096 */
#define PROXY_UBUF_SIZE         (64 * 1024) /* upstream head and body buffer */
#define PROXY_BODY_SIZE         (64 * 1024) /* client body buffer */
#define PROXY_PATH_MAX          8192
#define PROXY_MAX_RESPONSE_HEAD (64 * 1024)
#define PROXY_SPLICE_MIN        (64 * 1024) /* splice bodies this long */

struct proxy {
	struct conf *conf;
	struct routes *routes;
	struct upstream_pool *pool;
	const volatile sig_atomic_t *stopping; /* set by the stop signal */
	struct http_msg msg;                   /* the request being served */
	struct http_msg resp;                  /* its upstream response */
	char *cbuf; /* client request heads (and pipelined bytes) */
	size_t csize;
	char *bbuf; /* client body relay */
	char *ubuf; /* upstream response */
	char *obuf; /* outbound head being built */
	size_t osize;
	const struct conf_errhandler *eh; /* for the request being served */
	struct conf_client defclient;     /* the built-in transport */
	struct splice_pipe pipe;          /* zero-copy relay of long bodies */
	/* proxy_new() zeroes all fields but these three path buffers. */
	char path[PROXY_PATH_MAX];  /* decoded request path */
	char upath[PROXY_PATH_MAX]; /* upstream path, decoded */
	char epath[PROXY_PATH_MAX * 3];
	/* the request's Host, or its absolute-form authority; NULL: none */
	const char *host;
	size_t host_len;
};

/* The built-in transport when a proxy names no roundTripper (reference 2.4). */
static const struct conf_client proxy_default_client = {
	.dial_timeout = UPSTREAM_DIAL_TIMEOUT_MS,
	.idle_timeout = UPSTREAM_IDLE_TIMEOUT_MS,
	.tls_handshake_timeout = UPSTREAM_TLS_TIMEOUT_MS,
};

/* What happened to a forwarded request. */
enum proxy_result { PROXY_KEEP, PROXY_CLOSE };

/* Body state of the client request while it is forwarded. */
struct reqbody {
	int kind;      /* enum http_body */
	uint64_t left; /* LENGTH: bytes still to read from the client */
	struct http_chunked chunked;
	int done;         /* the whole body has been read */
	size_t extra_off; /* pipelined bytes after the body */
	size_t extra_len;
	int extra_in_bbuf; /* ... in bbuf rather than cbuf */
	int status;        /* to answer when reading the body failed, or 0 */
};

struct proxy *
proxy_new(
    struct conf *c, struct routes *rt, const volatile sig_atomic_t *stopping)
{
	struct proxy *px = malloc(sizeof(*px));
	size_t i, max = 8192, tail;

	if (px == NULL)
		fatal("malloc");
	/*
	 * Not calloc: zeroing the 40 KiB of path buffers would make those
	 * pages private to every idle worker; they are written before use.
	 */
	tail = offsetof(struct proxy, epath) + sizeof(px->epath);
	memset(px, 0, offsetof(struct proxy, path));
	memset((char *)px + tail, 0, sizeof(*px) - tail);
	px->path[0] = px->upath[0] = px->epath[0] = '\0';
	splice_init(&px->pipe);
	for (i = 0; i < c->nservers; i++)
		if ((size_t)c->servers[i]->max_header_bytes > max)
			max = (size_t)c->servers[i]->max_header_bytes;
	px->conf = c;
	px->routes = rt;
	px->stopping = stopping;
	px->csize = max + PROXY_HEAD_SLACK;
	px->osize = px->csize * 2 + 1024;
	px->cbuf = malloc(px->csize);
	px->bbuf = malloc(PROXY_BODY_SIZE);
	px->ubuf = malloc(PROXY_UBUF_SIZE);
	px->obuf = malloc(px->osize);
	if (px->cbuf == NULL || px->bbuf == NULL || px->ubuf == NULL ||
	    px->obuf == NULL)
		fatal("malloc");
	px->pool = upstream_pool_new();
	return px;
}

void
proxy_free(struct proxy *px)
{
	if (px == NULL)
		return;
	upstream_pool_free(px->pool);
	splice_close(&px->pipe);
	free(px->cbuf);
	free(px->bbuf);
	free(px->ubuf);
	free(px->obuf);
	free(px);
}

void
proxy_expire_idle(struct proxy *px)
{
	upstream_expire(px->pool);
}

/* Fill cl->ip and cl->port from a peer address (IPv4-mapped shown as IPv4). */
static void
proxy_peer(struct client *cl, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], cl->ip,
			    sizeof(cl->ip));
		else
			inet_ntop(
			    AF_INET6, &s6->sin6_addr, cl->ip, sizeof(cl->ip));
		snprintf(
		    cl->port, sizeof(cl->port), "%u", ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, cl->ip, sizeof(cl->ip));
		snprintf(cl->port, sizeof(cl->port), "%u", ntohs(s4->sin_port));
	} else {
		/* A unix socket: no address (as Go, which cannot split it). */
		cl->ip[0] = '\0';
		cl->port[0] = '\0';
	}
}

/* The message of an error code, for ErrorHandler messages matchers. */
static const char *
proxy_error_message(const char *code)
{
	if (code == NULL)
		return "";
	if (strcmp(code, ERRPAGE_NO_UPSTREAM) == 0)
		return "cannot find upstream";
	if (strcmp(code, ERRPAGE_UNAVAILABLE) == 0)
		return "upstream unavailable";
	if (strcmp(code, ERRPAGE_TIMEOUT) == 0)
		return "upstream timeout";
	if (strcmp(code, ERRPAGE_SWITCH) == 0)
		return "protocol switch failed";
	if (strcmp(code, ERRPAGE_NOT_FOUND) == 0)
		return "not found";
	return "upstream round trip failed";
}

/* Send an AILERON-style error response; returns PROXY_KEEP or PROXY_CLOSE. */
static enum proxy_result
proxy_error(struct proxy *px, struct client *cl, const struct http_msg *m,
    int status, int close, const char *code)
{
	const char *accept = NULL;
	char *custom;
	size_t alen = 0, n;
	int i;

	if (m != NULL && (i = http_find(m, HDR_ACCEPT)) >= 0) {
		accept = px->cbuf + m->fields[i].value.off;
		alen = m->fields[i].value.len;
	}
	/* An HTTP/1.0 client would need "Connection: keep-alive": close. */
	if (m == NULL || !m->keep_alive || m->version_minor == 0 ||
	    *px->stopping || cl->srv->disable_keep_alive)
		close = 1;
	scoreboard_response(status);
	/* An ErrorHandler's errorMessages may replace the default body. */
	if (m != NULL && px->eh != NULL &&
	    (custom = errpage_format(px->eh, status, code,
	         proxy_error_message(code), px->path, strlen(px->path), accept,
	         alen, close, &n)) != NULL) {
		i = conn_write(&cl->io, custom, n, cl->write_deadline);
		free(custom);
		if (i < 0)
			return PROXY_CLOSE;
		return close ? PROXY_CLOSE : PROXY_KEEP;
	}
	n = http_error_format(px->obuf, px->osize, status, accept, alen, close);
	if (n == 0 || conn_write(&cl->io, px->obuf, n, cl->write_deadline) < 0)
		return PROXY_CLOSE;
	return close ? PROXY_CLOSE : PROXY_KEEP;
}

/* Send a plain-text protocol error and close. */
static enum proxy_result
proxy_plain_error(struct proxy *px, struct client *cl, int status)
{
	size_t n = http_plain_error_format(px->obuf, px->osize, status);

	scoreboard_response(status);
	if (n > 0)
		(void)conn_write(&cl->io, px->obuf, n, conn_deadline(1000));
	return PROXY_CLOSE;
}

/*
 * Parse the request head in cbuf, reading more bytes only while they are
 * already there.  Returns HTTP_PARSE_DONE, HTTP_PARSE_AGAIN (nothing more
 * to read now), an error status to send, or -1 to close quietly (EOF).
 * m must be the parser state of the bytes already in cbuf.
 */
static int
proxy_head_nowait(struct proxy *px, struct client *cl, struct http_msg *m)
{
	int rc;

	for (;;) {
		ssize_t r;

		if (cl->len > 0) {
			rc = http_parse_request(m, px->cbuf, cl->len);
			if (rc != HTTP_PARSE_AGAIN)
				return rc;
			if (cl->len >= px->csize)
				return 431;
		}
		r = conn_read_now(
		    &cl->io, px->cbuf + cl->len, px->csize - cl->len);
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK
			    ? HTTP_PARSE_AGAIN
			    : -1;
		if (cl->len == 0)
			cl->head_start = conn_now_ms();
		cl->len += (size_t)r;
	}
}

/* Append s[0..n) to the outbound head; -1 when it does not fit. */
static int
proxy_out(struct proxy *px, size_t *o, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (*o + n > px->osize)
		return -1;
	memcpy(px->obuf + *o, s, n);
	*o += n;
	return 0;
}

/* Append a NUL-terminated string to the outbound head. */
static int
proxy_outs(struct proxy *px, size_t *o, const char *s)
{
	return proxy_out(px, o, s, strlen(s));
}

/* Append "Name: value\r\n" for field f of a head stored in buf. */
static int
proxy_out_field(
    struct proxy *px, size_t *o, const char *buf, const struct http_field *f)
{
	if (proxy_out(px, o, buf + f->name.off, f->name.len) < 0 ||
	    proxy_out(px, o, ": ", 2) < 0 ||
	    proxy_out(px, o, buf + f->value.off, f->value.len) < 0 ||
	    proxy_out(px, o, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/* Append the X-Forwarded-For header: prior values, then the client IP. */
static int
proxy_out_xff(struct proxy *px, size_t *o, const struct http_msg *m,
    const struct client *cl)
{
	uint32_t i;
	int any = 0;

	if (proxy_outs(px, o, "X-Forwarded-For: ") < 0)
		return -1;
	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if (f->id != HDR_X_FORWARDED_FOR)
			continue;
		if ((any && proxy_out(px, o, ", ", 2) < 0) ||
		    proxy_out(px, o, px->cbuf + f->value.off, f->value.len) < 0)
			return -1;
		any = 1;
	}
	if ((any && proxy_out(px, o, ", ", 2) < 0) ||
	    proxy_outs(px, o, cl->ip) < 0 || proxy_out(px, o, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/*
 * Build the upstream request head in obuf: request line with the encoded
 * upstream path and joined query, the client's end-to-end headers, then
 * Host and the X-Forwarded-* headers.  Returns its length or 0.
 */
static size_t
proxy_build_request(struct proxy *px, const struct client *cl,
    const struct http_msg *m, const struct conf_upstream *up,
    const struct conf_client *cc, const char *query, size_t qlen)
{
	const char *buf = px->cbuf;
	size_t o = 0;
	uint32_t i;
	int elen;

	elen = route_encode_path(
	    px->upath, strlen(px->upath), px->epath, sizeof(px->epath));
	if (elen < 0)
		return 0;
	if (elen == 0)
		strcpy(px->epath, "/");
	if (proxy_out(px, &o, buf + m->method.off, m->method.len) < 0 ||
	    proxy_out(px, &o, " ", 1) < 0 || proxy_outs(px, &o, px->epath) < 0)
		return 0;
	if (up->query != NULL || qlen > 0) {
		if (proxy_out(px, &o, "?", 1) < 0)
			return 0;
		if (up->query != NULL && proxy_outs(px, &o, up->query) < 0)
			return 0;
		if (up->query != NULL && qlen > 0 &&
		    proxy_out(px, &o, "&", 1) < 0)
			return 0;
		if (qlen > 0 && proxy_out(px, &o, query, qlen) < 0)
			return 0;
	}
	if (proxy_outs(px, &o, " HTTP/1.1\r\nHost: ") < 0 ||
	    proxy_outs(px, &o, up->authority) < 0 ||
	    proxy_out(px, &o, "\r\n", 2) < 0)
		return 0;
	for (i = 0; i < m->nfields; i++) {
		const struct http_field *f = &m->fields[i];

		if ((f->flags & HTTP_FIELD_HOP) || f->id == HDR_HOST ||
		    f->id == HDR_X_FORWARDED_FOR ||
		    f->id == HDR_X_FORWARDED_HOST ||
		    f->id == HDR_X_FORWARDED_PORT ||
		    f->id == HDR_X_FORWARDED_PROTO || f->id == HDR_EXPECT)
			continue;
		if (proxy_out_field(px, &o, buf, f) < 0)
			return 0;
	}
	if (m->te_trailers && proxy_outs(px, &o, "Te: trailers\r\n") < 0)
		return 0;
	if (m->conn_upgrade) {
		if (proxy_outs(px, &o, "Connection: Upgrade\r\n") < 0)
			return 0;
		for (i = 0; i < m->nfields; i++)
			if (m->fields[i].id == HDR_UPGRADE &&
			    proxy_out_field(px, &o, buf, &m->fields[i]) < 0)
				return 0;
	}
	if (!m->conn_upgrade && cc->disable_keep_alives &&
	    proxy_outs(px, &o, "Connection: close\r\n") < 0)
		return 0;
	if (m->body == HTTP_BODY_CHUNKED &&
	    proxy_outs(px, &o, "Transfer-Encoding: chunked\r\n") < 0)
		return 0;
	/* As Go does: methods that expect a body say when it is empty. */
	if (m->body == HTTP_BODY_NONE && m->cl_index < 0 &&
	    (m->method_id == HTTP_M_POST || m->method_id == HTTP_M_PUT ||
	        m->method_id == HTTP_M_PATCH) &&
	    proxy_outs(px, &o, "Content-Length: 0\r\n") < 0)
		return 0;
	/* A unix-socket peer has no address: no X-Forwarded-For/-Port. */
	if (cl->ip[0] != '\0' &&
	    (proxy_out_xff(px, &o, m, cl) < 0 ||
	        proxy_outs(px, &o, "X-Forwarded-Port: ") < 0 ||
	        proxy_outs(px, &o, cl->port) < 0 ||
	        proxy_out(px, &o, "\r\n", 2) < 0))
		return 0;
	if (proxy_outs(px, &o, "X-Forwarded-Host: ") < 0 ||
	    proxy_out(px, &o, px->host, px->host_len) < 0 ||
	    proxy_outs(px, &o,
	        cl->io.ssl != NULL ? "\r\nX-Forwarded-Proto: https\r\n\r\n"
	                           : "\r\nX-Forwarded-Proto: http\r\n\r\n") < 0)
		return 0;
	return o;
}

/*
 * Take the body bytes that arrived with the head (cbuf after the head):
 * returns how many of them belong to the body, and records where any
 * pipelined bytes after the body start.  -1 on a malformed chunked body.
 */
static ssize_t
proxy_body_start(struct proxy *px, struct client *cl, const struct http_msg *m,
    struct reqbody *rb)
{
	size_t avail = cl->len - m->head_len, used = 0;
	int rc;

	memset(rb, 0, sizeof(*rb));
	rb->kind = m->body;
	switch (m->body) {
	case HTTP_BODY_LENGTH:
		used = avail < m->content_length ? avail
		                                 : (size_t)m->content_length;
		rb->left = m->content_length - used;
		rb->done = rb->left == 0;
		break;
	case HTTP_BODY_CHUNKED:
		http_chunked_init(
		    &rb->chunked, (uint32_t)cl->srv->max_trailer_bytes);
		rc = http_chunked_parse(
		    &rb->chunked, px->cbuf + m->head_len, avail, &used, NULL);
		if (rc == HTTP_CHUNK_ERROR)
			return -1;
		rb->done = rc == HTTP_CHUNK_DONE;
		break;
	default:
		rb->done = 1;
		break;
	}
	rb->extra_off = m->head_len + used;
	rb->extra_len = avail - used;
	return (ssize_t)used;
}

/*
 * Read the next piece of the request body from the client into bbuf.
 * Returns the number of bytes to forward, 0 when the body is complete,
 * -1 on error (client gone, timeout, malformed chunk).
 */
static ssize_t
proxy_body_read(struct proxy *px, struct client *cl, struct reqbody *rb)
{
	size_t want = PROXY_BODY_SIZE, used = 0;
	ssize_t r;
	int rc;

	if (rb->done)
		return 0;
	if (rb->kind == HTTP_BODY_LENGTH && rb->left < want)
		want = (size_t)rb->left;
	r = conn_read(&cl->io, px->bbuf, want, cl->read_deadline);
	if (r < 0 && errno == ETIMEDOUT)
		rb->status = 408; /* readTimeout: the body came too slowly */
	if (r <= 0)
		return -1;
	if (rb->kind == HTTP_BODY_LENGTH) {
		rb->left -= (uint64_t)r;
		rb->done = rb->left == 0;
		return r;
	}
	rc = http_chunked_parse(&rb->chunked, px->bbuf, (size_t)r, &used, NULL);
	if (rc == HTTP_CHUNK_ERROR) {
		rb->status = 400;
		return -1;
	}
	if (rc == HTTP_CHUNK_DONE) {
		rb->done = 1;
		/* Bytes after the body are the next pipelined request. */
		rb->extra_in_bbuf = 1;
		rb->extra_off = used;
		rb->extra_len = (size_t)r - used;
	}
	return (ssize_t)used;
}

/* Status to answer when talking to the upstream failed with errno err. */
static int
proxy_upstream_status(int err)
{
	return err == ETIMEDOUT ? 504 : 502;
}

/*
 * Read and parse the upstream response head into ubuf, skipping interim
 * 1xx responses other than 101.  Returns HTTP_PARSE_DONE with *ulen the
 * bytes in ubuf, or a status (502/504) with *got set when any byte came.
 */
static int
proxy_read_response(struct proxy *px, struct client *cl, struct io *uio,
    const struct conf_client *cc, struct http_msg *r, int method, size_t *ulen,
    int *got)
{
	struct http_limits lim;
	int64_t deadline = cl->write_deadline;
	size_t len = 0;
	int rc;

	memset(&lim, 0, sizeof(lim));
	lim.max_head = PROXY_MAX_RESPONSE_HEAD;
	if (cc->max_response_header_bytes > 0 &&
	    cc->max_response_header_bytes < PROXY_MAX_RESPONSE_HEAD)
		lim.max_head = (uint32_t)cc->max_response_header_bytes;
	lim.max_line = lim.max_head;
	if (cc->response_header_timeout > 0) {
		int64_t rht = conn_deadline(cc->response_header_timeout);

		if (deadline == 0 || rht < deadline)
			deadline = rht;
	}
	*got = 0;
	http_response_init(r, &lim, method);
	for (;;) {
		ssize_t n = conn_read(
		    uio, px->ubuf + len, PROXY_UBUF_SIZE - len, deadline);

		if (n < 0)
			return proxy_upstream_status(errno);
		if (n == 0)
			return 502;
		*got = 1;
		len += (size_t)n;
		for (;;) {
			rc = http_parse_response(r, px->ubuf, len);
			if (rc == HTTP_PARSE_AGAIN)
				break;
			if (rc != HTTP_PARSE_DONE)
				return 502;
			if (r->status >= 200 || r->status == 101) {
				*ulen = len;
				return HTTP_PARSE_DONE;
			}
			/* Interim response: drop it and parse what follows. */
			memmove(px->ubuf, px->ubuf + r->head_len,
			    len - r->head_len);
			len -= r->head_len;
			http_response_init(r, &lim, method);
			if (len == 0)
				break;
		}
		if (len >= PROXY_UBUF_SIZE)
			return 502;
	}
}

/* How the response body travels to the client. */
enum resp_mode {
	RESP_NONE,    /* no body */
	RESP_LENGTH,  /* Content-Length bytes, verbatim */
	RESP_CHUNKED, /* chunked, verbatim */
	RESP_DECHUNK, /* chunked upstream, close-delimited to a 1.0 client */
	RESP_RECHUNK, /* close-delimited upstream, chunked to a 1.1 client */
	RESP_CLOSE    /* close-delimited both ways */
};

/* Choose how to relay a response body of kind body to this client. */
static int
proxy_resp_mode(const struct http_msg *req, const struct http_msg *r)
{
	switch (r->body) {
	case HTTP_BODY_LENGTH:
		return RESP_LENGTH;
	case HTTP_BODY_CHUNKED:
		return req->version_minor >= 1 ? RESP_CHUNKED : RESP_DECHUNK;
	case HTTP_BODY_CLOSE:
		return req->version_minor >= 1 ? RESP_RECHUNK : RESP_CLOSE;
	default:
		return RESP_NONE;
	}
}

/* Build the client response head in obuf; returns its length or 0. */
static size_t
proxy_build_response(struct proxy *px, const struct http_msg *req,
    const struct http_msg *r, int mode, int keep)
{
	const char *buf = px->ubuf;
	char line[64];
	size_t o = 0;
	uint32_t i;
	int has_date = 0;

	snprintf(line, sizeof(line), "HTTP/1.1 %03d ", r->status);
	if (proxy_outs(px, &o, line) < 0 ||
	    proxy_out(px, &o, buf + r->reason.off, r->reason.len) < 0 ||
	    proxy_out(px, &o, "\r\n", 2) < 0)
		return 0;
	for (i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (f->flags & HTTP_FIELD_HOP)
			continue;
		if (f->id == HDR_DATE)
			has_date = 1;
		if (proxy_out_field(px, &o, buf, f) < 0)
			return 0;
	}
	if (!has_date &&
	    (proxy_outs(px, &o, "Date: ") < 0 ||
	        proxy_outs(px, &o, http_date_now()) < 0 ||
	        proxy_out(px, &o, "\r\n", 2) < 0))
		return 0;
	if ((mode == RESP_CHUNKED || mode == RESP_RECHUNK) &&
	    proxy_outs(px, &o, "Transfer-Encoding: chunked\r\n") < 0)
		return 0;
	/* Trailers travel with a chunked body: keep their announcement. */
	for (i = 0; mode == RESP_CHUNKED && i < r->nfields; i++)
		if (r->fields[i].id == HDR_TRAILER &&
		    proxy_out_field(px, &o, buf, &r->fields[i]) < 0)
			return 0;
	if (!keep && proxy_outs(px, &o, "Connection: close\r\n") < 0)
		return 0;
	if (keep && req->version_minor == 0 &&
	    proxy_outs(px, &o, "Connection: keep-alive\r\n") < 0)
		return 0;
	if (proxy_out(px, &o, "\r\n", 2) < 0)
		return 0;
	return o;
}

/* Write data to the client as one chunk (RESP_RECHUNK). */
static int
proxy_write_chunk(struct client *cl, const char *data, size_t n)
{
	struct iovec iov[3];
	char hdr[24];

	if (n == 0)
		return 0;
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = n;
	iov[2].iov_base = (void *)(uintptr_t) "\r\n";
	iov[2].iov_len = 2;
	return conn_writev(&cl->io, iov, 3, cl->write_deadline);
}

/* State of a response body relay. */
struct respbody {
	int mode;
	uint64_t left; /* RESP_LENGTH */
	struct http_chunked chunked;
	int done;
	int extra; /* bytes came after the body: never reuse the upstream */
	const char *head; /* response head not sent yet, goes with the body */
	size_t hlen;
};

/*
 * Write the pending response head (if any) and data[0..n) to the client in
 * one writev: a small response leaves as one segment instead of two.
 */
static int
proxy_resp_send(
    struct client *cl, struct respbody *rb, const char *data, size_t n)
{
	struct iovec iov[2];

	iov[0].iov_base = (void *)(uintptr_t)rb->head;
	iov[0].iov_len = rb->hlen;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = n;
	rb->head = NULL;
	rb->hlen = 0;
	return conn_writev(&cl->io, iov, 2, cl->write_deadline);
}

/*
 * Forward one slice of upstream body bytes to the client according to the
 * mode; sets rb->done at the end of the body.  -1 on error.
 */
static int
proxy_resp_forward(
    struct client *cl, struct respbody *rb, const char *data, size_t n)
{
	size_t used = 0, off = 0;
	struct http_span span;
	int rc;

	switch (rb->mode) {
	case RESP_LENGTH:
		if (n > rb->left) {
			n = (size_t)rb->left; /* upstream bug: drop the rest */
			rb->extra = 1;
		}
		rb->left -= n;
		rb->done = rb->left == 0;
		return proxy_resp_send(cl, rb, data, n);
	case RESP_CHUNKED:
		rc = http_chunked_parse(&rb->chunked, data, n, &used, NULL);
		if (rc == HTTP_CHUNK_ERROR) {
			/* The head still goes out; the body is cut. */
			(void)proxy_resp_send(cl, rb, NULL, 0);
			return -1;
		}
		rb->done = rc == HTTP_CHUNK_DONE;
		rb->extra = rb->done && used < n;
		return proxy_resp_send(cl, rb, data, used);
	case RESP_DECHUNK:
		if (rb->hlen > 0 && proxy_resp_send(cl, rb, NULL, 0) < 0)
			return -1;
		while (off < n && !rb->done) {
			rc = http_chunked_parse(
			    &rb->chunked, data + off, n - off, &used, &span);
			if (rc == HTTP_CHUNK_ERROR)
				return -1;
			if (span.len > 0 &&
			    conn_write(&cl->io, data + off + span.off, span.len,
			        cl->write_deadline) < 0)
				return -1;
			rb->done = rc == HTTP_CHUNK_DONE;
			off += used;
			if (used == 0 && span.len == 0)
				break;
		}
		rb->extra = rb->done && off < n;
		return 0;
	case RESP_RECHUNK:
		if (rb->hlen > 0 && proxy_resp_send(cl, rb, NULL, 0) < 0)
			return -1;
		return proxy_write_chunk(cl, data, n);
	case RESP_CLOSE:
		return proxy_resp_send(cl, rb, data, n);
	default:
		rb->done = 1;
		return 0;
	}
}

/*
 * Relay the response head and body: the head with the body bytes that came
 * with it, then everything read from the upstream until the body ends (a
 * head without body bytes is sent at once, not held back).  Returns 0 when
 * the response was relayed completely, -1 otherwise.
 */
static int
proxy_relay_response(struct proxy *px, struct client *cl, struct io *uio,
    struct respbody *rb, size_t off, size_t len)
{
	if (rb->mode == RESP_NONE ||
	    (rb->mode == RESP_LENGTH && rb->left == 0)) {
		rb->done = 1;
		rb->extra = len > off;
		return proxy_resp_send(cl, rb, NULL, 0);
	}
	if (len > off) {
		if (proxy_resp_forward(cl, rb, px->ubuf + off, len - off) < 0)
			return -1;
	} else if (proxy_resp_send(cl, rb, NULL, 0) < 0)
		return -1;
	/*
	 * A long body of known length between two plain sockets moves through
	 * a pipe with splice(2): no copy to and from user space.
	 */
	if (rb->mode == RESP_LENGTH && rb->left >= PROXY_SPLICE_MIN &&
	    rb->hlen == 0 && uio->ssl == NULL && cl->io.ssl == NULL &&
	    conn_pending(uio) == 0) {
		if (splice_relay(&px->pipe, uio->fd, cl->io.fd, rb->left,
		        cl->write_deadline) < 0)
			return -1;
		rb->left = 0;
		rb->done = 1;
	}
	while (!rb->done) {
		ssize_t n = conn_read(
		    uio, px->ubuf, PROXY_UBUF_SIZE, cl->write_deadline);

		if (n < 0)
			return -1;
		if (n == 0) {
			if (rb->mode == RESP_RECHUNK) {
				rb->done = 1;
				return conn_write(&cl->io, "0\r\n\r\n", 5,
				    cl->write_deadline);
			}
			if (rb->mode == RESP_CLOSE) {
				rb->done = 1;
				return 0;
			}
			return -1; /* upstream closed early */
		}
		if (proxy_resp_forward(cl, rb, px->ubuf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/*
 * Copy bytes both ways between client and upstream until one side ends
 * or nothing moved for the server's readTimeout (the tunnel idle timeout).
 */
static void
proxy_tunnel(struct proxy *px, struct client *cl, struct io *uio)
{
	struct io *ios[2] = { &cl->io, uio };
	struct pollfd pfd[2];
	int i,
	    idle =
	        cl->srv->read_timeout > 0 && cl->srv->read_timeout < INT32_MAX
	    ? (int)cl->srv->read_timeout
	    : -1;

	for (;;) {
		int ready[2];

		for (i = 0; i < 2; i++) {
			pfd[i].fd = ios[i]->fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			ready[i] = conn_pending(ios[i]) > 0;
		}
		if (!ready[0] && !ready[1]) {
			int n = poll(pfd, 2, idle);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return; /* error or idle too long */
			for (i = 0; i < 2; i++)
				ready[i] = pfd[i].revents != 0;
		}
		for (i = 0; i < 2; i++) {
			ssize_t r;

			if (!ready[i])
				continue;
			r = conn_read_now(ios[i], px->bbuf, PROXY_BODY_SIZE);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
			if (r <= 0 ||
			    conn_write(ios[1 - i], px->bbuf, (size_t)r,
			        conn_deadline(cl->srv->write_timeout)) < 0)
				return;
		}
	}
}

/* Send the request head, the body bytes already here, and the rest. */
static int
proxy_send_request(struct proxy *px, struct client *cl,
    const struct http_msg *m, struct io *uio, size_t hlen, struct reqbody *rb,
    const char *body, size_t blen, int *body_sent)
{
	struct iovec iov[2];
	ssize_t n;

	*body_sent = 0;
	iov[0].iov_base = px->obuf;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = blen;
	if (conn_writev(uio, iov, 2, cl->write_deadline) < 0)
		return -1;
	if (!rb->done && m->expect_continue && blen == 0 &&
	    conn_write(&cl->io, "HTTP/1.1 100 Continue\r\n\r\n", 25,
	        cl->write_deadline) < 0)
		return -1;
	while ((n = proxy_body_read(px, cl, rb)) > 0) {
		*body_sent = 1;
		if (conn_write(uio, px->bbuf, (size_t)n, cl->write_deadline) <
		    0)
			return -1;
	}
	if (n < 0)
		return -2; /* client side failed */
	return 0;
}

/* The first value of header id in a head stored in buf, or NULL. */
static const struct http_span *
proxy_field(const struct http_msg *m, int id)
{
	uint32_t i;

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].id == id)
			return &m->fields[i].value;
	return NULL;
}

/* Does the response's Upgrade equal the request's (ignoring case)? */
static int
proxy_same_upgrade(const char *qbuf, const struct http_msg *q, const char *rbuf,
    const struct http_msg *r)
{
	const struct http_span *a = proxy_field(q, HDR_UPGRADE);
	const struct http_span *b = proxy_field(r, HDR_UPGRADE);

	return a != NULL && b != NULL && a->len == b->len &&
	    strncasecmp(qbuf + a->off, rbuf + b->off, a->len) == 0;
}

/*
 * Read a whole Content-Length body (first bytes already in cbuf) into a
 * malloc'd buffer so that a retry can send it again.  NULL when the
 * client fails.
 */
static char *
proxy_buffer_body(struct proxy *px, struct client *cl, const struct http_msg *m,
    struct reqbody *rb, size_t first)
{
	size_t len = (size_t)m->content_length;
	char *b = malloc(len > 0 ? len : 1);
	ssize_t n;

	if (b == NULL)
		fatal("malloc");
	memcpy(b, px->cbuf + m->head_len, first);
	if (!rb->done && m->expect_continue && first == 0 &&
	    conn_write(&cl->io, "HTTP/1.1 100 Continue\r\n\r\n", 25,
	        cl->write_deadline) < 0) {
		free(b);
		return NULL;
	}
	while ((n = proxy_body_read(px, cl, rb)) > 0) {
		memcpy(b + first, px->bbuf, (size_t)n);
		first += (size_t)n;
	}
	if (n < 0) {
		free(b);
		return NULL;
	}
	return b;
}

/* Is status one of cc's retryStatusCodes? */
static int
proxy_retry_status(const struct conf_client *cc, int status)
{
	size_t i;

	for (i = 0; i < cc->nretry_status; i++)
		if (cc->retry_status[i] == status)
			return 1;
	return 0;
}

/* Sleep before retry n (0-based): full jitter, base 1 ms, cap 10 s. */
static void
proxy_backoff(unsigned n)
{
	uint32_t cap = n >= 14 ? 10000 : (1u << n);

	if (cap > 10000)
		cap = 10000;
	(void)poll(NULL, 0, (int)arc4random_uniform(cap + 1));
}

/*
 * Forward one request to upstream up through client cc and relay the
 * response.  Returns PROXY_KEEP when the client connection may serve
 * another request.
 */
static enum proxy_result
proxy_forward(struct proxy *px, struct client *cl, struct http_msg *m,
    const struct conf_upstream *up, const struct conf_client *cc,
    const char *query, size_t qlen)
{
	struct http_msg *r = &px->resp;
	struct io uio = { -1, NULL };
	struct reqbody rb;
	struct respbody sb;
	size_t hlen, ulen = 0, rlen, blen;
	ssize_t first;
	char *replay = NULL;
	const char *body;
	int reused, rc, got, sent, keep, mode, status, stale = 0;
	int replayable;
	unsigned attempt;
	int64_t t0;
	enum proxy_result res = PROXY_CLOSE;

	memset(&rb, 0, sizeof(rb));
	if ((hlen = proxy_build_request(px, cl, m, up, cc, query, qlen)) == 0) {
		res = proxy_error(px, cl, m, 500, 1, ERRPAGE_ROUNDTRIP);
		goto out;
	}
	accesslog_client_request(up, px->obuf, hlen);
	if ((first = proxy_body_start(px, cl, m, &rb)) < 0) {
		res = proxy_plain_error(px, cl, 400);
		goto out;
	}
	/* Only what can be sent again is retried: no body, or a small one. */
	replayable = cc->max_retry > 0 &&
	    (m->body == HTTP_BODY_NONE ||
	        (m->body == HTTP_BODY_LENGTH &&
	            m->content_length <= (uint64_t)cc->max_content_length));
	body = px->cbuf + m->head_len;
	blen = (size_t)first;
	if (replayable && m->body == HTTP_BODY_LENGTH && !rb.done) {
		if ((replay = proxy_buffer_body(px, cl, m, &rb, blen)) == NULL)
			goto out;
		body = replay;
		blen = (size_t)m->content_length;
	}
	for (attempt = 0;; attempt++) {
		t0 = scoreboard_clock();
		if (upstream_get(px->pool, up, cc, &uio, &reused) < 0) {
			status = proxy_upstream_status(errno);
			scoreboard_upstream_error(up->url);
			log_error("upstream %s: connect: %s", up->url,
			    strerror(errno));
			health_report(up, 0);
			goto failed;
		}
		rc = proxy_send_request(
		    px, cl, m, &uio, hlen, &rb, body, blen, &sent);
		if (rc == -2) {
			/* The client failed while sending the body. */
			if (rb.status != 0)
				res = proxy_plain_error(px, cl, rb.status);
			goto out;
		}
		if (rc == 0)
			rc = proxy_read_response(
			    px, cl, &uio, cc, r, m->method_id, &ulen, &got);
		else
			got = 0;
		if (rc == HTTP_PARSE_DONE) {
			accesslog_client_response(up, r, px->ubuf);
			scoreboard_upstream_response(
			    up->url, r->status, scoreboard_clock() - t0);
			health_report(up, 1);
			if (!replayable || !proxy_retry_status(cc, r->status))
				break;
			conn_close(&uio);
			status = 502;
			scoreboard_upstream_error(up->url);
			log_error("upstream %s: status %d (attempt %u)",
			    up->url, r->status, attempt + 1);
			goto failed;
		}
		/* A pooled connection the upstream closed: retry once. */
		if (reused && !got && (!sent || replayable) && !stale &&
		    rc != 504) {
			conn_close(&uio);
			stale = 1;
			attempt--;
			continue;
		}
		conn_close(&uio);
		status = rc == 504 ? 504 : 502;
		scoreboard_upstream_error(up->url);
		log_error("upstream %s: no valid response (%d)", up->url, rc);
		health_report(up, 0);
	failed:
		if (replayable && attempt < (unsigned)cc->max_retry) {
			proxy_backoff(attempt);
			continue;
		}
		/* Retries exhausted: 502 whatever the last failure was. */
		if (replayable)
			status = 502;
		res = proxy_error(px, cl, m, status, !rb.done,
		    status == 504 ? ERRPAGE_TIMEOUT : ERRPAGE_ROUNDTRIP);
		goto out;
	}
	if (r->status == 101) {
		/* The protocol switched to must be the one asked for. */
		if (!m->conn_upgrade ||
		    !proxy_same_upgrade(px->cbuf, m, px->ubuf, r)) {
			log_error(
			    "upstream %s: unexpected protocol switch", up->url);
			res = proxy_error(px, cl, m, 502, 1, ERRPAGE_SWITCH);
			goto out;
		}
		rlen = proxy_build_response(px, m, r, RESP_NONE, 1);
		if (rlen == 0)
			goto out;
		/* The 101 head has no Connection/Upgrade (hop-by-hop): re-add. */
		rlen -= 2;
		if (proxy_outs(px, &rlen, "Connection: Upgrade\r\n") < 0)
			goto out;
		for (uint32_t i = 0; i < r->nfields; i++)
			if (r->fields[i].id == HDR_UPGRADE &&
			    proxy_out_field(
			        px, &rlen, px->ubuf, &r->fields[i]) < 0)
				goto out;
		if (proxy_out(px, &rlen, "\r\n", 2) < 0 ||
		    conn_write(&cl->io, px->obuf, rlen, cl->write_deadline) < 0)
			goto out;
		if (ulen > r->head_len &&
		    conn_write(&cl->io, px->ubuf + r->head_len,
		        ulen - r->head_len, cl->write_deadline) < 0)
			goto out;
		if (rb.extra_len > 0 &&
		    conn_write(&uio, px->cbuf + rb.extra_off, rb.extra_len,
		        cl->write_deadline) < 0)
			goto out;
		rb.extra_len = 0;
		proxy_tunnel(px, cl, &uio);
		goto out;
	}
	scoreboard_response(r->status);
	mode = proxy_resp_mode(m, r);
	keep = m->keep_alive && rb.done && !*px->stopping &&
	    !cl->srv->disable_keep_alive && mode != RESP_CLOSE &&
	    mode != RESP_DECHUNK;
	if ((rlen = proxy_build_response(px, m, r, mode, keep)) == 0) {
		res = proxy_error(px, cl, m, 502, 1, ERRPAGE_ROUNDTRIP);
		goto out;
	}
	memset(&sb, 0, sizeof(sb));
	sb.head = px->obuf;
	sb.hlen = rlen;
	sb.mode = mode;
	sb.left = r->content_length;
	http_chunked_init(&sb.chunked, 0);
	if (m->method_id == HTTP_M_HEAD)
		sb.mode = RESP_NONE;
	if (proxy_relay_response(px, cl, &uio, &sb, r->head_len, ulen) < 0) {
		log_warnx("upstream %s: response body relay failed", up->url);
		goto out;
	}
	if (r->keep_alive && sb.mode != RESP_CLOSE && sb.mode != RESP_RECHUNK &&
	    rb.done && !sb.extra) {
		upstream_put(px->pool, up, cc, &uio);
	}
	res = keep ? PROXY_KEEP : PROXY_CLOSE;
out:
	free(replay);
	if (uio.fd >= 0)
		conn_close(&uio);
	/* Keep pipelined bytes for the next request. */
	if (res == PROXY_KEEP) {
		memmove(px->cbuf,
		    (rb.extra_in_bbuf ? px->bbuf : px->cbuf) + rb.extra_off,
		    rb.extra_len);
		cl->len = rb.extra_len;
		cl->consumed = 1;
	}
	return res;
}

/*
 * Go ServeMux's 301 to the path in upath (decoded) with the query kept;
 * GET gets a small HTML body, as net/http's Redirect writes it.
 */
static enum proxy_result
proxy_redirect(struct proxy *px, struct client *cl, const struct http_msg *m,
    const char *query, size_t qlen, int close)
{
	char *loc = px->epath, body[sizeof(px->epath) + 64];
	size_t i, b = 0;
	int n, get = m->method_id == HTTP_M_GET;

	if ((n = route_encode_path(px->upath, strlen(px->upath), loc,
	         sizeof(px->epath) - 1)) < 0 ||
	    (size_t)n + 1 + qlen >= sizeof(px->epath))
		return proxy_plain_error(px, cl, 414);
	if (query != NULL) {
		loc[n++] = '?';
		memcpy(loc + n, query, qlen);
		n += (int)qlen;
	}
	loc[n] = '\0';
	if (!m->keep_alive || m->version_minor == 0 || *px->stopping ||
	    cl->srv->disable_keep_alive)
		close = 1;
	if (get) {
		b = (size_t)snprintf(body, sizeof(body), "<a href=\"");
		for (i = 0; loc[i] != '\0' && b + 8 < sizeof(body) - 32; i++) {
			if (loc[i] == '&') {
				memcpy(body + b, "&amp;", 5);
				b += 5;
			} else if (loc[i] == '"') {
				memcpy(body + b, "&#34;", 5);
				b += 5;
			} else
				body[b++] = loc[i];
		}
		b += (size_t)snprintf(body + b, sizeof(body) - b,
		    "\">Moved Permanently</a>.\n\n");
	}
	scoreboard_response(301);
	n = snprintf(px->obuf, px->osize,
	    "HTTP/1.1 301 Moved Permanently\r\n"
	    "Location: %s\r\n"
	    "%s"
	    "Date: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s\r\n",
	    loc,
	    get || m->method_id == HTTP_M_HEAD
	        ? "Content-Type: text/html; charset=utf-8\r\n"
	        : "",
	    http_date_now(), b, close ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= px->osize ||
	    conn_write(&cl->io, px->obuf, (size_t)n, cl->write_deadline) < 0 ||
	    (get && m->method_id != HTTP_M_HEAD &&
	        conn_write(&cl->io, body, b, cl->write_deadline) < 0))
		return PROXY_CLOSE;
	return close ? PROXY_CLOSE : PROXY_KEEP;
}

/* app/v1 HealthCheckHandler: 200 with the JSON body {}. */
static enum proxy_result
proxy_healthz(
    struct proxy *px, struct client *cl, const struct http_msg *m, int close)
{
	int n;

	if (!m->keep_alive || m->version_minor == 0 || *px->stopping ||
	    cl->srv->disable_keep_alive)
		close = 1;
	scoreboard_response(200);
	n = snprintf(px->obuf, px->osize,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Date: %s\r\n"
	    "Content-Length: 2\r\n"
	    "%s\r\n%s",
	    http_date_now(), close ? "Connection: close\r\n" : "",
	    m->method_id == HTTP_M_HEAD ? "" : "{}");
	if (n < 0 || (size_t)n >= px->osize ||
	    conn_write(&cl->io, px->obuf, (size_t)n, cl->write_deadline) < 0)
		return PROXY_CLOSE;
	return close ? PROXY_CLOSE : PROXY_KEEP;
}

/* app/v1 PrometheusMeter and StatusHandler: the scoreboard (status.c). */
static enum proxy_result
proxy_status(struct proxy *px, struct client *cl, const struct http_msg *m,
    int kind, const char *query, size_t qlen, int close)
{
	const char *ctype;
	size_t blen;
	char *body = status_render(kind, query, qlen, &blen, &ctype);
	struct iovec iov[2];
	int n, rc;

	if (!m->keep_alive || m->version_minor == 0 || *px->stopping ||
	    cl->srv->disable_keep_alive)
		close = 1;
	scoreboard_response(200);
	n = snprintf(px->obuf, px->osize,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Date: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s\r\n",
	    ctype, http_date_now(), blen, close ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= px->osize) {
		free(body);
		return PROXY_CLOSE;
	}
	iov[0].iov_base = px->obuf;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = body;
	iov[1].iov_len = m->method_id == HTTP_M_HEAD ? 0 : blen;
	rc = conn_writev(&cl->io, iov, 2, cl->write_deadline);
	free(body);
	if (rc < 0)
		return PROXY_CLOSE;
	return close ? PROXY_CLOSE : PROXY_KEEP;
}

/* Route one parsed request and forward it or answer with an error. */
static enum proxy_result
proxy_handle(struct proxy *px, struct client *cl, struct http_msg *m)
{
	const char *target = px->cbuf + m->target.off;
	struct http_target t;
	struct route_req rr;
	struct conf_proxy *p;
	struct conf_lb *lb;
	char client[INET6_ADDRSTRLEN + 16], hbuf[4096];
	const struct conf_client *cc;
	const char *key;
	size_t klen;
	int dlen, idx, close_after = m->body != HTTP_BODY_NONE;

	/* Go answers an Expect it cannot meet before any handler runs. */
	if (http_expect_check(m, px->cbuf) != 0)
		return proxy_plain_error(px, cl, 417);
	if (m->target.len == 1 && target[0] == '*' &&
	    m->method_id == HTTP_M_OPTIONS) {
		if (cl->srv->enable_general_options) {
			static const char ok[] = "HTTP/1.1 200 OK\r\n"
			                         "Content-Length: 0\r\n\r\n";

			scoreboard_response(200);
			if (conn_write(&cl->io, ok, sizeof(ok) - 1,
			        cl->write_deadline) < 0)
				return PROXY_CLOSE;
			return m->keep_alive && !close_after ? PROXY_KEEP
			                                     : PROXY_CLOSE;
		}
		return proxy_plain_error(px, cl, 400);
	}
	/*
	 * A reverse proxy does not tunnel: CONNECT (authority-form) finds no
	 * route, as in Go's ServeMux, and the connection closes.
	 */
	px->eh = cl->srv->errhandler != NULL ? cl->srv->errhandler
	                                     : px->conf->default_errhandler;
	if (m->method_id == HTTP_M_CONNECT)
		return proxy_error(px, cl, m, 404, 1, ERRPAGE_NOT_FOUND);
	if (http_target_split(target, m->target.len, &t) < 0)
		return proxy_plain_error(px, cl, 400);
	/* RFC 9112 3.2.1: an absolute-form target's empty path is "/". */
	if (t.path_len == 0)
		t.path = "/", t.path_len = 1;
	if ((dlen = route_decode_path(
	         t.path, t.path_len, px->path, sizeof(px->path))) < 0)
		return proxy_plain_error(px, cl, 400);
	/* RFC 9112 3.2.2: an absolute-form authority replaces Host. */
	px->host = NULL;
	px->host_len = 0;
	if (t.authority != NULL) {
		px->host = t.authority;
		px->host_len = t.authority_len;
	} else if (m->host_index >= 0) {
		px->host = px->cbuf + m->fields[m->host_index].value.off;
		px->host_len = m->fields[m->host_index].value.len;
	}
	memset(&rr, 0, sizeof(rr));
	rr.method = m->method_id;
	rr.path = px->path;
	rr.path_len = (size_t)dlen;
	rr.query = t.query;
	rr.query_len = t.query_len;
	rr.host = px->host;
	rr.host_len = px->host_len;
	rr.msg = m;
	rr.buf = px->cbuf;
	if (route_redirect(
	        px->routes, cl->srv, &rr, px->upath, sizeof(px->upath)))
		return proxy_redirect(
		    px, cl, m, t.query, t.query_len, close_after);
	px->eh = cl->srv->errhandler != NULL ? cl->srv->errhandler
	                                     : px->conf->default_errhandler;
	if ((p = route_find(px->routes, cl->srv, &rr)) == NULL)
		return proxy_error(
		    px, cl, m, 404, close_after, ERRPAGE_NOT_FOUND);
	px->eh = p->errhandler != NULL ? p->errhandler
	                               : px->conf->default_errhandler;
	if (p->kind == CONF_PROXY_HEALTH)
		return proxy_healthz(px, cl, m, close_after);
	if (p->kind == CONF_PROXY_METRICS || p->kind == CONF_PROXY_STATUS)
		return proxy_status(
		    px, cl, m, p->kind, t.query, t.query_len, close_after);
	if ((lb = route_select_lb(p, &rr, px->upath, sizeof(px->upath))) ==
	    NULL)
		return proxy_error(
		    px, cl, m, 404, close_after, ERRPAGE_NO_UPSTREAM);
	/* ClientAddr hashes Go's RemoteAddr: "ip:port", "[v6]:port". */
	snprintf(client, sizeof(client),
	    strchr(cl->ip, ':') != NULL ? "[%s]:%s" : "%s:%s", cl->ip,
	    cl->port);
	key = route_hash_key(lb, &rr, client, hbuf, sizeof(hbuf), &klen);
	if ((idx = balance_pick(lb, key, klen)) < 0)
		return proxy_error(
		    px, cl, m, 502, close_after, ERRPAGE_UNAVAILABLE);
	if ((cc = p->client) == NULL) {
		px->defclient = proxy_default_client;
		px->defclient.tls_ctx = px->conf->tls_default;
		cc = &px->defclient;
	}
	return proxy_forward(
	    px, cl, m, &lb->upstreams[idx], cc, t.query, t.query_len);
}

/*
 * listenConfig.readDeadline/writeDeadline: absolute deadlines from accept
 * that bound a connection's TLS handshake and first request, after which
 * the server's per-request timeouts take over (as in AILERON, where
 * http.Server resets the listener's deadlines for each request).  The
 * earlier of d and accepted + limit; 0 means none.
 */
static int64_t
proxy_first_deadline(const struct client *cl, int64_t d, int64_t limit)
{
	int64_t first;

	if (limit <= 0 || cl->nreq > 0)
		return d;
	first = cl->accepted + limit;
	return d == 0 || first < d ? first : d;
}

/*
 * The TLS handshake must end within the shortest of the server's
 * timeouts, as in Go's http.Server.
 */
static int64_t
proxy_handshake_timeout(const struct conf_server *srv)
{
	int64_t t[3] = { srv->read_header_timeout, srv->read_timeout,
		srv->write_timeout };
	int64_t min = 0;
	int i;

	for (i = 0; i < 3; i++)
		if (t[i] > 0 && (min == 0 || t[i] < min))
			min = t[i];
	return min;
}

/*
 * Go on with the TLS handshake of cl as far as the peer's bytes allow:
 * 1 when it is done, else 0 with *rc PROXY_PARKED (waiting for the peer)
 * or PROXY_CLOSED (failed).
 */
static int
proxy_client_handshake(struct client *cl, int *rc)
{
	char ebuf[256];

	if (conn_handshake_now(&cl->io, cl->deadline) == 0) {
		cl->handshake = 0;
		/* The first request has readHeaderTimeout from now. */
		cl->deadline = conn_deadline(cl->srv->read_header_timeout);
		if (log_get_level() <= LOG_L_DEBUG)
			log_debug("TLS handshake with %s:%s: %s", cl->ip,
			    cl->port, tls_describe(cl->io.ssl));
		return 1;
	}
	*rc = PROXY_PARKED; /* the deadline stays the handshake's */
	if (errno == EAGAIN)
		return 0;
	*rc = PROXY_CLOSED;
	if (errno == EPROTO && tls_error_is_http()) {
		/* As Go answers plain HTTP on a TLS port (best effort). */
		static const char msg[] =
		    "HTTP/1.0 400 Bad Request\r\n\r\n"
		    "Client sent an HTTP request to an HTTPS server.\n";

		if (write(cl->io.fd, msg, sizeof(msg) - 1) < 0)
			log_debug("write: %s", strerror(errno));
	}
	if (errno == EPROTO)
		log_info("TLS handshake error from %s:%s: %s", cl->ip, cl->port,
		    tls_error_string(ebuf, sizeof(ebuf)));
	else
		log_debug("TLS handshake error from %s:%s: %s", cl->ip,
		    cl->port, strerror(errno));
	return 0;
}

struct client *
proxy_client_new(
    int fd, const struct sockaddr *sa, const struct conf_server *srv)
{
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return NULL;
	cl->io.fd = fd;
	cl->io.ssl = NULL;
	cl->srv = srv;
	cl->accepted = conn_now_ms();
	proxy_peer(cl, sa);
	conn_setup(fd);
	/* A new connection has readHeaderTimeout to send its first request. */
	cl->deadline = conn_deadline(srv->read_header_timeout);
	if (srv->tls != NULL) {
		if ((cl->io.ssl = tls_server_ssl_new(srv->tls, fd)) == NULL) {
			free(cl);
			return NULL;
		}
		cl->handshake = 1;
		cl->deadline = conn_deadline(proxy_handshake_timeout(srv));
	}
	cl->deadline =
	    proxy_first_deadline(cl, cl->deadline, srv->read_deadline);
	return cl;
}

void
proxy_client_free(struct client *cl)
{
	if (cl == NULL)
		return;
	conn_close(&cl->io);
	free(cl->saved);
	free(cl->saved_msg);
	free(cl);
}

/* Bring back the partial head of a parked connection into cbuf. */
static void
proxy_client_restore(struct proxy *px, struct client *cl)
{
	if (cl->saved_msg != NULL) {
		memcpy(px->cbuf, cl->saved, cl->saved_len);
		cl->len = cl->saved_len;
		px->msg = *cl->saved_msg;
		free(cl->saved);
		free(cl->saved_msg);
		cl->saved = NULL;
		cl->saved_msg = NULL;
		cl->saved_len = 0;
	} else {
		struct http_limits lim;

		memset(&lim, 0, sizeof(lim));
		lim.max_head =
		    (uint32_t)cl->srv->max_header_bytes + PROXY_HEAD_SLACK;
		lim.max_line = (uint32_t)cl->srv->max_request_line_bytes;
		lim.max_headers = (uint32_t)cl->srv->max_header_count;
		http_request_init(&px->msg, &lim);
	}
}

/*
 * Park a connection that waits for bytes: keep a partial head and the
 * parser state, and set the deadline (header or idle timeout).
 */
static int
proxy_client_park(struct proxy *px, struct client *cl)
{
	if (cl->len > 0) {
		cl->saved = malloc(cl->len);
		cl->saved_msg = malloc(sizeof(*cl->saved_msg));
		if (cl->saved == NULL || cl->saved_msg == NULL)
			return PROXY_CLOSED;
		memcpy(cl->saved, px->cbuf, cl->len);
		*cl->saved_msg = px->msg;
		cl->saved_len = cl->len;
		cl->len = 0;
		/* Slowloris: the whole head must come within the timeout. */
		cl->deadline = cl->srv->read_header_timeout > 0
		    ? cl->head_start + cl->srv->read_header_timeout
		    : 0;
		cl->deadline = proxy_first_deadline(
		    cl, cl->deadline, cl->srv->read_deadline);
	} else if (cl->nreq > 0)
		cl->deadline = conn_deadline(cl->srv->idle_timeout);
	return PROXY_PARKED;
}

/* Forward one parsed request and drop its bytes from cbuf. */
static enum proxy_result
proxy_client_request(struct proxy *px, struct client *cl)
{
	struct http_msg *m = &px->msg;
	int64_t start = conn_now_ms();
	enum proxy_result rc;

	cl->read_deadline =
	    cl->srv->read_timeout > 0 ? start + cl->srv->read_timeout : 0;
	cl->write_deadline =
	    cl->srv->write_timeout > 0 ? start + cl->srv->write_timeout : 0;
	cl->read_deadline =
	    proxy_first_deadline(cl, cl->read_deadline, cl->srv->read_deadline);
	cl->write_deadline = proxy_first_deadline(
	    cl, cl->write_deadline, cl->srv->write_deadline);
	cl->nreq++;
	cl->consumed = 0;
	scoreboard_request_begin(cl->ip, px->cbuf + m->method.off,
	    m->method.len, px->cbuf + m->target.off, m->target.len);
	accesslog_begin(cl->srv, m, px->cbuf, cl->ip, cl->port);
	px->obuf[0] = '\0'; /* the response head is built here */
	rc = proxy_handle(px, cl, m);
	accesslog_end(cl->srv, px->obuf, px->osize);
	if (rc != PROXY_KEEP)
		return PROXY_CLOSE;
	if (!cl->consumed) {
		/* Answered without a body: drop just the head. */
		memmove(
		    px->cbuf, px->cbuf + m->head_len, cl->len - m->head_len);
		cl->len -= m->head_len;
	}
	if (cl->len > 0)
		cl->head_start = conn_now_ms();
	return PROXY_KEEP;
}

int
proxy_client_run(struct proxy *px, struct client *cl)
{
	int rc;

	if (cl->handshake && !proxy_client_handshake(cl, &rc))
		return rc;
	proxy_client_restore(px, cl);
	for (;;) {
		rc = proxy_head_nowait(px, cl, &px->msg);
		/*
		 * Bytes OpenSSL already decrypted are invisible to poll():
		 * never park on them.  (proxy_head_nowait reads until
		 * SSL_read wants the socket, so this is a safety net.)
		 */
		if (rc == HTTP_PARSE_AGAIN && conn_pending(&cl->io) > 0 &&
		    cl->len < px->csize)
			continue;
		/* Stopping, an idle connection waits parked for a grace. */
		if (rc == HTTP_PARSE_AGAIN)
			return proxy_client_park(px, cl);
		if (rc < 0)
			return PROXY_CLOSED;
		if (rc != HTTP_PARSE_DONE) {
			proxy_plain_error(px, cl, rc);
			return PROXY_CLOSED;
		}
		if (proxy_client_request(px, cl) != PROXY_KEEP)
			return PROXY_CLOSED;
		proxy_client_restore(px, cl);
	}
}
