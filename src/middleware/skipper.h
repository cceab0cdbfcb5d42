/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#ifndef AILERON_MW_SKIPPER_H
#define AILERON_MW_SKIPPER_H

#include <stddef.h>

#include "middleware/matcher.h"

/* One skipConditions entry: the method is listed (or none are) and the path matches. */
struct skipper_cond {
	char **methods; /* owned; empty: every method */
	size_t nmethods;
	struct mw_matcher matcher;
};

/*
 * 1 when the request (method token, decoded path) is to skip the wrapped
 * chain: any condition matches.  As tripperware path is the upstream path.
 */
int skipper_should_skip(const struct skipper_cond *conds, size_t n,
    const char *method, size_t mlen, const char *path, size_t plen);

#endif
