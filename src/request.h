/* The request object: one HTTP request from parsed head to its last logged byte. */
#ifndef AILERON_REQUEST_H
#define AILERON_REQUEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "http_parse.h"
#include "response.h"

struct al_state;
struct arena;
struct client;
struct chain;
struct handler;
struct route_req;

/*
 * A header a middleware wants on the upstream request (Tracking's
 * request id, CSRF's proxyHeaderName, OAuth's token headers): the
 * ReverseProxyHandler appends every entry, in order, after its own
 * headers (hop-by-hop removal and X-Forwarded-* done); other handlers
 * ignore them.  Name and value live in the request's arena.
 */
struct request_header {
	const char *name; /* as given; written canonicalised (X-Request-Id) */
	size_t name_len;
	const char *value;
	size_t value_len;
};

/*
 * Observers of a body as it streams past (HTTPLogger's journal): the
 * request body as the handler reads it, the upstream response body as the
 * ReverseProxyHandler relays it.  Whoever moves the body feeds each piece
 * once, as it came off the wire (body_tap_feed); the observers get its
 * data, chunk framing removed, in order, never buffered here.
 */
typedef void body_tap_fn(void *arg, const char *data, size_t n);
struct body_tap;

/* Add an observer to *tp (allocated in a; chunked: the wire is chunked). */
void body_tap_add(struct body_tap **tp, struct arena *a, int chunked,
    body_tap_fn *fn, void *arg);
/* Feed wire bytes of the body to t's observers (t may be NULL). */
void body_tap_feed(struct body_tap *t, const char *wire, size_t n);

/*
 * One request.  The connection layer (proxy.c) fills it for each request
 * it parsed, runs the pipeline on it and resets it; everything here lives
 * for exactly one request.  Handlers and middleware read it freely and
 * write only where a member says so.  Strings are views into buf (the
 * client's head buffer) or the arena; none is freed on its own.
 */
struct request {
	/* the connection it came on (proxy.h) and its HTTPServer */
	struct client *client;
	const struct conf_server *srv;
	const char *ip;   /* peer address, IPv4-mapped shown as IPv4 */
	const char *port; /* peer port */
	int tls;          /* came over TLS */

	/*
	 * The parsed head: every span of msg is an offset into buf, which
	 * also holds the body bytes (and pipelined requests) that came with
	 * the head, buf_len bytes in all.  The ReverseProxyHandler consumes
	 * the body; see request_keep_pipelined().
	 */
	struct http_msg *msg;
	char *buf;
	size_t buf_len;

	/* the target, split: path decoded and NUL-terminated, query raw */
	const char *path;
	size_t path_len;
	const char *query; /* without '?', or NULL */
	size_t query_len;
	const char *host; /* Host, or an absolute-form target's authority */
	size_t host_len;
	struct route_req *rr; /* what routing saw, path parameters after */

	/* routing: the handler's config and chain, and the error handler */
	const struct conf_proxy *route; /* NULL until a handler matched */
	const struct chain *chain;      /* the server's chain (pipeline.h) */
	/* the routed handler in its route's middleware (vhost, handler) */
	const struct handler *handler;
	const struct conf_errhandler *errhandler; /* for error responses */

	/* the request body: set by whoever reads it (ReverseProxyHandler) */
	int body_read; /* the body was read to its end (or there is none) */
	/*
	 * The most body bytes a reader may take (BodyLimitMiddleware,
	 * request_body_limit); 0: no limit.  Readers of a chunked body
	 * enforce it through request_chunked_init().
	 */
	uint64_t body_max;
	/* its observers (request_body_observe), fed by whoever reads it */
	struct body_tap *body_tap;
	/* per-request state of the access log (accesslog.c), or NULL */
	struct al_state *log_state;
	/* bytes after the body (next pipelined request): request_keep_pipelined */
	const char *next;
	size_t next_len;

	/*
	 * Upstream request headers added by middleware (request_proxy_header)
	 * for the ReverseProxyHandler to append.
	 */
	struct request_header *proxy_headers;
	size_t nproxy_headers;
	/*
	 * Request header fields (bit i: msg->fields[i]) a middleware removed
	 * (HeaderPolicy): the ReverseProxyHandler does not send them.
	 */
	uint64_t drop[(HTTP_MAX_HEADERS + 63) / 64];

