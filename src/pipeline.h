/* The pipeline: chains built once per generation in the master, run per request in the worker. */
#ifndef AILERON_PIPELINE_H
#define AILERON_PIPELINE_H

#include <stddef.h>

#include "handler.h"
#include "middleware.h"

struct conf;
struct routes;

/* The middleware of one HTTPServer (its own: every request runs it). */
struct chain {
	struct middleware **mws; /* first outermost */
	size_t nmws;
	int nfilters; /* how many have a body filter */
};

struct pipeline;

/*
 * Master, per generation, before fork: make every handler, middleware
 * and tripperware instance of c (one per config object) and the chains
 * that use them.  rt is the generation's routing table.  NULL after
 * logging the errors.
 */
struct pipeline *pipeline_build(struct conf *c, struct routes *rt);
/* Master: free the instances and chains; accepts NULL. */
void pipeline_free(struct pipeline *pl);
/* Worker, after fork: worker_init of every instance; -1 on failure. */
int pipeline_worker_init(struct pipeline *pl);

struct conf_ware;

/*
 * Master, building a chain: append the entries of middleware w to
 * (*mws, *n): its instance, or what its ops->expand adds (Skipper).
 */
void pipeline_chain_add(struct pipeline *pl, struct middleware ***mws,
    size_t *n, const struct conf_ware *w, int *err);
/* The same for tripperware: its instance, or what ops->expand adds. */
void pipeline_trip_add(struct pipeline *pl, struct tripperware ***tws,
    size_t *n, const struct conf_ware *w, int *err);
/* Master: memory that lives as long as pl's chains. */
void *pipeline_alloc(struct pipeline *pl, size_t size);

/* The chain of server srv (never NULL). */
const struct chain *pipeline_chain(
    const struct pipeline *pl, const struct conf_server *srv);
/* The handler instance of a routed config object. */
const struct handler *pipeline_handler(
    const struct pipeline *pl, const struct conf_proxy *p);

/*
 * Serve r: the server middleware, routing, the route's middleware and
 * the handler, then the done hooks.  After it r->resp tells whether the
 * connection goes on (response_keep_alive).
 */
void pipeline_run(const struct pipeline *pl, struct request *r);
/* The same with the chain the caller put in r->chain (unit tests). */
void pipeline_serve(const struct pipeline *pl, struct request *r);

/*
 * For handlers that talk upstream (ReverseProxyHandler): run the
 * tripperware request hooks of h on exchange x.  HANDLER_DECLINED: go
 * on and send the request; else one answered r (HANDLER_OK or a status).
 */
int pipeline_exchange_request(
    const struct handler *h, struct request *r, struct exchange *x);
/* ... the response hooks (upstream head read) and the done hooks. */
void pipeline_exchange_response(
    const struct handler *h, struct request *r, struct exchange *x);
void pipeline_exchange_done(
    const struct handler *h, struct request *r, struct exchange *x);

#endif
