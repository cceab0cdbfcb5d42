/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#include <string.h>

#include "middleware/skipper.h"

/* 1 if method is one of the condition's methods, or it lists none. */
static int
skipper_method_listed(
    const struct skipper_cond *c, const char *method, size_t mlen)
{
	size_t i;

	if (c->nmethods == 0)
		return 1;
	for (i = 0; i < c->nmethods; i++)
		if (strlen(c->methods[i]) == mlen &&
		    memcmp(c->methods[i], method, mlen) == 0)
			return 1;
	return 0;
}

int
skipper_should_skip(const struct skipper_cond *conds, size_t n,
    const char *method, size_t mlen, const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (skipper_method_listed(&conds[i], method, mlen) &&
		    mw_matcher_match(&conds[i].matcher, path, plen))
			return 1;
	return 0;
}
