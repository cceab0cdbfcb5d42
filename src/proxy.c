/* Client connections: TLS handshake, parking, head reading, the keep-alive loop; each request goes to the pipeline. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arena.h"
#include "bodywait.h"
#include "conn.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "pages.h"
#include "pipeline.h"
#include "proxy.h"
#include "request.h"
#include "response.h"
#include "scoreboard.h"
#include "tls.h"

#define PROXY_HEAD_SLACK        4096 /* Go allows maxHeaderBytes + 4096 */
#define PROXY_MAX_RESPONSE_HEAD (64 * 1024)
#define PROXY_LINGER_MS         2000 /* lingering close: at most this long */
#define PROXY_LINGER_MAX        (64ULL << 20) /* ... and this many bytes */

struct proxy {
	struct conf *conf;
	const struct pipeline *pipeline;
	const volatile sig_atomic_t *stopping; /* set by the stop signal */
	struct http_msg msg;                   /* the request head being read */
	char *cbuf; /* client request heads (and pipelined bytes) */
	size_t csize;
	size_t cbody; /* cbuf's room after csize for a parked body */
	char *hbuf;   /* the response head being built (response.c) */
	size_t hsize;
	struct arena *arena; /* per request: reset when it ends */
	struct request req;  /* the request being served */
};

static void proxy_client_blocks_free(void);

struct proxy *
proxy_new(struct conf *c, const struct pipeline *pl,
    const volatile sig_atomic_t *stopping)
{
	/* A worker's own pages (pages.h), as everything it keeps. */
	struct proxy *px = pages_alloc(sizeof(*px));
	size_t i, max = 8192, body = 0;

	if (px == NULL)
		fatal("mmap");
	for (i = 0; i < c->nservers; i++) {
		if ((size_t)c->servers[i]->max_header_bytes > max)
			max = (size_t)c->servers[i]->max_header_bytes;
		if ((size_t)c->servers[i]->request_body_buffer > body)
			body = (size_t)c->servers[i]->request_body_buffer;
	}
	px->conf = c;
	px->pipeline = pl;
	px->stopping = stopping;
	px->csize = max + PROXY_HEAD_SLACK;
	/* An upstream head (64 KiB at most) plus what the writer adds. */
	px->hsize = PROXY_MAX_RESPONSE_HEAD + 1024;
	px->cbody = body;
	px->cbuf = pages_alloc(px->csize + body); /* a head, a parked body */
	px->hbuf = pages_alloc(px->hsize);
	if (px->cbuf == NULL || px->hbuf == NULL)
		fatal("mmap");
	px->arena = arena_new_pages(4096);
	px->req.arena = px->arena;
	px->req.stopping = stopping;
	return px;
}

void
proxy_free(struct proxy *px)
{
	if (px == NULL)
		return;
	reverse_proxy_worker_free();
	arena_free(px->arena);
	proxy_client_blocks_free();
	pages_free(px->cbuf, px->csize + px->cbody);
	pages_free(px->hbuf, px->hsize);
	pages_free(px, sizeof(*px));
}

void
proxy_expire_idle(struct proxy *px)
{
	(void)px;
	reverse_proxy_expire_idle();
}

void
proxy_trim_idle(struct proxy *px)
{
	/* Scratch between requests (a parked head is kept apart). */
	pages_drop(px->cbuf, px->csize + px->cbody);
	pages_drop(px->hbuf, px->hsize);
	reverse_proxy_trim_idle();
	malloc_trim(0);
}

