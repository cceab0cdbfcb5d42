/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "conf_table.h"
#include "http_parse.h"
#include "kind.h"
#include "middleware.h"
#include "middleware/skipper.h"
#include "pipeline.h"
#include "request.h"
#include "response.h"
#include "route.h"

extern const struct middleware_ops skipper_middleware;
extern const struct tripperware_ops skipper_tripperware;
extern const struct kind skipper_conf_kind;

/*
 * Config part.
 */

static const struct conf_field skipper_conf_cond_fields[] = {
	FOBJ("matcher", struct skipper_conf_cond, matcher,
	    &mw_matcher_conf_table),
	FMETHODS("methods", struct skipper_conf_cond, methods),
	FEND,
};
static const struct conf_table skipper_conf_cond_table = {
	skipper_conf_cond_fields, NULL
};

/*
 * 1 when Skipper spec from is target or wraps it, directly or through
 * others, in its middleware (tw 0) or tripperware (tw 1).
 */
static int
skipper_conf_reaches(const struct skipper_conf_spec *from,
    const struct skipper_conf_spec *target, unsigned depth, int tw)
{
	const struct conf_ware *list = tw ? from->tws : from->mws;
	size_t i, n = tw ? from->ntws : from->nmws;

	if (from == target)
		return 1;
	if (depth > 64)
		return 1; /* too deep to be meant: refused as a cycle */
	for (i = 0; i < n; i++)
		if (list[i].kind == &skipper_conf_kind &&
		    skipper_conf_reaches(list[i].obj, target, depth + 1, tw))
			return 1;
	return 0;
}

/*
 * A middleware reference resolved.  A Skipper that would wrap itself
 * (directly or through other Skippers) is refused when the reference
 * closing the cycle is bound: the others are bound by then.
 */
static void
skipper_conf_bind_mw(struct loader *ld, void *user, struct conf_doc *d)
{
	struct skipper_conf_spec *ss = user;

	if (d->kind == &skipper_conf_kind &&
	    skipper_conf_reaches(d->obj, ss, 0, 0)) {
		conf_error(ld, &d->pos,
		    "Skipper %s wraps itself through its middleware (a cycle)",
		    d->id != NULL ? d->id : "");
		return;
	}
	kind_ware_add(ld->arena, &ss->mws, &ss->nmws, d);
}

static void
skipper_conf_bind_tw(struct loader *ld, void *user, struct conf_doc *d)
{
	struct skipper_conf_spec *ss = user;

	if (d->kind == &skipper_conf_kind &&
	    skipper_conf_reaches(d->obj, ss, 0, 1)) {
		conf_error(ld, &d->pos,
		    "Skipper %s wraps itself through its tripperware (a cycle)",
		    d->id != NULL ? d->id : "");
		return;
	}
	kind_ware_add(ld->arena, &ss->tws, &ss->ntws, d);
}

/* middleware and tripperware: references, resolved once all is read. */
static int
skipper_conf_set_refs(struct loader *ld, const struct conf_field *f,
    const char *key, yaml_node_t *v, void *obj)
{
	struct skipper_conf_spec *ss = obj;
	int mw = f->off == offsetof(struct skipper_conf_spec, mw_refs);
	struct conf_ref **refs = mw ? &ss->mw_refs : &ss->tw_refs;
	size_t *n = mw ? &ss->nmw_refs : &ss->ntw_refs, i;
	void *list = NULL;
	int rc;

	rc = conf_get_list(
	    ld, key, v, &conf_ref_table, sizeof(**refs), &list, n);
	*refs = list;
	for (i = 0; i < *n; i++)
		if ((*refs)[i].id != NULL)
			conf_defer_ref(ld, &(*refs)[i],
			    mw ? KIND_ROLE_MIDDLEWARE : KIND_ROLE_TRIPPERWARE,
			    mw ? skipper_conf_bind_mw : skipper_conf_bind_tw,
			    ss);
	return rc;
}

/* The conditions as the runtime tests them. */
static void
skipper_conf_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct skipper_conf_spec *ss = obj;
	size_t i;

	(void)node;
	ss->conds =
	    arena_alloc(ld->arena, (ss->nconditions + 1) * sizeof(*ss->conds));
	for (i = 0; i < ss->nconditions; i++) {
		ss->conds[i].matcher = ss->conditions[i].matcher.m;
		ss->conds[i].methods = ss->conditions[i].methods;
	}
	ss->nconds = ss->nconditions;
}

