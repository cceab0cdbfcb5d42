/* Handlers: what answers a routed request (the contract every handler kind implements). */
#ifndef AILERON_HANDLER_H
#define AILERON_HANDLER_H

/*
 * Design (issue 11).  A request runs through one pipeline, blocking, in
 * the worker (no "try again" states: a handler that waits, waits):
 *
 *   server middleware (HTTPServer.middleware, first outermost)
 *     -> routing (ServeMux patterns; redirects, 404 and a method the
 *        route does not allow are answered here)
 *     -> the route's middleware: its virtual host's, its handler spec's,
 *        then each HTTPHandler's on the way in (first outermost)
 *     -> the handler.serve()
 *   then, innermost first: every middleware's done() hook.
 *
 * Return values, as Apache's hooks: HANDLER_DECLINED (not mine: next,
 * please), HANDLER_OK (answered through the response writer, response.h),
 * HANDLER_ABORT (the client connection is broken: close it, nothing more
 * can be sent), or an HTTP status >= 400: "answer this", and the
 * pipeline sends the error response (the request's ErrorHandler decides
 * its body) unless the response has started, in which case it closes.
 *
 * Every byte to the client goes through response.h: the writer decides
 * keep-alive, adds Date, feeds the scoreboard, and the logs see what was
 * sent.  A handler never writes to the client socket itself.
 *
 * Instances: a handler object named by several routes (a Reference to
 * the same config object) is ONE instance: pipeline_build() creates it
 * once per generation, in the master before fork, with ops->create(conf);
 * workers inherit it.  State that must be shared between workers lives
 * in memory mapped MAP_SHARED by create(); per-worker state (upstream
 * connection pools, buffers) is made by worker_init() after fork.
 */

#include "request.h"

#define HANDLER_OK       0  /* answered */
#define HANDLER_DECLINED -1 /* not answered: the next in the chain goes on */
#define HANDLER_ABORT    -2 /* the client is gone: close the connection */

struct conf;

struct handler_ops {
	const char *name; /* the kind, "core/v1/ReverseProxyHandler" */
	/*
	 * Master, per generation, before fork: build an instance of config
	 * object conf (the kind's config struct).  NULL after logging an
	 * error fails the (re)load.  NULL create: the instance is conf.
	 */
	void *(*create)(const void *conf, struct conf *c);
	/* Master: free an instance (the generation ended); may be NULL. */
	void (*destroy)(void *inst);
	/* Worker, after fork: per-worker state; -1 makes the worker exit. */
	int (*worker_init)(void *inst);
	/* Answer r (HANDLER_OK, HANDLER_ABORT or a status >= 400). */
	int (*serve)(void *inst, struct request *r);
};

/*
 * A handler instance with the middleware of one route (pipeline.c makes
 * one per virtual host handler; ops, conf and inst are the shared ones).
 */
struct handler {
	const struct handler_ops *ops;
	const void *conf; /* its config object: the key of the instance */
	void *inst;
	struct middleware **mws; /* handler-level middleware, first outermost */
	size_t nmws;
	struct tripperware **tws; /* around its upstream exchanges */
	size_t ntws;
};

/* The handler kinds aileron has (src/handler/). */
extern const struct handler_ops reverse_proxy_handler;
extern const struct handler_ops health_check_handler;
extern const struct handler_ops status_handler;
extern const struct handler_ops prometheus_handler;
extern const struct handler_ops echo_handler;
extern const struct handler_ops csrf_handler;
extern const struct handler_ops static_file_handler;
extern const struct handler_ops template_handler;

/*
 * ReverseProxyHandler's per-worker state: close idle upstream connections,
 * give the body buffers' pages back while the worker idles, free it.
 */
void reverse_proxy_expire_idle(void);
void reverse_proxy_trim_idle(void);
void reverse_proxy_worker_free(void);

#endif