	/*
	 * per-request state of middleware: slot i belongs to entry i of the
	 * server chain followed by the routed handler's list
	 */
	void **mw_state;
	/*
	 * Middleware entered (their request hook declined): the first
	 * nentered of the server chain followed by the handler's list.
	 */
	size_t nentered;

	/* the response being sent: only through response.h */
	struct response resp;

	/* timings: start is when the head was parsed */
	int64_t start_ms;      /* monotonic */
	struct timespec start; /* wall clock (logs) */
	int64_t read_deadline; /* whole request read by (readTimeout); 0 none */
	int64_t write_deadline; /* response written by (writeTimeout) */
	char id[21];            /* AILERON's request id, made on first use */

	/* set by the worker's stop signal: the connection closes after this */
	const volatile sig_atomic_t *stopping;

	/* reset (not freed) when the request ends */
	struct arena *arena;
};

/*
 * Prepare r for the request parsed into msg (bytes in buf[0..len)) on
 * client cl: timings, deadlines, an empty response whose head is built
 * in hbuf (the worker's, hsize bytes).  The target is split later
 * (request_split_target).
 */
void request_init(struct request *r, struct client *cl, struct http_msg *msg,
    char *buf, size_t len, char *hbuf, size_t hsize);

/*
 * Split the target into path (decoded into path[0..size)), query and
 * host.  -1 when it is malformed (answer 400).
 */
int request_split_target(struct request *r, char *path, size_t size);

/* The request ended: forget its state and reset the arena. */
void request_reset(struct request *r);

/* The request id (made on first call, the same for all its log lines). */
const char *request_id(struct request *r);

/* Add a header for the upstream request (see struct request_header). */
void request_proxy_header(struct request *r, const char *name, size_t nlen,
    const char *value, size_t vlen);

/*
 * The handler consumed the body and len more bytes followed it at src
 * (in buf or in a buffer of the handler's that stays untouched until the
 * request ends): the connection layer moves them to the start of buf for
 * the next request, after the done hooks (which still see the head).
 */
void request_keep_pipelined(struct request *r, const char *src, size_t len);

/* Lower the body limit of r to max bytes (the smallest limit wins). */
void request_body_limit(struct request *r, uint64_t max);

/*
 * Every reader of a chunked request body starts its decoder here: the
 * server's trailer limit and the request's body limit.  A decoding error
 * is then answered with request_chunked_status(): 413 when the body went
 * past the limit (nothing of the chunk that would cross it was taken),
 * 400 for a malformed body.
 */
void request_chunked_init(const struct request *r, struct http_chunked *c);
int request_chunked_status(const struct http_chunked *c);
/*
 * Read the whole request body of r for a handler that needs all of it
 * (EchoHandler, SOAPRESTMiddleware, mw_body_gather): the chunked framing
 * decoded (with request_chunked_init), 100 Continue sent when the client
 * waits for it, each piece of body given to keep(ctx, data, n) and the
 * bytes as read to the body tap.  keep returns -1 to refuse the rest
 * (answered 413).  buf is the read buffer, size bytes.  Returns 0 with
 * *extra and *nextra the bytes that followed the body (a pipelined
 * request, in r->buf or buf, for request_keep_pipelined), or the status
 * to answer: 400, 408, 413.
 */
int request_read_body(struct request *r, char *buf, size_t size,
    int (*keep)(void *ctx, const char *data, size_t n), void *ctx,
    const char **extra, size_t *nextra);
/*
 * A body kept whole in malloc'ed memory, max bytes at most: the keep of
 * request_read_body for those that need all of the request body, and a
 * filter's store for a response body.  Zero it, set max (and refuse),
 * feed it with body_buf_keep, free p.
 */
struct body_buf {
	char *p; /* the bytes kept; NULL while none, and once too_large */
	size_t len, size;
	size_t max;
	int refuse;    /* past max: refuse the rest (-1) rather than drop it */
	int too_large; /* it went past max (or memory ran out): nothing kept */
};
/* Append data[0..n) to the body_buf ctx: 0, or -1 (refuse set) past max. */
int body_buf_keep(void *ctx, const char *data, size_t n);
/* Observe the request body as the handler reads it (see body_tap_fn). */
void request_body_observe(struct request *r, body_tap_fn *fn, void *arg);

/* The value of the first request header with id (enum http_hdr_id), or NULL. */
const char *request_header(const struct request *r, int id, size_t *len);

#endif
