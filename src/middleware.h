/* Middleware and tripperware: hooks around a handler and around an upstream exchange. */
#ifndef AILERON_MIDDLEWARE_H
#define AILERON_MIDDLEWARE_H

/*
 * Design (issue 11; see handler.h for the pipeline and return values).
 * A middleware is a short list of optional hooks, all blocking, called
 * by the pipeline (pipeline.c) in AILERON's order: server middleware,
 * the virtual host's, the handler's (HTTPHandler), then the handler; in
 * a list the first is outermost: it sees the request first and the
 * response last.
 *
 *  request(inst, r)        before routing (server level) or before the
 *                          handler (handler level).  Return
 *                          HANDLER_DECLINED to go on; answer through
 *                          response.h and return HANDLER_OK to stop the
 *                          chain (CORS preflight, authn challenge,
 *                          Throttle's 429); or return a status >= 400 to
 *                          have the pipeline send the error response
 *                          through the request's ErrorHandler (BodyLimit's
 *                          413, HeaderPolicy's 415).  May add upstream
 *                          headers (request_proxy_header: Tracking, CSRF,
 *                          OAuth) and per-request state
 *                          (r->mw_state[slot], allocated from r->arena).
 *                          Middleware whose request hook declined are
 *                          "entered": they get head/body/done calls.
 *  head(inst, r)           the response head is about to be sent (every
 *                          response of an entered middleware, errors and
 *                          redirects included): may change r->resp.status
 *                          and the headers (response_set/_del/_add):
 *                          HeaderPolicy, Compression, Session save; it
 *                          sees the status for Prometheus and Timeout.
 *                          Called innermost first.
 *  body(inst, r, d, n, last)
 *                          a body filter: gets the body in pieces (last:
 *                          no more follows) and passes what it makes on
 *                          with response_filter_next() (Compression,
 *                          SOAPREST buffers all and passes at last).  A
 *                          middleware with a body hook turns off the
 *                          zero-copy paths and Content-Length framing
 *                          of every response it wraps, unless its head
 *                          hook called response_filter_skip() for it
 *                          (Compression with nothing to compress).
 *  done(inst, r)           the request ended, answered or not (logging,
 *                          releasing); r->resp says what was sent
 *                          (status, bytes, complete/failed).  Innermost
 *                          first.  Nothing may be sent any more.
 *
 * response_started(r) says whether the head left already (Timeout and
 * BodyLimit must not answer then).  Pre-proxy work (Session) is a
 * handler-level request hook: it runs just before ReverseProxyHandler.
 *
 * Tripperware wraps the upstream exchange of the ReverseProxyHandler (and
 * of HTTPClient, later) the same way: request(inst, r, x) once the
 * upstream request head is built, before anything is sent (may answer r
 * instead: return HANDLER_OK or a status; the upstream is not
 * contacted); response(inst, r, x) each time an upstream response head
 * has been read (x->attempt says which try; a retried status is seen
 * too); done(inst, r, x) once, when the exchange is over (failed or
 * not).  Request hooks run first outermost, response and done hooks
 * innermost first.  Order: ReverseProxyHandler.tripperwares (as written
 * on each upstream), first outermost.
 *
 * Per-request state: r->mw_state has one slot per entry of the server
 * chain, then of the routed handler's list once routed (mw_state_slot;
 * allocate from r->arena, never free).  Instances hold only what is the
 * same for every request.
 *
 * Instances are shared as handlers' are (handler.h): one per config
 * object per generation, made by create() in the master before fork.
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "handler.h"

struct body_tap;
struct conf;
struct conf_upstream;
struct middleware;
struct pipeline;

struct middleware_ops {
	const char *name; /* "core/v1/HTTPLogger" */
	void *(*create)(const void *conf, struct conf *c); /* as handler_ops */
	void (*destroy)(void *inst);
	int (*worker_init)(void *inst);
	int (*request)(void *inst, struct request *r);
	void (*head)(void *inst, struct request *r);
	int (*body)(void *inst, struct request *r, const void *data, size_t n,
	    int last);
	void (*done)(void *inst, struct request *r);
	/*
	 * Master, building a chain (pipeline_chain_add): a middleware made
	 * of others adds its own entries to (*mws, *n) instead of one
	 * instance of itself (Skipper).  NULL for the others.
	 */
	void (*expand)(struct pipeline *pl, struct middleware ***mws, size_t *n,
	    const void *conf, int *err);
};

/* One middleware instance. */
struct middleware {
	const struct middleware_ops *ops;
	const void *conf; /* its config object: the key of the instance */
	void *inst;
};

/* One exchange with an upstream, as tripperware sees it. */
struct exchange {
	const struct conf_upstream *up;
	unsigned attempt; /* 0: the first try; a retry is a new exchange */
	/* the upstream request head as it will be sent */
	const char *head;
	size_t head_len;
	/* the upstream response head, once read (NULL before or on failure) */
	const struct http_msg *resp;
	const char *resp_buf;
	int status; /* the response's status, or what the proxy answers */
	struct timespec start;
	/* per-exchange state of tripperware: slot i for entry i */
	void **state;
	/* observers of the upstream response body (request.h), or NULL */
	struct body_tap *resp_tap;
};

struct tripperware_ops {
	const char *name;
	void *(*create)(const void *conf, struct conf *c);
	void (*destroy)(void *inst);
	int (*request)(void *inst, struct request *r, struct exchange *x);
	void (*response)(void *inst, struct request *r, struct exchange *x);
	void (*done)(void *inst, struct request *r, struct exchange *x);
	/* Instead of an instance, add entries to the list being built (as
	 * middleware_ops.expand: Skipper). */
	void (*expand)(struct pipeline *pl, struct tripperware ***tws,
	    size_t *n, const void *conf, int *err);
};

struct tripperware {
	const struct tripperware_ops *ops;
	const void *conf;
	void *inst;
};

/* The middleware kinds aileron has (src/middleware/). */
extern const struct middleware_ops http_logger_middleware;
extern const struct tripperware_ops http_logger_tripperware;
extern const struct middleware_ops throttle_middleware;
extern const struct middleware_ops compression_middleware;
extern const struct middleware_ops soap_rest_middleware;
extern const struct middleware_ops prometheus_middleware;
extern const struct tripperware_ops prometheus_tripperware;

#endif
