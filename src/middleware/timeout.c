/* app/v1 TimeoutMiddleware: a deadline per API, 504 if nothing was sent by then. */
#include <limits.h>

#include "middleware/timeout.h"

int32_t
timeout_select(
    const struct timeout_policy *p, int method, const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < p->napis; i++)
		if (mw_methods_listed(p->apis[i].methods, method) &&
		    mw_matcher_match(&p->apis[i].matcher, path, plen))
			return p->apis[i].timeout_ms;
	return p->default_ms > 0 ? p->default_ms : 0;
}

struct timespec
timeout_deadline(const struct timespec *now, int32_t ms)
{
	struct timespec d = *now;

	d.tv_sec += ms / 1000;
	d.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

int
timeout_poll_ms(
    const struct timespec *deadline, const struct timespec *now, int cap_ms)
{
	long long ns, left;

	ns = (long long)(deadline->tv_sec - now->tv_sec) * 1000000000LL +
	    (deadline->tv_nsec - now->tv_nsec);
	/* Round a partial millisecond up so poll() does not spin. */
	left = ns > 0 ? (ns + 999999) / 1000000 : 0;
	if (left > INT_MAX)
		left = INT_MAX;
	if (cap_ms >= 0 && left > cap_ms)
		left = cap_ms;
	return (int)left;
}

int
timeout_status(const struct timespec *deadline, const struct timespec *now,
    int response_started)
{
	int passed;

	passed = now->tv_sec > deadline->tv_sec ||
	    (now->tv_sec == deadline->tv_sec &&
	        now->tv_nsec >= deadline->tv_nsec);
	return passed && !response_started ? 504 : 0;
}
