/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#ifndef AILERON_MW_SKIPPER_H
#define AILERON_MW_SKIPPER_H

#include <stddef.h>

#include "conf.h"
#include "middleware/matcher.h"

/* One skipConditions entry: the method is listed (or none are) and the path matches. */
struct skipper_cond {
	conf_methods methods; /* 0: every method */
	struct mw_matcher matcher;
};

/* A skipConditions entry as read (without a matcher it never matches). */
struct skipper_conf_cond {
	struct mw_matcher_conf matcher;
	conf_methods methods;
};

struct conf_ref;

/* The spec as read; conds is what the runtime tests. */
struct skipper_conf_spec {
	struct skipper_conf_cond *conditions;
	size_t nconditions;
	struct conf_ref *mw_refs, *tw_refs;
	size_t nmw_refs, ntw_refs;
	/* what they name, resolved once every file is read (once each) */
	struct conf_ware *mws, *tws;
	size_t nmws, ntws;
	struct skipper_cond *conds;
	size_t nconds;
};

/*
 * 1 when the request (enum http_method, decoded path) is to skip the
 * wrapped chain: any condition matches.  As tripperware path is the
 * upstream path.
 */
int skipper_should_skip(const struct skipper_cond *conds, size_t n, int method,
    const char *path, size_t plen);

struct middleware;

/*
 * The middleware a chain entry runs: itself, or for the guard a Skipper
 * put in the chain, the middleware it wraps.
 */
const struct middleware *skipper_unwrap(const struct middleware *mw);

#endif
