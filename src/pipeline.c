/* The pipeline: instances and chains built in the master; a request's walk through them. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "errpage.h"
#include "http_target.h"
#include "kind.h"
#include "log.h"
#include "pipeline.h"
#include "route.h"

#define PIPELINE_PATH_MAX 8192

/* One instance, keyed by its config object (a reference is one instance). */
struct pipeline_inst {
	const void *conf;
	const void *ops;
	void *inst;
	void (*destroy)(void *);
	int (*worker_init)(void *);
};

struct pipeline {
	struct conf *conf;
	struct routes *routes;
	struct arena *arena; /* chains, handlers, instance table */
	struct pipeline_inst *insts;
	size_t ninsts;
	const struct conf_server **servers; /* chains[i] is servers[i]'s */
	struct chain *chains;
	size_t nchains;
	const struct conf_proxy **proxies; /* handlers[i] is proxies[i]'s */
	struct handler *handlers;
	size_t nhandlers;
	/* routed[i]: the handler of vhost handler specs[i] in its middleware */
	const struct conf_handler **specs;
	struct handler *routed;
	size_t nrouted;
};

/* The instance of conf made by ops, made now if it is the first use. */
static void *
pipeline_instance(struct pipeline *pl, const void *ops, const void *conf,
    void *(*create)(const void *, struct conf *), void (*destroy)(void *),
    int (*worker_init)(void *), int *err)
{
	struct pipeline_inst *pi;
	size_t i;
	void *inst;

	for (i = 0; i < pl->ninsts; i++)
		if (pl->insts[i].conf == conf && pl->insts[i].ops == ops)
			return pl->insts[i].inst;
	inst =
	    create != NULL ? create(conf, pl->conf) : (void *)(uintptr_t)conf;
	if (inst == NULL) {
		*err = 1;
		return NULL;
	}
	pl->insts = realloc(pl->insts, (pl->ninsts + 1) * sizeof(*pl->insts));
	if (pl->insts == NULL)
		fatal("realloc");
	pi = &pl->insts[pl->ninsts++];
	pi->conf = conf;
	pi->ops = ops;
	pi->inst = inst;
	pi->destroy = create != NULL ? destroy : NULL;
	pi->worker_init = worker_init;
	return inst;
}

/* A middleware of kind ops for config object conf. */
static struct middleware *
pipeline_mw(struct pipeline *pl, const struct middleware_ops *ops,
    const void *conf, int *err)
{
	struct middleware *mw = arena_alloc(pl->arena, sizeof(*mw));

	mw->ops = ops;
	mw->conf = conf;
	mw->inst = pipeline_instance(
	    pl, ops, conf, ops->create, ops->destroy, ops->worker_init, err);
	return mw;
}

/* A tripperware of kind ops for config object conf. */
static struct tripperware *
pipeline_tw(struct pipeline *pl, const struct tripperware_ops *ops,
    const void *conf, int *err)
{
	struct tripperware *tw = arena_alloc(pl->arena, sizeof(*tw));

	tw->ops = ops;
	tw->conf = conf;
	tw->inst = pipeline_instance(
	    pl, ops, conf, ops->create, ops->destroy, NULL, err);
	return tw;
}

void
pipeline_trip_add(struct pipeline *pl, struct tripperware ***tws, size_t *n,
    const struct conf_ware *w, int *err)
{
	const struct tripperware_ops *ops = w->kind->tripperware;

	if (ops->expand != NULL) {
		ops->expand(pl, tws, n, w->obj, err);
		return;
	}
	*tws = arena_realloc(
	    pl->arena, *tws, *n * sizeof(**tws), (*n + 1) * sizeof(**tws));
	(*tws)[(*n)++] = pipeline_tw(pl, ops, w->obj, err);
}

/* The handler kind of a routed config object. */
static const struct handler_ops *
pipeline_handler_ops(const struct conf_proxy *p)
{
	switch (p->kind) {
	case CONF_PROXY_HEALTH:
		return &health_check_handler;
	case CONF_PROXY_METRICS:
		return &prometheus_handler;
	case CONF_PROXY_STATUS:
		return &status_handler;
	case CONF_PROXY_ECHO:
		return &echo_handler;
	case CONF_PROXY_CSRF:
		return &csrf_handler;
	case CONF_PROXY_STATIC:
		return &static_file_handler;
	case CONF_PROXY_TEMPLATE:
		return &template_handler;
	default:
		return &reverse_proxy_handler;
	}
}