static const struct conf_field skipper_conf_fields[] = {
	FLIST("skipConditions", struct skipper_conf_spec, conditions,
	    nconditions, struct skipper_conf_cond, &skipper_conf_cond_table),
	FFUNCAT("middleware", struct skipper_conf_spec, mw_refs,
	    skipper_conf_set_refs),
	FFUNCAT("tripperware", struct skipper_conf_spec, tw_refs,
	    skipper_conf_set_refs),
	FEND,
};
static const struct conf_table skipper_conf_table = { skipper_conf_fields,
	skipper_conf_check };

const struct kind skipper_conf_kind = {
	.api_version = "app/v1",
	.kind = "Skipper",
	.roles = KIND_ROLE_MIDDLEWARE | KIND_ROLE_TRIPPERWARE,
	.table = &skipper_conf_table,
	.size = sizeof(struct skipper_conf_spec),
	.id_off = KIND_NO_OFF,
	.eh_off = KIND_NO_OFF,
	.middleware = &skipper_middleware,
	.tripperware = &skipper_tripperware,
};

/*
 * Runtime part.
 */

int
skipper_should_skip(const struct skipper_cond *conds, size_t n, int method,
    const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mw_methods_listed(conds[i].methods, method) &&
		    mw_matcher_match(&conds[i].matcher, path, plen))
			return 1;
	return 0;
}

/*
 * As middleware a Skipper is no chain entry of its own: its middleware
 * are put in the chain in its place, each wrapped in a guard, so that
 * their head, body and done hooks run where they would without it (body
 * filters included).  The first guard decides for the request; all the
 * Skipper's guards share the decision.  A skipped guard passes: its
 * middleware sees nothing of the request.  Nested Skippers wrap guards
 * in guards.
 */

/* The decision shared by one Skipper's guards in one chain (per worker). */
struct skipper_run {
	const struct skipper_conf_spec *ss;
	int skip; /* the current request skips */
};

struct skipper_guard {
	struct skipper_run *run;
	int first; /* decides for the run */
	const struct middleware *inner;
};

static int
skipper_guard_request(void *inst, struct request *r)
{
	struct skipper_guard *g = inst;
	const struct middleware *in = g->inner;
	const char *path;
	size_t plen = 0;

	if (g->first) {
		path = mw_request_path(r, &plen);
		/* A target routing will refuse anyway is not skipped. */
		g->run->skip = path != NULL &&
		    skipper_should_skip(g->run->ss->conds, g->run->ss->nconds,
		        r->msg->method_id, path, plen);
	}
	if (g->run->skip || in->ops->request == NULL)
		return HANDLER_DECLINED;
	return in->ops->request(in->inst, r);
}

static void
skipper_guard_head(void *inst, struct request *r)
{
	const struct skipper_guard *g = inst;
	const struct middleware *in = g->inner;

	if (!g->run->skip && in->ops->head != NULL)
		in->ops->head(in->inst, r);
	/* The guard's body hook is no filter unless its middleware's is. */
	if (g->run->skip || in->ops->body == NULL)
		response_filter_skip(r);
}

static int
skipper_guard_body(
    void *inst, struct request *r, const void *data, size_t n, int last)
{
	const struct skipper_guard *g = inst;
	const struct middleware *in = g->inner;

	if (g->run->skip || in->ops->body == NULL)
		return response_filter_next(r, data, n, last);
	return in->ops->body(in->inst, r, data, n, last);
}

static void
skipper_guard_done(void *inst, struct request *r)
{
	const struct skipper_guard *g = inst;
	const struct middleware *in = g->inner;

	if (!g->run->skip && in->ops->done != NULL)
		in->ops->done(in->inst, r);
}

static const struct middleware_ops skipper_guard_ops = {
	.name = "app/v1/Skipper",
	.request = skipper_guard_request,
	.head = skipper_guard_head,
	.body = skipper_guard_body,
	.done = skipper_guard_done,
};