/* Answer a request head the parser refused (no request exists): close. */
static void
proxy_plain_error(struct proxy *px, struct client *cl, int status)
{
	size_t n = http_plain_error_format(px->hbuf, px->hsize, status);

	scoreboard_response(status);
	if (n > 0)
		(void)conn_write(&cl->io, px->hbuf, n, conn_deadline(1000));
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

/*
 * listenConfig.readDeadline/writeDeadline: absolute deadlines from accept
 * that bound a connection's TLS handshake and first request, after which
 * the server's per-request timeouts take over (as in AILERON, where
 * http.Server resets the listener's deadlines for each request).  The
 * earlier of d and accepted + limit; 0 means none.
 */
static int64_t
proxy_first_deadline(int64_t d, int64_t accepted, int64_t limit)
{
	int64_t first;

	if (limit <= 0)
		return d;
	first = accepted + limit;
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

/*
 * Clients live in blocks of pages of the worker's own (pages.h), taken in
 * order and reused through a free list: calloc() would put each in a hole
 * of the master's heap and copy one of its pages.  Blocks stay until the
 * worker ends (proxy_free).
 */
#define PROXY_CLIENT_BLOCK 128

struct client_block {
	struct client_block *next;
	size_t used; /* clients[0..used) were handed out once */
	struct client clients[PROXY_CLIENT_BLOCK];
};

static struct client_block *proxy_client_blocks;
static struct client *proxy_client_spare; /* freed, linked by next_free */

static struct client *
proxy_client_alloc(void)
{
	struct client_block *b = proxy_client_blocks;
	struct client *cl;

	if ((cl = proxy_client_spare) != NULL) {
		pages_unpoison(cl, sizeof(*cl));
		proxy_client_spare = cl->next_free;
		memset(cl, 0, sizeof(*cl));
		return cl;
	}
	if (b == NULL || b->used == PROXY_CLIENT_BLOCK) {
		if ((b = pages_alloc(sizeof(*b))) == NULL)
			return NULL;
		b->next = proxy_client_blocks;
		proxy_client_blocks = b;
	}
	return &b->clients[b->used++]; /* zero, as new pages are */
}

/* Back to the free list; a use after this is reported under ASan. */
static void
proxy_client_release(struct client *cl)
{
	cl->next_free = proxy_client_spare;
	proxy_client_spare = cl;
	pages_poison(cl, sizeof(*cl));
}

static void
proxy_client_blocks_free(void)
{
	struct client_block *b;

	while ((b = proxy_client_blocks) != NULL) {
		proxy_client_blocks = b->next;
		pages_unpoison(b, sizeof(*b));
		pages_free(b, sizeof(*b));
	}
	proxy_client_spare = NULL;
}

struct client *
proxy_client_new(
    int fd, const struct sockaddr *sa, const struct conf_server *srv)
{
	struct client *cl = proxy_client_alloc();

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
			proxy_client_release(cl);
			return NULL;
		}
		cl->handshake = 1;
		cl->deadline = conn_deadline(proxy_handshake_timeout(srv));
	}
	cl->deadline = proxy_first_deadline(
	    cl->deadline, cl->accepted, srv->read_deadline);
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
	free(cl->bodywait);
	proxy_client_release(cl);
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
		cl->deadline = conn_deadline_from(
		    cl->head_start, cl->srv->read_header_timeout);
		/* A slow body: the whole request within readTimeout. */
		if (cl->bodywait != NULL)
			cl->deadline = conn_deadline_from(
			    cl->head_start, cl->srv->read_timeout);
		if (cl->nreq == 0)
			cl->deadline = proxy_first_deadline(
			    cl->deadline, cl->accepted, cl->srv->read_deadline);
	} else if (cl->nreq > 0)
		cl->deadline = conn_deadline(cl->srv->idle_timeout);
	return PROXY_PARKED;
}

/* Serve one parsed request through the pipeline; keep the bytes after it. */
static int
proxy_client_request(struct proxy *px, struct client *cl)
{
	struct http_msg *m = &px->msg;
	struct request *r = &px->req;
	int keep, first = cl->nreq == 0;

	cl->nreq++;
	scoreboard_request_begin(cl->ip, px->cbuf + m->method.off,
	    m->method.len, px->cbuf + m->target.off, m->target.len);
	request_init(r, cl, m, px->cbuf, cl->len, px->hbuf, px->hsize);
	if (first) {
		r->read_deadline = proxy_first_deadline(
		    r->read_deadline, cl->accepted, cl->srv->read_deadline);
		r->write_deadline = proxy_first_deadline(
		    r->write_deadline, cl->accepted, cl->srv->write_deadline);
	}
	pipeline_run(px->pipeline, r);
	keep = response_keep_alive(r);
	/* Closing while the client may still be sending its body: linger. */
	cl->linger = !keep && m->body != HTTP_BODY_NONE && !r->body_read &&
	    !r->resp.failed;
	if (keep) {
		if (r->next != NULL) {
			/* The handler read the body: what followed it. */
			memmove(px->cbuf, r->next, r->next_len);
			cl->len = r->next_len;
		} else {
			/* Answered without a body: drop just the head. */
			memmove(px->cbuf, px->cbuf + m->head_len,
			    cl->len - m->head_len);
			cl->len -= m->head_len;
		}
		if (cl->len > 0)
			cl->head_start = conn_now_ms();
	}
	request_reset(r);
	return keep;
}