void *
pipeline_alloc(struct pipeline *pl, size_t size)
{
	return arena_alloc(pl->arena, size);
}

void
pipeline_chain_add(struct pipeline *pl, struct middleware ***mws, size_t *n,
    const struct conf_ware *w, int *err)
{
	const struct middleware_ops *ops = w->kind->middleware;

	if (ops->expand != NULL) {
		ops->expand(pl, mws, n, w->obj, err);
		return;
	}
	*mws = arena_realloc(
	    pl->arena, *mws, *n * sizeof(**mws), (*n + 1) * sizeof(**mws));
	(*mws)[(*n)++] = pipeline_mw(pl, ops, w->obj, err);
}

/*
 * The server chain: the HTTPServer's middleware, which every request
 * goes through, routed or not (a 404, a redirect).
 */
static void
pipeline_build_chain(struct pipeline *pl, const struct conf_server *srv,
    struct chain *ch, int *err)
{
	size_t i;

	for (i = 0; i < srv->nmiddleware; i++)
		pipeline_chain_add(
		    pl, &ch->mws, &ch->nmws, &srv->middleware[i], err);
	for (i = 0; i < ch->nmws; i++)
		if (ch->mws[i]->ops->body != NULL)
			ch->nfilters++;
}

/* Add the tripperwares of list to h's, once each. */
static void
pipeline_add_tws(struct pipeline *pl, struct handler *h,
    const struct conf_ware *list, size_t n, int *err)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < h->ntws; j++)
			if (h->tws[j]->conf == list[i].obj)
				break;
		if (j < h->ntws)
			continue;
		pipeline_trip_add(pl, &h->tws, &h->ntws, &list[i], err);
	}
}

/*
 * A handler of p with its tripperwares: the ReverseProxyHandler's, then
 * its HTTPClient's (inside them), once each.
 */
static void
pipeline_build_handler(struct pipeline *pl, const struct conf_proxy *p,
    struct handler *h, int *err)
{
	const struct handler_ops *ops = pipeline_handler_ops(p);

	h->ops = ops;
	h->conf = p;
	h->inst = pipeline_instance(
	    pl, ops, p, ops->create, ops->destroy, ops->worker_init, err);
	pipeline_add_tws(pl, h, p->tripperwares, p->ntripperwares, err);
	if (p->client != NULL)
		pipeline_add_tws(pl, h, p->client->tripperwares,
		    p->client->ntripperwares, err);
}

/* Append the middleware of list to h's (one instance per config object). */
static void
pipeline_add_mws(struct pipeline *pl, struct handler *h,
    const struct conf_ware *list, size_t n, int *err)
{
	size_t i;

	for (i = 0; i < n; i++) /* a Skipper expands in place */
		pipeline_chain_add(pl, &h->mws, &h->nmws, &list[i], err);
}

/*
 * The handler of a vhost handler spec as AILERON chains it: the virtual
 * host's middleware, the spec's, then each HTTPHandler's on the way in
 * (first outermost), around the innermost handler's instance.
 */
static void
pipeline_build_route(struct pipeline *pl, const struct conf_vhost *vh,
    const struct conf_handler *spec, struct handler *h, int *err)
{
	const struct conf_proxy *p;
	const struct handler *in;

	for (p = spec->proxy; p->inner != NULL; p = p->inner)
		;
	if ((in = pipeline_handler(pl, p)) == NULL) {
		*err = 1;
		return;
	}
	*h = *in;
	h->mws = NULL;
	h->nmws = 0;
	pipeline_add_mws(pl, h, vh->middleware, vh->nmiddleware, err);
	pipeline_add_mws(pl, h, spec->middleware, spec->nmiddleware, err);
	for (p = spec->proxy; p->inner != NULL; p = p->inner)
		pipeline_add_mws(pl, h, p->middleware, p->nmiddleware, err);
}

/* Every vhost handler of server srv with its middleware. */
static void
pipeline_build_routes(
    struct pipeline *pl, const struct conf_server *srv, int *err)
{
	const struct conf_vhost *vh;
	size_t v, i;