/* Put the Skipper's middleware, guarded, in the chain being built. */
static void
skipper_expand(struct pipeline *pl, struct middleware ***mws, size_t *n,
    const void *conf, int *err)
{
	const struct skipper_conf_spec *ss = conf;
	struct skipper_run *run = pipeline_alloc(pl, sizeof(*run));
	size_t i, first = *n;

	run->ss = ss;
	for (i = 0; i < ss->nmws; i++)
		pipeline_chain_add(pl, mws, n, &ss->mws[i], err);
	for (i = first; i < *n; i++) {
		struct skipper_guard *g = pipeline_alloc(pl, sizeof(*g));
		struct middleware *mw = pipeline_alloc(pl, sizeof(*mw));

		g->run = run;
		g->first = i == first;
		g->inner = (*mws)[i];
		mw->ops = &skipper_guard_ops;
		mw->conf = conf;
		mw->inst = g;
		(*mws)[i] = mw;
	}
}

const struct middleware *
skipper_unwrap(const struct middleware *mw)
{
	while (mw->ops == &skipper_guard_ops)
		mw = ((const struct skipper_guard *)mw->inst)->inner;
	return mw;
}

const struct middleware_ops skipper_middleware = {
	.name = "app/v1/Skipper",
	.expand = skipper_expand,
};

/*
 * As tripperware the same, per upstream exchange: the first guard
 * decides on the upstream request (its method and its path after
 * rewriting, decoded), and the Skipper's tripperware see nothing of a
 * skipped exchange.
 */

struct skipper_trip_guard {
	struct skipper_run *run;
	int first;
	const struct tripperware *inner;
};

/* Skip exchange x?  From its request line "METHOD /path?query HTTP/1.1". */
static int
skipper_trip_decide(const struct skipper_conf_spec *ss, struct request *r,
    const struct exchange *x)
{
	const char *p = x->head, *end = x->head + x->head_len, *sp, *path, *q;
	char decoded[8192];
	int n;

	(void)r;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		return 0;
	path = sp + 1;
	for (q = path; q < end && *q != ' ' && *q != '?'; q++)
		;
	n = route_decode_path(
	    path, (size_t)(q - path), decoded, sizeof(decoded));
	if (n < 0)
		return 0;
	return skipper_should_skip(ss->conds, ss->nconds,
	    http_method_from_name(p, (size_t)(sp - p)), decoded, (size_t)n);
}

static int
skipper_trip_request(void *inst, struct request *r, struct exchange *x)
{
	struct skipper_trip_guard *g = inst;
	const struct tripperware *in = g->inner;

	if (g->first)
		g->run->skip = skipper_trip_decide(g->run->ss, r, x);
	if (g->run->skip || in->ops->request == NULL)
		return HANDLER_DECLINED;
	return in->ops->request(in->inst, r, x);
}

static void
skipper_trip_response(void *inst, struct request *r, struct exchange *x)
{
	const struct skipper_trip_guard *g = inst;
	const struct tripperware *in = g->inner;

	if (!g->run->skip && in->ops->response != NULL)
		in->ops->response(in->inst, r, x);
}

static void
skipper_trip_done(void *inst, struct request *r, struct exchange *x)
{
	const struct skipper_trip_guard *g = inst;
	const struct tripperware *in = g->inner;

	if (!g->run->skip && in->ops->done != NULL)
		in->ops->done(in->inst, r, x);
}

static const struct tripperware_ops skipper_trip_guard_ops = {
	.name = "app/v1/Skipper",
	.request = skipper_trip_request,
	.response = skipper_trip_response,
	.done = skipper_trip_done,
};

/* Put the Skipper's tripperware, guarded, in the list being built. */
static void
skipper_trip_expand(struct pipeline *pl, struct tripperware ***tws, size_t *n,
    const void *conf, int *err)
{
	const struct skipper_conf_spec *ss = conf;
	struct skipper_run *run = pipeline_alloc(pl, sizeof(*run));
	size_t i, first = *n;

	run->ss = ss;
	for (i = 0; i < ss->ntws; i++)
		pipeline_trip_add(pl, tws, n, &ss->tws[i], err);
	for (i = first; i < *n; i++) {
		struct skipper_trip_guard *g = pipeline_alloc(pl, sizeof(*g));
		struct tripperware *tw = pipeline_alloc(pl, sizeof(*tw));

		g->run = run;
		g->first = i == first;
		g->inner = (*tws)[i];
		tw->ops = &skipper_trip_guard_ops;
		tw->conf = conf;
		tw->inst = g;
		(*tws)[i] = tw;
	}
}

const struct tripperware_ops skipper_tripperware = {
	.name = "app/v1/Skipper",
	.expand = skipper_trip_expand,
};
