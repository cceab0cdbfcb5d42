/* app/v1 Skipper: run a middleware chain unless a skip condition matches. */
#include "middleware/skipper.h"

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