	for (v = 0; v < srv->nvhosts; v++) {
		vh = &srv->vhosts[v];
		for (i = 0; i < vh->nhandlers; i++) {
			if (vh->handlers[i].proxy == NULL)
				continue;
			pl->specs = arena_realloc(pl->arena, pl->specs,
			    pl->nrouted * sizeof(*pl->specs),
			    (pl->nrouted + 1) * sizeof(*pl->specs));
			pl->routed = arena_realloc(pl->arena, pl->routed,
			    pl->nrouted * sizeof(*pl->routed),
			    (pl->nrouted + 1) * sizeof(*pl->routed));
			pl->specs[pl->nrouted] = &vh->handlers[i];
			pipeline_build_route(pl, vh, &vh->handlers[i],
			    &pl->routed[pl->nrouted++], err);
		}
	}
}

struct pipeline *
pipeline_build(struct conf *c, struct routes *rt)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	size_t i;
	int err = 0;

	if (pl == NULL)
		fatal("calloc");
	pl->conf = c;
	pl->routes = rt;
	pl->arena = arena_new(4096);
	pl->nchains = c->nservers;
	pl->servers =
	    arena_alloc(pl->arena, (c->nservers + 1) * sizeof(void *));
	pl->chains =
	    arena_alloc(pl->arena, (c->nservers + 1) * sizeof(*pl->chains));
	for (i = 0; i < c->nservers; i++) {
		pl->servers[i] = c->servers[i];
		pipeline_build_chain(pl, c->servers[i], &pl->chains[i], &err);
	}
	pl->proxies =
	    arena_alloc(pl->arena, (c->nproxies + 1) * sizeof(void *));
	pl->handlers =
	    arena_alloc(pl->arena, (c->nproxies + 1) * sizeof(*pl->handlers));
	/* An HTTPHandler has no instance: its routes reach its inner one. */
	for (i = 0; i < c->nproxies; i++) {
		if (c->proxies[i]->kind == CONF_PROXY_WRAPPER)
			continue;
		pl->proxies[pl->nhandlers] = c->proxies[i];
		pipeline_build_handler(
		    pl, c->proxies[i], &pl->handlers[pl->nhandlers++], &err);
	}
	for (i = 0; i < c->nservers; i++)
		pipeline_build_routes(pl, c->servers[i], &err);
	if (err) {
		pipeline_free(pl);
		return NULL;
	}
	return pl;
}

void
pipeline_free(struct pipeline *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->ninsts; i++)
		if (pl->insts[i].destroy != NULL)
			pl->insts[i].destroy(pl->insts[i].inst);
	free(pl->insts);
	arena_free(pl->arena);
	free(pl);
}

int
pipeline_worker_init(struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->ninsts; i++)
		if (pl->insts[i].worker_init != NULL &&
		    pl->insts[i].worker_init(pl->insts[i].inst) < 0)
			return -1;
	return 0;
}

const struct chain *
pipeline_chain(const struct pipeline *pl, const struct conf_server *srv)
{
	static const struct chain empty;
	size_t i;

	for (i = 0; i < pl->nchains; i++)
		if (pl->servers[i] == srv)
			return &pl->chains[i];
	return &empty;
}

const struct handler *
pipeline_handler(const struct pipeline *pl, const struct conf_proxy *p)
{
	size_t i;

	for (i = 0; i < pl->nhandlers; i++)
		if (pl->proxies[i] == p)
			return &pl->handlers[i];
	return NULL;
}

/* The handler, in its route's middleware, of the vhost handler spec. */
static const struct handler *
pipeline_routed(const struct pipeline *pl, const struct conf_handler *spec)
{
	size_t i;

	for (i = 0; i < pl->nrouted; i++)
		if (pl->specs[i] == spec)
			return &pl->routed[i];
	return NULL;
}

/* The error handler of a request: the route's, the server's, the Entrypoint's. */
static const struct conf_errhandler *
pipeline_errhandler(const struct pipeline *pl, const struct request *r)
{
	if (r->route != NULL && r->route->errhandler != NULL)
		return r->route->errhandler;
	if (r->route == NULL && r->srv->errhandler != NULL)
		return r->srv->errhandler;
	return pl->conf->default_errhandler;
}

/* Answer r with an error response; HANDLER_OK or HANDLER_ABORT. */
static int
pipeline_error(struct request *r, int status, const char *code)
{
	return response_error(r, status, code) < 0 ? HANDLER_ABORT : HANDLER_OK;
}

/*
 * Go ServeMux's 301 to the path in upath (decoded) with the query kept;
 * GET gets a small HTML body, as net/http's Redirect writes it.
 */