/*
 * Gather the body of the parsed request in cbuf while it arrives, so that
 * a slow body waits parked (a descriptor) and not in a worker: see
 * bodywait.c.  HTTP_PARSE_DONE to serve it now, HTTP_PARSE_AGAIN to park
 * (cl->bodywait kept), -1 to close.
 */
static int
proxy_body_nowait(struct proxy *px, struct client *cl)
{
	size_t cap = px->msg.head_len + (size_t)cl->srv->request_body_buffer;
	int rc;

	if (px->msg.body == HTTP_BODY_NONE || cl->srv->request_body_buffer == 0)
		return HTTP_PARSE_DONE;
	if (cl->bodywait == NULL &&
	    (cl->bodywait = calloc(1, sizeof(*cl->bodywait))) == NULL)
		return HTTP_PARSE_DONE; /* no memory: read it while serving */
	rc = bodywait_read(cl->bodywait, &cl->io, &px->msg, px->cbuf, &cl->len,
	    cap, (uint32_t)cl->srv->max_trailer_bytes);
	if (rc != HTTP_PARSE_AGAIN) {
		free(cl->bodywait);
		cl->bodywait = NULL;
	}
	return rc;
}

void
proxy_client_expire(struct proxy *px, struct client *cl)
{
	if (cl->bodywait != NULL)
		(void)proxy_plain_error(px, cl, 408);
}

/*
 * Close a connection the client may still be sending on (RFC 9112 9.6):
 * closing with unread bytes resets it, and a client still uploading then
 * fails before it reads the response (curl: "Failed sending data").  So
 * half-close, and park it: whatever comes is read and dropped until the
 * client closes, PROXY_LINGER_MS pass or PROXY_LINGER_MAX bytes came, as
 * Apache's lingering close does, without holding the worker.  TLS
 * connections close at once.
 */
static int
proxy_client_linger(struct client *cl)
{
	if (!cl->linger || cl->io.ssl != NULL ||
	    shutdown(cl->io.fd, SHUT_WR) < 0)
		return PROXY_CLOSED;
	cl->lingering = 1;
	cl->lingered = 0;
	cl->deadline = conn_deadline(PROXY_LINGER_MS);
	return PROXY_PARKED;
}

/* A lingering connection became readable: drop what came. */
static int
proxy_client_drain(struct proxy *px, struct client *cl)
{
	ssize_t n;

	while ((n = read(cl->io.fd, px->cbuf, px->csize)) > 0)
		if ((cl->lingered += (uint64_t)n) > PROXY_LINGER_MAX)
			return PROXY_CLOSED;
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return PROXY_PARKED;
	return PROXY_CLOSED; /* the client closed, or failed */
}

int
proxy_client_run(struct proxy *px, struct client *cl)
{
	int rc;

	if (cl->lingering)
		return proxy_client_drain(px, cl);
	if (cl->handshake && !proxy_client_handshake(cl, &rc))
		return rc;
	proxy_client_restore(px, cl);
	for (;;) {
		/* Parked with its head complete: only the body is awaited. */
		rc = cl->bodywait != NULL ? HTTP_PARSE_DONE
		                          : proxy_head_nowait(px, cl, &px->msg);
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
			cl->linger = 1; /* the rest of what it sent is unread */
			return proxy_client_linger(cl);
		}
		if ((rc = proxy_body_nowait(px, cl)) == HTTP_PARSE_AGAIN)
			return proxy_client_park(px, cl);
		if (rc < 0)
			return PROXY_CLOSED;
		if (!proxy_client_request(px, cl))
			return proxy_client_linger(cl);
		proxy_client_restore(px, cl);
	}
}