static int
pipeline_redirect(struct request *r, const char *upath)
{
	static char loc[PIPELINE_PATH_MAX * 3], body[sizeof(loc) * 5 + 64];
	size_t i, b = 0;
	int n, get = r->msg->method_id == HTTP_M_GET;

	if ((n = route_encode_path(
	         upath, strlen(upath), loc, sizeof(loc) - 1)) < 0 ||
	    (size_t)n + 1 + r->query_len >= sizeof(loc))
		return pipeline_error(r, 414, NULL);
	if (r->query != NULL) {
		loc[n++] = '?';
		memcpy(loc + n, r->query, r->query_len);
		n += (int)r->query_len;
	}
	loc[n] = '\0';
	if (get) {
		memcpy(body, "<a href=\"", 9);
		b = 9;
		for (i = 0; loc[i] != '\0'; i++) {
			if (loc[i] == '&') {
				memcpy(body + b, "&amp;", 5);
				b += 5;
			} else if (loc[i] == '"') {
				memcpy(body + b, "&#34;", 5);
				b += 5;
			} else
				body[b++] = loc[i];
		}
		memcpy(body + b, "\">Moved Permanently</a>.\n\n", 26);
		b += 26;
	}
	if (response_start(r, 301, NULL, 0) < 0 ||
	    response_add_str(r, "Location", loc) < 0 ||
	    ((get || r->msg->method_id == HTTP_M_HEAD) &&
	        response_add_str(
	            r, "Content-Type", "text/html; charset=utf-8") < 0) ||
	    response_send_head(r, RESPONSE_LENGTH, b) < 0 ||
	    response_body(r, body, b) < 0)
		return HANDLER_ABORT;
	return response_end(r) < 0 ? HANDLER_ABORT : HANDLER_OK;
}

/* Per-request state slots for the routed handler's middleware too. */
static void
pipeline_state_grow(struct request *r)
{
	size_t n = r->chain->nmws;
	void **st;

	if (r->handler->nmws == 0)
		return;
	st = arena_alloc(r->arena, (n + r->handler->nmws) * sizeof(*st));
	if (n > 0)
		memcpy(st, r->mw_state, n * sizeof(*st));
	r->mw_state = st;
}

/*
 * The mux: what Go's server and ServeMux do before a handler runs
 * (Expect, OPTIONS *, CONNECT, redirects, 404), then the handler's
 * middleware and the handler.
 */
/* The decoded path of the current request (request_split_target). */
static char pipeline_path[PIPELINE_PATH_MAX];

/*
 * Split the target before any middleware runs, so that middleware and
 * error pages see the path; a malformed one is left to routing (400).
 * OPTIONS * and CONNECT have no path.
 */
static void
pipeline_split(struct request *r)
{
	const struct http_msg *m = r->msg;

	if (m->method_id == HTTP_M_CONNECT ||
	    (m->target.len == 1 && r->buf[m->target.off] == '*'))
		return;
	(void)request_split_target(r, pipeline_path, sizeof(pipeline_path));
}

static int
pipeline_route(const struct pipeline *pl, struct request *r)
{
	static char upath[PIPELINE_PATH_MAX];
	static struct route_req rr;
	const struct http_msg *m = r->msg;
	const struct handler *h;
	size_t i;
	int rc;

	r->errhandler = pipeline_errhandler(pl, r);
	/* Go answers an Expect it cannot meet before any handler runs. */
	if (http_expect_check(m, r->buf) != 0)
		return pipeline_error(r, 417, NULL);
	if (m->target.len == 1 && r->buf[m->target.off] == '*' &&
	    m->method_id == HTTP_M_OPTIONS) {
		if (!r->srv->enable_general_options)
			return 400;
		/* Go's serverHandler: 200, Content-Length: 0. */
		if (response_start(r, 200, NULL, 0) < 0 ||
		    response_send_head(r, RESPONSE_LENGTH, 0) < 0 ||
		    response_end(r) < 0)
			return HANDLER_ABORT;
		return HANDLER_OK;
	}
	/*
	 * A reverse proxy does not tunnel: CONNECT (authority-form) finds no
	 * route, as in Go's ServeMux, and the connection closes.
	 */
	if (m->method_id == HTTP_M_CONNECT) {
		response_close(r);
		return pipeline_error(r, 404, ERRPAGE_NOT_FOUND);
	}
	if (r->path != pipeline_path &&
	    request_split_target(r, pipeline_path, sizeof(pipeline_path)) < 0)
		return 400;
	memset(&rr, 0, sizeof(rr));
	rr.method = m->method_id;
	rr.path = r->path;
	rr.path_len = r->path_len;
	rr.query = r->query;
	rr.query_len = r->query_len;
	rr.host = r->host;
	rr.host_len = r->host_len;
	rr.msg = m;
	rr.buf = r->buf;
	r->rr = &rr;
	if (route_redirect(pl->routes, r->srv, &rr, upath, sizeof(upath)))
		return pipeline_redirect(r, upath);
	if (route_find(pl->routes, r->srv, &rr) == NULL)
		return pipeline_error(r, 404, ERRPAGE_NOT_FOUND);
	if ((h = pipeline_routed(pl, rr.spec)) == NULL)
		return 500;
	r->route = h->conf;
	r->errhandler = pipeline_errhandler(pl, r);
	r->handler = h;
	pipeline_state_grow(r);
	for (i = 0; i < h->nmws; i++) {
		const struct middleware *mw = h->mws[i];

		r->nentered++;
		if (mw->ops->request != NULL &&
		    (rc = mw->ops->request(mw->inst, r)) != HANDLER_DECLINED)
			return rc;
	}
	return h->ops->serve(h->inst, r);
}

/* The middleware entered by r, entry i (as response.c counts them). */
static const struct middleware *
pipeline_entered(const struct request *r, size_t i)
{
	if (i < r->chain->nmws)
		return r->chain->mws[i];
	return r->handler->mws[i - r->chain->nmws];
}

void
pipeline_run(const struct pipeline *pl, struct request *r)
{
	r->chain = pipeline_chain(pl, r->srv);
	pipeline_serve(pl, r);
}

void
pipeline_serve(const struct pipeline *pl, struct request *r)
{
	const struct chain *ch = r->chain;
	size_t i;
	int rc = HANDLER_DECLINED;

	pipeline_split(r);
	r->errhandler = pipeline_errhandler(pl, r);
	if (ch->nmws > 0)
		r->mw_state =
		    arena_alloc(r->arena, ch->nmws * sizeof(*r->mw_state));
	for (i = 0; i < ch->nmws && rc == HANDLER_DECLINED; i++) {
		const struct middleware *mw = ch->mws[i];

		r->nentered++;
		if (mw->ops->request != NULL)
			rc = mw->ops->request(mw->inst, r);
	}
	if (rc == HANDLER_DECLINED)
		rc = pipeline_route(pl, r);
	/*
	 * A status: answer it (400, a protocol error, in plain text; others
	 * in AILERON's style), unless the response has begun.  HANDLER_OK
	 * without a response is a handler's bug: 500.
	 */
	if (rc >= 400 && !response_started(r))
		(void)response_error(r, rc,
		    rc == 400       ? NULL
		        : rc == 413 ? ERRPAGE_BODY_TOO_LARGE
		                    : "");
	else if (rc >= 0 && !response_started(r))
		(void)response_error(r, 500, "");
	if (rc == HANDLER_ABORT)
		response_close(r);
	for (i = r->nentered; i-- > 0;) {
		const struct middleware *mw = pipeline_entered(r, i);

		if (mw->ops->done != NULL)
			mw->ops->done(mw->inst, r);
	}
}

int
pipeline_exchange_request(
    const struct handler *h, struct request *r, struct exchange *x)
{
	size_t i;
	int rc;

	for (i = 0; i < h->ntws; i++) {
		const struct tripperware *tw = h->tws[i];

		if (tw->ops->request != NULL &&
		    (rc = tw->ops->request(tw->inst, r, x)) != HANDLER_DECLINED)
			return rc;
	}
	return HANDLER_DECLINED;
}

void
pipeline_exchange_response(
    const struct handler *h, struct request *r, struct exchange *x)
{
	size_t i;

	for (i = h->ntws; i-- > 0;)
		if (h->tws[i]->ops->response != NULL)
			h->tws[i]->ops->response(h->tws[i]->inst, r, x);
}

void
pipeline_exchange_done(
    const struct handler *h, struct request *r, struct exchange *x)
{
	size_t i;

	for (i = h->ntws; i-- > 0;)
		if (h->tws[i]->ops->done != NULL)
			h->tws[i]->ops->done(h->tws[i]->inst, r, x);
}
